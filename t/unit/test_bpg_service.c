/* Unit tests for bpg_service's pure parts: the error slot, freshness, the merge of an
 * observation, the log's pod and the row a submit records. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_service.h"

START_TEST(test_fail_first_cause_wins)
{
	struct bpg_svc svc;

	memset(&svc, 0, sizeof(svc));
	bpg_svc_init(&svc);
	ck_assert_int_eq(svc.e.err, BPG_OK);
	ck_assert_int_eq(bpg_svc_fail(&svc, BPG_ENOTFOUND, "submission %s not found", "x"),
	    BPG_ENOTFOUND);
	ck_assert_int_eq(bpg_svc_fail(&svc, BPG_EUNAVAIL, "later"), BPG_EUNAVAIL);
	ck_assert_int_eq(svc.e.err, BPG_ENOTFOUND);
	ck_assert_str_eq(svc.e.msg, "submission x not found");
	bpg_svc_clear(&svc);
	ck_assert_int_eq(svc.e.err, BPG_OK);
	ck_assert_str_eq(svc.e.msg, "");
}
END_TEST

START_TEST(test_fail_truncates)
{
	struct bpg_svc svc;
	char big[BPG_SVC_MSG_MAX * 2];

	memset(&svc, 0, sizeof(svc));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bpg_svc_fail(&svc, BPG_EINVAL, "%s", big);
	ck_assert_uint_eq(strlen(svc.e.msg), BPG_SVC_MSG_MAX - 1);
}
END_TEST

static const struct {
	const char *status;
	int gateway_failed;
	long long status_ms, now_ms, max_age_ms;
	int fresh;
} fresh_cases[] = {
	{ NULL, 0, 1000, 1000, 5000, 0 },              /* never observed */
	{ "RUNNING", 0, 1000, 2000, 5000, 1 },         /* observed 1 s ago */
	{ "RUNNING", 0, 1000, 6000, 5000, 0 },         /* exactly max age: stale */
	{ "RUNNING", 0, -1, 2000, 5000, 0 },           /* no observation time */
	{ "COMPLETED", 0, -1, 99999999, 5000, 1 },     /* final: never stale */
	{ "FAILED", 0, 1, 99999999, 0, 1 },
	{ "SUBMISSION_FAILED", 1, -1, 99999999, 5000, 1 },
	{ "SUBMITTED", 0, 1000, 1000, 0, 0 },          /* max age 0: always read */
};

START_TEST(test_fresh)
{
	struct bpg_sub_row row;
	union { const char *c; char *p; } st = { fresh_cases[_i].status };

	bpg_sub_row_init(&row);
	row.status = st.p;
	row.gateway_failed = fresh_cases[_i].gateway_failed;
	row.status_ms = fresh_cases[_i].status_ms;
	ck_assert_int_eq(bpg_svc_fresh(&row, fresh_cases[_i].now_ms, fresh_cases[_i].max_age_ms),
	    fresh_cases[_i].fresh);
}
END_TEST

START_TEST(test_merge)
{
	struct bpg_sub_row row, obs;

	bpg_sub_row_init(&row);
	bpg_sub_row_init(&obs);
	row.status = strdup("SUBMITTED");
	row.error_message = strdup("old error");
	row.app_id = strdup("spark-1");
	row.start_ms = 5;
	obs.status = strdup("RUNNING");
	obs.driver_info = strdup("{}");
	obs.execution_attempts = 2;
	obs.start_ms = 7;
	obs.finished_ms = -1;
	bpg_svc_merge(&row, &obs, 1234);
	ck_assert_str_eq(row.status, "RUNNING");
	ck_assert_str_eq(row.app_id, "spark-1");          /* none observed: kept */
	ck_assert_ptr_null(row.error_message);            /* the error is the observation's */
	ck_assert_str_eq(row.driver_info, "{}");
	ck_assert_int_eq(row.execution_attempts, 2);
	ck_assert_int_eq(row.start_ms, 5);                /* the first start stays */
	ck_assert_int_eq(row.status_ms, 1234);
	ck_assert_ptr_null(obs.status);                   /* taken over */
	ck_assert_ptr_null(obs.driver_info);
	bpg_sub_row_release(&row);
	bpg_sub_row_release(&obs);
}
END_TEST

static const char cr_json[] =
	"{\"status\":{\"driverInfo\":{\"podName\":\"app-driver\"},"
	"\"executorState\":{\"app-exec-1\":\"RUNNING\",\"app-exec-11\":\"RUNNING\","
	"\"old-exec-1\":\"FAILED\",\"app-exec-2\":\"COMPLETED\"}}}";

static const struct {
	const char *cr, *exec, *want;
} pod_cases[] = {
	{ cr_json, "", "app-driver" },
	{ cr_json, "2", "app-exec-2" },
	{ cr_json, "11", "app-exec-11" },
	{ cr_json, "1", "old-exec-1" },            /* the last match */
	{ cr_json, "3", NULL },
	{ "{\"status\":{}}", "", NULL },
	{ "{\"status\":{\"driverInfo\":{\"podName\":\"\"}}}", "", NULL },
	{ "{}", "1", NULL },
};

START_TEST(test_log_pod)
{
	cJSON *cr = cJSON_Parse(pod_cases[_i].cr);
	const char *got;

	ck_assert_ptr_nonnull(cr);
	got = bpg_svc_log_pod(cr, pod_cases[_i].exec);
	if (pod_cases[_i].want == NULL)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, pod_cases[_i].want);
	cJSON_Delete(cr);
}
END_TEST

static const struct {
	long long max_running_ms, d_cores, d_mem, e_inst, e_cores, e_mem;
	long long want_max, want_dc, want_dm, want_ei, want_ec, want_em;
} row_cases[] = {
	/* nothing asked: the defaults and the queue's limit */
	{ -1, 0, 0, -1, 0, 0, 3600000, 1, 1024, 1, 1, 1024 },
	{ 60000, 2, 2048, 4, 3, 4096, 60000, 2, 2048, 4, 3, 4096 },
	/* zero executors is a choice, zero cores is not */
	{ 0, -1, -1, 0, -1, -1, 3600000, 1, 1024, 0, 1, 1024 },
};

START_TEST(test_submit_row)
{
	struct bpg_submit_req req;
	struct bpg_queue q;
	struct bpg_sub_row row;

	memset(&req, 0, sizeof(req));
	memset(&q, 0, sizeof(q));
	req.app_name = "etl";
	req.spark_version = "3.5";
	req.max_running_ms = row_cases[_i].max_running_ms;
	req.driver.cores = row_cases[_i].d_cores;
	req.driver.memory_mb = row_cases[_i].d_mem;
	req.executor.instances = row_cases[_i].e_inst;
	req.executor.cores = row_cases[_i].e_cores;
	req.executor.memory_mb = row_cases[_i].e_mem;
	q.max_running_millis = 3600000;
	bpg_sub_row_init(&row);
	bpg_svc_submit_row(&req, &q, &row);
	ck_assert_str_eq(row.app_name, "etl");
	ck_assert_str_eq(row.spark_version, "3.5");
	ck_assert_int_eq(row.max_running_millis, row_cases[_i].want_max);
	ck_assert_int_eq(row.driver_core, row_cases[_i].want_dc);
	ck_assert_int_eq(row.driver_memory_mb, row_cases[_i].want_dm);
	ck_assert_int_eq(row.number_executor, row_cases[_i].want_ei);
	ck_assert_int_eq(row.executor_core, row_cases[_i].want_ec);
	ck_assert_int_eq(row.executor_memory_mb, row_cases[_i].want_em);
}
END_TEST

static Suite *
service_suite(void)
{
	Suite *s = suite_create("bpg_service");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fail_first_cause_wins);
	tcase_add_test(tc, test_fail_truncates);
	tcase_add_loop_test(tc, test_fresh, 0, sizeof(fresh_cases) / sizeof(fresh_cases[0]));
	tcase_add_test(tc, test_merge);
	tcase_add_loop_test(tc, test_log_pod, 0, sizeof(pod_cases) / sizeof(pod_cases[0]));
	tcase_add_loop_test(tc, test_submit_row, 0, sizeof(row_cases) / sizeof(row_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(service_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
