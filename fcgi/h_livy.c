/* bpg-fcgi: Apache Livy's batch API (0.8) under [livy] prefix, mapped onto submissions. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_fcgi.h"
#include "bpg_idem.h"
#include "bpg_json.h"
#include "bpg_livy.h"
#include "bpg_query.h"
#include "bpg_request.h"
#include "bpg_time.h"

#define LIVY_MAX_BODY    ((size_t)1 << 20)
#define LIVY_PAGE_DEFAULT 100
#define LIVY_PAGE_MAX     1000
#define LIVY_LOG_MAX     ((size_t)16 << 20)   /* bytes of driver log read for /log */
#define WHY 1024

/* Livy's CSRF protection: a state-changing call carries X-Requested-By. */
static enum bpg_err
livy_csrf(struct bpg_app *app, struct bpg_http_req *req)
{
	const char *h = bpg_http_param(req, "HTTP_X_REQUESTED_BY");

	if (!app->cfg->livy.csrf || (h != NULL && h[0] != '\0'))
		return BPG_OK;
	return bpg_http_fail(req, BPG_EINVAL, "%s", BPG_LIVY_CSRF_MSG);
}

/* Parses the query against names; the paging numbers from and size into *from, *size. */
static enum bpg_err
livy_query(struct bpg_http_req *req, long long *from, long long *size)
{
	static const char *const names[] = { "from", "size", NULL };
	struct bpg_query q;
	char why[WHY];
	enum bpg_err err;

	if ((err = bpg_query_parse(req->query, &q, BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_query_only(&q, names, BPG_WHY(why))) != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	if (bpg_livy_int_param(bpg_query_get(&q, "from"), INT_MAX, from) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "from: a whole number from 0 is expected");
	if (bpg_livy_int_param(bpg_query_get(&q, "size"), LIVY_PAGE_MAX, size) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "size: a whole number from 0 to %d is expected",
		    LIVY_PAGE_MAX);
	return BPG_OK;
}

/* A JSON array of the lines of text (a final newline ends the last line). */
static cJSON *
lines_json(const char *text, size_t len)
{
	cJSON *a = cJSON_CreateArray(), *line;
	size_t i = 0;

	while (a != NULL && i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;
		char *s = strndup(text + i, n);
		if (s == NULL || (line = cJSON_CreateString(s)) == NULL) {
			free(s);
			cJSON_Delete(a);
			return NULL;
		}
		free(s);
		cJSON_AddItemToArray(a, line);
		i += n + 1;
	}
	return a;
}

/* Adds key: s, or null for NULL. NULL on failure. */
static cJSON *
add_str_or_null(cJSON *j, const char *key, const char *s)
{
	return s != NULL ? cJSON_AddStringToObject(j, key, s) : cJSON_AddNullToObject(j, key);
}

/*
 * Livy's Batch object for submission row, batch id; host is the request's Host (NULL: the
 * log URL is relative). NULL when out of memory.
 */
static cJSON *
livy_batch_json(struct bpg_app *app, const char *host, long long id, int killed,
    const struct bpg_sub_row *row)
{
	const struct bpg_cluster *c = bpg_config_cluster(app->cfg, row->cluster_id ?
	    row->cluster_id : "");
	cJSON *j = cJSON_CreateObject(), *info, *st = NULL, *log;
	const cJSON *ui;
	char url[1024];
	const char *msg = row->error_message;

	if (j == NULL || bpg_appstate_status_json(row, c, bpg_time_now_ms(), &st) != BPG_OK)
		goto fail;
	ui = cJSON_GetObjectItemCaseSensitive(st, "sparkUIUrl");
	/* absolute, as Livy's: the gateway as the client reached it (nginx passes Host) */
	snprintf(url, sizeof(url), "%s%s%s/log?subId=%s", host != NULL && host[0] != '\0' ?
	    "https://" : "", host != NULL ? host : "", app->cfg->gateway.base_path,
	    row->submission_id);
	if (cJSON_AddNumberToObject(j, "id", (double)id) == NULL ||
	    add_str_or_null(j, "name", row->app_name) == NULL ||
	    add_str_or_null(j, "owner", row->original_user) == NULL ||
	    add_str_or_null(j, "proxyUser", row->user) == NULL ||
	    cJSON_AddStringToObject(j, "state", bpg_livy_state(row->status,
	    bpg_appstate_is_final(row->status, row->gateway_failed), killed)) == NULL ||
	    add_str_or_null(j, "appId", row->app_id) == NULL ||
	    (info = cJSON_AddObjectToObject(j, "appInfo")) == NULL ||
	    add_str_or_null(info, "driverLogUrl", url) == NULL ||
	    add_str_or_null(info, "sparkUiUrl", cJSON_IsString(ui) ? ui->valuestring : NULL) == NULL ||
	    (log = lines_json(msg ? msg : "", msg ? strlen(msg) : 0)) == NULL)
		goto fail;
	cJSON_AddItemToObject(j, "log", log);
	cJSON_Delete(st);
	return j;
fail:
	cJSON_Delete(st);
	cJSON_Delete(j);
	return NULL;
}

/* The service's answer: 201 and the Batch, with its Location; or a stored first answer. */
static enum bpg_err
livy_reply_created(struct bpg_app *app, struct bpg_http_req *req,
    const struct bpg_svc_submit_out *out)
{
	cJSON *j;
	char hdr[256];
	enum bpg_err err;

	if (out->outcome == BPG_SVC_REPLAY)
		return bpg_http_reply(req, out->status, "application/json",
		    "Idempotent-Replayed: true\r\n", out->body, strlen(out->body));
	snprintf(hdr, sizeof(hdr), "Location: %s/batches/%lld\r\n%s", app->cfg->livy.prefix,
	    out->batch_id, out->replayed ? "Idempotent-Replayed: true\r\n" : "");
	j = livy_batch_json(app, bpg_http_param(req, "HTTP_HOST"), out->batch_id, 0, &out->row);
	err = bpg_front_reply_json(req, 201, hdr, j);
	cJSON_Delete(j);
	return err;
}

/* The owner: the caller, or proxyUser when the caller may act for others. */
static enum bpg_err
livy_owner(struct bpg_app *app, struct bpg_http_req *req, const char *proxy,
    struct bpg_principal *p, const char **owner)
{
	*owner = req->user.name;
	if (proxy == NULL || strcmp(proxy, req->user.name) == 0)
		return BPG_OK;
	if (!bpg_strlist_has(&app->cfg->auth.proxy_users, req->user.name))
		return bpg_http_fail(req, BPG_EFORBIDDEN, "User '%s' not allowed to impersonate "
		    "'%s'.", req->user.name, proxy);
	if (bpg_auth_identify(&app->cfg->auth, proxy, NULL, p) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "proxyUser: not an allowed user name");
	*owner = p->name;
	return BPG_OK;
}

/* Reads the body as a CreateBatchRequest and turns it into a submit request (*out). */
static enum bpg_err
livy_parse(struct bpg_app *app, struct bpg_http_req *req, struct bpg_submit_req **out,
    const char **proxy, cJSON **body)
{
	struct bpg_buf b;
	cJSON *rj = NULL;
	char why[WHY], *text = NULL;
	enum bpg_err err;

	bpg_buf_init(&b, LIVY_MAX_BODY);
	err = bpg_http_read_body(req, LIVY_MAX_BODY, &b);
	if (err != BPG_OK)
		goto out;
	if ((err = bpg_json_parse_flags(b.data ? b.data : "", b.len, BPG_JSON_NO_NUL, body,
	    BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_livy_request(*body, app->cfg->livy.spark_version, &rj, proxy,
	    BPG_WHY(why))) != BPG_OK) {
		bpg_http_fail(req, err, "%s", why);
		goto out;
	}
	if ((text = cJSON_PrintUnformatted(rj)) == NULL) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = bpg_request_parse(text, strlen(text), out, BPG_WHY(why))) != BPG_OK)
		bpg_http_fail(req, err, "%s", why);
out:
	free(text);
	cJSON_Delete(rj);
	bpg_buf_release(&b);
	return err;
}

/* err, with the request's error message naming Livy's fields, not the pipeline's. */
static enum bpg_err
livy_named(struct bpg_http_req *req, enum bpg_err err)
{
	if (err != BPG_OK && req->status == 0)
		bpg_livy_name_fields(BPG_WHY(req->err_msg));
	return err;
}

/*
 * POST {livy}/batches (any allowed user): Livy's CreateBatchRequest. 201 the Batch (Location:
 * its URL) once its SparkApplication exists; 400 {"msg"} bad input (nothing created), 403
 * proxyUser not allowed, 409/422 Idempotency-Key, 503. Runs the same pipeline as POST /spark.
 */
enum bpg_err
h_livy_create(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	struct bpg_svc_submit_in in;
	struct bpg_svc_submit_out out;
	struct bpg_principal proxy_p;
	const char *proxy = NULL, *key = bpg_http_param(req, "HTTP_IDEMPOTENCY_KEY");
	cJSON *body = NULL;
	char why[WHY];
	enum bpg_err err;

	memset(&in, 0, sizeof(in));
	bpg_svc_submit_out_init(&out);
	if ((err = livy_csrf(app, req)) != BPG_OK)
		return err;
	if (key != NULL && bpg_idem_key_check(key, BPG_WHY(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	if ((err = livy_parse(app, req, &in.req, &proxy, &body)) != BPG_OK ||
	    (err = livy_owner(app, req, proxy, &proxy_p, &in.owner)) != BPG_OK) {
		bpg_request_free(in.req);
		cJSON_Delete(body);
		return livy_named(req, err);
	}
	in.route = "POST /livy/batches";
	in.idem = key;
	in.batch = 1;
	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_submit(&svc, &in, &out)) != BPG_OK)
		err = bpg_front_fail(req, &svc, err);
	else
		err = livy_reply_created(app, req, &out);
	bpg_svc_submit_out_release(&out);
	cJSON_Delete(body);
	return livy_named(req, err);
}

struct livy_list {
	struct bpg_app *app;
	const char *host;
	cJSON *sessions;
};

static enum bpg_err
livy_list_add(void *ctx, long long id, int killed, const struct bpg_sub_row *row)
{
	struct livy_list *l = ctx;
	cJSON *b = livy_batch_json(l->app, l->host, id, killed, row);

	if (b == NULL)
		return BPG_ENOMEM;
	cJSON_AddItemToArray(l->sessions, b);
	return BPG_OK;
}

/*
 * GET {livy}/batches?from=&size= : {"from","total","sessions":[Batch...]}, the caller's
 * batches (an admin's: everyone's), oldest first; size 0 to 1000, default 100.
 */
enum bpg_err
h_livy_list(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	long long from = 0, size = LIVY_PAGE_DEFAULT, total = 0;
	struct livy_list l = { app, bpg_http_param(req, "HTTP_HOST"), NULL };
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err;

	if ((err = livy_query(req, &from, &size)) != BPG_OK)
		goto out;
	if (j == NULL || (l.sessions = cJSON_CreateArray()) == NULL) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_batch_list(&svc, from, size, livy_list_add, &l, &total)) != BPG_OK) {
		err = bpg_front_fail(req, &svc, err);
		goto out;
	}
	cJSON_AddNumberToObject(j, "from", (double)from);
	cJSON_AddNumberToObject(j, "total", (double)total);
	cJSON_AddItemToObject(j, "sessions", l.sessions);
	l.sessions = NULL;
	err = bpg_front_reply_json(req, 200, NULL, j);
out:
	cJSON_Delete(l.sessions);
	cJSON_Delete(j);
	return err;
}

/* {"id","state"} of batch b; NULL when out of memory. */
static cJSON *
livy_state_json(const struct bpg_svc_batch *b)
{
	const struct bpg_sub_row *r = &b->sub.row;
	cJSON *j = cJSON_CreateObject();

	if (j != NULL && (cJSON_AddNumberToObject(j, "id", (double)b->id) == NULL ||
	    cJSON_AddStringToObject(j, "state", bpg_livy_state(r->status,
	    bpg_appstate_is_final(r->status, r->gateway_failed), b->killed)) == NULL)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/* The Batch, or with state_only {"id","state"}, its state read from the cluster when stale. */
static enum bpg_err
livy_show(struct bpg_app *app, struct bpg_http_req *req, int state_only)
{
	struct bpg_svc svc;
	struct bpg_svc_batch b;
	cJSON *j = NULL;
	enum bpg_err err;

	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_batch_get(&svc, req->match.params[0], &b)) != BPG_OK) {
		err = bpg_front_fail(req, &svc, err);
	} else {
		j = state_only ? livy_state_json(&b) : livy_batch_json(app,
		    bpg_http_param(req, "HTTP_HOST"), b.id, b.killed, &b.sub.row);
		err = bpg_front_reply_json(req, 200, NULL, j);
	}
	cJSON_Delete(j);
	bpg_svc_batch_release(&b);
	return err;
}

/* GET {livy}/batches/{id}: the Batch. */
enum bpg_err
h_livy_get(struct bpg_app *app, struct bpg_http_req *req)
{
	return livy_show(app, req, 0);
}

/* GET {livy}/batches/{id}/state: {"id","state"}. */
enum bpg_err
h_livy_state(struct bpg_app *app, struct bpg_http_req *req)
{
	return livy_show(app, req, 1);
}

/* The lines [from, from + size) of text, as Livy pages a log. */
static cJSON *
log_page(long long id, const struct bpg_buf *text, long long from, long long size)
{
	cJSON *all = lines_json(text->data ? text->data : "", text->len), *page, *j, *e;
	long long total = cJSON_GetArraySize(all), i = 0;

	if (all == NULL)
		return NULL;
	if (from < 0)
		from = total > size ? total - size : 0;   /* Livy: the last size lines */
	j = cJSON_CreateObject();
	page = cJSON_CreateArray();
	if (j == NULL || page == NULL) {
		cJSON_Delete(j);
		cJSON_Delete(page);
		cJSON_Delete(all);
		return NULL;
	}
	cJSON_ArrayForEach(e, all) {
		if (i >= from && i < from + size)
			cJSON_AddItemToArray(page, cJSON_CreateString(e->valuestring));
		i++;
	}
	cJSON_AddNumberToObject(j, "id", (double)id);
	cJSON_AddNumberToObject(j, "from", (double)from);
	cJSON_AddNumberToObject(j, "total", (double)total);
	cJSON_AddItemToObject(j, "log", page);
	cJSON_Delete(all);
	return j;
}

/*
 * GET {livy}/batches/{id}/log?from=&size=: {"id","from","total","log":[lines]} over the
 * driver log's last [livy] log_lines lines (live pod, else S3); without from, the last size
 * lines (default 100).
 */
enum bpg_err
h_livy_log(struct bpg_app *app, struct bpg_http_req *req)
{
	long long from = -1, size = LIVY_PAGE_DEFAULT;
	struct bpg_buf text;
	struct bpg_svc_batch b;
	struct bpg_svc svc;
	cJSON *j = NULL;
	enum bpg_err err;

	bpg_buf_init(&text, LIVY_LOG_MAX);
	bpg_svc_batch_init(&b);
	bpg_front_svc(app, req, &svc);
	if ((err = livy_query(req, &from, &size)) != BPG_OK)
		goto out;
	if ((err = bpg_svc_batch_log(&svc, req->match.params[0], app->cfg->livy.log_lines, &b,
	    &text)) != BPG_OK) {
		err = bpg_front_fail(req, &svc, err);
		goto out;
	}
	j = log_page(b.id, &text, from, size);
	err = bpg_front_reply_json(req, 200, NULL, j);
out:
	cJSON_Delete(j);
	bpg_buf_release(&text);
	bpg_svc_batch_release(&b);
	return err;
}

/* DELETE {livy}/batches/{id}: deletes its SparkApplication; {"msg":"deleted"}, state killed. */
enum bpg_err
h_livy_delete(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	struct bpg_svc_batch b;
	cJSON *j = NULL;
	enum bpg_err err;

	if ((err = livy_csrf(app, req)) != BPG_OK)
		return err;
	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_batch_delete(&svc, req->match.params[0], &b)) != BPG_OK)
		err = bpg_front_fail(req, &svc, err);
	else if ((j = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(j, "msg", "deleted") == NULL)
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	else
		err = bpg_front_reply_json(req, 200, NULL, j);
	cJSON_Delete(j);
	bpg_svc_batch_release(&b);
	return err;
}
