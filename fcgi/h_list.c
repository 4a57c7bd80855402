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
#include "bpg_log.h"
#include "bpg_query.h"

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
	struct bpg_buf *page;       /* {"submissions":[ and the rows so far (JSON) */
	struct bpg_buf *ndjson;     /* NDJSON instead of page when set */
	long long now;
	char last[CURSOR_MAX + 24];   /* "<created ms>_<id>" */
	/* streamed (/skatev2 without limit or next): each row written as it comes */
	struct bpg_http_req *req;   /* set when streaming */
	int lines;                  /* NDJSON lines, else {"submissions":[...]} */
	int started;                /* the 200 and the opening are written */
	long long rows;
	long long last_ms;          /* the keyset of the last row, for the next page */
	char last_id[CURSOR_MAX];
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
 * o->ndjson reused row after row, written to the client at once.
 */
static enum bpg_err
list_row(void *ctx, const struct bpg_sub_row *r)
{
	struct list_out *o = ctx;
	const struct bpg_cluster *c = bpg_config_cluster(o->app->cfg, r->cluster_id ? r->cluster_id : "");
	struct bpg_buf *b = o->req != NULL || o->ndjson != NULL ? o->ndjson : o->page;
	enum bpg_err err;
	size_t n;

	/* the keyset of the row, for the cursor of the next page (formatted after the last) */
	o->last_ms = r->created_ms;
	n = strnlen(r->submission_id, sizeof(o->last_id) - 1);   /* as snprintf cut it */
	memcpy(o->last_id, r->submission_id, n);
	o->last_id[n] = '\0';
	if (o->req != NULL) {
		b->len = 0;
		if ((err = stream_open(o)) != BPG_OK)
			return err;
	}
	if (!o->lines && (o->req != NULL || o->ndjson == NULL) && o->rows > 0 &&
	    (err = bpg_buf_append(b, ",", 1)) != BPG_OK)
		return err;
	o->rows++;
	if ((err = bpg_appstate_summary_write(r, c, o->now, b)) != BPG_OK ||
	    ((o->lines || (o->req == NULL && o->ndjson != NULL)) &&
	    (err = bpg_buf_append(b, "\n", 1)) != BPG_OK))
		return err;
	return o->req != NULL ? bpg_http_stream_write(o->req, b->data, b->len, 0) : BPG_OK;
}

/*
 * /skatev2 without limit or next, as the Java gateway answered: every row of the filter,
 * streamed in keyset pages of BPG_SUBDB_LIST_MAX (the worker holds one page at most), as
 * {"submissions":[...]} or, lines set, NDJSON. A database error before the first byte is
 * the usual JSON error; after it the stream is cut short (logged).
 */
static enum bpg_err
list_stream(struct bpg_app *app, struct bpg_http_req *req, struct bpg_sub_filter *f, int lines)
{
	static const char close[] = "]}";
	struct list_out o;
	struct bpg_buf b;
	int more = 1;
	enum bpg_err err = BPG_OK;

	memset(&o, 0, sizeof(o));
	bpg_buf_init(&b, 0);
	o.app = app;
	o.now = bpg_now_ms();
	o.req = req;
	o.lines = lines;
	o.ndjson = &b;
	f->limit = BPG_SUBDB_LIST_MAX;
	while (more && err == BPG_OK) {
		more = 0;
		err = bpg_subdb_list(app->db, f, list_row, &o, &more);
		f->cursor_ms = o.last_ms;
		f->cursor_id = o.last_id;
	}
	if (err != BPG_OK && !o.started) {
		bpg_buf_release(&b);
		return bpg_http_fail(req, err == BPG_EUNAVAIL ? err : BPG_EINTERNAL, "%s",
		    err == BPG_EUNAVAIL ? "database unavailable" : "cannot list submissions");
	}
	if (err != BPG_OK)
		bpg_log(BPG_LOG_WARN, "list", "stream cut short", "error", bpg_err_str(err), NULL);
	else if ((err = stream_open(&o)) == BPG_OK && !lines)
		err = bpg_http_stream_write(req, close, sizeof(close) - 1, 0);
	bpg_buf_release(&b);
	return BPG_OK;
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
	static const char *const names[] = { "state", "queue", "applicationName", "name",
	    "createdAfter", "createdBefore", "limit", "next", "format", NULL };
	struct bpg_sub_filter f;
	struct bpg_query q;
	struct list_out o;
	struct bpg_buf nd;
	char why[256], curid[CURSOR_MAX], hdr[CURSOR_MAX + 64], queue[BPG_QUERY_MAX_VALUE + 1];
	long long limit;
	const char *fmt, *next;
	int more = 0, ndjson;
	enum bpg_err err;

	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	bpg_buf_init(&nd, 0);
	if ((err = bpg_query_parse(req->query, &q, why, sizeof(why))) != BPG_OK ||
	    (err = bpg_query_only(&q, names, why, sizeof(why))) != BPG_OK ||
	    (err = bpg_query_long(&q, "limit", 1, BPG_SUBDB_LIST_MAX, 100, &limit, why,
	    sizeof(why))) != BPG_OK ||
	    (err = bpg_query_long(&q, "createdAfter", 0, 1LL << 50, -1, &f.created_after_ms, why,
	    sizeof(why))) != BPG_OK ||
	    (err = bpg_query_long(&q, "createdBefore", 0, 1LL << 50, -1, &f.created_before_ms, why,
	    sizeof(why))) != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	fmt = bpg_query_get(&q, "format");
	ndjson = fmt != NULL && strcmp(fmt, "ndjson") == 0;
	if (fmt != NULL && (!ndjson || !allow_ndjson))
		return bpg_http_fail(req, BPG_EINVAL, "format: only ndjson, on /admin/submissions");
	next = bpg_query_get(&q, "next");
	if (next != NULL && parse_cursor(next, &f, curid, sizeof(curid)) != 0)
		return bpg_http_fail(req, BPG_EINVAL, "next: not a cursor this gateway gave out");
	f.user = user;
	f.status = bpg_query_get(&q, "state");
	f.queue = queue_filter(bpg_query_get(&q, "queue"), queue, sizeof(queue));
	f.app_name = bpg_query_get(&q, "applicationName");
	if (f.app_name == NULL)
		f.app_name = bpg_query_get(&q, "name");
	if (bpg_http_is_legacy(req) && bpg_query_get(&q, "limit") == NULL && next == NULL)
		return list_stream(app, req, &f, allow_ndjson);
	f.limit = (long)limit;
	o.app = app;
	o.now = bpg_now_ms();
	o.ndjson = ndjson ? &nd : NULL;
	o.page = &nd;
	if (!ndjson && bpg_buf_append(&nd, list_open, sizeof(list_open) - 1) != BPG_OK) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	err = bpg_subdb_list(app->db, &f, list_row, &o, &more);
	if (err != BPG_OK) {
		bpg_http_fail(req, err == BPG_EUNAVAIL ? err : BPG_EINTERNAL, "%s",
		    err == BPG_EUNAVAIL ? "database unavailable" : "cannot list submissions");
		goto out;
	}
	snprintf(o.last, sizeof(o.last), "%lld_%s", o.last_ms, o.last_id);
	if (ndjson) {
		snprintf(hdr, sizeof(hdr), "X-Next: %s\r\n", more ? o.last : "");
		err = bpg_http_reply(req, 200, "application/x-ndjson", more ? hdr : NULL,
		    nd.data, nd.len);
		goto out;
	}
	if (bpg_buf_append(&nd, "]", 1) != BPG_OK ||
	    (more && (bpg_json_put_key(&nd, ',', "next") != BPG_OK ||
	    bpg_json_put_str(&nd, o.last) != BPG_OK)) || bpg_buf_append(&nd, "}", 1) != BPG_OK) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	err = bpg_http_reply(req, 200, "application/json", NULL, nd.data, nd.len);
out:
	bpg_buf_release(&nd);
	return err;
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
