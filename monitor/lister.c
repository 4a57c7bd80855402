/*
 * bpg-monitor's lister: a thread that lists one target page by page (its own Kubernetes
 * connection), reads each page's rows (its own database connection) and decides the page
 * (bpg_recset) while the writer (the main thread) writes the page before: one decided page
 * at most waits in ready.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_crd.h"
#include "bpg_recstore.h"
#include "bpg_time.h"
#include "monitor.h"

#define MAX_RESTARTS  5          /* listings started over after 410 Expired, per target */

struct lister {
	struct monitor *m;
	const struct bpg_cluster *t;
	struct bpg_recset_seen *seen;   /* the open rows; the marks are the lister's until it ends */
	char *clusters;          /* JSON array of the cluster ids that point at t */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct page *ready;
	struct page *spent;      /* written: the lister frees it (off the writer's path) */
	int done;                /* the thread ended: no page follows ready */
	int stop;                /* the writer takes no more pages */
	int fatal;               /* the rows could not be read: the run ends */
	char why[2 * MON_WHY];   /* why the listing ended early ("" when it did not) */
};

void
mon_page_free(struct page *pg)
{
	if (pg == NULL)
		return;
	cJSON_Delete(pg->list);
	bpg_recset_rows_release(&pg->rows);
	bpg_recset_page_release(&pg->dec);
	free(pg);
}

/* Reads the open rows of ours that the page's items name (one statement), sorted by id. */
static enum bpg_err
page_rows(struct lister *l, struct page *pg)
{
	char *text = NULL;
	enum bpg_err err = bpg_recset_page_ids(pg->list, l->seen, &text);

	if (err != BPG_OK || text == NULL)
		return err;
	err = bpg_recstore_page_rows(l->m->list_db, text, l->clusters, bpg_recset_rows_add,
	    &pg->rows);
	if (err == BPG_OK)
		bpg_recset_rows_sort(&pg->rows);
	cJSON_free(text);
	return err;
}

/* Decides every item of the page against its row, then frees what the writer needs not. */
static void
decide_page(struct lister *l, struct page *pg)
{
	bpg_recset_decide_page(pg->list, &pg->rows, l->seen, bpg_time_now_ms(), &pg->dec);
	cJSON_Delete(pg->list);
	pg->list = NULL;
	bpg_recset_rows_release(&pg->rows);
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
	mon_page_free(old);
}

/* A new page around a listed list (owned), its continue token into *cont; NULL: no memory. */
static struct page *
page_new(cJSON *list, int again, char **cont)
{
	struct page *pg = calloc(1, sizeof(*pg));
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(list,
	    "metadata"), "continue");

	if (pg == NULL) {
		cJSON_Delete(list);
		return NULL;
	}
	pg->list = list;
	pg->restarts = again;
	bpg_recset_page_init(&pg->dec, MON_ERRORS_LIMIT);
	if (cJSON_IsString(next) && next->valuestring[0] != '\0' &&
	    (*cont = strdup(next->valuestring)) == NULL) {
		mon_page_free(pg);
		return NULL;   /* an incomplete listing finalizes nothing */
	}
	pg->last = *cont == NULL;
	return pg;
}

/* Fetches one page (starting over after 410 Expired, at most MAX_RESTARTS times). */
static struct page *
lister_fetch(struct lister *l, char **cont, int *restarts)
{
	char why[MON_WHY];
	struct page *pg;
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
			bpg_recset_seen_forget(l->seen);   /* what it saw is forgotten */
			continue;
		}
		if (err != BPG_OK) {
			snprintf(l->why, sizeof(l->why), "cluster %s: %s", l->t->id, why);
			return NULL;
		}
		if ((pg = page_new(list, again, cont)) != NULL)
			return pg;
		break;
	}
	snprintf(l->why, sizeof(l->why), "cluster %s: out of memory", l->t->id);
	return NULL;
}

/* Frees the page the writer gave back, if any. */
static void
lister_free_spent(struct lister *l)
{
	struct page *spent;

	pthread_mutex_lock(&l->mu);
	spent = l->spent;
	l->spent = NULL;
	pthread_mutex_unlock(&l->mu);
	mon_page_free(spent);
}

static void *
lister_main(void *arg)
{
	struct lister *l = arg;
	char *cont = NULL;
	int restarts = 0;
	enum bpg_err err;

	for (;;) {
		struct page *pg;
		int last;
		lister_free_spent(l);
		if ((pg = lister_fetch(l, &cont, &restarts)) == NULL)
			break;
		if ((err = page_rows(l, pg)) != BPG_OK) {
			snprintf(l->why, sizeof(l->why), "database: cannot read the rows of cluster %s "
			    "(%s)", l->t->id, bpg_err_str(err));
			l->fatal = 1;
			mon_page_free(pg);
			break;
		}
		decide_page(l, pg);
		last = pg->last;
		if (lister_put(l, pg) != 0) {
			mon_page_free(pg);
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

/* The writer's side: takes and writes the pages until the last; 0, or -1. */
static int
write_pages(struct monitor *m, struct lister *l, struct run *r)
{
	struct page *pg;

	while ((pg = lister_take(l)) != NULL) {
		int last = pg->last;
		if (mon_write_page(m, l->t, pg, r) != 0) {
			mon_page_free(pg);
			return -1;
		}
		lister_spent(l, pg);
		if (last)
			return 0;
	}
	return -1;
}

int
mon_list_target(struct monitor *m, const struct bpg_cluster *t, struct bpg_recset_seen *seen,
    struct run *r)
{
	struct lister l;
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
	rc = write_pages(m, &l, r);
	pthread_mutex_lock(&l.mu);
	l.stop = 1;
	pthread_cond_broadcast(&l.cv);
	pthread_mutex_unlock(&l.mu);
	pthread_join(l.thread, NULL);
	mon_page_free(l.ready);
	mon_page_free(l.spent);
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
