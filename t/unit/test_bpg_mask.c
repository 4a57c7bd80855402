/* Unit tests for bpg_mask: no secret leaves the gateway. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_mask.h"

static char *pats[] = { "password", "secret", "token", "credential", "fs.s3a.access.key",
    "fs.s3a.secret.key" };
static const struct bpg_strlist patterns = { pats, 6 };

START_TEST(test_keys)
{
	ck_assert(bpg_mask_key_is_secret("spark.hadoop.fs.s3a.secret.key", &patterns));
	ck_assert(bpg_mask_key_is_secret("spark.hadoop.fs.s3a.access.key", &patterns));
	ck_assert(bpg_mask_key_is_secret("spark.ssl.keyPassword", &patterns));
	ck_assert(bpg_mask_key_is_secret("spark.authenticate.SECRET", &patterns));
	ck_assert(bpg_mask_key_is_secret("x.github.Token", &patterns));
	ck_assert(!bpg_mask_key_is_secret("spark.executor.memory", &patterns));
	ck_assert(!bpg_mask_key_is_secret("spark.app.name", &patterns));
}
END_TEST

START_TEST(test_app)
{
	cJSON *app = cJSON_Parse("{\"spec\":{\"sparkConf\":{\"spark.app.name\":\"x\","
	    "\"spark.hadoop.fs.s3a.secret.key\":\"S3CR3T\",\"spark.ssl.keyPassword\":\"pw\"},"
	    "\"driver\":{\"env\":[{\"name\":\"A\",\"value\":\"one\"},{\"name\":\"B\",\"valueFrom\":"
	    "{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}]},\"executor\":{\"env\":[{\"name\":"
	    "\"C\",\"value\":\"two\"}]}}}");
	char *out;

	ck_assert_ptr_nonnull(app);
	bpg_mask_app(app, &patterns);
	out = cJSON_PrintUnformatted(app);
	ck_assert_str_eq(out, "{\"spec\":{\"sparkConf\":{\"spark.app.name\":\"x\","
	    "\"spark.hadoop.fs.s3a.secret.key\":\"***\",\"spark.ssl.keyPassword\":\"***\"},"
	    "\"driver\":{\"env\":[{\"name\":\"A\",\"value\":\"***\"},{\"name\":\"B\",\"valueFrom\":"
	    "{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}]},\"executor\":{\"env\":[{\"name\":"
	    "\"C\",\"value\":\"***\"}]}}}");
	cJSON_free(out);
	cJSON_Delete(app);
}
END_TEST

START_TEST(test_request_and_odd_shapes)
{
	cJSON *req = cJSON_Parse("{\"queueToken\":\"eyJ.x.y\",\"sparkConf\":{\"a.token\":1},"
	    "\"driver\":{\"env\":\"not a list\"},\"executor\":[]}");
	cJSON *odd = cJSON_Parse("{\"spec\":[1,2]}");
	char *out;

	bpg_mask_request(req, &patterns);
	out = cJSON_PrintUnformatted(req);
	ck_assert_ptr_null(strstr(out, "eyJ"));
	ck_assert_ptr_nonnull(strstr(out, "\"a.token\":\"***\""));
	cJSON_free(out);
	bpg_mask_app(odd, &patterns);   /* no crash on shapes it does not expect */
	bpg_mask_app(NULL, &patterns);
	cJSON_Delete(req);
	cJSON_Delete(odd);
}
END_TEST

static Suite *
mask_suite(void)
{
	Suite *s = suite_create("bpg_mask");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_app);
	tcase_add_test(tc, test_request_and_odd_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mask_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
