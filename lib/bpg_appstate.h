/* bpg_appstate: a SparkApplication's state as stored, and the status JSON built from it. */
#ifndef BPG_APPSTATE_H
#define BPG_APPSTATE_H

#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_subdb.h"

#define BPG_DEFAULT_MAX_RUNNING_MS 43200000LL

/* bpg_time_parse_rfc3339 (bpg_time.h), kept for the callers of this name. */
long long bpg_appstate_parse_time(const char *s);

/* True for COMPLETED, FAILED and SUBMISSION_FAILED (the operator's terminal states). */
int bpg_appstate_is_terminal(const char *state);

/*
 * Copies what the CR says into obs (whose submission_id the caller sets): status
 * ("UNKNOWN" before the operator wrote a state; its "" for new is kept), app_id, error_message, driver_info (JSON
 * text), execution_attempts, executor_count, cr_created_ms, start_ms (lastSubmissionAttempt
 * or creation), finished_ms (terminationTime, terminal states only). obs strings are owned.
 */
enum bpg_err bpg_appstate_observe(const cJSON *cr, struct bpg_sub_row *obs);

/*
 * The GetSubmissionStatusResponse of spec 3.2 from a row: creationTime, sparkApplicationId,
 * executionAttempts, terminationTime, duration (always), applicationState ("UNKNOWN" when
 * none), applicationErrorMessage (with the max-running notes), sparkUIUrl (RUNNING and the
 * cluster has spark_ui_url). cluster may be NULL. now_ms is the current time.
 */
enum bpg_err bpg_appstate_status_json(const struct bpg_sub_row *row,
    const struct bpg_cluster *cluster, long long now_ms, cJSON **out);

/* A SubmissionSummary (spec 3.7) from a row. */
enum bpg_err bpg_appstate_summary_json(const struct bpg_sub_row *row,
    const struct bpg_cluster *cluster, long long now_ms, cJSON **out);

#define BPG_APPSTATE_DRIVER_C   "spark-kubernetes-driver"
#define BPG_APPSTATE_EXECUTOR_C "spark-kubernetes-executor"

/*
 * The container whose log is the pod's log: NULL for a pod of one container (the API
 * server picks it), else Spark's own (the driver's or an executor's), else the first.
 * Points into pod.
 */
const char *bpg_appstate_log_container(const cJSON *pod, int executor);

#endif
