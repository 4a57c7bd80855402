/* bpg_submit: POST /spark's decisions, without I/O: the queue, its token and rules, the
 * cluster, the submission id and the SparkApplication. The submission service
 * (lib/bpg_service_submit.c) and the tests run this same code; the service adds the row,
 * the create and failover around it. */
#ifndef BPG_SUBMIT_H
#define BPG_SUBMIT_H

#include <stddef.h>
#include <stdint.h>
#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_jwt.h"
#include "bpg_request.h"
#include "bpg_place.h"

#define BPG_SUBMIT_ID_MAX 80

/* What the pipeline decides from. */
struct bpg_submit_in {
	const struct bpg_config *cfg;
	const struct bpg_submit_req *req;
	const char *user;                  /* the authenticated user (the CR's annotation) */
	const char *owner;                 /* who it belongs to: user, or the dagUser */
	int admin;                         /* may pin any cluster */
	/* for secure queues' tokens; NULL only in tests: a token's presence is checked, not
	 * its signature (the gateway always passes its secrets, empty ones refuse every token) */
	const struct bpg_jwt_secrets *queue_secrets;
	long long now_s;                   /* for token expiry */
	const char *const *exclude;        /* cluster ids already tried (failover) */
	size_t n_exclude;
	unsigned long zone_counter;        /* round robin over the queue's zones */
	uint64_t (*rand64)(void *ctx);     /* cluster pick; NULL: OpenSSL */
	void *rand_ctx;
	const unsigned char *id_bytes;     /* 16 bytes of the id; NULL: OpenSSL */
};

/* What it decided; cr is owned (bpg_submit_plan_release). */
struct bpg_submit_plan {
	char queue[BPG_QUEUE_MAX + 1];
	const struct bpg_queue *qconf;
	const struct bpg_cluster *cluster;
	char id[BPG_SUBMIT_ID_MAX];
	cJSON *cr;
};

void bpg_submit_plan_init(struct bpg_submit_plan *p);
void bpg_submit_plan_release(struct bpg_submit_plan *p);

/*
 * Resolves the queue (once, deterministically), checks a secure queue's token (missing or
 * bad: BPG_EFORBIDDEN) and the queue's rules (bpg_request_check). why names the cause.
 */
enum bpg_err bpg_submit_queue(const struct bpg_submit_in *in, struct bpg_submit_plan *p,
    struct bpg_why *why);

/*
 * After bpg_submit_queue: picks the cluster (not one of in->exclude) and the id, unless
 * p->cluster and p->id are set already (a submission taken over keeps them), then builds
 * the SparkApplication into p->cr (replacing one built before).
 */
enum bpg_err bpg_submit_build(const struct bpg_submit_in *in, struct bpg_submit_plan *p,
    struct bpg_why *why);

#endif
