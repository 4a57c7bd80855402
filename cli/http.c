/* http.c: the client's one libcurl handle, its requests and the mapping of failures to exits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_json.h"
#include "cli.h"

#define CLI_CONNECT_TIMEOUT_S 10L
#define CLI_TOTAL_TIMEOUT_S   120L
#define CLI_BODY_LIMIT        ((size_t)256 << 20)
#define CLI_ERRBODY_LIMIT     ((size_t)64 << 10)
/* Uploads and follows: abort if under 1 byte/s for this long (a dead peer, not a slow one). */
#define CLI_STALL_S           300L

struct xfer {
	struct cli *c;
	const struct cli_req *rq;
	struct cli_resp *resp;
	double start_s;
	int sniff_off;              /* the body is not rq->sniff: written as it comes */
};

int
cli_http_init(struct cli *c)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (c->curl = curl_easy_init()) == NULL) {
		cli_error(c, "cannot initialise libcurl");
		return CLI_SERVER;
	}
	return CLI_OK;
}

void
cli_http_release(struct cli *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	curl_global_cleanup();
}

void
cli_resp_release(struct cli_resp *resp)
{
	bpg_buf_release(&resp->body);
}

char *
cli_escape(struct cli *c, const char *s)
{
	return curl_easy_escape(c->curl, s, 0);
}

/* Writes the held start of a sniffed body; CLI_OK or the write's failure. */
static int
sniff_flush(struct xfer *x)
{
	int ret = CLI_OK;

	if (x->resp->body.len > 0)
		ret = cli_write(x->c, x->resp->body.data, x->resp->body.len);
	x->resp->body.len = 0;
	x->sniff_off = 1;
	return ret;
}

/*
 * A 2xx body to stdout; while it still matches the start of rq->sniff it is held back in
 * resp->body (cli_http() decides at the end whether it was all of it).
 */
static int
sniff_write(struct xfer *x, const char *p, size_t len)
{
	const char *want = x->rq->sniff;
	size_t have = x->resp->body.len;

	if (want != NULL && !x->sniff_off) {
		size_t n = strlen(want);
		if (have + len <= n && memcmp(want + have, p, len) == 0)
			return bpg_buf_append(&x->resp->body, p, len) == BPG_OK ? CLI_OK : CLI_SERVER;
		if (sniff_flush(x) != CLI_OK)
			return CLI_SERVER;
	}
	return cli_write(x->c, p, len);
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	long status = 0;

	(void)curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->rq->stream && status >= 200 && status < 300)
		return sniff_write(x, p, len) == CLI_OK ? len : 0;
	if (x->rq->stream && x->resp->body.len + len > CLI_ERRBODY_LIMIT)
		return len;   /* an error body: its start is enough */
	if (bpg_buf_append(&x->resp->body, p, len) != BPG_OK)
		return 0;
	return len;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;

	(void)dltotal;
	(void)dlnow;
	if (cli_interrupted)
		return 1;
	if (x->rq->progress && ultotal > 0)
		cli_term_progress(x->c, (double)ulnow, (double)ultotal, x->start_s);
	return 0;
}

static size_t
on_read(char *p, size_t size, size_t n, void *arg)
{
	FILE *f = arg;
	size_t got = fread(p, size, n, f);

	if (got == 0 && ferror(f))
		return CURL_READFUNC_ABORT;
	return got;
}

/* Maps an HTTP status to an exit status. */
static int
status_exit(long status)
{
	if (status == 404)
		return CLI_NOTFOUND;
	if (status == 401 || status == 403)
		return CLI_FORBIDDEN;
	if (status >= 400 && status < 500 && status != 408 && status != 429)
		return CLI_USAGE;
	return CLI_SERVER;
}

/* resp->err from an error answer: the server's message, else the start of the body. */
static void
error_message(const struct cli *c, struct cli_resp *resp)
{
	cJSON *j = NULL;
	const cJSON *m;
	char why[64];

	if (resp->body.len > 0 &&
	    bpg_json_parse(resp->body.data, resp->body.len, &j, BPG_WHY(why)) == BPG_OK &&
	    cJSON_IsString(m = cJSON_GetObjectItemCaseSensitive(j, "message")) && m->valuestring[0]) {
		snprintf(resp->err, sizeof(resp->err), "%s (HTTP %ld)", m->valuestring, resp->status);
	} else {
		snprintf(resp->err, sizeof(resp->err), "%s answered HTTP %ld", c->conf.url, resp->status);
	}
	cJSON_Delete(j);
	if (resp->status == 401 && c->conf.password == NULL) {
		size_t n = strlen(resp->err);
		snprintf(resp->err + n, sizeof(resp->err) - n,
		    "; no password found: set BPG_PASSWORD, a password_command or ~/.netrc");
	}
}

/* Sets the options of one request on the shared handle. */
static int
setup(struct cli *c, const struct cli_req *rq, struct xfer *x, struct curl_slist **hdrs,
    char *url, size_t urllen)
{
	CURL *h = c->curl;
	int n = snprintf(url, urllen, "%s%s", c->conf.url, rq->path);

	if (n < 0 || (size_t)n >= urllen)
		return -1;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CLI_CONNECT_TIMEOUT_S);
	if (rq->follow || rq->upload != NULL) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, CLI_STALL_S);
		curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, CLI_TOTAL_TIMEOUT_S);
	}
	curl_easy_setopt(h, CURLOPT_USERAGENT, "bpg/" CLI_VERSION);
	if (c->conf.cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->conf.cacert);
	if (c->conf.user != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->conf.user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->conf.password != NULL ? c->conf.password : "");
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->upload != NULL) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, rq->upload);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, rq->upload_size);
	} else if (rq->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	if (rq->ctype != NULL) {
		char line[128];
		snprintf(line, sizeof(line), "Content-Type: %s", rq->ctype);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	if (rq->idem_key != NULL) {
		char line[300];
		snprintf(line, sizeof(line), "Idempotency-Key: %s", rq->idem_key);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	*hdrs = curl_slist_append(*hdrs, "Accept: application/json, */*");
	if (*hdrs == NULL)
		return -1;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return 0;
}

int
cli_http(struct cli *c, const struct cli_req *rq, struct cli_resp *resp)
{
	struct curl_slist *hdrs = NULL;
	struct xfer x = { c, rq, resp, cli_now_s(), 0 };
	char url[4096];
	CURLcode rc;
	int ret = CLI_OK;

	memset(resp, 0, sizeof(*resp));
	bpg_buf_init(&resp->body, CLI_BODY_LIMIT);
	if (setup(c, rq, &x, &hdrs, url, sizeof(url)) != 0) {
		snprintf(resp->err, sizeof(resp->err), "request too long or out of memory");
		ret = CLI_USAGE;
		goto out;
	}
	rc = curl_easy_perform(c->curl);
	(void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rq->progress)
		cli_term_clear(c);
	if (rc == CURLE_ABORTED_BY_CALLBACK && cli_interrupted) {
		snprintf(resp->err, sizeof(resp->err), "interrupted");
		ret = CLI_INTERRUPTED;
		goto out;
	}
	if (rc == CURLE_WRITE_ERROR && c->stdout_broken)
		goto out;   /* the reader went away (| head): not an error */
	if (rc != CURLE_OK) {
		snprintf(resp->err, sizeof(resp->err), "%s %.300s: %s", rq->method, url, curl_easy_strerror(rc));
		ret = CLI_SERVER;
		goto out;
	}
	if (resp->status < 200 || resp->status >= 300) {
		error_message(c, resp);
		ret = status_exit(resp->status);
	} else if (rq->stream && rq->sniff != NULL && !x.sniff_off) {
		if (resp->body.len == strlen(rq->sniff))
			resp->sniffed = 1;
		else if (sniff_flush(&x) != CLI_OK && !c->stdout_broken)
			ret = CLI_SERVER;
		resp->body.len = 0;
	}
out:
	curl_slist_free_all(hdrs);
	if (ret != CLI_OK && ret != CLI_INTERRUPTED && !rq->keep_errors)
		cli_error(c, "%s", resp->err);
	return ret;
}

int
cli_get_json(struct cli *c, const char *path, cJSON **out)
{
	struct cli_req rq = { .method = "GET", .path = path };
	struct cli_resp resp;
	char why[128];
	int ret = cli_http(c, &rq, &resp);

	if (ret == CLI_OK &&
	    bpg_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, out,
	    BPG_WHY(why)) != BPG_OK) {
		cli_error(c, "GET %s%s: the answer is not JSON: %s", c->conf.url, path, why);
		ret = CLI_SERVER;
	}
	cli_resp_release(&resp);
	return ret;
}
