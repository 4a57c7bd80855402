/*
 * Unit tests for bpg_s3 without a network: how S3 answers map to errors (bpg_s3_check, with
 * its bounded XML reading), how a listing page is read (bpg_s3_list_page) and how
 * bpg_s3_new() finds its endpoint and credentials.
 * The client against moto and a fake S3: t/s3/test_s3client.py, t/s3/test_s3faults.py.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_log.h"
#include "bpg_s3.h"

static const struct {
	long status;
	const char *body;
	enum bpg_err err;
	const char *why;
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
	    why, sizeof(why)), cases[_i].err);
	ck_assert_msg(strstr(why, cases[_i].why) != NULL, "'%s' lacks '%s'", why, cases[_i].why);
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
	ck_assert_int_eq(bpg_s3_check(500, body, n, "GET b/k", why, sizeof(why)), BPG_EUNAVAIL);
	ck_assert_ptr_null(strstr(why, "AAAA"));   /* too long for a code: ignored */
	memcpy(body, "<Error><Code>X\0Y</Code></Error>", 31);
	ck_assert_int_eq(bpg_s3_check(404, body, 31, "GET b/k", why, sizeof(why)), BPG_ENOTFOUND);
	ck_assert_ptr_null(strstr(why, "X"));
	ck_assert_int_eq(bpg_s3_check(404, body, 31, "GET b/k", NULL, 0), BPG_ENOTFOUND);
}
END_TEST

/* A writable copy of str (struct bpg_s3_conf's strings are not const); NULL stays NULL. */
static char *
conf_str(const char *str)
{
	static char pool[8][512];
	static unsigned next;
	char *p;

	if (str == NULL)
		return NULL;
	p = pool[next++ % 8];
	snprintf(p, sizeof(pool[0]), "%s", str);
	return p;
}

/* A conf with nothing set, and an environment without AWS credentials. */
static void
clean_conf(struct bpg_s3_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->region = conf_str("eu-west-3");
	c->credentials_profile = conf_str("default");
	c->connect_timeout_ms = 1000;
	c->timeout_ms = 1000;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	setenv("HOME", "/nonexistent", 1);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_new_credentials_sources)
{
	char dir[] = "/tmp/bpg-s3-unit-XXXXXX", path[256], sk[256];
	struct bpg_s3_conf c;
	struct bpg_s3 *s = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/credentials", dir);
	snprintf(sk, sizeof(sk), "%s/secret", dir);
	clean_conf(&c);
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_ECONFIG);          /* nothing anywhere */
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_OK);
	ck_assert_str_eq(bpg_s3_host(s), "s3.eu-west-3.amazonaws.com");
	bpg_s3_free(s);
	clean_conf(&c);
	write_file(path, "# c\n[default]\naws_access_key_id=A\n\n[other]\n  aws_access_key_id = B \r\n"
	    "aws_secret_access_key=S\naws_session_token = T\n");
	c.credentials_file = path;
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_ECONFIG);          /* [default] has no secret */
	c.credentials_profile = conf_str("other");
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_OK);
	bpg_s3_free(s);
	c.credentials_profile = conf_str("missing");
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_ECONFIG);
	clean_conf(&c);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	c.credentials_profile = conf_str("other");
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_OK);
	bpg_s3_free(s);
	clean_conf(&c);
	c.access_key_id = conf_str("AK");
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_ECONFIG);          /* no secret file given */
	c.secret_access_key_file = sk;
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_ECONFIG);          /* not there */
	write_file(sk, "\n");
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_ECONFIG);          /* empty */
	write_file(sk, "secret\n");
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_OK);
	bpg_s3_free(s);
	unlink(sk);
	unlink(path);
	rmdir(dir);
}
END_TEST

static const struct {
	const char *endpoint;
	enum bpg_err err;
	const char *host;
} endpoints[] = {
	{ "http://127.0.0.1:27001", BPG_OK, "127.0.0.1:27001" },
	{ "https://s3.example.com/", BPG_OK, "s3.example.com" },
	{ "http://[::1]:9000", BPG_OK, "[::1]:9000" },
	{ "ftp://h", BPG_ECONFIG, NULL },
	{ "h:9000", BPG_ECONFIG, NULL },
	{ "http://", BPG_ECONFIG, NULL },
	{ "http://user@h", BPG_ECONFIG, NULL },
	{ "http://h/prefix", BPG_ECONFIG, NULL },
	{ "http://h h", BPG_ECONFIG, NULL },
};

START_TEST(test_new_endpoint)
{
	struct bpg_s3_conf c;
	struct bpg_s3 *s = NULL;

	clean_conf(&c);
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
	c.endpoint = conf_str(endpoints[_i].endpoint);
	ck_assert_int_eq(bpg_s3_new(&c, &s), endpoints[_i].err);
	if (endpoints[_i].err == BPG_OK) {
		ck_assert_str_eq(bpg_s3_host(s), endpoints[_i].host);
		bpg_s3_free(s);
	}
	bpg_s3_free(NULL);
}
END_TEST

START_TEST(test_bad_arguments_before_any_request)
{
	struct bpg_s3_conf c;
	struct bpg_s3 *s = NULL;
	char why[256], key[BPG_S3_KEY_MAX + 2], etag[BPG_S3_ETAG_MAX];

	clean_conf(&c);
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
	c.endpoint = conf_str("http://127.0.0.1:1");       /* never reached: every call fails first */
	ck_assert_int_eq(bpg_s3_new(&c, &s), BPG_OK);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	ck_assert_int_eq(bpg_s3_put(s, &(struct bpg_s3_req){ .bucket = "b", .key = "", .data = "x",
	    .len = 1 }, why, sizeof(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_put(s, &(struct bpg_s3_req){ .bucket = "b", .key = key, .data = "x",
	    .len = 1 }, why, sizeof(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_head(s, "b/x", "k", NULL, why, sizeof(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_head(s, "", "k", NULL, why, sizeof(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_part(s, &(struct bpg_s3_req){ .bucket = "b", .key = "k",
	    .upload_id = "id", .part_no = 0, .data = "x", .len = 1 }, etag, why, sizeof(why)),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_part(s, &(struct bpg_s3_req){ .bucket = "b", .key = "k",
	    .upload_id = "id", .part_no = BPG_S3_MAX_PARTS + 1, .data = "x", .len = 1 }, etag,
	    why, sizeof(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_abort(s, "b", "k", "", why, sizeof(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_abort(s, "b", "k", "a\nb", why, sizeof(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_complete(s, &(struct bpg_s3_req){ .bucket = "b", .key = "k",
	    .upload_id = "id" }, &(struct bpg_s3_parts){ NULL, NULL, 0 }, why, sizeof(why)),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_get(s, "b", "k", -1, 5, NULL, NULL, why, sizeof(why)), BPG_EINVAL);
	/* and a refused connection is "unavailable" */
	ck_assert_int_eq(bpg_s3_head(s, "b", "k", NULL, why, sizeof(why)), BPG_EUNAVAIL);
	ck_assert_msg(strstr(why, "HEAD b/k") != NULL, "%s", why);
	bpg_s3_free(s);
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

static Suite *
s3_suite(void)
{
	Suite *s = suite_create("bpg_s3");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_check_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_check_long_code_and_nul);
	tcase_add_test(tc, test_new_credentials_sources);
	tcase_add_loop_test(tc, test_new_endpoint, 0, (int)(sizeof(endpoints) / sizeof(endpoints[0])));
	tcase_add_test(tc, test_bad_arguments_before_any_request);
	tcase_add_loop_test(tc, test_list_page, 0, (int)(sizeof(pages) / sizeof(pages[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(s3_suite());
	int failed;

	bpg_log_set_stream(fopen("/dev/null", "w"));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
