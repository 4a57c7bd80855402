/* bpg_recset: the monitor's sets and what it decides for a listed page (pure: no I/O). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_recset.h"

void
bpg_recset_error(struct bpg_buf *errors, const char *fmt, ...)
{
	va_list ap;

	if (errors->len > 0)
		(void)bpg_buf_puts(errors, "; ");
	va_start(ap, fmt);
	(void)bpg_buf_vprintf(errors, fmt, ap);
	va_end(ap);
}

/*
 * The array v (n used of *cap) with room for one more element of size sz (first: the first
 * capacity): v itself, or moved; NULL without memory (v is then still valid).
 */
static void *
grow(void *v, size_t n, size_t *cap, size_t sz, size_t first)
{
	size_t c;
	void *nv;

	if (n < *cap)
		return v;
	c = *cap ? *cap * 2 : first;
	if ((nv = realloc(v, c * sz)) != NULL)
		*cap = c;
	return nv;
}

/* ---- ids ---- */

enum bpg_err
bpg_recset_ids_add(void *ctx, const char *id)
{
	struct bpg_recset_ids *l = ctx;
	void *v;

	if ((v = grow(l->v, l->n, &l->cap, sizeof(*l->v), 16)) == NULL)
		return BPG_ENOMEM;
	l->v = v;
	if ((l->v[l->n] = strdup(id)) == NULL)
		return BPG_ENOMEM;
	l->n++;
	return BPG_OK;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
bpg_recset_ids_sort(struct bpg_recset_ids *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(char *), id_cmp);
}

int
bpg_recset_ids_has(const struct bpg_recset_ids *l, const char *id)
{
	return l->n > 0 && bsearch(&id, l->v, l->n, sizeof(char *), id_cmp) != NULL;
}

void
bpg_recset_ids_clear(struct bpg_recset_ids *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

void
bpg_recset_ids_release(struct bpg_recset_ids *l)
{
	bpg_recset_ids_clear(l);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- rows ---- */

static int
dup_str(char **dst, const char *src)
{
	return src == NULL || (*dst = strdup(src)) != NULL ? 0 : -1;
}

enum bpg_err
bpg_recset_rows_add(void *ctx, const struct bpg_sub_row *row)
{
	struct bpg_recset_rows *o = ctx;
	void *v;
	struct bpg_sub_row *dst;

	if ((v = grow(o->v, o->n, &o->cap, sizeof(*o->v), 64)) == NULL)
		return BPG_ENOMEM;
	o->v = v;
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

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bpg_sub_row *)a)->submission_id,
	    ((const struct bpg_sub_row *)b)->submission_id);
}

void
bpg_recset_rows_sort(struct bpg_recset_rows *o)
{
	if (o->n > 1)
		qsort(o->v, o->n, sizeof(o->v[0]), row_cmp);
}

struct bpg_sub_row *
bpg_recset_rows_find(const struct bpg_recset_rows *o, const char *id)
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

void
bpg_recset_rows_reset(struct bpg_recset_rows *o)
{
	for (size_t i = 0; i < o->n; i++)
		bpg_sub_row_release(&o->v[i]);
	o->n = 0;
}

void
bpg_recset_rows_release(struct bpg_recset_rows *o)
{
	bpg_recset_rows_reset(o);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* ---- seen ---- */

/* 64-bit FNV-1a of id. */
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

enum bpg_err
bpg_recset_seen_add(void *ctx, const struct bpg_sub_row *row)
{
	struct bpg_recset_seen *s = ctx;
	void *v;

	if ((v = grow(s->v, s->n, &s->cap, sizeof(*s->v), 256)) == NULL)
		return BPG_ENOMEM;
	s->v = v;
	s->v[s->n++] = id_hash(row->submission_id);
	return BPG_OK;
}

enum bpg_err
bpg_recset_seen_ready(struct bpg_recset_seen *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(s->v[0]), hash_cmp);
	free(s->mark);
	if ((s->mark = calloc(s->n ? s->n : 1, 1)) == NULL)
		return BPG_ENOMEM;
	bpg_recset_ids_sort(&s->abandoned);
	return BPG_OK;
}

long
bpg_recset_seen_find(const struct bpg_recset_seen *s, const char *id)
{
	uint64_t h = id_hash(id);
	const uint64_t *p = s->n > 0 ? bsearch(&h, s->v, s->n, sizeof(h), hash_cmp) : NULL;

	return p != NULL ? (long)(p - s->v) : -1;
}

void
bpg_recset_seen_mark(struct bpg_recset_seen *s, const char *id)
{
	long i = bpg_recset_seen_find(s, id);

	if (i >= 0)
		s->mark[i] = 1;
}

void
bpg_recset_seen_forget(struct bpg_recset_seen *s)
{
	if (s->mark != NULL)
		memset(s->mark, 0, s->n);
}

size_t
bpg_recset_seen_unseen(const struct bpg_recset_seen *s)
{
	size_t unseen = 0;

	for (size_t i = 0; i < s->n; i++)
		unseen += !s->mark[i];
	return unseen;
}

int
bpg_recset_seen_missed(const struct bpg_recset_seen *s, const char *id)
{
	long k = bpg_recset_seen_find(s, id);

	return k >= 0 && !s->mark[k];
}

void
bpg_recset_seen_release(struct bpg_recset_seen *s)
{
	bpg_recset_ids_release(&s->abandoned);
	free(s->v);
	free(s->mark);
	memset(s, 0, sizeof(*s));
}

/* ---- stops ---- */

int
bpg_recset_pod_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > BPG_RECSET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

enum bpg_err
bpg_recset_plan_stop(const cJSON *item, const struct bpg_sub_row *row, long long ran,
    long long max, struct bpg_recset_stops *s)
{
	const cJSON *pn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "status"), "driverInfo"), "podName");
	struct bpg_recset_stop *st;
	void *v;

	if ((v = grow(s->v, s->n, &s->cap, sizeof(*s->v), 16)) == NULL)
		return BPG_ENOMEM;
	s->v = v;
	st = &s->v[s->n++];
	snprintf(st->id, sizeof(st->id), "%s", row->submission_id);
	if (cJSON_IsString(pn) && bpg_recset_pod_name_ok(pn->valuestring))
		snprintf(st->pod, sizeof(st->pod), "%s", pn->valuestring);
	else
		snprintf(st->pod, sizeof(st->pod), "%.*s-driver", BPG_RECSET_NAME_MAX - 7,
		    row->submission_id);
	st->note[0] = '\0';
	if (row->last_error == NULL || strncmp(row->last_error, BPG_RECONCILE_STOP_NOTE,
	    sizeof(BPG_RECONCILE_STOP_NOTE) - 1) != 0)
		snprintf(st->note, sizeof(st->note), BPG_RECONCILE_STOP_NOTE ": running %lld ms, "
		    "longer than its maxRunningMillis %lld", ran, max);
	return BPG_OK;
}

void
bpg_recset_stops_release(struct bpg_recset_stops *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- a page ---- */

void
bpg_recset_page_init(struct bpg_recset_page *d, size_t errors_limit)
{
	memset(d, 0, sizeof(*d));
	bpg_reconcile_batch_init(&d->batch);
	bpg_buf_init(&d->errors, errors_limit);
}

void
bpg_recset_page_release(struct bpg_recset_page *d)
{
	bpg_reconcile_batch_release(&d->batch);
	bpg_recset_ids_release(&d->orphans);
	bpg_recset_stops_release(&d->stops);
	bpg_buf_release(&d->errors);
}

static const char *
item_name(const cJSON *item)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "metadata"), "name");

	return cJSON_IsString(name) ? name->valuestring : NULL;
}

enum bpg_err
bpg_recset_page_ids(const cJSON *list, const struct bpg_recset_seen *s, char **json_out)
{
	cJSON *ids = cJSON_CreateArray();
	const cJSON *item;
	enum bpg_err err = BPG_ENOMEM;

	*json_out = NULL;
	if (ids == NULL)
		return BPG_ENOMEM;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(list, "items")) {
		const char *name = item_name(item);
		cJSON *ref;
		if (!bpg_reconcile_is_ours(item) || name == NULL || bpg_recset_seen_find(s, name) < 0)
			continue;   /* not one of the open rows: none to read */
		if ((ref = cJSON_CreateStringReference(name)) == NULL ||
		    !cJSON_AddItemToArray(ids, ref)) {
			cJSON_Delete(ref);
			goto out;
		}
	}
	err = BPG_OK;
	if (cJSON_GetArraySize(ids) > 0 && (*json_out = cJSON_PrintUnformatted(ids)) == NULL)
		err = BPG_ENOMEM;
out:
	cJSON_Delete(ids);
	return err;
}

enum bpg_err
bpg_recset_observe(const cJSON *cr, const struct bpg_sub_row *row, long long now,
    struct bpg_sub_row *obs, struct bpg_reconcile_batch *batch)
{
	if (bpg_reconcile_observe(cr, now, obs) != BPG_OK ||
	    (obs->submission_id = strdup(row->submission_id)) == NULL ||
	    bpg_reconcile_keep_note(row, obs) != BPG_OK)
		return BPG_ENOMEM;
	if (bpg_reconcile_changed(row, obs) && bpg_reconcile_batch_add(batch, obs) != BPG_OK)
		return BPG_ENOMEM;
	return BPG_OK;
}

void
bpg_recset_decide_item(const cJSON *item, const struct bpg_recset_rows *rows,
    struct bpg_recset_seen *s, long long now, struct bpg_recset_page *d)
{
	const cJSON *lbl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "metadata"), "labels"), "maxRunningMillis");
	const char *name = item_name(item);
	struct bpg_sub_row obs, *row;
	long long ran, max;

	d->objects++;
	if (!bpg_reconcile_is_ours(item) || name == NULL)
		return;   /* not ours: left alone */
	if ((row = bpg_recset_rows_find(rows, name)) == NULL) {
		/* a create the gateway gave up on that landed after all: it must not run unseen */
		if (bpg_recset_ids_has(&s->abandoned, name) &&
		    bpg_recset_ids_add(&d->orphans, name) != BPG_OK)
			bpg_recset_error(&d->errors, "out of memory");
		return;   /* not in our table, or final there: left alone */
	}
	bpg_recset_seen_mark(s, row->submission_id);
	bpg_sub_row_init(&obs);
	if (bpg_recset_observe(item, row, now, &obs, &d->batch) != BPG_OK)
		bpg_recset_error(&d->errors, "out of memory observing %s", row->submission_id);
	max = bpg_reconcile_max_running(row->max_running_millis,
	    cJSON_IsString(lbl) ? lbl->valuestring : NULL);
	if (bpg_reconcile_overrunning(&obs, max, now, &ran) &&
	    bpg_recset_plan_stop(item, row, ran, max, &d->stops) != BPG_OK)
		bpg_recset_error(&d->errors, "out of memory stopping %s", row->submission_id);
	bpg_sub_row_release(&obs);
}

void
bpg_recset_decide_page(const cJSON *list, const struct bpg_recset_rows *rows,
    struct bpg_recset_seen *s, long long now, struct bpg_recset_page *d)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(list, "items"))
		bpg_recset_decide_item(item, rows, s, now, d);
}
