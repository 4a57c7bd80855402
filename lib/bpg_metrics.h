/* bpg_metrics: counters and latency histograms shared by every worker (a mapped file). */
#ifndef BPG_METRICS_H
#define BPG_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_depcall.h"
#include "bpg_dispatch.h"
#include "bpg_err.h"

#define BPG_METRICS_MAX_ROUTES   48
#define BPG_METRICS_MAX_CLUSTERS 32
#define BPG_METRICS_MAX_QUEUES   64
#define BPG_METRICS_BUCKETS      14   /* 1 2.5 5 10 25 50 100 250 500 1000 2500 5000 10000 +Inf ms */
#define BPG_METRICS_STATUSES     18


/* Why the workers refused a request, for bpg_denied_total. */
enum bpg_metrics_denial {
	BPG_DENIED_UNAUTH = 0,     /* 401 */
	BPG_DENIED_FORBIDDEN,      /* 403 */
	BPG_DENIED_RATELIMIT,      /* 429 */
	BPG_DENIED_COUNT
};

struct bpg_metrics;

/*
 * Maps the shared metrics file at path (created, sized and zeroed by the first process;
 * a file of another layout is reset). Every worker maps the same file, so counts add up
 * across processes. Free with bpg_metrics_close().
 */
enum bpg_err bpg_metrics_open(const char *path, struct bpg_metrics **out);
void bpg_metrics_close(struct bpg_metrics *m);

/* Makes m the process's metrics (NULL: recording is off); the record calls use it. */
void bpg_metrics_attach(struct bpg_metrics *m);

/* Records one request: route index (-1: no route), HTTP status, duration in microseconds. */
void bpg_metrics_request(int route, int status, uint64_t usec);


/* Records one accepted submission on cluster index c in queue index q. */
void bpg_metrics_submission(int c, int q);

/* Records one refused request of route class cls. */
void bpg_metrics_denied(enum bpg_metrics_denial reason, enum bpg_route_class cls);


/*
 * Appends the Prometheus text exposition of m: route_names[i] labels route i (n_routes of
 * them), cfg names clusters and queues.
 */
enum bpg_err bpg_metrics_render(const struct bpg_metrics *m, const struct bpg_config *cfg,
    const char *const *route_names, size_t n_routes, struct bpg_buf *out);

#endif
