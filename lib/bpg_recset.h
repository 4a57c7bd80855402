/* bpg_recset: the monitor's sets and what it decides for a listed page (pure: no I/O). The
 * open rows of a target as id hashes with seen marks, a page's rows sorted by id, the ids of
 * abandoned creates, the apps to stop; bpg-monitor's lister fills them, its writer writes them. */
#ifndef BPG_RECSET_H
#define BPG_RECSET_H

#include <stddef.h>
#include <stdint.h>
#include <cJSON.h>
#include "bpg_buf.h"
#include "bpg_err.h"
#include "bpg_reconcile.h"
#include "bpg_subrow.h"

#define BPG_RECSET_NAME_MAX 253   /* a Kubernetes object name */
#define BPG_RECSET_WHY 512        /* a stop's note */

/* Adds one "; "-separated clause to errors (a run's or a page's). */
void bpg_recset_error(struct bpg_buf *errors, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- ids: an owned, growable list of strings ---- */
struct bpg_recset_ids {
	char **v;
	size_t n, cap;
};

/* Adds a copy of id to the list ctx (a struct bpg_recset_ids: a row callback). BPG_ENOMEM. */
enum bpg_err bpg_recset_ids_add(void *ctx, const char *id);
/* Sorts the list (strcmp order) for bpg_recset_ids_has. */
void bpg_recset_ids_sort(struct bpg_recset_ids *l);
/* True when id is in the sorted list. */
int bpg_recset_ids_has(const struct bpg_recset_ids *l, const char *id);
/* Frees the ids, keeping the storage. */
void bpg_recset_ids_clear(struct bpg_recset_ids *l);
/* Frees all; the list is then empty. */
void bpg_recset_ids_release(struct bpg_recset_ids *l);

/* ---- rows: owned copies of open rows, sorted by id ---- */
struct bpg_recset_rows {
	struct bpg_sub_row *v;
	size_t n, cap;
};

/* Adds a copy of a borrowed row to ctx (a struct bpg_recset_rows: a row callback). BPG_ENOMEM. */
enum bpg_err bpg_recset_rows_add(void *ctx, const struct bpg_sub_row *row);
/* Sorts the rows by submission_id for bpg_recset_rows_find. */
void bpg_recset_rows_sort(struct bpg_recset_rows *o);
/* The row of id in the sorted rows, or NULL. */
struct bpg_sub_row *bpg_recset_rows_find(const struct bpg_recset_rows *o, const char *id);
/* Empties o, keeping its storage. */
void bpg_recset_rows_reset(struct bpg_recset_rows *o);
void bpg_recset_rows_release(struct bpg_recset_rows *o);

/*
 * ---- seen: the open rows of a target when its listing began ----
 * Sorted 64-bit FNV-1a hashes of their ids (9 bytes a row with its mark, where whole rows
 * would take hundreds: the rows themselves are read a page at a time; a collision only
 * delays a row), their seen marks, and the ids of abandoned creates (sorted).
 */
struct bpg_recset_seen {
	uint64_t *v;
	char *mark;
	size_t n, cap;
	struct bpg_recset_ids abandoned;
};

/* Adds an open row (a row callback, ctx a struct bpg_recset_seen) before the listing. */
enum bpg_err bpg_recset_seen_add(void *ctx, const struct bpg_sub_row *row);
/* After the adds: sorts, and sets every mark to unseen. BPG_ENOMEM. */
enum bpg_err bpg_recset_seen_ready(struct bpg_recset_seen *s);
/* The index of id among the open rows, or -1. */
long bpg_recset_seen_find(const struct bpg_recset_seen *s, const char *id);
/* Marks id seen (when it is an open row). */
void bpg_recset_seen_mark(struct bpg_recset_seen *s, const char *id);
/* Forgets every mark (a listing started over). */
void bpg_recset_seen_forget(struct bpg_recset_seen *s);
/* How many open rows were not seen. */
size_t bpg_recset_seen_unseen(const struct bpg_recset_seen *s);
/* True when id is an open row of the listing's start that was not seen. */
int bpg_recset_seen_missed(const struct bpg_recset_seen *s, const char *id);
void bpg_recset_seen_release(struct bpg_recset_seen *s);

/* ---- stops: over-running apps; the note is written, then the driver pod deleted ---- */
struct bpg_recset_stop {
	char id[BPG_RECSET_NAME_MAX + 1];
	char pod[BPG_RECSET_NAME_MAX + 1];
	char note[BPG_RECSET_WHY];   /* "" when the row has the reason already */
};
struct bpg_recset_stops {
	struct bpg_recset_stop *v;
	size_t n, cap;
};

/* True for a plausible pod name (DNS-1123 subdomain characters, 1..253 bytes). */
int bpg_recset_pod_name_ok(const char *s);

/*
 * Queues the stop of row, which ran ran ms past its limit max: the pod is the CR's
 * status.driverInfo.podName when plausible, else "<id>-driver"; the note is
 * BPG_RECONCILE_STOP_NOTE's when the row's last_error does not carry it yet. BPG_ENOMEM.
 */
enum bpg_err bpg_recset_plan_stop(const cJSON *item, const struct bpg_sub_row *row,
    long long ran, long long max, struct bpg_recset_stops *s);
void bpg_recset_stops_release(struct bpg_recset_stops *s);

/* ---- a page's decisions ---- */
struct bpg_recset_page {
	struct bpg_reconcile_batch batch;    /* the changed rows */
	struct bpg_recset_ids orphans;       /* listed CRs of abandoned creates, to delete */
	struct bpg_recset_stops stops;       /* over-running apps */
	long long objects;                   /* items listed */
	struct bpg_buf errors;               /* "; "-separated, bounded by errors_limit */
};

void bpg_recset_page_init(struct bpg_recset_page *d, size_t errors_limit);
void bpg_recset_page_release(struct bpg_recset_page *d);

/*
 * The JSON array of the names of the page's items that are ours and open rows of s (the
 * rows to read for it), into *json_out (cJSON_free), or NULL when there are none. BPG_ENOMEM.
 */
enum bpg_err bpg_recset_page_ids(const cJSON *list, const struct bpg_recset_seen *s,
    char **json_out);

/*
 * Adds what cr says about row (observed at now, the monitor's stop reason kept) to batch
 * when it changed anything; obs gets the observation (release it). BPG_ENOMEM.
 */
enum bpg_err bpg_recset_observe(const cJSON *cr, const struct bpg_sub_row *row, long long now,
    struct bpg_sub_row *obs, struct bpg_reconcile_batch *batch);

/*
 * Decides one listed item against the open rows (sorted): not ours, or not an open row, is
 * left alone (an abandoned create's CR becomes an orphan); an open row is marked seen in s,
 * its changes batched, its stop planned when it over-runs. Failures go to d->errors.
 */
void bpg_recset_decide_item(const cJSON *item, const struct bpg_recset_rows *rows,
    struct bpg_recset_seen *s, long long now, struct bpg_recset_page *d);

/* Every item of a listed page (list: {"items":[...]}) through bpg_recset_decide_item. */
void bpg_recset_decide_page(const cJSON *list, const struct bpg_recset_rows *rows,
    struct bpg_recset_seen *s, long long now, struct bpg_recset_page *d);

#endif
