/* bpg_recstore: the monitor's SQL (prepared statements through bpg_db_exec): the open rows
 * of a cluster, a page's observations written in one statement, its lock, its last run. */
#ifndef BPG_RECSTORE_H
#define BPG_RECSTORE_H

#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_reconcile.h"
#include "bpg_subrow.h"

#define BPG_MONITOR_LOCK "bpg-monitor"

/*
 * Calls fn for each row of cluster_id that is not final (bpg_appstate_is_final) and whose
 * id sorts after after ("" or NULL: from the first), at most limit rows, in id order: a
 * keyset page. The columns are those the monitor needs (no request body): submission_id,
 * status, app_id, app_name, error_message, driver_info, last_error, execution_attempts,
 * executor_count, max_running_millis, created, cr_created, start and finished times,
 * resource_version, claim_owner. The row's strings are borrowed: valid during the call only,
 * never released by fn.
 */
enum bpg_err bpg_recstore_open_rows(struct bpg_db *db, const char *cluster_id, const char *after,
    long limit, enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx);

/*
 * Like bpg_recstore_open_rows for the rows named in ids_json (a JSON array of ids: the
 * SparkApplications of one listed page) whose cluster_id is in clusters_json (a JSON array
 * of cluster ids), not final, in no particular order: one statement per page, so the
 * monitor's memory is bounded by its page, not by its open rows.
 */
enum bpg_err bpg_recstore_page_rows(struct bpg_db *db, const char *ids_json,
    const char *clusters_json, enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r),
    void *ctx);

/*
 * Writes the batch to its rows (status, app_id, app_name once, error_message, driver_info,
 * counts, resource_version, start/CR-creation times once, finished time for final states,
 * status_time now) where bpg_appstate_may_replace() holds, in the statement: a newer
 * observation stored by a status read, a gateway failure and a final state (a concurrent
 * delete through the gateway) win. Then upserts each row's current attempt into
 * application_attempt. Empties the batch (also on failure). *written_out: how many rows
 * were updated.
 */
enum bpg_err bpg_recstore_batch_write(struct bpg_db *db, struct bpg_reconcile_batch *b,
    unsigned long long *written_out);

/* True (1) when this connection still holds BPG_MONITOR_LOCK (a reconnect loses it). */
enum bpg_err bpg_recstore_lock_held(struct bpg_db *db, int *held_out);

/* Upserts the single monitor_run row (id 1) with r, finished now. errors may be NULL. */
enum bpg_err bpg_recstore_record_run(struct bpg_db *db, const struct bpg_reconcile_run *r,
    long long duration_ms, const char *errors);

/* How long after giving up on a create the monitor still looks out for its CR. */
#define BPG_RECSTORE_ABANDONED_S 86400

/*
 * Calls fn with the id of each row of cluster_id whose create the gateway abandoned in
 * the last BPG_RECSTORE_ABANDONED_S seconds: a CR of that name is an orphan to delete.
 */
enum bpg_err bpg_recstore_abandoned(struct bpg_db *db, const char *cluster_id,
    enum bpg_err (*fn)(void *ctx, const char *id), void *ctx);

#endif
