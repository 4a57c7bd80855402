/* bpg-fcgi: GET /spark/{id}/status|spec|driver|describe and DELETE /spark/{id}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_fcgi.h"
#include "bpg_log.h"
#include "bpg_mask.h"
#include "bpg_subdb.h"
#include "bpg_subid.h"
#include "bpg_yaml.h"

#define WHY 512

enum bpg_err
bpg_sub_lookup(struct bpg_app *app, struct bpg_http_req *req, int flags, struct bpg_sub *s)
{
	return bpg_sub_lookup_id(app, req, req->match.params[0], flags, s);
}

enum bpg_err
bpg_sub_lookup_id(struct bpg_app *app, struct bpg_http_req *req, const char *id,
    int flags, struct bpg_sub *s)
{
	int by_app = bpg_subid_is_app_id(id);
	char why[WHY];
	enum bpg_err err;

	bpg_sub_row_init(&s->row);
	s->have_row = 0;
	s->cluster = NULL;
	if (!by_app && bpg_subid_parse(app->cfg, id, &s->cluster, why, sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	err = (flags & BPG_SUB_ATTEMPTS) ? bpg_subdb_get_attempts(app->db, id, by_app, &s->row) :
	    bpg_subdb_get(app->db, id, by_app, &s->row);
	if (err == BPG_OK) {
		s->have_row = 1;
		s->cluster = bpg_config_cluster(app->cfg, s->row.cluster_id ? s->row.cluster_id : "");
		if (s->cluster == NULL && bpg_subid_parse(app->cfg, s->row.submission_id, &s->cluster,
		    why, sizeof(why)) != BPG_OK)
			return bpg_http_fail(req, BPG_EINTERNAL, "submission %s is on cluster %s, which "
			    "is no longer configured", s->row.submission_id,
			    s->row.cluster_id ? s->row.cluster_id : "?");
	} else if (err == BPG_ENOTFOUND) {
		if (by_app)
			return bpg_http_fail(req, BPG_ENOTFOUND, "no submission has Spark application "
			    "id %s", id);
	} else {
		return bpg_http_fail(req, BPG_EUNAVAIL, "database unavailable: %s",
		    bpg_db_last_error(app->db));
	}
	s->id = s->have_row ? s->row.submission_id : id;
	if (req->user.admin || (!(flags & BPG_SUB_WRITE) && app->cfg->auth.open_read))
		return BPG_OK;
	if (!s->have_row)
		return bpg_http_fail(req, BPG_ENOTFOUND, "submission %s not found", id);
	/* the owner, or the account that submitted it (a proxy user for the owner, ?dagUser=) */
	if ((s->row.user == NULL || strcmp(s->row.user, req->user.name) != 0) &&
	    (s->row.original_user == NULL || strcmp(s->row.original_user, req->user.name) != 0))
		return bpg_http_fail(req, BPG_EFORBIDDEN, "submission %s belongs to another user",
		    s->id);
	return BPG_OK;
}

/* Copies the observation into the row for the answer (the row owns the strings). */
static enum bpg_err
merge_observation(struct bpg_sub_row *row, struct bpg_sub_row *obs)
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
	row->status_ms = bpg_now_ms();
	return BPG_OK;
}

/*
 * Stores the observation and answers with the row as stored: the observation when it was
 * newer, else the newer state a concurrent writer (the monitor) stored first. BPG_OK when
 * s->row is the stored row; an error (logged) when the caller must merge obs instead.
 */
static enum bpg_err
store_observation(struct bpg_app *app, struct bpg_sub *s, const struct bpg_sub_row *obs,
    int flags)
{
	struct bpg_sub_row row;
	int applied = 0;
	enum bpg_err err;

	if ((err = bpg_subdb_observe(app->db, obs, &applied)) != BPG_OK) {
		bpg_log(BPG_LOG_WARN, "status", "could not store the observed status", "id", s->id,
		    NULL);
		return err;
	}
	if (!applied)
		bpg_log(BPG_LOG_DEBUG, "status", "the stored status is newer than the one read",
		    "id", s->id, NULL);
	bpg_sub_row_init(&row);
	err = (flags & BPG_SUB_ATTEMPTS) ? bpg_subdb_get_attempts(app->db, s->id, 0, &row) :
	    bpg_subdb_get(app->db, s->id, 0, &row);
	if (err != BPG_OK) {
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
status_live(struct bpg_app *app, struct bpg_http_req *req, struct bpg_sub *s, int flags)
{
	struct bpg_sub_row obs;
	cJSON *cr = NULL;
	char why[WHY];
	enum bpg_err err;

	err = bpg_k8s_get_app(app->k8s, s->cluster, s->id, &cr, why, sizeof(why));
	if (err != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	bpg_sub_row_init(&obs);
	err = bpg_appstate_observe(cr, &obs);
	cJSON_Delete(cr);
	if (err == BPG_OK && (obs.submission_id = strdup(s->id)) == NULL)
		err = BPG_ENOMEM;
	if (err == BPG_OK && (!s->have_row || store_observation(app, s, &obs, flags) != BPG_OK)) {
		if (!s->have_row && (s->row.submission_id = strdup(s->id)) == NULL)
			err = BPG_ENOMEM;
		else
			err = merge_observation(&s->row, &obs);
	}
	bpg_sub_row_release(&obs);
	return err == BPG_OK ? BPG_OK : bpg_http_fail(req, err, "out of memory");
}

enum bpg_err
bpg_sub_refresh(struct bpg_app *app, struct bpg_http_req *req, struct bpg_sub *s, int flags)
{
	long long now = bpg_now_ms();
	int fresh = s->have_row && s->row.status != NULL &&
	    (bpg_appstate_is_final(s->row.status, s->row.gateway_failed) || (s->row.status_ms >= 0 &&
	    now - s->row.status_ms < app->cfg->gateway.status_max_age_ms));
	enum bpg_err err;

	if (fresh)
		return BPG_OK;
	err = status_live(app, req, s, flags);
	if (err != BPG_OK && s->have_row && (err == BPG_ENOTFOUND || err == BPG_EUNAVAIL ||
	    err == BPG_EUPSTREAM)) {
		/* the stored state is the best answer there is */
		req->err = BPG_OK;
		req->err_msg[0] = '\0';
		err = BPG_OK;
	}
	return err;
}

/* True when req came on the configured base path (not the Java gateway's /skatev2). */
static int
on_own_base(const struct bpg_app *app, const struct bpg_http_req *req)
{
	const char *base = app->cfg->gateway.base_path;
	size_t n = strlen(base);

	return strcmp(base, "/skatev2") != 0 && strncmp(req->uri, base, n) == 0 &&
	    (req->uri[n] == '/' || req->uri[n] == '\0');
}

/*
 * GET /spark/{id}/status (owner, admin, or anyone with [auth] open_read).
 * 200 GetSubmissionStatusResponse (spec 3.2); on the configured base path (not /skatev2)
 * also "attempts", the observed attempt history. The row answers while it is fresh
 * ([gateway] status_max_age_ms) or final; otherwise the CR is read and written through
 * when newer than the row (bpg_subdb_observe), and the row as stored answers.
 * When the CR is gone (TTL) the last known state answers (the Java gateway said 404); when
 * the cluster is down a stored state answers. 400 bad id, 403, 404, 503.
 */
enum bpg_err
h_spark_status(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_sub s;
	long long now = bpg_now_ms();
	cJSON *j = NULL;
	enum bpg_err err;
	int flags = on_own_base(app, req) ? BPG_SUB_ATTEMPTS : 0;

	if ((err = bpg_sub_lookup(app, req, flags, &s)) != BPG_OK ||
	    (err = bpg_sub_refresh(app, req, &s, flags)) != BPG_OK)
		goto out;
	if ((err = bpg_appstate_status_json(&s.row, s.cluster, now, &j)) != BPG_OK) {
		bpg_http_fail(req, err, "out of memory");
		goto out;
	}
	err = bpg_http_reply_json(req, 200, j);
out:
	cJSON_Delete(j);
	bpg_sub_row_release(&s.row);
	return err;
}

/* Reads the CR of a looked-up submission; a missing CR of a known row says why. */
static enum bpg_err
get_cr(struct bpg_app *app, struct bpg_http_req *req, struct bpg_sub *s, cJSON **cr)
{
	char why[WHY];
	enum bpg_err err = bpg_k8s_get_app(app->k8s, s->cluster, s->id, cr, why, sizeof(why));

	if (err == BPG_ENOTFOUND && s->have_row)
		return bpg_http_fail(req, err, "SparkApplication %s no longer exists on cluster %s "
		    "(removed after it ended); its status is still at /spark/%s/status", s->id,
		    s->cluster->id, s->id);
	if (err != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	return BPG_OK;
}

/*
 * GET /spark/{id}/spec: the SparkApplication's spec with secrets masked (Spark conf values
 * whose keys match [gateway] mask_patterns, env values). 200, 400, 403, 404, 502, 503.
 */
enum bpg_err
h_spark_spec(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_sub s;
	cJSON *cr = NULL, *spec;
	enum bpg_err err;

	if ((err = bpg_sub_lookup(app, req, 0, &s)) != BPG_OK ||
	    (err = get_cr(app, req, &s, &cr)) != BPG_OK)
		goto out;
	bpg_mask_app(cr, &app->cfg->gateway.mask_patterns);
	spec = cJSON_GetObjectItemCaseSensitive(cr, "spec");
	if (!cJSON_IsObject(spec)) {
		err = bpg_http_fail(req, BPG_EUPSTREAM, "SparkApplication %s has no spec", s.id);
		goto out;
	}
	err = bpg_http_reply_json(req, 200, spec);
out:
	cJSON_Delete(cr);
	bpg_sub_row_release(&s.row);
	return err;
}

/*
 * GET /spark/{id}/driver: {"podName":P,"startTime":ms} of the driver pod, {} when it has
 * none (yet, or any more). 200, 400, 403, 404, 502, 503.
 */
enum bpg_err
h_spark_driver(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_sub s;
	cJSON *cr = NULL, *pod = NULL, *j = cJSON_CreateObject();
	const cJSON *pn, *st;
	char why[WHY];
	enum bpg_err err;

	if (j == NULL)
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	if ((err = bpg_sub_lookup(app, req, 0, &s)) != BPG_OK ||
	    (err = get_cr(app, req, &s, &cr)) != BPG_OK)
		goto out;
	pn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cr, "status"), "driverInfo"), "podName");
	if (cJSON_IsString(pn)) {
		err = bpg_k8s_get_pod(app->k8s, s.cluster, pn->valuestring, &pod, why, sizeof(why));
		if (err != BPG_OK && err != BPG_ENOTFOUND) {
			bpg_http_fail(req, err, "%s", why);
			goto out;
		}
		st = cJSON_GetObjectItemCaseSensitive(pod, "status");
		if (cJSON_IsObject(st)) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(st, "startTime");
			long long ms = bpg_appstate_parse_time(cJSON_IsString(t) ? t->valuestring : NULL);
			if (cJSON_AddStringToObject(j, "podName", pn->valuestring) == NULL ||
			    (ms >= 0 && cJSON_AddNumberToObject(j, "startTime", (double)ms) == NULL)) {
				err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	err = bpg_http_reply_json(req, 200, j);
out:
	cJSON_Delete(j);
	cJSON_Delete(pod);
	cJSON_Delete(cr);
	bpg_sub_row_release(&s.row);
	return err;
}

/* Appends "<lastTimestamp> <reason> <message>\n" for each event of the list. */
static enum bpg_err
describe_events(const cJSON *list, struct bpg_buf *out)
{
	const cJSON *ev;
	enum bpg_err err = BPG_OK;

	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(list, "items")) {
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ev, "lastTimestamp");
		const cJSON *rs = cJSON_GetObjectItemCaseSensitive(ev, "reason");
		const cJSON *ms = cJSON_GetObjectItemCaseSensitive(ev, "message");
		err = bpg_buf_printf(out, "%s %s %s\n", cJSON_IsString(ts) ? ts->valuestring : "null",
		    cJSON_IsString(rs) ? rs->valuestring : "null",
		    cJSON_IsString(ms) ? ms->valuestring : "null");
		if (err != BPG_OK)
			break;
	}
	return err;
}

/*
 * GET /spark/{id}/describe: text (application/octet-stream): the masked spec as YAML, then
 * the application's and the driver pod's events, as the Java gateway writes them.
 */
enum bpg_err
h_spark_describe(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_sub s;
	cJSON *cr = NULL, *ev_app = NULL, *ev_drv = NULL;
	struct bpg_buf out, pod;
	char why[WHY];
	enum bpg_err err;

	bpg_buf_init(&out, 0);
	bpg_buf_init(&pod, 512);
	if ((err = bpg_sub_lookup(app, req, 0, &s)) != BPG_OK ||
	    (err = get_cr(app, req, &s, &cr)) != BPG_OK)
		goto out;
	bpg_mask_app(cr, &app->cfg->gateway.mask_patterns);
	if ((err = bpg_buf_printf(&pod, "%s-driver", s.id)) != BPG_OK ||
	    (err = bpg_k8s_list_events(app->k8s, s.cluster, s.id, NULL, &ev_app, why,
	    sizeof(why))) != BPG_OK ||
	    (err = bpg_k8s_list_events(app->k8s, s.cluster, pod.data, NULL, &ev_drv, why,
	    sizeof(why))) != BPG_OK) {
		bpg_http_fail(req, err, "%s", err == BPG_ENOMEM ? "out of memory" : why);
		goto out;
	}
	if ((err = bpg_buf_puts(&out, "--- Spark Spec ---\n")) != BPG_OK ||
	    (err = bpg_yaml_emit(cJSON_GetObjectItemCaseSensitive(cr, "spec"), &out)) != BPG_OK ||
	    (err = bpg_buf_puts(&out, "\n--- Spark Application Events ---\n")) != BPG_OK ||
	    (err = describe_events(ev_app, &out)) != BPG_OK ||
	    (err = bpg_buf_puts(&out, "--- Spark Driver Events ---\n")) != BPG_OK ||
	    (err = describe_events(ev_drv, &out)) != BPG_OK) {
		bpg_http_fail(req, err, "cannot write the description");
		goto out;
	}
	err = bpg_http_reply(req, 200, "application/octet-stream", NULL, out.data, out.len);
out:
	cJSON_Delete(cr);
	cJSON_Delete(ev_app);
	cJSON_Delete(ev_drv);
	bpg_buf_release(&out);
	bpg_buf_release(&pod);
	bpg_sub_row_release(&s.row);
	return err;
}

enum bpg_err
bpg_sub_delete(struct bpg_app *app, struct bpg_http_req *req, const struct bpg_sub *s)
{
	char why[WHY], note[256];
	enum bpg_err err = bpg_k8s_delete_app(app->k8s, s->cluster, s->id, NULL, why, sizeof(why));

	if (err != BPG_OK && err != BPG_ENOTFOUND)
		return bpg_http_fail(req, err, "%s", why);
	if (s->have_row) {
		snprintf(note, sizeof(note), "deleted by %s", req->user.name);
		if (bpg_subdb_mark_deleted(app->db, s->id, note) != BPG_OK)
			bpg_log(BPG_LOG_WARN, "delete", "could not record the deletion", "id", s->id,
			    NULL);
	}
	bpg_log(BPG_LOG_INFO, "delete", "deleted", "id", s->id, "cluster", s->cluster->id,
	    "existed", err == BPG_OK ? "true" : "false", NULL);
	return BPG_OK;
}

/*
 * DELETE /spark/{id} (owner or admin): deletes the SparkApplication (its pods go with it)
 * and records who did; 200 {"submissionId":id} also when it was already gone.
 * 400, 403, 404 (unknown to the database and not an admin), 502, 503.
 */
enum bpg_err
h_spark_delete(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_sub s;
	cJSON *j = NULL;
	enum bpg_err err;

	if ((err = bpg_sub_lookup(app, req, BPG_SUB_WRITE, &s)) != BPG_OK ||
	    (err = bpg_sub_delete(app, req, &s)) != BPG_OK)
		goto out;
	if ((j = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(j, "submissionId", s.id) == NULL) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	err = bpg_http_reply_json(req, 200, j);
out:
	cJSON_Delete(j);
	bpg_sub_row_release(&s.row);
	return err;
}
