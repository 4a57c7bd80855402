/* Unit tests for bpg_subdb: the statements BPG_SUBDB_ROW makes, without a server. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"
#include "bpg_subdb.h"

/* The top-level comma-separated items of s (commas inside parentheses are not counted). */
static int
items(const char *s)
{
	int n = 1, depth = 0;

	for (; *s != '\0'; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		else if (*s == ',' && depth == 0)
			n++;
	}
	return n;
}

/* The index-th top-level item of s, trimmed, into out. */
static void
item(const char *s, int index, char *out, size_t outsz)
{
	int n = 0, depth = 0;
	const char *start = s;

	for (;; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		if ((*s == ',' && depth == 0) || *s == '\0') {
			if (n++ == index) {
				while (*start == ' ')
					start++;
				snprintf(out, outsz, "%.*s", (int)(s - start), start);
				return;
			}
			if (*s == '\0')
				break;
			start = s + 1;
		}
	}
	out[0] = '\0';
}

static const struct {
	const char *cols;
	int n;                  /* columns the decoder reads */
	int body_at;            /* where the stored request goes */
	const char *body;
} select_cases[] = {
	{ BPG_SUBDB_COLS, 35, 8, "request_body" },
	{ BPG_SUBDB_COLS_BODY(BPG_SUBDB_LIST_BODY), 35, 8, BPG_SUBDB_LIST_BODY },
};

START_TEST(test_select_list)
{
	char got[128];

	ck_assert_int_eq(items(select_cases[_i].cols), select_cases[_i].n);
	item(select_cases[_i].cols, select_cases[_i].body_at, got, sizeof(got));
	ck_assert_str_eq(got, select_cases[_i].body);
	item(select_cases[_i].cols, 0, got, sizeof(got));
	ck_assert_str_eq(got, "submission_id");
	item(select_cases[_i].cols, select_cases[_i].n - 1, got, sizeof(got));
	ck_assert_str_eq(got, "gateway_failed");
	for (int i = 0; i < select_cases[_i].n; i++) {   /* inserted only */
		item(select_cases[_i].cols, i, got, sizeof(got));
		ck_assert_str_ne(got, "summary_fields");
	}
}
END_TEST

/* The INSERT: its columns, in the order bench/dbhello.c binds them, one '?' each. */
static const char *const insert_cols[] = {
	"submission_id", "cluster_id", "namespace", "`user`", "original_user", "app_name",
	"spark_version", "queue", "request_body", "summary_fields", "idempotency_key",
	"max_running_millis", "driver_core", "driver_memory_mb", "number_executor",
	"executor_core", "executor_memory_mb", "idem_fingerprint", "claim_owner",
};

START_TEST(test_insert)
{
	const char *sql = BPG_SUBDB_INSERT_SQL;
	const char *cols = strchr(sql, '(') + 1, *values = strstr(sql, "VALUES (");
	char list[1024], got[64];
	int marks = 0;

	ck_assert_ptr_nonnull(values);
	snprintf(list, sizeof(list), "%.*s", (int)(strchr(cols, ')') - cols), cols);
	ck_assert_int_eq(items(list), (int)(sizeof(insert_cols) / sizeof(insert_cols[0])));
	item(list, _i, got, sizeof(got));
	ck_assert_str_eq(got, insert_cols[_i]);
	for (const char *p = values; *p != '\0'; p++)
		marks += *p == '?';
	ck_assert_int_eq(marks, items(list));
}
END_TEST

/*
 * The monitor's columns: each with the text a row gives for it; bpg_subdb_open_row must put
 * it in its field, whatever the order of BPG_SUBDB_OPEN_COLS.
 */
#define MS(c) "CAST(UNIX_TIMESTAMP(" c ") * 1000 AS SIGNED)"
static const struct { const char *col, *text; } open_cols[] = {
	{ "submission_id", "c01-x" }, { "status", "RUNNING" }, { "app_id", "spark-1" },
	{ "app_name", "job" }, { "error_message", NULL }, { "driver_info", "{}" },
	{ "last_error", "boom" }, { "claim_owner", "w1" }, { "execution_attempts", "2" },
	{ "executor_count", "3" }, { "max_running_millis", "4000" }, { MS("created_time"), "5" },
	{ MS("cr_created_time"), "6" }, { MS("start_time"), NULL }, { MS("finished_time"), "8" },
	{ "resource_version", "9" },
};

START_TEST(test_open_row)
{
	const char *cols[16];
	struct bpg_sub_row r;
	char got[128];
	int n = items(BPG_SUBDB_OPEN_COLS);

	ck_assert_int_eq(n, (int)TK_LEN(open_cols));
	for (int i = 0; i < n; i++) {
		int k = 0;
		item(BPG_SUBDB_OPEN_COLS, i, got, sizeof(got));
		while (k < (int)TK_LEN(open_cols) && strcmp(open_cols[k].col, got) != 0)
			k++;
		ck_assert_msg(k < (int)TK_LEN(open_cols), "unexpected column %s", got);
		cols[i] = open_cols[k].text;
	}
	ck_assert_int_eq(bpg_subdb_open_row((unsigned)n, cols, &r), BPG_OK);
	ck_assert_str_eq(r.submission_id, "c01-x");
	ck_assert_str_eq(r.status, "RUNNING");
	ck_assert_str_eq(r.app_id, "spark-1");
	ck_assert_str_eq(r.app_name, "job");
	ck_assert_ptr_null(r.error_message);
	ck_assert_str_eq(r.driver_info, "{}");
	ck_assert_str_eq(r.last_error, "boom");
	ck_assert_str_eq(r.claim_owner, "w1");
	ck_assert_int_eq(r.execution_attempts, 2);
	ck_assert_int_eq(r.executor_count, 3);
	ck_assert_int_eq(r.max_running_millis, 4000);
	ck_assert_int_eq(r.created_ms, 5);
	ck_assert_int_eq(r.cr_created_ms, 6);
	ck_assert_int_eq(r.start_ms, -1);
	ck_assert_int_eq(r.finished_ms, 8);
	ck_assert_int_eq(r.resource_version, 9);
	ck_assert_ptr_null(r.request_body);
	ck_assert_ptr_null(r.user);
	ck_assert_int_eq(bpg_subdb_open_row((unsigned)n - 1, cols, &r), BPG_EINTERNAL);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_select_list, select_cases),
		TK_LOOP(test_insert, insert_cols),
		TK_TEST(test_open_row),
	};

	return tk_run("bpg_subdb", tests, TK_LEN(tests), NULL);
}
