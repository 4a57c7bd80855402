/* bpg_http: one FastCGI request in, one HTTP response out (the only user of fcgiapp.h). */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcgiapp.h>
#include "bpg_buf.h"
#include "bpg_http.h"
#include "bpg_json.h"
#include "bpg_log.h"
#include "bpg_time.h"

/* The value of envp entry e ("NAME=value") when NAME is name (n bytes), else NULL. */
static const char *
env_value(const char *e, const char *name, size_t n)
{
	return strncmp(e, name, n) == 0 && e[n] == '=' ? e + n + 1 : NULL;
}

void
bpg_http_req_init(struct bpg_http_req *req, struct FCGX_Request *r)
{
	const char *m = NULL, *script = NULL, *rid = NULL, *v;

	memset(req, 0, sizeof(*req));
	req->fcgi = r;
	/* one pass over the parameters (FCGX_GetParam scans them all for each name); the first of
	 * a name counts, as with FCGX_GetParam */
#define ENV_TAKE(slot, lit) \
	if (slot == NULL && (v = env_value(*e, lit, sizeof(lit) - 1)) != NULL) { slot = v; continue; }
	for (char **e = r->envp; e != NULL && *e != NULL; e++) {
		switch ((*e)[0]) {
		case 'R':
			ENV_TAKE(m, "REQUEST_METHOD");
			ENV_TAKE(req->remote_user, "REMOTE_USER");
			ENV_TAKE(req->remote_addr, "REMOTE_ADDR");
			break;
		case 'D':
			ENV_TAKE(req->uri, "DOCUMENT_URI");
			break;
		case 'S':
			ENV_TAKE(script, "SCRIPT_NAME");
			break;
		case 'Q':
			ENV_TAKE(req->query, "QUERY_STRING");
			break;
		case 'H':
			ENV_TAKE(req->header_user, "HTTP_USER_ACCOUNT");
			break;
		case 'B':
			ENV_TAKE(rid, "BPG_REQUEST_ID");
			ENV_TAKE(req->peer_addr, "BPG_PEER_ADDR");
			ENV_TAKE(req->trust_mode, "BPG_TRUST_MODE");
			break;
		default:
			break;
		}
	}
#undef ENV_TAKE
	req->method = m ? m : "";
	if (req->uri == NULL)
		req->uri = script != NULL ? script : "";
	if (req->query == NULL)
		req->query = "";
	req->request_id = rid && *rid ? rid : "-";
	req->err = BPG_OK;
}

const char *
bpg_http_param(const struct bpg_http_req *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgi->envp);
}

enum bpg_err
bpg_http_strip_base(struct bpg_http_req *req, const char *const *prefixes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(prefixes[i]);
		const char *rest;
		if (strncmp(req->uri, prefixes[i], plen) != 0)
			continue;
		rest = req->uri + plen;
		if (*rest != '/' && *rest != '\0')
			continue;
		if (*rest == '\0')
			rest = "/";
		if (strlen(rest) >= sizeof(req->path))
			return BPG_EINVAL;
		memcpy(req->path, rest, strlen(rest) + 1);
		req->base = prefixes[i];
		return BPG_OK;
	}
	return BPG_ENOTFOUND;
}

int
bpg_http_is_legacy(const struct bpg_http_req *req)
{
	return req->base != NULL && strcmp(req->base, BPG_HTTP_LEGACY_BASE) == 0;
}

void
bpg_http_warn(struct bpg_http_req *req, const char *text)
{
	size_t used = strlen(req->warn_headers);
	char line[320];
	size_t i = 0;
	int n;

	/* a quoted-string: no quotes, backslashes or control bytes from the caller */
	n = snprintf(line, sizeof(line), "Warning: 299 bpg \"");
	for (; text[i] != '\0' && (size_t)n + 4 < sizeof(line); i++) {
		unsigned char c = (unsigned char)text[i];
		line[n++] = c < 0x20 || c > 0x7e || c == '"' || c == '\\' ? '?' : (char)c;
	}
	memcpy(line + n, "\"\r\n", 4);
	n += 3;
	if (used + (size_t)n < sizeof(req->warn_headers))
		memcpy(req->warn_headers + used, line, (size_t)n + 1);
}

/* Replaces each byte of s that does not start a valid UTF-8 sequence with '?', in place. */
static void
http_utf8_scrub(char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (k <= n - i && bpg_json_utf8_valid(s + i, k)) {
			i += k;
		} else {
			s[i] = '?';
			i++;
		}
	}
}

enum bpg_err
bpg_http_fail(struct bpg_http_req *req, enum bpg_err err, const char *fmt, ...)
{
	va_list ap;

	if (req->err != BPG_OK)
		return err;
	req->err = err;
	va_start(ap, fmt);
	vsnprintf(req->err_msg, sizeof(req->err_msg), fmt, ap);
	va_end(ap);
	/* messages quote client input: keep the JSON body valid UTF-8 */
	http_utf8_scrub(req->err_msg);
	return err;
}

enum bpg_err
bpg_http_content_length(const struct bpg_http_req *req, long long *len_out)
{
	const char *cl = bpg_http_param(req, "CONTENT_LENGTH");
	size_t n = cl ? strlen(cl) : 0;

	*len_out = -1;
	if (n == 0)
		return BPG_OK;
	if (n > 18 || strspn(cl, "0123456789") != n)
		return BPG_EINVAL;
	*len_out = strtoll(cl, NULL, 10);
	return BPG_OK;
}

enum bpg_err
bpg_http_read_body(struct bpg_http_req *req, size_t limit, struct bpg_buf *out)
{
	long long want;
	char chunk[16384];
	int n;

	if (bpg_http_content_length(req, &want) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "bad Content-Length");
	if (want > (long long)limit)
		return bpg_http_fail(req, BPG_ETOOLARGE, "request body larger than %zu bytes", limit);
	bpg_buf_reset(out);
	out->limit = limit;
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), req->fcgi->in)) > 0) {
		if (bpg_buf_append(out, chunk, (size_t)n) != BPG_OK)
			return bpg_http_fail(req, BPG_ETOOLARGE, "request body larger than %zu bytes",
			    limit);
	}
	if (want >= 0 && out->len != (size_t)want)
		return bpg_http_fail(req, BPG_EINVAL, "request body shorter than its Content-Length");
	return BPG_OK;
}

/*
 * Up to want (>= 1) bytes of in that have arrived, waiting only for the first: FCGX_GetStr
 * waits until it has all it was asked for, so a body trickling in would hold the caller
 * blind. What has arrived is libfcgi's buffer (rdNext to stop, read-only here; FCGX_GetStr
 * takes it without waiting). 0 at the end of the body or on an error (FCGX_GetError).
 */
static int
fcgi_read_arrived(FCGX_Stream *in, char *p, int want)
{
	int got = 0, more, c;

	if (in->stop - in->rdNext <= 0) {
		if ((c = FCGX_GetChar(in)) == EOF)
			return 0;
		p[got++] = (char)c;
	}
	more = (int)(in->stop - in->rdNext);
	if (more > want - got)
		more = want - got;
	if (more > 0)
		got += FCGX_GetStr(p + got, more, in);
	return got;
}

enum bpg_err
bpg_http_read_some(struct bpg_http_req *req, void *p, size_t cap, size_t *n_out)
{
	int want = cap > (1 << 30) ? 1 << 30 : (int)cap, n;
	long long total;

	assert(cap > 0);
	n = fcgi_read_arrived(req->fcgi->in, p, want);
	if (n < 0 || FCGX_GetError(req->fcgi->in) != 0) {
		bpg_log(BPG_LOG_WARN, "http", "request body cut off (client gone?)", NULL);
		return BPG_EIO;
	}
	req->bytes_in += (unsigned long long)n;
	if (n == 0 && bpg_http_content_length(req, &total) == BPG_OK && total >= 0 &&
	    req->bytes_in != (unsigned long long)total) {
		bpg_log(BPG_LOG_WARN, "http", "request body shorter than its Content-Length", NULL);
		return BPG_EIO;
	}
	*n_out = (size_t)n;
	return BPG_OK;
}

void
bpg_http_pace_start(struct bpg_http_pace *pace, long long grace_ms,
    unsigned long long min_bytes_s)
{
	pace->start_ms = bpg_time_mono_ms();
	pace->grace_ms = grace_ms;
	pace->min_bytes_s = min_bytes_s;
}

enum bpg_err
bpg_http_read_paced(struct bpg_http_req *req, const struct bpg_http_pace *pace, void *p,
    size_t cap, size_t *n_out)
{
	long long ms;
	char got[24], took[24];
	enum bpg_err err = bpg_http_read_some(req, p, cap, n_out);

	if (err != BPG_OK || *n_out == 0 || pace->min_bytes_s == 0)
		return err;
	ms = bpg_time_mono_ms() - pace->start_ms;
	if (ms < pace->grace_ms || req->bytes_in * 1000 >= pace->min_bytes_s * (unsigned long long)ms)
		return BPG_OK;
	snprintf(got, sizeof(got), "%llu", req->bytes_in);
	snprintf(took, sizeof(took), "%lld", ms);
	bpg_log(BPG_LOG_WARN, "http", "upload too slow: cut", "bytes", got, "ms", took, NULL);
	return bpg_http_fail(req, BPG_ESLOW, "upload too slow: %llu bytes in %lld.%lld s, below "
	    "this gateway's minimum of %llu bytes/s: nothing was stored; send it again over a "
	    "faster link", req->bytes_in, ms / 1000, ms % 1000 / 100, pace->min_bytes_s);
}

/* Appends the n bytes of p at *at when they fit before end; *at becomes NULL once not. */
static void
head_put(char **at, const char *end, const char *p, size_t n)
{
	if (*at == NULL || (size_t)(end - *at) < n) {
		*at = NULL;
		return;
	}
	memcpy(*at, p, n);
	*at += n;
}

#define HEAD_LIT(at, end, lit) head_put(at, end, lit, sizeof(lit) - 1)

/* Appends the decimal digits of u. */
static void
head_num(char **at, const char *end, unsigned long long u)
{
	char d[24], *p = bpg_buf_digits(d + sizeof(d), u);

	head_put(at, end, p, (size_t)(d + sizeof(d) - p));
}

/*
 * The head of a reply into hdr: its status, type, length (a stream when len < 0: not
 * buffered by nginx), our fixed headers, extra_headers and the request's warnings. Its
 * length, or -1 when it does not fit. Written without printf: every request has one.
 */
static int
reply_head(char *hdr, size_t cap, const struct bpg_http_req *req, int status,
    const char *content_type, long long len, const char *extra_headers)
{
	const char *end = hdr + cap, *reason = bpg_err_reason(status);
	char *at = hdr;

	HEAD_LIT(&at, end, "Status: ");
	head_num(&at, end, (unsigned long long)(status > 0 ? status : 0));
	HEAD_LIT(&at, end, " ");
	head_put(&at, end, reason, strlen(reason));
	HEAD_LIT(&at, end, "\r\nContent-Type: ");
	head_put(&at, end, content_type, strlen(content_type));
	if (len >= 0) {
		HEAD_LIT(&at, end, "\r\nContent-Length: ");
		head_num(&at, end, (unsigned long long)len);
	}
	HEAD_LIT(&at, end, "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
	if (len < 0)
		HEAD_LIT(&at, end, "X-Accel-Buffering: no\r\n");
	if (extra_headers != NULL)
		head_put(&at, end, extra_headers, strlen(extra_headers));
	head_put(&at, end, req->warn_headers, strlen(req->warn_headers));
	HEAD_LIT(&at, end, "\r\n");
	return at != NULL ? (int)(at - hdr) : -1;
}

enum bpg_err
bpg_http_stream_begin(struct bpg_http_req *req, int status, const char *content_type,
    const char *extra_headers)
{
	char hdr[2048];
	int n;

	if (req->status != 0)
		return BPG_EINTERNAL;
	req->status = status;
	n = reply_head(hdr, sizeof(hdr), req, status, content_type, -1, extra_headers);
	if (n < 0 || FCGX_PutStr(hdr, n, req->fcgi->out) != n || FCGX_FFlush(req->fcgi->out) != 0) {
		bpg_log(BPG_LOG_WARN, "http", "write failed (client gone?)", NULL);
		return BPG_EIO;
	}
	return BPG_OK;
}

enum bpg_err
bpg_http_stream_write(struct bpg_http_req *req, const void *p, size_t n, int flush)
{
	const char *c = p;

	if (strcmp(req->method, "HEAD") == 0)
		return BPG_OK;
	while (n > 0) {
		int k = n > (1u << 20) ? 1 << 20 : (int)n;
		if (FCGX_PutStr(c, k, req->fcgi->out) != k)
			return BPG_EIO;
		c += k;
		n -= (size_t)k;
		req->bytes_out += (size_t)k;
	}
	if (!flush)
		return FCGX_GetError(req->fcgi->out) == 0 ? BPG_OK : BPG_EIO;
	return FCGX_FFlush(req->fcgi->out) == 0 ? BPG_OK : BPG_EIO;
}

enum bpg_err
bpg_http_reply(struct bpg_http_req *req, int status, const char *content_type,
    const char *extra_headers, const void *body, size_t len)
{
	FCGX_Stream *out = req->fcgi->out;
	int head = strcmp(req->method, "HEAD") == 0;
	char hdr[2048];
	int n;

	if (req->status != 0)
		return BPG_EINTERNAL;   /* a second reply is a bug */
	req->status = status;
	n = reply_head(hdr, sizeof(hdr), req, status, content_type, (long long)len, extra_headers);
	if (n < 0 || FCGX_PutStr(hdr, n, out) != n)
		goto fail;
	if (!head && len > 0 && FCGX_PutStr(body, (int)len, out) != (int)len)
		goto fail;
	req->bytes_out = len;
	return BPG_OK;
fail:
	bpg_log(BPG_LOG_WARN, "http", "write failed (client gone?)", NULL);
	return BPG_EIO;
}

enum bpg_err
bpg_http_reply_json(struct bpg_http_req *req, int status, const cJSON *j)
{
	struct bpg_buf b;
	enum bpg_err err;

	bpg_buf_init(&b, 0);
	err = bpg_json_print(j, &b);
	if (err == BPG_OK)
		err = bpg_http_reply(req, status, "application/json", NULL, b.data, b.len);
	bpg_buf_release(&b);
	return err;
}

enum bpg_err
bpg_http_error_body(const struct bpg_http_req *req, int status, const char *message,
    struct bpg_buf *out)
{
	return bpg_json_error_body(req->livy ? 0 : status, message, out);
}

enum bpg_err
bpg_http_reply_error(struct bpg_http_req *req)
{
	static const char fallback[] = "{\"code\":500,\"message\":\"internal error\"}";
	enum bpg_err e = req->err == BPG_OK ? BPG_EINTERNAL : req->err;
	int status = bpg_err_http_status(e);
	const char *extra = req->err_headers[0] ? req->err_headers : NULL;
	struct bpg_buf b;
	enum bpg_err err;

	if (req->err_msg[0] == '\0')
		snprintf(req->err_msg, sizeof(req->err_msg), "%s", bpg_err_str(e));
	if (status == 401)
		extra = "WWW-Authenticate: Basic realm=\"bpg\"\r\n";
	bpg_buf_init(&b, 0);
	if (bpg_http_error_body(req, status, req->err_msg, &b) == BPG_OK)
		err = bpg_http_reply(req, status, "application/json", extra, b.data, b.len);
	else
		err = bpg_http_reply(req, 500, "application/json", NULL, fallback,
		    sizeof(fallback) - 1);
	bpg_buf_release(&b);
	return err;
}
