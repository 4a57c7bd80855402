/* bpg-fcgi: POST /spark: validate, route, record, create the SparkApplication. */
#define _GNU_SOURCE   /* strcasestr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_crd.h"
#include "bpg_fcgi.h"
#include "bpg_idem.h"
#include "bpg_jwt.h"
#include "bpg_json.h"
#include "bpg_log.h"
#include "bpg_metrics.h"
#include "bpg_mask.h"
#include "bpg_query.h"
#include "bpg_request.h"
#include "bpg_place.h"
#include "bpg_subdb.h"
#include "bpg_subid.h"
#include "bpg_submit.h"

#define SUBMIT_MAX_BODY   ((size_t)1 << 20)
#define WHY 1024
#define MANAGED_BY_KEY    "app.kubernetes.io/managed-by"
#define MANAGED_BY_VALUE  "bpg"

/* Everything one submit works on; released by submit_release(). */
struct submit {
	struct bpg_submit_req *req;
	const char *user;             /* the owner: the proxy user */
	const char *idem;             /* Idempotency-Key or NULL */
	struct bpg_principal proxy;   /* dagUser, when a proxy user submits for them */
	int dry_run;
	char *stored;                 /* masked request JSON for the row */
	char *summary;                /* what lists show of it (the row's summary_fields) */
	const char *tried[2];         /* clusters already tried (failover) */
	size_t ntried;
	struct bpg_submit_plan plan;  /* queue, cluster, id and CR (bpg_submit) */
	char fp[BPG_IDEM_FP_LEN + 1];  /* the keyed request's fingerprint */
	char *takeover_claim;         /* taking over row id: the dead worker's claim (or NULL) */
	int takeover;                 /* id and cluster are those of a row a dead worker left */
	const struct bpg_submit_front *front;
};

static void
submit_release(struct submit *s)
{
	bpg_request_free(s->req);
	free(s->stored);
	free(s->summary);
	free(s->takeover_claim);
	bpg_submit_plan_release(&s->plan);
}

/* Replies 200 {"submissionId":id}; replayed marks an Idempotency-Key replay. */
static enum bpg_err
reply_id(struct bpg_app *app, struct bpg_http_req *req, const char *id, int replayed)
{
	cJSON *j = cJSON_CreateObject();
	struct bpg_buf b;
	enum bpg_err err;

	(void)app;
	bpg_buf_init(&b, 0);
	if (j == NULL || cJSON_AddStringToObject(j, "submissionId", id) == NULL ||
	    bpg_json_print(j, &b) != BPG_OK) {
		cJSON_Delete(j);
		bpg_buf_release(&b);
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	}
	err = bpg_http_reply(req, 200, "application/json",
	    replayed ? "Idempotent-Replayed: true\r\n" : NULL, b.data, b.len);
	cJSON_Delete(j);
	bpg_buf_release(&b);
	return err;
}

/* Checks the Idempotency-Key header (bpg_idem_key_check). */
static enum bpg_err
idem_key(struct bpg_http_req *req, const char **out)
{
	const char *k = bpg_http_param(req, "HTTP_IDEMPOTENCY_KEY");
	char why[WHY];

	*out = NULL;
	if (k == NULL)
		return BPG_OK;
	if (bpg_idem_key_check(k, why, sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	*out = k;
	return BPG_OK;
}

/* /skatev2 accepts unknown nested fields as BPG did: each named in a Warning and logged. */
static void
warn_ignored(struct bpg_http_req *req, const cJSON *ignored)
{
	char text[BPG_REQ_PATH_MAX + 32];
	const cJSON *it;

	cJSON_ArrayForEach(it, ignored) {
		snprintf(text, sizeof(text), "unknown field ignored: %s", it->valuestring);
		bpg_http_warn(req, text);
		bpg_log(BPG_LOG_WARN, "submit", "unknown field ignored", "field", it->valuestring,
		    "user", req->user.name, NULL);
	}
}

/* Parses the query and the body; decides the owner. Nothing is touched yet. */
static enum bpg_err
submit_parse(struct bpg_app *app, struct bpg_http_req *req, struct submit *s)
{
	static const char *const names[] = { "dryRun", "dagUser", NULL };
	const char *ct = bpg_http_param(req, "CONTENT_TYPE"), *dag;
	struct bpg_query q;
	struct bpg_buf body;
	char why[WHY];
	enum bpg_err err;

	if ((err = bpg_query_parse(req->query, &q, why, sizeof(why))) != BPG_OK ||
	    (err = bpg_query_only(&q, names, why, sizeof(why))) != BPG_OK ||
	    (err = bpg_query_bool(&q, "dryRun", 0, &s->dry_run, why, sizeof(why))) != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	s->user = req->user.name;
	dag = bpg_query_get(&q, "dagUser");
	if (dag != NULL && strcmp(dag, req->user.name) != 0 &&
	    !bpg_strlist_has(&app->cfg->auth.proxy_users, req->user.name)) {
		/* the Java gateway ignored it; /apiv2 says so rather than submit as someone else */
		if (!bpg_http_is_legacy(req))
			return bpg_http_fail(req, BPG_EFORBIDDEN, "dagUser: user %s may not submit for "
			    "another user (only [auth] proxy_users may)", req->user.name);
		bpg_http_warn(req, "dagUser ignored: the caller is not one of [auth] proxy_users");
		dag = NULL;
	}
	if (dag != NULL && strcmp(dag, req->user.name) != 0) {
		if (bpg_auth_identify(&app->cfg->auth, dag, NULL, &s->proxy) != BPG_OK)
			return bpg_http_fail(req, BPG_EINVAL, "dagUser: not an allowed user name");
		s->user = s->proxy.name;
	}
	if ((err = idem_key(req, &s->idem)) != BPG_OK)
		return err;
	bpg_buf_init(&body, SUBMIT_MAX_BODY);
	err = bpg_http_read_body(req, SUBMIT_MAX_BODY, &body);
	if (err == BPG_OK && (err = bpg_request_parse_body(body.data ? body.data : "", body.len,
	    (bpg_request_is_yaml(ct) ? BPG_REQ_YAML : 0) |
	    (bpg_http_is_legacy(req) ? BPG_REQ_JAVA : BPG_REQ_STRICT), &s->req, why,
	    sizeof(why))) != BPG_OK)
		bpg_http_fail(req, err, "%s", why);
	bpg_buf_release(&body);
	if (err == BPG_OK)
		warn_ignored(req, s->req->ignored);
	return err;
}

/* The pipeline's input for this request (bpg_submit). */
static void
submit_in(struct bpg_app *app, const struct bpg_http_req *req, const struct submit *s,
    struct bpg_submit_in *in)
{
	memset(in, 0, sizeof(*in));
	in->cfg = app->cfg;
	in->req = s->req;
	in->user = req->user.name;
	in->owner = s->user;
	in->admin = req->user.admin;
	in->queue_secrets = &app->queue_secrets;
	in->now_s = (long long)time(NULL);
	in->exclude = s->tried;
	in->n_exclude = s->ntried;
	in->zone_counter = app->zone_counter;
}

/* Resolves the queue, checks its token and the queue-dependent rules (bpg_submit_queue). */
static enum bpg_err
submit_queue(struct bpg_app *app, struct bpg_http_req *req, struct submit *s)
{
	struct bpg_submit_in in;
	char why[WHY];
	enum bpg_err err;

	submit_in(app, req, s, &in);
	if ((err = bpg_submit_queue(&in, &s->plan, why, sizeof(why))) != BPG_OK)
		/* a queue token: 403; the Java gateway said 400 (/skatev2) */
		return bpg_http_fail(req, err == BPG_EFORBIDDEN && bpg_http_is_legacy(req) &&
		    s->plan.qconf != NULL && s->plan.qconf->secure ? BPG_EINVAL : err, "%s", why);
	return BPG_OK;
}

/* Routes (excluding clusters tried), makes the id and builds the CR (bpg_submit_build). */
static enum bpg_err
submit_build(struct bpg_app *app, struct bpg_http_req *req, struct submit *s)
{
	struct bpg_submit_in in;
	char why[WHY];
	enum bpg_err err;

	submit_in(app, req, s, &in);
	app->zone_counter++;
	if (!s->takeover)
		s->plan.cluster = NULL;   /* a new pick (failover); a take-over keeps its own */
	if ((err = bpg_submit_build(&in, &s->plan, why, sizeof(why))) != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	return BPG_OK;
}

/*
 * Inserts the row, claimed by this worker. BPG_ECONFLICT, with nothing answered, when a
 * racing request inserted the same Idempotency-Key first; other failures are answered.
 */
static enum bpg_err
submit_record(struct bpg_app *app, struct bpg_http_req *req, struct submit *s)
{
	struct bpg_sub_row row;
	cJSON *stored;
	enum bpg_err err;

	if (s->stored == NULL) {
		if ((stored = bpg_request_to_json(s->req)) == NULL)
			return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		bpg_mask_request(stored, &app->cfg->gateway.mask_patterns);
		s->stored = cJSON_PrintUnformatted(stored);
		s->summary = bpg_appstate_summary_fields(stored);
		cJSON_Delete(stored);
		if (s->stored == NULL || s->summary == NULL)
			return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	}
	bpg_sub_row_init(&row);
	row.submission_id = s->plan.id;
	row.cluster_id = (char *)s->plan.cluster->id;
	row.namespace = s->plan.cluster->namespace;
	row.user = (char *)s->user;
	row.original_user = req->user.name;
	row.app_name = (char *)s->req->app_name;
	row.spark_version = (char *)s->req->spark_version;
	row.queue = s->plan.queue;
	row.request_body = s->stored;
	row.summary_fields = s->summary;
	row.idempotency_key = (char *)s->idem;
	row.idem_fingerprint = s->idem != NULL ? s->fp : NULL;
	row.claim_owner = (char *)bpg_db_claim(app->db);
	row.max_running_millis = s->req->max_running_ms > 0 ? s->req->max_running_ms :
	    s->plan.qconf->max_running_millis;
	row.driver_core = s->req->driver.cores > 0 ? s->req->driver.cores : 1;
	row.driver_memory_mb = s->req->driver.memory_mb > 0 ? s->req->driver.memory_mb : 1024;
	row.number_executor = s->req->executor.instances >= 0 ? s->req->executor.instances : 1;
	row.executor_core = s->req->executor.cores > 0 ? s->req->executor.cores : 1;
	row.executor_memory_mb = s->req->executor.memory_mb > 0 ? s->req->executor.memory_mb : 1024;
	err = bpg_subdb_insert(app->db, &row);
	if (err == BPG_ECONFLICT && s->idem != NULL)
		return BPG_ECONFLICT;
	if (err == BPG_EUNAVAIL)
		return bpg_http_fail(req, err, "database unavailable: nothing was submitted");
	if (err != BPG_OK)
		return bpg_http_fail(req, BPG_EINTERNAL, "cannot record the submission");
	return BPG_OK;
}

/*
 * Records a create the cluster refused for good (a 4xx, or credentials): the row is
 * SUBMISSION_FAILED. A keyed request's answer is kept for its retries when it is a 4xx (the
 * same request would fail the same way); after a 5xx the key is freed, so a retry runs again.
 */
static void
record_refusal(struct bpg_app *app, const struct bpg_http_req *req, struct submit *s,
    enum bpg_err err, const char *note)
{
	int status = bpg_err_http_status(err);
	struct bpg_buf b;

	if (s->idem != NULL) {
		bpg_buf_init(&b, 0);
		if (status >= 500 || bpg_http_error_body(req, status, note, &b) != BPG_OK ||
		    bpg_subdb_set_response(app->db, s->plan.id, status, b.data) != BPG_OK)
			(void)bpg_subdb_drop_idempotency(app->db, s->plan.id);
		bpg_buf_release(&b);
	}
	if (bpg_subdb_set_created(app->db, s->plan.id, "SUBMISSION_FAILED", note, -1) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "submit", "the failed create was not recorded", "id", s->plan.id,
		    NULL);
}

/* Creates the CR; returns BPG_EUNAVAIL when another cluster is worth a try. */
static enum bpg_err
submit_create(struct bpg_app *app, struct bpg_http_req *req, struct submit *s)
{
	char why[WHY], note[WHY + 64], created[64];
	enum bpg_err err;
	long long cts = -1;

	err = bpg_k8s_create_app(app->k8s, s->plan.cluster, s->plan.cr, created, sizeof(created),
	    why, sizeof(why));
	if (err == BPG_ECONFLICT && s->takeover) {
		/* the name is this submission's own: the worker that died created it after all */
		bpg_log(BPG_LOG_INFO, "submit", "taken-over submission was created already", "id",
		    s->plan.id, NULL);
		err = BPG_OK;
	}
	if (err == BPG_OK) {
		cts = bpg_appstate_parse_time(created[0] ? created : NULL);
		if (cts < 0)
			cts = bpg_now_ms();
		if (bpg_subdb_set_created(app->db, s->plan.id, NULL, NULL, cts) != BPG_OK)
			bpg_log(BPG_LOG_WARN, "submit", "created, but the row was not updated (the monitor "
			    "will)", "id", s->plan.id, NULL);
		bpg_metrics_submission((int)(s->plan.cluster - app->cfg->clusters),
		    (int)(s->plan.qconf - app->cfg->queues));
		return BPG_OK;
	}
	snprintf(note, sizeof(note), "create failed on cluster %s: %s", s->plan.cluster->id, why);
	bpg_log(BPG_LOG_WARN, "submit", "create failed", "id", s->plan.id, "cluster", s->plan.cluster->id,
	    "error", why, NULL);
	if (err == BPG_EUNAVAIL) {
		/*
		 * The create may have landed before the connection broke, or may still land (a
		 * timeout): take it back now, and mark the row abandoned so that the monitor
		 * deletes the CR if it shows up later.
		 */
		(void)bpg_k8s_delete_app(app->k8s, s->plan.cluster, s->plan.id, NULL, why, sizeof(why));
		if (bpg_subdb_abandon(app->db, s->plan.id, note) != BPG_OK)
			bpg_log(BPG_LOG_WARN, "submit", "the abandoned create was not recorded", "id",
			    s->plan.id, NULL);
	} else {
		record_refusal(app, req, s, err, note);
	}
	return bpg_http_fail(req, err, "%s", note);
}

/* Computes the fingerprint of a keyed request (bpg_idem_fingerprint). */
static enum bpg_err
submit_fingerprint(struct bpg_http_req *req, struct submit *s)
{
	cJSON *j = bpg_request_to_json(s->req);
	enum bpg_err err = j != NULL ? bpg_idem_fingerprint(s->front->route, req->user.name,
	    s->user, j, s->fp) : BPG_ENOMEM;

	cJSON_Delete(j);
	return err == BPG_OK ? BPG_OK : bpg_http_fail(req, err, "cannot fingerprint the request");
}

/* Answers 409: the key's first request is still being processed. */
static enum bpg_err
reply_busy(struct bpg_http_req *req, const char *id)
{
	snprintf(req->err_headers, sizeof(req->err_headers), "Retry-After: 1\r\n");
	if (id == NULL)
		return bpg_http_fail(req, BPG_ECONFLICT, "a request with this Idempotency-Key is "
		    "still being processed: retry later with the same key");
	return bpg_http_fail(req, BPG_ECONFLICT, "a request with this Idempotency-Key is still "
	    "being processed (submission %s): retry later with the same key", id);
}

/* Loads row id and whether its worker lives into seen (row owns the strings). */
static enum bpg_err
idem_load(struct bpg_app *app, const char *id, struct bpg_sub_row *row,
    struct bpg_idem_seen *seen)
{
	enum bpg_err err = bpg_subdb_get(app->db, id, 0, row);

	if (err != BPG_OK)
		return err;
	memset(seen, 0, sizeof(*seen));
	seen->fingerprint = row->idem_fingerprint;
	seen->created_ms = row->created_ms;
	seen->answered = row->idem_status >= 100 && row->idem_response != NULL;
	seen->created = row->cr_created_ms >= 0 || row->status != NULL;
	if (!seen->answered && !seen->created)
		err = bpg_db_claim_alive(app->db, row->claim_owner, &seen->claim_alive);
	return err;
}

/*
 * A keyed request: looks its key up and acts on bpg_idem_decide. *done = 1 when the request
 * was answered here (a replay, 409, 422, or an error); else it goes on as a new submission,
 * or, with s->takeover set, as the take-over of the row a dead worker left (its id, cluster).
 */
static enum bpg_err
idem_lookup(struct bpg_app *app, struct bpg_http_req *req, struct submit *s, int *done)
{
	struct bpg_sub_row row;
	struct bpg_idem_seen seen;
	char *id = NULL;
	enum bpg_err err;

	*done = 1;
	bpg_sub_row_init(&row);
	err = bpg_subdb_find_idempotent(app->db, req->user.name, s->idem, &id);
	if (err == BPG_ENOTFOUND) {
		*done = 0;
		err = BPG_OK;
		goto out;
	}
	if (err != BPG_OK || (err = idem_load(app, id, &row, &seen)) != BPG_OK) {
		err = bpg_http_fail(req, BPG_EUNAVAIL, "database unavailable: nothing was submitted");
		goto out;
	}
	switch (bpg_idem_decide(&seen, s->fp, bpg_now_ms(),
	    app->cfg->gateway.idempotency_ttl_s * 1000LL)) {
	case BPG_IDEM_MISMATCH:
		err = bpg_http_fail(req, BPG_EMISMATCH, "Idempotency-Key was already used for a "
		    "different request (submission %s): nothing was submitted; use a new key for a "
		    "new request", id);
		break;
	case BPG_IDEM_EXPIRED:
		if ((err = bpg_subdb_release_key(app->db, id, s->idem)) != BPG_OK)
			err = bpg_http_fail(req, BPG_EUNAVAIL, "database unavailable: nothing was "
			    "submitted");
		*done = err != BPG_OK;
		break;
	case BPG_IDEM_REPLAY:
		err = bpg_http_reply(req, (int)row.idem_status, "application/json",
		    "Idempotent-Replayed: true\r\n", row.idem_response, strlen(row.idem_response));
		break;
	case BPG_IDEM_CREATED:
		err = s->front->reply(app, req, id, 1);
		break;
	case BPG_IDEM_BUSY:
		err = reply_busy(req, id);
		break;
	case BPG_IDEM_TAKE_OVER:
		s->plan.cluster = bpg_config_cluster(app->cfg, row.cluster_id ? row.cluster_id : "");
		if (s->plan.cluster == NULL) {
			err = bpg_http_fail(req, BPG_EUNAVAIL, "submission %s was for cluster %s, which "
			    "is no longer configured", id, row.cluster_id ? row.cluster_id : "?");
			break;
		}
		snprintf(s->plan.id, sizeof(s->plan.id), "%s", id);
		s->takeover_claim = row.claim_owner;
		row.claim_owner = NULL;
		s->takeover = 1;
		*done = 0;
		break;
	}
out:
	free(id);
	bpg_sub_row_release(&row);
	return err;
}

/*
 * Takes the row a dead worker left over, just before creating its SparkApplication; a
 * racing retry that won it first gets 409 (it will create it).
 */
static enum bpg_err
submit_take_over(struct bpg_app *app, struct bpg_http_req *req, struct submit *s)
{
	enum bpg_err err = bpg_subdb_take_over(app->db, s->plan.id, s->takeover_claim,
	    bpg_db_claim(app->db));

	if (err == BPG_ECONFLICT)
		return reply_busy(req, s->plan.id);
	if (err != BPG_OK)
		return bpg_http_fail(req, BPG_EUNAVAIL, "database unavailable: nothing was submitted");
	bpg_log(BPG_LOG_INFO, "submit", "taking over a submission whose worker died", "id", s->plan.id,
	    NULL);
	return BPG_OK;
}

/*
 * The submit pipeline, for POST /spark (any allowed user) and the Livy batch API. Body: SubmitApplicationRequest (JSON); ?dryRun=true
 * returns the SparkApplication that would be created and creates nothing; ?dagUser= for
 * [auth] proxy_users.
 * Header Idempotency-Key (bpg_idem.h): a retry with the same request gets the first answer
 * (200 with the same id once the SparkApplication exists, or the stored 4xx), marked
 * Idempotent-Replayed; the same key with another request is 422; while the first request is
 * still being processed, 409 with Retry-After; when the worker that handled it died before
 * creating the SparkApplication, the retry takes the row over and creates it (same id, same
 * cluster) before answering. After a 5xx the key is free: a retry runs the request again.
 * 200 {"submissionId":id} only once the SparkApplication exists. 400 invalid (field and
 * rule named), 403 privileges or queue token, 409, 413, 422, 502 cluster credentials, 503
 * database or every eligible cluster down.
 * Order: validate, resolve the queue, route, insert the row (claimed by this worker), create
 * the CR, update the row. A create that fails with a connection error, timeout or 5xx is
 * retried once on another eligible cluster under a new id; the first row is marked
 * SUBMISSION_FAILED with the reason and abandoned (the monitor deletes the CR should it land
 * late). With no other cluster, the answer is the first cluster's error. With the database
 * down nothing is created anywhere. A row whose worker died is taken over by a retry, or
 * failed by the monitor (bpg_subdb_fail_orphan).
 */
static enum bpg_err
submit_run(struct bpg_app *app, struct bpg_http_req *req, struct submit *sp)
{
	struct submit s = *sp;
	char first_msg[BPG_HTTP_MAX_ERROR] = "";
	enum bpg_err err, first_err = BPG_OK;
	int done = 0, raced = 0;

	if (s.idem != NULL && s.dry_run)
		s.idem = NULL;   /* a dry run creates nothing: there is nothing to replay */
	if (s.idem != NULL && ((err = submit_fingerprint(req, &s)) != BPG_OK ||
	    (err = idem_lookup(app, req, &s, &done)) != BPG_OK || done))
		goto out;
	if ((err = submit_queue(app, req, &s)) != BPG_OK)
		goto out;
	for (;;) {
		if ((err = submit_build(app, req, &s)) != BPG_OK) {
			if (s.ntried > 0) {
				/* nowhere to fail over to: the first cluster's failure is the answer */
				req->err = first_err;
				snprintf(req->err_msg, sizeof(req->err_msg), "%s", first_msg);
				err = first_err;
			}
			goto out;
		}
		if (s.dry_run) {
			bpg_mask_app(s.plan.cr, &app->cfg->gateway.mask_patterns);
			err = bpg_http_reply_json(req, 200, s.plan.cr);
			goto out;
		}
		if (s.takeover)
			err = submit_take_over(app, req, &s);
		else
			err = submit_record(app, req, &s);
		if (err == BPG_ECONFLICT && !s.takeover) {
			/* a racing request with the same key inserted first: act on its row */
			if (raced++ || (err = idem_lookup(app, req, &s, &done)) != BPG_OK || done) {
				if (raced > 1)
					err = reply_busy(req, NULL);
				goto out;
			}
			continue;
		}
		if (err != BPG_OK)
			goto out;
		err = submit_create(app, req, &s);
		if (err != BPG_EUNAVAIL || s.ntried >= 1 || s.req->cluster_id != NULL)
			break;
		/* fail over once to another eligible cluster, under a new id */
		s.tried[s.ntried++] = s.plan.cluster->id;
		s.takeover = 0;
		first_err = req->err;
		snprintf(first_msg, sizeof(first_msg), "%s", req->err_msg);
		req->err = BPG_OK;
		req->err_msg[0] = '\0';
	}
	if (err == BPG_OK)
		err = s.front->reply(app, req, s.plan.id, 0);
out:
	submit_release(&s);
	return err;
}

enum bpg_err
bpg_submit_run(struct bpg_app *app, struct bpg_http_req *req, const struct bpg_submit_args *in,
    const struct bpg_submit_front *front)
{
	struct submit s;

	memset(&s, 0, sizeof(s));
	s.req = in->req;
	s.user = in->owner;
	s.idem = in->idem;
	s.dry_run = in->dry_run;
	s.front = front;
	return submit_run(app, req, &s);
}

/* POST /spark: see submit_run. */
enum bpg_err
h_submit(struct bpg_app *app, struct bpg_http_req *req)
{
	static const struct bpg_submit_front spark = { "POST /spark", reply_id };
	struct submit s;
	enum bpg_err err;

	memset(&s, 0, sizeof(s));
	s.front = &spark;
	if ((err = submit_parse(app, req, &s)) != BPG_OK) {
		submit_release(&s);
		return err;
	}
	return submit_run(app, req, &s);
}
