/* bpg_subdb: the application_submission table: rows in and out, prepared statements only. */
#ifndef BPG_SUBDB_H
#define BPG_SUBDB_H

#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_SUBDB_LIST_MAX 1000

/* One row; every string is owned (NULL for SQL NULL); times are epoch ms, -1 for NULL. */
struct bpg_sub_row {
	char *submission_id;
	char *cluster_id;
	char *namespace;
	char *user;              /* the proxy user: the owner */
	char *original_user;
	char *app_name;
	char *spark_version;
	char *queue;
	char *status;            /* operator state; NULL until first observed */
	char *app_id;
	char *request_body;      /* masked */
	char *idempotency_key;
	char *error_message;
	char *driver_info;       /* JSON text */
	char *last_error;
	long long created_ms, updated_ms, status_ms, cr_created_ms, start_ms, finished_ms;
	long long execution_attempts, executor_count, max_running_millis;
	long long driver_core, driver_memory_mb, number_executor, executor_core, executor_memory_mb;
};

void bpg_sub_row_init(struct bpg_sub_row *r);
void bpg_sub_row_release(struct bpg_sub_row *r);

/*
 * Inserts a new submission (submission_id, cluster_id, namespace, user, original_user,
 * app_name, spark_version, queue, request_body, idempotency_key, max_running_millis and the
 * resources). BPG_ECONFLICT when the (user, idempotency_key) pair exists already.
 */
enum bpg_err bpg_subdb_insert(struct bpg_db *db, const struct bpg_sub_row *r);

/* Finds the submission id stored for (user, key) into *id_out (free()); BPG_ENOTFOUND if none. */
enum bpg_err bpg_subdb_find_idempotent(struct bpg_db *db, const char *user, const char *key,
    char **id_out);

/* Loads a row by submission id, or by Spark application id when by_app_id. BPG_ENOTFOUND. */
enum bpg_err bpg_subdb_get(struct bpg_db *db, const char *id, int by_app_id,
    struct bpg_sub_row *out);

/* Records the outcome of the CR create: last_error (NULL on success) and status (may be NULL). */
enum bpg_err bpg_subdb_set_created(struct bpg_db *db, const char *id, const char *status,
    const char *last_error, long long cr_created_ms);

/*
 * Records a delete: last_error = note and, unless the row is terminal already,
 * status FAILED with error_message note and finished now.
 */
enum bpg_err bpg_subdb_mark_deleted(struct bpg_db *db, const char *id, const char *note);

/*
 * Gives up on a create whose outcome is unknown (timeout, broken connection): status
 * SUBMISSION_FAILED with note as last_error and error_message, finished and abandoned now,
 * the idempotency key cleared. The monitor deletes the CR if it lands after all.
 */
enum bpg_err bpg_subdb_abandon(struct bpg_db *db, const char *id, const char *note);

/*
 * Writes what was observed on the cluster: status, app_id, error_message, driver_info,
 * execution_attempts, executor_count, start/finished/cr_created times; status_time = now.
 * Terminal rows keep their finished time. Returns BPG_OK (also when nothing changed).
 */
enum bpg_err bpg_subdb_observe(struct bpg_db *db, const struct bpg_sub_row *r);

/*
 * Ends a row that will never be observed again: status (terminal), error_message and
 * last_error, finished now; only while the row is not terminal already.
 */
enum bpg_err bpg_subdb_finalize(struct bpg_db *db, const char *id, const char *status,
    const char *message);

/* Records the gateway's own note on a row (last_error, and error_message when given). */
enum bpg_err bpg_subdb_note(struct bpg_db *db, const char *id, const char *note,
    int also_message);

/* The monitor's last run (table monitor_run); BPG_ENOTFOUND before the first. */
struct bpg_monitor_run {
	long long started_ms, finished_ms;
	char outcome[16];
	long long clusters, objects, changed, finalized, stopped;
};
enum bpg_err bpg_subdb_monitor_run(struct bpg_db *db, struct bpg_monitor_run *out);

/* Filters for lists; NULL/-1 means no filter. */
struct bpg_sub_filter {
	const char *user;
	const char *status;
	const char *queue;
	const char *app_name;
	long long created_after_ms;
	long long created_before_ms;
	/* cursor: rows strictly older than (cursor_ms, cursor_id) */
	long long cursor_ms;
	const char *cursor_id;
	long limit;
};

/*
 * Lists newest first; calls fn for each row (the row is valid only during the call).
 * *more_out is 1 when more rows follow the page.
 */
enum bpg_err bpg_subdb_list(struct bpg_db *db, const struct bpg_sub_filter *f,
    enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx, int *more_out);

#endif
