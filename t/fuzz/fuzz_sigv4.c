/*
 * libFuzzer: SigV4 canonicalisation and signing (bpg_sigv4) on hostile fields. The input is
 * two control bytes (flags, a small Authorization buffer size) then lines: method, host,
 * path, region, service, access key, secret key, session token, payload hash, time, then
 * "name=value" query parameters up to an empty line, then "name:value" headers. Checks
 * that encodings round-trip and hold only unreserved bytes, '%XX' (and '/' in a path),
 * that the canonical query is sorted, and that a signature either fails with BPG_EINVAL or
 * BPG_ETOOLARGE or is a well-formed "AWS4-HMAC-SHA256 Credential=..." that fits, the same
 * whatever the buffer, with the canonical request starting with the parts built alone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS     10
#define MAX_PAIRS  (BPG_SIGV4_MAX_PARAMS + 2)   /* a few past the limit */
#define YEAR_10000 253402300800LL

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '~';
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * Checks that n bytes of e are an encoding (unreserved bytes, '%' and two uppercase hex
 * digits for every other byte, '/' kept when keep_slash) of the n0 bytes of s; aborts if not.
 */
static void
check_encoding(const char *e, size_t n, int keep_slash, const char *s, size_t n0)
{
	size_t o = 0;

	for (size_t i = 0; i < n; o++) {
		unsigned char c = (unsigned char)e[i];
		int v;
		if (unreserved(c) || (keep_slash && c == '/')) {
			v = c;
			i++;
		} else if (c == '%' && i + 2 < n && hexval(e[i + 1]) >= 0 && hexval(e[i + 2]) >= 0) {
			v = hexval(e[i + 1]) * 16 + hexval(e[i + 2]);
			if (unreserved((unsigned char)v) || (keep_slash && v == '/'))
				abort();   /* encoded a byte that must stay as it is */
			i += 3;
		} else {
			abort();
		}
		if (o >= n0 || (unsigned char)s[o] != (unsigned char)v)
			abort();
	}
	if (o != n0)
		abort();
}

/* The oracle's own encoding of s (no '/' kept). */
static void
encode(const char *s, struct bpg_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	if (bpg_buf_append(out, "", 0) != BPG_OK)
		abort();
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3] = { '%', hex[c >> 4], hex[c & 15] };
		if (bpg_buf_append(out, unreserved(c) ? s : e, unreserved(c) ? 1 : 3) != BPG_OK)
			abort();
	}
}

struct enc {
	struct bpg_buf name, value;
};

static int
enc_cmp(const void *a, const void *b)
{
	const struct enc *x = a, *y = b;
	int c = strcmp(x->name.data, y->name.data);

	return c != 0 ? c : strcmp(x->value.data, y->value.data);
}

/* Checks bpg_sigv4_canonical_query against the oracle: encode each pair, sort, join. */
static void
check_query(const struct bpg_sigv4_pair *p, size_t n)
{
	struct enc e[MAX_PAIRS];
	struct bpg_buf got, want;
	enum bpg_err err;
	int bad = n > BPG_SIGV4_MAX_PARAMS;

	bpg_buf_init(&got, 0);
	bpg_buf_init(&want, 0);
	for (size_t i = 0; i < n; i++)
		bad |= p[i].name == NULL || p[i].value == NULL;
	err = bpg_sigv4_canonical_query(p, n, &got);
	if (bad) {
		if (err != BPG_EINVAL)
			abort();
		goto out;
	}
	if (err != BPG_OK)
		abort();
	for (size_t i = 0; i < n; i++) {
		bpg_buf_init(&e[i].name, 0);
		bpg_buf_init(&e[i].value, 0);
		encode(p[i].name, &e[i].name);
		encode(p[i].value, &e[i].value);
	}
	qsort(e, n, sizeof(e[0]), enc_cmp);
	for (size_t i = 0; i < n; i++) {
		if (bpg_buf_printf(&want, "%s%s=%s", i ? "&" : "", e[i].name.data,
		    e[i].value.data) != BPG_OK)
			abort();
		bpg_buf_release(&e[i].name);
		bpg_buf_release(&e[i].value);
	}
	if (got.len != want.len || (got.len > 0 && memcmp(got.data, want.data, got.len) != 0))
		abort();
out:
	bpg_buf_release(&got);
	bpg_buf_release(&want);
}

static int
is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* amz_date is YYYYMMDD'T'HHMMSS'Z' (when the time has four digits of year). */
static void
check_date(const struct bpg_sigv4_input *in, const char *amz_date)
{
	if (strlen(amz_date) != BPG_SIGV4_DATE_LEN)
		abort();
	if (in->now < 0 || in->now >= YEAR_10000)
		return;
	for (size_t i = 0; i < BPG_SIGV4_DATE_LEN; i++)
		if (i == 8 ? amz_date[i] != 'T' : i == 15 ? amz_date[i] != 'Z' :
		    !(amz_date[i] >= '0' && amz_date[i] <= '9'))
			abort();
}

/* The signed headers in [sh, end): lowercased, strictly sorted, host and the token's. */
static void
check_signed_headers(const struct bpg_sigv4_input *in, const char *sh, const char *end)
{
	const char *prev = NULL, *p;
	size_t count = 0, prevlen = 0;
	int host = 0, tok = 0;

	for (p = sh; p < end;) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t n = semi ? (size_t)(semi - p) : (size_t)(end - p);
		if (n == 0)
			abort();
		for (size_t i = 0; i < n; i++)
			if (p[i] >= 'A' && p[i] <= 'Z')
				abort();
		if (prev != NULL) {
			int c = memcmp(prev, p, prevlen < n ? prevlen : n);
			if (c > 0 || (c == 0 && prevlen >= n))
				abort();   /* not strictly increasing */
		}
		host |= n == 4 && memcmp(p, "host", 4) == 0;
		tok |= n == 20 && memcmp(p, "x-amz-security-token", 20) == 0;
		prev = p;
		prevlen = n;
		count++;
		p += n + (semi ? 1 : 0);
	}
	if (!host || tok != (in->session_token != NULL) ||
	    count != 3 + (in->session_token != NULL) + in->n_headers)
		abort();
}

/*
 * Checks a successful Authorization value: the credential scope as given, the signed
 * headers lowercased, sorted and complete, and a 64-digit signature at the end.
 */
static void
check_auth(const struct bpg_sigv4_input *in, const char *auth, const char *amz_date)
{
	struct bpg_buf pre;
	const char *sh, *sig;
	size_t len = strlen(auth);

	if (len >= BPG_SIGV4_AUTH_MAX)
		abort();
	check_date(in, amz_date);
	bpg_buf_init(&pre, 0);
	if (bpg_buf_printf(&pre, "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
	    "SignedHeaders=", in->access_key, amz_date, in->region, in->service) != BPG_OK)
		abort();
	if (len < pre.len || memcmp(auth, pre.data, pre.len) != 0)
		abort();
	sh = auth + pre.len;
	bpg_buf_release(&pre);
	if ((sig = strstr(sh, ", Signature=")) == NULL || strlen(sig + 12) != BPG_SIGV4_HEX_LEN ||
	    !is_lower_hex(sig + 12, BPG_SIGV4_HEX_LEN))
		abort();
	check_signed_headers(in, sh, sig);
}

/* The canonical request begins with the method, the canonical URI and query built alone. */
static void
check_canonical(const struct bpg_sigv4_input *in, const struct bpg_buf *cr)
{
	struct bpg_buf want;

	bpg_buf_init(&want, 0);
	if (bpg_buf_printf(&want, "%s\n", in->method) != BPG_OK ||
	    bpg_sigv4_canonical_uri(in->path, &want) != BPG_OK ||
	    bpg_buf_append(&want, "\n", 1) != BPG_OK ||
	    bpg_sigv4_canonical_query(in->params, in->n_params, &want) != BPG_OK ||
	    bpg_buf_append(&want, "\n", 1) != BPG_OK)
		abort();
	if (cr->len < want.len || memcmp(cr->data, want.data, want.len) != 0)
		abort();
	bpg_buf_release(&want);
}

/* Signs into a buffer of exactly authlen bytes (so ASan sees any overrun). */
static enum bpg_err
sign(const struct bpg_sigv4_input *in, struct bpg_buf *cr, size_t authlen, char **auth_out,
    char amz_date[BPG_SIGV4_DATE_LEN + 1])
{
	char *auth = malloc(authlen);
	enum bpg_err err;

	if (auth == NULL)
		abort();
	memset(amz_date, '#', BPG_SIGV4_DATE_LEN);
	amz_date[BPG_SIGV4_DATE_LEN] = '\0';
	err = bpg_sigv4_sign(in, cr, auth, authlen, amz_date);
	if (err != BPG_OK && err != BPG_EINVAL && err != BPG_ETOOLARGE)
		abort();
	if (err != BPG_OK && strspn(amz_date, "#") != BPG_SIGV4_DATE_LEN)
		abort();   /* outputs are written only on success */
	*auth_out = auth;
	return err;
}

/* Splits the line at the first sep: "name" then "value" (NULL without sep). */
static struct bpg_sigv4_pair
pair_of(char *line, char sep)
{
	char *s = strchr(line, sep);

	if (s != NULL)
		*s++ = '\0';
	return (struct bpg_sigv4_pair){ line, s };
}

/* The input's lines: FIELDS fields, then query pairs up to an empty line, then headers. */
struct lines {
	char *f[FIELDS];
	struct bpg_sigv4_pair params[MAX_PAIRS], headers[MAX_PAIRS];
	size_t np, nh;
};

/* Cuts buf (NUL-terminated, cut in place) into l's fields and pairs. */
static void
split_lines(char *buf, struct lines *l)
{
	char *line, *nl;
	size_t nf = 0;
	int in_headers = 0;

	memset(l, 0, sizeof(*l));
	for (line = buf; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (nf < FIELDS)
			l->f[nf++] = line;
		else if (!in_headers && *line == '\0')
			in_headers = 1;
		else if (!in_headers && l->np < MAX_PAIRS)
			l->params[l->np++] = pair_of(line, '=');
		else if (in_headers && *line != '\0' && l->nh < MAX_PAIRS)   /* not the last "\n" */
			l->headers[l->nh++] = pair_of(line, ':');
	}
}

/* The canonical URI: a path that starts with '/', encoded once, '/' kept; else BPG_EINVAL. */
static void
check_uri(const char *path)
{
	struct bpg_buf enc;

	bpg_buf_init(&enc, 0);
	if (path != NULL && path[0] == '/') {
		if (bpg_sigv4_canonical_uri(path, &enc) != BPG_OK)
			abort();
		check_encoding(enc.data, enc.len, 1, path, strlen(path));
	} else if (bpg_sigv4_canonical_uri(path, &enc) != BPG_EINVAL) {
		abort();
	}
	bpg_buf_release(&enc);
}

/* The signing input from the lines and the flags' choices. */
static void
input_of(const struct lines *l, unsigned flags, struct bpg_sigv4_input *in)
{
	char *e;
	long long now;

	errno = 0;
	now = l->f[9] != NULL ? strtoll(l->f[9], &e, 10) : 0;
	if (l->f[9] == NULL || errno != 0 || e == l->f[9])
		now = 1369353600;   /* 2013-05-24, the AWS examples' day */
	memset(in, 0, sizeof(*in));
	in->method = l->f[0];
	in->host = l->f[1];
	in->path = l->f[2];
	in->region = l->f[3];
	in->service = l->f[4];
	in->access_key = l->f[5];
	in->secret_key = l->f[6];
	in->session_token = (flags & 1) ? NULL : l->f[7];
	in->payload_sha256 = (flags & 2) ? BPG_SIGV4_UNSIGNED : l->f[8];
	in->now = (time_t)now;
	in->params = l->np > 0 ? l->params : NULL;
	in->n_params = l->np;
	in->headers = l->nh > 0 ? l->headers : NULL;
	in->n_headers = l->nh;
}

/* Signs twice (a full buffer, one of authlen bytes): the same answer, or both refused. */
static void
check_signing(const struct bpg_sigv4_input *in, unsigned flags, size_t authlen)
{
	char d1[BPG_SIGV4_DATE_LEN + 1], d2[BPG_SIGV4_DATE_LEN + 1], *auth = NULL, *small = NULL;
	struct bpg_buf cr;
	enum bpg_err e1, e2;

	bpg_buf_init(&cr, 0);
	e1 = sign(in, (flags & 4) ? NULL : &cr, BPG_SIGV4_AUTH_MAX, &auth, d1);
	e2 = sign(in, NULL, authlen, &small, d2);
	if (e1 == BPG_OK) {
		check_auth(in, auth, d1);
		if (!(flags & 4))
			check_canonical(in, &cr);
		/* a smaller buffer: the same value when it fits, else BPG_ETOOLARGE */
		if (strlen(auth) < authlen ? e2 != BPG_OK || strcmp(auth, small) != 0 ||
		    strcmp(d1, d2) != 0 : e2 != BPG_ETOOLARGE)
			abort();
	} else if (e2 != e1 && !(e1 == BPG_ETOOLARGE && e2 == BPG_ETOOLARGE)) {
		abort();
	} else if (cr.len != 0) {
		abort();   /* nothing appended on failure */
	}
	bpg_buf_release(&cr);
	free(auth);
	free(small);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lines l;
	struct bpg_sigv4_input in;
	struct bpg_buf enc;
	unsigned flags;
	size_t authlen;
	char *buf;

	if (size < 2)
		return 0;
	flags = data[0];
	authlen = 1 + (size_t)data[1] * 4;   /* 1..1021: below and near BPG_SIGV4_AUTH_MAX */
	/* raw bytes, NULs included: the encoding round-trips */
	bpg_buf_init(&enc, 0);
	if (bpg_sigv4_uri_encode((const char *)data, size, flags & 8, &enc) != BPG_OK)
		abort();
	check_encoding(enc.data, enc.len, flags & 8, (const char *)data, size);
	bpg_buf_release(&enc);

	if ((buf = malloc(size - 1)) == NULL)
		return 0;
	memcpy(buf, data + 2, size - 2);
	buf[size - 2] = '\0';
	split_lines(buf, &l);
	check_uri(l.f[2]);
	check_query(l.params, l.np);
	input_of(&l, flags, &in);
	check_signing(&in, flags, authlen);
	free(buf);
	return 0;
}
