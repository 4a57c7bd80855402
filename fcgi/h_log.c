/* bpg-fcgi: GET /log: a driver's or an executor's log, from its pod or else from S3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_fcgi.h"
#include "bpg_log.h"
#include "bpg_logdb.h"
#include "bpg_logfmt.h"
#include "bpg_query.h"
#include "bpg_subid.h"

#define WHY            512
#define ID_MIN_LEN     32
#define EXEC_MAX_LEN   7
#define CONTAINER_MAX  63
#define TAIL_MAX       1000000LL

static const char not_found_text[] = "Cannot find matched log files. Please try again in 5 "
    "minutes if this is a new job which was just started within 5 minutes.";

struct log_in {
	char sub_id[BPG_QUERY_MAX_VALUE + 1];
	char app_id[BPG_QUERY_MAX_VALUE + 1];
	char exec[EXEC_MAX_LEN + 1];        /* "" for the driver, else the executor number */
	char container[CONTAINER_MAX + 1];  /* "" for the Spark container */
	long long tail_lines, limit_bytes;  /* 0: all */
	int follow;
	int s3only;
};

/* The response as it streams: begun on the first byte, so a failure before can still fall back. */
struct log_out {
	struct bpg_http_req *req;
	int follow;                 /* flush every piece */
	int begun;
	int failed;                 /* the client went away */
	struct bpg_buf *buf;        /* collect here instead (bpg_log_read), not streamed */
	char last;                  /* the last byte sent ('\0' before any) */
};

static int
out_sink(void *arg, const char *data, size_t len)
{
	struct log_out *o = arg;

	if (o->buf != NULL) {
		o->begun = 1;
		if (bpg_buf_append(o->buf, data, len) != BPG_OK)
			o->failed = 1;   /* past its limit: what came first is kept */
		return o->failed;
	}
	if (!o->begun) {
		if (bpg_http_stream_begin(o->req, 200, "application/octet-stream", NULL) != BPG_OK) {
			o->failed = 1;
			return 1;
		}
		o->begun = 1;
	}
	if (bpg_http_stream_write(o->req, data, len, o->follow) != BPG_OK) {
		o->failed = 1;
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
exec_parse(struct bpg_http_req *req, const char *e, struct log_in *in)
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

	if (bpg_query_parse(req->query, &q, why, sizeof(why)) != BPG_OK ||
	    bpg_query_only(&q, names, why, sizeof(why)) != BPG_OK ||
	    bpg_query_long(&q, "tailLines", 1, TAIL_MAX, 0, &in->tail_lines, why, sizeof(why)) ||
	    bpg_query_long(&q, "limitBytes", 1, 1LL << 40, 0, &in->limit_bytes, why,
	    sizeof(why)) != BPG_OK ||
	    bpg_query_bool(&q, "follow", bpg_http_is_legacy(req), &in->follow, why,
	    sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	if (copy_value(&q, "subId", in->sub_id, sizeof(in->sub_id)) != 0 ||
	    copy_value(&q, "appId", in->app_id, sizeof(in->app_id)) != 0 ||
	    copy_value(&q, "execId", exec, sizeof(exec)) != 0)
		return bpg_http_fail(req, BPG_EINVAL, "a parameter is too long");
	if (copy_value(&q, "container", in->container, sizeof(in->container)) != 0 ||
	    strspn(in->container, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(in->container))
		return bpg_http_fail(req, BPG_EINVAL, "container: a container name (lowercase "
		    "letters, digits and '-', at most %d)", CONTAINER_MAX);
	s3 = bpg_query_get(&q, "s3only");
	in->s3only = s3 != NULL && strcasecmp(s3, "false") != 0;
	if (in->sub_id[0] == '\0' && in->app_id[0] == '\0')
		return bpg_http_fail(req, BPG_EINVAL, "Error: Please provide either a submissionId "
		    "or an appId.");
	if ((in->sub_id[0] && strlen(in->sub_id) < ID_MIN_LEN) ||
	    (!in->sub_id[0] && strlen(in->app_id) < ID_MIN_LEN))
		return bpg_http_fail(req, BPG_EINVAL, "Invalid submissionId %s or appId %s : Should "
		    "be at least %d characters.", in->sub_id, in->app_id, ID_MIN_LEN);
	return exec_parse(req, exec, in);
}

/* Resolves the submission (an appId through the database) and checks the caller may read it. */
static enum bpg_err
log_lookup(struct bpg_app *app, struct bpg_http_req *req, const struct log_in *in,
    struct bpg_sub *s)
{
	struct bpg_sub_row r;
	enum bpg_err err;

	if (in->sub_id[0] != '\0')
		return bpg_sub_lookup_id(app, req, in->sub_id, 0, s);
	bpg_sub_row_init(&r);
	err = bpg_subdb_get(app->db, in->app_id, 1, &r);
	if (err == BPG_ENOTFOUND)
		err = bpg_http_fail(req, BPG_EINVAL, "Could not find submissionId from the appId %s.",
		    in->app_id);
	else if (err != BPG_OK)
		err = bpg_http_fail(req, BPG_EUNAVAIL, "database unavailable: %s",
		    bpg_db_last_error(app->db));
	else
		err = bpg_sub_lookup_id(app, req, r.submission_id, 0, s);
	bpg_sub_row_release(&r);
	return err;
}

/* The pod of the driver, or of executor N from status.executorState (the last match). */
static const char *
log_pod_name(const cJSON *cr, const struct log_in *in)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(cr, "status"), *e, *pn;
	const char *found = NULL;
	char suffix[EXEC_MAX_LEN + 8];

	if (in->exec[0] == '\0') {
		pn = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(st, "driverInfo"), "podName");
		return cJSON_IsString(pn) && pn->valuestring[0] ? pn->valuestring : NULL;
	}
	snprintf(suffix, sizeof(suffix), "exec-%s", in->exec);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(st, "executorState")) {
		size_t n = e->string ? strlen(e->string) : 0;
		if (n >= strlen(suffix) && strcmp(e->string + n - strlen(suffix), suffix) == 0)
			found = e->string;
	}
	return found;
}

/* The container to read: the one asked for, else Spark's own in a pod of several. */
static const char *
log_container(const cJSON *pod, const struct log_in *in)
{
	if (in->container[0] != '\0')
		return in->container;
	return bpg_appstate_log_container(pod, in->exec[0] != '\0');
}

/*
 * Streams the log from the live pod. BPG_ENOTFOUND when there is no pod to read (the
 * caller tries S3); BPG_OK once anything was sent. A container the caller named that the
 * pod lacks is a 400.
 */
static enum bpg_err
log_from_pod(struct bpg_app *app, struct bpg_http_req *req, const struct bpg_sub *s,
    const struct log_in *in, struct log_out *o)
{
	cJSON *cr = NULL, *pod = NULL;
	const cJSON *ph;
	const char *name;
	struct bpg_k8s_log_opts opts;
	char why[WHY];
	enum bpg_err err = BPG_ENOTFOUND;

	if (bpg_k8s_get_app(app->k8s, s->cluster, s->id, &cr, why, sizeof(why)) != BPG_OK ||
	    (name = log_pod_name(cr, in)) == NULL ||
	    bpg_k8s_get_pod(app->k8s, s->cluster, name, &pod, why, sizeof(why)) != BPG_OK)
		goto out;
	ph = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"),
	    "phase");
	if (!cJSON_IsString(ph) || strcasecmp(ph->valuestring, "Pending") == 0 ||
	    strcasecmp(ph->valuestring, "Unknown") == 0)
		goto out;
	opts.container = log_container(pod, in);
	opts.tail_lines = in->tail_lines;
	opts.limit_bytes = in->limit_bytes;
	opts.follow = in->follow;
	opts.max_ms = in->follow ? app->cfg->gateway.log_follow_max_ms :
	    app->cfg->gateway.log_stream_max_ms;
	err = bpg_k8s_stream_log(app->k8s, s->cluster, name, &opts, out_sink, o, why, sizeof(why));
	if (o->begun || err == BPG_OK) {
		if (err != BPG_OK && !o->failed)
			bpg_log(BPG_LOG_WARN, "log", "pod log cut short", "pod", name, "error", why,
			    NULL);
		err = BPG_OK;
	} else if (err == BPG_EINVAL && in->container[0] != '\0') {
		bpg_http_fail(req, err, "%s", why);
	} else {
		err = BPG_ENOTFOUND;
	}
out:
	cJSON_Delete(pod);
	cJSON_Delete(cr);
	return err;
}

static int
fmt_sink(void *arg, const char *data, size_t len)
{
	return bpg_logfmt_write(arg, data, len);
}

#define TAIL_PROBE ((long long)1 << 20)   /* bytes read from the end for a tail from S3 */

static int
buf_sink(void *arg, const char *data, size_t len)
{
	return bpg_buf_append(arg, data, len) != BPG_OK;
}

/*
 * tailLines of a raw archived log: the last TAIL_PROBE bytes of its last object are read
 * with a range; when they hold more than the lines asked for, they are the answer (not the
 * whole object). 1 when answered, 0 when the whole log has to be read.
 */
static int
tail_from_end(struct bpg_app *app, const char *bucket, const struct bpg_log_obj *last,
    struct bpg_logfmt *f)
{
	struct bpg_buf b;
	long long lines = 0;
	char why[WHY];
	int done = 0;

	if (f->tail_lines == 0 || last->format != BPG_LOG_FORMAT_RAW || last->size <= TAIL_PROBE)
		return 0;
	bpg_buf_init(&b, (size_t)TAIL_PROBE + 1);
	if (bpg_s3_get(app->s3, bucket, last->key, last->size - TAIL_PROBE, TAIL_PROBE, buf_sink,
	    &b, why, sizeof(why)) == BPG_OK && b.len > 0) {
		for (size_t i = 0; i + 1 < b.len; i++)   /* a final newline ends a line, starts none */
			lines += b.data[i] == '\n';
		if (lines > f->tail_lines) {   /* the first line may be cut: one more than asked */
			(void)bpg_logfmt_write(f, b.data, b.len);
			done = 1;
		}
	}
	bpg_buf_release(&b);
	return done;
}

/*
 * Streams the archived objects of container_id. BPG_ENOTFOUND when there are none, or when
 * not one of them could be read and nothing was sent (the index outlived the objects: a
 * bucket emptied, a lifecycle rule), so the caller answers the not-found text.
 */
static enum bpg_err
log_from_s3(struct bpg_app *app, struct bpg_http_req *req, const struct log_in *in,
    const char *container_id, struct log_out *o)
{
	struct bpg_log_obj *v = NULL;
	struct bpg_logfmt f;
	const char *bucket = app->cfg->s3.log_bucket ? app->cfg->s3.log_bucket :
	    app->cfg->s3.bucket;
	size_t n = 0, read = 0;
	char why[WHY];
	enum bpg_err err;

	if (bpg_logdb_objects(app->db, container_id, &v, &n) != BPG_OK || n == 0) {
		free(v);
		return BPG_ENOTFOUND;   /* the Java gateway too: index errors mean no keys */
	}
	if (app->s3 == NULL || bucket == NULL) {
		free(v);
		return bpg_http_fail(req, BPG_EUNAVAIL, "the log is archived in S3, which is not "
		    "configured on this gateway");
	}
	if ((err = bpg_logfmt_init(&f, 0, in->tail_lines, in->limit_bytes, out_sink, o)) != BPG_OK) {
		free(v);
		return bpg_http_fail(req, err, "out of memory");
	}
	read = tail_from_end(app, bucket, &v[n - 1], &f) ? n : 0;   /* the tail answered alone */
	for (size_t i = read; i < n && !f.limited && !f.stopped; i++) {
		bpg_logfmt_set_fluentbit(&f, v[i].format == BPG_LOG_FORMAT_FLUENTBIT);
		err = bpg_s3_get(app->s3, bucket, v[i].key, 0, -1, fmt_sink, &f, why, sizeof(why));
		if (err != BPG_OK && !f.limited && !f.stopped)
			bpg_log(BPG_LOG_WARN, "log", "archived object unreadable", "key", v[i].key,
			    "error", why, NULL);
		else
			read++;
		if (read > 0 || o->begun)   /* a missing first object adds no separator */
			(void)bpg_logfmt_end_object(&f);
	}
	if (read > 0 || o->begun)
		(void)bpg_logfmt_finish(&f);
	bpg_logfmt_release(&f);
	free(v);
	return read > 0 || o->begun ? BPG_OK : BPG_ENOTFOUND;
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
	struct log_in in;
	struct log_out o = { req, 0, 0, 0, NULL, '\0' };
	struct bpg_sub s;
	char cid[BPG_QUERY_MAX_VALUE + 32];
	enum bpg_err err;

	bpg_sub_row_init(&s.row);
	memset(&in, 0, sizeof(in));
	if ((err = log_in_parse(req, &in)) != BPG_OK || (err = log_lookup(app, req, &in, &s)) != BPG_OK)
		goto out;
	o.follow = in.follow;
	err = in.s3only ? BPG_ENOTFOUND : log_from_pod(app, req, &s, &in, &o);
	if (err == BPG_ENOTFOUND) {
		if (in.exec[0] == '\0')
			snprintf(cid, sizeof(cid), "%s-driver", s.id);
		else
			snprintf(cid, sizeof(cid), "%s-exec-%s", s.id, in.exec);
		err = log_from_s3(app, req, &in, cid, &o);
	}
	if (err == BPG_ENOTFOUND) {
		err = bpg_http_reply(req, 200, "application/octet-stream", NULL, not_found_text,
		    sizeof(not_found_text) - 1);
		goto out;
	}
	if (err == BPG_OK && !o.begun && !o.failed)
		(void)out_sink(&o, "", 0);   /* an empty log (a pod just started) is still a 200 */
	if (err == BPG_OK && o.begun && !o.failed && o.last != '\n')
		(void)bpg_http_stream_write(req, "\n", 1, 1);   /* one newline ends a log, never two */
	if (o.begun)
		err = BPG_OK;
out:
	bpg_sub_row_release(&s.row);
	return err;
}

enum bpg_err
bpg_log_read(struct bpg_app *app, struct bpg_http_req *req, const struct bpg_sub *s,
    long long tail_lines, struct bpg_buf *out)
{
	struct log_in in;
	struct log_out o = { req, 0, 0, 0, out, '\0' };
	char cid[BPG_QUERY_MAX_VALUE + 32];
	enum bpg_err err;

	memset(&in, 0, sizeof(in));
	in.tail_lines = tail_lines;
	err = log_from_pod(app, req, s, &in, &o);
	if (err == BPG_ENOTFOUND) {
		snprintf(cid, sizeof(cid), "%s-driver", s->id);
		err = log_from_s3(app, req, &in, cid, &o);
	}
	return err == BPG_ENOTFOUND ? BPG_OK : err;
}
