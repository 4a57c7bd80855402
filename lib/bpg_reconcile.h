/* bpg_reconcile: what bpg-monitor decides for each row and SparkApplication (pure). */
#ifndef BPG_RECONCILE_H
#define BPG_RECONCILE_H

#include <stddef.h>
#include "bpg_config.h"
#include "bpg_subdb.h"

#define BPG_RECONCILE_GRACE_MS 120000LL   /* a submit in flight is not touched before this */
#define BPG_MONITOR_LOCK "bpg-monitor"

/* What the monitor does with a non-terminal row whose SparkApplication it did not see. */
enum bpg_missing {
	BPG_MISSING_WAIT = 0,       /* too young: a submit may be in flight */
	BPG_MISSING_NEVER_CREATED,  /* the create never finished: SUBMISSION_FAILED */
	BPG_MISSING_LOST,           /* it existed and is gone before a terminal state: FAILED */
};

/*
 * Fills out with one cluster entry per distinct (API server, namespace): the entries the
 * monitor lists, once each even when several share them. out holds cfg->n_clusters slots.
 * Returns how many.
 */
size_t bpg_reconcile_targets(const struct bpg_config *cfg, const struct bpg_cluster **out);

/* True when the observation differs from the stored row in anything the monitor writes. */
int bpg_reconcile_changed(const struct bpg_sub_row *row, const struct bpg_sub_row *obs);

/* What to do with row (non-terminal) when its SparkApplication was not listed. */
enum bpg_missing bpg_reconcile_missing(const struct bpg_sub_row *row, long long now_ms,
    long long grace_ms);

/*
 * True when obs is RUNNING for longer than max_ms counted from its start (not its
 * creation, so queueing does not count); *ran_ms gets how long. max_ms <= 0: never.
 */
int bpg_reconcile_overrunning(const struct bpg_sub_row *obs, long long max_ms, long long now_ms,
    long long *ran_ms);

#endif
