/* bpg_service: the context, look up, refresh, the SparkApplication, delete, Livy's batches. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpg_appstate.h"
#include "bpg_livy.h"
#include "bpg_log.h"
#include "bpg_mask.h"
#include "bpg_service.h"
#include "bpg_subid.h"

#define WHY 512

void
bpg_svc_init(struct bpg_svc *svc)
{
	bpg_svc_clear(svc);
}

void
bpg_svc_clear(struct bpg_svc *svc)
{
	svc->e.err = BPG_OK;
	svc->e.msg[0] = '\0';
	svc->e.retry_after = 0;
}

enum bpg_err
bpg_svc_fail(struct bpg_svc *svc, enum bpg_err err, const char *fmt, ...)
{
	va_list ap;

	if (svc->e.err != BPG_OK)
		return err;
	svc->e.err = err;
	va_start(ap, fmt);
	err = bpg_why_vset(BPG_WHY(svc->e.msg), err, fmt, ap);
	va_end(ap);
	return err;
}

void
bpg_svc_sub_init(struct bpg_svc_sub *s)
{
	s->id = NULL;
	s->cluster = NULL;
	s->have_row = 0;
	bpg_sub_row_init(&s->row);
}

void
bpg_svc_sub_release(struct bpg_svc_sub *s)
{
	bpg_sub_row_release(&s->row);
	s->id = NULL;
	s->have_row = 0;
}

/* Loads row id (by Spark app id when by_app), with its attempts when flags ask. */
static enum bpg_err
get_row(struct bpg_svc *svc, const char *id, int by_app, int flags, struct bpg_sub_row *row)
{
	return (flags & BPG_SVC_ATTEMPTS) ? bpg_subdb_get_attempts(svc->db, id, by_app, row) :
	    bpg_subdb_get(svc->db, id, by_app, row);
}

/* Whether the caller may read (or, with BPG_SVC_WRITE, delete) looked-up s. */
static enum bpg_err
authorize(struct bpg_svc *svc, const char *id, int flags, const struct bpg_svc_sub *s)
{
	const char *name = svc->user->name;

	if (svc->user->admin || (!(flags & BPG_SVC_WRITE) && svc->cfg->auth.open_read))
		return BPG_OK;
	if (!s->have_row)
		return bpg_svc_fail(svc, BPG_ENOTFOUND, "submission %s not found", id);
	/* the owner, or the account that submitted it (a proxy user for the owner, ?dagUser=) */
	if ((s->row.user == NULL || strcmp(s->row.user, name) != 0) &&
	    (s->row.original_user == NULL || strcmp(s->row.original_user, name) != 0))
		return bpg_svc_fail(svc, BPG_EFORBIDDEN, "submission %s belongs to another user",
		    s->id);
	return BPG_OK;
}

enum bpg_err
bpg_svc_lookup(struct bpg_svc *svc, const char *id, int flags, struct bpg_svc_sub *s)
{
	int by_app = bpg_subid_is_app_id(id);
	char why[WHY];
	enum bpg_err err;

	bpg_svc_sub_init(s);
	if (!by_app && bpg_subid_parse(svc->cfg, id, &s->cluster, BPG_WHY(why)) != BPG_OK)
		return bpg_svc_fail(svc, BPG_EINVAL, "%s", why);
	err = get_row(svc, id, by_app, flags, &s->row);
	if (err == BPG_OK) {
		s->have_row = 1;
		s->cluster = bpg_config_cluster(svc->cfg, s->row.cluster_id ? s->row.cluster_id : "");
		if (s->cluster == NULL && bpg_subid_parse(svc->cfg, s->row.submission_id, &s->cluster,
		    BPG_WHY(why)) != BPG_OK)
			return bpg_svc_fail(svc, BPG_EINTERNAL, "submission %s is on cluster %s, which "
			    "is no longer configured", s->row.submission_id,
			    s->row.cluster_id ? s->row.cluster_id : "?");
	} else if (err != BPG_ENOTFOUND) {
		return bpg_svc_fail(svc, BPG_EUNAVAIL, "database unavailable: %s",
		    bpg_db_last_error(svc->db));
	} else if (by_app) {
		return bpg_svc_fail(svc, BPG_ENOTFOUND, "no submission has Spark application id %s",
		    id);
	}
	s->id = s->have_row ? s->row.submission_id : id;
	return authorize(svc, id, flags, s);
}

int
bpg_svc_fresh(const struct bpg_sub_row *row, long long now_ms, long long max_age_ms)
{
	return row->status != NULL && (bpg_appstate_is_final(row->status, row->gateway_failed) ||
	    (row->status_ms >= 0 && now_ms - row->status_ms < max_age_ms));
}

void
bpg_svc_merge(struct bpg_sub_row *row, struct bpg_sub_row *obs, long long now_ms)
{
	char **pairs[][2] = { { &row->status, &obs->status }, { &row->app_id, &obs->app_id },
	    { &row->error_message, &obs->error_message }, { &row->driver_info, &obs->driver_info } };

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (*pairs[i][1] == NULL && pairs[i][0] != &row->error_message)
			continue;
		free(*pairs[i][0]);
		*pairs[i][0] = *pairs[i][1];
		*pairs[i][1] = NULL;
	}
	if (obs->execution_attempts >= 0)
		row->execution_attempts = obs->execution_attempts;
	if (obs->cr_created_ms >= 0)
		row->cr_created_ms = obs->cr_created_ms;
	if (obs->finished_ms >= 0)
		row->finished_ms = obs->finished_ms;
	if (row->start_ms < 0)
		row->start_ms = obs->start_ms;
	row->status_ms = now_ms;
}

/*
 * Stores the observation and answers with the row as stored: the observation when it was
 * newer, else the newer state a concurrent writer (the monitor) stored first. BPG_OK when
 * s->row is the stored row; an error (logged) when the caller must merge obs instead.
 */
static enum bpg_err
store_observation(struct bpg_svc *svc, struct bpg_svc_sub *s, const struct bpg_sub_row *obs,
    int flags)
{
	struct bpg_sub_row row;
	int applied = 0;
	enum bpg_err err;

	if ((err = bpg_subdb_observe(svc->db, obs, &applied)) != BPG_OK) {
		bpg_log(BPG_LOG_WARN, "status", "could not store the observed status", "id", s->id,
		    NULL);
		return err;
	}
	if (!applied)
		bpg_log(BPG_LOG_DEBUG, "status", "the stored status is newer than the one read",
		    "id", s->id, NULL);
	bpg_sub_row_init(&row);
	if ((err = get_row(svc, s->id, 0, flags, &row)) != BPG_OK) {
		bpg_sub_row_release(&row);
		return err;
	}
	bpg_sub_row_release(&s->row);
	s->row = row;
	s->id = s->row.submission_id;
	return BPG_OK;
}

/* Reads the CR, stores what it says and answers with the row (or the CR, without one). */
static enum bpg_err
status_live(struct bpg_svc *svc, struct bpg_svc_sub *s, int flags)
{
	struct bpg_sub_row obs;
	cJSON *cr = NULL;
	char why[WHY];
	enum bpg_err err;

	err = bpg_k8s_get_app(svc->k8s, s->cluster, s->id, &cr, BPG_WHY(why));
	if (err != BPG_OK)
		return bpg_svc_fail(svc, err, "%s", why);
	bpg_sub_row_init(&obs);
	err = bpg_appstate_observe(cr, &obs);
	cJSON_Delete(cr);
	if (err == BPG_OK && (obs.submission_id = strdup(s->id)) == NULL)
		err = BPG_ENOMEM;
	if (err == BPG_OK && (!s->have_row || store_observation(svc, s, &obs, flags) != BPG_OK)) {
		if (!s->have_row && (s->row.submission_id = strdup(s->id)) == NULL)
			err = BPG_ENOMEM;
		else
			bpg_svc_merge(&s->row, &obs, svc->now_ms());
	}
	bpg_sub_row_release(&obs);
	return err == BPG_OK ? BPG_OK : bpg_svc_fail(svc, err, "out of memory");
}

enum bpg_err
bpg_svc_refresh(struct bpg_svc *svc, struct bpg_svc_sub *s, int flags)
{
	enum bpg_err err;

	if (s->have_row && bpg_svc_fresh(&s->row, svc->now_ms(),
	    svc->cfg->gateway.status_max_age_ms))
		return BPG_OK;
	err = status_live(svc, s, flags);
	if (err != BPG_OK && s->have_row && (err == BPG_ENOTFOUND || err == BPG_EUNAVAIL ||
	    err == BPG_EUPSTREAM)) {
		/* the stored state is the best answer there is */
		bpg_svc_clear(svc);
		err = BPG_OK;
	}
	return err;
}

enum bpg_err
bpg_svc_status(struct bpg_svc *svc, const char *id, int flags, struct bpg_svc_sub *s)
{
	enum bpg_err err = bpg_svc_lookup(svc, id, flags, s);

	return err != BPG_OK ? err : bpg_svc_refresh(svc, s, flags);
}

/* Reads the CR of a looked-up submission; a missing CR of a known row says why. */
static enum bpg_err
get_cr(struct bpg_svc *svc, const struct bpg_svc_sub *s, cJSON **cr)
{
	char why[WHY];
	enum bpg_err err = bpg_k8s_get_app(svc->k8s, s->cluster, s->id, cr, BPG_WHY(why));

	if (err == BPG_ENOTFOUND && s->have_row)
		return bpg_svc_fail(svc, err, "SparkApplication %s no longer exists on cluster %s "
		    "(removed after it ended); its status is still at /spark/%s/status", s->id,
		    s->cluster->id, s->id);
	if (err != BPG_OK)
		return bpg_svc_fail(svc, err, "%s", why);
	return BPG_OK;
}

enum bpg_err
bpg_svc_app(struct bpg_svc *svc, const char *id, int mask, struct bpg_svc_sub *s,
    cJSON **cr_out)
{
	enum bpg_err err;

	*cr_out = NULL;
	if ((err = bpg_svc_lookup(svc, id, 0, s)) != BPG_OK || (err = get_cr(svc, s, cr_out)) != BPG_OK)
		return err;
	if (mask)
		bpg_mask_app(*cr_out, &svc->cfg->gateway.mask_patterns);
	return BPG_OK;
}

/* The driver pod's name and start into out, from CR cr. */
static enum bpg_err
driver_pod(struct bpg_svc *svc, const struct bpg_svc_sub *s, const cJSON *cr,
    struct bpg_svc_driver *out)
{
	const cJSON *pn, *st, *t;
	cJSON *pod = NULL;
	char why[WHY];
	enum bpg_err err;

	pn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cr, "status"), "driverInfo"), "podName");
	if (!cJSON_IsString(pn))
		return BPG_OK;
	err = bpg_k8s_get_pod(svc->k8s, s->cluster, pn->valuestring, &pod, BPG_WHY(why));
	if (err != BPG_OK && err != BPG_ENOTFOUND)
		return bpg_svc_fail(svc, err, "%s", why);
	st = cJSON_GetObjectItemCaseSensitive(pod, "status");
	if (cJSON_IsObject(st)) {
		if (strlen(pn->valuestring) >= sizeof(out->pod)) {
			cJSON_Delete(pod);
			return bpg_svc_fail(svc, BPG_EUPSTREAM, "driver pod name too long");
		}
		memcpy(out->pod, pn->valuestring, strlen(pn->valuestring) + 1);
		t = cJSON_GetObjectItemCaseSensitive(st, "startTime");
		out->start_ms = bpg_appstate_parse_time(cJSON_IsString(t) ? t->valuestring : NULL);
		out->found = 1;
	}
	cJSON_Delete(pod);
	return BPG_OK;
}

enum bpg_err
bpg_svc_driver(struct bpg_svc *svc, const char *id, struct bpg_svc_driver *out)
{
	struct bpg_svc_sub s;
	cJSON *cr = NULL;
	enum bpg_err err;

	memset(out, 0, sizeof(*out));
	out->start_ms = -1;
	if ((err = bpg_svc_app(svc, id, 0, &s, &cr)) == BPG_OK)
		err = driver_pod(svc, &s, cr, out);
	cJSON_Delete(cr);
	bpg_svc_sub_release(&s);
	return err;
}

void
bpg_svc_describe_release(struct bpg_svc_describe *d)
{
	cJSON_Delete(d->cr);
	cJSON_Delete(d->app_events);
	cJSON_Delete(d->driver_events);
	memset(d, 0, sizeof(*d));
}

enum bpg_err
bpg_svc_describe(struct bpg_svc *svc, const char *id, struct bpg_svc_sub *s,
    struct bpg_svc_describe *out)
{
	struct bpg_buf pod;
	char why[WHY];
	enum bpg_err err;

	memset(out, 0, sizeof(*out));
	if ((err = bpg_svc_app(svc, id, 1, s, &out->cr)) != BPG_OK)
		return err;
	bpg_buf_init(&pod, 512);
	if ((err = bpg_buf_printf(&pod, "%s-driver", s->id)) != BPG_OK ||
	    (err = bpg_k8s_list_events(svc->k8s, s->cluster, s->id, NULL, &out->app_events,
	    BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_k8s_list_events(svc->k8s, s->cluster, pod.data, NULL, &out->driver_events,
	    BPG_WHY(why))) != BPG_OK)
		bpg_svc_fail(svc, err, "%s", err == BPG_ENOMEM ? "out of memory" : why);
	bpg_buf_release(&pod);
	return err;
}

/* Deletes a looked-up submission's SparkApplication (gone already is fine); notes who did. */
static enum bpg_err
delete_app(struct bpg_svc *svc, const struct bpg_svc_sub *s)
{
	char why[WHY], note[256];
	enum bpg_err err = bpg_k8s_delete_app(svc->k8s, s->cluster, s->id, NULL, BPG_WHY(why));

	if (err != BPG_OK && err != BPG_ENOTFOUND)
		return bpg_svc_fail(svc, err, "%s", why);
	if (s->have_row) {
		snprintf(note, sizeof(note), "deleted by %s", svc->user->name);
		if (bpg_subdb_mark_deleted(svc->db, s->id, note) != BPG_OK)
			bpg_log(BPG_LOG_WARN, "delete", "could not record the deletion", "id", s->id,
			    NULL);
	}
	bpg_log(BPG_LOG_INFO, "delete", "deleted", "id", s->id, "cluster", s->cluster->id,
	    "existed", err == BPG_OK ? "true" : "false", NULL);
	return BPG_OK;
}

enum bpg_err
bpg_svc_delete(struct bpg_svc *svc, const char *id, struct bpg_svc_sub *s)
{
	enum bpg_err err = bpg_svc_lookup(svc, id, BPG_SVC_WRITE, s);

	return err != BPG_OK ? err : delete_app(svc, s);
}

void
bpg_svc_batch_init(struct bpg_svc_batch *b)
{
	b->id = -1;
	b->killed = 0;
	bpg_svc_sub_init(&b->sub);
}

void
bpg_svc_batch_release(struct bpg_svc_batch *b)
{
	bpg_svc_sub_release(&b->sub);
}

enum bpg_err
bpg_svc_batch_lookup(struct bpg_svc *svc, const char *id, int flags, struct bpg_svc_batch *b)
{
	char *sid = NULL;
	enum bpg_err err;

	bpg_svc_batch_init(b);
	if (bpg_livy_int_param(id, INT_MAX, &b->id) != BPG_OK)
		return bpg_svc_fail(svc, BPG_EINVAL, "'%s' is not a batch id (a whole number)", id);
	err = bpg_subdb_livy_get(svc->db, b->id, &sid, &b->killed);
	if (err == BPG_ENOTFOUND)
		return bpg_svc_fail(svc, err, "Session '%lld' not found.", b->id);
	if (err != BPG_OK)
		return bpg_svc_fail(svc, BPG_EUNAVAIL, "database unavailable");
	err = bpg_svc_lookup(svc, sid, flags, &b->sub);
	if (err == BPG_OK && !b->sub.have_row)
		err = bpg_svc_fail(svc, BPG_ENOTFOUND, "Session '%lld' not found.", b->id);
	/* sub.id points into sub.row when there is a row: sid is no longer needed */
	free(sid);
	return err;
}

enum bpg_err
bpg_svc_batch_get(struct bpg_svc *svc, const char *id, struct bpg_svc_batch *b)
{
	enum bpg_err err = bpg_svc_batch_lookup(svc, id, 0, b);

	return err != BPG_OK ? err : bpg_svc_refresh(svc, &b->sub, 0);
}

enum bpg_err
bpg_svc_batch_delete(struct bpg_svc *svc, const char *id, struct bpg_svc_batch *b)
{
	enum bpg_err err;

	if ((err = bpg_svc_batch_lookup(svc, id, BPG_SVC_WRITE, b)) != BPG_OK ||
	    (err = delete_app(svc, &b->sub)) != BPG_OK)
		return err;
	if (bpg_subdb_livy_kill(svc->db, b->id) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "livy", "could not mark the batch killed", "id", b->sub.id, NULL);
	return BPG_OK;
}
