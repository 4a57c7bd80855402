/*
 * Unit tests for bpg_s3 without a network: how bpg_s3_new() finds its endpoint and
 * credentials, and the arguments refused before any request. S3's XML: test_bpg_s3xml.c.
 * The client against moto and a fake S3: t/s3/test_s3client.py, t/s3/test_s3faults.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_log.h"
#include "bpg_s3.h"
#include "testkit.h"

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
	    .len = 1 }, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_put(s, &(struct bpg_s3_req){ .bucket = "b", .key = key, .data = "x",
	    .len = 1 }, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_head(s, "b/x", "k", NULL, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_head(s, "", "k", NULL, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_part(s, &(struct bpg_s3_req){ .bucket = "b", .key = "k",
	    .upload_id = "id", .part_no = 0, .data = "x", .len = 1 }, etag, BPG_WHY(why)),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_part(s, &(struct bpg_s3_req){ .bucket = "b", .key = "k",
	    .upload_id = "id", .part_no = BPG_S3_MAX_PARTS + 1, .data = "x", .len = 1 }, etag,
	    BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_abort(s, "b", "k", "", BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_abort(s, "b", "k", "a\nb", BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_mpu_complete(s, &(struct bpg_s3_req){ .bucket = "b", .key = "k",
	    .upload_id = "id" }, &(struct bpg_s3_parts){ NULL, NULL, 0 }, BPG_WHY(why)),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_s3_fetch(s, &(const struct bpg_s3_req){ .bucket = "b", .key = "k",
	    .offset = -1, .length = 5 }, BPG_WHY(why)), BPG_EINVAL);
	/* and a refused connection is "unavailable" */
	ck_assert_int_eq(bpg_s3_head(s, "b", "k", NULL, BPG_WHY(why)), BPG_EUNAVAIL);
	ck_assert_msg(strstr(why, "HEAD b/k") != NULL, "%s", why);
	bpg_s3_free(s);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		{ test_new_credentials_sources, 0 },
		{ test_new_endpoint, (int)TK_LEN(endpoints) },
		{ test_bad_arguments_before_any_request, 0 },
	};

	bpg_log_set_stream(fopen("/dev/null", "w"));
	return tk_run("bpg_s3", tests, TK_LEN(tests), NULL);
}
