/* bpg_s3: the S3 client (libcurl + bpg_sigv4): objects, ranges, listings, multipart uploads. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include "bpg_buf.h"
#include "bpg_log.h"
#include "bpg_metrics.h"
#include "bpg_s3.h"
#include "bpg_sigv4.h"
#include "bpg_time.h"

#define S3_MAX_BODY       ((size_t)8 << 20)      /* a listing or an error read into memory */
#define S3_MAX_CRED_FILE  ((size_t)64 << 10)     /* a secret, token or credentials file */
#define S3_MAX_XML_VALUE  4096                   /* one element's text, unescaped */
#define S3_MAX_PAGE       1000                   /* S3's own max-keys and max-uploads */
#define S3_STREAM_MAX_MS  (6LL * 3600 * 1000)    /* a streamed GET, however slow, ends by then */
#define S3_MAX_PARAMS     6
#define S3_WHAT_MAX       (BPG_S3_KEY_MAX + 128)
#define S3_UPLOAD_BUFFER  (256L << 10)           /* curl's buffer for a file body */
#define S3_OWNER_HDR      "x-amz-meta-bpg-owner"  /* an object's owner (user metadata) */
#define S3_OWNER_HDR_LEN  (sizeof(S3_OWNER_HDR ":") - 1)

enum s3_cred_src { CRED_CONF, CRED_ENV, CRED_SHARED };

/* A file credentials come from, read again when it changes. */
struct s3_cred_file {
	char *path;               /* NULL: not used */
	struct stat st;
	int loaded;
};

struct bpg_s3 {
	CURL *curl;
	const char *scheme;       /* "http" or "https" */
	char *host;               /* the endpoint's host[:port] */
	char *region;
	char *ca_file;
	int path_style;
	long connect_timeout_ms;
	long timeout_ms;
	int page_size;            /* max-keys, max-uploads */
	enum s3_cred_src src;
	struct bpg_buf akid, secret, token;   /* token.len 0: none */
	struct s3_cred_file secret_f, token_f, shared_f;
	char *profile;
};

/* One request: what to send, and for a GET where the body goes. */
struct s3_op {
	const char *method;
	const char *bucket;
	const char *key;                      /* NULL: the bucket itself */
	struct bpg_sigv4_pair params[S3_MAX_PARAMS];
	size_t n_params;
	const void *body;
	size_t len;
	const struct bpg_s3_file_body *file;  /* the body read from a file instead (then len) */
	const char *content_type;             /* sent and signed when not NULL */
	const char *checksum_hdr;             /* an x-amz-checksum-* header, sent and signed */
	const char *checksum_val;
	const char *owner;                    /* x-amz-meta-bpg-owner, sent and signed */
	int idempotent;                       /* retried once on EUNAVAIL */
	bpg_s3_sink sink;                     /* a streamed GET of [offset, offset+length) */
	void *arg;
	long long offset, length;
	int ranged;
};

/* What came back; delivered and etag survive a retry (a GET resumes). */
struct s3_resp {
	CURL *curl;
	const struct s3_op *op;
	long status;
	struct bpg_buf body;
	char etag[BPG_S3_ETAG_MAX];
	char first_etag[BPG_S3_ETAG_MAX];     /* of the GET's first answer, for If-Match */
	int etag_bad;
	char owner[BPG_S3_OWNER_MAX + 1];     /* x-amz-meta-bpg-owner of the answer, or "" */
	int owner_bad;
	long long delivered;
	size_t sent;                          /* of a file body, this attempt */
	int sink_stopped, overflow, connected, cancelled, read_failed;
	char curl_err[CURL_ERROR_SIZE];
};

static int curl_ready;

/* Writes a one-line reason into why (truncated if it must be: it is only a message). */
static void
set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* --- credentials --- */

/* Trims ASCII white space on both ends of b (a secret read from a file). */
static void
trim_buf(struct bpg_buf *b)
{
	size_t i = 0;

	while (b->len > 0 && strchr(" \t\r\n", b->data[b->len - 1]) != NULL)
		b->data[--b->len] = '\0';
	while (i < b->len && strchr(" \t\r\n", b->data[i]) != NULL)
		i++;
	if (i > 0) {
		memmove(b->data, b->data + i, b->len - i + 1);
		b->len -= i;
	}
}

/*
 * Reads the file at path into b (wiped first), at most S3_MAX_CRED_FILE bytes; st gets its
 * stat. BPG_EIO (errno set) or BPG_ETOOLARGE on failure.
 */
static enum bpg_err
read_small_file(const char *path, struct bpg_buf *b, struct stat *st)
{
	enum bpg_err err = BPG_EIO;
	char chunk[4096];
	ssize_t n;
	int fd;

	bpg_buf_wipe(b);
	bpg_buf_init(b, S3_MAX_CRED_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return BPG_EIO;
	if (fstat(fd, st) != 0)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (err = bpg_buf_append(b, chunk, (size_t)n)) != BPG_OK)
			goto out;
		err = BPG_EIO;
	}
	err = bpg_buf_append(b, "", 0);
out:
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return err;
}

/* Returns 1 when f must be read (first time, or it changed since), 0 if not, -1 on error. */
static int
cred_file_changed(const struct s3_cred_file *f)
{
	struct stat st;

	if (stat(f->path, &st) != 0)
		return -1;
	return !f->loaded || st.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec || st.st_ino != f->st.st_ino ||
	    st.st_size != f->st.st_size;
}

/* Reads a one-value file (a secret or a session token) into b when it changed. */
static enum bpg_err
load_value_file(struct s3_cred_file *f, struct bpg_buf *b, char *why, size_t whylen)
{
	enum bpg_err err;
	int changed = cred_file_changed(f);

	if (changed == 0)
		return BPG_OK;
	if (changed < 0 || (err = read_small_file(f->path, b, &f->st)) != BPG_OK) {
		set_why(why, whylen, "cannot read S3 credential file %s: %s", f->path,
		    changed < 0 || errno != 0 ? strerror(errno) : "too large");
		f->loaded = 0;
		return BPG_EIO;
	}
	trim_buf(b);
	if (b->len == 0 || memchr(b->data, '\n', b->len) != NULL || strlen(b->data) != b->len) {
		set_why(why, whylen, "S3 credential file %s is empty or has several lines", f->path);
		f->loaded = 0;
		return BPG_EIO;
	}
	f->loaded = 1;
	return BPG_OK;
}

/* Sets dst to the n bytes at p (wiping what it held). */
static enum bpg_err
set_secret(struct bpg_buf *dst, const char *p, size_t n)
{
	bpg_buf_wipe(dst);
	bpg_buf_init(dst, S3_MAX_CRED_FILE);
	return n > 0 ? bpg_buf_append(dst, p, n) : BPG_OK;
}

/* Trims [*p, *p + *n) of spaces and tabs. */
static void
trim_span(const char **p, size_t *n)
{
	while (*n > 0 && ((*p)[0] == ' ' || (*p)[0] == '\t' || (*p)[0] == '\r')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

/* Applies one "key = value" line of the chosen profile; 0 if the key is not ours. */
static enum bpg_err
shared_kv(struct bpg_s3 *s, const char *line, size_t n)
{
	const char *eq = memchr(line, '=', n), *k = line, *v;
	size_t kn, vn;

	if (eq == NULL)
		return BPG_OK;
	kn = (size_t)(eq - line);
	v = eq + 1;
	vn = n - kn - 1;
	trim_span(&k, &kn);
	trim_span(&v, &vn);
	if (kn == 17 && strncasecmp(k, "aws_access_key_id", kn) == 0)
		return set_secret(&s->akid, v, vn);
	if (kn == 21 && strncasecmp(k, "aws_secret_access_key", kn) == 0)
		return set_secret(&s->secret, v, vn);
	if (kn == 17 && strncasecmp(k, "aws_session_token", kn) == 0)
		return set_secret(&s->token, v, vn);
	return BPG_OK;
}

/* Parses the credentials file text for [profile]: its key id, secret and token. */
static enum bpg_err
parse_shared(struct bpg_s3 *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	enum bpg_err err = BPG_OK;
	int in_profile = 0;

	while (p < end && err == BPG_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p;
		size_t n = (size_t)((nl ? nl : end) - p);
		p = nl ? nl + 1 : end;
		trim_span(&line, &n);
		if (n == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[' && line[n - 1] == ']') {
			const char *name = line + 1;
			size_t nn = n - 2;
			trim_span(&name, &nn);
			in_profile = nn == strlen(s->profile) && memcmp(name, s->profile, nn) == 0;
			continue;
		}
		if (in_profile)
			err = shared_kv(s, line, n);
	}
	return err;
}

/* Reads the shared credentials file when it changed. */
static enum bpg_err
load_shared(struct bpg_s3 *s, char *why, size_t whylen)
{
	struct bpg_buf text;
	enum bpg_err err = BPG_OK;
	int changed = cred_file_changed(&s->shared_f);

	if (changed == 0)
		return BPG_OK;
	bpg_buf_init(&text, S3_MAX_CRED_FILE);
	s->shared_f.loaded = 0;
	if (changed < 0 || read_small_file(s->shared_f.path, &text, &s->shared_f.st) != BPG_OK) {
		set_why(why, whylen, "cannot read S3 credentials file %s: %s", s->shared_f.path,
		    strerror(errno));
		err = BPG_EIO;
		goto out;
	}
	(void)set_secret(&s->akid, NULL, 0);
	(void)set_secret(&s->secret, NULL, 0);
	(void)set_secret(&s->token, NULL, 0);
	if ((err = parse_shared(s, text.data, text.len)) != BPG_OK)
		goto out;
	err = BPG_EIO;
	if (s->akid.len == 0 || s->secret.len == 0) {
		set_why(why, whylen, "S3 credentials file %s has no aws_access_key_id and "
		    "aws_secret_access_key in [%s]", s->shared_f.path, s->profile);
		goto out;
	}
	s->shared_f.loaded = 1;
	err = BPG_OK;
out:
	bpg_buf_wipe(&text);
	return err;
}

/* Brings the credentials up to date (files rotated since the last request). */
static enum bpg_err
creds_refresh(struct bpg_s3 *s, char *why, size_t whylen)
{
	enum bpg_err err = BPG_OK;

	if (s->src == CRED_CONF) {
		err = load_value_file(&s->secret_f, &s->secret, why, whylen);
		if (err == BPG_OK && s->token_f.path != NULL)
			err = load_value_file(&s->token_f, &s->token, why, whylen);
	} else if (s->src == CRED_SHARED) {
		err = load_shared(s, why, whylen);
	}
	return err;
}

/* Copies s into a fresh string at *dst (NULL stays NULL). */
static enum bpg_err
dup_opt(const char *src, char **dst)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

/* Sets *out to a copy of path, or to home/.aws/credentials when path is NULL. */
static enum bpg_err
shared_path(const char *path, const char *home, char **out)
{
	struct bpg_buf b;
	enum bpg_err err;

	if (path != NULL)
		return dup_opt(path, out);
	bpg_buf_init(&b, 0);
	if ((err = bpg_buf_printf(&b, "%s/.aws/credentials", home)) == BPG_OK)
		err = bpg_buf_detach(&b, out);
	bpg_buf_release(&b);
	return err;
}

/* Picks where the credentials come from, in the documented order, and loads them once. */
static enum bpg_err
creds_init(struct bpg_s3 *s, const struct bpg_s3_conf *conf, char *why, size_t whylen)
{
	const char *ek = getenv("AWS_ACCESS_KEY_ID"), *es = getenv("AWS_SECRET_ACCESS_KEY");
	const char *et = getenv("AWS_SESSION_TOKEN"), *home = getenv("HOME");
	const char *shared = conf->credentials_file ? conf->credentials_file :
	    getenv("AWS_SHARED_CREDENTIALS_FILE");
	enum bpg_err err;

	if (conf->access_key_id != NULL) {
		s->src = CRED_CONF;
		if (conf->secret_access_key_file == NULL) {
			set_why(why, whylen, "[s3] access_key_id needs secret_access_key_file");
			return BPG_ECONFIG;
		}
		if ((err = set_secret(&s->akid, conf->access_key_id,
		    strlen(conf->access_key_id))) != BPG_OK ||
		    (err = dup_opt(conf->secret_access_key_file, &s->secret_f.path)) != BPG_OK ||
		    (err = dup_opt(conf->session_token_file, &s->token_f.path)) != BPG_OK)
			return err;
	} else if (ek != NULL && *ek != '\0' && es != NULL && *es != '\0') {
		s->src = CRED_ENV;
		if ((err = set_secret(&s->akid, ek, strlen(ek))) != BPG_OK ||
		    (err = set_secret(&s->secret, es, strlen(es))) != BPG_OK ||
		    (et != NULL && (err = set_secret(&s->token, et, strlen(et))) != BPG_OK))
			return err;
		return BPG_OK;
	} else {
		s->src = CRED_SHARED;
		if (shared == NULL && home == NULL) {
			set_why(why, whylen, "no S3 credentials: no access_key_id, no AWS_* "
			    "environment and no HOME for ~/.aws/credentials");
			return BPG_ECONFIG;
		}
		if ((err = shared_path(shared, home, &s->shared_f.path)) != BPG_OK ||
		    (err = dup_opt(conf->credentials_profile ?
		    conf->credentials_profile : "default", &s->profile)) != BPG_OK)
			return err;
	}
	return creds_refresh(s, why, whylen) == BPG_OK ? BPG_OK : BPG_ECONFIG;
}

/* --- construction --- */

/* Returns 1 if host is a plausible host[:port]: letters, digits, '.', '-', ':', '[', ']'. */
static int
is_host(const char *h, size_t n)
{
	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(h[i] >= 'a' && h[i] <= 'z') && !(h[i] >= 'A' && h[i] <= 'Z') &&
		    !(h[i] >= '0' && h[i] <= '9') && strchr(".-:[]_", h[i]) == NULL)
			return 0;
	return 1;
}

/* Sets scheme and host from "http(s)://host[:port][/]" or the AWS default for the region. */
static enum bpg_err
parse_endpoint(struct bpg_s3 *s, const char *ep, char *why, size_t whylen)
{
	struct bpg_buf b;
	const char *h;
	size_t n;

	bpg_buf_init(&b, 0);
	if (ep == NULL) {
		s->scheme = "https";
		if (bpg_buf_printf(&b, "s3.%s.amazonaws.com", s->region) != BPG_OK ||
		    bpg_buf_detach(&b, &s->host) != BPG_OK)
			return BPG_ENOMEM;
		return BPG_OK;
	}
	if (strncmp(ep, "https://", 8) == 0) {
		s->scheme = "https";
		h = ep + 8;
	} else if (strncmp(ep, "http://", 7) == 0) {
		s->scheme = "http";
		h = ep + 7;
	} else {
		h = NULL;
	}
	n = h ? strcspn(h, "/") : 0;
	if (h == NULL || !is_host(h, n) || (h[n] != '\0' && strcmp(h + n, "/") != 0)) {
		set_why(why, whylen, "[s3] endpoint '%s' is not an http(s)://host[:port] URL", ep);
		return BPG_ECONFIG;
	}
	if ((s->host = strndup(h, n)) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

/* Returns 1 if r is a plausible region name: [a-z0-9-]+. */
static int
is_region(const char *r)
{
	if (*r == '\0' || strlen(r) > 64)
		return 0;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return 0;
	return 1;
}

enum bpg_err
bpg_s3_new(const struct bpg_s3_conf *conf, struct bpg_s3 **out)
{
	char why[512] = "";
	struct bpg_s3 *s;
	enum bpg_err err = BPG_ENOMEM;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return BPG_EINTERNAL;
		curl_ready = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return BPG_ENOMEM;
	bpg_buf_init(&s->akid, S3_MAX_CRED_FILE);
	bpg_buf_init(&s->secret, S3_MAX_CRED_FILE);
	bpg_buf_init(&s->token, S3_MAX_CRED_FILE);
	s->path_style = conf->path_style;
	s->connect_timeout_ms = conf->connect_timeout_ms > 0 ? (long)conf->connect_timeout_ms : 3000;
	s->timeout_ms = conf->timeout_ms > 0 ? (long)conf->timeout_ms : 30000;
	s->page_size = S3_MAX_PAGE;
	if (dup_opt(conf->region ? conf->region : "us-east-1", &s->region) != BPG_OK ||
	    dup_opt(conf->ca_file, &s->ca_file) != BPG_OK)
		goto out;
	err = BPG_ECONFIG;
	if (!is_region(s->region)) {
		set_why(why, sizeof(why), "[s3] region '%s' is not a region name", s->region);
		goto out;
	}
	if ((err = parse_endpoint(s, conf->endpoint, why, sizeof(why))) != BPG_OK ||
	    (err = creds_init(s, conf, why, sizeof(why))) != BPG_OK)
		goto out;
	err = BPG_ENOMEM;
	if ((s->curl = curl_easy_init()) == NULL)
		goto out;
	*out = s;
	return BPG_OK;
out:
	if (why[0] != '\0')
		bpg_log(BPG_LOG_ERROR, "s3", "cannot make the S3 client", "error", why, NULL);
	bpg_s3_free(s);
	return err;
}

void
bpg_s3_free(struct bpg_s3 *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	bpg_buf_wipe(&s->akid);
	bpg_buf_wipe(&s->secret);
	bpg_buf_wipe(&s->token);
	free(s->secret_f.path);
	free(s->token_f.path);
	free(s->shared_f.path);
	free(s->profile);
	free(s->host);
	free(s->region);
	free(s->ca_file);
	free(s);
}

void
bpg_s3_set_page_size(struct bpg_s3 *s, int n)
{
	s->page_size = n < 1 ? 1 : n > S3_MAX_PAGE ? S3_MAX_PAGE : n;
}

const char *
bpg_s3_host(const struct bpg_s3 *s)
{
	return s->host;
}

/* --- XML (untrusted: bounded, no library) --- */

/* Returns the first occurrence of the n bytes of needle in [p, end), or NULL. */
static const char *
mem_find(const char *p, const char *end, const char *needle, size_t n)
{
	for (; p != NULL && n > 0 && (size_t)(end - p) >= n; p++) {
		if ((p = memchr(p, needle[0], (size_t)(end - p) - n + 1)) == NULL)
			return NULL;
		if (memcmp(p, needle, n) == 0)
			return p;
	}
	return NULL;
}

/*
 * Finds the first <tag>...</tag> in [p, end): *v and *vlen get its text. Returns the byte
 * after the closing tag, or NULL when there is none.
 */
static const char *
xml_find(const char *p, const char *end, const char *tag, const char **v, size_t *vlen)
{
	char open[64], close[64];
	const char *a, *b;
	int no = snprintf(open, sizeof(open), "<%s>", tag);
	int nc = snprintf(close, sizeof(close), "</%s>", tag);

	if (p == NULL || p >= end || no <= 0 || (size_t)no >= sizeof(open) || nc <= 0 ||
	    (size_t)nc >= sizeof(close))
		return NULL;
	if ((a = mem_find(p, end, open, (size_t)no)) == NULL)
		return NULL;
	a += no;
	if ((b = mem_find(a, end, close, (size_t)nc)) == NULL)
		return NULL;
	*v = a;
	*vlen = (size_t)(b - a);
	return b + nc;
}

/* Appends code point cp in UTF-8; 0 if it is not a valid, non-NUL scalar value. */
static int
put_utf8(unsigned long cp, char *out, size_t *o, size_t outlen)
{
	unsigned char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (*o + n >= outlen)
		return 0;
	memcpy(out + *o, u, n);
	*o += n;
	return 1;
}

/* Decodes one entity at [p, end) (p at '&'); returns its length, 0 if invalid or no room. */
static size_t
xml_entity(const char *p, const char *end, char *out, size_t *o, size_t outlen)
{
	static const struct { const char *name; char c; } named[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' },
	};
	const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
	size_t n = semi ? (size_t)(semi - p) + 1 : 0;
	unsigned long cp;
	char num[12], *e;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n && memcmp(p, named[i].name, n) == 0)
			return put_utf8((unsigned char)named[i].c, out, o, outlen) ? n : 0;
	if (n < 4 || p[1] != '#')
		return 0;
	memcpy(num, p + 2, n - 3);
	num[n - 3] = '\0';
	errno = 0;
	cp = (num[0] == 'x') ? strtoul(num + 1, &e, 16) : strtoul(num, &e, 10);
	if (errno != 0 || *e != '\0' || e == num || (num[0] == 'x' && e == num + 1) ||
	    num[0] == '-' || num[0] == '+' || num[1] == '-')
		return 0;
	return put_utf8(cp, out, o, outlen) ? n : 0;
}

/*
 * Unescapes [v, v+n) into out (outlen bytes, NUL-terminated); 0 when invalid or too long,
 * and then out is "".
 */
static int
xml_text(const char *v, size_t n, char *out, size_t outlen)
{
	const char *end = v + n;
	size_t o = 0, used;

	if (outlen == 0)
		return 0;
	while (v < end) {
		if (*v == '&') {
			if ((used = xml_entity(v, end, out, &o, outlen)) == 0)
				goto fail;
			v += used;
			continue;
		}
		if (*v == '\0' || *v == '<' || o + 1 >= outlen)
			goto fail;
		out[o++] = *v++;
	}
	out[o] = '\0';
	return 1;
fail:
	out[0] = '\0';
	return 0;
}

/* Finds tag in [p, end) and unescapes its text into out; 0 when absent or invalid. */
static int
xml_get(const char *p, const char *end, const char *tag, char *out, size_t outlen)
{
	const char *v;
	size_t n;

	return xml_find(p, end, tag, &v, &n) != NULL && xml_text(v, n, out, outlen);
}

/* Returns 1 if the document's root element is <Error> (after an optional <?xml ...?>). */
static int
xml_is_error(const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end && strchr(" \t\r\n", *p) != NULL && *p != '\0')
		p++;
	if (end - p > 5 && memcmp(p, "<?xml", 5) == 0) {
		const char *q = mem_find(p, end, "?>", 2);
		if (q == NULL)
			return 0;
		p = q + 2;
		while (p < end && strchr(" \t\r\n", *p) != NULL && *p != '\0')
			p++;
	}
	return end - p >= 7 && memcmp(p, "<Error>", 7) == 0;
}

/* --- answers to errors --- */

/* The status an S3 error code stands for when it comes inside an HTTP 200. */
static long
code_status(const char *code)
{
	static const struct { const char *code; long status; } map[] = {
		{ "NoSuchKey", 404 }, { "NoSuchBucket", 404 }, { "NoSuchUpload", 404 },
		{ "InternalError", 500 }, { "ServiceUnavailable", 503 }, { "SlowDown", 503 },
		{ "AccessDenied", 403 }, { "SignatureDoesNotMatch", 403 },
		{ "InvalidAccessKeyId", 403 }, { "PreconditionFailed", 412 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return map[i].status;
	return 400;
}

/*
 * What a 403 with this <Code> ("" when the answer had no body, as for a HEAD) means; NULL
 * for another code.
 */
static const char *
forbidden_reason(const char *code)
{
	static const struct { const char *code; const char *reason; } map[] = {
		{ "SignatureDoesNotMatch", "the request signature did not match the one S3 "
		  "computed (SignatureDoesNotMatch): a gateway signing bug when other S3 requests "
		  "work (report this key), else a secret key that is not the access key's" },
		{ "InvalidAccessKeyId", "S3 does not know the gateway's access key "
		  "(InvalidAccessKeyId): check [s3] credentials" },
		{ "AccessDenied", "S3 denied the gateway access (AccessDenied): its credentials "
		  "lack a permission on this bucket or key" },
		{ "", "S3 answered HTTP 403 with no reason (a HEAD answer has no body): the "
		  "gateway's credentials are wrong or lack a permission, or the request signature "
		  "did not match" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return map[i].reason;
	return NULL;
}

enum bpg_err
bpg_s3_check(long status, const char *body, size_t len, const char *what, char *why,
    size_t whylen)
{
	char code[128] = "", msg[256] = "";
	const char *end = body ? body + len : NULL;
	int in_error = body != NULL && xml_is_error(body, len);

	if (status >= 200 && status < 300 && !in_error)
		return BPG_OK;
	if (in_error) {
		(void)xml_get(body, end, "Code", code, sizeof(code));
		(void)xml_get(body, end, "Message", msg, sizeof(msg));
	}
	if (status >= 200 && status < 300)
		status = code_status(code);
	if (status == 403 && forbidden_reason(code) != NULL) {
		set_why(why, whylen, "%s: %s", what, forbidden_reason(code));
		return BPG_EUPSTREAM;
	}
	set_why(why, whylen, "%s: S3 answered HTTP %ld%s%s%s%s", what, status, code[0] ? " " : "",
	    code, msg[0] ? ": " : "", msg);
	if (status == 404)
		return BPG_ENOTFOUND;
	if (status == 409 || status == 412)
		return BPG_ECONFLICT;
	if (status == 416)
		return BPG_EINVAL;
	if (status >= 500 && status < 600)
		return BPG_EUNAVAIL;
	return BPG_EUPSTREAM;
}

/* --- one HTTP exchange --- */

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct s3_resp *r = ud;
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
	trim_span(&v, &vl);
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
	struct s3_resp *r = ud;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		r->etag[0] = '\0';        /* a new answer (after a 100 Continue) */
		r->etag_bad = 0;
		r->owner[0] = '\0';
		r->owner_bad = 0;
	} else if (n > S3_OWNER_HDR_LEN && strncasecmp(p, S3_OWNER_HDR ":", S3_OWNER_HDR_LEN) == 0) {
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
	struct s3_resp *r = ud;
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
	struct s3_resp *r = ud;

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
	struct s3_resp *r = ud;
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
	struct s3_resp *r = ud;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	r->connected = 1;
	return CURL_PREREQFUNC_OK;
}

/* Appends the Range of the next attempt of a streamed GET ("" when none is needed). */
static enum bpg_err
range_of(const struct s3_op *op, const struct s3_resp *r, struct bpg_buf *out)
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
target_of(const struct bpg_s3 *s, const struct s3_op *op, struct bpg_buf *host,
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

/* Signs op and builds the URL and the header list (freed by the caller). */
static enum bpg_err
build_request(struct bpg_s3 *s, const struct s3_op *op, const struct s3_resp *r,
    struct bpg_buf *url, struct curl_slist **hdrs)
{
	struct bpg_buf host, path, tmp, range;
	struct bpg_sigv4_pair hv[3];
	size_t nh = 0;
	struct bpg_sigv4_input in;
	char sha[BPG_SIGV4_HEX_LEN + 1], auth[BPG_SIGV4_AUTH_MAX], date[BPG_SIGV4_DATE_LEN + 1];
	enum bpg_err err;

	bpg_buf_init(&host, 0);
	bpg_buf_init(&path, 0);
	bpg_buf_init(&tmp, 0);
	bpg_buf_init(&range, 0);
	if (op->file != NULL)
		memcpy(sha, op->file->sha256_hex, sizeof(sha));
	else
		bpg_sigv4_sha256_hex(op->body, op->len, sha);
	if (op->content_type != NULL)
		hv[nh++] = (struct bpg_sigv4_pair){ "Content-Type", op->content_type };
	if (op->checksum_hdr != NULL)
		hv[nh++] = (struct bpg_sigv4_pair){ op->checksum_hdr, op->checksum_val };
	if (op->owner != NULL)
		hv[nh++] = (struct bpg_sigv4_pair){ S3_OWNER_HDR, op->owner };
	memset(&in, 0, sizeof(in));
	in = (struct bpg_sigv4_input){ .method = op->method, .params = op->params,
	    .n_params = op->n_params, .headers = hv, .n_headers = nh,
	    .payload_sha256 = sha, .region = s->region, .service = "s3",
	    .access_key = s->akid.data, .secret_key = s->secret.data,
	    .session_token = s->token.len > 0 ? s->token.data : NULL, .now = time(NULL) };
	if ((err = target_of(s, op, &host, &path)) != BPG_OK ||
	    (err = range_of(op, r, &range)) != BPG_OK)
		goto out;
	in.host = host.data;
	in.path = path.data;
	if ((err = bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date)) != BPG_OK ||
	    (err = bpg_buf_printf(url, "%s://%s", s->scheme, host.data)) != BPG_OK ||
	    (err = bpg_sigv4_canonical_uri(path.data, url)) != BPG_OK ||
	    (op->n_params > 0 && ((err = bpg_buf_puts(url, "?")) != BPG_OK ||
	    (err = bpg_sigv4_canonical_query(op->params, op->n_params, url)) != BPG_OK)))
		goto out;
	err = BPG_ENOMEM;
	if (!add_header(hdrs, &tmp, "Host", host.data) || !add_header(hdrs, &tmp, "X-Amz-Date", date) ||
	    !add_header(hdrs, &tmp, "X-Amz-Content-SHA256", sha) ||
	    !add_header(hdrs, &tmp, "Authorization", auth) || !add_header(hdrs, &tmp, "Expect", "") ||
	    (in.session_token && !add_header(hdrs, &tmp, "X-Amz-Security-Token", in.session_token)) ||
	    (op->content_type && !add_header(hdrs, &tmp, "Content-Type", op->content_type)) ||
	    (op->checksum_hdr && !add_header(hdrs, &tmp, op->checksum_hdr, op->checksum_val)) ||
	    (op->owner && !add_header(hdrs, &tmp, S3_OWNER_HDR, op->owner)) ||
	    (range.len > 0 && !add_header(hdrs, &tmp, "Range", range.data)) ||
	    (range.len > 0 && r->first_etag[0] && !add_header(hdrs, &tmp, "If-Match", r->first_etag)))
		goto out;
	err = BPG_OK;
out:
	explicit_bzero(auth, sizeof(auth));
	bpg_buf_wipe(&tmp);
	bpg_buf_release(&host);
	bpg_buf_release(&path);
	bpg_buf_release(&range);
	return err;
}

/* Sets a file body: curl asks read_cb for it, piece by piece (never held whole). */
static int
set_file_body(const struct s3_op *op, struct s3_resp *r, CURL *c)
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
set_method(const struct bpg_s3 *s, const struct s3_op *op, struct s3_resp *r, CURL *c)
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
set_options(struct bpg_s3 *s, const struct s3_op *op, struct s3_resp *r, const char *url,
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
transfer_err(CURLcode rc, const struct s3_resp *r, const char *what, char *why, size_t whylen)
{
	const char *detail = r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc);

	if (rc == CURLE_WRITE_ERROR && r->sink_stopped) {
		set_why(why, whylen, "%s: the receiver stopped the download", what);
		return BPG_EIO;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->cancelled) {
		set_why(why, whylen, "%s: cancelled", what);
		return BPG_EIO;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->read_failed) {
		set_why(why, whylen, "%s: cannot read the spooled body: %s", what,
		    strerror(r->read_failed));
		return BPG_EIO;
	}
	if (rc == CURLE_WRITE_ERROR && r->overflow) {
		set_why(why, whylen, "%s: S3's answer is larger than %zu bytes", what, S3_MAX_BODY);
		return BPG_EUPSTREAM;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT && r->connected) {
		set_why(why, whylen, "%s: S3 did not answer in time: %s", what, detail);
		return BPG_ETIMEOUT;
	}
	set_why(why, whylen, "%s: S3 cannot be reached: %s", what, detail);
	return BPG_EUNAVAIL;
}

/* Sends op once; the answer's status, ETag and (capped) body land in r. */
static enum bpg_err
s3_once(struct bpg_s3 *s, const struct s3_op *op, struct s3_resp *r, const char *what,
    char *why, size_t whylen)
{
	struct curl_slist *hdrs = NULL;
	struct bpg_buf url;
	enum bpg_err err;
	CURLcode rc;
	uint64_t t0 = bpg_metrics_now_us();

	bpg_buf_init(&url, 0);
	bpg_buf_reset(&r->body);
	r->status = 0;
	r->etag[0] = '\0';
	r->etag_bad = r->overflow = r->connected = r->cancelled = r->read_failed = 0;
	r->sent = 0;
	r->curl_err[0] = '\0';
	if ((err = creds_refresh(s, why, whylen)) != BPG_OK) {
		err = BPG_EUNAVAIL;
		goto out;
	}
	if ((err = build_request(s, op, r, &url, &hdrs)) != BPG_OK) {
		set_why(why, whylen, "%s: cannot build the request: %s", what, bpg_err_str(err));
		goto out;
	}
	err = BPG_EINTERNAL;
	if (!set_options(s, op, r, url.data, hdrs)) {
		set_why(why, whylen, "%s: cannot set up curl", what);
		goto out;
	}
	if ((rc = curl_easy_perform(s->curl)) != CURLE_OK) {
		err = transfer_err(rc, r, what, why, whylen);
		goto out;
	}
	if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &r->status) != CURLE_OK)
		goto out;
	err = bpg_s3_check(r->status, r->body.data, r->body.len, what, why, whylen);
out:
	/* a missing key is an answer, not a failure of S3 */
	bpg_metrics_dep(BPG_DEP_S3, 0, err == BPG_OK || err == BPG_ENOTFOUND,
	    bpg_metrics_now_us() - t0);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	bpg_buf_release(&url);
	return err;
}

/* Sends op, once more for an idempotent op that met EUNAVAIL; logs the final failure once. */
static enum bpg_err
s3_call(struct bpg_s3 *s, const struct s3_op *op, struct s3_resp *r, char *why, size_t whylen)
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

/* --- the operations --- */

/* Checks a bucket name and a key (key NULL: not needed); BPG_EINVAL with a reason. */
static enum bpg_err
check_target(const char *bucket, const char *key, char *why, size_t whylen)
{
	size_t n = bucket ? strlen(bucket) : 0;

	if (n == 0 || n > 255 || strspn(bucket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != n) {
		set_why(why, whylen, "'%s' is not an S3 bucket name", bucket ? bucket : "");
		return BPG_EINVAL;
	}
	if (key != NULL && (key[0] == '\0' || strlen(key) > BPG_S3_KEY_MAX)) {
		set_why(why, whylen, "S3 key in bucket %s is empty or longer than %d bytes", bucket,
		    BPG_S3_KEY_MAX);
		return BPG_EINVAL;
	}
	if (key == NULL && why != NULL && whylen > 0)
		why[0] = '\0';
	return BPG_OK;
}

/* Checks an upload id (it goes into the query). */
static enum bpg_err
check_upload_id(const char *id, char *why, size_t whylen)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n >= BPG_S3_UPLOAD_ID_MAX) {
		set_why(why, whylen, "invalid multipart upload id");
		return BPG_EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f) {
			set_why(why, whylen, "invalid multipart upload id");
			return BPG_EINVAL;
		}
	return BPG_OK;
}

static void
resp_init(struct s3_resp *r)
{
	memset(r, 0, sizeof(*r));
	bpg_buf_init(&r->body, S3_MAX_BODY);
}

/* Checks op's target and sends it; nothing of the answer but its outcome is kept. */
static enum bpg_err
s3_simple(struct bpg_s3 *s, const struct s3_op *op, char *why, size_t whylen)
{
	struct s3_resp r;
	enum bpg_err err;

	if ((err = check_target(op->bucket, op->key, why, whylen)) != BPG_OK)
		return err;
	resp_init(&r);
	err = s3_call(s, op, &r, why, whylen);
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_put(struct bpg_s3 *s, const char *bucket, const char *key, const void *data,
    size_t len, const char *content_type, const char *owner, char *why, size_t whylen)
{
	struct s3_op op = { .method = "PUT", .bucket = bucket, .key = key, .body = data ? data : "",
	    .len = data ? len : 0, .content_type = content_type ? content_type :
	    "application/octet-stream", .owner = owner };

	return s3_simple(s, &op, why, whylen);
}

enum bpg_err
bpg_s3_put_file(struct bpg_s3 *s, const char *bucket, const char *key,
    const struct bpg_s3_file_body *f, const char *content_type, const char *owner, char *why,
    size_t whylen)
{
	struct s3_op op = { .method = "PUT", .bucket = bucket, .key = key, .file = f,
	    .len = f->len, .content_type = content_type ? content_type :
	    "application/octet-stream", .owner = owner };

	return s3_simple(s, &op, why, whylen);
}

enum bpg_err
bpg_s3_head(struct bpg_s3 *s, const char *bucket, const char *key, long long *size_out,
    char *why, size_t whylen)
{
	return bpg_s3_head_owner(s, bucket, key, size_out, NULL, why, whylen);
}

enum bpg_err
bpg_s3_head_owner(struct bpg_s3 *s, const char *bucket, const char *key, long long *size_out,
    char owner_out[BPG_S3_OWNER_MAX + 1], char *why, size_t whylen)
{
	struct s3_op op = { .method = "HEAD", .bucket = bucket, .key = key, .idempotent = 1 };
	struct s3_resp r;
	curl_off_t cl = -1;
	enum bpg_err err;

	if ((err = check_target(bucket, key, why, whylen)) != BPG_OK)
		return err;
	resp_init(&r);
	if ((err = s3_call(s, &op, &r, why, whylen)) != BPG_OK)
		goto out;
	if (curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) != CURLE_OK ||
	    cl < 0) {
		set_why(why, whylen, "HEAD %s/%s: S3 sent no Content-Length", bucket, key);
		bpg_log(BPG_LOG_WARN, "s3", "no content-length", "bucket", bucket, "key", key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	if (r.owner_bad) {
		set_why(why, whylen, "HEAD %s/%s: S3 sent an unusable %s", bucket, key, S3_OWNER_HDR);
		bpg_log(BPG_LOG_WARN, "s3", "bad owner metadata", "bucket", bucket, "key", key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	if (size_out != NULL)
		*size_out = (long long)cl;
	if (owner_out != NULL)
		memcpy(owner_out, r.owner, strlen(r.owner) + 1);
out:
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_get(struct bpg_s3 *s, const char *bucket, const char *key, long long offset,
    long long length, bpg_s3_sink sink, void *arg, char *why, size_t whylen)
{
	struct s3_op op = { .method = "GET", .bucket = bucket, .key = key, .idempotent = 1,
	    .sink = sink, .arg = arg, .offset = offset, .length = length,
	    .ranged = offset > 0 || length >= 0 };
	struct s3_resp r;
	enum bpg_err err;

	if ((err = check_target(bucket, key, why, whylen)) != BPG_OK)
		return err;
	if (offset < 0 || sink == NULL || (length >= 0 && offset > LLONG_MAX - length)) {
		set_why(why, whylen, "GET %s/%s: invalid range", bucket, key);
		return BPG_EINVAL;
	}
	if (length == 0)
		return BPG_OK;
	resp_init(&r);
	err = s3_call(s, &op, &r, why, whylen);
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_delete(struct bpg_s3 *s, const char *bucket, const char *key, char *why, size_t whylen)
{
	struct s3_op op = { .method = "DELETE", .bucket = bucket, .key = key, .idempotent = 1 };

	return s3_simple(s, &op, why, whylen);
}

/* A listing: which callback gets the items, and how pages follow each other. */
struct s3_lister {
	const char *item;                     /* "Contents", "Upload" */
	bpg_s3_each_object each_object;
	bpg_s3_each_upload each_upload;
	void *arg;
	const char *next_tag[2];              /* the page's markers: element names... */
	size_t next_param[2];                 /* ...and the query parameters they go to */
	size_t n_next;
};

/* Parses one <Contents> block for each_object; 1 when asked to stop, -1 when unreadable. */
static int
object_one(const struct s3_lister *l, const char *p, const char *end)
{
	char key[BPG_S3_KEY_MAX + 1], etag[BPG_S3_ETAG_MAX], size[32], *e;
	struct bpg_s3_object o;

	if (!xml_get(p, end, "Key", key, sizeof(key)) || !xml_get(p, end, "Size", size, sizeof(size)))
		return -1;
	if (!xml_get(p, end, "ETag", etag, sizeof(etag)))
		etag[0] = '\0';
	errno = 0;
	o.size = strtoll(size, &e, 10);
	if (errno != 0 || e == size || *e != '\0' || o.size < 0)
		return -1;
	o.key = key;
	o.etag = etag;
	return l->each_object(l->arg, &o) != 0;
}

/* Parses one <Upload> block for each_upload; 1 when asked to stop, -1 when unreadable. */
static int
upload_one(const struct s3_lister *l, const char *p, const char *end)
{
	char key[BPG_S3_KEY_MAX + 1], id[BPG_S3_UPLOAD_ID_MAX], when[64];
	long long initiated = -1;

	if (!xml_get(p, end, "Key", key, sizeof(key)) || !xml_get(p, end, "UploadId", id, sizeof(id)))
		return -1;
	if (xml_get(p, end, "Initiated", when, sizeof(when)))
		initiated = bpg_time_parse_rfc3339(when);
	return l->each_upload(l->arg, key, id, initiated) != 0;
}

/*
 * Walks one page: every item through its callback; next[i] gets marker i when <IsTruncated>
 * is true, else next[0] is "". Returns 1 when stopped by the callback, -1 when unreadable.
 */
static int
list_page(const struct s3_lister *l, const struct bpg_buf *body,
    char next[][S3_MAX_XML_VALUE])
{
	/* an empty body has no buffer: NULL + 0 is undefined */
	const char *p = body->data ? body->data : "", *end = p + (body->data ? body->len : 0), *v;
	char trunc[8] = "";
	size_t n;
	int rc;

	next[0][0] = '\0';
	while ((p = xml_find(p, end, l->item, &v, &n)) != NULL) {
		rc = l->each_object ? object_one(l, v, v + n) : upload_one(l, v, v + n);
		if (rc != 0)
			return rc;
	}
	(void)xml_get(body->data, end, "IsTruncated", trunc, sizeof(trunc));
	if (strcmp(trunc, "true") != 0)
		return 0;
	for (size_t i = 0; i < l->n_next; i++)
		if (!xml_get(body->data, end, l->next_tag[i], next[i], S3_MAX_XML_VALUE))
			return -1;
	return next[0][0] == '\0' ? -1 : 0;
}

/* Runs the paged GET op until the listing ends or the callback stops it. */
static enum bpg_err
list_pages(struct bpg_s3 *s, struct s3_op *op, const struct s3_lister *l, char *why,
    size_t whylen)
{
	char next[2][S3_MAX_XML_VALUE], cur[2][S3_MAX_XML_VALUE] = { "", "" };
	struct s3_resp r;
	enum bpg_err err;
	int rc;

	resp_init(&r);
	for (;;) {
		if ((err = s3_call(s, op, &r, why, whylen)) != BPG_OK)
			goto out;
		err = BPG_EUPSTREAM;
		if ((rc = list_page(l, &r.body, next)) < 0 ||
		    (rc == 0 && next[0][0] != '\0' && strcmp(next[0], cur[0]) == 0 &&
		    (l->n_next < 2 || strcmp(next[1], cur[1]) == 0))) {
			set_why(why, whylen, "list %s: S3 sent a listing that cannot be read", op->bucket);
			bpg_log(BPG_LOG_WARN, "s3", "bad listing", "bucket", op->bucket, NULL);
			goto out;
		}
		if (rc == 1 || next[0][0] == '\0')
			break;
		for (size_t i = 0; i < l->n_next; i++) {
			memcpy(cur[i], next[i], sizeof(cur[i]));
			op->params[l->next_param[i]].value = cur[i];
			if (op->n_params <= l->next_param[i])
				op->n_params = l->next_param[i] + 1;
		}
	}
	err = BPG_OK;
out:
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_object each, void *arg, char *why, size_t whylen)
{
	char max[16];
	struct s3_op op = { .method = "GET", .bucket = bucket, .idempotent = 1, .n_params = 3,
	    .params = { { "list-type", "2" }, { "prefix", prefix ? prefix : "" },
	    { "max-keys", max } } };
	struct s3_lister l = { .item = "Contents", .each_object = each, .arg = arg,
	    .next_tag = { "NextContinuationToken" }, .next_param = { 3 }, .n_next = 1 };
	enum bpg_err err;

	if ((err = check_target(bucket, NULL, why, whylen)) != BPG_OK)
		return err;
	if (each == NULL || (prefix != NULL && strlen(prefix) > BPG_S3_KEY_MAX)) {
		set_why(why, whylen, "list %s: prefix longer than %d bytes", bucket, BPG_S3_KEY_MAX);
		return BPG_EINVAL;
	}
	(void)snprintf(max, sizeof(max), "%d", s->page_size);
	op.params[3] = (struct bpg_sigv4_pair){ "continuation-token", "" };
	return list_pages(s, &op, &l, why, whylen);
}

enum bpg_err
bpg_s3_mpu_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_upload each, void *arg, char *why, size_t whylen)
{
	char max[16];
	struct s3_op op = { .method = "GET", .bucket = bucket, .idempotent = 1, .n_params = 3,
	    .params = { { "uploads", "" }, { "prefix", prefix ? prefix : "" },
	    { "max-uploads", max } } };
	struct s3_lister l = { .item = "Upload", .each_upload = each, .arg = arg,
	    .next_tag = { "NextKeyMarker", "NextUploadIdMarker" }, .next_param = { 3, 4 },
	    .n_next = 2 };
	enum bpg_err err;

	if ((err = check_target(bucket, NULL, why, whylen)) != BPG_OK)
		return err;
	if (each == NULL || (prefix != NULL && strlen(prefix) > BPG_S3_KEY_MAX)) {
		set_why(why, whylen, "list uploads %s: prefix longer than %d bytes", bucket,
		    BPG_S3_KEY_MAX);
		return BPG_EINVAL;
	}
	(void)snprintf(max, sizeof(max), "%d", s->page_size);
	op.params[3] = (struct bpg_sigv4_pair){ "key-marker", "" };
	op.params[4] = (struct bpg_sigv4_pair){ "upload-id-marker", "" };
	return list_pages(s, &op, &l, why, whylen);
}

int
bpg_s3_list_page(const char *body, size_t len, int uploads, bpg_s3_each_object each_object,
    bpg_s3_each_upload each_upload, void *arg)
{
	static const struct s3_lister objects = { .item = "Contents",
	    .next_tag = { "NextContinuationToken" }, .n_next = 1 };
	static const struct s3_lister ups = { .item = "Upload",
	    .next_tag = { "NextKeyMarker", "NextUploadIdMarker" }, .n_next = 2 };
	struct s3_lister l = uploads ? ups : objects;
	char (*next)[S3_MAX_XML_VALUE] = malloc(2 * sizeof(*next));
	struct bpg_buf b;
	int rc = -1;

	assert(uploads ? each_upload != NULL : each_object != NULL);
	l.each_object = uploads ? NULL : each_object;
	l.each_upload = uploads ? each_upload : NULL;
	l.arg = arg;
	bpg_buf_init(&b, S3_MAX_BODY);
	if (next != NULL && bpg_buf_append(&b, body ? body : "", body ? len : 0) == BPG_OK)
		rc = list_page(&l, &b, next);
	bpg_buf_release(&b);
	free(next);
	return rc;
}

/* CreateMultipartUpload; with crc32, each part carries its CRC-32 (S3 checks them). */
static enum bpg_err
mpu_create(struct bpg_s3 *s, const char *bucket, const char *key, const char *content_type,
    const char *owner, int crc32, char *upload_id, char *why, size_t whylen)
{
	struct s3_op op = { .method = "POST", .bucket = bucket, .key = key, .n_params = 1,
	    .params = { { "uploads", "" } }, .content_type = content_type ? content_type :
	    "application/octet-stream", .checksum_hdr = crc32 ? "x-amz-checksum-algorithm" : NULL,
	    .checksum_val = "CRC32", .owner = owner };
	char id[BPG_S3_UPLOAD_ID_MAX];
	struct s3_resp r;
	enum bpg_err err;

	if ((err = check_target(bucket, key, why, whylen)) != BPG_OK)
		return err;
	resp_init(&r);
	if ((err = s3_call(s, &op, &r, why, whylen)) != BPG_OK)
		goto out;
	if (r.body.data == NULL ||
	    !xml_get(r.body.data, r.body.data + r.body.len, "UploadId", id, sizeof(id)) ||
	    check_upload_id(id, NULL, 0) != BPG_OK) {
		set_why(why, whylen, "POST %s/%s?uploads: S3 sent no usable UploadId", bucket, key);
		bpg_log(BPG_LOG_WARN, "s3", "no upload id", "bucket", bucket, "key", key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	memcpy(upload_id, id, strlen(id) + 1);
out:
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_mpu_create(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *content_type, const char *owner, char *upload_id, char *why, size_t whylen)
{
	return mpu_create(s, bucket, key, content_type, owner, 0, upload_id, why, whylen);
}

enum bpg_err
bpg_s3_mpu_create_crc32(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *content_type, const char *owner, char *upload_id, char *why, size_t whylen)
{
	return mpu_create(s, bucket, key, content_type, owner, 1, upload_id, why, whylen);
}

/* PUT of part part_no, its body in memory (op->body) or in a file (op->file). */
static enum bpg_err
mpu_part(struct bpg_s3 *s, struct s3_op *op, const char *upload_id, int part_no,
    char etag[BPG_S3_ETAG_MAX], char *why, size_t whylen)
{
	const char *bucket = op->bucket, *key = op->key;
	char num[16];
	struct s3_resp r;
	enum bpg_err err;

	op->method = "PUT";
	op->n_params = 2;
	op->params[0] = (struct bpg_sigv4_pair){ "partNumber", num };
	op->params[1] = (struct bpg_sigv4_pair){ "uploadId", upload_id };
	op->idempotent = 1;
	op->content_type = "application/octet-stream";
	if ((err = check_target(bucket, key, why, whylen)) != BPG_OK ||
	    (err = check_upload_id(upload_id, why, whylen)) != BPG_OK)
		return err;
	if (part_no < 1 || part_no > BPG_S3_MAX_PARTS) {
		set_why(why, whylen, "PUT %s/%s: part number %d not in 1..%d", bucket, key, part_no,
		    BPG_S3_MAX_PARTS);
		return BPG_EINVAL;
	}
	(void)snprintf(num, sizeof(num), "%d", part_no);
	resp_init(&r);
	if ((err = s3_call(s, op, &r, why, whylen)) != BPG_OK)
		goto out;
	if (r.etag[0] == '\0' || r.etag_bad) {
		set_why(why, whylen, "PUT %s/%s part %d: S3 sent no usable ETag", bucket, key, part_no);
		bpg_log(BPG_LOG_WARN, "s3", "no etag", "bucket", bucket, "key", key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	memcpy(etag, r.etag, sizeof(r.etag));
out:
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_mpu_part(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, int part_no, const void *data, size_t len,
    char etag[BPG_S3_ETAG_MAX], char *why, size_t whylen)
{
	struct s3_op op = { .bucket = bucket, .key = key, .body = data ? data : "",
	    .len = data ? len : 0 };

	return mpu_part(s, &op, upload_id, part_no, etag, why, whylen);
}

enum bpg_err
bpg_s3_mpu_part_file(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, int part_no, const struct bpg_s3_file_body *f,
    char etag[BPG_S3_ETAG_MAX], char *why, size_t whylen)
{
	struct s3_op op = { .bucket = bucket, .key = key, .file = f, .len = f->len };

	if (f->crc32_b64[0] != '\0') {
		op.checksum_hdr = "x-amz-checksum-crc32";
		op.checksum_val = f->crc32_b64;
	}
	return mpu_part(s, &op, upload_id, part_no, etag, why, whylen);
}

/* Appends s to out with XML's special characters escaped. */
static enum bpg_err
xml_escape(const char *str, struct bpg_buf *out)
{
	enum bpg_err err = BPG_OK;

	for (; *str && err == BPG_OK; str++) {
		switch (*str) {
		case '&': err = bpg_buf_puts(out, "&amp;"); break;
		case '<': err = bpg_buf_puts(out, "&lt;"); break;
		case '>': err = bpg_buf_puts(out, "&gt;"); break;
		case '"': err = bpg_buf_puts(out, "&quot;"); break;
		default: err = bpg_buf_append(out, str, 1); break;
		}
	}
	return err;
}

/* Writes the CompleteMultipartUpload document for parts 1..n. */
static enum bpg_err
complete_doc(char (*etags)[BPG_S3_ETAG_MAX], char (*crcs)[BPG_S3_CRC32_B64 + 1], int n,
    struct bpg_buf *out)
{
	enum bpg_err err = bpg_buf_puts(out, "<CompleteMultipartUpload>");

	for (int i = 0; i < n && err == BPG_OK; i++) {
		if (etags[i][0] == '\0' || memchr(etags[i], '\0', BPG_S3_ETAG_MAX) == NULL ||
		    (crcs != NULL && (crcs[i][0] == '\0' ||
		    memchr(crcs[i], '\0', BPG_S3_CRC32_B64 + 1) == NULL)))
			return BPG_EINVAL;
		if ((err = bpg_buf_printf(out, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1)) ==
		    BPG_OK && (err = xml_escape(etags[i], out)) == BPG_OK)
			err = bpg_buf_puts(out, "</ETag>");
		if (err == BPG_OK && crcs != NULL && (err = bpg_buf_puts(out, "<ChecksumCRC32>")) ==
		    BPG_OK && (err = xml_escape(crcs[i], out)) == BPG_OK)
			err = bpg_buf_puts(out, "</ChecksumCRC32>");
		if (err == BPG_OK)
			err = bpg_buf_puts(out, "</Part>");
	}
	return err == BPG_OK ? bpg_buf_puts(out, "</CompleteMultipartUpload>") : err;
}

enum bpg_err
bpg_s3_mpu_complete(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, char (*etags)[BPG_S3_ETAG_MAX], int n, char *why, size_t whylen)
{
	return bpg_s3_mpu_complete_crc32(s, bucket, key, upload_id, etags, NULL, n, why, whylen);
}

enum bpg_err
bpg_s3_mpu_complete_crc32(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, char (*etags)[BPG_S3_ETAG_MAX], char (*crcs)[BPG_S3_CRC32_B64 + 1],
    int n, char *why, size_t whylen)
{
	struct s3_op op = { .method = "POST", .bucket = bucket, .key = key, .n_params = 1,
	    .params = { { "uploadId", upload_id } }, .content_type = "application/xml" };
	struct bpg_buf doc;
	struct s3_resp r;
	enum bpg_err err;

	if ((err = check_target(bucket, key, why, whylen)) != BPG_OK ||
	    (err = check_upload_id(upload_id, why, whylen)) != BPG_OK)
		return err;
	if (n < 1 || n > BPG_S3_MAX_PARTS || etags == NULL) {
		set_why(why, whylen, "complete %s/%s: %d parts not in 1..%d", bucket, key, n,
		    BPG_S3_MAX_PARTS);
		return BPG_EINVAL;
	}
	bpg_buf_init(&doc, 0);
	resp_init(&r);
	if ((err = complete_doc(etags, crcs, n, &doc)) != BPG_OK) {
		set_why(why, whylen, "complete %s/%s: an ETag or checksum is empty or too long",
		    bucket, key);
		goto out;
	}
	op.body = doc.data;
	op.len = doc.len;
	err = s3_call(s, &op, &r, why, whylen);
out:
	bpg_buf_release(&r.body);
	bpg_buf_release(&doc);
	return err;
}

enum bpg_err
bpg_s3_mpu_abort(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, char *why, size_t whylen)
{
	struct s3_op op = { .method = "DELETE", .bucket = bucket, .key = key, .n_params = 1,
	    .params = { { "uploadId", upload_id } }, .idempotent = 1 };
	enum bpg_err err;

	if ((err = check_upload_id(upload_id, why, whylen)) != BPG_OK)
		return err;
	err = s3_simple(s, &op, why, whylen);
	return err == BPG_ENOTFOUND ? BPG_OK : err;   /* already gone: what the caller wanted */
}
