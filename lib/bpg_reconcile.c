/* bpg_reconcile: what bpg-monitor decides for each row and SparkApplication, and its SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_crd.h"
#include "bpg_json.h"
#include "bpg_reconcile.h"

#define ERRORS_MAX 4000          /* characters of the run's errors kept in monitor_run */
#define VARCHAR_MAX 255          /* bytes: fits VARCHAR(255) in any character set */
#define TEXT_MAX 65535           /* bytes of a TEXT column */

static const cJSON *
jget(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
bpg_reconcile_same_target(const struct bpg_cluster *target, const struct bpg_cluster *c)
{
	return strcmp(target->api_server, c->api_server) == 0 &&
	    strcmp(target->namespace, c->namespace) == 0;
}

size_t
bpg_reconcile_targets(const struct bpg_config *cfg, const struct bpg_cluster **out)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_clusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];
		int dup = 0;
		for (size_t j = 0; j < n && !dup; j++)
			dup = bpg_reconcile_same_target(out[j], c);
		if (!dup)
			out[n++] = c;
	}
	return n;
}

int
bpg_reconcile_is_ours(const cJSON *cr)
{
	const char *v = jstr(jget(jget(cr, "metadata"), "labels"), BPG_CRD_MANAGED_BY_KEY);

	return v != NULL && strcmp(v, BPG_CRD_MANAGED_BY) == 0;
}

enum bpg_err
bpg_reconcile_observe(const cJSON *cr, long long now_ms, struct bpg_sub_row *obs)
{
	const char *name = jstr(jget(jget(cr, "spec"), "sparkConf"), "spark.app.name");
	enum bpg_err err;

	if ((err = bpg_appstate_observe(cr, obs)) != BPG_OK)
		return err;
	if (name != NULL && name[0] != '\0' && (obs->app_name = strdup(name)) == NULL)
		return BPG_ENOMEM;
	/* a final state without terminationTime still ends: now is when we learnt it */
	if (bpg_appstate_is_final_state(obs->status) && obs->finished_ms < 0)
		obs->finished_ms = now_ms;
	return BPG_OK;
}

enum bpg_err
bpg_reconcile_keep_note(const struct bpg_sub_row *row, struct bpg_sub_row *obs)
{
	const char *note = row->last_error, *op = obs->error_message;
	size_t n;
	char *msg;

	if (note == NULL || strncmp(note, BPG_RECONCILE_STOP_NOTE,
	    sizeof(BPG_RECONCILE_STOP_NOTE) - 1) != 0)
		return BPG_OK;
	n = strlen(note) + (op ? strlen(op) : 0) + sizeof("; operator: ");
	if ((msg = malloc(n)) == NULL)
		return BPG_ENOMEM;
	if (op != NULL && op[0] != '\0')
		snprintf(msg, n, "%s; operator: %s", note, op);
	else
		snprintf(msg, n, "%s", note);
	free(obs->error_message);
	obs->error_message = msg;
	return BPG_OK;
}

static int
str_ne(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

int
bpg_reconcile_changed(const struct bpg_sub_row *row, const struct bpg_sub_row *obs)
{
	return str_ne(row->status, obs->status) ||
	    (obs->app_id != NULL && str_ne(row->app_id, obs->app_id)) ||
	    (obs->app_name != NULL && row->app_name == NULL) ||
	    str_ne(row->error_message, obs->error_message) ||
	    (obs->driver_info != NULL && str_ne(row->driver_info, obs->driver_info)) ||
	    (obs->execution_attempts >= 0 && row->execution_attempts != obs->execution_attempts) ||
	    (obs->executor_count >= 0 && row->executor_count != obs->executor_count) ||
	    (obs->start_ms >= 0 && row->start_ms < 0) ||
	    (obs->finished_ms >= 0 && row->finished_ms < 0) ||
	    (obs->cr_created_ms >= 0 && row->cr_created_ms < 0) ||
	    (obs->resource_version >= 0 && row->resource_version != obs->resource_version);
}

enum bpg_missing
bpg_reconcile_missing(const struct bpg_sub_row *row, long long now_ms, long long grace_ms)
{
	long long since = row->created_ms > row->cr_created_ms ? row->created_ms :
	    row->cr_created_ms;

	if (since < 0 || now_ms - since < grace_ms)
		return BPG_MISSING_WAIT;
	if (row->status == NULL && row->cr_created_ms < 0 && row->app_id == NULL)
		return BPG_MISSING_NEVER_CREATED;
	return BPG_MISSING_LOST;
}

long long
bpg_reconcile_max_running(long long row_max_ms, const char *label)
{
	long long v = 0;
	size_t i;

	if (row_max_ms > 0)
		return row_max_ms;
	if (label == NULL || label[0] == '\0' || strlen(label) > 15)
		return BPG_DEFAULT_MAX_RUNNING_MS;
	for (i = 0; label[i] != '\0'; i++) {
		if (label[i] < '0' || label[i] > '9')
			return BPG_DEFAULT_MAX_RUNNING_MS;
		v = v * 10 + (label[i] - '0');
	}
	return v >= 1 && v <= BPG_RECONCILE_MAX_MS ? v : BPG_DEFAULT_MAX_RUNNING_MS;
}

int
bpg_reconcile_overrunning(const struct bpg_sub_row *obs, long long max_ms, long long now_ms,
    long long *ran_ms)
{
	if (max_ms <= 0 || obs->status == NULL || strcmp(obs->status, "RUNNING") != 0 ||
	    obs->start_ms < 0)
		return 0;
	*ran_ms = now_ms - obs->start_ms;
	return *ran_ms > max_ms;
}

int
bpg_reconcile_exit_code(const struct bpg_reconcile_run *r)
{
	if (r->fatal)
		return 1;
	return r->failed > 0 ? 2 : 0;
}

const char *
bpg_reconcile_outcome(const struct bpg_reconcile_run *r)
{
	if (r->fatal || (r->clusters > 0 && r->failed == r->clusters))
		return "failed";
	return r->failed > 0 ? "partial" : "ok";
}

/* ---- SQL ---- */

struct open_ctx {
	enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r);
	void *ctx;
};

static long long
num(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : -1;
}

/* The row points into cols (borrowed: never released). */
static enum bpg_err
open_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct open_ctx *o = ctx;
	struct bpg_sub_row r;

	(void)lens;
	if (ncols != 16)
		return BPG_EINTERNAL;
	bpg_sub_row_init(&r);
	r.submission_id = (char *)cols[0];
	r.status = (char *)cols[1];
	r.app_id = (char *)cols[2];
	r.app_name = (char *)cols[3];
	r.error_message = (char *)cols[4];
	r.driver_info = (char *)cols[5];
	r.last_error = (char *)cols[6];
	r.execution_attempts = num(cols[7]);
	r.executor_count = num(cols[8]);
	r.max_running_millis = num(cols[9]);
	r.created_ms = num(cols[10]);
	r.cr_created_ms = num(cols[11]);
	r.start_ms = num(cols[12]);
	r.finished_ms = num(cols[13]);
	r.resource_version = num(cols[14]);
	r.claim_owner = (char *)cols[15];
	return r.submission_id != NULL ? o->fn(o->ctx, &r) : BPG_EINTERNAL;
}

/* The columns open_cb reads, for the table prefix "a.". */
#define OPEN_COLS "a.submission_id, a.status, a.app_id, a.app_name, a.error_message, " \
	"a.driver_info, a.last_error, a.execution_attempts, a.executor_count, " \
	"a.max_running_millis, CAST(UNIX_TIMESTAMP(a.created_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(a.cr_created_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(a.start_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(a.finished_time) * 1000 AS SIGNED), a.resource_version, a.claim_owner "

enum bpg_err
bpg_reconcile_open_rows(struct bpg_db *db, const char *cluster_id, const char *after,
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
bpg_reconcile_page_rows(struct bpg_db *db, const char *ids_json, const char *clusters_json,
    enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx)
{
	/* the names drive, each row found by its primary key (as in bpg_reconcile_batch_write) */
	static const char sql[] = "SELECT " OPEN_COLS "FROM JSON_TABLE(?, '$[*]' COLUMNS ("
	    "id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) j "
	    "STRAIGHT_JOIN application_submission a ON a.submission_id = j.id "
	    "WHERE JSON_CONTAINS(?, JSON_QUOTE(a.cluster_id)) AND NOT " BPG_APPSTATE_FINAL_SQL("a.");
	struct bpg_db_val p[] = { bpg_db_str(ids_json), bpg_db_str(clusters_json) };
	struct open_ctx o = { fn, ctx };

	return bpg_db_exec(db, sql, p, 2, open_cb, &o, NULL);
}

void
bpg_reconcile_batch_init(struct bpg_reconcile_batch *b)
{
	b->rows = NULL;
	b->n = 0;
}

void
bpg_reconcile_batch_release(struct bpg_reconcile_batch *b)
{
	cJSON_Delete(b->rows);
	bpg_reconcile_batch_init(b);
}

/*
 * Adds key: s unless s is NULL, cut to max bytes at a UTF-8 boundary so that it fits its
 * column (a strict sql_mode would refuse the whole page otherwise); 0 or -1 (no memory).
 */
static int
add_str(cJSON *o, const char *k, const char *s, size_t max)
{
	size_t n;
	char *cut;
	int rc;

	if (s == NULL)
		return 0;
	if ((n = strlen(s)) <= max)
		return cJSON_AddStringToObject(o, k, s) != NULL ? 0 : -1;
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; n--)
		;
	if ((cut = strndup(s, n)) == NULL)
		return -1;
	rc = cJSON_AddStringToObject(o, k, cut) != NULL ? 0 : -1;
	free(cut);
	return rc;
}

/* Adds key: v unless v < 0 (unknown); exact for epoch milliseconds (below 2^53). */
static int
add_num(cJSON *o, const char *k, long long v)
{
	return v < 0 || cJSON_AddNumberToObject(o, k, (double)v) != NULL ? 0 : -1;
}

enum bpg_err
bpg_reconcile_batch_add(struct bpg_reconcile_batch *b, const struct bpg_sub_row *obs)
{
	cJSON *o;

	if (obs->submission_id == NULL || obs->status == NULL)
		return BPG_EINVAL;
	if (b->rows == NULL && (b->rows = cJSON_CreateArray()) == NULL)
		return BPG_ENOMEM;
	if ((o = cJSON_CreateObject()) == NULL)
		return BPG_ENOMEM;
	/*
	 * JSON_TABLE finds each column's key from the start of its object, skipping the values
	 * before it: the long strings (error, driver) go last, so no other column skips them.
	 */
	if (add_str(o, "id", obs->submission_id, VARCHAR_MAX) ||
	    add_str(o, "status", obs->status, VARCHAR_MAX) ||
	    add_num(o, "rv", obs->resource_version) ||
	    add_num(o, "final", bpg_appstate_is_final_state(obs->status)) ||
	    add_num(o, "attempts", obs->execution_attempts) ||
	    add_num(o, "executors", obs->executor_count) || add_num(o, "start", obs->start_ms) ||
	    add_num(o, "finished", obs->finished_ms) || add_num(o, "crCreated", obs->cr_created_ms) ||
	    add_num(o, "subAttempts", obs->submission_attempts) ||
	    add_num(o, "execAttempts", obs->cr_execution_attempts) ||
	    add_num(o, "submitted", obs->submit_ms) || add_num(o, "terminated", obs->termination_ms) ||
	    add_str(o, "appId", obs->app_id, VARCHAR_MAX) ||
	    add_str(o, "appName", obs->app_name, VARCHAR_MAX) ||
	    add_str(o, "error", obs->error_message, TEXT_MAX) ||
	    add_str(o, "driver", obs->driver_info, TEXT_MAX) ||
	    !cJSON_AddItemToArray(b->rows, o)) {
		cJSON_Delete(o);
		return BPG_ENOMEM;
	}
	b->n++;
	return BPG_OK;
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
bpg_reconcile_batch_write(struct bpg_db *db, struct bpg_reconcile_batch *b,
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
bpg_reconcile_lock_held(struct bpg_db *db, int *held_out)
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
bpg_reconcile_record_run(struct bpg_db *db, const struct bpg_reconcile_run *r,
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
bpg_reconcile_abandoned(struct bpg_db *db, const char *cluster_id,
    enum bpg_err (*fn)(void *ctx, const char *id), void *ctx)
{
	static const char sql[] = "SELECT submission_id FROM application_submission "
	    "WHERE cluster_id = ? AND abandoned_time > CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND";
	struct bpg_db_val p[] = { bpg_db_str(cluster_id), bpg_db_int(BPG_RECONCILE_ABANDONED_S) };
	struct abandoned_ctx a = { fn, ctx };

	return bpg_db_exec(db, sql, p, 2, abandoned_cb, &a, NULL);
}
