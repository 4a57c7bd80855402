/* bpg-fcgi: POST /spark (/apiv2 and /skatev2): the request parsed, the service's answer. */
#include <stdio.h>
#include <string.h>
#include <cJSON.h>
#include "bpg_fcgi.h"
#include "bpg_idem.h"
#include "bpg_json.h"
#include "bpg_log.h"
#include "bpg_query.h"
#include "bpg_request.h"

#define SUBMIT_MAX_BODY   ((size_t)1 << 20)
#define WHY 1024

/* What POST /spark parsed (req goes to the service, which frees it). */
struct submit {
	struct bpg_submit_req *req;   /* handed to the service, which frees it */
	const char *user;             /* the owner: the caller, or the dagUser */
	const char *idem;             /* Idempotency-Key or NULL */
	struct bpg_principal proxy;   /* dagUser, when a proxy user submits for them */
	int dry_run;
};

/* Replies 200 {"submissionId":id}; replayed marks an Idempotency-Key replay. */
static enum bpg_err
reply_id(struct bpg_http_req *req, const char *id, int replayed)
{
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err;

	if (j != NULL && cJSON_AddStringToObject(j, "submissionId", id) == NULL) {
		cJSON_Delete(j);
		j = NULL;
	}
	err = bpg_front_reply_json(req, 200, replayed ? "Idempotent-Replayed: true\r\n" : NULL, j);
	cJSON_Delete(j);
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
	if (bpg_idem_key_check(k, BPG_WHY(why)) != BPG_OK)
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

	if ((err = bpg_query_parse(req->query, &q, BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_query_only(&q, names, BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_query_bool(&q, "dryRun", 0, &s->dry_run, BPG_WHY(why))) != BPG_OK)
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
	    (bpg_http_is_legacy(req) ? BPG_REQ_JAVA : BPG_REQ_STRICT), &s->req,
	    BPG_WHY(why))) != BPG_OK)
		bpg_http_fail(req, err, "%s", why);
	bpg_buf_release(&body);
	if (err == BPG_OK)
		warn_ignored(req, s->req->ignored);
	return err;
}

/*
 * POST /spark (any allowed user). Body: SubmitApplicationRequest (JSON or YAML);
 * ?dryRun=true returns the SparkApplication that would be created and creates nothing;
 * ?dagUser= for [auth] proxy_users. Header Idempotency-Key: a retry gets the first answer,
 * marked Idempotent-Replayed. 200 {"submissionId":id} only once the SparkApplication exists.
 * 400 invalid (field and rule named), 403 privileges or queue token, 409 (Retry-After), 413,
 * 422, 502 cluster credentials, 503 database or every eligible cluster down. The lifecycle
 * (the row, the create, failover, take-over) is bpg_svc_submit's: see lib/bpg_service_submit.c.
 */
enum bpg_err
h_submit(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	struct bpg_svc_submit_in in;
	struct bpg_svc_submit_out out;
	struct submit s;
	enum bpg_err err;

	memset(&s, 0, sizeof(s));
	bpg_svc_submit_out_init(&out);
	if ((err = submit_parse(app, req, &s)) != BPG_OK) {
		bpg_request_free(s.req);
		return err;
	}
	memset(&in, 0, sizeof(in));
	in.req = s.req;
	in.route = "POST /spark";
	in.owner = s.user;
	in.idem = s.idem;
	in.dry_run = s.dry_run;
	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_submit(&svc, &in, &out)) != BPG_OK)
		err = bpg_front_fail(req, &svc, err);
	else if (out.outcome == BPG_SVC_DRY_RUN)
		err = bpg_http_reply_json(req, 200, out.cr);
	else if (out.outcome == BPG_SVC_REPLAY)
		err = bpg_http_reply(req, out.status, "application/json",
		    "Idempotent-Replayed: true\r\n", out.body, strlen(out.body));
	else
		err = reply_id(req, out.id, out.replayed);
	bpg_svc_submit_out_release(&out);
	return err;
}
