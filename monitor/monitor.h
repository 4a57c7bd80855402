/* bpg-monitor's parts: main.c (options, the loop), run.c (one run: its targets, its writes,
 * the rows not listed), lister.c (the lister thread that lists and decides pages). */
#ifndef BPG_MONITOR_H
#define BPG_MONITOR_H

#include <cJSON.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_k8s.h"
#include "bpg_podlogarchive.h"
#include "bpg_reconcile.h"
#include "bpg_recset.h"

#define MON_PAGE_DEFAULT  500
#define MON_PAGE_MAX      5000
#define MON_ERRORS_LIMIT  (64 << 10)
#define MON_WHY           512

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
 * its decisions (changed rows, orphans to delete, apps to stop, counts, errors). Owned.
 */
struct page {
	cJSON *list;             /* the lister's, freed before the hand-over */
	struct bpg_recset_rows rows;   /* the open rows of ours that its items name (same) */
	struct bpg_recset_page dec;
	int restarts;            /* listings started over (410) before this page */
	int last;                /* no page follows */
};

/* Adds one clause to the run's errors (the summary line and monitor_run show them). */
#define run_error(r, ...) bpg_recset_error(&(r)->errors, __VA_ARGS__)

/* run.c */
int mon_run_once(struct monitor *m);
/* Writes what the lister decided for one page; -1: the run ends. */
int mon_write_page(struct monitor *m, const struct bpg_cluster *t, struct page *pg,
    struct run *r);

/* lister.c */
void mon_page_free(struct page *pg);
/* Lists every SparkApplication of ours on target t, page by page: 0, or -1 (failed). */
int mon_list_target(struct monitor *m, const struct bpg_cluster *t, struct bpg_recset_seen *seen,
    struct run *r);

#endif
