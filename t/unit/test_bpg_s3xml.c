/*
 * Unit tests for bpg_s3xml: how S3 answers map to errors (bpg_s3_check, with its bounded XML
 * reading), how a listing page is read (bpg_s3_list_page), an element's text read
 * (bpg_s3xml_get) and the CompleteMultipartUpload document written (bpg_s3xml_complete_doc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_s3xml.h"
#include "testkit.h"

/* An answer (status, body) and what bpg_s3_check makes of it: the error, a part of why. */
static const struct {
	long status;
	const char *body;
	enum bpg_err err;
	const char *why_has;
} cases[] = {
	{ 200, "", BPG_OK, "" },
	{ 204, NULL, BPG_OK, "" },
	{ 200, "<?xml version=\"1.0\"?><ListBucketResult><Key>Error</Key></ListBucketResult>",
	  BPG_OK, "" },
	{ 404, "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>", BPG_ENOTFOUND,
	  "GET b/k: S3 answered HTTP 404 NoSuchKey: gone" },
	{ 404, NULL, BPG_ENOTFOUND, "HTTP 404" },
	{ 409, "<?xml version=\"1.0\"?>\n<Error><Code>BucketNotEmpty</Code></Error>", BPG_ECONFLICT,
	  "BucketNotEmpty" },
	{ 412, "", BPG_ECONFLICT, "HTTP 412" },
	{ 416, "<Error><Code>InvalidRange</Code></Error>", BPG_EINVAL, "InvalidRange" },
	/* a signature S3 computed otherwise is a gateway bug, never blamed on credentials */
	{ 403, "<Error><Code>SignatureDoesNotMatch</Code><Message>sig</Message></Error>",
	  BPG_EUPSTREAM, "GET b/k: the request signature did not match the one S3 computed "
	  "(SignatureDoesNotMatch): a gateway signing bug when other S3 requests work" },
	{ 200, "<Error><Code>SignatureDoesNotMatch</Code></Error>", BPG_EUPSTREAM,
	  "signature did not match" },
	{ 403, "<Error><Code>InvalidAccessKeyId</Code></Error>", BPG_EUPSTREAM,
	  "GET b/k: S3 does not know the gateway's access key (InvalidAccessKeyId)" },
	{ 403, "<Error><Code>AccessDenied</Code></Error>", BPG_EUPSTREAM,
	  "S3 denied the gateway access (AccessDenied)" },
	{ 403, "", BPG_EUPSTREAM, "GET b/k: S3 answered HTTP 403 with no reason" },
	{ 403, "<Error><Code>AllAccessDisabled</Code></Error>", BPG_EUPSTREAM,
	  "GET b/k: S3 answered HTTP 403 AllAccessDisabled" },
	{ 500, "<Error><Code>InternalError</Code></Error>", BPG_EUNAVAIL, "InternalError" },
	{ 503, "<Error><Code>SlowDown</Code><Message>a &lt;b&gt; &amp; &#x41;&#66; &quot;q&apos;"
	  "</Message></Error>", BPG_EUNAVAIL, "SlowDown: a <b> & AB \"q'" },
	{ 400, "<Error><Code>EntityTooSmall</Code></Error>", BPG_EUPSTREAM, "EntityTooSmall" },
	{ 301, "", BPG_EUPSTREAM, "HTTP 301" },
	/* the 200 with an <Error> CompleteMultipartUpload may send */
	{ 200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
	  "<Message>We encountered an internal error. Please try again.</Message></Error>",
	  BPG_EUNAVAIL, "InternalError" },
	{ 200, " <Error><Code>NoSuchUpload</Code></Error>", BPG_ENOTFOUND, "NoSuchUpload" },
	{ 200, "<Error><Code>Weird</Code></Error>", BPG_EUPSTREAM, "Weird" },
	/* hostile bodies: bad entities, no closing tag, huge code, NUL inside */
	{ 500, "<Error><Code>A&#0;B</Code></Error>", BPG_EUNAVAIL, "HTTP 500" },
	{ 500, "<Error><Code>A&#xD800;B</Code></Error>", BPG_EUNAVAIL, "HTTP 500" },
	{ 500, "<Error><Code>A&bogus;B</Code></Error>", BPG_EUNAVAIL, "HTTP 500" },
	{ 500, "<Error><Code>never closed", BPG_EUNAVAIL, "HTTP 500" },
	{ 500, "<Error><Code>a<b</Code></Error>", BPG_EUNAVAIL, "HTTP 500" },
	{ 500, "<Error><Code>&#x110000;</Code></Error>", BPG_EUNAVAIL, "HTTP 500" },
	{ 500, "<Error><Code>&#-1;</Code></Error>", BPG_EUNAVAIL, "HTTP 500" },
};

START_TEST(test_check_table)
{
	char why[512] = "";
	const char *body = cases[_i].body;

	ck_assert_int_eq(bpg_s3_check(cases[_i].status, body, body ? strlen(body) : 0, "GET b/k",
	    BPG_WHY(why)), cases[_i].err);
	ck_assert_msg(strstr(why, cases[_i].why_has) != NULL, "'%s' lacks '%s'", why, cases[_i].why_has);
	/* issue 32: a signature mismatch was reported as S3 rejecting the credentials */
	ck_assert_ptr_null(strstr(why, "rejected the gateway's credentials"));
}
END_TEST

START_TEST(test_check_long_code_and_nul)
{
	char body[4096], why[256];
	size_t n;

	n = (size_t)snprintf(body, sizeof(body), "<Error><Code>");
	memset(body + n, 'A', 3000);
	n += 3000;
	n += (size_t)snprintf(body + n, sizeof(body) - n, "</Code></Error>");
	ck_assert_int_eq(bpg_s3_check(500, body, n, "GET b/k", BPG_WHY(why)), BPG_EUNAVAIL);
	ck_assert_ptr_null(strstr(why, "AAAA"));   /* too long for a code: ignored */
	memcpy(body, "<Error><Code>X\0Y</Code></Error>", 31);
	ck_assert_int_eq(bpg_s3_check(404, body, 31, "GET b/k", BPG_WHY(why)), BPG_ENOTFOUND);
	ck_assert_ptr_null(strstr(why, "X"));
	ck_assert_int_eq(bpg_s3_check(404, body, 31, "GET b/k", NULL), BPG_ENOTFOUND);
}
END_TEST

/* bpg_s3_list_page: the items of a page to their callbacks; unreadable pages are -1. */
struct listed {
	int n;
	int stop_at;
	char keys[4][64];
	long long sizes[4];
};

static int
on_object(void *arg, const struct bpg_s3_object *o)
{
	struct listed *l = arg;

	if (l->n < 4) {
		snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s|%s", o->key, o->etag);
		l->sizes[l->n] = o->size;
	}
	return ++l->n == l->stop_at;
}

static int
on_upload(void *arg, const char *key, const char *upload_id, long long initiated_ms)
{
	struct listed *l = arg;

	(void)initiated_ms;
	if (l->n < 4)
		snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s|%s", key, upload_id);
	return ++l->n == l->stop_at;
}

static const struct {
	const char *body;
	int uploads;
	int stop_at;
	int rc;
	int n;
	const char *first;
} pages[] = {
	{ "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&amp;b</Key>"
	    "<ETag>&quot;e1&quot;</ETag><Size>12</Size></Contents><Contents><Key>c</Key>"
	    "<Size>0</Size></Contents></ListBucketResult>", 0, 0, 0, 2, "a&b|\"e1\"" },
	{ "<ListBucketResult><Contents><Key>a</Key><Size>1</Size></Contents><Contents><Key>b"
	    "</Key><Size>2</Size></Contents></ListBucketResult>", 0, 1, 1, 1, "a|" },
	{ "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t"
	    "</NextContinuationToken></ListBucketResult>", 0, 0, 0, 0, NULL },
	{ "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", 0, 0, -1, 0,
	    NULL },
	{ "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents>"
	    "</ListBucketResult>", 0, 0, -1, 0, NULL },
	{ "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>", 0, 0, -1, 0,
	    NULL },
	{ "", 0, 0, 0, 0, NULL },
	{ "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>k"
	    "</NextKeyMarker><NextUploadIdMarker>u</NextUploadIdMarker><Upload><Key>k</Key>"
	    "<UploadId>u1</UploadId></Upload></ListMultipartUploadsResult>", 1, 0, 0, 1, "k|u1" },
	{ "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload>"
	    "</ListMultipartUploadsResult>", 1, 0, -1, 0, NULL },
};

START_TEST(test_list_page)
{
	struct listed l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.stop_at = pages[_i].stop_at;
	rc = bpg_s3_list_page(pages[_i].body, strlen(pages[_i].body), pages[_i].uploads,
	    on_object, on_upload, &l);
	ck_assert_int_eq(rc, pages[_i].rc);
	if (rc >= 0)
		ck_assert_int_eq(l.n, pages[_i].n);
	if (pages[_i].first != NULL)
		ck_assert_str_eq(l.keys[0], pages[_i].first);
	if (_i == 0)
		ck_assert(l.sizes[0] == 12 && l.sizes[1] == 0);
}
END_TEST

/* bpg_s3xml_get: an element's text, unescaped, bounded. */
static const struct {
	const char *doc, *tag;
	size_t outlen;
	int found;
	const char *text;
} gets[] = {
	{ "<a><UploadId>x&amp;y</UploadId></a>", "UploadId", 64, 1, "x&y" },
	{ "<a><UploadId></UploadId></a>", "UploadId", 64, 1, "" },
	{ "<a><UploadId>abcdef</UploadId></a>", "UploadId", 6, 0, "" },     /* too long */
	{ "<a><UploadId>abc</a>", "UploadId", 64, 0, NULL },               /* never closed */
	{ "<a><Other>abc</Other></a>", "UploadId", 64, 0, NULL },
	{ "<a><UploadId>&#x1F600;</UploadId></a>", "UploadId", 64, 1, "\xf0\x9f\x98\x80" },
};

START_TEST(test_get)
{
	const char *doc = gets[_i].doc;
	char out[64] = "unset";

	ck_assert_int_eq(bpg_s3xml_get(doc, doc + strlen(doc), gets[_i].tag, out, gets[_i].outlen),
	    gets[_i].found);
	if (gets[_i].text != NULL)
		ck_assert_str_eq(out, gets[_i].text);
}
END_TEST

START_TEST(test_complete_doc)
{
	char etags[2][BPG_S3XML_ETAG_MAX] = { "\"e&1\"", "\"e2\"" };
	char crcs[2][BPG_S3XML_CRC32_B64 + 1] = { "AAAAAA==", "<b>" };
	struct bpg_s3_parts parts = { etags, NULL, 2 };
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_s3xml_complete_doc(&parts, &b), BPG_OK);
	ck_assert_str_eq(b.data, "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
	    "<ETag>&quot;e&amp;1&quot;</ETag></Part><Part><PartNumber>2</PartNumber>"
	    "<ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>");
	bpg_buf_reset(&b);
	parts.crcs = crcs;
	parts.n = 2;
	ck_assert_int_eq(bpg_s3xml_complete_doc(&parts, &b), BPG_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "<ChecksumCRC32>AAAAAA==</ChecksumCRC32>"));
	ck_assert_ptr_nonnull(strstr(b.data, "<ChecksumCRC32>&lt;b&gt;</ChecksumCRC32>"));
	bpg_buf_reset(&b);
	etags[1][0] = '\0';                       /* an empty ETag is refused */
	ck_assert_int_eq(bpg_s3xml_complete_doc(&parts, &b), BPG_EINVAL);
	bpg_buf_release(&b);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		{ test_check_table, (int)TK_LEN(cases) },
		{ test_check_long_code_and_nul, 0 },
		{ test_list_page, (int)TK_LEN(pages) },
		{ test_get, (int)TK_LEN(gets) },
		{ test_complete_doc, 0 },
	};

	return tk_run("bpg_s3xml", tests, TK_LEN(tests), NULL);
}
