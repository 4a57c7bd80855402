/* bpg_subdb: the application_submission table: rows in and out, prepared statements only. */
#ifndef BPG_SUBDB_H
#define BPG_SUBDB_H

#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_subrow.h"

#define BPG_SUBDB_LIST_MAX 1000

/*
 * The statements of the hot paths, public so that bench/dbhello.c runs exactly the same SQL
 * as the gateway (its baseline of the irreducible database work).
 */
/*
 * The row of application_submission as the gateway moves it, described once. Each entry
 * X(kind, field, column, select, use, monitor):
 *   kind    STR (char *), MS (a TIMESTAMP read as epoch ms), NUM (long long), FLAG (int 0/1)
 *   field   its member of struct bpg_sub_row
 *   column  its column, as the INSERT names it
 *   select  what a SELECT reads for it (body: where the stored request goes, see below)
 *   use     RW: selected and inserted; R: selected only; W: inserted only
 *   monitor M: the monitor reads it (BPG_SUBDB_OPEN_COLS: no request body); N: not
 * The first entry goes to F, the others to X (so that lists need no trailing comma). It
 * makes the SELECT lists (BPG_SUBDB_COLS_BODY, BPG_SUBDB_OPEN_COLS), the INSERT
 * (BPG_SUBDB_INSERT_SQL) and, in bpg_subdb.c, the decoders' and the insert's field tables. The INSERT's parameters are
 * its entries in this order (bench/dbhello.c binds them).
 */
#define BPG_SUBDB_MS_(c) "CAST(UNIX_TIMESTAMP(" c ") * 1000 AS SIGNED)"
#define BPG_SUBDB_ROW(F, X, body) \
	F(STR, submission_id, "submission_id", "submission_id", RW, M) \
	X(STR, cluster_id, "cluster_id", "cluster_id", RW, N) \
	X(STR, namespace, "namespace", "namespace", RW, N) \
	X(STR, user, "`user`", "`user`", RW, N) \
	X(STR, original_user, "original_user", "original_user", RW, N) \
	X(STR, app_name, "app_name", "app_name", RW, M) \
	X(STR, spark_version, "spark_version", "spark_version", RW, N) \
	X(STR, queue, "queue", "queue", RW, N) \
	X(STR, request_body, "request_body", body, RW, N) \
	X(STR, summary_fields, "summary_fields", "", W, N) \
	X(STR, idempotency_key, "idempotency_key", "idempotency_key", RW, N) \
	X(NUM, max_running_millis, "max_running_millis", "max_running_millis", RW, M) \
	X(NUM, driver_core, "driver_core", "driver_core", RW, N) \
	X(NUM, driver_memory_mb, "driver_memory_mb", "driver_memory_mb", RW, N) \
	X(NUM, number_executor, "number_executor", "number_executor", RW, N) \
	X(NUM, executor_core, "executor_core", "executor_core", RW, N) \
	X(NUM, executor_memory_mb, "executor_memory_mb", "executor_memory_mb", RW, N) \
	X(STR, idem_fingerprint, "idem_fingerprint", "idem_fingerprint", RW, N) \
	X(STR, claim_owner, "claim_owner", "claim_owner", RW, M) \
	X(STR, status, "status", "status", R, M) \
	X(STR, app_id, "app_id", "app_id", R, M) \
	X(STR, error_message, "error_message", "error_message", R, M) \
	X(STR, driver_info, "driver_info", "driver_info", R, M) \
	X(STR, last_error, "last_error", "last_error", R, M) \
	X(STR, idem_response, "idem_response", "idem_response", R, N) \
	X(MS, created_ms, "created_time", BPG_SUBDB_MS_("created_time"), R, M) \
	X(MS, updated_ms, "updated_time", BPG_SUBDB_MS_("updated_time"), R, N) \
	X(MS, status_ms, "status_time", BPG_SUBDB_MS_("status_time"), R, N) \
	X(MS, cr_created_ms, "cr_created_time", BPG_SUBDB_MS_("cr_created_time"), R, M) \
	X(MS, start_ms, "start_time", BPG_SUBDB_MS_("start_time"), R, M) \
	X(MS, finished_ms, "finished_time", BPG_SUBDB_MS_("finished_time"), R, M) \
	X(NUM, execution_attempts, "execution_attempts", "execution_attempts", R, M) \
	X(NUM, executor_count, "executor_count", "executor_count", R, M) \
	X(NUM, idem_status, "idem_status", "idem_status", R, N) \
	X(NUM, resource_version, "resource_version", "resource_version", R, M) \
	X(FLAG, gateway_failed, "gateway_failed", "gateway_failed", R, N)

/* The SELECT list: the selected entries (R, RW), comma-separated. */
#define BPG_SUBDB_SEL1_(k, f, c, s, u, m) s
#define BPG_SUBDB_SEL_(k, f, c, s, u, m) BPG_SUBDB_SEL_##u(s)
#define BPG_SUBDB_SEL_RW(s) ", " s
#define BPG_SUBDB_SEL_R(s) ", " s
#define BPG_SUBDB_SEL_W(s)
/* The INSERT's columns and placeholders: the inserted entries (RW, W). */
#define BPG_SUBDB_INS1_(k, f, c, s, u, m) c
#define BPG_SUBDB_INS_(k, f, c, s, u, m) BPG_SUBDB_INS_##u(c)
#define BPG_SUBDB_INS_RW(c) ", " c
#define BPG_SUBDB_INS_W(c) ", " c
#define BPG_SUBDB_INS_R(c)
#define BPG_SUBDB_Q1_(k, f, c, s, u, m) "?"
#define BPG_SUBDB_Q_(k, f, c, s, u, m) BPG_SUBDB_Q_##u
#define BPG_SUBDB_Q_RW ", ?"
#define BPG_SUBDB_Q_W ", ?"
#define BPG_SUBDB_Q_R
/* The monitor's columns (M). */
#define BPG_SUBDB_OPEN1_(k, f, c, s, u, m) s
#define BPG_SUBDB_OPEN_(k, f, c, s, u, m) BPG_SUBDB_OPEN_##m(s)
#define BPG_SUBDB_OPEN_M(s) ", " s
#define BPG_SUBDB_OPEN_N(s)
#define BPG_SUBDB_OPEN_COLS BPG_SUBDB_ROW(BPG_SUBDB_OPEN1_, BPG_SUBDB_OPEN_, "request_body")

#define BPG_SUBDB_COLS BPG_SUBDB_COLS_BODY("request_body")
/*
 * The columns with body_expr where the stored request goes: lists read only the fields they
 * show (summary_fields: rendered members since migration 0013, a JSON object from 0012), or
 * the whole request of a row from before those.
 */
#define BPG_SUBDB_LIST_BODY "COALESCE(summary_fields, request_body)"
#define BPG_SUBDB_COLS_BODY(body_expr) BPG_SUBDB_ROW(BPG_SUBDB_SEL1_, BPG_SUBDB_SEL_, body_expr)
/* One row by submission id (status). */
#define BPG_SUBDB_GET_SQL \
	"SELECT " BPG_SUBDB_COLS " FROM application_submission WHERE submission_id = ?"
/* The attempt history of a row, newest first: one more column after BPG_SUBDB_COLS. */
#define BPG_SUBDB_ATTEMPTS_COL \
	"(SELECT JSON_ARRAYAGG(JSON_OBJECT('submissionAttempt', t.submission_attempt, " \
	"'executionAttempt', t.execution_attempt, 'sparkApplicationId', t.app_id, " \
	"'state', t.state, 'submissionTime', " \
	"CAST(UNIX_TIMESTAMP(t.submitted_time) * 1000 AS SIGNED), 'terminationTime', " \
	"CAST(UNIX_TIMESTAMP(t.termination_time) * 1000 AS SIGNED), 'errorMessage', " \
	"t.error_message) ORDER BY t.submitted_time DESC, t.execution_attempt DESC, " \
	"t.submission_attempt DESC LIMIT " BPG_SUBDB_STR(BPG_SUBDB_ATTEMPTS_MAX) ") " \
	"FROM application_attempt t WHERE t.submission_id = application_submission.submission_id)"
#define BPG_SUBDB_STR_(x) #x
#define BPG_SUBDB_STR(x) BPG_SUBDB_STR_(x)
/* One row by submission id with its attempts (status on the own base path). */
#define BPG_SUBDB_GET_ATTEMPTS_SQL \
	"SELECT " BPG_SUBDB_COLS ", " BPG_SUBDB_ATTEMPTS_COL " FROM application_submission " \
	"WHERE submission_id = ?"
/*
 * The lists (bpg_subdb_list). Their filters beside the user's, each disabled by a NULL
 * parameter (14 parameters: status, queue, app_name, created after, created before, the cursor),
 * and their order: newest first, the submission id breaking ties (the keyset of the cursor).
 */
#define BPG_SUBDB_LIST_FILTERS \
	"(? IS NULL OR status = ?) AND " \
	"(? IS NULL OR queue = ?) AND (? IS NULL OR app_name = ?) AND " \
	"(? IS NULL OR created_time > FROM_UNIXTIME(? / 1000)) AND " \
	"(? IS NULL OR created_time < FROM_UNIXTIME(? / 1000)) AND " \
	"(? IS NULL OR created_time < FROM_UNIXTIME(? / 1000) OR " \
	" (created_time = FROM_UNIXTIME(? / 1000) AND submission_id < ?)) "
#define BPG_SUBDB_LIST_ORDER "ORDER BY created_time DESC, submission_id DESC LIMIT ?"
/* Everyone's (an admin's list): the filters, then the limit. */
#define BPG_SUBDB_LIST_ALL_SQL \
	"SELECT " BPG_SUBDB_COLS_BODY(BPG_SUBDB_LIST_BODY) " FROM application_submission WHERE " \
	BPG_SUBDB_LIST_FILTERS BPG_SUBDB_LIST_ORDER
/*
 * One user's: the rows they own and the rows they submitted for others, each branch read
 * newest first along its own index ((user, created_time), (original_user, created_time))
 * and cut at the limit, then merged. One filter over both columns (an OR) left MariaDB
 * sorting every row that passed the other filters, or walking created_time back past
 * every other user's newer rows: 60-300 ms a page at 20,000 rows where this takes under
 * 1 ms. Parameters: the user, the 14 of the filters, the limit; the same again; the limit.
 */
#define BPG_SUBDB_LIST_USER_BRANCH(col) \
	"(SELECT submission_id AS k_id, created_time AS k_created FROM application_submission " \
	"WHERE " col " = ? AND " BPG_SUBDB_LIST_FILTERS BPG_SUBDB_LIST_ORDER ")"
#define BPG_SUBDB_LIST_SQL \
	"SELECT " BPG_SUBDB_COLS_BODY(BPG_SUBDB_LIST_BODY) " FROM (" \
	BPG_SUBDB_LIST_USER_BRANCH("`user`") " UNION " BPG_SUBDB_LIST_USER_BRANCH("original_user") \
	") k STRAIGHT_JOIN application_submission ON submission_id = k.k_id " \
	"ORDER BY k.k_created DESC, k.k_id DESC LIMIT ?"
/* The submit's durable record, before the create (bpg_subdb_insert). */
#define BPG_SUBDB_INSERT_SQL \
	"INSERT INTO application_submission (" BPG_SUBDB_ROW(BPG_SUBDB_INS1_, BPG_SUBDB_INS_, "") \
	") VALUES (" BPG_SUBDB_ROW(BPG_SUBDB_Q1_, BPG_SUBDB_Q_, "") ")"
/* The submit's second commit, after the create (bpg_subdb_set_created). */
#define BPG_SUBDB_SET_CREATED_SQL \
	"UPDATE application_submission SET status = ?, last_error = ?, " \
	"cr_created_time = FROM_UNIXTIME(? / 1000), " \
	"finished_time = IF(? = 1, CURRENT_TIMESTAMP(3), finished_time), " \
	"gateway_failed = IF(? = 1, 1, gateway_failed) WHERE submission_id = ?"


/*
 * Inserts a new submission (submission_id, cluster_id, namespace, user, original_user,
 * app_name, spark_version, queue, request_body, summary_fields, idempotency_key,
 * max_running_millis and the resources). BPG_ECONFLICT when the (user, idempotency_key) pair exists already.
 */
enum bpg_err bpg_subdb_insert(struct bpg_db *db, const struct bpg_sub_row *r);

/*
 * Fills r from one row of SELECT BPG_SUBDB_OPEN_COLS (the monitor's columns), borrowed: its
 * strings are the column buffers (valid during the row callback; r is never released).
 * BPG_EINTERNAL for another column count.
 */
enum bpg_err bpg_subdb_open_row(unsigned ncols, const char *const *cols, struct bpg_sub_row *r);

/*
 * Finds the submission id stored for the key that the authenticated user (original_user)
 * sent, into *id_out (free()); BPG_ENOTFOUND if none.
 */
enum bpg_err bpg_subdb_find_idempotent(struct bpg_db *db, const char *user, const char *key,
    char **id_out);

/* Loads a row by submission id, or by Spark application id when by_app_id. BPG_ENOTFOUND. */
enum bpg_err bpg_subdb_get(struct bpg_db *db, const char *id, int by_app_id,
    struct bpg_sub_row *out);

/* The same, with out->attempts_json: the attempt history (BPG_SUBDB_ATTEMPTS_MAX, newest first). */
#define BPG_SUBDB_ATTEMPTS_MAX 50
enum bpg_err bpg_subdb_get_attempts(struct bpg_db *db, const char *id, int by_app_id,
    struct bpg_sub_row *out);

/*
 * Records the outcome of the CR create: last_error (NULL on success) and status (may be
 * NULL). Status SUBMISSION_FAILED is the gateway's own failure (gateway_failed: final).
 */
enum bpg_err bpg_subdb_set_created(struct bpg_db *db, const char *id, const char *status,
    const char *last_error, long long cr_created_ms);

/*
 * Records a delete: last_error = note and, unless the row is final already,
 * status FAILED with error_message note and finished now.
 */
enum bpg_err bpg_subdb_mark_deleted(struct bpg_db *db, const char *id, const char *note);

/*
 * Gives up on a create whose outcome is unknown (timeout, broken connection): status
 * SUBMISSION_FAILED (a gateway failure: final) with note as last_error and error_message,
 * finished and abandoned now, the idempotency key cleared. The monitor deletes the CR if
 * it lands after all.
 */
enum bpg_err bpg_subdb_abandon(struct bpg_db *db, const char *id, const char *note);

/* Frees the Idempotency-Key of a row (its request failed with a 5xx: a retry runs anew). */
enum bpg_err bpg_subdb_drop_idempotency(struct bpg_db *db, const char *id);

/*
 * Writes what was observed on the cluster: status, app_id, error_message, driver_info,
 * execution_attempts, executor_count, resource_version, start/cr_created times (once),
 * finished time (final states; cleared otherwise); status_time = now. Only when
 * bpg_appstate_may_replace() holds, decided in the UPDATE itself (race-free); a refused
 * observation of the resourceVersion the row holds only refreshes status_time. Then the
 * current attempt is upserted into application_attempt (newer resourceVersion wins per
 * attempt). *applied_out (may be NULL): 1 when the row took the observation.
 */
enum bpg_err bpg_subdb_observe(struct bpg_db *db, const struct bpg_sub_row *r, int *applied_out);

/*
 * SQL shared by the upserts of application_attempt (single and batched): on a known
 * attempt, the newer resourceVersion wins, column by column, resource_version last.
 */
#define BPG_SUBDB_ATTEMPT_NEWER_ \
	"(application_attempt.resource_version IS NULL OR " \
	"VALUES(resource_version) > application_attempt.resource_version)"
#define BPG_SUBDB_ATTEMPT_SET_(c) \
	c " = IF(" BPG_SUBDB_ATTEMPT_NEWER_ ", VALUES(" c "), application_attempt." c ")"
#define BPG_SUBDB_ATTEMPT_UPSERT \
	" ON DUPLICATE KEY UPDATE app_id = IF(" BPG_SUBDB_ATTEMPT_NEWER_ ", " \
	"COALESCE(VALUES(app_id), application_attempt.app_id), application_attempt.app_id), " \
	BPG_SUBDB_ATTEMPT_SET_("state") ", " BPG_SUBDB_ATTEMPT_SET_("error_message") ", " \
	BPG_SUBDB_ATTEMPT_SET_("termination_time") ", " BPG_SUBDB_ATTEMPT_SET_("resource_version")
#define BPG_SUBDB_ATTEMPT_COLS \
	"INSERT INTO application_attempt (submission_id, submission_attempt, execution_attempt, " \
	"submitted_time, app_id, state, error_message, termination_time, resource_version) "

/*
 * Ends a row that will never be observed again: status (final), error_message and
 * last_error, finished now, gateway_failed as given (1: its object was never created);
 * only while the row is not final already.
 */
enum bpg_err bpg_subdb_finalize(struct bpg_db *db, const char *id, const char *status,
    const char *message, int gateway_failed);

/* Records the gateway's own note on a row (last_error, and error_message when given). */
enum bpg_err bpg_subdb_note(struct bpg_db *db, const char *id, const char *note,
    int also_message);

/*
 * Idempotency-Key and claims (see bpg_idem.h and bpg_db_enable_claims).
 * take_over: moves a row nobody answered, created or finished from old_claim (a dead worker's;
 * NULL for none) to new_claim; BPG_ECONFLICT when another request won it, or the row moved on.
 */
enum bpg_err bpg_subdb_take_over(struct bpg_db *db, const char *id, const char *old_claim,
    const char *new_claim);

/* Stores the first answer (status and body) of a keyed request, for its retries. */
enum bpg_err bpg_subdb_set_response(struct bpg_db *db, const char *id, int status,
    const char *body);

/* Frees key (expired) on row id, when the row still holds it. */
enum bpg_err bpg_subdb_release_key(struct bpg_db *db, const char *id, const char *key);

/* Frees every key older than ttl_s (at most 10,000 a call); *n_out (may be NULL): how many. */
enum bpg_err bpg_subdb_expire_keys(struct bpg_db *db, long long ttl_s,
    unsigned long long *n_out);

/*
 * Ends a row whose worker died before creating its SparkApplication (claim still the dead
 * worker's, nothing created or observed): SUBMISSION_FAILED with note, its key freed unless a
 * first answer is stored. BPG_ECONFLICT when the row moved on meanwhile (a retry took it over).
 */
enum bpg_err bpg_subdb_fail_orphan(struct bpg_db *db, const char *id, const char *claim,
    const char *note);

/*
 * Apache Livy's batch ids (table livy_batch). livy_id: the id of submission_id's batch,
 * made on first use. livy_get: the submission of batch id (free()) and whether it was killed;
 * BPG_ENOTFOUND. livy_kill: marks batch id killed. livy_list: the batches of user (NULL: all;
 * the owner or the proxy account that submitted), oldest first from offset from, at most
 * size; *total_out counts them all.
 */
enum bpg_err bpg_subdb_livy_id(struct bpg_db *db, const char *submission_id, long long *id_out);
enum bpg_err bpg_subdb_livy_get(struct bpg_db *db, long long id, char **submission_id_out,
    int *killed_out);
enum bpg_err bpg_subdb_livy_kill(struct bpg_db *db, long long id);
enum bpg_err bpg_subdb_livy_list(struct bpg_db *db, const char *user, long long from,
    long long size,
    enum bpg_err (*fn)(void *ctx, long long id, int killed, const struct bpg_sub_row *r),
    void *ctx, long long *total_out);


/* The monitor's last run (table monitor_run); BPG_ENOTFOUND before the first. */
struct bpg_monitor_run {
	long long started_ms, finished_ms;
	char outcome[16];
	long long clusters, objects, changed, finalized, stopped;
};
enum bpg_err bpg_subdb_monitor_run(struct bpg_db *db, struct bpg_monitor_run *out);

/* Filters for lists; NULL/-1 means no filter. */
struct bpg_sub_filter {
	const char *user;           /* rows it owns (user) or submitted (original_user) */
	const char *status, *queue, *app_name;   /* equal to */
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
