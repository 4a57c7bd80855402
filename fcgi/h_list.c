/* bpg-fcgi: GET /spark/mySubmissions and GET /admin/submissions, from the database. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_fcgi.h"
#include "bpg_json.h"
#include "bpg_query.h"
#include "bpg_time.h"

#define CURSOR_MAX 128
#define CURSOR_MS_MAX (1LL << 50)   /* as createdAfter/createdBefore */

/* Parses a "next" cursor "<created ms>_<submission id>" into f. */
static int
parse_cursor(const char *s, struct bpg_sub_filter *f, char *id, size_t idlen)
{
	char *end;
	long long ms;
	const char *us = strchr(s, '_');

	if (us == NULL || (size_t)(strlen(us + 1)) >= idlen || us[1] == '\0')
		return -1;
	if (s[0] < '0' || s[0] > '9')
		return -1;     /* strtoll would take spaces, signs */
	errno = 0;
	ms = strtoll(s, &end, 10);
	if (end != us || errno == ERANGE || ms > CURSOR_MS_MAX)
		return -1;
	for (const char *p = us + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return -1;
	memcpy(id, us + 1, strlen(us + 1) + 1);
	f->cursor_ms = ms;
	f->cursor_id = id;
	return 0;
}

struct list_out {
	struct bpg_app *app;
	struct bpg_buf *buf;        /* the page, or the row being streamed */
	long long now;
	struct bpg_http_req *req;   /* set when streaming: each row written as it comes */
	int lines;                  /* NDJSON lines, else {"submissions":[...]} */
	int started;                /* streamed: the 200 and the opening are written */
	long long rows;
};

static const char list_open[] = "{\"submissions\":[";

/* A streamed list's opening, once: the status, then {"submissions":[ unless NDJSON. */
static enum bpg_err
stream_open(struct list_out *o)
{
	enum bpg_err err;

	if (o->started)
		return BPG_OK;
	o->started = 1;
	err = bpg_http_stream_begin(o->req, 200, "application/json", NULL);
	if (err == BPG_OK && !o->lines)
		err = bpg_http_stream_write(o->req, list_open, sizeof(list_open) - 1, 0);
	return err;
}

/*
 * Each row's summary is written as JSON text where it goes (bpg_appstate_summary_write):
 * no tree per row. A page: after a ',' from the second row on; NDJSON: a line; streamed:
 * o->buf reused row after row, written to the client at once.
 */
static enum bpg_err
list_row(void *ctx, const struct bpg_sub_row *r)
{
	struct list_out *o = ctx;
	const struct bpg_cluster *c = bpg_config_cluster(o->app->cfg, r->cluster_id ? r->cluster_id : "");
	struct bpg_buf *b = o->buf;
	enum bpg_err err;

	if (o->req != NULL) {
		b->len = 0;
		if ((err = stream_open(o)) != BPG_OK)
			return err;
	}
	if (!o->lines && o->rows > 0 && (err = bpg_buf_append(b, ",", 1)) != BPG_OK)
		return err;
	o->rows++;
	if ((err = bpg_appstate_summary_write(r, c, o->now, b)) != BPG_OK ||
	    (o->lines && (err = bpg_buf_append(b, "\n", 1)) != BPG_OK))
		return err;
	return o->req != NULL ? bpg_http_stream_write(o->req, b->data, b->len, 0) : BPG_OK;
}

/* What the query asked for. */
struct list_q {
	struct bpg_query qs;    /* the parsed query: f's strings point into it */
	struct bpg_sub_filter f;
	int ndjson;             /* format=ndjson */
	int all;                /* /skatev2 without limit or next: every row, streamed */
	char curid[CURSOR_MAX];
	char queue[BPG_QUERY_MAX_VALUE + 1];
};

/*
 * /skatev2 without limit or next, as the Java gateway answered: every row of the filter,
 * streamed (the service reads keyset pages: the worker holds one page at most), as
 * {"submissions":[...]} or, lines set, NDJSON. A database error before the first byte is
 * the usual JSON error; after it the stream is cut short (logged).
 */
static enum bpg_err
list_stream(struct bpg_app *app, struct bpg_http_req *req, const struct bpg_sub_filter *f,
    int lines)
{
	static const char close[] = "]}";
	struct bpg_svc svc;
	struct bpg_svc_page page;
	struct list_out o;
	struct bpg_buf b;
	enum bpg_err err;

	memset(&o, 0, sizeof(o));
	bpg_buf_init(&b, 0);
	o.app = app;
	o.now = bpg_time_now_ms();
	o.req = req;
	o.lines = lines;
	o.buf = &b;
	bpg_front_svc(app, req, &svc);
	err = bpg_svc_list(&svc, f, 1, list_row, &o, &page);
	if (err != BPG_OK && !o.started)
		err = bpg_front_fail(req, &svc, err);
	else if (err == BPG_OK && (err = stream_open(&o)) == BPG_OK && !lines)
		err = bpg_http_stream_write(req, close, sizeof(close) - 1, 0);
	bpg_buf_release(&b);
	return o.started ? BPG_OK : err;
}
/*
 * The queue filter as the rows store it: lists show "root.poc" and submits take "poc" or
 * "POC", so a leading "root." is dropped and the rest lowercased. NULL stays NULL.
 */
static const char *
queue_filter(const char *v, char *out, size_t cap)
{
	size_t n = 0;

	if (v == NULL)
		return NULL;
	if (strncasecmp(v, "root.", 5) == 0)
		v += 5;
	for (; *v != '\0' && n + 1 < cap; v++)
		out[n++] = (char)tolower((unsigned char)*v);
	out[n] = '\0';
	return out;
}

/* Parses the list's query into q; 400 for bad parameters. */
static enum bpg_err
list_parse(struct bpg_http_req *req, const char *user, int allow_ndjson, struct list_q *q)
{
	static const char *const names[] = { "state", "queue", "applicationName", "name",
	    "createdAfter", "createdBefore", "limit", "next", "format", NULL };
	struct bpg_sub_filter *f = &q->f;
	struct bpg_query *qs = &q->qs;
	char why[256];
	long long limit;
	const char *fmt, *next;
	enum bpg_err err;

	if ((err = bpg_query_parse(req->query, qs, BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_query_only(qs, names, BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_query_long(qs, "limit", 1, BPG_SUBDB_LIST_MAX, 100, &limit,
	    BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_query_long(qs, "createdAfter", 0, CURSOR_MS_MAX, -1, &f->created_after_ms,
	    BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_query_long(qs, "createdBefore", 0, CURSOR_MS_MAX, -1,
	    &f->created_before_ms, BPG_WHY(why))) != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	fmt = bpg_query_get(qs, "format");
	q->ndjson = fmt != NULL && strcmp(fmt, "ndjson") == 0;
	if (fmt != NULL && (!q->ndjson || !allow_ndjson))
		return bpg_http_fail(req, BPG_EINVAL, "format: only ndjson, on /admin/submissions");
	next = bpg_query_get(qs, "next");
	if (next != NULL && parse_cursor(next, f, q->curid, sizeof(q->curid)) != 0)
		return bpg_http_fail(req, BPG_EINVAL, "next: not a cursor this gateway gave out");
	f->user = user;
	f->status = bpg_query_get(qs, "state");
	f->queue = queue_filter(bpg_query_get(qs, "queue"), q->queue, sizeof(q->queue));
	f->app_name = bpg_query_get(qs, "applicationName");
	if (f->app_name == NULL)
		f->app_name = bpg_query_get(qs, "name");
	q->all = bpg_http_is_legacy(req) && bpg_query_get(qs, "limit") == NULL && next == NULL;
	f->limit = (long)limit;
	return BPG_OK;
}

/* One page of q, answered whole: {"submissions":[...],"next":...} or NDJSON with X-Next. */
static enum bpg_err
list_page(struct bpg_app *app, struct bpg_http_req *req, const struct list_q *q)
{
	struct bpg_svc svc;
	struct bpg_svc_page page;
	struct list_out o;
	struct bpg_buf nd;
	char last[CURSOR_MAX + 24], hdr[CURSOR_MAX + 64];
	enum bpg_err err;

	memset(&o, 0, sizeof(o));
	bpg_buf_init(&nd, 0);
	o.app = app;
	o.now = bpg_time_now_ms();
	o.lines = q->ndjson;
	o.buf = &nd;
	bpg_front_svc(app, req, &svc);
	if (!q->ndjson && bpg_buf_append(&nd, list_open, sizeof(list_open) - 1) != BPG_OK) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = bpg_svc_list(&svc, &q->f, 0, list_row, &o, &page)) != BPG_OK) {
		err = bpg_front_fail(req, &svc, err);
		goto out;
	}
	snprintf(last, sizeof(last), "%lld_%s", page.last_ms, page.last_id);
	if (q->ndjson) {
		snprintf(hdr, sizeof(hdr), "X-Next: %s\r\n", page.more ? last : "");
		err = bpg_http_reply(req, 200, "application/x-ndjson", page.more ? hdr : NULL,
		    nd.data, nd.len);
	} else if (bpg_buf_append(&nd, "]", 1) != BPG_OK ||
	    (page.more && (bpg_json_put_key(&nd, ',', "next") != BPG_OK ||
	    bpg_json_put_str(&nd, last) != BPG_OK)) || bpg_buf_append(&nd, "}", 1) != BPG_OK) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	} else {
		err = bpg_http_reply(req, 200, "application/json", NULL, nd.data, nd.len);
	}
out:
	bpg_buf_release(&nd);
	return err;
}

/*
 * The shared list: filters state, queue (also as "root.NAME"), applicationName (also "name", the Java admin
 * parameter), createdAfter, createdBefore (epoch ms), limit (1-1000, default 100), next
 * (the cursor from the previous page), format=ndjson (admin only).
 * 200 {"submissions":[SubmissionSummary...],"next":"cursor"} newest first; "next" only when
 * more follow. 400 for bad parameters, 503 when the database is down. On /skatev2 without
 * limit and next: every row, streamed (list_stream), NDJSON for /admin/submissions.
 */
static enum bpg_err
list(struct bpg_app *app, struct bpg_http_req *req, const char *user, int allow_ndjson)
{
	struct list_q q;
	enum bpg_err err;

	memset(&q, 0, sizeof(q));
	if ((err = list_parse(req, user, allow_ndjson, &q)) != BPG_OK)
		return err;
	return q.all ? list_stream(app, req, &q.f, allow_ndjson) : list_page(app, req, &q);
}

/* GET /spark/mySubmissions: the caller's submissions (see list()). */
enum bpg_err
h_list_mine(struct bpg_app *app, struct bpg_http_req *req)
{
	return list(app, req, req->user.name, 0);
}

/* GET /admin/submissions (admins): everyone's submissions (see list()). */
enum bpg_err
h_list_all(struct bpg_app *app, struct bpg_http_req *req)
{
	return list(app, req, NULL, 1);
}
