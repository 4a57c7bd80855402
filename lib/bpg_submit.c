/* bpg_submit: POST /spark's decisions without I/O: queue, token, rules, cluster, id, CR. */
#include <stdio.h>
#include <string.h>
#include "bpg_crd.h"
#include "bpg_place.h"
#include "bpg_subid.h"
#include "bpg_submit.h"

void
bpg_submit_plan_init(struct bpg_submit_plan *p)
{
	memset(p, 0, sizeof(*p));
}

void
bpg_submit_plan_release(struct bpg_submit_plan *p)
{
	cJSON_Delete(p->cr);
	bpg_submit_plan_init(p);
}

enum bpg_err
bpg_submit_queue(const struct bpg_submit_in *in, struct bpg_submit_plan *p, struct bpg_why *why)
{
	enum bpg_err err;

	if ((err = bpg_place_queue(in->cfg, in->req->queue, in->owner, p->queue, sizeof(p->queue),
	    why)) != BPG_OK)
		return err;
	p->qconf = bpg_place_queue_conf(in->cfg, p->queue);
	if (p->qconf->secure) {
		if (in->req->queue_token == NULL)
			return bpg_why_set(why, BPG_EFORBIDDEN,
			    "Please specify queueToken for queue %s", p->queue);
		if (in->queue_secrets != NULL && (err = bpg_jwt_check_queue(in->req->queue_token,
		    p->queue, in->queue_secrets, &in->cfg->auth.queue_token_issuers, in->now_s,
		    why)) != BPG_OK)
			return err;
	}
	return bpg_request_check(in->req, p->qconf, p->queue, in->admin, why);
}

enum bpg_err
bpg_submit_build(const struct bpg_submit_in *in, struct bpg_submit_plan *p, struct bpg_why *why)
{
	struct bpg_place_in rin;
	struct bpg_crd_in cin;
	enum bpg_err err;

	if (p->cluster == NULL) {
		memset(&rin, 0, sizeof(rin));
		rin.cfg = in->cfg;
		rin.queue = p->queue;
		rin.spark_version = in->req->spark_version;
		rin.cluster_id = in->req->cluster_id;
		rin.admin = in->admin;
		rin.exclude = in->exclude;
		rin.n_exclude = in->n_exclude;
		rin.rand64 = in->rand64;
		rin.rand_ctx = in->rand_ctx;
		if ((err = bpg_place_pick(&rin, &p->cluster, why)) != BPG_OK)
			return err;
		err = in->id_bytes != NULL ?
		    bpg_subid_new_with_bytes(p->cluster->id, in->req->suffix, in->id_bytes, p->id,
		    sizeof(p->id), why) :
		    bpg_subid_new(p->cluster->id, in->req->suffix, p->id, sizeof(p->id), why);
		if (err != BPG_OK) {
			p->cluster = NULL;
			return err;
		}
	}
	memset(&cin, 0, sizeof(cin));
	cin.cfg = in->cfg;
	cin.req = in->req;
	cin.cluster = p->cluster;
	cin.queue = p->qconf;
	cin.queue_name = p->queue;
	cin.submission_id = p->id;
	cin.user = in->user;
	cin.proxy_user = in->owner;
	cin.zone = bpg_place_pick_zone(p->qconf, in->zone_counter);
	cJSON_Delete(p->cr);
	p->cr = NULL;
	return bpg_crd_build(&cin, &p->cr, why);
}
