/* bpg_place: the queue a submission runs in and the cluster it goes to. */
#ifndef BPG_PLACE_H
#define BPG_PLACE_H

#include <stddef.h>
#include <stdint.h>
#include "bpg_config.h"
#include "bpg_err.h"

#define BPG_QUEUE_MAX 63

/*
 * Resolves the queue once: the request's queue normalized (runs of '.' collapsed, leading
 * and trailing dots stripped, lowercased), else the first queue in config order whose
 * users holds user (case-insensitive), else [gateway] default_queue. A queue without a
 * [queue.NAME] section (for "a.b": neither "a.b" nor "a") is BPG_EINVAL naming it.
 */
enum bpg_err bpg_place_queue(const struct bpg_config *cfg, const char *requested,
    const char *user, char *out, size_t outlen, struct bpg_why *why);

/* The config governing queue name: its own section if there is one, else its parent's. */
const struct bpg_queue *bpg_place_queue_conf(const struct bpg_config *cfg, const char *name);

struct bpg_place_in {
	const struct bpg_config *cfg;
	const char *queue;             /* resolved, normalized */
	const char *spark_version;
	const char *cluster_id;        /* requested pin, or NULL */
	int admin;
	const char *const *exclude;    /* cluster ids already tried */
	size_t n_exclude;
	uint64_t (*rand64)(void *ctx); /* NULL: OpenSSL RAND_bytes */
	void *rand_ctx;
};

/*
 * Picks the cluster: weight > 0, runs spark_version (case-insensitive), serves the parent
 * queue (case-insensitive), not excluded; at random in proportion to weight. A pinned
 * cluster_id needs an admin or a queue with allow_cluster_id (else BPG_EFORBIDDEN), and
 * must run the version and serve the queue (weight may be 0). BPG_EINVAL names the queue
 * and version and says which filter left nothing.
 */
enum bpg_err bpg_place_pick(const struct bpg_place_in *in, const struct bpg_cluster **out,
    struct bpg_why *why);

/* The zone for the counter'th submission of queue q (round robin), or NULL if none. */
const char *bpg_place_pick_zone(const struct bpg_queue *q, unsigned long counter);

/* A uniform random 64-bit number from OpenSSL. */
uint64_t bpg_place_rand_default(void *ctx);

#endif
