/* bpg_metrics: counters and latency histograms shared by every worker (a mapped file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpg_metrics.h"
#include "bpg_shm.h"

#define METRICS_MAGIC   0x6270676d65747231ULL   /* "bpgmetr1" */
#define METRICS_VERSION 2   /* 2: denied[][] */

static const double bucket_ms[BPG_METRICS_BUCKETS - 1] = { 1, 2.5, 5, 10, 25, 50, 100, 250,
    500, 1000, 2500, 5000, 10000 };
static const int statuses[BPG_METRICS_STATUSES - 1] = { 200, 201, 204, 400, 401, 403, 404,
    405, 409, 410, 413, 415, 429, 500, 502, 503, 504 };

struct hist {
	uint64_t bucket[BPG_METRICS_BUCKETS];   /* not cumulative; rendered cumulative */
	uint64_t count;
	uint64_t sum_us;
};

struct dep_slot {
	uint64_t calls;
	uint64_t errors;
	struct hist lat;
};

/* The shared layout: plain integers updated with atomic adds. */
struct shm {
	struct bpg_shm_header hdr;
	uint64_t req[BPG_METRICS_MAX_ROUTES + 1][BPG_METRICS_STATUSES];
	struct hist req_lat[BPG_METRICS_MAX_ROUTES + 1];
	struct dep_slot dep[BPG_DEP_COUNT][BPG_METRICS_MAX_CLUSTERS];
	uint64_t submissions[BPG_METRICS_MAX_CLUSTERS][BPG_METRICS_MAX_QUEUES];
	uint64_t denied[BPG_DENIED_COUNT][BPG_CLASS_COUNT];
};

struct bpg_metrics {
	struct shm *shm;
};

static struct bpg_metrics *current;

enum bpg_err
bpg_metrics_open(const char *path, struct bpg_metrics **out)
{
	struct bpg_metrics *m = calloc(1, sizeof(*m));
	void *p;

	if (m == NULL)
		return BPG_ENOMEM;
	if (bpg_shm_map(path, sizeof(struct shm), METRICS_MAGIC, METRICS_VERSION, NULL, NULL, &p) !=
	    BPG_OK) {
		free(m);
		return BPG_EIO;
	}
	m->shm = p;
	*out = m;
	return BPG_OK;
}

void
bpg_metrics_close(struct bpg_metrics *m)
{
	if (m == NULL)
		return;
	if (current == m)
		current = NULL;
	bpg_shm_unmap(m->shm, sizeof(struct shm));
	free(m);
}

static void metrics_dep(enum bpg_dep dep, int slot, int ok, long long usec);

void
bpg_metrics_attach(struct bpg_metrics *m)
{
	current = m;
	bpg_depcall_listen(m != NULL ? metrics_dep : NULL);
}

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static void
observe(struct hist *h, uint64_t usec)
{
	size_t b = 0;

	while (b < BPG_METRICS_BUCKETS - 1 && (double)usec > bucket_ms[b] * 1000.0)
		b++;
	add(&h->bucket[b], 1);
	add(&h->count, 1);
	add(&h->sum_us, usec);
}

void
bpg_metrics_request(int route, int status, uint64_t usec)
{
	size_t r, s = BPG_METRICS_STATUSES - 1;

	if (current == NULL)
		return;
	r = route >= 0 && route < BPG_METRICS_MAX_ROUTES ? (size_t)route : BPG_METRICS_MAX_ROUTES;
	for (size_t i = 0; i < BPG_METRICS_STATUSES - 1; i++)
		if (statuses[i] == status)
			s = i;
	add(&current->shm->req[r][s], 1);
	observe(&current->shm->req_lat[r], usec);
}

/* bpg_depcall's listener: one call to a dependency (slot: the cluster for BPG_DEP_K8S). */
static void
metrics_dep(enum bpg_dep dep, int slot, int ok, long long usec)
{
	struct dep_slot *d;

	if (current == NULL || (unsigned)dep >= BPG_DEP_COUNT || slot < 0 ||
	    slot >= BPG_METRICS_MAX_CLUSTERS)
		return;
	d = &current->shm->dep[dep][slot];
	add(&d->calls, 1);
	if (!ok)
		add(&d->errors, 1);
	observe(&d->lat, usec > 0 ? (uint64_t)usec : 0);
}

void
bpg_metrics_submission(int c, int q)
{
	if (current == NULL || c < 0 || c >= BPG_METRICS_MAX_CLUSTERS || q < 0 ||
	    q >= BPG_METRICS_MAX_QUEUES)
		return;
	add(&current->shm->submissions[c][q], 1);
}

void
bpg_metrics_denied(enum bpg_metrics_denial reason, enum bpg_route_class cls)
{
	if (current == NULL || (unsigned)reason >= BPG_DENIED_COUNT ||
	    (unsigned)cls >= BPG_CLASS_COUNT)
		return;
	add(&current->shm->denied[reason][cls], 1);
}

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Appends the _bucket/_sum/_count lines of h with labels (without braces). */
static enum bpg_err
render_hist(struct bpg_buf *out, const char *name, const char *labels, const struct hist *h)
{
	uint64_t cum = 0;
	enum bpg_err err = BPG_OK;

	for (size_t b = 0; b < BPG_METRICS_BUCKETS && err == BPG_OK; b++) {
		char le[16];
		cum += get(&h->bucket[b]);
		if (b < BPG_METRICS_BUCKETS - 1)
			snprintf(le, sizeof(le), "%g", bucket_ms[b] / 1000.0);
		else
			snprintf(le, sizeof(le), "+Inf");
		err = bpg_buf_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels,
		    *labels ? "," : "", le, (unsigned long long)cum);
	}
	if (err == BPG_OK)
		err = bpg_buf_printf(out, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels,
		    (double)get(&h->sum_us) / 1e6, name, labels, (unsigned long long)get(&h->count));
	return err;
}

static enum bpg_err
render_requests(const struct shm *s, const char *const *route_names, size_t n_routes,
    struct bpg_buf *out)
{
	enum bpg_err err = bpg_buf_puts(out,
	    "# HELP bpg_http_requests_total Requests answered by the workers, by route and status.\n"
	    "# TYPE bpg_http_requests_total counter\n");
	char labels[256];

	for (size_t r = 0; r <= BPG_METRICS_MAX_ROUTES && err == BPG_OK; r++) {
		const char *name = r < n_routes ? route_names[r] : r == BPG_METRICS_MAX_ROUTES ? "none" : NULL;
		if (name == NULL)
			continue;
		for (size_t i = 0; i < BPG_METRICS_STATUSES && err == BPG_OK; i++) {
			uint64_t v = get(&s->req[r][i]);
			if (v == 0)
				continue;
			if (i < BPG_METRICS_STATUSES - 1)
				err = bpg_buf_printf(out, "bpg_http_requests_total{route=\"%s\",status=\"%d\"} "
				    "%llu\n", name, statuses[i], (unsigned long long)v);
			else
				err = bpg_buf_printf(out, "bpg_http_requests_total{route=\"%s\",status=\"other\"} "
				    "%llu\n", name, (unsigned long long)v);
		}
	}
	if (err == BPG_OK)
		err = bpg_buf_puts(out, "# HELP bpg_http_request_duration_seconds Time from accept to "
		    "the last byte, by route.\n# TYPE bpg_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= BPG_METRICS_MAX_ROUTES && err == BPG_OK; r++) {
		const char *name = r < n_routes ? route_names[r] : r == BPG_METRICS_MAX_ROUTES ? "none" : NULL;
		if (name == NULL || get(&s->req_lat[r].count) == 0)
			continue;
		snprintf(labels, sizeof(labels), "route=\"%s\"", name);
		err = render_hist(out, "bpg_http_request_duration_seconds", labels, &s->req_lat[r]);
	}
	return err;
}

static enum bpg_err
render_deps(const struct shm *s, const struct bpg_config *cfg, struct bpg_buf *out)
{
	static const char *const dep_names[BPG_DEP_COUNT] = { "kubernetes", "mysql", "s3" };
	enum bpg_err err = bpg_buf_puts(out,
	    "# HELP bpg_upstream_calls_total Calls to Kubernetes, MySQL and S3.\n"
	    "# TYPE bpg_upstream_calls_total counter\n"
	    "# HELP bpg_upstream_errors_total Failed calls (no answer, or an error answer).\n"
	    "# TYPE bpg_upstream_errors_total counter\n"
	    "# HELP bpg_upstream_duration_seconds Call latency.\n"
	    "# TYPE bpg_upstream_duration_seconds histogram\n");
	char labels[160];

	for (int d = 0; d < BPG_DEP_COUNT && err == BPG_OK; d++) {
		size_t n = d == BPG_DEP_K8S ? cfg->n_clusters : 1;
		for (size_t i = 0; i < n && i < BPG_METRICS_MAX_CLUSTERS && err == BPG_OK; i++) {
			const struct dep_slot *ds = &s->dep[d][i];
			if (d == BPG_DEP_K8S)
				snprintf(labels, sizeof(labels), "upstream=\"%s\",cluster=\"%s\"",
				    dep_names[d], cfg->clusters[i].id);
			else
				snprintf(labels, sizeof(labels), "upstream=\"%s\"", dep_names[d]);
			err = bpg_buf_printf(out, "bpg_upstream_calls_total{%s} %llu\n"
			    "bpg_upstream_errors_total{%s} %llu\n", labels,
			    (unsigned long long)get(&ds->calls), labels, (unsigned long long)get(&ds->errors));
			if (err == BPG_OK)
				err = render_hist(out, "bpg_upstream_duration_seconds", labels, &ds->lat);
		}
	}
	return err;
}

/* bpg_denied_total{reason,class}: every class and reason, zeros included. */
static enum bpg_err
render_denied(const struct shm *s, struct bpg_buf *out)
{
	static const char *const reasons[BPG_DENIED_COUNT] = {
		[BPG_DENIED_UNAUTH] = "unauthenticated",
		[BPG_DENIED_FORBIDDEN] = "forbidden",
		[BPG_DENIED_RATELIMIT] = "ratelimit",
	};
	enum bpg_err err = bpg_buf_puts(out, "# HELP bpg_denied_total Requests the workers refused "
	    "(401 unauthenticated, 403 forbidden, 429 ratelimit), by route class.\n"
	    "# TYPE bpg_denied_total counter\n");

	for (int r = 0; r < BPG_DENIED_COUNT && err == BPG_OK; r++)
		for (int c = 0; c < BPG_CLASS_COUNT && err == BPG_OK; c++)
			err = bpg_buf_printf(out, "bpg_denied_total{reason=\"%s\",class=\"%s\"} %llu\n",
			    reasons[r], bpg_route_class_name((enum bpg_route_class)c),
			    (unsigned long long)get(&s->denied[r][c]));
	return err;
}

enum bpg_err
bpg_metrics_render(const struct bpg_metrics *m, const struct bpg_config *cfg,
    const char *const *route_names, size_t n_routes, struct bpg_buf *out)
{
	const struct shm *s = m->shm;
	enum bpg_err err;

	if ((err = render_requests(s, route_names, n_routes, out)) != BPG_OK ||
	    (err = render_deps(s, cfg, out)) != BPG_OK)
		return err;
	err = bpg_buf_puts(out, "# HELP bpg_submissions_total Submissions accepted, by cluster and "
	    "queue.\n# TYPE bpg_submissions_total counter\n");
	for (size_t c = 0; c < cfg->n_clusters && c < BPG_METRICS_MAX_CLUSTERS && err == BPG_OK; c++)
		for (size_t q = 0; q < cfg->n_queues && q < BPG_METRICS_MAX_QUEUES && err == BPG_OK; q++)
			err = bpg_buf_printf(out, "bpg_submissions_total{cluster=\"%s\",queue=\"%s\"} %llu\n",
			    cfg->clusters[c].id, cfg->queues[q].name,
			    (unsigned long long)get(&s->submissions[c][q]));
	if (err == BPG_OK)
		err = render_denied(s, out);
	return err;
}
