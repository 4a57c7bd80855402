/* bpg-fcgi: what every front needs around the service: its context and its errors. */
#include <stdio.h>
#include "bpg_fcgi.h"
#include "bpg_json.h"
#include "bpg_metrics.h"
#include "bpg_time.h"

void
bpg_front_svc(struct bpg_app *app, const struct bpg_http_req *req, struct bpg_svc *svc)
{
	svc->cfg = app->cfg;
	svc->db = app->db;
	svc->k8s = app->k8s;
	svc->s3 = app->s3;
	svc->queue_secrets = &app->queue_secrets;
	svc->zone_counter = &app->zone_counter;
	svc->now_ms = bpg_time_now_ms;
	svc->count_submission = bpg_metrics_submission;
	svc->user = &req->user;
	svc->legacy = bpg_http_is_legacy(req);
	svc->livy = req->livy;
	bpg_svc_init(svc);
}

enum bpg_err
bpg_front_fail(struct bpg_http_req *req, const struct bpg_svc *svc, enum bpg_err err)
{
	if (err == BPG_OK || svc->e.err == BPG_OK)
		return err;
	if (svc->e.retry_after > 0 && req->err == BPG_OK)
		snprintf(req->err_headers, sizeof(req->err_headers), "Retry-After: %d\r\n",
		    svc->e.retry_after);
	return bpg_http_fail(req, svc->e.err, "%s", svc->e.msg);
}

enum bpg_err
bpg_front_reply_json(struct bpg_http_req *req, int status, const char *extra, const cJSON *j)
{
	struct bpg_buf b;
	enum bpg_err err;

	bpg_buf_init(&b, 0);
	if (j == NULL || bpg_json_print(j, &b) != BPG_OK)
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	else
		err = bpg_http_reply(req, status, "application/json", extra, b.data, b.len);
	bpg_buf_release(&b);
	return err;
}
