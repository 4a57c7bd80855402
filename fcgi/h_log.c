/* bpg-fcgi: GET /log: a driver's or an executor's log, from its pod or else from S3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_fcgi.h"
#include "bpg_query.h"

#define WHY            512
#define ID_MIN_LEN     32
#define EXEC_MAX_LEN   BPG_SVC_EXEC_MAX
#define CONTAINER_MAX  BPG_SVC_CONTAINER_MAX
#define TAIL_MAX       1000000LL

static const char not_found_text[] = "Cannot find matched log files. Please try again in 5 "
    "minutes if this is a new job which was just started within 5 minutes.";

/* What the query asked for: the service's input and the ids it points to. */
struct log_in {
	struct bpg_svc_log_in svc;
	char sub_id[BPG_QUERY_MAX_VALUE + 1];
	char app_id[BPG_QUERY_MAX_VALUE + 1];
};

/* The response as it streams: begun on the first byte, so a failure before can still fall back. */
struct log_out {
	struct bpg_svc_sink sink;   /* first: the service writes to it (begun, failed) */
	struct bpg_http_req *req;
	int follow;                 /* flush every piece */
	char last;                  /* the last byte sent ('\0' before any) */
};

static int
out_write(struct bpg_svc_sink *sink, const char *data, size_t len)
{
	struct log_out *o = (struct log_out *)sink;

	if (!o->sink.begun) {
		if (bpg_http_stream_begin(o->req, 200, "application/octet-stream", NULL) != BPG_OK) {
			o->sink.failed = 1;
			return 1;
		}
		o->sink.begun = 1;
	}
	if (bpg_http_stream_write(o->req, data, len, o->follow) != BPG_OK) {
		o->sink.failed = 1;
		return 1;
	}
	if (len > 0)
		o->last = data[len - 1];
	return 0;
}

static int
copy_value(const struct bpg_query *q, const char *name, char *dst, size_t cap)
{
	const char *v = bpg_query_get(q, name);
	size_t n = v ? strlen(v) : 0;

	if (n >= cap)
		return -1;
	memcpy(dst, v ? v : "", n + 1);
	return 0;
}

/* execId: "" or "...driver" is the driver; else a number. */
static enum bpg_err
exec_parse(struct bpg_http_req *req, const char *e, struct bpg_svc_log_in *in)
{
	size_t n = strlen(e);

	in->exec[0] = '\0';
	if (n == 0 || (n >= 6 && strcmp(e + n - 6, "driver") == 0))
		return BPG_OK;
	if (n > EXEC_MAX_LEN || strspn(e, "0123456789") != n)
		return bpg_http_fail(req, BPG_EINVAL, "execId: the executor number (1 to %d digits) "
		    "or \"driver\"", EXEC_MAX_LEN);
	memcpy(in->exec, e, n + 1);
	return BPG_OK;
}

static enum bpg_err
log_in_parse(struct bpg_http_req *req, struct log_in *in)
{
	static const char *const names[] = { "subId", "appId", "execId", "s3only", "tailLines",
	    "limitBytes", "container", "follow", NULL };
	struct bpg_query q;
	char why[WHY], exec[BPG_QUERY_MAX_VALUE + 1];
	const char *s3;
	struct bpg_svc_log_in *sv = &in->svc;

	if (bpg_query_parse(req->query, &q, BPG_WHY(why)) != BPG_OK ||
	    bpg_query_only(&q, names, BPG_WHY(why)) != BPG_OK ||
	    bpg_query_long(&q, "tailLines", 1, TAIL_MAX, 0, &sv->tail_lines, BPG_WHY(why)) ||
	    bpg_query_long(&q, "limitBytes", 1, 1LL << 40, 0, &sv->limit_bytes,
	    BPG_WHY(why)) != BPG_OK ||
	    bpg_query_bool(&q, "follow", bpg_http_is_legacy(req), &sv->follow,
	    BPG_WHY(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	if (copy_value(&q, "subId", in->sub_id, sizeof(in->sub_id)) != 0 ||
	    copy_value(&q, "appId", in->app_id, sizeof(in->app_id)) != 0 ||
	    copy_value(&q, "execId", exec, sizeof(exec)) != 0)
		return bpg_http_fail(req, BPG_EINVAL, "a parameter is too long");
	if (copy_value(&q, "container", sv->container, sizeof(sv->container)) != 0 ||
	    strspn(sv->container, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(sv->container))
		return bpg_http_fail(req, BPG_EINVAL, "container: a container name (lowercase "
		    "letters, digits and '-', at most %d)", CONTAINER_MAX);
	s3 = bpg_query_get(&q, "s3only");
	sv->s3only = s3 != NULL && strcasecmp(s3, "false") != 0;
	if (in->sub_id[0] == '\0' && in->app_id[0] == '\0')
		return bpg_http_fail(req, BPG_EINVAL, "Error: Please provide either a submissionId "
		    "or an appId.");
	if ((in->sub_id[0] && strlen(in->sub_id) < ID_MIN_LEN) ||
	    (!in->sub_id[0] && strlen(in->app_id) < ID_MIN_LEN))
		return bpg_http_fail(req, BPG_EINVAL, "Invalid submissionId %s or appId %s : Should "
		    "be at least %d characters.", in->sub_id, in->app_id, ID_MIN_LEN);
	sv->sub_id = in->sub_id;
	sv->app_id = in->app_id;
	return exec_parse(req, exec, sv);
}

/*
 * GET /log?subId=S|appId=A[&execId=N][&tailLines=N][&limitBytes=N][&container=C]
 * [&follow=true][&s3only=true]: the owner, an admin, or anyone with [auth] open_read.
 * 200 application/octet-stream: the live pod's log (not followed unless asked), else the
 * objects archived in S3 (logindex), else the Java gateway's fixed not-found text.
 * 400 bad parameters (the Java texts), 403, 404 unknown submission.
 */
enum bpg_err
h_log(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_svc svc;
	struct log_in in;
	struct log_out o;
	int found = 0;
	enum bpg_err err;

	memset(&in, 0, sizeof(in));
	memset(&o, 0, sizeof(o));
	o.sink.write = out_write;
	o.req = req;
	if ((err = log_in_parse(req, &in)) != BPG_OK)
		return err;
	o.follow = in.svc.follow;
	bpg_front_svc(app, req, &svc);
	if ((err = bpg_svc_log(&svc, &in.svc, &o.sink, &found)) != BPG_OK)
		return bpg_front_fail(req, &svc, err);
	if (!found)
		return bpg_http_reply(req, 200, "application/octet-stream", NULL, not_found_text,
		    sizeof(not_found_text) - 1);
	if (!o.sink.begun && !o.sink.failed)
		(void)out_write(&o.sink, "", 0);   /* an empty log (a pod just started) is still a 200 */
	if (o.sink.begun && !o.sink.failed && o.last != '\n')
		(void)bpg_http_stream_write(req, "\n", 1, 1);   /* one newline ends a log, never two */
	return BPG_OK;
}
