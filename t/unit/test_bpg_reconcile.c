/* Unit tests for bpg_reconcile: the monitor's decisions, without servers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"
#include "bpg_appstate.h"
#include "bpg_reconcile.h"

#define MIN 60000LL

/* A writable copy of s (the row's fields are char *) that outlives the block it is made in
 * (TK_STR's does not: a switch's case, a table's string). */
static char *
w(const char *s)
{
	static char pool[64][512];
	static size_t next;
	char *p;

	if (s == NULL)
		return NULL;
	p = pool[next++ % 64];
	snprintf(p, sizeof(pool[0]), "%s", s);
	return p;
}

/* ---- distinct (API server, namespace) ---- */

START_TEST(test_targets_distinct)
{
	struct bpg_cluster c[5];
	struct bpg_config cfg;
	const struct bpg_cluster *out[5];

	memset(c, 0, sizeof(c));
	memset(&cfg, 0, sizeof(cfg));
	c[0].api_server = TK_STR("https://a"); c[0].namespace = TK_STR("ns1");
	c[1].api_server = TK_STR("https://a"); c[1].namespace = TK_STR("ns1");   /* same as c[0]: listed once */
	c[2].api_server = TK_STR("https://a"); c[2].namespace = TK_STR("ns2");
	c[3].api_server = TK_STR("https://b"); c[3].namespace = TK_STR("ns1");
	c[4].api_server = TK_STR("https://b"); c[4].namespace = TK_STR("ns1"); c[4].weight = 0;   /* drained: still */
	c[3].weight = 0;
	cfg.clusters = c;
	cfg.n_clusters = 5;
	ck_assert_int_eq(bpg_reconcile_targets(&cfg, out), 3);
	ck_assert_ptr_eq(out[0], &c[0]);
	ck_assert_ptr_eq(out[1], &c[2]);
	ck_assert_ptr_eq(out[2], &c[3]);
	ck_assert(bpg_reconcile_same_target(&c[0], &c[1]));
	ck_assert(!bpg_reconcile_same_target(&c[0], &c[2]));
	ck_assert(!bpg_reconcile_same_target(&c[0], &c[3]));
	cfg.n_clusters = 0;
	ck_assert_int_eq(bpg_reconcile_targets(&cfg, out), 0);
}
END_TEST

/* ---- ours or not ---- */

static const struct { const char *json; int ours; } ours_cases[] = {
	{ "{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":\"bpg\"}}}", 1 },
	{ "{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":\"other\"}}}", 0 },
	{ "{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":\"BPG\"}}}", 0 },
	{ "{\"metadata\":{\"labels\":{\"proxyUser\":\"alice\"}}}", 0 },
	{ "{\"metadata\":{\"labels\":{\"app.kubernetes.io/managed-by\":1}}}", 0 },
	{ "{\"metadata\":{}}", 0 },
	{ "[]", 0 },
};

START_TEST(test_is_ours)
{
	cJSON *j = cJSON_Parse(ours_cases[_i].json);

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(bpg_reconcile_is_ours(j), ours_cases[_i].ours);
	cJSON_Delete(j);
	ck_assert_int_eq(bpg_reconcile_is_ours(NULL), 0);
}
END_TEST

/* ---- observation ---- */

#define CR_HEAD "{\"metadata\":{\"name\":\"c01-x\",\"creationTimestamp\":" \
	"\"2026-11-24T10:00:00Z\"},"
#define NOW 123456LL

/* A CR observed at NOW: what the row would get (NULL: none; start -2: the time given in the
 * CR, -3: not checked). */
static const struct {
	const char *cr;
	const char *status, *app_name, *app_id, *error;
	long long finished, start;
} observe_cases[] = {
	/* app name from sparkConf; a final state without terminationTime finishes now */
	{ CR_HEAD "\"spec\":{\"sparkConf\":{\"spark.app.name\":\"nightly\"}},\"status\":"
	  "{\"applicationState\":{\"state\":\"FAILED\",\"errorMessage\":\"boom\"},"
	  "\"sparkApplicationId\":\"spark-1\"}}",
	  "FAILED", "nightly", "spark-1", "boom", NOW, -3 },
	/* running: no app name, no finish, started at its last submission attempt */
	{ CR_HEAD "\"spec\":{},\"status\":{\"applicationState\":{\"state\":\"RUNNING\"},"
	  "\"lastSubmissionAttemptTime\":\"2026-11-24T10:00:05Z\"}}",
	  "RUNNING", NULL, NULL, NULL, -1, -2 },
};

static void
ck_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, want);
}

START_TEST(test_observe)
{
	cJSON *j = cJSON_Parse(observe_cases[_i].cr);
	struct bpg_sub_row obs;
	long long start = observe_cases[_i].start;

	ck_assert_ptr_nonnull(j);
	bpg_sub_row_init(&obs);
	ck_assert_int_eq(bpg_reconcile_observe(j, NOW, &obs), BPG_OK);
	ck_str_or_null(obs.status, observe_cases[_i].status);
	ck_str_or_null(obs.app_name, observe_cases[_i].app_name);
	ck_str_or_null(obs.app_id, observe_cases[_i].app_id);
	ck_str_or_null(obs.error_message, observe_cases[_i].error);
	ck_assert_int_eq(obs.finished_ms, observe_cases[_i].finished);
	if (start == -2)
		start = bpg_appstate_parse_time("2026-11-24T10:00:05Z");
	if (start != -3)
		ck_assert_int_eq(obs.start_ms, start);
	bpg_sub_row_release(&obs);
	cJSON_Delete(j);
}
END_TEST

/* ---- the stop reason stays visible ---- */

static const struct {
	const char *last_error, *operator_msg, *expect;
} note_cases[] = {
	{ NULL, "driver pod was deleted", "driver pod was deleted" },
	{ "create failed on cluster c01: x", "boom", "boom" },
	{ "stopped by bpg-monitor: running 5 ms", NULL, "stopped by bpg-monitor: running 5 ms" },
	{ "stopped by bpg-monitor: running 5 ms", "", "stopped by bpg-monitor: running 5 ms" },
	{ "stopped by bpg-monitor: running 5 ms", "driver pod was deleted",
	  "stopped by bpg-monitor: running 5 ms; operator: driver pod was deleted" },
};

START_TEST(test_keep_note)
{
	struct bpg_sub_row row, obs;

	bpg_sub_row_init(&row);
	bpg_sub_row_init(&obs);
	row.last_error = w(note_cases[_i].last_error);
	if (note_cases[_i].operator_msg != NULL)
		obs.error_message = strdup(note_cases[_i].operator_msg);
	ck_assert_int_eq(bpg_reconcile_keep_note(&row, &obs), BPG_OK);
	ck_assert_str_eq(obs.error_message, note_cases[_i].expect);
	/* stable: once stored, the next observation is no change */
	row.status = obs.status = TK_STR("FAILED");
	row.error_message = obs.error_message;
	ck_assert(!bpg_reconcile_changed(&row, &obs));
	free(obs.error_message);
}
END_TEST

/* ---- what changed ---- */

enum field { F_NONE, F_STATUS, F_APP_ID, F_APP_NAME, F_APP_NAME_KEPT, F_ERROR, F_ERROR_CLEARED,
	F_DRIVER, F_ATTEMPTS, F_EXECUTORS, F_START, F_START_KEPT, F_FINISH, F_CR_CREATED,
	F_NEVER_OBSERVED, F_UNKNOWN_FIELDS, F_RV, F_RV_UNKNOWN };

static const struct { enum field f; int changed; } changed_cases[] = {
	{ F_NONE, 0 }, { F_STATUS, 1 }, { F_APP_ID, 1 }, { F_APP_NAME, 1 },
	{ F_APP_NAME_KEPT, 0 }, { F_ERROR, 1 }, { F_ERROR_CLEARED, 1 }, { F_DRIVER, 1 },
	{ F_ATTEMPTS, 1 }, { F_EXECUTORS, 1 }, { F_START, 1 }, { F_START_KEPT, 0 },
	{ F_FINISH, 1 }, { F_CR_CREATED, 1 }, { F_NEVER_OBSERVED, 1 }, { F_UNKNOWN_FIELDS, 0 },
	{ F_RV, 1 },          /* another version: a retry's counters changed, say */
	{ F_RV_UNKNOWN, 0 },
};

START_TEST(test_changed)
{
	struct bpg_sub_row row, obs;

	bpg_sub_row_init(&row);
	row.status = TK_STR("RUNNING");
	row.app_id = TK_STR("spark-1");
	row.app_name = TK_STR("job");
	row.driver_info = TK_STR("{\"podName\":\"p\"}");
	row.execution_attempts = 1;
	row.executor_count = 2;
	row.start_ms = 1000;
	row.cr_created_ms = 900;
	row.resource_version = 50;
	obs = row;
	switch (changed_cases[_i].f) {
	case F_RV: obs.resource_version = 51; break;
	case F_RV_UNKNOWN: obs.resource_version = -1; break;
	case F_NONE: break;
	case F_STATUS: obs.status = w("SUCCEEDING"); break;
	case F_APP_ID: obs.app_id = w("spark-2"); break;
	case F_APP_NAME: row.app_name = NULL; break;
	case F_APP_NAME_KEPT: obs.app_name = w("other"); break;   /* written once, never replaced */
	case F_ERROR: obs.error_message = w("boom"); break;
	case F_ERROR_CLEARED: row.error_message = w("old"); break;
	case F_DRIVER: obs.driver_info = w("{\"podName\":\"q\"}"); break;
	case F_ATTEMPTS: obs.execution_attempts = 2; break;
	case F_EXECUTORS: obs.executor_count = 3; break;
	case F_START: row.start_ms = -1; break;
	case F_START_KEPT: obs.start_ms = 2000; break;
	case F_FINISH: obs.finished_ms = 5000; break;
	case F_CR_CREATED: row.cr_created_ms = -1; break;
	case F_NEVER_OBSERVED: row.status = NULL; break;
	case F_UNKNOWN_FIELDS:   /* what the CR does not say is not a change */
		obs.app_id = obs.app_name = obs.driver_info = NULL;
		obs.execution_attempts = obs.executor_count = obs.start_ms = obs.cr_created_ms = -1;
		obs.resource_version = -1;
		break;
	}
	ck_assert_int_eq(bpg_reconcile_changed(&row, &obs), changed_cases[_i].changed);
}
END_TEST

/* ---- rows whose CR was not listed ---- */

static const struct {
	const char *status, *app_id;
	long long created, cr_created, now, grace;
	enum bpg_missing expect;
} missing_cases[] = {
	/* a submit in flight: not touched before the grace */
	{ NULL, NULL, 1000, -1, 1000 + MIN, 2 * MIN, BPG_MISSING_WAIT },
	{ NULL, NULL, 1000, -1, 1000 + 2 * MIN, 2 * MIN, BPG_MISSING_NEVER_CREATED },
	{ NULL, NULL, 1000, -1, 1000 + 10 * MIN, 2 * MIN, BPG_MISSING_NEVER_CREATED },
	/* the create answered (cr_created) but no state yet: it existed, so lost */
	{ NULL, NULL, 1000, 1500, 1500 + 2 * MIN, 2 * MIN, BPG_MISSING_LOST },
	{ NULL, NULL, 1000, 1500, 1400 + 2 * MIN, 2 * MIN, BPG_MISSING_WAIT },
	{ NULL, "spark-1", 1000, -1, 1000 + 2 * MIN, 2 * MIN, BPG_MISSING_LOST },
	{ "RUNNING", NULL, 1000, 1200, 1000 + 10 * MIN, 2 * MIN, BPG_MISSING_LOST },
	{ "SUBMITTED", NULL, 1000, 1200, 1000 + 10 * MIN, 2 * MIN, BPG_MISSING_LOST },
	{ "UNKNOWN", NULL, 1000, -1, 1000 + 10 * MIN, 2 * MIN, BPG_MISSING_LOST },
	/* grace 0 (tests): at once */
	{ NULL, NULL, 1000, -1, 1000, 0, BPG_MISSING_NEVER_CREATED },
	/* no creation time at all: never guessed */
	{ NULL, NULL, -1, -1, 1000 + 10 * MIN, 2 * MIN, BPG_MISSING_WAIT },
};

START_TEST(test_missing)
{
	struct bpg_sub_row row;

	bpg_sub_row_init(&row);
	row.status = w(missing_cases[_i].status);
	row.app_id = w(missing_cases[_i].app_id);
	row.created_ms = missing_cases[_i].created;
	row.cr_created_ms = missing_cases[_i].cr_created;
	ck_assert_int_eq(bpg_reconcile_missing(&row, missing_cases[_i].now, missing_cases[_i].grace),
	    missing_cases[_i].expect);
}
END_TEST

/* ---- the run-time limit ---- */

static const struct { long long row; const char *label; long long expect; } max_cases[] = {
	{ 5000, "60000", 5000 },                   /* the row wins */
	{ -1, "60000", 60000 },
	{ 0, "60000", 60000 },
	{ -1, NULL, BPG_DEFAULT_MAX_RUNNING_MS },
	{ -1, "", BPG_DEFAULT_MAX_RUNNING_MS },
	{ -1, "0", BPG_DEFAULT_MAX_RUNNING_MS },
	{ -1, "-5", BPG_DEFAULT_MAX_RUNNING_MS },
	{ -1, "12abc", BPG_DEFAULT_MAX_RUNNING_MS },
	{ -1, " 100", BPG_DEFAULT_MAX_RUNNING_MS },
	{ -1, "9999999999999999", BPG_DEFAULT_MAX_RUNNING_MS },   /* too long */
	{ -1, "999999999999999", BPG_DEFAULT_MAX_RUNNING_MS },    /* above 10 years */
	{ -1, "315360000000", 315360000000LL },                 /* exactly 10 years */
};

START_TEST(test_max_running)
{
	ck_assert_int_eq(bpg_reconcile_max_running(max_cases[_i].row, max_cases[_i].label),
	    max_cases[_i].expect);
}
END_TEST

/* ---- over-running ---- */

static const struct {
	const char *status;
	long long start, max, now;
	int expect;
	long long ran;
} over_cases[] = {
	{ "RUNNING", 10000, MIN, 10000 + MIN, 0, MIN },          /* exactly the limit: not yet */
	{ "RUNNING", 10000, MIN, 10001 + MIN, 1, MIN + 1 },
	{ "RUNNING", 10000, 0, 999999999, 0, -1 },                /* no limit */
	{ "RUNNING", -1, MIN, 999999999, 0, -1 },                 /* no start known */
	{ "COMPLETED", 10000, MIN, 999999999, 0, -1 },            /* never one already terminal */
	{ "FAILED", 10000, MIN, 999999999, 0, -1 },
	{ "SUBMISSION_FAILED", 10000, MIN, 999999999, 0, -1 },
	{ "SUCCEEDING", 10000, MIN, 999999999, 0, -1 },
	{ "SUBMITTED", 10000, MIN, 999999999, 0, -1 },            /* queued: does not count */
	{ NULL, 10000, MIN, 999999999, 0, -1 },
};

START_TEST(test_overrunning)
{
	struct bpg_sub_row obs;
	long long ran = -1;

	bpg_sub_row_init(&obs);
	obs.status = w(over_cases[_i].status);
	obs.start_ms = over_cases[_i].start;
	obs.cr_created_ms = 0;   /* created long before it started: queueing does not count */
	ck_assert_int_eq(bpg_reconcile_overrunning(&obs, over_cases[_i].max, over_cases[_i].now, &ran),
	    over_cases[_i].expect);
	ck_assert_int_eq(ran, over_cases[_i].ran);
}
END_TEST

/* ---- batched writes: the JSON a page's statement reads ---- */

START_TEST(test_batch_json)
{
	struct bpg_reconcile_batch b;
	struct bpg_sub_row obs;
	char *text;

	bpg_reconcile_batch_init(&b);
	bpg_sub_row_init(&obs);
	ck_assert_int_eq(bpg_reconcile_batch_add(&b, &obs), BPG_EINVAL);   /* no id, no status */
	obs.submission_id = TK_STR("c01-a");
	obs.status = TK_STR("RUNNING");
	obs.error_message = TK_STR("say \"hi\"\n");
	obs.start_ms = 1763950000123LL;
	obs.executor_count = 0;
	ck_assert_int_eq(bpg_reconcile_batch_add(&b, &obs), BPG_OK);
	obs.submission_id = TK_STR("c01-b");
	obs.status = TK_STR("COMPLETED");
	obs.error_message = NULL;
	obs.app_id = TK_STR("spark-1");
	obs.finished_ms = 1763950009999LL;
	obs.resource_version = 4711;
	obs.submission_attempts = 2;
	obs.cr_execution_attempts = 1;
	obs.submit_ms = 1763950000000LL;
	ck_assert_int_eq(bpg_reconcile_batch_add(&b, &obs), BPG_OK);
	ck_assert_uint_eq(b.n, 2);
	text = cJSON_PrintUnformatted(b.rows);
	/* the long strings last: JSON_TABLE skips every value before the key it looks for */
	ck_assert_str_eq(text, "[{\"id\":\"c01-a\",\"status\":\"RUNNING\",\"final\":0,"
	    "\"executors\":0,\"start\":1763950000123,\"error\":\"say \\\"hi\\\"\\n\"},"
	    "{\"id\":\"c01-b\",\"status\":\"COMPLETED\",\"rv\":4711,\"final\":1,\"executors\":0,"
	    "\"start\":1763950000123,\"finished\":1763950009999,\"subAttempts\":2,"
	    "\"execAttempts\":1,\"submitted\":1763950000000,\"appId\":\"spark-1\"}]");
	cJSON_free(text);
	bpg_reconcile_batch_release(&b);
	ck_assert_ptr_null(b.rows);
	/* strings are cut to their columns, never inside a UTF-8 sequence */
	{
		char name[300];
		memset(name, 'n', sizeof(name));
		memcpy(name + 254, "\xc3\xa9", 2);      /* a 2-byte character across byte 255 */
		name[sizeof(name) - 1] = '\0';
		obs.app_name = name;
		ck_assert_int_eq(bpg_reconcile_batch_add(&b, &obs), BPG_OK);
		ck_assert_uint_eq(strlen(cJSON_GetObjectItem(cJSON_GetArrayItem(b.rows, 0),
		    "appName")->valuestring), 254);
		bpg_reconcile_batch_release(&b);
	}
	ck_assert_uint_eq(b.n, 0);
	bpg_reconcile_batch_release(&b);   /* twice: a no-op */
}
END_TEST

/* ---- exit code and outcome ---- */

static const struct {
	int clusters, failed, fatal, code;
	const char *outcome;
} exit_cases[] = {
	{ 2, 0, 0, 0, "ok" },
	{ 0, 0, 0, 0, "ok" },
	{ 2, 1, 0, 2, "partial" },
	{ 2, 2, 0, 2, "failed" },   /* every cluster down: still not a config/database failure */
	{ 2, 0, 1, 1, "failed" },
	{ 2, 1, 1, 1, "failed" },
};

START_TEST(test_exit_code)
{
	struct bpg_reconcile_run r;

	memset(&r, 0, sizeof(r));
	r.clusters = exit_cases[_i].clusters;
	r.failed = exit_cases[_i].failed;
	r.fatal = exit_cases[_i].fatal;
	ck_assert_int_eq(bpg_reconcile_exit_code(&r), exit_cases[_i].code);
	ck_assert_str_eq(bpg_reconcile_outcome(&r), exit_cases[_i].outcome);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_TEST(test_targets_distinct),
		TK_LOOP(test_is_ours, ours_cases),
		TK_LOOP(test_observe, observe_cases),
		TK_LOOP(test_keep_note, note_cases),
		TK_LOOP(test_changed, changed_cases),
		TK_LOOP(test_missing, missing_cases),
		TK_LOOP(test_max_running, max_cases),
		TK_LOOP(test_overrunning, over_cases),
		TK_TEST(test_batch_json),
		TK_LOOP(test_exit_code, exit_cases),
	};

	return tk_run("bpg_reconcile", tests, TK_LEN(tests), NULL);
}
