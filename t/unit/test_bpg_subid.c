/* Unit tests for bpg_subid: making and resolving submission ids. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_subid.h"
#include "testkit.h"

static struct bpg_config *cfg;

static void
setup(void)
{
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_int_eq(bpg_config_load(BPG_SRCDIR "/etc/bpg.ini", &cfg, &errors), BPG_OK);
	bpg_buf_release(&errors);
}

static void
teardown(void)
{
	bpg_config_free(cfg);
}

START_TEST(test_new_format_and_length)
{
	static const unsigned char b[16] = { 0x9a, 0x2e, 0x25, 0x98, 0xd1, 0xee, 0x4f, 0xf4, 0xb3,
	    0x3e, 0xe7, 0xeb, 0xcd, 0xb6, 0x3a, 0x6c };
	char id[80], why[256];

	ck_assert_int_eq(bpg_subid_new_with_bytes("c01", NULL, b, id, sizeof(id), BPG_WHY(why)),
	    BPG_OK);
	ck_assert_str_eq(id, "c01-9a2e2598d1ee4ff4b33ee7ebcdb63a6c");
	ck_assert_int_eq(bpg_subid_new_with_bytes("c01", "nightly-2", b, id, sizeof(id),
	    BPG_WHY(why)), BPG_OK);
	ck_assert_str_eq(id, "c01-9a2e2598d1ee4ff4b33ee7ebcdb63a6c-nightly-2");
	/* 63 in all: c01 (3) + 1 + 32 + 1 + 26 */
	ck_assert_int_eq(bpg_subid_new_with_bytes("c01", "abcdefghijklmnopqrstuvwxyz", b, id, sizeof(id),
	    BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(strlen(id), 63);
	ck_assert_int_eq(bpg_subid_new_with_bytes("c01", "abcdefghijklmnopqrstuvwxyz0", b, id, sizeof(id),
	    BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "submissionIdSuffix: at most 26 characters on cluster c01"));
	for (const char *const *s = (const char *const[]){ "UPPER", "-x", "x-", "a_b", "a.b", "a b", NULL };
	    *s; s++) {
		ck_assert_int_eq(bpg_subid_new_with_bytes("c01", *s, b, id, sizeof(id),
		    BPG_WHY(why)),
		    BPG_EINVAL);
		ck_assert_ptr_nonnull(strstr(why, "submissionIdSuffix"));
	}
}
END_TEST

START_TEST(test_new_is_unique)
{
	enum { N = 20000 };
	char (*ids)[80] = calloc(N, sizeof(*ids)), why[64];

	for (int i = 0; i < N; i++)
		ck_assert_int_eq(bpg_subid_new("c01", NULL, ids[i], sizeof(ids[i]), BPG_WHY(why)),
		    BPG_OK);
	qsort(ids, N, sizeof(*ids), (int (*)(const void *, const void *))strcmp);
	for (int i = 1; i < N; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
	free(ids);
}
END_TEST

static const struct {
	const char *id;
	enum bpg_err err;
	const char *expect;   /* cluster id, or a substring of the message */
} parse_cases[] = {
	{ "c01-0123456789abcdef0123456789abcdef", BPG_OK, "c01" },
	{ "c02-0123456789abcdef0123456789abcdef-nightly", BPG_OK, "c02" },
	{ "c99-0123456789abcdef0123456789abcdef", BPG_EINVAL,
	  "Cluster c99 (in submissionId: c99-0123456789abcdef0123456789abcdef) not exists" },
	{ "nodash", BPG_EINVAL, "submissionId nodash is invalid" },
	{ "-c01", BPG_EINVAL, "is invalid" },
	{ "c01-0123", BPG_EINVAL, "is invalid" },
	{ "c01-0123456789ABCDEF0123456789abcdef", BPG_EINVAL, "is invalid" },
	{ "c01-0123456789abcdef0123456789abcdeg", BPG_EINVAL, "is invalid" },
	{ "c01-0123456789abcdef0123456789abcdef-", BPG_EINVAL, "is invalid" },
	{ "c01-0123456789abcdef0123456789abcdefx", BPG_EINVAL, "is invalid" },
	{ "c01-0123456789abcdef0123456789abcdef-aaaaaaaaaaaaaaaaaaaaaaaaaaa", BPG_EINVAL, "is invalid" },
	{ "c01-0123456789abcdef0123456789abcdef/../x", BPG_EINVAL, "is invalid" },
	{ "c01-0123456789abcdef0123456789abcdef\r\nX: y", BPG_EINVAL, "submissionId is invalid" },
	{ "c01-01234567%0a", BPG_EINVAL, "is invalid" },
	{ "", BPG_EINVAL, "is invalid" },
};

START_TEST(test_parse_table)
{
	const struct bpg_cluster *c = NULL;
	char why[256] = "";
	enum bpg_err err = bpg_subid_parse(cfg, parse_cases[_i].id, &c, BPG_WHY(why));

	ck_assert_int_eq(err, parse_cases[_i].err);
	if (err == BPG_OK)
		ck_assert_str_eq(c->id, parse_cases[_i].expect);
	else
		ck_assert_msg(strstr(why, parse_cases[_i].expect) != NULL, "'%s' lacks '%s'", why,
		    parse_cases[_i].expect);
	/* never echoes control characters */
	for (const char *p = why; *p; p++)
		ck_assert_int_ge((unsigned char)*p, 0x20);
}
END_TEST

START_TEST(test_app_id)
{
	ck_assert(bpg_subid_is_app_id("spark-0123456789abcdef0123456789abcdef"));
	ck_assert(bpg_subid_is_app_id("spark-application-1700000000000"));
	ck_assert(!bpg_subid_is_app_id("spark-"));
	ck_assert(!bpg_subid_is_app_id("c01-0123456789abcdef0123456789abcdef"));
	ck_assert(!bpg_subid_is_app_id("spark-ABC"));
	ck_assert(!bpg_subid_is_app_id("spark-a/b"));
}
END_TEST

int
main(void)
{
	static const struct tk_opts opt = { setup, teardown, 0, 0 };
	const struct tk_test tests[] = {
		TK_TEST(test_new_format_and_length),
		TK_TEST(test_new_is_unique),
		TK_LOOP(test_parse_table, parse_cases),
		TK_TEST(test_app_id),
	};

	return tk_run("bpg_subid", tests, TK_LEN(tests), &opt);
}
