/* bpg_sigv4: AWS Signature Version 4 (pure: no I/O), with OpenSSL's SHA-256 and HMAC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include "bpg_sigv4.h"

#define SIGV4_ALGO      "AWS4-HMAC-SHA256"
#define SIGV4_KEY_LEN   32                      /* HMAC-SHA256 output */
#define SIGV4_ALL_HDRS  (BPG_SIGV4_MAX_HEADERS + 4)

/* An encoded query parameter. */
struct enc_pair {
	struct bpg_buf name;
	struct bpg_buf value;
};

/* A header to sign: its name as given (compared case-insensitively) and its raw value. */
struct sig_hdr {
	const char *name;
	const char *value;
};

static const char hexdig[] = "0123456789abcdef";
static const char hexup[] = "0123456789ABCDEF";

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '~';
}

enum bpg_err
bpg_sigv4_uri_encode(const char *s, size_t n, int keep_slash, struct bpg_buf *out)
{
	enum bpg_err err = BPG_OK;
	char esc[3];

	for (size_t i = 0; i < n && err == BPG_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			err = bpg_buf_append(out, &s[i], 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hexup[c >> 4];
		esc[2] = hexup[c & 15];
		err = bpg_buf_append(out, esc, 3);
	}
	return err;
}

enum bpg_err
bpg_sigv4_canonical_uri(const char *path, struct bpg_buf *out)
{
	if (path == NULL || path[0] != '/')
		return BPG_EINVAL;
	return bpg_sigv4_uri_encode(path, strlen(path), 1, out);
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct enc_pair *x = a, *y = b;
	int c = strcmp(x->name.data, y->name.data);

	return c != 0 ? c : strcmp(x->value.data, y->value.data);
}

enum bpg_err
bpg_sigv4_canonical_query(const struct bpg_sigv4_pair *params, size_t n, struct bpg_buf *out)
{
	struct enc_pair enc[BPG_SIGV4_MAX_PARAMS];
	enum bpg_err err = BPG_OK;
	size_t i;

	if (n > BPG_SIGV4_MAX_PARAMS)
		return BPG_EINVAL;
	for (i = 0; i < n; i++) {
		bpg_buf_init(&enc[i].name, 0);
		bpg_buf_init(&enc[i].value, 0);
	}
	for (i = 0; i < n && err == BPG_OK; i++) {
		if (params[i].name == NULL || params[i].value == NULL) {
			err = BPG_EINVAL;
			goto out;
		}
		/* the empty appends make data non-NULL for pair_cmp */
		if ((err = bpg_buf_append(&enc[i].name, "", 0)) != BPG_OK ||
		    (err = bpg_buf_append(&enc[i].value, "", 0)) != BPG_OK ||
		    (err = bpg_sigv4_uri_encode(params[i].name, strlen(params[i].name), 0,
		    &enc[i].name)) != BPG_OK ||
		    (err = bpg_sigv4_uri_encode(params[i].value, strlen(params[i].value), 0,
		    &enc[i].value)) != BPG_OK)
			goto out;
	}
	if (n > 0)
		qsort(enc, n, sizeof(enc[0]), pair_cmp);
	for (i = 0; i < n && err == BPG_OK; i++)
		err = bpg_buf_printf(out, "%s%s=%s", i ? "&" : "", enc[i].name.data, enc[i].value.data);
out:
	for (i = 0; i < n; i++) {
		bpg_buf_release(&enc[i].name);
		bpg_buf_release(&enc[i].value);
	}
	return err;
}

static void
to_hex(const unsigned char *d, size_t n, char *hex)
{
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = hexdig[d[i] >> 4];
		hex[2 * i + 1] = hexdig[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void
bpg_sigv4_sha256_hex(const void *p, size_t n, char hex[BPG_SIGV4_HEX_LEN + 1])
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256(p != NULL ? p : (const void *)"", n, d);
	to_hex(d, sizeof(d), hex);
}

/* Returns 1 if s is a non-empty HTTP token (RFC 9110 tchar): a valid header name. */
static int
is_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(extra, c) != NULL)))
			return 0;
	}
	return 1;
}

/* Returns 1 if s may be a header value: no CR or LF (a C string holds no NUL). */
static int
is_value(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

/* Returns 1 if s is a non-empty scope field without '/' or control characters. */
static int
is_scope_part(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '/' || *s == ',' || *s == 0x7f)
			return 0;
	return 1;
}

/* Returns 1 if the request line and scope fields of in are usable. */
static int
fields_ok(const struct bpg_sigv4_input *in)
{
	return in->method != NULL && is_token(in->method) && in->host != NULL &&
	    *in->host != '\0' && is_value(in->host) && strpbrk(in->host, " \t") == NULL &&
	    in->path != NULL && in->path[0] == '/' && is_scope_part(in->payload_sha256) &&
	    is_scope_part(in->region) && is_scope_part(in->service) &&
	    is_scope_part(in->access_key) && in->secret_key != NULL &&
	    (in->session_token == NULL || (is_value(in->session_token) && *in->session_token));
}

/* Returns 1 if header i of in is a token name, not one we set, not repeated, with a value. */
static int
header_ok(const struct bpg_sigv4_input *in, size_t i)
{
	static const char *const reserved[] = { "host", "x-amz-date", "x-amz-content-sha256",
	    "x-amz-security-token", "authorization" };
	const struct bpg_sigv4_pair *h = &in->headers[i];

	if (h->name == NULL || !is_token(h->name) || !is_value(h->value))
		return 0;
	for (size_t j = 0; j < sizeof(reserved) / sizeof(reserved[0]); j++)
		if (strcasecmp(h->name, reserved[j]) == 0)
			return 0;
	for (size_t j = 0; j < i; j++)
		if (strcasecmp(h->name, in->headers[j].name) == 0)
			return 0;
	return 1;
}

/* Checks the input's fields; BPG_EINVAL on the first bad one. */
static enum bpg_err
sign_validate(const struct bpg_sigv4_input *in)
{
	if (!fields_ok(in) || in->n_headers > BPG_SIGV4_MAX_HEADERS ||
	    in->n_params > BPG_SIGV4_MAX_PARAMS || (in->n_headers > 0 && in->headers == NULL) ||
	    (in->n_params > 0 && in->params == NULL))
		return BPG_EINVAL;
	for (size_t i = 0; i < in->n_headers; i++)
		if (!header_ok(in, i))
			return BPG_EINVAL;
	return BPG_OK;
}

static int
hdr_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct sig_hdr *)a)->name, ((const struct sig_hdr *)b)->name);
}

/* Appends "name:value\n" with the name lowercased and the value trimmed and folded. */
static enum bpg_err
put_header(const struct sig_hdr *h, struct bpg_buf *out)
{
	enum bpg_err err = BPG_OK;
	const char *v = h->value;
	int pending_space = 0, started = 0;
	char c;

	for (const char *p = h->name; *p && err == BPG_OK; p++) {
		c = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
		err = bpg_buf_append(out, &c, 1);
	}
	if (err == BPG_OK)
		err = bpg_buf_append(out, ":", 1);
	for (; *v && err == BPG_OK; v++) {
		if (*v == ' ' || *v == '\t') {
			pending_space = started;
			continue;
		}
		if (pending_space)
			err = bpg_buf_append(out, " ", 1);
		pending_space = 0;
		started = 1;
		if (err == BPG_OK)
			err = bpg_buf_append(out, v, 1);
	}
	return err == BPG_OK ? bpg_buf_append(out, "\n", 1) : err;
}

/* Appends the canonical headers block and fills signed with "a;b;c". */
static enum bpg_err
canonical_headers(const struct bpg_sigv4_input *in, const char *amz_date, struct bpg_buf *out,
    struct bpg_buf *signed_hdrs)
{
	struct sig_hdr h[SIGV4_ALL_HDRS];
	enum bpg_err err = BPG_OK;
	size_t n = 0;

	h[n++] = (struct sig_hdr){ "host", in->host };
	h[n++] = (struct sig_hdr){ "x-amz-content-sha256", in->payload_sha256 };
	h[n++] = (struct sig_hdr){ "x-amz-date", amz_date };
	if (in->session_token != NULL)
		h[n++] = (struct sig_hdr){ "x-amz-security-token", in->session_token };
	for (size_t i = 0; i < in->n_headers; i++)
		h[n++] = (struct sig_hdr){ in->headers[i].name, in->headers[i].value };
	qsort(h, n, sizeof(h[0]), hdr_cmp);
	for (size_t i = 0; i < n && err == BPG_OK; i++) {
		size_t mark = out->len;
		err = put_header(&h[i], out);
		if (err == BPG_OK && i > 0)
			err = bpg_buf_append(signed_hdrs, ";", 1);
		/* the lowercased name just written, up to its ':' */
		if (err == BPG_OK)
			err = bpg_buf_append(signed_hdrs, out->data + mark, strlen(h[i].name));
	}
	return err;
}

/* Appends the whole canonical request to out; signed_hdrs gets the SignedHeaders list. */
static enum bpg_err
canonical_request(const struct bpg_sigv4_input *in, const char *amz_date, struct bpg_buf *out,
    struct bpg_buf *signed_hdrs)
{
	enum bpg_err err;

	if ((err = bpg_buf_printf(out, "%s\n", in->method)) != BPG_OK ||
	    (err = bpg_sigv4_canonical_uri(in->path, out)) != BPG_OK ||
	    (err = bpg_buf_append(out, "\n", 1)) != BPG_OK ||
	    (err = bpg_sigv4_canonical_query(in->params, in->n_params, out)) != BPG_OK ||
	    (err = bpg_buf_append(out, "\n", 1)) != BPG_OK ||
	    (err = canonical_headers(in, amz_date, out, signed_hdrs)) != BPG_OK)
		return err;
	return bpg_buf_printf(out, "\n%s\n%s", signed_hdrs->data, in->payload_sha256);
}

/* out = HMAC-SHA256(key, msg); returns 0 on failure. */
static int
hmac256(const void *key, size_t keylen, const char *msg, unsigned char out[SIGV4_KEY_LEN])
{
	unsigned int olen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out,
	    &olen) == NULL)
		return 0;
	return olen == SIGV4_KEY_LEN;
}

/* Derives the signing key and writes the hex signature of sts; wipes every derived key. */
static enum bpg_err
signature(const struct bpg_sigv4_input *in, const char *date8, const char *sts,
    char hex[BPG_SIGV4_HEX_LEN + 1])
{
	unsigned char k1[SIGV4_KEY_LEN], k2[SIGV4_KEY_LEN], sig[SIGV4_KEY_LEN];
	struct bpg_buf secret;
	enum bpg_err err;

	bpg_buf_init(&secret, 0);
	if ((err = bpg_buf_printf(&secret, "AWS4%s", in->secret_key)) != BPG_OK)
		goto out;
	err = BPG_EINTERNAL;
	if (!hmac256(secret.data, secret.len, date8, k1) ||
	    !hmac256(k1, sizeof(k1), in->region, k2) ||
	    !hmac256(k2, sizeof(k2), in->service, k1) ||
	    !hmac256(k1, sizeof(k1), "aws4_request", k2) ||
	    !hmac256(k2, sizeof(k2), sts, sig))
		goto out;
	to_hex(sig, sizeof(sig), hex);
	err = BPG_OK;
out:
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(sig, sizeof(sig));
	bpg_buf_wipe(&secret);
	return err;
}

/* Writes "20130524T000000Z" for now; 0 on failure. */
static int
amz_date_of(time_t now, char amz_date[BPG_SIGV4_DATE_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return 0;
	return strftime(amz_date, BPG_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) ==
	    BPG_SIGV4_DATE_LEN;
}

enum bpg_err
bpg_sigv4_sign(const struct bpg_sigv4_input *in, struct bpg_buf *canonical_out,
    char *auth, size_t authlen, char amz_date[BPG_SIGV4_DATE_LEN + 1])
{
	char date[BPG_SIGV4_DATE_LEN + 1], date8[9], crhash[BPG_SIGV4_HEX_LEN + 1];
	char sig[BPG_SIGV4_HEX_LEN + 1];
	struct bpg_buf cr, signed_hdrs, sts;
	enum bpg_err err;
	int n;

	bpg_buf_init(&cr, 0);
	bpg_buf_init(&signed_hdrs, 0);
	bpg_buf_init(&sts, 0);
	if ((err = sign_validate(in)) != BPG_OK)
		goto out;
	err = BPG_EINVAL;
	if (!amz_date_of(in->now, date))
		goto out;
	memcpy(date8, date, 8);
	date8[8] = '\0';
	if ((err = canonical_request(in, date, &cr, &signed_hdrs)) != BPG_OK)
		goto out;
	bpg_sigv4_sha256_hex(cr.data, cr.len, crhash);
	if ((err = bpg_buf_printf(&sts, SIGV4_ALGO "\n%s\n%s/%s/%s/aws4_request\n%s", date, date8,
	    in->region, in->service, crhash)) != BPG_OK ||
	    (err = signature(in, date8, sts.data, sig)) != BPG_OK)
		goto out;
	n = snprintf(auth, authlen, SIGV4_ALGO " Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", in->access_key, date8, in->region, in->service,
	    signed_hdrs.data, sig);
	err = BPG_ETOOLARGE;
	if (n < 0 || (size_t)n >= authlen)
		goto out;
	if (canonical_out != NULL && (err = bpg_buf_append(canonical_out, cr.data, cr.len)) != BPG_OK)
		goto out;
	memcpy(amz_date, date, sizeof(date));
	err = BPG_OK;
out:
	OPENSSL_cleanse(sig, sizeof(sig));
	bpg_buf_release(&cr);
	bpg_buf_release(&signed_hdrs);
	bpg_buf_release(&sts);
	return err;
}
