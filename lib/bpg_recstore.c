/* bpg_recstore: the monitor's SQL: open rows, a page's observations, its lock, its run. */
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_json.h"
#include "bpg_recstore.h"
#include "bpg_subdb.h"

#define ERRORS_MAX 4000          /* characters of the run's errors kept in monitor_run */

struct open_ctx {
	enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r);
	void *ctx;
};

/* The row is borrowed: it points into cols, and is never released. */
static enum bpg_err
open_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct open_ctx *o = ctx;
	struct bpg_sub_row r;
	enum bpg_err err = bpg_subdb_open_row(ncols, cols, &r);

	(void)lens;
	if (err != BPG_OK)
		return err;
	return r.submission_id != NULL ? o->fn(o->ctx, &r) : BPG_EINTERNAL;
}

/* The columns open_cb reads (BPG_SUBDB_ROW's monitor columns: no request body). */
#define OPEN_COLS BPG_SUBDB_OPEN_COLS " "

enum bpg_err
bpg_recstore_open_rows(struct bpg_db *db, const char *cluster_id, const char *after,
    long limit, enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx)
{
	/* keyset pages in primary-key order: a page costs one range read, never an OFFSET */
	static const char sql[] = "SELECT " OPEN_COLS "FROM application_submission a "
	    "WHERE a.cluster_id = ? AND a.submission_id > ? AND NOT " BPG_APPSTATE_FINAL_SQL("a.")
	    " ORDER BY a.submission_id LIMIT ?";
	struct bpg_db_val p[] = { bpg_db_str(cluster_id), bpg_db_str(after ? after : ""),
		bpg_db_int(limit) };
	struct open_ctx o = { fn, ctx };

	return bpg_db_exec(db, sql, p, 3, open_cb, &o, NULL);
}

enum bpg_err
bpg_recstore_page_rows(struct bpg_db *db, const char *ids_json, const char *clusters_json,
    enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx)
{
	/* the names drive, each row found by its primary key (as in bpg_recstore_batch_write) */
	static const char sql[] = "SELECT " OPEN_COLS "FROM JSON_TABLE(?, '$[*]' COLUMNS ("
	    "id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) j "
	    "STRAIGHT_JOIN application_submission a ON a.submission_id = j.id "
	    "WHERE JSON_CONTAINS(?, JSON_QUOTE(a.cluster_id)) AND NOT " BPG_APPSTATE_FINAL_SQL("a.");
	struct bpg_db_val p[] = { bpg_db_str(ids_json), bpg_db_str(clusters_json) };
	struct open_ctx o = { fn, ctx };

	return bpg_db_exec(db, sql, p, 2, open_cb, &o, NULL);
}

/*
 * The JSON_TABLE of a batch (the rows of bpg_reconcile_batch_add) as j, joined to its rows:
 * each statement declares only the columns it reads (every declared one is extracted).
 */
#define BATCH_TABLE(cols) "JSON_TABLE(?, '$[*]' COLUMNS (" \
	"id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$.id', " \
	"status VARCHAR(255) PATH '$.status', rv BIGINT PATH '$.rv', " cols \
	"app_id VARCHAR(255) PATH '$.appId', error_message TEXT PATH '$.error')) j " \
	"STRAIGHT_JOIN application_submission a ON a.submission_id = j.id "
#define BATCH_ROW_COLS "final INT PATH '$.final', attempts INT PATH '$.attempts', " \
	"executors INT PATH '$.executors', start_ms BIGINT PATH '$.start', " \
	"finished_ms BIGINT PATH '$.finished', cr_ms BIGINT PATH '$.crCreated', " \
	"app_name VARCHAR(255) PATH '$.appName', driver_info TEXT PATH '$.driver', "
#define BATCH_ATTEMPT_COLS "sub_attempts INT PATH '$.subAttempts', " \
	"exec_attempts INT PATH '$.execAttempts', submitted_ms BIGINT PATH '$.submitted', " \
	"terminated_ms BIGINT PATH '$.terminated', "

enum bpg_err
bpg_recstore_batch_write(struct bpg_db *db, struct bpg_reconcile_batch *b,
    unsigned long long *written_out)
{
	/*
	 * JSON_TABLE drives, each row found by its primary key (STRAIGHT_JOIN keeps that
	 * order); a row takes the observation only when it is newer (bpg_appstate_may_replace,
	 * in the WHERE: a concurrent status write-through that stored a newer one wins).
	 */
	static const char sql[] = "UPDATE " BATCH_TABLE(BATCH_ROW_COLS) "SET "
	    "a.status = j.status, a.app_id = COALESCE(j.app_id, a.app_id), "
	    "a.app_name = COALESCE(a.app_name, j.app_name), a.error_message = j.error_message, "
	    "a.driver_info = COALESCE(j.driver_info, a.driver_info), "
	    "a.execution_attempts = COALESCE(j.attempts, a.execution_attempts), "
	    "a.executor_count = COALESCE(j.executors, a.executor_count), "
	    "a.start_time = COALESCE(a.start_time, FROM_UNIXTIME(j.start_ms / 1000)), "
	    "a.finished_time = IF(j.final = 1, COALESCE(FROM_UNIXTIME(j.finished_ms / 1000), "
	    "a.finished_time, CURRENT_TIMESTAMP(3)), NULL), "
	    "a.cr_created_time = COALESCE(a.cr_created_time, FROM_UNIXTIME(j.cr_ms / 1000)), "
	    "a.resource_version = COALESCE(j.rv, a.resource_version), "
	    "a.status_time = CURRENT_TIMESTAMP(3) "
	    "WHERE " BPG_APPSTATE_MAY_REPLACE_SQL("a.", "j.rv", "j.final = 1");
	/* the current attempt of each (bpg_subdb_observe's upsert, for a page) */
	static const char attempts[] = BPG_SUBDB_ATTEMPT_COLS "SELECT j.id, j.sub_attempts, "
	    "j.exec_attempts, FROM_UNIXTIME(j.submitted_ms / 1000), j.app_id, j.status, "
	    "j.error_message, FROM_UNIXTIME(j.terminated_ms / 1000), j.rv FROM " BATCH_TABLE(BATCH_ATTEMPT_COLS)
	    "WHERE a.gateway_failed = 0 AND j.sub_attempts >= 1 AND j.exec_attempts IS NOT NULL "
	    "AND j.submitted_ms IS NOT NULL" BPG_SUBDB_ATTEMPT_UPSERT;
	static const char begin[] = "START TRANSACTION", commit[] = "COMMIT",
	    rollback[] = "ROLLBACK";
	unsigned long long n = 0;
	enum bpg_err err = BPG_OK;
	struct bpg_buf text;
	struct bpg_db_val p[1];

	if (b->n == 0) {
		*written_out = 0;
		return BPG_OK;
	}
	/* bpg_json_print: cJSON's own printer formats every number twice and scans it back */
	bpg_buf_init(&text, 0);
	if ((err = bpg_json_print(b->rows, &text)) != BPG_OK)
		goto out;
	p[0] = bpg_db_str(text.data);
	/*
	 * One transaction, one commit (a log flush) a page. Should the connection be lost and
	 * re-opened before a statement runs, that statement commits alone: each is idempotent.
	 */
	if ((err = bpg_db_exec(db, begin, NULL, 0, NULL, NULL, NULL)) != BPG_OK)
		goto out;
	if ((err = bpg_db_exec(db, sql, p, 1, NULL, NULL, &n)) == BPG_OK &&
	    (err = bpg_db_exec(db, attempts, p, 1, NULL, NULL, NULL)) == BPG_OK &&
	    (err = bpg_db_exec(db, commit, NULL, 0, NULL, NULL, NULL)) == BPG_OK)
		*written_out = n;
	else
		(void)bpg_db_exec(db, rollback, NULL, 0, NULL, NULL, NULL);   /* err says why */
out:
	bpg_buf_release(&text);
	bpg_reconcile_batch_release(b);
	return err;
}

static enum bpg_err
held_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	(void)lens;
	*(int *)ctx = ncols == 1 && cols[0] != NULL && strcmp(cols[0], "1") == 0;
	return BPG_OK;
}

enum bpg_err
bpg_recstore_lock_held(struct bpg_db *db, int *held_out)
{
	static const char sql[] = "SELECT IS_USED_LOCK(?) = CONNECTION_ID()";
	struct bpg_db_val p[] = { bpg_db_str(BPG_MONITOR_LOCK) };
	int held = 0;
	enum bpg_err err = bpg_db_exec(db, sql, p, 1, held_cb, &held, NULL);

	if (err == BPG_OK)
		*held_out = held;
	return err;
}

enum bpg_err
bpg_recstore_record_run(struct bpg_db *db, const struct bpg_reconcile_run *r,
    long long duration_ms, const char *errors)
{
	static const char sql[] = "INSERT INTO monitor_run (id, started_at, finished_at, outcome, "
	    "clusters, failed_clusters, objects, changed, finalized, stopped, restarts, duration_ms, "
	    "errors) VALUES (1, FROM_UNIXTIME(? / 1000), CURRENT_TIMESTAMP(3), ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?) ON DUPLICATE KEY UPDATE started_at = VALUES(started_at), "
	    "finished_at = VALUES(finished_at), outcome = VALUES(outcome), "
	    "clusters = VALUES(clusters), failed_clusters = VALUES(failed_clusters), "
	    "objects = VALUES(objects), changed = VALUES(changed), finalized = VALUES(finalized), "
	    "stopped = VALUES(stopped), restarts = VALUES(restarts), "
	    "duration_ms = VALUES(duration_ms), errors = VALUES(errors)";
	struct bpg_db_val p[] = {
		bpg_db_int(r->started_ms), bpg_db_str(bpg_reconcile_outcome(r)),
		bpg_db_int(r->clusters), bpg_db_int(r->failed), bpg_db_int(r->objects),
		bpg_db_int(r->changed), bpg_db_int(r->finalized), bpg_db_int(r->stopped),
		bpg_db_int(r->restarts), bpg_db_int(duration_ms), bpg_db_str(errors),
	};

	if (errors != NULL && p[10].len > ERRORS_MAX) {
		size_t n = ERRORS_MAX;
		while (n > 0 && ((unsigned char)errors[n] & 0xC0) == 0x80)
			n--;   /* never cut a UTF-8 sequence */
		p[10].len = n;
	}
	return bpg_db_exec(db, sql, p, sizeof(p) / sizeof(p[0]), NULL, NULL, NULL);
}

struct abandoned_ctx {
	enum bpg_err (*fn)(void *ctx, const char *id);
	void *ctx;
};

static enum bpg_err
abandoned_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct abandoned_ctx *a = ctx;

	(void)lens;
	if (ncols != 1 || cols[0] == NULL)
		return BPG_OK;
	return a->fn(a->ctx, cols[0]);
}

enum bpg_err
bpg_recstore_abandoned(struct bpg_db *db, const char *cluster_id,
    enum bpg_err (*fn)(void *ctx, const char *id), void *ctx)
{
	static const char sql[] = "SELECT submission_id FROM application_submission "
	    "WHERE cluster_id = ? AND abandoned_time > CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND";
	struct bpg_db_val p[] = { bpg_db_str(cluster_id), bpg_db_int(BPG_RECSTORE_ABANDONED_S) };
	struct abandoned_ctx a = { fn, ctx };

	return bpg_db_exec(db, sql, p, 2, abandoned_cb, &a, NULL);
}
