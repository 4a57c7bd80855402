/* Unit tests for bpg_recset: the monitor's sets and its decisions for a listed page. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"
#include "bpg_appstate.h"
#include "bpg_recset.h"

#define OURS "\"labels\":{\"app.kubernetes.io/managed-by\":\"bpg\"}"
#define START "2026-11-24T10:00:05Z"
/* an item of ours: name, state, then the rest of status */
#define ITEM(name, state, status) "{\"metadata\":{\"name\":\"" name "\"," OURS "}," \
	"\"status\":{\"applicationState\":{\"state\":\"" state "\"}" status "}}"
#define RAN ",\"lastSubmissionAttemptTime\":\"" START "\""
#define POD(p) ",\"driverInfo\":{\"podName\":\"" p "\"}"

/*
 * Every case: the open rows "a" (its status, last_error, maxRunningMillis per case) and "b"
 * (RUNNING), the abandoned create "z", now 5 s after START; a page of items. Expected: the
 * items counted, the rows batched, the orphans, the stops ("id:pod:has-note"), the open
 * rows left unseen, the ids page_ids asks the rows of.
 */
static const struct {
	const char *items;
	const char *a_status, *a_last_error;
	long long a_max;
	long long objects;
	size_t batched;
	const char *orphans, *stops, *unseen, *ids;
} page_cases[] = {
	{ "[]", "RUNNING", NULL, -1, 0, 0, "", "", "a,b", NULL },
	/* not ours, no name: counted, left alone */
	{ "[{\"metadata\":{\"name\":\"a\"}}]", "RUNNING", NULL, -1, 1, 0, "", "", "a,b", NULL },
	{ "[{\"metadata\":{" OURS "}}]", "RUNNING", NULL, -1, 1, 0, "", "", "a,b", NULL },
	/* the same state: seen, nothing to write */
	{ "[" ITEM("a", "RUNNING", "") "]", "RUNNING", NULL, -1, 1, 0, "", "", "b", "[\"a\"]" },
	/* a new state: batched */
	{ "[" ITEM("a", "RUNNING", "") "," ITEM("b", "COMPLETED", "") "]", "SUBMITTED", NULL, -1,
	  2, 2, "", "", "", "[\"a\",\"b\"]" },
	/* not an open row: an abandoned create's CR is an orphan, another is left alone */
	{ "[" ITEM("z", "RUNNING", "") "," ITEM("y", "RUNNING", "") "]", "RUNNING", NULL, -1,
	  2, 0, "z", "", "a,b", NULL },
	/* over-running: its pod, its note (once) */
	{ "[" ITEM("a", "RUNNING", RAN POD("a-drv")) "]", "RUNNING", NULL, 1000, 1, 1, "",
	  "a:a-drv:1", "b", "[\"a\"]" },
	{ "[" ITEM("a", "RUNNING", RAN POD("a-drv")) "]", "RUNNING",
	  BPG_RECONCILE_STOP_NOTE ": running 9 ms", 1000, 1, 1, "", "a:a-drv:0", "b", "[\"a\"]" },
	{ "[" ITEM("a", "RUNNING", RAN POD("A_drv")) "]", "RUNNING", NULL, 1000, 1, 1, "",
	  "a:a-driver:1", "b", "[\"a\"]" },
	/* within its limit: not stopped */
	{ "[" ITEM("a", "RUNNING", RAN POD("a-drv")) "]", "RUNNING", NULL, 60000, 1, 1, "", "",
	  "b", "[\"a\"]" },
};

static void
add_row(struct bpg_recset_rows *rows, struct bpg_recset_seen *seen, const char *id,
    const char *status, const char *last_error, long long max)
{
	struct bpg_sub_row r;

	bpg_sub_row_init(&r);
	r.submission_id = strdup(id);
	r.status = strdup(status);
	r.last_error = last_error ? strdup(last_error) : NULL;
	r.max_running_millis = max;
	r.created_ms = 1000;
	r.execution_attempts = 1;   /* as the first observation stored it */
	ck_assert_int_eq(bpg_recset_rows_add(rows, &r), BPG_OK);
	ck_assert_int_eq(bpg_recset_seen_add(seen, &r), BPG_OK);
	bpg_sub_row_release(&r);
}

/* The unseen ones of the open rows a and b, comma-separated. */
static void
unseen_of(const struct bpg_recset_seen *s, struct bpg_buf *out)
{
	static const char *const ids[] = { "a", "b" };

	for (size_t i = 0; i < 2; i++)
		if (bpg_recset_seen_missed(s, ids[i]))
			(void)bpg_buf_printf(out, "%s%s", out->len ? "," : "", ids[i]);
	ck_assert_int_eq(bpg_recset_seen_unseen(s), (strlen(out->data ? out->data : "") + 1) / 2);
}

START_TEST(test_decide_page)
{
	struct bpg_recset_rows rows = { NULL, 0, 0 };
	struct bpg_recset_seen seen;
	struct bpg_recset_page d;
	struct bpg_buf got;
	char *ids = NULL;
	cJSON *list;
	long long now = bpg_appstate_parse_time(START) + 5000;

	memset(&seen, 0, sizeof(seen));
	bpg_buf_init(&got, 0);
	add_row(&rows, &seen, "b", "RUNNING", NULL, -1);
	add_row(&rows, &seen, "a", page_cases[_i].a_status, page_cases[_i].a_last_error,
	    page_cases[_i].a_max);
	ck_assert_int_eq(bpg_recset_ids_add(&seen.abandoned, "z"), BPG_OK);
	ck_assert_int_eq(bpg_recset_seen_ready(&seen), BPG_OK);
	bpg_recset_rows_sort(&rows);
	ck_assert_int_eq(bpg_buf_printf(&got, "{\"items\":%s}", page_cases[_i].items), BPG_OK);
	list = cJSON_Parse(got.data);
	bpg_buf_reset(&got);
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(bpg_recset_page_ids(list, &seen, &ids), BPG_OK);
	if (page_cases[_i].ids == NULL)
		ck_assert_ptr_null(ids);
	else
		ck_assert_str_eq(ids, page_cases[_i].ids);
	bpg_recset_page_init(&d, 4096);
	bpg_recset_decide_page(list, &rows, &seen, now, &d);
	ck_assert_int_eq(d.objects, page_cases[_i].objects);
	ck_assert_uint_eq(d.batch.n, page_cases[_i].batched);
	for (size_t i = 0; i < d.orphans.n; i++)
		(void)bpg_buf_printf(&got, "%s%s", i ? "," : "", d.orphans.v[i]);
	ck_assert_str_eq(got.data ? got.data : "", page_cases[_i].orphans);
	bpg_buf_reset(&got);
	for (size_t i = 0; i < d.stops.n; i++)
		(void)bpg_buf_printf(&got, "%s%s:%s:%d", i ? "," : "", d.stops.v[i].id,
		    d.stops.v[i].pod, d.stops.v[i].note[0] != '\0');
	ck_assert_str_eq(got.data ? got.data : "", page_cases[_i].stops);
	bpg_buf_reset(&got);
	unseen_of(&seen, &got);
	ck_assert_str_eq(got.data ? got.data : "", page_cases[_i].unseen);
	ck_assert_uint_eq(d.errors.len, 0);
	bpg_recset_seen_forget(&seen);
	ck_assert_uint_eq(bpg_recset_seen_unseen(&seen), 2);
	bpg_recset_page_release(&d);
	bpg_recset_page_release(&d);   /* twice: a no-op */
	cJSON_free(ids);
	cJSON_Delete(list);
	bpg_buf_release(&got);
	bpg_recset_rows_release(&rows);
	bpg_recset_seen_release(&seen);
}
END_TEST

/* ---- pod names ---- */

static const struct { const char *name; int ok; } pod_cases[] = {
	{ "a-driver", 1 }, { "spark-1.x", 1 }, { "", 0 }, { NULL, 0 }, { "A", 0 }, { "a_b", 0 },
	{ "a/b", 0 },
};

START_TEST(test_pod_name_ok)
{
	char long_name[BPG_RECSET_NAME_MAX + 2];

	ck_assert_int_eq(bpg_recset_pod_name_ok(pod_cases[_i].name), pod_cases[_i].ok);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert(!bpg_recset_pod_name_ok(long_name));   /* 254 bytes */
	long_name[BPG_RECSET_NAME_MAX] = '\0';
	ck_assert(bpg_recset_pod_name_ok(long_name));    /* 253 */
}
END_TEST

/* ---- ids ---- */

static const struct { const char *id; int has; } ids_cases[] = {
	{ "c01-a", 1 }, { "c01-b", 1 }, { "c01-c", 1 }, { "c01-", 0 }, { "c01-d", 0 }, { "", 0 },
};

START_TEST(test_ids_has)
{
	struct bpg_recset_ids l = { NULL, 0, 0 };

	ck_assert(!bpg_recset_ids_has(&l, ids_cases[_i].id));
	ck_assert_int_eq(bpg_recset_ids_add(&l, "c01-c"), BPG_OK);
	ck_assert_int_eq(bpg_recset_ids_add(&l, "c01-a"), BPG_OK);
	ck_assert_int_eq(bpg_recset_ids_add(&l, "c01-b"), BPG_OK);
	bpg_recset_ids_sort(&l);
	ck_assert_int_eq(bpg_recset_ids_has(&l, ids_cases[_i].id), ids_cases[_i].has);
	bpg_recset_ids_clear(&l);
	ck_assert(!bpg_recset_ids_has(&l, ids_cases[_i].id));
	bpg_recset_ids_release(&l);
	bpg_recset_ids_release(&l);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_decide_page, page_cases),
		TK_LOOP(test_pod_name_ok, pod_cases),
		TK_LOOP(test_ids_has, ids_cases),
	};

	return tk_run("bpg_recset", tests, TK_LEN(tests), NULL);
}
