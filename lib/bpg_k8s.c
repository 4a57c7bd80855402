/* bpg_k8s: the Kubernetes API client (libcurl): one reused connection per cluster. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include "bpg_json.h"
#include "bpg_k8s.h"
#include "bpg_log.h"
#include "bpg_depcall.h"
#include "bpg_time.h"

/* One cluster's connection and its cached bearer token. */
struct k8s_conn {
	const struct bpg_cluster *cluster;
	CURL *curl;
	struct bpg_buf token;
	struct stat token_st;     /* of the file the token was read from */
	int have_token;
};

struct bpg_k8s {
	struct k8s_conn *conns;
	size_t n;
};

static int curl_ready;

void
bpg_k8s_resp_init(struct bpg_k8s_resp *r)
{
	r->status = 0;
	r->retry_after = -1;
	bpg_buf_init(&r->body, BPG_K8S_MAX_BODY);
}

void
bpg_k8s_resp_release(struct bpg_k8s_resp *r)
{
	bpg_buf_release(&r->body);
	r->status = 0;
}

enum bpg_err
bpg_k8s_new(const struct bpg_config *cfg, struct bpg_k8s **out)
{
	struct bpg_k8s *k;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return BPG_EINTERNAL;
		curl_ready = 1;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return BPG_ENOMEM;
	k->n = cfg->n_clusters;
	k->conns = calloc(k->n ? k->n : 1, sizeof(*k->conns));
	if (k->conns == NULL) {
		free(k);
		return BPG_ENOMEM;
	}
	for (size_t i = 0; i < k->n; i++) {
		k->conns[i].cluster = &cfg->clusters[i];
		bpg_buf_init(&k->conns[i].token, BPG_K8S_MAX_TOKEN);
	}
	*out = k;
	return BPG_OK;
}

void
bpg_k8s_free(struct bpg_k8s *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		if (k->conns[i].curl != NULL)
			curl_easy_cleanup(k->conns[i].curl);
		bpg_buf_wipe(&k->conns[i].token);
	}
	free(k->conns);
	free(k);
}

static struct k8s_conn *
k8s_conn(struct bpg_k8s *k, const struct bpg_cluster *c)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->conns[i].cluster == c || strcmp(k->conns[i].cluster->id, c->id) == 0)
			return &k->conns[i];
	return NULL;
}

/* (Re)reads the token file when it changed since the last read. */
static enum bpg_err
k8s_token(struct k8s_conn *cn, struct bpg_why *why)
{
	const char *path = cn->cluster->token_file;
	struct stat st;
	char chunk[4096];
	size_t n;
	FILE *fp;

	if (stat(path, &st) != 0)
		return bpg_why_set(why, BPG_EUNAVAIL, "cluster %s: cannot read its token file: %s",
		    cn->cluster->id,
		    strerror(errno));
	if (cn->have_token && st.st_mtim.tv_sec == cn->token_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == cn->token_st.st_mtim.tv_nsec && st.st_ino == cn->token_st.st_ino &&
	    st.st_size == cn->token_st.st_size)
		return BPG_OK;
	bpg_buf_wipe(&cn->token);
	cn->have_token = 0;
	if ((fp = fopen(path, "r")) == NULL)
		return bpg_why_set(why, BPG_EUNAVAIL, "cluster %s: cannot open its token file: %s",
		    cn->cluster->id,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (bpg_buf_append(&cn->token, chunk, n) != BPG_OK) {
			fclose(fp);
			return bpg_why_set(why, BPG_EUNAVAIL, "cluster %s: token file too large",
			    cn->cluster->id);
		}
	}
	fclose(fp);
	while (cn->token.len > 0 && (cn->token.data[cn->token.len - 1] == '\n' ||
	    cn->token.data[cn->token.len - 1] == '\r' || cn->token.data[cn->token.len - 1] == ' '))
		cn->token.data[--cn->token.len] = '\0';
	if (cn->token.len == 0 || memchr(cn->token.data, '\n', cn->token.len) != NULL)
		return bpg_why_set(why, BPG_EUNAVAIL,
		    "cluster %s: token file is empty or has several lines",
		    cn->cluster->id);
	cn->token_st = st;
	cn->have_token = 1;
	return BPG_OK;
}

static size_t
k8s_write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct bpg_k8s_resp *r = ud;

	if (bpg_buf_append(&r->body, p, size * nmemb) != BPG_OK)
		return 0;   /* aborts the transfer: CURLE_WRITE_ERROR */
	return size * nmemb;
}

static size_t
k8s_header_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct bpg_k8s_resp *r = ud;
	size_t n = size * nmemb;
	char v[32];

	if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		size_t vl = n - 12 < sizeof(v) - 1 ? n - 12 : sizeof(v) - 1;
		char *end;
		long s;
		memcpy(v, p + 12, vl);
		v[vl] = '\0';
		s = strtol(v, &end, 10);
		if (end != v && s >= 0 && s < 86400)
			r->retry_after = s;
	}
	return n;
}

/* Creates the connection's curl handle with the options that never change. */
static enum bpg_err
k8s_handle(struct k8s_conn *cn)
{
	const struct bpg_cluster *c = cn->cluster;

	if (cn->curl != NULL) {
		curl_easy_reset(cn->curl);
	} else if ((cn->curl = curl_easy_init()) == NULL) {
		return BPG_ENOMEM;
	}
	if (curl_easy_setopt(cn->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_CAINFO, c->ca_file) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_WRITEFUNCTION, k8s_write_cb) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_HEADERFUNCTION, k8s_header_cb) != CURLE_OK)
		return BPG_EINTERNAL;
	return BPG_OK;
}

/* A streamed GET: a 2xx body goes to sink as it arrives. */
struct k8s_stream {
	CURL *curl;
	struct bpg_k8s_resp *resp;
	bpg_k8s_sink sink;
	void *arg;
	long long max_ms;
	int follow;               /* quiet stretches are normal: no stall limit */
	int stopped;              /* the sink said stop */
};

static size_t
k8s_stream_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct k8s_stream *st = ud;
	long code = 0;

	(void)curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299)
		return k8s_write_cb(p, size, nmemb, st->resp);
	if (st->sink(st->arg, p, size * nmemb) != 0) {
		st->stopped = 1;
		return 0;
	}
	return size * nmemb;
}

/* A stream has no total timeout (a big log takes long) but must keep moving. */
static enum bpg_err
k8s_stream_opts(struct k8s_conn *cn, struct k8s_stream *st)
{
	st->curl = cn->curl;
	if (curl_easy_setopt(cn->curl, CURLOPT_WRITEFUNCTION, k8s_stream_cb) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_TIMEOUT_MS, (long)st->max_ms) != CURLE_OK)
		return BPG_EINTERNAL;
	if (!st->follow && (curl_easy_setopt(cn->curl, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_LOW_SPEED_TIME,
	    (long)(cn->cluster->timeout_ms / 1000 + 1)) != CURLE_OK))
		return BPG_EINTERNAL;
	return BPG_OK;
}

/* One request to a cluster: what k8s_perform sends. */
/* Appends line to *hdrs; 0, or -1 (no memory: *hdrs unchanged). */
static int
k8s_header(struct curl_slist **hdrs, const char *line)
{
	struct curl_slist *h = curl_slist_append(*hdrs, line);

	if (h == NULL)
		return -1;
	*hdrs = h;
	return 0;
}

/* The URL and the headers (auth and ct hold the lines curl copies). BPG_ENOMEM. */
static enum bpg_err
k8s_prepare(const struct bpg_cluster *c, const struct k8s_conn *cn, const struct bpg_k8s_req *call,
    struct bpg_buf *url, struct bpg_buf *auth, struct bpg_buf *ct, struct curl_slist **hdrs)
{
	if (bpg_buf_printf(url, "%s%s", c->api_server, call->path) != BPG_OK ||
	    bpg_buf_puts(auth, "Authorization: Bearer ") != BPG_OK ||
	    bpg_buf_append(auth, cn->token.data, cn->token.len) != BPG_OK ||
	    k8s_header(hdrs, auth->data) != 0 || k8s_header(hdrs, "Accept: application/json") != 0)
		return BPG_ENOMEM;
	if (call->content_type != NULL &&
	    (bpg_buf_printf(ct, "Content-Type: %s", call->content_type) != BPG_OK ||
	    k8s_header(hdrs, ct->data) != 0))
		return BPG_ENOMEM;
	return k8s_header(hdrs, "Expect:") != 0 ? BPG_ENOMEM : BPG_OK;
}

/* The handle's options for this request. BPG_EINTERNAL when curl refuses one. */
static enum bpg_err
k8s_setopts(struct k8s_conn *cn, const struct bpg_k8s_req *call, const char *url,
    struct curl_slist *hdrs, struct bpg_k8s_resp *resp, struct k8s_stream *st)
{
	if (curl_easy_setopt(cn->curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_CUSTOMREQUEST, call->method) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_WRITEDATA, st ? (void *)st : (void *)resp) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_HEADERDATA, resp) != CURLE_OK)
		return BPG_EINTERNAL;
	if (call->body != NULL &&
	    (curl_easy_setopt(cn->curl, CURLOPT_POSTFIELDS, call->body) != CURLE_OK ||
	    curl_easy_setopt(cn->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->len) != CURLE_OK))
		return BPG_EINTERNAL;
	if (strcmp(call->method, "GET") == 0 &&
	    curl_easy_setopt(cn->curl, CURLOPT_HTTPGET, 1L) != CURLE_OK)
		return BPG_EINTERNAL;
	if (st != NULL && k8s_stream_opts(cn, st) != BPG_OK)
		return BPG_EINTERNAL;
	return BPG_OK;
}

/* Performs the request; the transfer's failures as the gateway's errors, with why. */
static enum bpg_err
k8s_transfer(const struct bpg_cluster *c, struct k8s_conn *cn, const char *method,
    struct bpg_k8s_resp *resp, const struct k8s_stream *st, struct bpg_why *why)
{
	const char *id = c->id;
	CURLcode cc = curl_easy_perform(cn->curl);

	if (cc == CURLE_WRITE_ERROR && st != NULL && st->stopped)
		return bpg_why_set(why, BPG_EIO, "the reader of the log stopped");
	if (cc == CURLE_WRITE_ERROR)
		return bpg_why_set(why, BPG_EUPSTREAM, "cluster %s answered more than %zu bytes",
		    id,
		    (size_t)BPG_K8S_MAX_BODY);
	if (cc != CURLE_OK) {
		bpg_why_set(why, BPG_EUNAVAIL, "cluster %s is unavailable: %s", id,
		    curl_easy_strerror(cc));
		bpg_log(BPG_LOG_WARN, "k8s", "request failed", "cluster", id, "method", method,
		    "error", curl_easy_strerror(cc), NULL);
		/* a broken connection is not reused */
		curl_easy_cleanup(cn->curl);
		cn->curl = NULL;
		return BPG_EUNAVAIL;   /* timeouts too: the client sees 503 naming the cluster */
	}
	(void)curl_easy_getinfo(cn->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	return BPG_OK;
}

/*
 * Sends one request; a 2xx body goes to st's sink when st is not NULL (a streamed log),
 * any other body into resp->body.
 */
static enum bpg_err
k8s_perform(struct bpg_k8s *k, const struct bpg_cluster *c, const struct bpg_k8s_req *call,
    struct bpg_k8s_resp *resp, struct k8s_stream *st, struct bpg_why *why)
{
	struct k8s_conn *cn = k8s_conn(k, c);
	struct curl_slist *hdrs = NULL;
	struct bpg_buf url, auth, ct;
	enum bpg_err err = BPG_EINTERNAL;
	long long t0 = bpg_time_mono_us();

	bpg_buf_init(&url, 8192);
	bpg_buf_init(&auth, BPG_K8S_MAX_TOKEN + 64);
	bpg_buf_init(&ct, 256);
	bpg_buf_reset(&resp->body);
	resp->status = 0;
	resp->retry_after = -1;
	if (cn == NULL) {
		bpg_why_set(why, err, "cluster %s is not configured", c->id);
		goto out;
	}
	if ((err = k8s_token(cn, why)) != BPG_OK || (err = k8s_handle(cn)) != BPG_OK ||
	    (err = k8s_prepare(c, cn, call, &url, &auth, &ct, &hdrs)) != BPG_OK ||
	    (err = k8s_setopts(cn, call, url.data, hdrs, resp, st)) != BPG_OK)
		goto out;
	err = k8s_transfer(c, cn, call->method, resp, st, why);
out:
	if (cn != NULL)
		bpg_depcall_done(BPG_DEP_K8S, (int)(cn - k->conns), err == BPG_OK &&
		    resp->status < 400, t0);
	curl_slist_free_all(hdrs);
	bpg_buf_release(&url);
	bpg_buf_wipe(&auth);
	bpg_buf_release(&ct);
	return err;
}

enum bpg_err
bpg_k8s_request(struct bpg_k8s *k, const struct bpg_cluster *c, const struct bpg_k8s_req *rq,
    struct bpg_k8s_resp *resp, struct bpg_why *why)
{
	return k8s_perform(k, c, rq, resp, NULL, why);
}

/* Appends the fields of a Status's details.causes to why's text, or its message. */
static void
k8s_status_text(const struct bpg_k8s_resp *resp, struct bpg_why *why)
{
	cJSON *st = NULL;
	const cJSON *msg, *causes, *cause;
	char parse_why[64];
	size_t off = strlen(bpg_why_text(why));
	struct bpg_why tail;

	if (why == NULL || off >= why->size)
		return;
	tail = (struct bpg_why){ why->text + off, why->size - off };
	if (resp->body.len == 0 ||
	    bpg_json_parse(resp->body.data, resp->body.len, &st, BPG_WHY(parse_why)) != BPG_OK) {
		bpg_why_set(&tail, BPG_OK, "HTTP %ld", resp->status);
		return;
	}
	causes = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "details"),
	    "causes");
	if (cJSON_IsArray(causes) && cJSON_GetArraySize(causes) > 0) {
		cJSON_ArrayForEach(cause, causes) {
			const cJSON *f = cJSON_GetObjectItemCaseSensitive(cause, "field");
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(cause, "message");
			int w = snprintf(tail.text, tail.size, "%s%s: %s",
			    cause == causes->child ? "" : "; ",
			    cJSON_IsString(f) ? f->valuestring : "(object)",
			    cJSON_IsString(m) ? m->valuestring : "invalid");
			if (w < 0 || (size_t)w >= tail.size)
				break;
			tail.text += w;
			tail.size -= (size_t)w;
		}
	} else if (cJSON_IsString(msg = cJSON_GetObjectItemCaseSensitive(st, "message"))) {
		bpg_why_set(&tail, BPG_OK, "%s", msg->valuestring);
	} else {
		bpg_why_set(&tail, BPG_OK, "HTTP %ld", resp->status);
	}
	cJSON_Delete(st);
}

enum bpg_err
bpg_k8s_check(const struct bpg_cluster *c, const struct bpg_k8s_resp *resp, struct bpg_why *why)
{
	long s = resp->status;

	if (s >= 200 && s < 300)
		return BPG_OK;
	if (s == 401 || s == 403) {
		bpg_why_set(why, BPG_EUPSTREAM,
		    "cluster %s rejected the gateway's credentials (HTTP %ld)",
		    c->id, s);
		bpg_log(BPG_LOG_ERROR, "k8s", "credentials rejected", "cluster", c->id, NULL);
		return BPG_EUPSTREAM;
	}
	if (s == 429 || s >= 500) {
		bpg_why_set(why, BPG_EUNAVAIL, "cluster %s is unavailable (HTTP %ld): ", c->id, s);
		k8s_status_text(resp, why);
		return BPG_EUNAVAIL;
	}
	if (s == 400 || s == 422)
		bpg_why_set(why, BPG_EINVAL, "cluster %s refused the object: ", c->id);
	else
		bpg_why_set(why, BPG_OK, "%s", "");
	k8s_status_text(resp, why);
	switch (s) {
	case 400:
	case 422:
		return BPG_EINVAL;
	case 404:
		return BPG_ENOTFOUND;
	case 409:
	case 410:
		return BPG_ECONFLICT;
	default:
		return BPG_EUPSTREAM;
	}
}

enum bpg_err
bpg_k8s_query_escape(const char *s, struct bpg_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	enum bpg_err err = BPG_OK;

	for (; *s && err == BPG_OK; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			err = bpg_buf_append(out, s, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			err = bpg_buf_append(out, e, 3);
		}
	}
	return err;
}

/* Sends a request without a body, maps the status, parses a 2xx JSON body into *out (if out). */
static enum bpg_err
k8s_call(struct bpg_k8s *k, const struct bpg_cluster *c, const char *method, const char *path,
    cJSON **out, struct bpg_why *why)
{
	const struct bpg_k8s_req rq = { .method = method, .path = path };
	struct bpg_k8s_resp resp;
	enum bpg_err err;
	char pwhy[128];

	bpg_k8s_resp_init(&resp);
	err = bpg_k8s_request(k, c, &rq, &resp, why);
	if (err == BPG_OK)
		err = bpg_k8s_check(c, &resp, why);
	if (err == BPG_OK && out != NULL) {
		if (bpg_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, out,
		    BPG_WHY(pwhy)) != BPG_OK) {
			err = bpg_why_set(why, BPG_EUPSTREAM,
			    "cluster %s sent an unreadable answer: %s", c->id, pwhy);
		}
	}
	bpg_k8s_resp_release(&resp);
	return err;
}

/* Builds ".../namespaces/NS/sparkapplications[/NAME]" into p. */
static enum bpg_err
k8s_app_path(const struct bpg_cluster *c, const char *name, struct bpg_buf *p)
{
	enum bpg_err err = bpg_buf_printf(p, "%s/namespaces/%s/sparkapplications", BPG_K8S_GROUP_PATH,
	    c->namespace);

	if (err == BPG_OK && name != NULL) {
		err = bpg_buf_puts(p, "/");
		if (err == BPG_OK)
			err = bpg_k8s_query_escape(name, p);
	}
	return err;
}

enum bpg_err
bpg_k8s_create_app(struct bpg_k8s *k, const struct bpg_cluster *c, const cJSON *app,
    char *created, size_t createdlen, struct bpg_why *why)
{
	static const char *const ts_path[] = { "metadata", "creationTimestamp", NULL };
	static const char *const *const paths[] = { ts_path };
	struct bpg_buf path, body;
	struct bpg_k8s_resp resp;
	struct bpg_json_span ts;
	enum bpg_err err;

	created[0] = '\0';
	bpg_buf_init(&path, 0);
	bpg_buf_init(&body, 0);
	bpg_k8s_resp_init(&resp);
	if ((err = k8s_app_path(c, NULL, &path)) == BPG_OK &&
	    (err = bpg_json_print(app, &body)) == BPG_OK &&
	    (err = bpg_k8s_request(k, c, &(const struct bpg_k8s_req){ "POST", path.data,
	    "application/json", body.data, body.len }, &resp, why)) == BPG_OK &&
	    (err = bpg_k8s_check(c, &resp, why)) == BPG_OK) {
		if (bpg_json_pick(resp.body.data ? resp.body.data : "", resp.body.len, paths, 1,
		    &ts) != BPG_OK) {
			err = bpg_why_set(why, BPG_EUPSTREAM,
			    "cluster %s sent an unreadable answer: not JSON", c->id);
		} else {
			(void)bpg_json_span_plain(&ts, created, createdlen);   /* "" when none */
		}
	}
	bpg_k8s_resp_release(&resp);
	bpg_buf_release(&path);
	bpg_buf_release(&body);
	return err;
}

enum bpg_err
bpg_k8s_get_app(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name, cJSON **out,
    struct bpg_why *why)
{
	struct bpg_buf path;
	enum bpg_err err;

	bpg_buf_init(&path, 0);
	if ((err = k8s_app_path(c, name, &path)) == BPG_OK)
		err = k8s_call(k, c, "GET", path.data, out, why);
	bpg_buf_release(&path);
	return err;
}

enum bpg_err
bpg_k8s_delete_app(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name, cJSON **out,
    struct bpg_why *why)
{
	struct bpg_buf path;
	enum bpg_err err;

	bpg_buf_init(&path, 0);
	if ((err = k8s_app_path(c, name, &path)) == BPG_OK)
		err = k8s_call(k, c, "DELETE", path.data, out, why);
	bpg_buf_release(&path);
	return err;
}

enum bpg_err
bpg_k8s_list_apps(struct bpg_k8s *k, const struct bpg_cluster *c, const char *label_selector,
    long limit, const char *cont, cJSON **out, struct bpg_why *why)
{
	struct bpg_buf path;
	enum bpg_err err;

	bpg_buf_init(&path, 0);
	err = k8s_app_path(c, NULL, &path);
	if (err == BPG_OK)
		err = bpg_buf_printf(&path, "?limit=%ld", limit > 0 ? limit : 500);
	if (err == BPG_OK && label_selector != NULL && (err = bpg_buf_puts(&path, "&labelSelector=")) == BPG_OK)
		err = bpg_k8s_query_escape(label_selector, &path);
	if (err == BPG_OK && cont != NULL && *cont && (err = bpg_buf_puts(&path, "&continue=")) == BPG_OK)
		err = bpg_k8s_query_escape(cont, &path);
	if (err == BPG_OK)
		err = k8s_call(k, c, "GET", path.data, out, why);
	bpg_buf_release(&path);
	return err;
}

enum bpg_err
bpg_k8s_list_events(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name,
    const char *kind, cJSON **out, struct bpg_why *why)
{
	struct bpg_buf path, sel;
	enum bpg_err err;

	bpg_buf_init(&path, 0);
	bpg_buf_init(&sel, 0);
	err = bpg_buf_printf(&sel, "involvedObject.name=%s", name);
	if (err == BPG_OK && kind != NULL)
		err = bpg_buf_printf(&sel, ",involvedObject.kind=%s", kind);
	if (err == BPG_OK)
		err = bpg_buf_printf(&path, "/api/v1/namespaces/%s/events?fieldSelector=", c->namespace);
	if (err == BPG_OK)
		err = bpg_k8s_query_escape(sel.data, &path);
	if (err == BPG_OK)
		err = k8s_call(k, c, "GET", path.data, out, why);
	bpg_buf_release(&path);
	bpg_buf_release(&sel);
	return err;
}

/* GET or DELETE of pod name. */
static enum bpg_err
k8s_pod(struct bpg_k8s *k, const struct bpg_cluster *c, const char *method, const char *name,
    cJSON **out, struct bpg_why *why)
{
	struct bpg_buf path;
	enum bpg_err err;

	bpg_buf_init(&path, 0);
	err = bpg_buf_printf(&path, "/api/v1/namespaces/%s/pods/", c->namespace);
	if (err == BPG_OK)
		err = bpg_k8s_query_escape(name, &path);
	if (err == BPG_OK)
		err = k8s_call(k, c, method, path.data, out, why);
	bpg_buf_release(&path);
	return err;
}

enum bpg_err
bpg_k8s_get_pod(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name, cJSON **out,
    struct bpg_why *why)
{
	return k8s_pod(k, c, "GET", name, out, why);
}

enum bpg_err
bpg_k8s_delete_pod(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name,
    struct bpg_why *why)
{
	return k8s_pod(k, c, "DELETE", name, NULL, why);
}

enum bpg_err
bpg_k8s_ping(struct bpg_k8s *k, const struct bpg_cluster *c, struct bpg_why *why)
{
	return k8s_call(k, c, "GET", "/version", NULL, why);
}

enum bpg_err
bpg_k8s_stream_log(struct bpg_k8s *k, const struct bpg_cluster *c, const char *pod,
    const struct bpg_k8s_log_opts *o, bpg_k8s_sink sink, void *arg, struct bpg_why *why)
{
	struct k8s_stream st = { NULL, NULL, sink, arg, o->max_ms, o->follow, 0 };
	struct bpg_k8s_req call = { .method = "GET" };
	struct bpg_k8s_resp resp;
	struct bpg_buf path;
	enum bpg_err err = BPG_ENOMEM;

	bpg_k8s_resp_init(&resp);
	resp.body.limit = 65536;
	st.resp = &resp;
	bpg_buf_init(&path, 8192);
	if (bpg_buf_printf(&path, "/api/v1/namespaces/%s/pods/", c->namespace) != BPG_OK ||
	    bpg_k8s_query_escape(pod, &path) != BPG_OK ||
	    bpg_buf_printf(&path, "/log?follow=%s", o->follow ? "true" : "false") != BPG_OK ||
	    (o->container != NULL && (bpg_buf_puts(&path, "&container=") != BPG_OK ||
	    bpg_k8s_query_escape(o->container, &path) != BPG_OK)) ||
	    (o->tail_lines > 0 && bpg_buf_printf(&path, "&tailLines=%lld", o->tail_lines) != BPG_OK) ||
	    (o->limit_bytes > 0 && bpg_buf_printf(&path, "&limitBytes=%lld", o->limit_bytes) != BPG_OK))
		goto out;
	call.path = path.data;
	err = k8s_perform(k, c, &call, &resp, &st, why);
	if (err == BPG_OK)
		err = bpg_k8s_check(c, &resp, why);
out:
	bpg_buf_release(&path);
	bpg_k8s_resp_release(&resp);
	return err;
}
