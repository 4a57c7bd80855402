/* Unit tests for bpg_appstate: CR status to row, row to status and summary JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"

static const struct {
	const char *in;
	long long ms;
} times[] = {
	{ "2026-11-24T10:00:00Z", 1795514400000LL },
	{ "2026-11-24T10:00:00.123Z", 1795514400123LL },
	{ "2026-11-24T10:00:00.1Z", 1795514400100LL },
	{ "2026-11-24T10:00:00.123456789Z", 1795514400123LL },
	{ "2026-11-24T10:00:00+00:00", 1795514400000LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2026-11-24T10:00:00", -1 },
	{ "2026-11-24T10:00:00+02:00", -1 },
	{ "2026-13-24T10:00:00Z", -1 },
	{ "yesterday", -1 },
	{ "", -1 },
};

START_TEST(test_parse_time)
{
	ck_assert_int_eq(bpg_appstate_parse_time(times[_i].in), times[_i].ms);
}
END_TEST

START_TEST(test_terminal)
{
	ck_assert(bpg_appstate_is_terminal("COMPLETED"));
	ck_assert(bpg_appstate_is_terminal("FAILED"));
	ck_assert(bpg_appstate_is_terminal("SUBMISSION_FAILED"));
	ck_assert(!bpg_appstate_is_terminal("FAILED_SUBMISSION"));  /* the Java monitor's typo */
	ck_assert(!bpg_appstate_is_terminal("RUNNING"));
	ck_assert(!bpg_appstate_is_terminal("FAILING"));
	ck_assert(!bpg_appstate_is_terminal(""));
	ck_assert(!bpg_appstate_is_terminal(NULL));
}
END_TEST

static const char running_cr[] = "{\"metadata\":{\"name\":\"c01-x\",\"creationTimestamp\":"
    "\"2026-11-24T10:00:00Z\"},\"status\":{\"applicationState\":{\"state\":\"RUNNING\"},"
    "\"sparkApplicationId\":\"spark-0123\",\"executionAttempts\":1,\"lastSubmissionAttemptTime\":"
    "\"2026-11-24T10:00:05Z\",\"driverInfo\":{\"podName\":\"c01-x-driver\",\"webUIPort\":4040},"
    "\"executorState\":{\"c01-x-exec-1\":\"RUNNING\",\"c01-x-exec-2\":\"RUNNING\"}}}";

START_TEST(test_observe_running)
{
	cJSON *cr = cJSON_Parse(running_cr);
	struct bpg_sub_row r;

	bpg_sub_row_init(&r);
	ck_assert_int_eq(bpg_appstate_observe(cr, &r), BPG_OK);
	ck_assert_str_eq(r.status, "RUNNING");
	ck_assert_str_eq(r.app_id, "spark-0123");
	ck_assert_ptr_null(r.error_message);
	ck_assert_int_eq(r.execution_attempts, 1);
	ck_assert_int_eq(r.executor_count, 2);
	ck_assert_int_eq(r.cr_created_ms, 1795514400000LL);
	ck_assert_int_eq(r.start_ms, 1795514405000LL);
	ck_assert_int_eq(r.finished_ms, -1);
	ck_assert_ptr_nonnull(strstr(r.driver_info, "\"podName\":\"c01-x-driver\""));
	bpg_sub_row_release(&r);
	cJSON_Delete(cr);
}
END_TEST

START_TEST(test_observe_no_status_and_failed)
{
	cJSON *cr = cJSON_Parse("{\"metadata\":{\"creationTimestamp\":\"2026-11-24T10:00:00Z\"}}");
	cJSON *failed = cJSON_Parse("{\"metadata\":{},\"status\":{\"applicationState\":{\"state\":"
	    "\"SUBMISSION_FAILED\",\"errorMessage\":\"no image\"},\"terminationTime\":"
	    "\"2026-11-24T10:01:00Z\"}}");
	struct bpg_sub_row r;

	bpg_sub_row_init(&r);
	ck_assert_int_eq(bpg_appstate_observe(cr, &r), BPG_OK);
	ck_assert_str_eq(r.status, "UNKNOWN");
	ck_assert_int_eq(r.execution_attempts, -1);   /* no status object at all */
	ck_assert_int_eq(bpg_appstate_observe(failed, &r), BPG_OK);
	ck_assert_str_eq(r.status, "SUBMISSION_FAILED");
	ck_assert_str_eq(r.error_message, "no image");
	ck_assert_int_eq(r.execution_attempts, 1);    /* Java: 1 when status exists */
	ck_assert_int_eq(r.finished_ms, 1795514460000LL);
	bpg_sub_row_release(&r);
	cJSON_Delete(cr);
	cJSON_Delete(failed);
}
END_TEST

/* executionAttempts as the CR gives it: a count, else 1 (a status exists); fuzz_k8s sent 1e124. */
static const struct {
	const char *json;
	long long want;
} attempts[] = {
	{ "2", 2 }, { "0", 0 }, { "2.9", 2 }, { "9007199254740992", 9007199254740992LL },
	{ "1e124", 1 }, { "13333333333333333333333333333", 1 }, { "-3", 1 }, { "-1e300", 1 },
	{ "1e300", 1 }, { "\"2\"", 1 }, { "null", 1 },
};

START_TEST(test_observe_attempts)
{
	char text[256];
	cJSON *cr;
	struct bpg_sub_row r;

	snprintf(text, sizeof(text), "{\"metadata\":{},\"status\":{\"executionAttempts\":%s}}",
	    attempts[_i].json);
	ck_assert_ptr_nonnull(cr = cJSON_Parse(text));
	bpg_sub_row_init(&r);
	ck_assert_int_eq(bpg_appstate_observe(cr, &r), BPG_OK);
	ck_assert_int_eq(r.execution_attempts, attempts[_i].want);
	bpg_sub_row_release(&r);
	cJSON_Delete(cr);
}
END_TEST

static long long
num(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	ck_assert_msg(cJSON_IsNumber(v), "%s missing", k);
	return (long long)v->valuedouble;
}

static const char *
str(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

START_TEST(test_status_json)
{
	struct bpg_cluster c;
	struct bpg_sub_row r;
	cJSON *j;

	memset(&c, 0, sizeof(c));
	c.id = "c01";
	c.namespace = "spark-applications";
	c.spark_ui_url = "https://ui.example";
	bpg_sub_row_init(&r);
	r.submission_id = strdup("c01-abc");
	r.status = strdup("RUNNING");
	r.cr_created_ms = 1000;
	r.execution_attempts = 1;
	ck_assert_int_eq(bpg_appstate_status_json(&r, &c, 61000, &j), BPG_OK);
	ck_assert_int_eq(num(j, "creationTime"), 1000);
	ck_assert_int_eq(num(j, "duration"), 60000);   /* running: now - created */
	ck_assert_str_eq(str(j, "applicationState"), "RUNNING");
	ck_assert_str_eq(str(j, "sparkUIUrl"), "https://ui.example/spark-applications/c01-abc");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "terminationTime"));
	cJSON_Delete(j);

	/* finished and past its max running time: the Java gateway's note */
	free(r.status);
	r.status = strdup("FAILED");
	r.finished_ms = 1000 + 3600000;
	r.max_running_millis = 3600000;
	r.error_message = strdup("driver pod deleted");
	ck_assert_int_eq(bpg_appstate_status_json(&r, &c, 9999999, &j), BPG_OK);
	ck_assert_int_eq(num(j, "duration"), 3600000);
	ck_assert_str_eq(str(j, "applicationErrorMessage"),
	    "driver pod deleted (application might be killed because of running too long)");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "sparkUIUrl"));
	cJSON_Delete(j);

	/* never observed: UNKNOWN, duration 0; long custom limit: the warning */
	bpg_sub_row_release(&r);
	r.submission_id = strdup("c01-def");
	r.created_ms = 5000;
	r.max_running_millis = BPG_DEFAULT_MAX_RUNNING_MS + 1;
	ck_assert_int_eq(bpg_appstate_status_json(&r, NULL, 9000, &j), BPG_OK);
	ck_assert_str_eq(str(j, "applicationState"), "UNKNOWN");
	ck_assert_int_eq(num(j, "duration"), 0);
	ck_assert_ptr_nonnull(strstr(str(j, "applicationErrorMessage"), "custom max running time"));
	cJSON_Delete(j);
	bpg_sub_row_release(&r);
}
END_TEST

START_TEST(test_summary_json)
{
	struct bpg_sub_row r;
	cJSON *j;

	bpg_sub_row_init(&r);
	r.submission_id = strdup("c01-abc");
	r.user = strdup("alice");
	r.queue = strdup("poc");
	r.status = strdup("COMPLETED");
	r.driver_core = 2;
	r.driver_memory_mb = 4096;
	r.number_executor = 3;
	r.executor_core = 4;
	r.executor_memory_mb = 8192;
	ck_assert_int_eq(bpg_appstate_summary_json(&r, NULL, 0, &j), BPG_OK);
	ck_assert_str_eq(str(j, "queue"), "root.poc");
	ck_assert_int_eq(num(j, "totalCores"), 3 * 4 + 2);
	ck_assert_int_eq(num(j, "totalMemoryGB"), 3 * 8 + 4);
	ck_assert_str_eq(str(j, "user"), "alice");
	ck_assert_str_eq(str(j, "dagName"), "");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "applicationArguments"));
	cJSON_Delete(j);
	bpg_sub_row_release(&r);
}
END_TEST

/* dagName, applicationArguments from the stored request; the history server's URL. */
START_TEST(test_summary_parity)
{
	struct bpg_cluster c;
	struct bpg_sub_row r;
	cJSON *j;

	memset(&c, 0, sizeof(c));
	c.id = "c01";
	c.namespace = "spark-applications";
	c.spark_ui_url = "https://ui.example";
	c.spark_history_url = "https://history.example/history/{appId}/jobs?x={appId}";
	bpg_sub_row_init(&r);
	r.submission_id = strdup("c01-abc");
	r.status = strdup("COMPLETED");
	r.app_id = strdup("spark-0123");
	r.request_body = strdup("{\"arguments\":[\"--date\",\"2024-01-01\"],"
	    "\"driver\":{\"labels\":{\"dag_name\":\"Nightly ETL/v2\"}}}");
	ck_assert_int_eq(bpg_appstate_summary_json(&r, &c, 0, &j), BPG_OK);
	ck_assert_str_eq(str(j, "dagName"), "Nightly0ETL0v2");   /* spec 4.13, as the label */
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "applicationArguments")), 2);
	ck_assert_str_eq(str(j, "sparkUIUrl"),
	    "https://history.example/history/spark-0123/jobs?x=spark-0123");
	cJSON_Delete(j);
	/* the same in status; no app id yet: no URL */
	ck_assert_int_eq(bpg_appstate_status_json(&r, &c, 0, &j), BPG_OK);
	ck_assert_str_eq(str(j, "sparkUIUrl"),
	    "https://history.example/history/spark-0123/jobs?x=spark-0123");
	cJSON_Delete(j);
	free(r.app_id);
	r.app_id = NULL;
	free(r.request_body);
	r.request_body = strdup("not json");
	ck_assert_int_eq(bpg_appstate_summary_json(&r, &c, 0, &j), BPG_OK);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "sparkUIUrl"));
	ck_assert_str_eq(str(j, "dagName"), "");
	cJSON_Delete(j);
	bpg_sub_row_release(&r);
}
END_TEST

static Suite *
appstate_suite(void)
{
	Suite *s = suite_create("bpg_appstate");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse_time, 0, sizeof(times) / sizeof(times[0]));
	tcase_add_test(tc, test_terminal);
	tcase_add_test(tc, test_observe_running);
	tcase_add_test(tc, test_observe_no_status_and_failed);
	tcase_add_loop_test(tc, test_observe_attempts, 0, sizeof(attempts) / sizeof(attempts[0]));
	tcase_add_test(tc, test_status_json);
	tcase_add_test(tc, test_summary_json);
	tcase_add_test(tc, test_summary_parity);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(appstate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
