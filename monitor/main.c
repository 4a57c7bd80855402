/* bpg-monitor: reconciles application_submission with every cluster, level-triggered, singleton. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bpg_appstate.h"
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_k8s.h"
#include "bpg_log.h"
#include "bpg_reconcile.h"
#include "bpg_subdb.h"

#define PAGE 500
#define MAX_RESTARTS 3
#define WHY 512

/* One run's counts. */
struct run {
	int clusters, failed;
	long objects, changed, finalized, stopped;
	struct bpg_buf errors;
};

/* The non-terminal rows of one cluster id, sorted by id, with a seen mark. */
struct open_rows {
	struct bpg_sub_row *v;
	char *seen;
	size_t n;
};

struct monitor {
	const struct bpg_config *cfg;
	struct bpg_db *db;
	struct bpg_k8s *k8s;
	long long grace_ms;
};

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
run_error(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
run_error(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->errors.len > 0)
		(void)bpg_buf_puts(&r->errors, "; ");
	va_start(ap, fmt);
	(void)bpg_buf_vprintf(&r->errors, fmt, ap);
	va_end(ap);
}

static enum bpg_err
collect(void *ctx, const struct bpg_sub_row *row)
{
	struct open_rows *o = ctx;
	struct bpg_sub_row *v = realloc(o->v, (o->n + 1) * sizeof(*v)), *dst;
	char *seen;

	if (v == NULL)
		return BPG_ENOMEM;
	o->v = v;
	if ((seen = realloc(o->seen, o->n + 1)) == NULL)
		return BPG_ENOMEM;
	o->seen = seen;
	dst = &o->v[o->n];
	*dst = *row;
	/* take a deep copy: the callback's row is reused */
	bpg_sub_row_init(dst);
	dst->created_ms = row->created_ms;
	dst->updated_ms = row->updated_ms;
	dst->start_ms = row->start_ms;
	dst->finished_ms = row->finished_ms;
	dst->cr_created_ms = row->cr_created_ms;
	dst->execution_attempts = row->execution_attempts;
	dst->executor_count = row->executor_count;
	dst->max_running_millis = row->max_running_millis;
	if ((row->submission_id && !(dst->submission_id = strdup(row->submission_id))) ||
	    (row->status && !(dst->status = strdup(row->status))) ||
	    (row->app_id && !(dst->app_id = strdup(row->app_id))) ||
	    (row->error_message && !(dst->error_message = strdup(row->error_message))) ||
	    (row->driver_info && !(dst->driver_info = strdup(row->driver_info)))) {
		bpg_sub_row_release(dst);
		return BPG_ENOMEM;
	}
	o->seen[o->n++] = 0;
	return BPG_OK;
}

static void
open_rows_release(struct open_rows *o)
{
	for (size_t i = 0; i < o->n; i++)
		bpg_sub_row_release(&o->v[i]);
	free(o->v);
	free(o->seen);
	memset(o, 0, sizeof(*o));
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bpg_sub_row *)a)->submission_id,
	    ((const struct bpg_sub_row *)b)->submission_id);
}

/* Binary search over the rows (sorted by id once they are read). */
static struct bpg_sub_row *
find_row(struct open_rows *o, const char *id, size_t *idx)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(o->v[mid].submission_id, id);
		if (c == 0) {
			*idx = mid;
			return &o->v[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Stops an over-running app the way the operator expects: its driver pod goes. */
static void
stop_app(struct monitor *m, const struct bpg_cluster *c, const cJSON *item,
    const struct bpg_sub_row *obs, long long ran, long long max, struct run *r)
{
	const cJSON *pn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "status"), "driverInfo"), "podName");
	char pod[300], why[WHY], note[WHY];
	enum bpg_err err;

	snprintf(pod, sizeof(pod), "%s", cJSON_IsString(pn) ? pn->valuestring : "");
	if (pod[0] == '\0')
		snprintf(pod, sizeof(pod), "%s-driver", obs->submission_id);
	err = bpg_k8s_delete_pod(m->k8s, c, pod, why, sizeof(why));
	if (err != BPG_OK && err != BPG_ENOTFOUND) {
		run_error(r, "stop %s: %s", obs->submission_id, why);
		return;
	}
	snprintf(note, sizeof(note), "stopped by bpg-monitor: running %lld ms, longer than its "
	    "maxRunningMillis %lld", ran, max);
	(void)bpg_subdb_note(m->db, obs->submission_id, note, 1);
	bpg_log(BPG_LOG_INFO, "monitor", "stopped an over-running application", "id",
	    obs->submission_id, "cluster", c->id, NULL);
	r->stopped++;
}

/* One listed SparkApplication against its row. */
static void
reconcile_item(struct monitor *m, const struct bpg_cluster *c, const cJSON *item,
    struct open_rows *rows, struct run *r, long long now)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(item,
	    "metadata"), "name");
	const cJSON *lbl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "metadata"), "labels"), "maxRunningMillis");
	struct bpg_sub_row obs, *row;
	long long ran, max;
	size_t idx;

	r->objects++;
	if (!cJSON_IsString(name) || (row = find_row(rows, name->valuestring, &idx)) == NULL)
		return;   /* terminal already, or not a row of ours: left alone */
	rows->seen[idx] = 1;
	bpg_sub_row_init(&obs);
	if (bpg_appstate_observe(item, &obs) != BPG_OK || (obs.submission_id = strdup(row->submission_id)) == NULL) {
		bpg_sub_row_release(&obs);
		return;
	}
	if (bpg_reconcile_changed(row, &obs)) {
		if (bpg_subdb_observe(m->db, &obs) == BPG_OK)
			r->changed++;
		else
			run_error(r, "update %s failed", row->submission_id);
	}
	max = row->max_running_millis > 0 ? row->max_running_millis :
	    cJSON_IsString(lbl) ? strtoll(lbl->valuestring, NULL, 10) : 0;
	if (bpg_reconcile_overrunning(&obs, max, now, &ran))
		stop_app(m, c, item, &obs, ran, max, r);
	bpg_sub_row_release(&obs);
}

/* Lists every SparkApplication of ours on the target, page by page; 0 or -1 on failure. */
static int
list_target(struct monitor *m, const struct bpg_cluster *c, struct open_rows *rows, struct run *r)
{
	char why[WHY], *cont = NULL;
	int restarts = 0;
	long long now = now_ms();

	for (;;) {
		cJSON *list = NULL, *item;
		const cJSON *next;
		enum bpg_err err = bpg_k8s_list_apps(m->k8s, c, BPG_CRD_MANAGED_BY_KEY "=" BPG_CRD_MANAGED_BY,
		    PAGE, cont, &list, why, sizeof(why));
		if (err == BPG_ECONFLICT && restarts++ < MAX_RESTARTS) {   /* 410: start over */
			free(cont);
			cont = NULL;
			memset(rows->seen, 0, rows->n);
			continue;
		}
		if (err != BPG_OK) {
			run_error(r, "cluster %s: %s", c->id, why);
			free(cont);
			return -1;
		}
		(void)bpg_subdb_begin(m->db);   /* one transaction per page of writes */
		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(list, "items"))
			reconcile_item(m, c, item, rows, r, now);
		(void)bpg_subdb_commit(m->db);
		next = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(list, "metadata"),
		    "continue");
		free(cont);
		cont = cJSON_IsString(next) && next->valuestring[0] ? strdup(next->valuestring) : NULL;
		cJSON_Delete(list);
		if (cont == NULL)
			return 0;
	}
}

/* Rows whose SparkApplication was not listed: never created, or lost. */
static void
finalize_missing(struct monitor *m, const struct bpg_cluster *c, struct open_rows *rows,
    struct run *r)
{
	long long now = now_ms();
	char msg[WHY];

	for (size_t i = 0; i < rows->n; i++) {
		enum bpg_missing what;
		if (rows->seen[i])
			continue;
		what = bpg_reconcile_missing(&rows->v[i], now, m->grace_ms);
		if (what == BPG_MISSING_WAIT)
			continue;
		if (what == BPG_MISSING_NEVER_CREATED)
			snprintf(msg, sizeof(msg), "the SparkApplication was never created on cluster %s "
			    "(the gateway's create did not finish)", c->id);
		else
			snprintf(msg, sizeof(msg), "the SparkApplication disappeared from cluster %s before "
			    "it ended (deleted outside the gateway, or removed by its TTL); last state %s",
			    c->id, rows->v[i].status ? rows->v[i].status : "unknown");
		if (bpg_subdb_finalize(m->db, rows->v[i].submission_id, what == BPG_MISSING_NEVER_CREATED ?
		    "SUBMISSION_FAILED" : "FAILED", msg) == BPG_OK)
			r->finalized++;
	}
}

/* Reconciles one (API server, namespace): every cluster id that points at it. */
static void
reconcile_target(struct monitor *m, const struct bpg_cluster *t, struct run *r)
{
	struct open_rows rows;
	int ok = 1;

	memset(&rows, 0, sizeof(rows));
	r->clusters++;
	for (size_t i = 0; i < m->cfg->n_clusters && ok; i++) {
		const struct bpg_cluster *c = &m->cfg->clusters[i];
		if (strcmp(c->api_server, t->api_server) == 0 && strcmp(c->namespace, t->namespace) == 0 &&
		    bpg_subdb_each_open(m->db, c->id, collect, &rows) != BPG_OK) {
			run_error(r, "database: cannot read the rows of cluster %s", c->id);
			ok = 0;
		}
	}
	if (ok && rows.n > 1)
		qsort(rows.v, rows.n, sizeof(rows.v[0]), row_cmp);
	if (ok && list_target(m, t, &rows, r) == 0)
		finalize_missing(m, t, &rows, r);   /* only after a complete listing */
	else
		r->failed++;
	open_rows_release(&rows);
}

static void
record_run(struct monitor *m, const struct run *r, long long started, const char *outcome)
{
	static const char sql[] = "INSERT INTO monitor_run (id, started_at, finished_at, outcome, "
	    "clusters, objects, changed, finalized, stopped, errors) VALUES (1, FROM_UNIXTIME(? / 1000), "
	    "CURRENT_TIMESTAMP(3), ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE started_at = "
	    "VALUES(started_at), finished_at = VALUES(finished_at), outcome = VALUES(outcome), "
	    "clusters = VALUES(clusters), objects = VALUES(objects), changed = VALUES(changed), "
	    "finalized = VALUES(finalized), stopped = VALUES(stopped), errors = VALUES(errors)";
	struct bpg_db_val p[] = { bpg_db_int(started), bpg_db_str(outcome), bpg_db_int(r->clusters),
	    bpg_db_int(r->objects), bpg_db_int(r->changed), bpg_db_int(r->finalized),
	    bpg_db_int(r->stopped), bpg_db_str(r->errors.len ? r->errors.data : NULL) };

	if (bpg_db_exec(m->db, sql, p, sizeof(p) / sizeof(p[0]), NULL, NULL, NULL) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "monitor", "could not record the run", NULL);
}

/* One run; returns the exit code (0 ok, 2 partial, 1 failed). */
static int
run_once(struct monitor *m)
{
	const struct bpg_cluster *targets[BPG_CONFIG_MAX_CLUSTERS];
	long long t0 = now_ms();
	size_t n;
	struct run r;
	enum bpg_err err;
	int rc;

	memset(&r, 0, sizeof(r));
	bpg_buf_init(&r.errors, 64 << 10);
	err = bpg_db_lock(m->db, BPG_MONITOR_LOCK, 1);
	if (err == BPG_ECONFLICT) {
		printf("bpg-monitor: another monitor is running; nothing to do\n");
		bpg_buf_release(&r.errors);
		return 0;
	}
	if (err != BPG_OK) {
		fprintf(stderr, "bpg-monitor: database unavailable: %s\n", bpg_db_last_error(m->db));
		bpg_buf_release(&r.errors);
		return 1;
	}
	n = bpg_reconcile_targets(m->cfg, targets);
	for (size_t i = 0; i < n && !stop_requested; i++)
		reconcile_target(m, targets[i], &r);
	rc = r.failed == 0 ? 0 : r.failed < r.clusters ? 2 : 1;
	record_run(m, &r, t0, rc == 0 ? "ok" : rc == 2 ? "partial" : "failed");
	(void)bpg_db_lock(m->db, BPG_MONITOR_LOCK, 0);
	printf("bpg-monitor: clusters=%d failed=%d objects=%ld changed=%ld finalized=%ld stopped=%ld "
	    "ms=%lld errors=%s\n", r.clusters, r.failed, r.objects, r.changed, r.finalized, r.stopped,
	    now_ms() - t0, r.errors.len ? r.errors.data : "none");
	fflush(stdout);
	bpg_buf_release(&r.errors);
	return rc;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: bpg-monitor [--loop SECONDS] [--grace SECONDS] CONFIG\n"
	    "Reconciles the submission table with every cluster once (or every SECONDS with\n"
	    "--loop). Exit 0: done (or another monitor holds the lock); 2: some clusters failed;\n"
	    "1: nothing could be done (config, database, every cluster).\n");
}

int
main(int argc, char **argv)
{
	const char *config = NULL;
	struct bpg_config *cfg = NULL;
	struct bpg_buf errors;
	struct monitor m;
	long loop = 0, grace = BPG_RECONCILE_GRACE_MS / 1000;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--loop") == 0 && i + 1 < argc) {
			loop = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
			grace = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (config == NULL && argv[i][0] != '-') {
			config = argv[i];
		} else {
			usage(stderr);
			return 1;
		}
	}
	if (config == NULL || loop < 0 || grace < 0) {
		usage(stderr);
		return 1;
	}
	bpg_buf_init(&errors, 0);
	if (bpg_config_load(config, &cfg, &errors) != BPG_OK) {
		fputs(errors.data ? errors.data : "bpg-monitor: invalid config\n", stderr);
		bpg_buf_release(&errors);
		return 1;
	}
	bpg_buf_release(&errors);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);
	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.grace_ms = grace * 1000LL;
	if (bpg_db_new(&cfg->database, &m.db) != BPG_OK || bpg_k8s_new(cfg, &m.k8s) != BPG_OK)
		goto out;
	do {
		rc = run_once(&m);
		for (long s = 0; loop > 0 && s < loop * 10 && !stop_requested; s++)
			usleep(100000);
	} while (loop > 0 && !stop_requested);
out:
	bpg_k8s_free(m.k8s);
	bpg_db_free(m.db);
	bpg_config_free(cfg);
	return rc;
}
