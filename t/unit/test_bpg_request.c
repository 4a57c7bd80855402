/* Unit tests for bpg_request's value parsers and the Java gateway's label normalization. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_request.h"

static const struct { const char *in; enum bpg_err err; long long mb; } mem[] = {
	{ "512m", BPG_OK, 512 }, { "2g", BPG_OK, 2048 }, { "2G", BPG_OK, 2048 }, { "1.5g", BPG_OK, 1536 },
	{ "2048", BPG_OK, 2048 }, { "1024k", BPG_OK, 1 }, { "1gb", BPG_OK, 1024 }, { "4Gi", BPG_OK, 4096 },
	{ "1t", BPG_OK, 1048576 }, { "1073741824b", BPG_OK, 1024 }, { "0.1m", BPG_OK, 1 },
	{ "", BPG_EINVAL, 0 }, { "g", BPG_EINVAL, 0 }, { "-1g", BPG_EINVAL, 0 }, { "0m", BPG_EINVAL, 0 },
	{ "2 g", BPG_EINVAL, 0 }, { "2x", BPG_EINVAL, 0 }, { "1e9g", BPG_EINVAL, 0 }, { "nan", BPG_EINVAL, 0 },
	{ "inf", BPG_EINVAL, 0 }, { "99999999t", BPG_EINVAL, 0 },
};

START_TEST(test_memory)
{
	long long mb = -1;

	ck_assert_int_eq(bpg_request_memory_mb(mem[_i].in, &mb), mem[_i].err);
	if (mem[_i].err == BPG_OK)
		ck_assert_int_eq(mb, mem[_i].mb);
}
END_TEST

static const struct { const char *in; enum bpg_err err; long long m; } cpu[] = {
	{ "500m", BPG_OK, 500 }, { "1", BPG_OK, 1000 }, { "1.5", BPG_OK, 1500 }, { "2500m", BPG_OK, 2500 },
	{ "0.001", BPG_OK, 1 }, { "1.5m", BPG_EINVAL, 0 }, { "m", BPG_EINVAL, 0 }, { "0", BPG_EINVAL, 0 },
	{ "1000mm", BPG_EINVAL, 0 }, { "2 cores", BPG_EINVAL, 0 }, { "-1", BPG_EINVAL, 0 },
};

START_TEST(test_millicores)
{
	long long m = -1;

	ck_assert_int_eq(bpg_request_millicores(cpu[_i].in, &m), cpu[_i].err);
	if (cpu[_i].err == BPG_OK)
		ck_assert_int_eq(m, cpu[_i].m);
}
END_TEST

/* spec 4.13's examples, word for word */
static const struct { const char *in, *out; } labels[] = {
	{ " ", "0" }, { "--", "00" }, { "_0aAzZ_-.9_", "00aAzZ_-.90" }, { "0aAzZ_-.!@ 9", "0aAzZ_-.0009" },
	{ "", "" }, { "alice@example.com", "alice0example.com" },
};

START_TEST(test_label_value)
{
	char out[64];

	bpg_request_label_value(labels[_i].in, out);
	ck_assert_str_eq(out, labels[_i].out);
}
END_TEST

START_TEST(test_label_value_63)
{
	char in[100], out[64];

	memset(in, 'a', 99);
	in[99] = '\0';
	bpg_request_label_value(in, out);
	ck_assert_int_eq(strlen(out), 63);
}
END_TEST

START_TEST(test_unknown_nested_fields_dropped)
{
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"driver\":{\"cores\":1,\"surprise\":{\"x\":1},\"dnsConfig\":{}},\"spotInstance\":null}";
	struct bpg_submit_req *r;
	char why[256];
	cJSON *j;

	ck_assert_int_eq(bpg_request_parse(body, sizeof(body) - 1, &r, why, sizeof(why)), BPG_OK);
	j = bpg_request_to_json(r);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "driver"), "surprise"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "driver"), "dnsConfig"));
	ck_assert_int_eq(r->spot, 0);
	ck_assert_str_eq(r->type, "Python");
	cJSON_Delete(j);
	bpg_request_free(r);
}
END_TEST

static Suite *
request_suite(void)
{
	Suite *s = suite_create("bpg_request");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_memory, 0, sizeof(mem) / sizeof(mem[0]));
	tcase_add_loop_test(tc, test_millicores, 0, sizeof(cpu) / sizeof(cpu[0]));
	tcase_add_loop_test(tc, test_label_value, 0, sizeof(labels) / sizeof(labels[0]));
	tcase_add_test(tc, test_label_value_63);
	tcase_add_test(tc, test_unknown_nested_fields_dropped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(request_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
