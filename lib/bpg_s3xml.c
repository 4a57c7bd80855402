/* bpg_s3xml: S3's XML read bounded (no library) and written; answers mapped to errors. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_s3xml.h"
#include "bpg_time.h"

#define S3XML_MAX_BODY  ((size_t)8 << 20)   /* a listing read into memory */

void
bpg_s3xml_trim(const char **p, size_t *n)
{
	while (*n > 0 && ((*p)[0] == ' ' || (*p)[0] == '\t' || (*p)[0] == '\r')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

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

int
bpg_s3xml_get(const char *p, const char *end, const char *tag, char *out, size_t outlen)
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

/* The code for an S3 answer's HTTP status that is not a success. */
static enum bpg_err
status_err(long status)
{
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
bpg_s3_check(long status, const char *body, size_t len, const char *what, struct bpg_why *why)
{
	char code[128] = "", msg[256] = "";
	const char *end = body ? body + len : NULL;
	int in_error = body != NULL && xml_is_error(body, len);

	if (status >= 200 && status < 300 && !in_error)
		return BPG_OK;
	if (in_error) {
		(void)bpg_s3xml_get(body, end, "Code", code, sizeof(code));
		(void)bpg_s3xml_get(body, end, "Message", msg, sizeof(msg));
	}
	if (status >= 200 && status < 300)
		status = code_status(code);
	if (status == 403 && forbidden_reason(code) != NULL)
		return bpg_why_set(why, BPG_EUPSTREAM, "%s: %s", what, forbidden_reason(code));
	return bpg_why_set(why, status_err(status), "%s: S3 answered HTTP %ld%s%s%s%s", what,
	    status,
	    code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
}

/* --- listings --- */

static int
object_one(const struct bpg_s3xml_lister *l, const char *p, const char *end)
{
	char key[BPG_S3XML_KEY_MAX + 1], etag[BPG_S3XML_ETAG_MAX], size[32], *e;
	struct bpg_s3_object o;

	if (!bpg_s3xml_get(p, end, "Key", key, sizeof(key)) ||
	    !bpg_s3xml_get(p, end, "Size", size, sizeof(size)))
		return -1;
	if (!bpg_s3xml_get(p, end, "ETag", etag, sizeof(etag)))
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
upload_one(const struct bpg_s3xml_lister *l, const char *p, const char *end)
{
	char key[BPG_S3XML_KEY_MAX + 1], id[BPG_S3XML_ID_MAX], when[64];
	long long initiated = -1;

	if (!bpg_s3xml_get(p, end, "Key", key, sizeof(key)) ||
	    !bpg_s3xml_get(p, end, "UploadId", id, sizeof(id)))
		return -1;
	if (bpg_s3xml_get(p, end, "Initiated", when, sizeof(when)))
		initiated = bpg_time_parse_rfc3339(when);
	return l->each_upload(l->arg, key, id, initiated) != 0;
}

/*
 * Walks one page: every item through its callback; next[i] gets marker i when <IsTruncated>
 * is true, else next[0] is "". Returns 1 when stopped by the callback, -1 when unreadable.
 */
int
bpg_s3xml_list_page(const struct bpg_s3xml_lister *l, const struct bpg_buf *body,
    char next[][BPG_S3XML_VALUE_MAX])
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
	(void)bpg_s3xml_get(body->data, end, "IsTruncated", trunc, sizeof(trunc));
	if (strcmp(trunc, "true") != 0)
		return 0;
	for (size_t i = 0; i < l->n_next; i++)
		if (!bpg_s3xml_get(body->data, end, l->next_tag[i], next[i], BPG_S3XML_VALUE_MAX))
			return -1;
	return next[0][0] == '\0' ? -1 : 0;
}

int
bpg_s3_list_page(const char *body, size_t len, int uploads, bpg_s3_each_object each_object,
    bpg_s3_each_upload each_upload, void *arg)
{
	static const struct bpg_s3xml_lister objects = { .item = "Contents",
	    .next_tag = { "NextContinuationToken" }, .n_next = 1 };
	static const struct bpg_s3xml_lister ups = { .item = "Upload",
	    .next_tag = { "NextKeyMarker", "NextUploadIdMarker" }, .n_next = 2 };
	struct bpg_s3xml_lister l = uploads ? ups : objects;
	char (*next)[BPG_S3XML_VALUE_MAX] = malloc(2 * sizeof(*next));
	struct bpg_buf b;
	int rc = -1;

	assert(uploads ? each_upload != NULL : each_object != NULL);
	l.each_object = uploads ? NULL : each_object;
	l.each_upload = uploads ? each_upload : NULL;
	l.arg = arg;
	bpg_buf_init(&b, S3XML_MAX_BODY);
	if (next != NULL && bpg_buf_append(&b, body ? body : "", body ? len : 0) == BPG_OK)
		rc = bpg_s3xml_list_page(&l, &b, next);
	bpg_buf_release(&b);
	free(next);
	return rc;
}

/* --- CompleteMultipartUpload --- */

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

enum bpg_err
bpg_s3xml_complete_doc(const struct bpg_s3_parts *parts, struct bpg_buf *out)
{
	char (*etags)[BPG_S3XML_ETAG_MAX] = parts->etags;
	char (*crcs)[BPG_S3XML_CRC32_B64 + 1] = parts->crcs;
	enum bpg_err err = bpg_buf_puts(out, "<CompleteMultipartUpload>");

	for (int i = 0; i < parts->n && err == BPG_OK; i++) {
		if (etags[i][0] == '\0' || memchr(etags[i], '\0', BPG_S3XML_ETAG_MAX) == NULL ||
		    (crcs != NULL && (crcs[i][0] == '\0' ||
		    memchr(crcs[i], '\0', BPG_S3XML_CRC32_B64 + 1) == NULL)))
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
