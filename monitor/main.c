/* bpg-monitor: reconciles application_submission with every cluster, level-triggered, singleton. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_k8s.h"
#include "bpg_log.h"
#include "bpg_podlogarchive.h"
#include "bpg_reconcile.h"
#include "bpg_recstore.h"
#include "bpg_subdb.h"

#define PAGE_DEFAULT  500
#define PAGE_MAX      5000
#define MAX_RESTARTS  5          /* listings started over after 410 Expired, per target */
#define LOCK_WAIT_S   1
#define LOOP_MAX_S    86400
#define ERRORS_LIMIT  (64 << 10)
#define NAME_MAX_LEN  253        /* a Kubernetes object name */
#define WHY           512

/* An owned, growable list of ids. */
struct ids {
	char **v;
	size_t n, cap;
};

/* Open (not final) rows of one target, sorted by id: those a page names, or a keyset page. */
struct rows {
	struct bpg_sub_row *v;
	size_t n, cap;
};

/*
 * The open rows of a target when its listing began, as sorted 64-bit FNV-1a hashes of their
 * ids (9 bytes a row with its seen mark, where whole rows would take hundreds: the rows
 * themselves are read a page at a time), and the rows whose create the gateway abandoned
 * (sorted). Owned; during the listing the marks are the lister thread's alone.
 */
struct seen {
	uint64_t *v;
	char *mark;
	size_t n, cap;
	struct ids abandoned;
};

/*
 * The lister: a thread that lists target t page by page (its own Kubernetes connection),
 * reads each page's rows (its own database connection) and decides the page while the
 * writer (the main thread) writes the page before: one decided page at most waits in ready.
 */
struct lister {
	struct monitor *m;
	const struct bpg_cluster *t;
	struct seen *seen;       /* the open rows; the marks are the lister's until it ends */
	char *clusters;          /* JSON array of the cluster ids that point at t */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct page *ready;
	struct page *spent;      /* written: the lister frees it (off the writer's path) */
	int done;                /* the thread ended: no page follows ready */
	int stop;                /* the writer takes no more pages */
	int fatal;               /* the rows could not be read: the run ends */
	char why[2 * WHY];       /* why the listing ended early ("" when it did not) */
};

/* Over-running apps of one page: the reason is written, then the driver pod deleted. */
struct stop {
	char id[NAME_MAX_LEN + 1];
	char pod[NAME_MAX_LEN + 1];
	char note[WHY];          /* "" when the row has the reason already */
};
struct stops {
	struct stop *v;
	size_t n, cap;
};


struct monitor {
	const struct bpg_config *cfg;
	struct bpg_db *db;
	struct bpg_k8s *k8s;
	struct bpg_db *list_db;   /* the lister's: reads only */
	struct bpg_k8s *list_k8s; /* the lister's: lists only */
	struct bpg_s3 *s3;       /* NULL: no log archiving */
	long archive_max;        /* submissions archived per run */
	long long grace_ms;
	long page;
};

/* One run: its counts and its errors ("; "-separated clauses). */
struct run {
	struct bpg_reconcile_run r;
	struct bpg_podlogarchive_stats archive;
	struct bpg_buf errors;
	int target_failed;       /* a write for the current target failed */
};

/*
 * One page, decided by the lister thread (which lists, reads the rows, compares: the parsed
 * page never leaves it) and handed to the writer (the main thread, which holds the lock):
 * its changed rows, the orphans to delete, the apps to stop, its counts and errors. Owned.
 */
struct page {
	cJSON *list;             /* the lister's, freed before the hand-over */
	struct rows rows;        /* the open rows of ours that its items name (same) */
	struct bpg_reconcile_batch batch;
	struct ids orphans;      /* listed CRs of abandoned creates */
	struct stops stops;
	struct run dr;           /* what deciding counted (objects) and its errors */
	int restarts;            /* listings started over (410) before this page */
	int last;                /* no page follows */
};

/* SIGTERM/SIGINT: the run in progress finishes (a run is bounded), then the monitor exits. */
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

	(void)clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void run_error(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds one clause to the run's errors (the summary line and monitor_run show them). */
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

/* ---- the rows ---- */

static int
dup_str(char **dst, const char *src)
{
	return src == NULL || (*dst = strdup(src)) != NULL ? 0 : -1;
}

/* Copies a borrowed row into the set (its strings duplicated). */
static enum bpg_err
collect(void *ctx, const struct bpg_sub_row *row)
{
	struct rows *o = ctx;
	struct bpg_sub_row *dst;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct bpg_sub_row *v = realloc(o->v, cap * sizeof(*v));
		if (v == NULL)
			return BPG_ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	dst = &o->v[o->n];
	*dst = *row;
	dst->submission_id = dst->status = dst->app_id = dst->app_name = NULL;
	dst->error_message = dst->driver_info = dst->last_error = dst->claim_owner = NULL;
	if (dup_str(&dst->submission_id, row->submission_id) || dup_str(&dst->status, row->status) ||
	    dup_str(&dst->claim_owner, row->claim_owner) ||
	    dup_str(&dst->app_id, row->app_id) || dup_str(&dst->app_name, row->app_name) ||
	    dup_str(&dst->error_message, row->error_message) ||
	    dup_str(&dst->driver_info, row->driver_info) || dup_str(&dst->last_error, row->last_error)) {
		bpg_sub_row_release(dst);
		return BPG_ENOMEM;
	}
	o->n++;
	return BPG_OK;
}

static enum bpg_err
ids_add(void *ctx, const char *id)
{
	struct ids *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return BPG_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(id)) == NULL)
		return BPG_ENOMEM;
	l->n++;
	return BPG_OK;
}

static void
ids_release(struct ids *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Empties o, keeping its storage for the next page. */
static void
rows_reset(struct rows *o)
{
	for (size_t i = 0; i < o->n; i++)
		bpg_sub_row_release(&o->v[i]);
	o->n = 0;
}

static void
rows_release(struct rows *o)
{
	rows_reset(o);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* 64-bit FNV-1a of id: what the seen set keeps of a row (a collision only delays a row). */
static uint64_t
id_hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}

static int
hash_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Adds an open row (a callback of bpg_recstore_open_rows), before the listing. */
static enum bpg_err
open_add(void *ctx, const struct bpg_sub_row *row)
{
	struct seen *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return BPG_ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id_hash(row->submission_id);
	return BPG_OK;
}

/* The index of id among the open rows, or -1. */
static long
open_find(const struct seen *s, const char *id)
{
	uint64_t h = id_hash(id);
	const uint64_t *p = s->n > 0 ? bsearch(&h, s->v, s->n, sizeof(h), hash_cmp) : NULL;

	return p != NULL ? (long)(p - s->v) : -1;
}

static void
seen_mark(struct seen *s, const char *id)
{
	long i = open_find(s, id);

	if (i >= 0)
		s->mark[i] = 1;
}

static void
seen_release(struct seen *s)
{
	ids_release(&s->abandoned);
	free(s->v);
	free(s->mark);
	memset(s, 0, sizeof(*s));
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bpg_sub_row *)a)->submission_id,
	    ((const struct bpg_sub_row *)b)->submission_id);
}

/* Binary search over the sorted rows; NULL when id is not an open row of ours. */
static struct bpg_sub_row *
find_row(const struct rows *o, const char *id)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(o->v[mid].submission_id, id);
		if (c == 0)
			return &o->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- stopping over-running apps ---- */

/* True for a plausible pod name (DNS-1123 subdomain characters, bounded). */
static int
pod_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

/* Queues the stop of an over-running app (see do_stops). */
static void
plan_stop(const cJSON *item, const struct bpg_sub_row *row, long long ran, long long max,
    struct stops *s, struct run *r)
{
	const cJSON *pn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "status"), "driverInfo"), "podName");
	struct stop *st;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct stop *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL) {
			run_error(r, "out of memory stopping %s", row->submission_id);
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	st = &s->v[s->n++];
	snprintf(st->id, sizeof(st->id), "%s", row->submission_id);
	if (cJSON_IsString(pn) && pod_name_ok(pn->valuestring))
		snprintf(st->pod, sizeof(st->pod), "%s", pn->valuestring);
	else
		snprintf(st->pod, sizeof(st->pod), "%.*s-driver", NAME_MAX_LEN - 7, row->submission_id);
	st->note[0] = '\0';
	if (row->last_error == NULL || strncmp(row->last_error, BPG_RECONCILE_STOP_NOTE,
	    sizeof(BPG_RECONCILE_STOP_NOTE) - 1) != 0)
		snprintf(st->note, sizeof(st->note), BPG_RECONCILE_STOP_NOTE ": running %lld ms, "
		    "longer than its maxRunningMillis %lld", ran, max);
}

/*
 * Stops the queued apps the way the operator expects: the reason goes to the row first
 * (last_error and error_message), then the driver pod is deleted and the operator fails
 * the app. A run killed in between leaves the reason; the next run deletes the pod.
 * Returns -1 when the run must end (database lost).
 */
static int
do_stops(struct monitor *m, const struct bpg_cluster *c, struct stops *s, struct run *r)
{
	char why[WHY];
	enum bpg_err err;

	for (size_t i = 0; i < s->n && !r->r.fatal; i++) {
		struct stop *st = &s->v[i];
		if (st->note[0] != '\0' &&
		    (err = bpg_subdb_note(m->db, st->id, st->note, 1)) != BPG_OK) {
			db_error(r, err, "stop note of", st->id);
			continue;   /* never stopped without its reason recorded */
		}
		err = bpg_k8s_delete_pod(m->k8s, c, st->pod, why, sizeof(why));
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

/* ---- one SparkApplication ---- */

/* Adds what cr says about row to batch when it changed anything. */
static void
observe_into(const cJSON *cr, const struct bpg_sub_row *row, struct bpg_sub_row *obs,
    long long now, struct bpg_reconcile_batch *batch, struct run *r)
{
	if (bpg_reconcile_observe(cr, now, obs) != BPG_OK ||
	    (obs->submission_id = strdup(row->submission_id)) == NULL ||
	    bpg_reconcile_keep_note(row, obs) != BPG_OK) {
		run_error(r, "out of memory observing %s", row->submission_id);
		return;
	}
	if (bpg_reconcile_changed(row, obs) && bpg_reconcile_batch_add(batch, obs) != BPG_OK)
		run_error(r, "out of memory observing %s", row->submission_id);
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

/* One listed SparkApplication against its row (the lister thread): its decisions go to pg. */
static void
reconcile_item(const cJSON *item, const struct rows *rows, struct seen *seen,
    struct page *pg, long long now)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(item, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
	const cJSON *lbl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(md,
	    "labels"), "maxRunningMillis");
	struct bpg_sub_row obs, *row;
	struct run *r = &pg->dr;
	long long ran, max;

	r->r.objects++;
	if (!bpg_reconcile_is_ours(item) || !cJSON_IsString(name))
		return;   /* not ours: left alone */
	if ((row = find_row(rows, name->valuestring)) == NULL) {
		const char *key = name->valuestring;
		/* a create the gateway gave up on that landed after all: it must not run unseen */
		if (seen->abandoned.n > 0 && bsearch(&key, seen->abandoned.v, seen->abandoned.n,
		    sizeof(char *), id_cmp) != NULL && ids_add(&pg->orphans, key) != BPG_OK)
			run_error(r, "out of memory");
		return;   /* not in our table, or final there: left alone */
	}
	seen_mark(seen, row->submission_id);
	bpg_sub_row_init(&obs);
	observe_into(item, row, &obs, now, &pg->batch, r);
	max = bpg_reconcile_max_running(row->max_running_millis,
	    cJSON_IsString(lbl) ? lbl->valuestring : NULL);
	if (bpg_reconcile_overrunning(&obs, max, now, &ran))
		plan_stop(item, row, ran, max, &pg->stops, r);
	bpg_sub_row_release(&obs);
}

/* Deletes the CRs of abandoned creates found on this page, noting why on their rows. */
static int
do_orphans(struct monitor *m, const struct bpg_cluster *c, struct ids *orphans, struct run *r)
{
	char why[WHY], note[WHY];
	enum bpg_err err;

	for (size_t i = 0; i < orphans->n && !r->r.fatal; i++) {
		const char *id = orphans->v[i];
		err = bpg_k8s_delete_app(m->k8s, c, id, NULL, why, sizeof(why));
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
static int
write_page(struct monitor *m, const struct bpg_cluster *t, struct page *pg, struct run *r)
{
	r->r.objects += pg->dr.r.objects;
	r->r.restarts += pg->restarts;
	if (pg->dr.errors.len > 0)
		run_error(r, "%s", pg->dr.errors.data);
	if (write_batch(m, t, &pg->batch, r) != 0 || do_orphans(m, t, &pg->orphans, r) != 0)
		return -1;
	return do_stops(m, t, &pg->stops, r);
}

/* ---- the lister thread ---- */

static void
page_free(struct page *pg)
{
	if (pg == NULL)
		return;
	cJSON_Delete(pg->list);
	rows_release(&pg->rows);
	bpg_reconcile_batch_release(&pg->batch);
	ids_release(&pg->orphans);
	free(pg->stops.v);
	bpg_buf_release(&pg->dr.errors);
	free(pg);
}

/* Reads the open rows of ours that the page's items name (one statement), sorted by id. */
static enum bpg_err
page_rows(struct lister *l, struct page *pg)
{
	cJSON *ids = cJSON_CreateArray();
	const cJSON *item;
	char *text = NULL;
	enum bpg_err err = BPG_ENOMEM;

	if (ids == NULL)
		return BPG_ENOMEM;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(pg->list, "items")) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(item, "metadata"), "name");
		cJSON *ref;
		if (!bpg_reconcile_is_ours(item) || !cJSON_IsString(name) ||
		    open_find(l->seen, name->valuestring) < 0)
			continue;   /* not one of the open rows: none to read */
		if ((ref = cJSON_CreateStringReference(name->valuestring)) == NULL ||
		    !cJSON_AddItemToArray(ids, ref)) {
			cJSON_Delete(ref);
			goto out;
		}
	}
	err = BPG_OK;
	if (cJSON_GetArraySize(ids) == 0)
		goto out;
	if ((text = cJSON_PrintUnformatted(ids)) == NULL) {
		err = BPG_ENOMEM;
		goto out;
	}
	err = bpg_recstore_page_rows(l->m->list_db, text, l->clusters, collect, &pg->rows);
	if (err == BPG_OK && pg->rows.n > 1)
		qsort(pg->rows.v, pg->rows.n, sizeof(pg->rows.v[0]), row_cmp);
out:
	cJSON_free(text);
	cJSON_Delete(ids);
	return err;
}

/* Decides every item of the page against its row, then frees what the writer needs not. */
static void
decide_page(struct lister *l, struct page *pg)
{
	const cJSON *item;
	long long now = now_ms();

	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(pg->list, "items"))
		reconcile_item(item, &pg->rows, l->seen, pg, now);
	cJSON_Delete(pg->list);
	pg->list = NULL;
	rows_release(&pg->rows);
}

/* Hands pg to the writer once it took the page before; 0, or -1 when it stopped. */
static int
lister_put(struct lister *l, struct page *pg)
{
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	while (l->ready != NULL && !l->stop)
		pthread_cond_wait(&l->cv, &l->mu);
	if (l->stop)
		rc = -1;
	else
		l->ready = pg;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* The next decided page, or NULL when the listing ended early (l->why says why). */
static struct page *
lister_take(struct lister *l)
{
	struct page *pg;

	pthread_mutex_lock(&l->mu);
	while (l->ready == NULL && !l->done)
		pthread_cond_wait(&l->cv, &l->mu);
	pg = l->ready;
	l->ready = NULL;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return pg;
}

/* Gives a written page back to the lister to free (the one before is freed here if it
 * is still there), so that the writer spends no time freeing. */
static void
lister_spent(struct lister *l, struct page *pg)
{
	struct page *old;

	pthread_mutex_lock(&l->mu);
	old = l->spent;
	l->spent = pg;
	pthread_mutex_unlock(&l->mu);
	page_free(old);
}

/* Fetches one page (starting over after 410 Expired, at most MAX_RESTARTS times). */
static struct page *
lister_fetch(struct lister *l, char **cont, int *restarts)
{
	char why[WHY];
	struct page *pg;
	const cJSON *next;
	enum bpg_err err;
	int again = 0;

	for (;;) {
		cJSON *list = NULL;
		err = bpg_k8s_list_apps(l->m->list_k8s, l->t, BPG_CRD_MANAGED_BY_KEY "="
		    BPG_CRD_MANAGED_BY, l->m->page, *cont, &list, why, sizeof(why));
		free(*cont);
		*cont = NULL;
		if (err == BPG_ECONFLICT && (*restarts)++ < MAX_RESTARTS) {   /* 410: start over */
			again++;
			memset(l->seen->mark, 0, l->seen->n);   /* what it saw is forgotten */
			continue;
		}
		if (err != BPG_OK) {
			snprintf(l->why, sizeof(l->why), "cluster %s: %s", l->t->id, why);
			return NULL;
		}
		if ((pg = calloc(1, sizeof(*pg))) == NULL) {
			cJSON_Delete(list);
			break;
		}
		pg->list = list;
		pg->restarts = again;
		bpg_reconcile_batch_init(&pg->batch);
		bpg_buf_init(&pg->dr.errors, ERRORS_LIMIT);
		next = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(list,
		    "metadata"), "continue");
		if (cJSON_IsString(next) && next->valuestring[0] != '\0' &&
		    (*cont = strdup(next->valuestring)) == NULL) {
			page_free(pg);
			break;   /* an incomplete listing finalizes nothing */
		}
		pg->last = *cont == NULL;
		return pg;
	}
	snprintf(l->why, sizeof(l->why), "cluster %s: out of memory", l->t->id);
	return NULL;
}

static void *
lister_main(void *arg)
{
	struct lister *l = arg;
	char *cont = NULL;
	int restarts = 0;
	enum bpg_err err;

	for (;;) {
		struct page *pg, *spent;
		int last;
		pthread_mutex_lock(&l->mu);
		spent = l->spent;
		l->spent = NULL;
		pthread_mutex_unlock(&l->mu);
		page_free(spent);
		if ((pg = lister_fetch(l, &cont, &restarts)) == NULL)
			break;
		if ((err = page_rows(l, pg)) != BPG_OK) {
			snprintf(l->why, sizeof(l->why), "database: cannot read the rows of cluster %s "
			    "(%s)", l->t->id, bpg_err_str(err));
			l->fatal = 1;
			page_free(pg);
			break;
		}
		decide_page(l, pg);
		last = pg->last;
		if (lister_put(l, pg) != 0) {
			page_free(pg);
			break;
		}
		if (last)
			break;
	}
	free(cont);
	pthread_mutex_lock(&l->mu);
	l->done = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* The JSON array of the ids of the clusters that point at target t, into l->clusters. */
static enum bpg_err
lister_clusters(struct lister *l)
{
	cJSON *a = cJSON_CreateArray();
	enum bpg_err err = BPG_ENOMEM;

	if (a == NULL)
		return BPG_ENOMEM;
	for (size_t i = 0; i < l->m->cfg->n_clusters; i++) {
		const struct bpg_cluster *c = &l->m->cfg->clusters[i];
		cJSON *id;
		if (!bpg_reconcile_same_target(l->t, c))
			continue;
		if ((id = cJSON_CreateString(c->id)) == NULL || !cJSON_AddItemToArray(a, id)) {
			cJSON_Delete(id);
			goto out;
		}
	}
	if ((l->clusters = cJSON_PrintUnformatted(a)) != NULL)
		err = BPG_OK;
out:
	cJSON_Delete(a);
	return err;
}

/* Lists every SparkApplication of ours on target t, page by page: 0, or -1 (failed). */
static int
list_target(struct monitor *m, const struct bpg_cluster *t, struct seen *seen, struct run *r)
{
	struct lister l;
	struct page *pg;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.m = m;
	l.t = t;
	l.seen = seen;
	if (lister_clusters(&l) != BPG_OK) {
		run_error(r, "cluster %s: out of memory", t->id);
		return -1;
	}
	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.cv, NULL);
	if (pthread_create(&l.thread, NULL, lister_main, &l) != 0) {
		run_error(r, "cluster %s: cannot start the lister thread", t->id);
		goto out;
	}
	while ((pg = lister_take(&l)) != NULL) {
		int last = pg->last;
		if (write_page(m, t, pg, r) != 0) {
			page_free(pg);
			break;
		}
		lister_spent(&l, pg);
		if (last) {
			rc = 0;
			break;
		}
	}
	pthread_mutex_lock(&l.mu);
	l.stop = 1;
	pthread_cond_broadcast(&l.cv);
	pthread_mutex_unlock(&l.mu);
	pthread_join(l.thread, NULL);
	page_free(l.ready);
	page_free(l.spent);
	if (rc != 0 && l.why[0] != '\0') {
		run_error(r, "%s", l.why);
		if (l.fatal)
			r->r.fatal = 1;
	}
out:
	pthread_cond_destroy(&l.cv);
	pthread_mutex_destroy(&l.mu);
	free(l.clusters);
	return rc;
}

/* ---- rows whose SparkApplication was not listed ---- */

/* Ends one row; the message says why (documented in monitor/README.md). */
static void
finalize_row(struct monitor *m, const struct bpg_cluster *t, const struct bpg_sub_row *row,
    enum bpg_missing what, struct run *r)
{
	char msg[WHY];
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
	char why[WHY];
	struct bpg_sub_row obs;
	enum bpg_err err = bpg_k8s_get_app(m->k8s, t, row->submission_id, &cr, why, sizeof(why));
	int rc = 0;

	if (err == BPG_OK && bpg_reconcile_is_ours(cr)) {
		bpg_sub_row_init(&obs);
		observe_into(cr, row, &obs, now_ms(), adopted, r);
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
missing_page(struct monitor *m, const struct bpg_cluster *t, const struct rows *rows,
    const struct seen *seen, struct bpg_reconcile_batch *adopted, struct run *r)
{
	long long now = now_ms();
	int rc = 0;

	for (size_t i = 0; i < rows->n && rc == 0; i++) {
		enum bpg_missing what;
		long k = open_find(seen, rows->v[i].submission_id);
		if (k < 0 || seen->mark[k])
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
finalize_missing(struct monitor *m, const struct bpg_cluster *t, struct seen *seen,
    struct run *r)
{
	struct bpg_reconcile_batch adopted;
	struct rows rows = { NULL, 0, 0 };
	char *after = NULL;
	size_t unseen = 0;
	int rc = 0;

	for (size_t i = 0; i < seen->n; i++)
		unseen += !seen->mark[i];
	if (unseen == 0)
		return 0;   /* the common case: no second read */
	bpg_reconcile_batch_init(&adopted);
	for (size_t i = 0; i < m->cfg->n_clusters && rc == 0 && !r->r.fatal; i++) {
		const struct bpg_cluster *c = &m->cfg->clusters[i];
		if (!bpg_reconcile_same_target(t, c))
			continue;
		for (;;) {
			enum bpg_err err = bpg_recstore_open_rows(m->db, c->id, after, m->page,
			    collect, &rows);
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
			rows_reset(&rows);
		}
		rows_reset(&rows);
	}
	free(after);
	rows_release(&rows);
	if (!r->r.fatal && write_batch(m, t, &adopted, r) != 0)
		rc = -1;
	bpg_reconcile_batch_release(&adopted);
	return rc;
}

/* ---- a target, a run ---- */

/* Reads the open rows (their hashes) and the abandoned creates of the clusters of t. */
static int
read_open(struct monitor *m, const struct bpg_cluster *t, struct seen *seen, struct run *r)
{
	for (size_t i = 0; i < m->cfg->n_clusters; i++) {
		const struct bpg_cluster *c = &m->cfg->clusters[i];
		enum bpg_err err;
		if (!bpg_reconcile_same_target(t, c))
			continue;
		if ((err = bpg_recstore_open_rows(m->db, c->id, NULL, LONG_MAX, open_add,
		    seen)) != BPG_OK ||
		    (err = bpg_recstore_abandoned(m->db, c->id, ids_add, &seen->abandoned)) != BPG_OK) {
			r->r.fatal = 1;
			run_error(r, "database: cannot read the rows of cluster %s (%s)", c->id,
			    bpg_err_str(err));
			return -1;
		}
	}
	if (seen->n > 1)
		qsort(seen->v, seen->n, sizeof(seen->v[0]), hash_cmp);
	if ((seen->mark = calloc(seen->n ? seen->n : 1, 1)) == NULL) {
		run_error(r, "cluster %s: out of memory", t->id);
		return -1;
	}
	if (seen->abandoned.n > 1)
		qsort(seen->abandoned.v, seen->abandoned.n, sizeof(char *), id_cmp);
	return 0;
}

/* Reconciles one (API server, namespace): every cluster id that points at it. */
static void
reconcile_target(struct monitor *m, const struct bpg_cluster *t, struct run *r)
{
	struct seen seen;
	int held = 0;
	enum bpg_err err;

	memset(&seen, 0, sizeof(seen));
	r->r.clusters++;
	r->target_failed = 0;
	if (read_open(m, t, &seen, r) != 0)
		goto out;
	if (list_target(m, t, &seen, r) != 0 || finalize_missing(m, t, &seen, r) != 0 ||
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
	seen_release(&seen);
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
	long long ms = now_ms() - r->r.started_ms;
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
		err = bpg_subdb_idem_expire(m->db, m->cfg->gateway.idempotency_ttl_s);
	if (err != BPG_OK)
		db_error(r, err, "expiry of the Idempotency-Keys", "");
}

/* One run; returns the exit code (0 ok, 2 partial, 1 fatal). */
static int
run_once(struct monitor *m)
{
	const struct bpg_cluster *targets[BPG_CONFIG_MAX_CLUSTERS];
	struct run r;
	size_t n;
	enum bpg_err err;
	int rc;

	memset(&r, 0, sizeof(r));
	r.r.started_ms = now_ms();
	bpg_buf_init(&r.errors, ERRORS_LIMIT);
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

/* ---- options, start-up ---- */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: bpg-monitor [--loop SECONDS] [--grace SECONDS] [--page-size N]\n"
	    "                   [--archive-max N] [--config CONFIG | CONFIG]\n"
	    "CONFIG: --config CONFIG, else the CONFIG argument, else $BPG_CONFIG, else\n"
	    BPG_CONFIG_DEFAULT_PATH ".\n"
	    "Reconciles the submission table with every cluster once (or every SECONDS with\n"
	    "--loop), then archives the logs of up to N (default 100, 0: none) ended apps to S3\n"
	    "when [s3] is configured. Exit 0: done (or another monitor holds the lock);\n"
	    "2: some clusters failed or some logs were not archived; 1: fatal (usage, config,\n"
	    "database). See monitor/README.md.\n");
}

/* Parses a decimal number in [min, max]; -1 when it is not one. */
static int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

struct opts {
	const char *config, *config_flag;
	long loop, grace, page, archive_max;
};

/* Fills o from argv; 0, 1 for --help, -1 for a usage error (said on stderr). */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long *dst = NULL, min = 0, max = 0;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strcmp(a, "--loop") == 0)
			dst = &o->loop, min = 1, max = LOOP_MAX_S;
		else if (strcmp(a, "--grace") == 0)
			dst = &o->grace, min = 0, max = LOOP_MAX_S;
		else if (strcmp(a, "--page-size") == 0)
			dst = &o->page, min = 1, max = PAGE_MAX;
		else if (strcmp(a, "--archive-max") == 0)
			dst = &o->archive_max, min = 0, max = 256;
		if (strcmp(a, "--config") == 0) {
			if (v == NULL) {
				fprintf(stderr, "bpg-monitor: --config wants a FILE\n");
				return -1;
			}
			o->config_flag = v;
			i++;
		} else if (dst != NULL) {
			if (v == NULL || parse_num(v, min, max, dst) != 0) {
				fprintf(stderr, "bpg-monitor: %s wants a number in %ld..%ld\n", a, min, max);
				return -1;
			}
			i++;
		} else if (o->config == NULL && a[0] != '-') {
			o->config = a;
		} else {
			fprintf(stderr, "bpg-monitor: unexpected argument \"%s\"\n", a);
			return -1;
		}
	}
	o->config = bpg_config_path(o->config_flag, o->config);
	return 0;
}

static void
on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

int
main(int argc, char **argv)
{
	struct opts o = { NULL, NULL, 0, BPG_RECONCILE_GRACE_MS / 1000, PAGE_DEFAULT, 100 };
	struct bpg_config *cfg = NULL;
	struct bpg_buf errors;
	struct monitor m;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 1;
	}
	bpg_buf_init(&errors, 0);
	if (bpg_config_load(o.config, &cfg, &errors) != BPG_OK) {
		fprintf(stderr, "%s", errors.data ? errors.data : "bpg-monitor: invalid config\n");
		bpg_buf_release(&errors);
		return 1;
	}
	bpg_buf_release(&errors);
	on_signals();
	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.grace_ms = o.grace * 1000LL;
	m.page = o.page;
	m.archive_max = o.archive_max;
	rc = 1;
	if (bpg_db_new(&cfg->database, &m.db) != BPG_OK || bpg_k8s_new(cfg, &m.k8s) != BPG_OK ||
	    bpg_db_new(&cfg->database, &m.list_db) != BPG_OK ||
	    bpg_k8s_new(cfg, &m.list_k8s) != BPG_OK) {
		fprintf(stderr, "bpg-monitor: out of memory\n");
		goto out;
	}
	if ((cfg->s3.log_bucket != NULL || cfg->s3.bucket != NULL) &&
	    bpg_s3_new(&cfg->s3, &m.s3) != BPG_OK)
		fprintf(stderr, "bpg-monitor: S3 is unusable: logs are not archived\n");
	for (;;) {
		rc = run_once(&m);
		if (o.loop == 0 || stop_requested)
			break;
		for (long s = 0; s < o.loop * 10 && !stop_requested; s++)
			(void)usleep(100000);
		if (stop_requested)
			break;
	}
out:
	bpg_s3_free(m.s3);
	bpg_k8s_free(m.list_k8s);
	bpg_k8s_free(m.k8s);
	bpg_db_free(m.list_db);
	bpg_db_free(m.db);
	bpg_config_free(cfg);
	return rc;
}
