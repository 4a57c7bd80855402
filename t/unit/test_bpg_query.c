/* Unit tests for bpg_query: query strings decoded and bounded. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_query.h"
#include "testkit.h"

static const struct {
	const char *qs;
	enum bpg_err err;
	const char *name, *value;     /* expected for BPG_OK */
	const char *why;              /* substring for errors */
} cases[] = {
	{ "", BPG_OK, NULL, NULL, NULL },
	{ "a=1", BPG_OK, "a", "1", NULL },
	{ "a=x%20y+z", BPG_OK, "a", "x y z", NULL },
	{ "a=%E2%82%AC", BPG_OK, "a", "\xe2\x82\xac", NULL },
	{ "flag", BPG_OK, "flag", "", NULL },
	{ "&&a=1&&", BPG_OK, "a", "1", NULL },
	{ "a=%zz", BPG_EINVAL, NULL, NULL, "a: malformed" },
	{ "a=%2", BPG_EINVAL, NULL, NULL, "malformed" },
	{ "a=%00", BPG_EINVAL, NULL, NULL, "malformed" },
	{ "a=%0d%0a", BPG_EINVAL, NULL, NULL, "malformed" },
	{ "a=%ff", BPG_EINVAL, NULL, NULL, "malformed" },
	{ "a=1&a=2", BPG_EINVAL, NULL, NULL, "a: given twice" },
	{ "=1", BPG_EINVAL, NULL, NULL, "name" },
};

START_TEST(test_parse_table)
{
	struct bpg_query q;
	char why[256] = "";
	enum bpg_err err = bpg_query_parse(cases[_i].qs, &q, BPG_WHY(why));

	ck_assert_int_eq(err, cases[_i].err);
	if (err == BPG_OK && cases[_i].name != NULL)
		ck_assert_str_eq(bpg_query_get(&q, cases[_i].name), cases[_i].value);
	if (err != BPG_OK)
		ck_assert_msg(strstr(why, cases[_i].why) != NULL, "'%s' lacks '%s'", why, cases[_i].why);
}
END_TEST

START_TEST(test_limits)
{
	struct bpg_query q;
	char why[256], *big = malloc(BPG_QUERY_MAX_LEN + 10);
	size_t o = 0;

	memset(big, 'a', BPG_QUERY_MAX_LEN + 5);
	big[BPG_QUERY_MAX_LEN + 5] = '\0';
	ck_assert_int_eq(bpg_query_parse(big, &q, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "longer than"));
	/* one value over the limit */
	memcpy(big, "v=", 2);
	memset(big + 2, 'x', BPG_QUERY_MAX_VALUE + 1);
	big[BPG_QUERY_MAX_VALUE + 3] = '\0';
	ck_assert_int_eq(bpg_query_parse(big, &q, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "v: longer than"));
	/* too many parameters */
	for (int i = 0; i <= BPG_QUERY_MAX_PARAMS; i++)
		o += (size_t)snprintf(big + o, 16, "p%d=1&", i);
	ck_assert_int_eq(bpg_query_parse(big, &q, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "more than"));
	free(big);
}
END_TEST

START_TEST(test_only_long_bool)
{
	static const char *const names[] = { "limit", "dryRun", NULL };
	struct bpg_query q;
	char why[256];
	long long v;
	int b;

	ck_assert_int_eq(bpg_query_parse("limit=50&dryRun=true", &q, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(bpg_query_only(&q, names, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(bpg_query_long(&q, "limit", 1, 1000, 100, &v, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(v, 50);
	ck_assert_int_eq(bpg_query_long(&q, "absent", 1, 1000, 100, &v, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(v, 100);
	ck_assert_int_eq(bpg_query_bool(&q, "dryRun", 0, &b, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(bpg_query_parse("limit=5000&x=1", &q, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(bpg_query_only(&q, names, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_str_eq(why, "x: unknown query parameter");
	ck_assert_int_eq(bpg_query_long(&q, "limit", 1, 1000, 100, &v, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "limit: must be a whole number from 1 to 1000"));
	ck_assert_int_eq(bpg_query_parse("limit=1e3&dryRun=maybe", &q, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(bpg_query_long(&q, "limit", 1, 1000, 100, &v, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_query_bool(&q, "dryRun", 0, &b, BPG_WHY(why)), BPG_EINVAL);
}
END_TEST

/* Whole numbers are digits, maybe after '-': strtoll's spaces and '+' are refused. */
static const struct {
	const char *qs;
	enum bpg_err err;
	long long v;
} long_cases[] = {
	{ "n=7", BPG_OK, 7 },
	{ "n=-3", BPG_OK, -3 },
	{ "n=007", BPG_OK, 7 },
	{ "n=%2B5", BPG_EINVAL, 0 },
	{ "n=+5", BPG_EINVAL, 0 },            /* '+' is a space in a query */
	{ "n=%205", BPG_EINVAL, 0 },
	{ "n=-", BPG_EINVAL, 0 },
	{ "n=--5", BPG_EINVAL, 0 },
	{ "n=-+5", BPG_EINVAL, 0 },
	{ "n=", BPG_EINVAL, 0 },
	{ "n=5%20", BPG_EINVAL, 0 },
	{ "n=99999999999999999999", BPG_EINVAL, 0 },
};

START_TEST(test_long_strict)
{
	struct bpg_query q;
	char why[256];
	long long v = 0;

	ck_assert_int_eq(bpg_query_parse(long_cases[_i].qs, &q, BPG_WHY(why)), BPG_OK);
	ck_assert_msg(bpg_query_long(&q, "n", -10, 1000, 1, &v, BPG_WHY(why)) == long_cases[_i].err,
	    "case %d (%s)", _i, long_cases[_i].qs);
	if (long_cases[_i].err == BPG_OK)
		ck_assert_int_eq(v, long_cases[_i].v);
	else
		ck_assert_ptr_nonnull(strstr(why, "n: must be a whole number"));
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_parse_table, cases),
		TK_TEST(test_limits),
		TK_TEST(test_only_long_bool),
		TK_LOOP(test_long_strict, long_cases),
	};

	return tk_run("bpg_query", tests, TK_LEN(tests), NULL);
}
