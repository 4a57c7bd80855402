/* bpg_place: the queue a submission runs in and the cluster it goes to. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>
#include "bpg_place.h"

enum bpg_err
bpg_place_queue(const struct bpg_config *cfg, const char *requested, const char *user,
    char *out, size_t outlen, struct bpg_why *why)
{
	size_t o = 0;

	if (requested != NULL) {
		for (const char *p = requested; *p; p++) {
			if (*p == '.' && (o == 0 || out[o - 1] == '.'))
				continue;
			if (o + 1 >= outlen || o >= BPG_QUEUE_MAX)
				return bpg_why_set(why, BPG_EINVAL,
				    "queue: longer than %d characters", BPG_QUEUE_MAX);
			out[o++] = (char)tolower((unsigned char)*p);
		}
		while (o > 0 && out[o - 1] == '.')
			o--;
		out[o] = '\0';
	}
	if (o == 0 && user != NULL) {
		for (size_t i = 0; i < cfg->n_queues && o == 0; i++)
			for (size_t j = 0; j < cfg->queues[i].users.n; j++)
				if (strcasecmp(cfg->queues[i].users.v[j], user) == 0) {
					o = (size_t)snprintf(out, outlen, "%s", cfg->queues[i].name);
					break;
				}
	}
	if (o == 0)
		o = (size_t)snprintf(out, outlen, "%s", cfg->gateway.default_queue);
	for (const char *p = out; *p; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' ||
		    *p == '-' || *p == '.'))
			return bpg_why_set(why, BPG_EINVAL,
			    "queue: '%.63s' may hold only letters, digits, '_', '-' and "
			    "'.'", out);
	}
	if (bpg_place_queue_conf(cfg, out) == NULL)
		return bpg_why_set(why, BPG_EINVAL,
		    "The queue %s does not exist. Please check the queue name and try "
		    "again.", out);
	return BPG_OK;
}

const struct bpg_queue *
bpg_place_queue_conf(const struct bpg_config *cfg, const char *name)
{
	const struct bpg_queue *q = bpg_config_queue(cfg, name);
	char parent[BPG_QUEUE_MAX + 1];
	size_t plen = strcspn(name, ".");

	if (q != NULL || name[plen] == '\0' || plen > BPG_QUEUE_MAX)
		return q;
	memcpy(parent, name, plen);
	parent[plen] = '\0';
	return bpg_config_queue(cfg, parent);
}

uint64_t
bpg_place_rand_default(void *ctx)
{
	uint64_t v = 0;

	(void)ctx;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = 0;
	return v;
}

static int
has_ci(const struct bpg_strlist *l, const char *s, size_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == n && strncasecmp(l->v[i], s, n) == 0)
			return 1;
	return 0;
}

static int
excluded(const struct bpg_place_in *in, const char *id)
{
	for (size_t i = 0; i < in->n_exclude; i++)
		if (strcmp(in->exclude[i], id) == 0)
			return 1;
	return 0;
}

/* A uniform number in [0, n) without modulo bias. */
static uint64_t
uniform(const struct bpg_place_in *in, uint64_t n)
{
	uint64_t (*r)(void *) = in->rand64 ? in->rand64 : bpg_place_rand_default;
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;

	do
		v = r(in->rand_ctx);
	while (v >= limit);
	return v % n;
}

enum bpg_err
bpg_place_pick(const struct bpg_place_in *in, const struct bpg_cluster **out, struct bpg_why *why)
{
	const struct bpg_config *cfg = in->cfg;
	const struct bpg_queue *qc = bpg_place_queue_conf(cfg, in->queue);
	size_t plen = strcspn(in->queue, ".");
	const struct bpg_cluster *pick[BPG_CONFIG_MAX_CLUSTERS];
	size_t n = 0, by_version = 0, by_queue = 0;
	uint64_t total = 0, r;

	if (in->spark_version == NULL || *in->spark_version == '\0')
		return bpg_why_set(why, BPG_EINVAL, "sparkVersion: required");
	if (in->cluster_id != NULL && *in->cluster_id != '\0') {
		const struct bpg_cluster *c = bpg_config_cluster(cfg, in->cluster_id);
		if (!in->admin && (qc == NULL || !qc->allow_cluster_id))
			return bpg_why_set(why, BPG_EFORBIDDEN,
			    "clusterId: queue %s does not let users choose a cluster",
			    in->queue);
		if (c == NULL || !has_ci(&c->spark_versions, in->spark_version,
		    strlen(in->spark_version)))
			return bpg_why_set(why, BPG_EINVAL,
			    "Cluster with id %s having Spark version %s not found",
			    in->cluster_id, in->spark_version);
		if (!has_ci(&c->queues, in->queue, plen))
			return bpg_why_set(why, BPG_EINVAL,
			    "clusterId: cluster %s does not serve queue %s", c->id,
			    in->queue);
		*out = c;
		return BPG_OK;
	}
	for (size_t i = 0; i < cfg->n_clusters && n < BPG_CONFIG_MAX_CLUSTERS; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];
		if (c->weight <= 0 || !has_ci(&c->spark_versions, in->spark_version,
		    strlen(in->spark_version)))
			continue;
		by_version++;
		if (!has_ci(&c->queues, in->queue, plen))
			continue;
		by_queue++;
		if (excluded(in, c->id))
			continue;
		pick[n++] = c;
		total += (uint64_t)c->weight;
	}
	if (by_version == 0)
		return bpg_why_set(why, BPG_EINVAL, "Spark version not supported: %s",
		    in->spark_version);
	if (by_queue == 0)
		return bpg_why_set(why, BPG_EINVAL,
		    "Cluster with queue %s having Spark version %s not found",
		    in->queue, in->spark_version);
	if (n == 0)
		return bpg_why_set(why, BPG_EUNAVAIL, "no other cluster runs Spark %s for queue %s",
		    in->spark_version, in->queue);
	r = uniform(in, total);
	for (size_t i = 0; i < n; i++) {
		if (r < (uint64_t)pick[i]->weight) {
			*out = pick[i];
			return BPG_OK;
		}
		r -= (uint64_t)pick[i]->weight;
	}
	*out = pick[n - 1];
	return BPG_OK;
}

const char *
bpg_place_pick_zone(const struct bpg_queue *q, unsigned long counter)
{
	if (q == NULL || q->allowed_zones.n == 0)
		return NULL;
	return q->allowed_zones.v[counter % q->allowed_zones.n];
}
