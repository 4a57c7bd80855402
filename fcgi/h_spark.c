/* bpg-fcgi: GET /spark/{id}/status|spec|driver|describe and DELETE /spark/{id}. */
#include <stdio.h>
#include <string.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_fcgi.h"
#include "bpg_yaml.h"
#include "bpg_time.h"

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
	struct bpg_svc svc;
	struct bpg_svc_sub s;
	cJSON *j = NULL;
	enum bpg_err err;

	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_status(&svc, req->match.params[0], on_own_base(app, req) ?
	    BPG_SVC_ATTEMPTS : 0, &s)) != BPG_OK)
		err = bpg_front_fail(req, &svc, err);
	else if ((err = bpg_appstate_status_json(&s.row, s.cluster, bpg_time_now_ms(), &j)) != BPG_OK)
		bpg_http_fail(req, err, "out of memory");
	else
		err = bpg_http_reply_json(req, 200, j);
	cJSON_Delete(j);
	bpg_svc_sub_release(&s);
	return err;
}

/*
 * GET /spark/{id}/spec: the SparkApplication's spec with secrets masked (Spark conf values
 * whose keys match [gateway] mask_patterns, env values). 200, 400, 403, 404, 502, 503.
 */
enum bpg_err
h_spark_spec(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	struct bpg_svc_sub s;
	cJSON *cr = NULL;
	const cJSON *spec;
	enum bpg_err err;

	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_app(&svc, req->match.params[0], 1, &s, &cr)) != BPG_OK)
		err = bpg_front_fail(req, &svc, err);
	else if (!cJSON_IsObject(spec = cJSON_GetObjectItemCaseSensitive(cr, "spec")))
		err = bpg_http_fail(req, BPG_EUPSTREAM, "SparkApplication %s has no spec", s.id);
	else
		err = bpg_http_reply_json(req, 200, spec);
	cJSON_Delete(cr);
	bpg_svc_sub_release(&s);
	return err;
}

/*
 * GET /spark/{id}/driver: {"podName":P,"startTime":ms} of the driver pod, {} when it has
 * none (yet, or any more). 200, 400, 403, 404, 502, 503.
 */
enum bpg_err
h_spark_driver(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	struct bpg_svc_driver d;
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err;

	if (j == NULL)
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_driver(&svc, req->match.params[0], &d)) != BPG_OK)
		err = bpg_front_fail(req, &svc, err);
	else if (d.found && (cJSON_AddStringToObject(j, "podName", d.pod) == NULL ||
	    (d.start_ms >= 0 && cJSON_AddNumberToObject(j, "startTime", (double)d.start_ms) == NULL)))
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	else
		err = bpg_http_reply_json(req, 200, j);
	cJSON_Delete(j);
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
	struct bpg_svc svc;
	struct bpg_svc_sub s;
	struct bpg_svc_describe d;
	struct bpg_buf out;
	enum bpg_err err;

	bpg_buf_init(&out, 0);
	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_describe(&svc, req->match.params[0], &s, &d)) != BPG_OK) {
		err = bpg_front_fail(req, &svc, err);
		goto out;
	}
	if ((err = bpg_buf_puts(&out, "--- Spark Spec ---\n")) != BPG_OK ||
	    (err = bpg_yaml_emit(cJSON_GetObjectItemCaseSensitive(d.cr, "spec"), &out)) != BPG_OK ||
	    (err = bpg_buf_puts(&out, "\n--- Spark Application Events ---\n")) != BPG_OK ||
	    (err = describe_events(d.app_events, &out)) != BPG_OK ||
	    (err = bpg_buf_puts(&out, "--- Spark Driver Events ---\n")) != BPG_OK ||
	    (err = describe_events(d.driver_events, &out)) != BPG_OK) {
		bpg_http_fail(req, err, "cannot write the description");
		goto out;
	}
	err = bpg_http_reply(req, 200, "application/octet-stream", NULL, out.data, out.len);
out:
	bpg_svc_describe_release(&d);
	bpg_buf_release(&out);
	bpg_svc_sub_release(&s);
	return err;
}

/*
 * DELETE /spark/{id} (owner or admin): deletes the SparkApplication (its pods go with it)
 * and records who did; 200 {"submissionId":id} also when it was already gone.
 * 400, 403, 404 (unknown to the database and not an admin), 502, 503.
 */
enum bpg_err
h_spark_delete(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	struct bpg_svc_sub s;
	cJSON *j = NULL;
	enum bpg_err err;

	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_delete(&svc, req->match.params[0], &s)) != BPG_OK)
		err = bpg_front_fail(req, &svc, err);
	else if ((j = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(j, "submissionId", s.id) == NULL)
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	else
		err = bpg_http_reply_json(req, 200, j);
	cJSON_Delete(j);
	bpg_svc_sub_release(&s);
	return err;
}
