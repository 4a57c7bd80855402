/* Unit tests for bpg_jwt: HS256 queue tokens. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_jwt.h"
#include "testkit.h"

/* made independently with Python's hmac (secret "s3cr3t") */
#define PY_TOKEN "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAiYWRtaW4iLCAic3ViIjogInF1ZXVl" \
	"VG9rZW4iLCAiYWxsb3dlZFF1ZXVlcyI6IFsic2VjdXJlIiwgImV0bCJdfQ.binLBcNWifcre-RgqSF6dyXFoMfXV9nmlHAXKvj0riQ"
#define PY_NONE "eyJhbGciOiAibm9uZSJ9.eyJpc3MiOiAiYWRtaW4iLCAiYWxsb3dlZFF1ZXVlcyI6IFsic2VjdXJlIl19." \
	"8aXKk2CtycmYqF0CzKQYklq29aMcfMt3Kcxs8lcipl4"

static char *iss[] = { TK_STR("admin"), TK_STR("airflow") };
static const struct bpg_strlist issuers = { iss, 2 };
static struct bpg_jwt_secrets secrets;

static void
setup(void)
{
	secrets.n = 2;
	secrets.v[0] = strdup("old-secret");
	secrets.v[1] = strdup("s3cr3t");
}

static void
teardown(void)
{
	bpg_jwt_secrets_release(&secrets);
}

static enum bpg_err
check(const char *tok, const char *queue, char *why)
{
	return bpg_jwt_check_queue(tok, queue, &secrets, &issuers, 1800000000LL, BPG_WHY_BUF(why,
	    512));
}

static char *
sign(const char *claims, const char *secret)
{
	struct bpg_buf b;
	char *out;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_jwt_sign_hs256(claims, secret, &b), BPG_OK);
	ck_assert_int_eq(bpg_buf_detach(&b, &out), BPG_OK);
	return out;
}

START_TEST(test_python_made_token)
{
	char why[512] = "";

	ck_assert_int_eq(check(PY_TOKEN, "secure", why), BPG_OK);   /* second secret: rotation */
	ck_assert_int_eq(check(PY_TOKEN, "etl", why), BPG_OK);
	ck_assert_int_eq(check(PY_TOKEN, "poc", why), BPG_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why, "does not allow queue poc"));
	ck_assert_int_eq(check(PY_TOKEN, "SECURE", why), BPG_EFORBIDDEN);   /* case-sensitive */
	ck_assert_int_eq(check(PY_NONE, "secure", why), BPG_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why, "HS256"));
}
END_TEST

static const struct {
	const char *claims;
	const char *secret;
	enum bpg_err err;
	const char *why;
} cases[] = {
	{ "{\"iss\":\"airflow\",\"allowedQueues\":[\"secure\"]}", "s3cr3t", BPG_OK, "" },
	{ "{\"iss\":\"AdMiN\",\"allowedQueues\":[\"secure\"],\"exp\":1900000000}", "s3cr3t", BPG_OK, "" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"]}", "wrong", BPG_EFORBIDDEN, "bad signature" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"],\"exp\":1700000000}", "s3cr3t", BPG_EFORBIDDEN, "expired" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"],\"nbf\":1900000000}", "s3cr3t", BPG_EFORBIDDEN, "not valid yet" },
	{ "{\"allowedQueues\":[\"secure\"]}", "s3cr3t", BPG_EFORBIDDEN, "no issuer" },
	{ "{\"iss\":\"mallory\",\"allowedQueues\":[\"secure\"]}", "s3cr3t", BPG_EFORBIDDEN, "unsupported issuer: mallory" },
	{ "{\"iss\":\"admin\"}", "s3cr3t", BPG_EFORBIDDEN, "no claim: allowedQueues" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[]}", "s3cr3t", BPG_EFORBIDDEN, "has no allowed queues" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":\"secure\"}", "s3cr3t", BPG_EFORBIDDEN, "has no allowed queues" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[1,null]}", "s3cr3t", BPG_EFORBIDDEN, "does not allow queue" },
	/* claims far outside long long's range (undefined to convert: UBSan found it) */
	{ "{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"],\"exp\":1e300}", "s3cr3t", BPG_OK, "" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"],\"exp\":-1e300}", "s3cr3t", BPG_EFORBIDDEN, "expired" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"],\"nbf\":1e300}", "s3cr3t", BPG_EFORBIDDEN, "not valid yet" },
	{ "{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"],\"nbf\":-1e300}", "s3cr3t", BPG_OK, "" },
};

START_TEST(test_claims_table)
{
	char *t = sign(cases[_i].claims, cases[_i].secret), why[512] = "";

	ck_assert_int_eq(check(t, "secure", why), cases[_i].err);
	ck_assert_msg(strstr(why, cases[_i].why) != NULL, "'%s' lacks '%s'", why, cases[_i].why);
	free(t);
}
END_TEST

START_TEST(test_malformed)
{
	const char *bad[] = { "", "abc", "a.b", "a.b.c.d", "!!!.@@@.###", "eyJ9.eyJ9.", PY_TOKEN "x",
	    "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA" };
	char why[512], *big = malloc(BPG_JWT_MAX + 10);
	char *t = sign("{\"iss\":\"admin\",\"allowedQueues\":[\"secure\"]}", "s3cr3t");
	struct bpg_jwt_secrets none = { { NULL }, 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(check(bad[i], "secure", why), BPG_EFORBIDDEN);
	memset(big, 'a', BPG_JWT_MAX + 5);
	big[BPG_JWT_MAX + 5] = '\0';
	ck_assert_int_eq(check(big, "secure", why), BPG_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why, "longer than"));
	/* a tampered payload */
	t[strlen(t) / 2] ^= 1;
	ck_assert_int_eq(check(t, "secure", why), BPG_EFORBIDDEN);
	t[strlen(t) / 2] ^= 1;
	ck_assert_int_eq(bpg_jwt_check_queue(t, "secure", &none, &issuers, 0, BPG_WHY(why)),
	    BPG_EINTERNAL);
	free(t);
	free(big);
}
END_TEST

START_TEST(test_secrets_file)
{
	char path[] = "/tmp/bpg-jwt-XXXXXX", why[256];
	struct bpg_jwt_secrets s;
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fputs("# comment\n\nfirst\nsecond\r\n", fp);
	fclose(fp);
	ck_assert_int_eq(bpg_jwt_secrets_load(path, &s, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.v[1], "second");
	bpg_jwt_secrets_release(&s);
	unlink(path);
	ck_assert_int_eq(bpg_jwt_secrets_load("/nonexistent", &s, BPG_WHY(why)), BPG_EIO);
}
END_TEST

int
main(void)
{
	static const struct tk_opts opt = { setup, teardown, 0, 0 };
	const struct tk_test tests[] = {
		TK_TEST(test_python_made_token),
		TK_LOOP(test_claims_table, cases),
		TK_TEST(test_malformed),
		TK_TEST(test_secrets_file),
	};

	return tk_run("bpg_jwt", tests, TK_LEN(tests), &opt);
}
