/* bpg_reconcile: what bpg-monitor decides for each row and SparkApplication (pure: no I/O).
 * Its SQL is bpg_recstore. */
#ifndef BPG_RECONCILE_H
#define BPG_RECONCILE_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_subrow.h"

#define BPG_RECONCILE_GRACE_MS 120000LL   /* a submit in flight is not touched before this */
#define BPG_RECONCILE_MAX_MS   (10LL * 365 * 86400 * 1000)   /* bound of a maxRunningMillis */
#define BPG_RECONCILE_STOP_NOTE "stopped by bpg-monitor"      /* prefix of the stop reason */

/* ---- decisions (pure: no I/O) ---- */

/* What the monitor does with an open (not final) row whose SparkApplication it did not list. */
enum bpg_missing {
	BPG_MISSING_WAIT = 0,       /* younger than the grace: a submit may be in flight */
	BPG_MISSING_NEVER_CREATED,  /* the create never finished: a gateway failure */
	BPG_MISSING_LOST,           /* it existed and is gone before a final state: FAILED */
};

/*
 * Fills out with one cluster entry per distinct (API server, namespace): the entries the
 * monitor lists, once each even when several share them (weight 0 included: a drained
 * cluster's apps are still followed). out holds cfg->n_clusters slots. Returns how many.
 */
size_t bpg_reconcile_targets(const struct bpg_config *cfg, const struct bpg_cluster **out);

/* True when c lists the same (API server, namespace) as target. */
int bpg_reconcile_same_target(const struct bpg_cluster *target, const struct bpg_cluster *c);

/* True when cr carries the label app.kubernetes.io/managed-by=bpg: one of ours. */
int bpg_reconcile_is_ours(const cJSON *cr);

/*
 * What the CR says, as a row observation: bpg_appstate_observe() plus app_name
 * (spec.sparkConf "spark.app.name"); a final state without terminationTime finishes at
 * now_ms. obs->submission_id is left to the caller. Release with bpg_sub_row_release().
 * BPG_ENOMEM.
 */
enum bpg_err bpg_reconcile_observe(const cJSON *cr, long long now_ms, struct bpg_sub_row *obs);

/*
 * Keeps the monitor's stop reason visible: when row->last_error starts with
 * BPG_RECONCILE_STOP_NOTE, obs->error_message becomes "<reason>; operator: <its message>"
 * (or the reason alone). BPG_ENOMEM.
 */
enum bpg_err bpg_reconcile_keep_note(const struct bpg_sub_row *row, struct bpg_sub_row *obs);

/*
 * True when the observation differs from the stored row in anything the monitor writes
 * (times and app name only count while the row has none: they are written once), or is
 * of another resourceVersion (the attempt counters live in the object, not the row).
 */
int bpg_reconcile_changed(const struct bpg_sub_row *row, const struct bpg_sub_row *obs);

/*
 * What to do with an open row whose SparkApplication was not listed. The grace
 * counts from the row's creation (or the CR's, if later).
 */
enum bpg_missing bpg_reconcile_missing(const struct bpg_sub_row *row, long long now_ms,
    long long grace_ms);

/*
 * The run-time limit of an app: the row's max_running_millis when set (> 0), else the CR
 * label maxRunningMillis when it is a number in 1..BPG_RECONCILE_MAX_MS, else
 * BPG_DEFAULT_MAX_RUNNING_MS. label may be NULL.
 */
long long bpg_reconcile_max_running(long long row_max_ms, const char *label);

/*
 * True when obs is RUNNING for longer than max_ms counted from its start (not its
 * creation, so queueing does not count); *ran_ms gets how long. max_ms <= 0: never.
 */
int bpg_reconcile_overrunning(const struct bpg_sub_row *obs, long long max_ms, long long now_ms,
    long long *ran_ms);

/* One run's counts. */
struct bpg_reconcile_run {
	long long started_ms;
	int clusters;          /* distinct (API server, namespace) targets */
	int failed;            /* targets that could not be listed */
	int fatal;             /* database lost, lock lost: nothing more was done */
	long long objects, changed, finalized, stopped, restarts;
	long long orphans;     /* CRs of abandoned creates deleted */
};

/* The exit code: 0 every target reconciled; 2 some failed; 1 fatal (database, lock). */
int bpg_reconcile_exit_code(const struct bpg_reconcile_run *r);

/* "ok", "partial" (some targets failed), "failed" (every target, or fatal). */
const char *bpg_reconcile_outcome(const struct bpg_reconcile_run *r);

/*
 * Observations written together by one statement (the rows of a page, bpg_recstore_batch_write):
 * a JSON array read by JSON_TABLE, so a page costs one round trip and one commit however
 * many rows changed.
 */
struct bpg_reconcile_batch {
	cJSON *rows;    /* [{"id":..,"status":..,...}], keys absent for unknown values */
	size_t n;
};

void bpg_reconcile_batch_init(struct bpg_reconcile_batch *b);
void bpg_reconcile_batch_release(struct bpg_reconcile_batch *b);

/*
 * Adds a copy of obs (submission_id and status must be set), strings cut to their columns
 * (255 bytes, TEXT 65535) at a UTF-8 boundary. BPG_EINVAL, BPG_ENOMEM.
 */
enum bpg_err bpg_reconcile_batch_add(struct bpg_reconcile_batch *b, const struct bpg_sub_row *obs);

#endif
