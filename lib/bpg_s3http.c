/* bpg_s3http: the S3 client's transport: one request signed, sent, retried, mapped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "bpg_log.h"
#include "bpg_depcall.h"
#include "bpg_time.h"
#include "bpg_s3http.h"
#include "bpg_s3xml.h"

#define S3_STREAM_MAX_MS  (6LL * 3600 * 1000)    /* a streamed GET, however slow, ends by then */
#define S3_WHAT_MAX       (BPG_S3_KEY_MAX + 128)
#define S3_UPLOAD_BUFFER  (256L << 10)           /* curl's buffer for a file body */
#define S3_OWNER_HDR_LEN  (sizeof(BPG_S3HTTP_OWNER_HDR ":") - 1)

void
bpg_s3http_resp_init(struct bpg_s3_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	bpg_buf_init(&r->body, BPG_S3HTTP_MAX_BODY);
}

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct bpg_s3_resp *r = ud;
	size_t n = size * nmemb;
	long code = 0;

	if (r->op->sink != NULL && curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code) ==
	    CURLE_OK && code >= 200 && code < 300) {
		if (r->op->sink(r->op->arg, p, n) != 0) {
			r->sink_stopped = 1;
			return 0;
		}
		r->delivered += (long long)n;
		return n;
	}
	if (bpg_buf_append(&r->body, p, n) != BPG_OK) {
		r->overflow = 1;
		return 0;
	}
	return n;
}

/* Copies a header's value (trimmed) into out; *bad when it does not fit or holds a NUL. */
static void
header_value(const char *v, size_t vl, char *out, size_t outlen, int *bad)
{
	bpg_s3xml_trim(&v, &vl);
	while (vl > 0 && (v[vl - 1] == '\n' || v[vl - 1] == '\r'))
		vl--;
	out[0] = '\0';
	if (vl >= outlen || memchr(v, '\0', vl) != NULL) {
		*bad = 1;
		return;
	}
	memcpy(out, v, vl);
	out[vl] = '\0';
}

static size_t
header_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct bpg_s3_resp *r = ud;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		r->etag[0] = '\0';        /* a new answer (after a 100 Continue) */
		r->etag_bad = 0;
		r->owner[0] = '\0';
		r->owner_bad = 0;
	} else if (n > S3_OWNER_HDR_LEN &&
	    strncasecmp(p, BPG_S3HTTP_OWNER_HDR ":", S3_OWNER_HDR_LEN) == 0) {
		header_value(p + S3_OWNER_HDR_LEN, n - S3_OWNER_HDR_LEN, r->owner, sizeof(r->owner),
		    &r->owner_bad);
	} else if (n > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		header_value(p + 5, n - 5, r->etag, sizeof(r->etag), &r->etag_bad);
		if (r->etag[0] == '\0')
			r->etag_bad = 1;
	}
	return n;
}

/* Feeds a file body to curl: pread from where this attempt got to; aborts when cancelled. */
static size_t
read_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct bpg_s3_resp *r = ud;
	const struct bpg_s3_file_body *f = r->op->file;
	size_t want = size * nmemb, left = f->len - r->sent;
	ssize_t n;

	if (f->cancel != NULL && __atomic_load_n(f->cancel, __ATOMIC_RELAXED)) {
		r->cancelled = 1;
		return CURL_READFUNC_ABORT;
	}
	if (want > left)
		want = left;
	if (want == 0)
		return 0;
	do
		n = pread(f->fd, p, want, (off_t)(f->off + (long long)r->sent));
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		r->read_failed = n < 0 ? errno : EIO;
		return CURL_READFUNC_ABORT;
	}
	r->sent += (size_t)n;
	return (size_t)n;
}

/* curl rewinds a file body (a resend on a reused connection): from byte 0 only. */
static int
seek_cb(void *ud, curl_off_t offset, int origin)
{
	struct bpg_s3_resp *r = ud;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > r->op->file->len)
		return CURL_SEEKFUNC_CANTSEEK;
	r->sent = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* Stops a file body's transfer once cancelled, even while it waits for the answer. */
static int
progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct bpg_s3_resp *r = ud;
	const int *cancel = r->op->file->cancel;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (cancel != NULL && __atomic_load_n(cancel, __ATOMIC_RELAXED)) {
		r->cancelled = 1;
		return 1;
	}
	return 0;
}

static int
prereq_cb(void *ud, char *ip, char *local_ip, int port, int local_port)
{
	struct bpg_s3_resp *r = ud;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	r->connected = 1;
	return CURL_PREREQFUNC_OK;
}

/* Appends the Range of the next attempt of a streamed GET ("" when none is needed). */
static enum bpg_err
range_of(const struct bpg_s3_op *op, const struct bpg_s3_resp *r, struct bpg_buf *out)
{
	long long from = op->offset + r->delivered;

	if (op->sink == NULL || (!op->ranged && r->delivered == 0))
		return BPG_OK;
	if (op->length < 0)
		return bpg_buf_printf(out, "bytes=%lld-", from);
	return bpg_buf_printf(out, "bytes=%lld-%lld", from, op->offset + op->length - 1);
}

/* Builds the request's host and path; key == NULL addresses the bucket. */
static enum bpg_err
target_of(const struct bpg_s3 *s, const struct bpg_s3_op *op, struct bpg_buf *host,
    struct bpg_buf *path)
{
	enum bpg_err err;

	if (s->path_style) {
		if ((err = bpg_buf_puts(host, s->host)) != BPG_OK ||
		    (err = bpg_buf_printf(path, "/%s", op->bucket)) != BPG_OK)
			return err;
		return op->key ? bpg_buf_printf(path, "/%s", op->key) : BPG_OK;
	}
	if ((err = bpg_buf_printf(host, "%s.%s", op->bucket, s->host)) != BPG_OK)
		return err;
	return bpg_buf_printf(path, "/%s", op->key ? op->key : "");
}

/* Appends "Name: value" to the list; 0 on failure. */
static int
add_header(struct curl_slist **list, struct bpg_buf *tmp, const char *name, const char *value)
{
	struct curl_slist *l;

	bpg_buf_reset(tmp);
	if (bpg_buf_printf(tmp, "%s: %s", name, value) != BPG_OK ||
	    (l = curl_slist_append(*list, tmp->data)) == NULL)
		return 0;
	*list = l;
	return 1;
}

/* The pieces of one request on the wire, as build_request makes them. */
struct s3_wire {
	struct bpg_buf host, path, range, tmp;
	char sha[BPG_SIGV4_HEX_LEN + 1], auth[BPG_SIGV4_AUTH_MAX], date[BPG_SIGV4_DATE_LEN + 1];
	const char *token;                    /* the session token, or NULL */
};

/* Signs op for w's host and path: w->auth and w->date get Authorization and X-Amz-Date. */
static enum bpg_err
sign_op(const struct bpg_s3 *s, const struct bpg_s3_op *op, struct s3_wire *w)
{
	struct bpg_sigv4_pair hv[3];
	size_t nh = 0;
	struct bpg_sigv4_input in;

	if (op->content_type != NULL)
		hv[nh++] = (struct bpg_sigv4_pair){ "Content-Type", op->content_type };
	if (op->checksum_hdr != NULL)
		hv[nh++] = (struct bpg_sigv4_pair){ op->checksum_hdr, op->checksum_val };
	if (op->owner != NULL)
		hv[nh++] = (struct bpg_sigv4_pair){ BPG_S3HTTP_OWNER_HDR, op->owner };
	in = (struct bpg_sigv4_input){ .method = op->method, .params = op->params,
	    .n_params = op->n_params, .headers = hv, .n_headers = nh,
	    .payload_sha256 = w->sha, .region = s->region, .service = "s3",
	    .access_key = s->cred.akid.data, .secret_key = s->cred.secret.data,
	    .session_token = w->token, .now = (time_t)(bpg_time_now_ms() / 1000), .host = w->host.data,
	    .path = w->path.data };
	return bpg_sigv4_sign(&in, NULL, w->auth, sizeof(w->auth), w->date);
}

/* The URL of op: scheme, host, the canonical path and query. */
static enum bpg_err
url_of(const struct bpg_s3 *s, const struct bpg_s3_op *op, const struct s3_wire *w,
    struct bpg_buf *url)
{
	enum bpg_err err;

	if ((err = bpg_buf_printf(url, "%s://%s", s->scheme, w->host.data)) != BPG_OK ||
	    (err = bpg_sigv4_canonical_uri(w->path.data, url)) != BPG_OK || op->n_params == 0)
		return err;
	if ((err = bpg_buf_puts(url, "?")) != BPG_OK)
		return err;
	return bpg_sigv4_canonical_query(op->params, op->n_params, url);
}

/* Appends every header of the signed request to *hdrs; 0 on failure. */
static int
add_headers(const struct bpg_s3_op *op, const struct bpg_s3_resp *r, struct s3_wire *w,
    struct curl_slist **hdrs)
{
	const struct bpg_sigv4_pair always[] = { { "Host", w->host.data },
	    { "X-Amz-Date", w->date }, { "X-Amz-Content-SHA256", w->sha },
	    { "Authorization", w->auth }, { "Expect", "" } };
	const struct bpg_sigv4_pair maybe[] = {
	    { "X-Amz-Security-Token", w->token },
	    { "Content-Type", op->content_type },
	    { op->checksum_hdr, op->checksum_val },
	    { BPG_S3HTTP_OWNER_HDR, op->owner },
	    { "Range", w->range.len > 0 ? w->range.data : NULL },
	    { "If-Match", w->range.len > 0 && r->first_etag[0] ? r->first_etag : NULL } };

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (!add_header(hdrs, &w->tmp, always[i].name, always[i].value))
			return 0;
	for (size_t i = 0; i < sizeof(maybe) / sizeof(maybe[0]); i++)
		if (maybe[i].name != NULL && maybe[i].value != NULL &&
		    !add_header(hdrs, &w->tmp, maybe[i].name, maybe[i].value))
			return 0;
	return 1;
}

/* Signs op and builds the URL and the header list (freed by the caller). */
static enum bpg_err
build_request(const struct bpg_s3 *s, const struct bpg_s3_op *op, const struct bpg_s3_resp *r,
    struct bpg_buf *url, struct curl_slist **hdrs)
{
	struct s3_wire w;
	enum bpg_err err;

	bpg_buf_init(&w.host, 0);
	bpg_buf_init(&w.path, 0);
	bpg_buf_init(&w.tmp, 0);
	bpg_buf_init(&w.range, 0);
	w.token = s->cred.token.len > 0 ? s->cred.token.data : NULL;
	if (op->file != NULL)
		memcpy(w.sha, op->file->sha256_hex, sizeof(w.sha));
	else
		bpg_sigv4_sha256_hex(op->body, op->len, w.sha);
	if ((err = target_of(s, op, &w.host, &w.path)) != BPG_OK ||
	    (err = range_of(op, r, &w.range)) != BPG_OK || (err = sign_op(s, op, &w)) != BPG_OK ||
	    (err = url_of(s, op, &w, url)) != BPG_OK)
		goto out;
	err = add_headers(op, r, &w, hdrs) ? BPG_OK : BPG_ENOMEM;
out:
	explicit_bzero(w.auth, sizeof(w.auth));
	bpg_buf_wipe(&w.tmp);
	bpg_buf_release(&w.host);
	bpg_buf_release(&w.path);
	bpg_buf_release(&w.range);
	return err;
}

/* Sets a file body: curl asks read_cb for it, piece by piece (never held whole). */
static int
set_file_body(const struct bpg_s3_op *op, struct bpg_s3_resp *r, CURL *c)
{
	return curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, op->method) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)op->file->len) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_READDATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_SEEKDATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_XFERINFODATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, S3_UPLOAD_BUFFER) == CURLE_OK;
}

/* Sets the method, body and timeouts of op on the (reset) handle. */
static int
set_method(const struct bpg_s3 *s, const struct bpg_s3_op *op, struct bpg_s3_resp *r, CURL *c)
{
	long low_time = (s->timeout_ms + 999) / 1000;

	if (op->file != NULL) {
		if (!set_file_body(op, r, c))
			return 0;
	} else if (strcmp(op->method, "HEAD") == 0) {
		if (curl_easy_setopt(c, CURLOPT_NOBODY, 1L) != CURLE_OK)
			return 0;
	} else if (strcmp(op->method, "GET") == 0) {
		if (curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK)
			return 0;
	} else if (curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, op->method) != CURLE_OK ||
	    (op->body != NULL && (curl_easy_setopt(c, CURLOPT_POSTFIELDS, op->body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)op->len) != CURLE_OK))) {
		return 0;
	} else if (op->body == NULL && strcmp(op->method, "DELETE") != 0 &&
	    (curl_easy_setopt(c, CURLOPT_POSTFIELDS, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0) != CURLE_OK)) {
		return 0;
	}
	if (op->sink == NULL)
		return curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms) == CURLE_OK;
	/* a streamed body may take long; a stall may not */
	return curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)S3_STREAM_MAX_MS) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, low_time > 0 ? low_time : 1L) == CURLE_OK;
}

/* Resets the reused handle and sets every option of this request. */
static int
set_options(struct bpg_s3 *s, const struct bpg_s3_op *op, struct bpg_s3_resp *r, const char *url,
    struct curl_slist *hdrs)
{
	CURL *c = s->curl;
	int https = strcmp(s->scheme, "https") == 0;

	curl_easy_reset(c);
	return curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, s->scheme) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, prereq_cb) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_PREREQDATA, r) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err) == CURLE_OK &&
	    (!https || (curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
	    (s->ca_file == NULL || curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file) == CURLE_OK))) &&
	    set_method(s, op, r, c);
}

/* Maps a failed transfer to an error and a reason. */
static enum bpg_err
transfer_err(CURLcode rc, const struct bpg_s3_resp *r, const char *what, char *why, size_t whylen)
{
	const char *detail = r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc);

	if (rc == CURLE_WRITE_ERROR && r->sink_stopped) {
		bpg_s3_why(why, whylen, "%s: the receiver stopped the download", what);
		return BPG_EIO;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->cancelled) {
		bpg_s3_why(why, whylen, "%s: cancelled", what);
		return BPG_EIO;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->read_failed) {
		bpg_s3_why(why, whylen, "%s: cannot read the spooled body: %s", what,
		    strerror(r->read_failed));
		return BPG_EIO;
	}
	if (rc == CURLE_WRITE_ERROR && r->overflow) {
		bpg_s3_why(why, whylen, "%s: S3's answer is larger than %zu bytes", what, BPG_S3HTTP_MAX_BODY);
		return BPG_EUPSTREAM;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT && r->connected) {
		bpg_s3_why(why, whylen, "%s: S3 did not answer in time: %s", what, detail);
		return BPG_ETIMEOUT;
	}
	bpg_s3_why(why, whylen, "%s: S3 cannot be reached: %s", what, detail);
	return BPG_EUNAVAIL;
}

/* Sends op once; the answer's status, ETag and (capped) body land in r. */
static enum bpg_err
s3_once(struct bpg_s3 *s, const struct bpg_s3_op *op, struct bpg_s3_resp *r, const char *what,
    char *why, size_t whylen)
{
	struct curl_slist *hdrs = NULL;
	struct bpg_buf url;
	enum bpg_err err;
	CURLcode rc;
	curl_off_t cl = -1;
	long long t0 = bpg_time_mono_us();

	bpg_buf_init(&url, 0);
	bpg_buf_reset(&r->body);
	r->status = 0;
	r->content_length = -1;
	r->etag[0] = '\0';
	r->etag_bad = r->overflow = r->connected = r->cancelled = r->read_failed = 0;
	r->sent = 0;
	r->curl_err[0] = '\0';
	if ((err = bpg_s3cred_refresh(&s->cred, why, whylen)) != BPG_OK) {
		err = BPG_EUNAVAIL;
		goto out;
	}
	if ((err = build_request(s, op, r, &url, &hdrs)) != BPG_OK) {
		bpg_s3_why(why, whylen, "%s: cannot build the request: %s", what, bpg_err_str(err));
		goto out;
	}
	err = BPG_EINTERNAL;
	if (!set_options(s, op, r, url.data, hdrs)) {
		bpg_s3_why(why, whylen, "%s: cannot set up curl", what);
		goto out;
	}
	if ((rc = curl_easy_perform(s->curl)) != CURLE_OK) {
		err = transfer_err(rc, r, what, why, whylen);
		goto out;
	}
	if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &r->status) != CURLE_OK)
		goto out;
	if (curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK)
		r->content_length = (long long)cl;
	err = bpg_s3_check(r->status, r->body.data, r->body.len, what, why, whylen);
out:
	/* a missing key is an answer, not a failure of S3 */
	bpg_depcall_done(BPG_DEP_S3, 0, err == BPG_OK || err == BPG_ENOTFOUND, t0);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	bpg_buf_release(&url);
	return err;
}

enum bpg_err
bpg_s3http_call(struct bpg_s3 *s, const struct bpg_s3_op *op, struct bpg_s3_resp *r, char *why,
    size_t whylen)
{
	char what[S3_WHAT_MAX], st[16];
	enum bpg_err err;

	(void)snprintf(what, sizeof(what), "%s %s%s%s", op->method, op->bucket, op->key ? "/" : "",
	    op->key ? op->key : "");
	r->curl = s->curl;
	r->op = op;
	for (int attempt = 0;; attempt++) {
		err = s3_once(s, op, r, what, why, whylen);
		if (op->sink != NULL && r->first_etag[0] == '\0' && (err == BPG_OK || r->delivered > 0))
			memcpy(r->first_etag, r->etag, sizeof(r->etag));
		if (err != BPG_EUNAVAIL || !op->idempotent || attempt > 0 || r->sink_stopped ||
		    r->cancelled)
			break;
		bpg_log(BPG_LOG_INFO, "s3", "retrying", "op", op->method, "bucket", op->bucket,
		    "key", op->key, "error", why, NULL);
	}
	if (err != BPG_OK) {
		(void)snprintf(st, sizeof(st), "%ld", r->status);
		bpg_log(err == BPG_ENOTFOUND ? BPG_LOG_DEBUG : BPG_LOG_WARN, "s3", "request failed",
		    "op", op->method, "bucket", op->bucket, "key", op->key, "status", st,
		    "error", why, NULL);
	}
	return err;
}
