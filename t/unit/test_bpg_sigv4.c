/*
 * Unit tests for bpg_sigv4: every case of t/fixtures/sigv4/cases.json (written by botocore's
 * signer through t/s3/sigv4_oracle.py) signs to botocore's canonical request and Authorization;
 * when python3 and botocore are installed the fixture is checked against botocore again, so it
 * cannot go stale silently. Plus the encoders, AWS's documented example and the rejections.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "bpg_sigv4.h"

#define FIXTURE BPG_SRCDIR "/t/fixtures/sigv4/cases.json"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static cJSON *fixture;
static int n_cases;

/* Reads the whole fixture into a cJSON tree; NULL if missing or malformed. */
static cJSON *
load_fixture(void)
{
	FILE *fp = fopen(FIXTURE, "rb");
	char *text = NULL;
	cJSON *root = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
		goto out;
	if ((text = malloc((size_t)n + 1)) == NULL || fread(text, 1, (size_t)n, fp) != (size_t)n)
		goto out;
	text[n] = '\0';
	root = cJSON_Parse(text);
out:
	free(text);
	fclose(fp);
	return root;
}

static const char *
str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Fills pairs from a JSON array of [name, value]; returns the count. */
static size_t
pairs_of(const cJSON *o, const char *name, struct bpg_sigv4_pair *p, size_t max)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, name), *it;
	size_t n = 0;

	cJSON_ArrayForEach(it, arr) {
		ck_assert_uint_lt(n, max);
		p[n].name = cJSON_GetArrayItem(it, 0)->valuestring;
		p[n].value = cJSON_GetArrayItem(it, 1)->valuestring;
		n++;
	}
	return n;
}

START_TEST(test_fixture_case)
{
	const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(fixture, "cases"), _i);
	struct bpg_sigv4_pair params[BPG_SIGV4_MAX_PARAMS], headers[BPG_SIGV4_MAX_HEADERS];
	struct bpg_sigv4_input in;
	struct bpg_buf cr;
	char auth[BPG_SIGV4_AUTH_MAX], date[BPG_SIGV4_DATE_LEN + 1];

	ck_assert_ptr_nonnull(c);
	memset(&in, 0, sizeof(in));
	in.method = str_of(c, "method");
	in.host = str_of(c, "host");
	in.path = str_of(c, "path");
	in.params = params;
	in.n_params = pairs_of(c, "params", params, BPG_SIGV4_MAX_PARAMS);
	in.headers = headers;
	in.n_headers = pairs_of(c, "headers", headers, BPG_SIGV4_MAX_HEADERS);
	in.payload_sha256 = str_of(c, "payload");
	in.region = str_of(c, "region");
	in.service = str_of(c, "service");
	in.access_key = str_of(c, "access_key");
	in.secret_key = str_of(c, "secret_key");
	in.session_token = str_of(c, "session_token");
	in.now = (time_t)cJSON_GetObjectItem(c, "now")->valuedouble;
	bpg_buf_init(&cr, 0);
	ck_assert_int_eq(bpg_sigv4_sign(&in, &cr, auth, sizeof(auth), date), BPG_OK);
	ck_assert_msg(strcmp(cr.data, str_of(c, "canonical")) == 0, "case %s: canonical\n%s\n"
	    "expected\n%s", str_of(c, "name"), cr.data, str_of(c, "canonical"));
	ck_assert_msg(strcmp(auth, str_of(c, "authorization")) == 0, "case %s: %s", str_of(c, "name"),
	    auth);
	ck_assert_str_eq(date, str_of(c, "amz_date"));
	bpg_buf_release(&cr);
}
END_TEST

/* The fixture is what botocore answers today (skipped without python3 + botocore). */
START_TEST(test_fixture_matches_botocore)
{
	int rc;

	if (system("python3 -c 'import botocore' >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_bpg_sigv4: python3 with botocore missing: oracle check skipped\n");
		return;
	}
	rc = system("python3 " BPG_SRCDIR "/t/s3/sigv4_oracle.py check " FIXTURE);
	ck_assert_msg(rc == 0, "t/s3/sigv4_oracle.py check failed (%d)", rc);
}
END_TEST

/* AWS's documented GET Object example, independently of the fixture. */
START_TEST(test_aws_documented_example)
{
	const struct bpg_sigv4_pair range = { "Range", "bytes=0-9" };
	struct bpg_sigv4_input in = {
		.method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = "/test.txt",
		.headers = &range, .n_headers = 1, .payload_sha256 = EMPTY_SHA,
		.region = "us-east-1", .service = "s3", .access_key = "AKIAIOSFODNN7EXAMPLE",
		.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", .now = 1369353600,
	};
	char auth[BPG_SIGV4_AUTH_MAX], date[BPG_SIGV4_DATE_LEN + 1];

	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_OK);
	ck_assert_str_eq(date, "20130524T000000Z");
	ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
	    "us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}
END_TEST

static const struct {
	const char *in;
	size_t n;
	int keep_slash;
	const char *out;
} enc_cases[] = {
	{ "AZaz09-_.~", 10, 0, "AZaz09-_.~" },
	{ "a b/c", 5, 1, "a%20b/c" },
	{ "a b/c", 5, 0, "a%20b%2Fc" },
	{ "%20+=&?#", 8, 1, "%2520%2B%3D%26%3F%23" },
	{ "\xc3\xa9\xff", 3, 0, "%C3%A9%FF" },
	{ "a\0b", 3, 0, "a%00b" },
	{ "", 0, 1, "" },
};

START_TEST(test_uri_encode)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_buf_puts(&b, ""), BPG_OK);
	ck_assert_int_eq(bpg_sigv4_uri_encode(enc_cases[_i].in, enc_cases[_i].n,
	    enc_cases[_i].keep_slash, &b), BPG_OK);
	ck_assert_str_eq(b.data, enc_cases[_i].out);
	bpg_buf_release(&b);
}
END_TEST

/*
 * Upload keys as the gateway makes them (issue 32 item 7: every allowed name byte outside
 * A-Za-z0-9-._~ encoded once, '/' kept between segments), and other keys' bytes.
 */
static const struct {
	const char *path, *uri;
} uri_cases[] = {
	{ "/bpg/uploaded/demo/a=b.txt", "/bpg/uploaded/demo/a%3Db.txt" },
	{ "/bpg/uploaded/demo/a+b.txt", "/bpg/uploaded/demo/a%2Bb.txt" },
	{ "/bpg/uploaded/demo/a@b.txt", "/bpg/uploaded/demo/a%40b.txt" },
	{ "/bpg/uploaded/demo/a,b.txt", "/bpg/uploaded/demo/a%2Cb.txt" },
	{ "/b/f=1/g+2/h@3/i,4/n", "/b/f%3D1/g%2B2/h%403/i%2C4/n" },
	{ "/b/A-Z_a.z~0-9", "/b/A-Z_a.z~0-9" },
	{ "/b/a b", "/b/a%20b" },
	{ "/b/\xc3\xa9t\xc3\xa9/\xf0\x9f\x98\x80", "/b/%C3%A9t%C3%A9/%F0%9F%98%80" },
	{ "/b/%2F%", "/b/%252F%25" },
	{ "/b/!$&'()*;:?#[]", "/b/%21%24%26%27%28%29%2A%3B%3A%3F%23%5B%5D" },
};

START_TEST(test_canonical_uri_of_upload_keys)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_sigv4_canonical_uri(uri_cases[_i].path, &b), BPG_OK);
	ck_assert_str_eq(b.data, uri_cases[_i].uri);
	bpg_buf_release(&b);
}
END_TEST

START_TEST(test_canonical_query_and_uri)
{
	const struct bpg_sigv4_pair p[] = { { "uploads", "" }, { "b", "2" }, { "b", "10" },
	    { "_", "x" }, { "`", "y" } };
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_sigv4_canonical_query(p, 5, &b), BPG_OK);
	ck_assert_str_eq(b.data, "%60=y&_=x&b=10&b=2&uploads=");
	bpg_buf_reset(&b);
	ck_assert_int_eq(bpg_sigv4_canonical_query(NULL, 0, &b), BPG_OK);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(bpg_sigv4_canonical_query(p, BPG_SIGV4_MAX_PARAMS + 1, &b), BPG_EINVAL);
	ck_assert_int_eq(bpg_sigv4_canonical_uri("/b/a b/%", &b), BPG_OK);
	ck_assert_str_eq(b.data, "/b/a%20b/%25");
	ck_assert_int_eq(bpg_sigv4_canonical_uri("no-slash", &b), BPG_EINVAL);
	bpg_buf_release(&b);
}
END_TEST

START_TEST(test_sha256_hex)
{
	char hex[BPG_SIGV4_HEX_LEN + 1];

	bpg_sigv4_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, EMPTY_SHA);
	bpg_sigv4_sha256_hex(NULL, 0, hex);
	ck_assert_str_eq(hex, EMPTY_SHA);
	bpg_sigv4_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* A valid input to break one field at a time. */
static void
base_input(struct bpg_sigv4_input *in)
{
	memset(in, 0, sizeof(*in));
	in->method = "GET";
	in->host = "h";
	in->path = "/b/k";
	in->payload_sha256 = EMPTY_SHA;
	in->region = "us-east-1";
	in->service = "s3";
	in->access_key = "AK";
	in->secret_key = "SK";
	in->now = 1764476000;
}

static const struct {
	const char *name;
	const char *value;
} bad_headers[] = {
	{ "X-Evil\r\nHost", "v" }, { "X-A", "v\r\nX-B: w" }, { "X-A", "v\n" }, { "X-A", "v\r" },
	{ "", "v" }, { "X A", "v" }, { "X:A", "v" }, { "Host", "other" },
	{ "X-Amz-Date", "20000101T000000Z" }, { "authorization", "x" },
	{ "x-amz-security-token", "t" }, { "X-A", NULL }, { NULL, "v" },
};

START_TEST(test_rejects_bad_header)
{
	struct bpg_sigv4_pair h = { bad_headers[_i].name, bad_headers[_i].value };
	struct bpg_sigv4_input in;
	char auth[BPG_SIGV4_AUTH_MAX], date[BPG_SIGV4_DATE_LEN + 1];

	base_input(&in);
	in.headers = &h;
	in.n_headers = 1;
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
}
END_TEST

START_TEST(test_rejects_bad_input)
{
	struct bpg_sigv4_pair h[BPG_SIGV4_MAX_HEADERS + 1] = { { "X-A", "1" }, { "x-a", "2" } };
	struct bpg_sigv4_input in;
	char auth[BPG_SIGV4_AUTH_MAX], date[BPG_SIGV4_DATE_LEN + 1];
	struct bpg_buf cr;

	bpg_buf_init(&cr, 0);
	base_input(&in);
	ck_assert_int_eq(bpg_sigv4_sign(&in, &cr, auth, sizeof(auth), date), BPG_OK);
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, 40, date), BPG_ETOOLARGE);
	in.headers = h;
	in.n_headers = 2;     /* the same name twice */
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	in.n_headers = BPG_SIGV4_MAX_HEADERS + 1;
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	base_input(&in);
	in.n_params = BPG_SIGV4_MAX_PARAMS + 1;
	in.params = (const struct bpg_sigv4_pair *)h;
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	base_input(&in);
	in.session_token = "tok\r\nX: y";
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	base_input(&in);
	in.host = "h\r\nX: y";
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	base_input(&in);
	in.path = "b/k";
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	base_input(&in);
	in.region = "us/east";
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	base_input(&in);
	in.secret_key = NULL;
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	base_input(&in);
	in.method = NULL;
	ck_assert_int_eq(bpg_sigv4_sign(&in, NULL, auth, sizeof(auth), date), BPG_EINVAL);
	ck_assert_uint_eq(cr.len > 0, 1);
	bpg_buf_release(&cr);
}
END_TEST

static Suite *
sigv4_suite(void)
{
	Suite *s = suite_create("bpg_sigv4");
	TCase *tc = tcase_create("core");
	TCase *oracle = tcase_create("oracle");

	tcase_add_loop_test(tc, test_fixture_case, 0, n_cases);
	tcase_add_test(tc, test_aws_documented_example);
	tcase_add_loop_test(tc, test_uri_encode, 0, (int)(sizeof(enc_cases) / sizeof(enc_cases[0])));
	tcase_add_test(tc, test_canonical_query_and_uri);
	tcase_add_loop_test(tc, test_canonical_uri_of_upload_keys, 0,
	    (int)(sizeof(uri_cases) / sizeof(uri_cases[0])));
	tcase_add_test(tc, test_sha256_hex);
	tcase_add_loop_test(tc, test_rejects_bad_header, 0,
	    (int)(sizeof(bad_headers) / sizeof(bad_headers[0])));
	tcase_add_test(tc, test_rejects_bad_input);
	suite_add_tcase(s, tc);
	tcase_set_timeout(oracle, 60);
	tcase_add_test(oracle, test_fixture_matches_botocore);
	suite_add_tcase(s, oracle);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	fixture = load_fixture();
	if (fixture == NULL) {
		fprintf(stderr, "test_bpg_sigv4: cannot read %s\n", FIXTURE);
		return EXIT_FAILURE;
	}
	n_cases = cJSON_GetArraySize(cJSON_GetObjectItem(fixture, "cases"));
	if (n_cases < 20) {
		fprintf(stderr, "test_bpg_sigv4: %s has only %d cases\n", FIXTURE, n_cases);
		return EXIT_FAILURE;
	}
	sr = srunner_create(sigv4_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	cJSON_Delete(fixture);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
