/* Unit tests for bpg_appstate: CR status to row, row to status and summary JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_json.h"
#include "testkit.h"

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

/* Every state the operator writes (and what is not one): only COMPLETED and FAILED are final. */
static const struct {
	const char *state;
	int final;
} states[] = {
	{ "COMPLETED", 1 }, { "FAILED", 1 },
	{ "", 0 }, { "SUBMITTED", 0 }, { "RUNNING", 0 }, { "SUBMISSION_FAILED", 0 },
	{ "PENDING_RERUN", 0 }, { "INVALIDATING", 0 }, { "SUCCEEDING", 0 }, { "FAILING", 0 },
	{ "UNKNOWN", 0 }, { "SUSPENDING", 0 }, { "SUSPENDED", 0 }, { "RESUMING", 0 },
	{ "FAILED_SUBMISSION", 0 },   /* the Java monitor's typo */
	{ "completed", 0 }, { NULL, 0 },
};

START_TEST(test_final_states)
{
	const char *st = states[_i].state;

	ck_assert_int_eq(bpg_appstate_is_final_state(st), states[_i].final);
	ck_assert_int_eq(bpg_appstate_is_final(st, 0), states[_i].final);
	ck_assert_int_eq(bpg_appstate_is_final(st, 1), 1);   /* a gateway failure is final */
}
END_TEST

/* The SQL of "final" comes from the same list: every final state in it, nothing else. */
START_TEST(test_final_sql)
{
	static const char open_rows[] = "NOT " BPG_APPSTATE_FINAL_SQL("a.");
	static const char ops[] = BPG_APPSTATE_OPERATOR_FINAL_SQL("");

	ck_assert_str_eq(BPG_APPSTATE_FINAL_SQL(""), "(gateway_failed <> 0 OR COALESCE(status, '') "
	    "= 'COMPLETED' OR COALESCE(status, '') = 'FAILED')");
	ck_assert_str_eq(open_rows, "NOT (a.gateway_failed <> 0 OR COALESCE(a.status, '') = "
	    "'COMPLETED' OR COALESCE(a.status, '') = 'FAILED')");
	ck_assert_str_eq(ops, "(0 OR COALESCE(status, '') = 'COMPLETED' OR COALESCE(status, '') = "
	    "'FAILED')");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		char quoted[64];
		if (states[i].state == NULL || states[i].state[0] == '\0')
			continue;
		snprintf(quoted, sizeof(quoted), "'%s'", states[i].state);
		ck_assert_msg((strstr(ops, quoted) != NULL) == states[i].final, "%s", quoted);
	}
}
END_TEST

/*
 * Every transition the operator makes (controller.go, v2): observed in order (the later
 * object has the larger resourceVersion) the row follows it; the same two observations
 * arriving the other way round (the older one last) leave the newer state.
 */
static const struct {
	const char *from, *to;
} transitions[] = {
	{ "", "SUBMITTED" }, { "", "SUBMISSION_FAILED" },
	{ "SUBMITTED", "RUNNING" }, { "SUBMITTED", "FAILING" }, { "SUBMITTED", "INVALIDATING" },
	{ "SUBMITTED", "UNKNOWN" },
	{ "RUNNING", "SUCCEEDING" }, { "RUNNING", "FAILING" }, { "RUNNING", "INVALIDATING" },
	{ "RUNNING", "UNKNOWN" }, { "RUNNING", "SUSPENDING" },
	{ "UNKNOWN", "RUNNING" }, { "UNKNOWN", "FAILING" },
	{ "SUCCEEDING", "COMPLETED" }, { "SUCCEEDING", "PENDING_RERUN" },
	{ "FAILING", "FAILED" }, { "FAILING", "PENDING_RERUN" },
	{ "SUBMISSION_FAILED", "SUBMITTED" }, { "SUBMISSION_FAILED", "SUBMISSION_FAILED" },
	{ "SUBMISSION_FAILED", "FAILED" },
	{ "INVALIDATING", "PENDING_RERUN" },
	{ "PENDING_RERUN", "SUBMITTED" }, { "PENDING_RERUN", "SUBMISSION_FAILED" },
	{ "SUSPENDING", "SUSPENDED" }, { "SUSPENDED", "RESUMING" }, { "RESUMING", "SUBMITTED" },
	{ "RESUMING", "SUBMISSION_FAILED" },
};

START_TEST(test_transitions)
{
	const char *from = transitions[_i].from, *to = transitions[_i].to;

	ck_assert_msg(bpg_appstate_may_replace(from, 0, 100, to, 101), "%s -> %s", from, to);
	ck_assert_msg(bpg_appstate_may_replace(from, 0, -1, to, 101), "%s -> %s (row rv unknown)",
	    from, to);
	ck_assert_msg(!bpg_appstate_may_replace(to, 0, 101, from, 100), "%s back to %s", to, from);
	ck_assert_msg(!bpg_appstate_may_replace(to, 0, 101, from, 101), "%s: same rv", to);
	ck_assert_msg(!bpg_appstate_may_replace(from, 1, -1, to, 101), "gateway failure");
}
END_TEST

/* Writes refused (or not) outside the operator's transitions. */
static const struct {
	const char *row;
	int gateway_failed;
	long long row_rv;
	const char *obs;
	long long obs_rv;
	int may;
} writes[] = {
	{ "RUNNING", 0, 100, "RUNNING", 150, 1 },           /* newer: executors changed */
	{ "RUNNING", 0, 100, "RUNNING", 99, 0 },            /* the monitor's older page */
	{ "COMPLETED", 0, 100, "RUNNING", 90, 0 },          /* the race */
	{ "COMPLETED", 0, 100, "RUNNING", 200, 0 },         /* final is never reopened */
	{ "COMPLETED", 0, -1, "RUNNING", 200, 0 },          /* even without a stored rv */
	{ "FAILED", 0, 100, "INVALIDATING", 300, 0 },       /* a spec edit after the end */
	{ "FAILED", 0, 100, "COMPLETED", 101, 1 },          /* final by a newer final (a delete note) */
	{ "COMPLETED", 0, 100, "COMPLETED", 100, 0 },       /* the same observation again */
	{ "SUBMISSION_FAILED", 1, -1, "SUBMITTED", 5, 0 },  /* the gateway's failure: no object */
	{ "SUBMISSION_FAILED", 1, -1, "COMPLETED", 5, 0 },
	{ NULL, 0, -1, "SUBMITTED", 7, 1 },                 /* first observation */
	{ NULL, 0, -1, "SUBMITTED", -1, 1 },                /* no rv on either side: as before */
	{ "RUNNING", 0, 100, "RUNNING", -1, 0 },            /* an observation without rv */
	{ "RUNNING", 0, 9007199254740000LL, "RUNNING", 9007199254740001LL, 1 },
};

START_TEST(test_may_replace)
{
	ck_assert_int_eq(bpg_appstate_may_replace(writes[_i].row, writes[_i].gateway_failed,
	    writes[_i].row_rv, writes[_i].obs, writes[_i].obs_rv), writes[_i].may);
}
END_TEST

static const struct {
	const char *in;
	long long rv;
} rvs[] = {
	{ "0", 0 }, { "12345", 12345 }, { "999999999999999999", 999999999999999999LL },
	{ "1000000000000000000", -1 }, { "", -1 }, { "12a", -1 }, { "-5", -1 }, { " 5", -1 },
	{ NULL, -1 },
};

START_TEST(test_resource_version)
{
	ck_assert_int_eq(bpg_appstate_resource_version(rvs[_i].in), rvs[_i].rv);
}
END_TEST

/* A resubmission, as the operator writes it: the current attempt's fields. */
START_TEST(test_observe_resubmitted)
{
	cJSON *cr = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"4711\"},\"status\":{"
	    "\"applicationState\":{\"state\":\"SUBMITTED\"},\"sparkApplicationId\":\"spark-2\","
	    "\"submissionAttempts\":2,\"executionAttempts\":1,\"lastSubmissionAttemptTime\":"
	    "\"2026-11-24T10:00:05Z\"}}");
	cJSON *rerun = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"4800\"},\"status\":{"
	    "\"applicationState\":{\"state\":\"PENDING_RERUN\"},\"sparkApplicationId\":\"\","
	    "\"executionAttempts\":1}}");
	struct bpg_sub_row r;

	bpg_sub_row_init(&r);
	ck_assert_int_eq(bpg_appstate_observe(cr, &r), BPG_OK);
	ck_assert_int_eq(r.resource_version, 4711);
	ck_assert_int_eq(r.submission_attempts, 2);
	ck_assert_int_eq(r.cr_execution_attempts, 1);
	ck_assert_int_eq(r.submit_ms, 1795514405000LL);
	ck_assert_str_eq(r.app_id, "spark-2");
	ck_assert_int_eq(bpg_appstate_observe(rerun, &r), BPG_OK);
	ck_assert_ptr_null(r.app_id);            /* cleared by the operator: the row keeps its last */
	ck_assert_int_eq(r.submission_attempts, -1);
	ck_assert_int_eq(r.submit_ms, -1);
	bpg_sub_row_release(&r);
	cJSON_Delete(cr);
	cJSON_Delete(rerun);
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
	ck_assert_int_eq(r.cr_execution_attempts, 0); /* the operator's omitempty 0 */
	ck_assert_int_eq(r.finished_ms, -1);          /* not final: the operator may resubmit */
	ck_assert_int_eq(r.termination_ms, 1795514460000LL);
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

/* Cluster c01 as the configuration loads it, with its history server's URL template or NULL. */
static void
cluster_c01(struct bpg_cluster *c, char *history_url)
{
	static char id[] = "c01", ns[] = "spark-applications", ui[] = "https://ui.example";

	memset(c, 0, sizeof(*c));
	c->id = id;
	c->namespace = ns;
	c->spark_ui_url = ui;
	c->spark_history_url = history_url;
}

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

	cluster_c01(&c, NULL);
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

/* SUBMISSION_FAILED twice: the operator's (its words) and the gateway's own (final). */
START_TEST(test_status_gateway_failed)
{
	struct bpg_sub_row r;
	cJSON *j, *a;

	bpg_sub_row_init(&r);
	r.submission_id = strdup("c01-abc");
	r.status = strdup("SUBMISSION_FAILED");
	r.error_message = strdup("failed to run spark-submit");
	ck_assert_int_eq(bpg_appstate_status_json(&r, NULL, 1, &j), BPG_OK);
	ck_assert_str_eq(str(j, "applicationState"), "SUBMISSION_FAILED");
	ck_assert_str_eq(str(j, "applicationErrorMessage"), "failed to run spark-submit");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "attempts"));   /* /skatev2 */
	cJSON_Delete(j);

	free(r.error_message);
	r.error_message = NULL;
	r.last_error = strdup("create failed on cluster c01: 422 Invalid");
	r.gateway_failed = 1;
	r.attempts_json = strdup("[{\"submissionAttempt\":1}]");
	ck_assert_int_eq(bpg_appstate_status_json(&r, NULL, 1, &j), BPG_OK);
	ck_assert_str_eq(str(j, "applicationState"), "SUBMISSION_FAILED");
	ck_assert_str_eq(str(j, "applicationErrorMessage"), BPG_APPSTATE_GATEWAY_FAILED
	    ": create failed on cluster c01: 422 Invalid");
	a = cJSON_GetObjectItemCaseSensitive(j, "attempts");
	ck_assert_int_eq(cJSON_GetArraySize(a), 1);
	cJSON_Delete(j);

	free(r.attempts_json);
	r.attempts_json = strdup("not json");   /* never a failed status for a bad history */
	ck_assert_int_eq(bpg_appstate_status_json(&r, NULL, 1, &j), BPG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "attempts")), 0);
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

	cluster_c01(&c, TK_STR("https://history.example/history/{appId}/jobs?x={appId}"));
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

/* A list page's text (bpg_appstate_summary_write) is the printed summary tree, row after row. */
START_TEST(test_summary_write_same_as_tree)
{
	static const char *const bodies[] = { NULL, "not json", "{}",
	    "{\"arguments\":[\"--date\",\"2024-01-01\",{\"k\":[1,2.5,null]}],"
	    "\"driver\":{\"labels\":{\"dag_name\":\"Nightly ETL/v2\"}}}",
	    "{\"arguments\":\"not an array\",\"driver\":{\"labels\":{\"dag_name\":7}}}",
	    "{\"driver\":{\"labels\":{\"dag_name\":\"q\\\"\\u00e9\\n\"}},\"arguments\":[]}" };
	static const char *const sts[] = { "COMPLETED", "RUNNING", "FAILED", NULL };
	struct bpg_cluster c;

	cluster_c01(&c, TK_STR("https://history.example/h/{appId}"));
	for (size_t bi = 0; bi < sizeof(bodies) / sizeof(bodies[0]); bi++)
		for (size_t si = 0; si < sizeof(sts) / sizeof(sts[0]); si++)
			for (int full = 0; full < 2; full++) {
				struct bpg_sub_row r;
				struct bpg_buf a, b;
				cJSON *j;

				bpg_sub_row_init(&r);
				r.submission_id = strdup("c01-abc");
				r.status = sts[si] ? strdup(sts[si]) : NULL;
				r.request_body = bodies[bi] ? strdup(bodies[bi]) : NULL;
				if (full) {
					r.user = strdup("al\"ice");
					r.queue = strdup("poc");
					r.app_id = strdup("spark-1");
					r.spark_version = strdup("3.5");
					r.app_name = strdup("n");
					r.cluster_id = strdup("c01");
					r.created_ms = 1700000000000LL;
					r.finished_ms = 1700000005000LL;
					r.execution_attempts = 2;
					r.driver_core = 2;
					r.driver_memory_mb = 4096;
					r.number_executor = 3;
					r.executor_core = 4;
					r.executor_memory_mb = 8192;
					r.gateway_failed = sts[si] == NULL;
				}
				ck_assert_int_eq(bpg_appstate_summary_json(&r, full ? &c : NULL, 1700000009000LL,
				    &j), BPG_OK);
				bpg_buf_init(&a, 0);
				bpg_buf_init(&b, 0);
				ck_assert_int_eq(bpg_json_print(j, &a), BPG_OK);
				ck_assert_int_eq(bpg_buf_append(&b, "[", 1), BPG_OK);
				ck_assert_int_eq(bpg_appstate_summary_write(&r, full ? &c : NULL,
				    1700000009000LL, &b), BPG_OK);
				ck_assert_str_eq(a.data, b.data + 1);
				bpg_buf_release(&a);
				bpg_buf_release(&b);
				cJSON_Delete(j);
				bpg_sub_row_release(&r);
			}
}
END_TEST

/* What a summary shows of row r, as text and as the tree printed: the two must be the same. */
static char *
summary_both(struct bpg_sub_row *r)
{
	struct bpg_buf a, b;
	cJSON *j = NULL;
	char *text;

	bpg_buf_init(&a, 0);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_appstate_summary_write(r, NULL, 0, &a), BPG_OK);
	ck_assert_int_eq(bpg_appstate_summary_json(r, NULL, 0, &j), BPG_OK);
	ck_assert_int_eq(bpg_json_print(j, &b), BPG_OK);
	ck_assert_str_eq(a.data, b.data);
	text = strdup(a.data);
	bpg_buf_release(&a);
	bpg_buf_release(&b);
	cJSON_Delete(j);
	return text;
}

/*
 * A list row reads summary_fields where it read the whole request: the same, whether they
 * are rendered members (migration 0013) or a JSON object (0012), as text and as a tree.
 */
START_TEST(test_summary_fields_same_as_body)
{
	static const char *const bodies[] = { "{}", "{\"sparkVersion\":\"3.5\"}",
	    "{\"arguments\":[\"--date\",\"2024-01-01\",{\"k\":[1,2.5,null]}],\"sparkConf\":{\"a\":\"b\"},"
	    "\"driver\":{\"cores\":1,\"labels\":{\"dag_name\":\"Nightly ETL/v2\",\"x\":\"y\"}}}",
	    "{\"arguments\":\"not an array\",\"driver\":{\"labels\":{\"dag_name\":7}}}",
	    "{\"driver\":{\"labels\":{\"dag_name\":\"q\\\"\\u00e9\\n\"}},\"arguments\":[]}",
	    "{\"arguments\":[\"a,b\",\"}{\",\"\\\"\"],\"driver\":{\"labels\":{\"dag_name\":\"\"}}}",
	    "{\"driver\":{\"labels\":{}}}", "{\"driver\":\"none\"}" };

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct bpg_sub_row r;
		cJSON *stored = cJSON_Parse(bodies[i]), *old = cJSON_CreateObject();
		cJSON *args = cJSON_GetObjectItemCaseSensitive(stored, "arguments");
		cJSON *dag = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(stored, "driver"), "labels"), "dag_name");
		char *fields = bpg_appstate_summary_fields(stored), *want, *got;

		ck_assert_ptr_nonnull(fields);
		ck_assert_int_eq(fields[0], '"');
		/* 0012's form: {"arguments":..,"driver":{"labels":{"dag_name":..}}}, those present */
		if (args != NULL)
			cJSON_AddItemToObject(old, "arguments", cJSON_Duplicate(args, 1));
		if (dag != NULL)
			cJSON_AddItemToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(old,
			    "driver"), "labels"), "dag_name", cJSON_Duplicate(dag, 1));
		bpg_sub_row_init(&r);
		r.submission_id = strdup("c01-abc");
		r.request_body = strdup(bodies[i]);
		want = summary_both(&r);
		free(r.request_body);
		r.request_body = fields;
		got = summary_both(&r);
		ck_assert_str_eq(got, want);
		free(got);
		r.request_body = cJSON_PrintUnformatted(old);
		free(fields);
		got = summary_both(&r);
		ck_assert_str_eq(got, want);
		free(got);
		free(want);
		bpg_sub_row_release(&r);
		cJSON_Delete(stored);
		cJSON_Delete(old);
	}
}
END_TEST

/*
 * Row text that starts with '"' but may not be ours: text and tree agree whatever it is, and
 * exactly the compact, valid member lists (what the list itself writes) go in unchanged.
 */
START_TEST(test_summary_members_checked)
{
	static const struct { const char *members; int verbatim; } rows[] = {
		{ "\"dagName\":\"d\",\"applicationArguments\":[\"a\",\"b\"]", 1 },
		{ "\"a\":{\"b\":[1,-2,true,false,null,{},[]],\"c\":[]},\"d\":\"x\\n\\u001f\\\"\"", 1 },
		{ "\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 1 },
		{ "\"a\":1 ", -1 }, { "\"a\": 1", -1 }, { "\"a\":1},{\"b\":2", -1 }, { "\"a\":01", -1 },
		{ "\"a\":1.5", 0 }, { "\"a\":1e3", -1 }, { "\"a\":.", -1 }, { "\"a\":-0", 0 }, { "\"a\":[-0,0,10]", 0 }, { "\"a\":.", -1 }, { "\"a\":tru", -1 },
		{ "\"a\":", -1 }, { "\"a\"", -1 }, { "\"", 0 }, { "\"a\":1,", -1 }, { "\"a\":[1,]", -1 },
		{ "\"a\":\"\\u00e9\"", 0 }, { "\"a\":\"\xc3\xa9\"", 0 }, { "\"a\":\"\\/\"", -1 },
		{ "\"a\":\"\\u0000\"", 0 }, { "\"a\":\"\\t\"", 1 }, { "\"a\":1234567890123456", 0 },
		{ "\"a\":123456789012345", 1 }, { "\"a\":{\"b\":1", -1 }, { "\"a\":[1}", -1 },
		{ "\"a\":1,\"a\":2", 1 }, { "\"a\":\"x\"\"b\":1", -1 } };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bpg_sub_row r;
		char *got;

		bpg_sub_row_init(&r);
		r.submission_id = strdup("c01-abc");
		r.request_body = strdup(rows[i].members);
		got = summary_both(&r);
		if (rows[i].verbatim != 0)
			ck_assert_msg((strstr(got, rows[i].members) != NULL) == (rows[i].verbatim > 0),
			    "%s -> %s", rows[i].members, got);
		free(got);
		bpg_sub_row_release(&r);
	}
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_parse_time, times),
		TK_LOOP(test_final_states, states),
		TK_TEST(test_final_sql),
		TK_LOOP(test_transitions, transitions),
		TK_LOOP(test_may_replace, writes),
		TK_LOOP(test_resource_version, rvs),
		TK_TEST(test_observe_resubmitted),
		TK_TEST(test_observe_running),
		TK_TEST(test_observe_no_status_and_failed),
		TK_LOOP(test_observe_attempts, attempts),
		TK_TEST(test_status_json),
		TK_TEST(test_status_gateway_failed),
		TK_TEST(test_summary_json),
		TK_TEST(test_summary_parity),
		TK_TEST(test_summary_write_same_as_tree),
		TK_TEST(test_summary_fields_same_as_body),
		TK_TEST(test_summary_members_checked),
	};

	return tk_run("bpg_appstate", tests, TK_LEN(tests), NULL);
}
