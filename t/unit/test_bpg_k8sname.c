/* Unit tests for bpg_k8sname: the name rules the API server applies. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_k8sname.h"
#include "testkit.h"

#define L63 "a23456789012345678901234567890123456789012345678901234567890123"

static const struct {
	const char *s;
	int label, subdomain, value, key;
} cases[] = {
	{ "a", 1, 1, 1, 1 }, { "spark-apps", 1, 1, 1, 1 }, { "0a", 1, 1, 1, 1 },
	{ "", 0, 0, 1, 0 }, { "-a", 0, 0, 0, 0 }, { "a-", 0, 0, 0, 0 }, { "A", 0, 0, 1, 1 },
	{ "a_b", 0, 0, 1, 1 }, { "a.b", 0, 1, 1, 1 }, { "a..b", 0, 0, 1, 1 }, { ".a", 0, 0, 0, 0 },
	{ "a.", 0, 0, 0, 0 }, { L63, 1, 1, 1, 1 }, { L63 "4", 0, 0, 0, 0 },
	{ "example.com/name", 0, 0, 0, 1 }, { "Example.com/name", 0, 0, 0, 0 },
	{ "/name", 0, 0, 0, 0 }, { "x/", 0, 0, 0, 0 }, { "sparkoperator.k8s.io/app-name", 0, 0, 0, 1 },
	{ "a b", 0, 0, 0, 0 }, { "caf\xc3\xa9", 0, 0, 0, 0 },
};

START_TEST(test_rules)
{
	ck_assert_int_eq(bpg_k8sname_label(cases[_i].s, BPG_K8SNAME_LABEL_MAX), cases[_i].label);
	ck_assert_int_eq(bpg_k8sname_subdomain(cases[_i].s), cases[_i].subdomain);
	ck_assert_int_eq(bpg_k8sname_label_value(cases[_i].s), cases[_i].value);
	ck_assert_int_eq(bpg_k8sname_label_key(cases[_i].s), cases[_i].key);
}
END_TEST

START_TEST(test_lengths)
{
	char s[300];

	ck_assert_int_eq(bpg_k8sname_label("abcd", 3), 0);
	ck_assert_int_eq(bpg_k8sname_label("abc", 3), 1);
	/* a subdomain of 253 characters of 63-character labels, then one more */
	snprintf(s, sizeof(s), "%s.%s.%s.%.61s", L63, L63, L63, L63);
	ck_assert_uint_eq(strlen(s), 253);
	ck_assert_int_eq(bpg_k8sname_subdomain(s), 1);
	strcat(s, "a");
	ck_assert_int_eq(bpg_k8sname_subdomain(s), 0);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_rules, cases),
		TK_TEST(test_lengths),
	};

	return tk_run("bpg_k8sname", tests, TK_LEN(tests), NULL);
}
