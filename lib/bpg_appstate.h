/* bpg_appstate: a SparkApplication's state as stored, and the status JSON built from it. */
#ifndef BPG_APPSTATE_H
#define BPG_APPSTATE_H

#include <cJSON.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_subrow.h"

#define BPG_DEFAULT_MAX_RUNNING_MS 43200000LL

/* bpg_time_parse_rfc3339 (bpg_time.h), kept for the callers of this name. */
long long bpg_appstate_parse_time(const char *s);

/*
 * The one definition of "final" (../shared/crd/README.md, the operator's controller):
 * only COMPLETED and FAILED are final on the cluster (their reconcilers only apply the
 * TTL). SUBMISSION_FAILED is not (the operator resubmits, or moves it to FAILED), nor are
 * FAILING, SUCCEEDING, INVALIDATING, PENDING_RERUN, SUSPENDING, SUSPENDED, RESUMING, UNKNOWN.
 * A row is also final when the gateway never created its object (gateway_failed: the
 * API answers SUBMISSION_FAILED for it, with its own message). Every test of "final", in C
 * and in SQL, comes from this list.
 */
#define BPG_APPSTATE_FINAL_STATES(X, p) X(p, COMPLETED) X(p, FAILED)

#define BPG_APPSTATE_SQL_IS_(p, s) " OR COALESCE(" p "status, '') = '" #s "'"
/*
 * SQL: the row is final (p: the table prefix, "" or "a."). Use NOT BPG_APPSTATE_FINAL_SQL
 * for open rows: it is never NULL (a NULL status is open).
 */
#define BPG_APPSTATE_FINAL_SQL(p) \
	"(" p "gateway_failed <> 0" BPG_APPSTATE_FINAL_STATES(BPG_APPSTATE_SQL_IS_, p) ")"
/* SQL: the operator's own final states only (what has logs to archive). */
#define BPG_APPSTATE_OPERATOR_FINAL_SQL(p) \
	"(0" BPG_APPSTATE_FINAL_STATES(BPG_APPSTATE_SQL_IS_, p) ")"

/* How the status message of a gateway failure starts (the operator's has its own words). */
#define BPG_APPSTATE_GATEWAY_FAILED "the gateway did not create the SparkApplication"

/*
 * SQL of bpg_appstate_may_replace: the row (prefix p) may take an observation whose
 * resourceVersion is the SQL expression rv and whose finality is the SQL condition fin.
 * In the statement's WHERE, so concurrent writers never go back in time.
 */
#define BPG_APPSTATE_MAY_REPLACE_SQL(p, rv, fin) \
	"(" p "gateway_failed = 0 AND (" p "resource_version IS NULL OR " rv " > " p \
	"resource_version) AND (" fin " OR NOT " BPG_APPSTATE_FINAL_SQL(p) "))"

/* True when the operator will not move state on: COMPLETED or FAILED. */
int bpg_appstate_is_final_state(const char *state);

/* True when a row is final: a final state, or the gateway never created its object. */
int bpg_appstate_is_final(const char *status, int gateway_failed);

/*
 * Whether an observation may replace what a row holds (the rule the SQL of
 * bpg_subdb_observe and bpg_recstore_batch_write applies; this is its pure statement, for
 * tests and callers): never on a gateway failure; only when the observation is newer by
 * metadata.resourceVersion (row_rv < 0: unknown, any observation is newer; obs_rv < 0
 * against a known row_rv: not newer); and never a final state replaced by a non-final one.
 */
int bpg_appstate_may_replace(const char *row_status, int gateway_failed, long long row_rv,
    const char *obs_status, long long obs_rv);

/* metadata.resourceVersion as a number (the API server's etcd revision), -1 if not one. */
long long bpg_appstate_resource_version(const char *rv);

/*
 * Copies what the CR says into obs (whose submission_id the caller sets): status
 * ("UNKNOWN" before the operator wrote a state; its "" for new is kept), app_id (the
 * current attempt's; NULL when the CR has none, e.g. PENDING_RERUN), error_message,
 * driver_info (JSON text), execution_attempts, executor_count, cr_created_ms, start_ms
 * (lastSubmissionAttempt or creation), finished_ms (terminationTime, final states only),
 * resource_version, and the current attempt: submission_attempts, cr_execution_attempts,
 * submit_ms (lastSubmissionAttemptTime), termination_ms (terminationTime, any state).
 * obs strings are owned.
 */
enum bpg_err bpg_appstate_observe(const cJSON *cr, struct bpg_sub_row *obs);

/*
 * The GetSubmissionStatusResponse of spec 3.2 from a row: creationTime, sparkApplicationId,
 * executionAttempts, terminationTime, duration (always), applicationState ("UNKNOWN" when
 * none; SUBMISSION_FAILED for a gateway failure), applicationErrorMessage (with the
 * max-running notes; a gateway failure says so), sparkUIUrl (RUNNING and the cluster has
 * spark_ui_url; COMPLETED or FAILED with an app id and the cluster has spark_history_url),
 * and "attempts" when row->attempts_json is set (the caller sets it only on its own base
 * path: /skatev2 keeps BPG's fields). cluster may be NULL. now_ms is the current time.
 */
enum bpg_err bpg_appstate_status_json(const struct bpg_sub_row *row,
    const struct bpg_cluster *cluster, long long now_ms, cJSON **out);

/*
 * A SubmissionSummary (spec 3.7) from a row; dagName and applicationArguments come from the
 * stored request (row->request_body).
 */
enum bpg_err bpg_appstate_summary_json(const struct bpg_sub_row *row,
    const struct bpg_cluster *cluster, long long now_ms, cJSON **out);

/*
 * What a summary shows of a stored (masked) request, for its row's summary_fields: its
 * "dagName" and "applicationArguments" members rendered as the summary writes them
 * ("dagName":"...","applicationArguments":[...], no braces; always starting with '"'), which
 * a list copies into its page as they are. A row's request_body, or a summary_fields from
 * before migration 0013 (a JSON object, '{'), is read as before. malloc'd; NULL when out of
 * memory.
 */
char *bpg_appstate_summary_fields(const cJSON *stored);

/*
 * The same summary appended to out as compact JSON text, byte for byte what printing the
 * tree of bpg_appstate_summary_json() gives (lists write their pages this way). On failure
 * out is as it was.
 */
enum bpg_err bpg_appstate_summary_write(const struct bpg_sub_row *row,
    const struct bpg_cluster *cluster, long long now_ms, struct bpg_buf *out);

#define BPG_APPSTATE_DRIVER_C   "spark-kubernetes-driver"
#define BPG_APPSTATE_EXECUTOR_C "spark-kubernetes-executor"

/*
 * The container whose log is the pod's log: NULL for a pod of one container (the API
 * server picks it), else Spark's own (the driver's or an executor's), else the first.
 * Points into pod.
 */
const char *bpg_appstate_log_container(const cJSON *pod, int executor);

#endif
