/* bpg-monitor's run: the targets one after the other (each listed by the lister thread,
 * its pages written here), the rows that were not listed, then the run's record. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_log.h"
#include "bpg_recstore.h"
#include "bpg_idemdb.h"
#include "bpg_subdb.h"
#include "bpg_time.h"
#include "monitor.h"

#define LOCK_WAIT_S   1

/*
 * A database error: BPG_EUNAVAIL ends the run (fatal); another (an SQL error, logged by
 * bpg_db) fails the current target, and the run goes on with the next.
 */
static void
db_error(struct run *r, enum bpg_err err, const char *what, const char *id)
{
	if (err == BPG_EUNAVAIL) {
		r->r.fatal = 1;
		run_error(r, "database unavailable (%s)", what);
	} else {
		r->target_failed = 1;
		run_error(r, "database: %s %s failed (%s)", what, id, bpg_err_str(err));
	}
}

/* ---- a page's writes ---- */

/*
 * Stops the queued apps the way the operator expects: the reason goes to the row first
 * (last_error and error_message), then the driver pod is deleted and the operator fails
 * the app. A run killed in between leaves the reason; the next run deletes the pod.
 * Returns -1 when the run must end (database lost).
 */
static int
do_stops(struct monitor *m, const struct bpg_cluster *c, struct bpg_recset_stops *s,
    struct run *r)
{
	char why[MON_WHY];
	enum bpg_err err;

	for (size_t i = 0; i < s->n && !r->r.fatal; i++) {
		struct bpg_recset_stop *st = &s->v[i];
		if (st->note[0] != '\0' &&
		    (err = bpg_subdb_note(m->db, st->id, st->note, 1)) != BPG_OK) {
			db_error(r, err, "stop note of", st->id);
			continue;   /* never stopped without its reason recorded */
		}
		err = bpg_k8s_delete_pod(m->k8s, c, st->pod, BPG_WHY(why));
		if (err == BPG_OK) {
			r->r.stopped++;
			bpg_log(BPG_LOG_INFO, "monitor", "stopped an over-running application", "id",
			    st->id, "cluster", c->id, "pod", st->pod, NULL);
		} else if (err != BPG_ENOTFOUND) {   /* gone already: the operator is on it */
			run_error(r, "stop %s on cluster %s: %s", st->id, c->id, why);
		}
	}
	s->n = 0;
	return r->r.fatal ? -1 : 0;
}

/* Writes a batch of observations; -1 when the run must end. */
static int
write_batch(struct monitor *m, const struct bpg_cluster *t, struct bpg_reconcile_batch *batch,
    struct run *r)
{
	unsigned long long n = 0;
	enum bpg_err err = bpg_recstore_batch_write(m->db, batch, &n);

	if (err != BPG_OK)
		db_error(r, err, "update of the rows of cluster", t->id);
	r->r.changed += (long long)n;
	return r->r.fatal ? -1 : 0;
}

/* Deletes the CRs of abandoned creates found on this page, noting why on their rows. */
static int
do_orphans(struct monitor *m, const struct bpg_cluster *c, struct bpg_recset_ids *orphans,
    struct run *r)
{
	char why[MON_WHY], note[MON_WHY];
	enum bpg_err err;

	for (size_t i = 0; i < orphans->n && !r->r.fatal; i++) {
		const char *id = orphans->v[i];
		err = bpg_k8s_delete_app(m->k8s, c, id, NULL, BPG_WHY(why));
		if (err != BPG_OK && err != BPG_ENOTFOUND) {
			run_error(r, "delete of the abandoned %s on cluster %s: %s", id, c->id, why);
			continue;
		}
		r->r.orphans++;
		bpg_log(BPG_LOG_WARN, "monitor", "deleted a SparkApplication whose create the "
		    "gateway had given up on", "id", id, "cluster", c->id, NULL);
		snprintf(note, sizeof(note), "the SparkApplication appeared on cluster %s after the "
		    "gateway had given up on creating it; bpg-monitor deleted it", c->id);
		if ((err = bpg_subdb_note(m->db, id, note, 0)) != BPG_OK)
			db_error(r, err, "note of", id);
	}
	for (size_t i = 0; i < orphans->n; i++)
		free(orphans->v[i]);
	orphans->n = 0;
	return r->r.fatal ? -1 : 0;
}

/*
 * Writes what the lister decided for one page: its changed rows in one statement, then the
 * orphans and the stops (after the rows: a stop's note must not be overwritten by them).
 * -1: the run ends.
 */
int
mon_write_page(struct monitor *m, const struct bpg_cluster *t, struct page *pg, struct run *r)
{
	r->r.objects += pg->dec.objects;
	r->r.restarts += pg->restarts;
	if (pg->dec.errors.len > 0)
		run_error(r, "%s", pg->dec.errors.data);
	if (write_batch(m, t, &pg->dec.batch, r) != 0 || do_orphans(m, t, &pg->dec.orphans, r) != 0)
		return -1;
	return do_stops(m, t, &pg->dec.stops, r);
}

/* ---- rows whose SparkApplication was not listed ---- */

/* Ends one row; the message says why (documented in monitor/README.md). */
static void
finalize_row(struct monitor *m, const struct bpg_cluster *t, const struct bpg_sub_row *row,
    enum bpg_missing what, struct run *r)
{
	char msg[MON_WHY];
	enum bpg_err err;

	if (what == BPG_MISSING_NEVER_CREATED) {
		snprintf(msg, sizeof(msg), "the SparkApplication was never created on cluster %s: "
		    "the gateway worker handling it stopped before creating it, so nothing ran; a "
		    "retry with the same Idempotency-Key submits anew", t->id);
		err = bpg_subdb_fail_orphan(m->db, row->submission_id, row->claim_owner, msg);
		if (err == BPG_ECONFLICT)
			return;   /* a retry took it over meanwhile */
	} else {
		snprintf(msg, sizeof(msg), "the SparkApplication disappeared from cluster %s before "
		    "it ended (deleted outside the gateway, or removed by its TTL); last state %s",
		    t->id, row->status ? row->status : "unknown");
		err = bpg_subdb_finalize(m->db, row->submission_id, "FAILED", msg, 0);
	}
	if (err != BPG_OK)
		db_error(r, err, "finalize of", row->submission_id);
	else
		r->r.finalized++;
}

/*
 * A row past its grace whose CR was not listed: a GET by name confirms it is gone (a CR
 * created since the listing, or listed under another label, is adopted instead).
 * Returns 0, or -1 when the cluster or the database failed.
 */
static int
resolve_missing(struct monitor *m, const struct bpg_cluster *t, const struct bpg_sub_row *row,
    enum bpg_missing what, struct bpg_reconcile_batch *adopted, struct run *r)
{
	cJSON *cr = NULL;
	char why[MON_WHY];
	struct bpg_sub_row obs;
	enum bpg_err err = bpg_k8s_get_app(m->k8s, t, row->submission_id, &cr, BPG_WHY(why));
	int rc = 0;

	if (err == BPG_OK && bpg_reconcile_is_ours(cr)) {
		bpg_sub_row_init(&obs);
		if (bpg_recset_observe(cr, row, bpg_time_now_ms(), &obs, adopted) != BPG_OK)
			run_error(r, "out of memory observing %s", row->submission_id);
		bpg_sub_row_release(&obs);
	} else if (err == BPG_OK || err == BPG_ENOTFOUND) {
		finalize_row(m, t, row, what, r);
	} else {
		run_error(r, "cluster %s: %s", t->id, why);
		rc = -1;
	}
	cJSON_Delete(cr);
	return r->r.fatal ? -1 : rc;
}

/* 1 when the worker that claimed row still lives (or the database cannot tell). */
static int
claim_alive(struct monitor *m, const struct bpg_sub_row *row, struct run *r)
{
	int alive = 0;
	enum bpg_err err = bpg_db_claim_alive(m->db, row->claim_owner, &alive);

	if (err != BPG_OK) {
		db_error(r, err, "claim of", row->submission_id);
		return 1;
	}
	return alive;
}

/* The unseen rows of one keyset page of open rows: each past its grace is resolved. */
static int
missing_page(struct monitor *m, const struct bpg_cluster *t, const struct bpg_recset_rows *rows,
    const struct bpg_recset_seen *seen, struct bpg_reconcile_batch *adopted, struct run *r)
{
	long long now = bpg_time_now_ms();
	int rc = 0;

	for (size_t i = 0; i < rows->n && rc == 0; i++) {
		enum bpg_missing what;
		if (!bpg_recset_seen_missed(seen, rows->v[i].submission_id))
			continue;   /* seen, or opened since the listing began (the next run's) */
		what = bpg_reconcile_missing(&rows->v[i], now, m->grace_ms);
		if (what == BPG_MISSING_NEVER_CREATED && claim_alive(m, &rows->v[i], r))
			continue;   /* its worker is still at it (a slow create) */
		if (what != BPG_MISSING_WAIT)
			rc = resolve_missing(m, t, &rows->v[i], what, adopted, r);
	}
	return rc;
}

/*
 * After a complete listing: when some open row was not seen, the open rows of every
 * cluster id that points at t are read again, a keyset page at a time (a row that the
 * listing ended is final by now and not read), and every one not seen is resolved.
 */
static int
finalize_missing(struct monitor *m, const struct bpg_cluster *t, struct bpg_recset_seen *seen,
    struct run *r)
{
	struct bpg_reconcile_batch adopted;
	struct bpg_recset_rows rows = { NULL, 0, 0 };
	char *after = NULL;
	int rc = 0;

	if (bpg_recset_seen_unseen(seen) == 0)
		return 0;   /* the common case: no second read */
	bpg_reconcile_batch_init(&adopted);
	for (size_t i = 0; i < m->cfg->n_clusters && rc == 0 && !r->r.fatal; i++) {
		const struct bpg_cluster *c = &m->cfg->clusters[i];
		if (!bpg_reconcile_same_target(t, c))
			continue;
		for (;;) {
			enum bpg_err err = bpg_recstore_open_rows(m->db, c->id, after, m->page,
			    bpg_recset_rows_add, &rows);
			free(after);
			after = NULL;
			if (err != BPG_OK) {
				r->r.fatal = 1;
				run_error(r, "database: cannot read the rows of cluster %s (%s)", c->id,
				    bpg_err_str(err));
				rc = -1;
				break;
			}
			rc = missing_page(m, t, &rows, seen, &adopted, r);
			if (rc != 0 || rows.n < (size_t)m->page)
				break;
			if ((after = strdup(rows.v[rows.n - 1].submission_id)) == NULL) {
				run_error(r, "cluster %s: out of memory", c->id);
				rc = -1;
				break;
			}
			bpg_recset_rows_reset(&rows);
		}
		bpg_recset_rows_reset(&rows);
	}
	free(after);
	bpg_recset_rows_release(&rows);
	if (!r->r.fatal && write_batch(m, t, &adopted, r) != 0)
		rc = -1;
	bpg_reconcile_batch_release(&adopted);
	return rc;
}

/* ---- a target, a run ---- */

/* Reads the open rows (their hashes) and the abandoned creates of the clusters of t. */
static int
read_open(struct monitor *m, const struct bpg_cluster *t, struct bpg_recset_seen *seen, struct run *r)
{
	for (size_t i = 0; i < m->cfg->n_clusters; i++) {
		const struct bpg_cluster *c = &m->cfg->clusters[i];
		enum bpg_err err;
		if (!bpg_reconcile_same_target(t, c))
			continue;
		if ((err = bpg_recstore_open_rows(m->db, c->id, NULL, LONG_MAX, bpg_recset_seen_add,
		    seen)) != BPG_OK ||
		    (err = bpg_recstore_abandoned(m->db, c->id, bpg_recset_ids_add,
		    &seen->abandoned)) != BPG_OK) {
			r->r.fatal = 1;
			run_error(r, "database: cannot read the rows of cluster %s (%s)", c->id,
			    bpg_err_str(err));
			return -1;
		}
	}
	if (bpg_recset_seen_ready(seen) != BPG_OK) {
		run_error(r, "cluster %s: out of memory", t->id);
		return -1;
	}
	return 0;
}

/* Reconciles one (API server, namespace): every cluster id that points at it. */
static void
reconcile_target(struct monitor *m, const struct bpg_cluster *t, struct run *r)
{
	struct bpg_recset_seen seen;
	int held = 0;
	enum bpg_err err;

	memset(&seen, 0, sizeof(seen));
	r->r.clusters++;
	r->target_failed = 0;
	if (read_open(m, t, &seen, r) != 0)
		goto out;
	if (mon_list_target(m, t, &seen, r) != 0 || finalize_missing(m, t, &seen, r) != 0 ||
	    r->target_failed) {
		if (!r->r.fatal)
			r->r.failed++;
		goto out;
	}
	if ((err = bpg_recstore_lock_held(m->db, &held)) != BPG_OK || !held) {
		r->r.fatal = 1;   /* a reconnect lost the lock: another monitor may run now */
		run_error(r, "database: the monitor lock was lost");
	}
out:
	bpg_recset_seen_release(&seen);
}

/* Prints s as one logfmt value: quoted, '"' and '\\' escaped, control bytes as '?'. */
static void
print_quoted(const char *s)
{
	(void)putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			(void)putchar('\\');
		(void)putchar((unsigned char)*s < 0x20 ? '?' : *s);
	}
	(void)fputs("\"\n", stdout);
}

/* Writes the run to monitor_run, prints the summary line; returns the exit code. */
static int
finish_run(struct monitor *m, struct run *r)
{
	long long ms = bpg_time_now_ms() - r->r.started_ms;
	int rc = bpg_reconcile_exit_code(&r->r);
	enum bpg_err err;

	err = bpg_recstore_record_run(m->db, &r->r, ms, r->errors.len ? r->errors.data : NULL);
	if (err != BPG_OK) {
		run_error(r, "database: the run was not recorded (%s)", bpg_err_str(err));
		rc = 1;
	}
	if (rc == 0 && r->archive.failed > 0)
		rc = 2;   /* logs not archived (S3 or a cluster failing): a partial run */
	printf("bpg-monitor: outcome=%s clusters=%d failed=%d objects=%lld changed=%lld "
	    "finalized=%lld stopped=%lld restarts=%lld orphans=%lld archived=%lld archive_failed=%lld "
	    "archive_gone=%lld log_bytes=%llu ms=%lld errors=",
	    rc == 1 ? "failed" : rc == 2 && r->r.failed == 0 ? "partial" :
	    bpg_reconcile_outcome(&r->r), r->r.clusters, r->r.failed,
	    r->r.objects, r->r.changed, r->r.finalized, r->r.stopped, r->r.restarts, r->r.orphans,
	    r->archive.apps, r->archive.failed, r->archive.gone, r->archive.bytes, ms);
	print_quoted(r->errors.len ? r->errors.data : "");
	(void)fflush(stdout);
	return rc;
}

/* Copies the logs of apps that ended to S3 before their pods go (level-triggered). */
static void
archive_logs(struct monitor *m, struct run *r)
{
	enum bpg_err err = bpg_podlogarchive_run(m->cfg, m->db, m->k8s, m->s3,
	    (size_t)m->archive_max, &r->archive, &r->errors);

	if (err != BPG_OK)
		run_error(r, "database: log archiving stopped (%s)", bpg_err_str(err));
}

/* Frees the Idempotency-Keys older than [gateway] idempotency_ttl_s. */
static void
expire_keys(struct monitor *m, struct run *r)
{
	enum bpg_err err = bpg_subdb_expire_keys(m->db, m->cfg->gateway.idempotency_ttl_s, NULL);

	if (err == BPG_OK)
		err = bpg_idemdb_requests_expire(m->db, m->cfg->gateway.idempotency_ttl_s);
	if (err != BPG_OK)
		db_error(r, err, "expiry of the Idempotency-Keys", "");
}

/* One run; returns the exit code (0 ok, 2 partial, 1 fatal). */
int
mon_run_once(struct monitor *m)
{
	const struct bpg_cluster *targets[BPG_CONFIG_MAX_CLUSTERS];
	struct run r;
	size_t n;
	enum bpg_err err;
	int rc;

	memset(&r, 0, sizeof(r));
	r.r.started_ms = bpg_time_now_ms();
	bpg_buf_init(&r.errors, MON_ERRORS_LIMIT);
	err = bpg_db_lock(m->db, BPG_MONITOR_LOCK, LOCK_WAIT_S);
	if (err == BPG_ECONFLICT) {
		printf("bpg-monitor: another monitor is running (it holds the lock \"%s\"); "
		    "nothing to do\n", BPG_MONITOR_LOCK);
		(void)fflush(stdout);
		bpg_buf_release(&r.errors);
		return 0;
	}
	if (err != BPG_OK) {
		(void)bpg_buf_printf(&r.errors, "database unavailable: %s", bpg_db_last_error(m->db));
		printf("bpg-monitor: outcome=failed errors=");
		print_quoted(r.errors.data ? r.errors.data : "database unavailable");
		(void)fflush(stdout);
		bpg_buf_release(&r.errors);
		return 1;
	}
	n = bpg_reconcile_targets(m->cfg, targets);
	for (size_t i = 0; i < n && !r.r.fatal; i++)
		reconcile_target(m, targets[i], &r);
	if (!r.r.fatal)
		expire_keys(m, &r);
	if (!r.r.fatal && m->s3 != NULL && m->archive_max > 0)
		archive_logs(m, &r);
	rc = finish_run(m, &r);
	(void)bpg_db_lock(m->db, BPG_MONITOR_LOCK, 0);
	bpg_buf_release(&r.errors);
	return rc;
}

