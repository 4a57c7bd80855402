/* libFuzzer: arbitrary bytes as a submit request through parsing, checks, routing, CR building and masking. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_crd.h"
#include "bpg_mask.h"
#include "bpg_request.h"
#include "bpg_route.h"
#include "bpg_subid.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bpg_config *cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("BPG_FUZZ_CONFIG");
	struct bpg_buf errors;

	(void)argc;
	(void)argv;
	bpg_buf_init(&errors, 0);
	if (bpg_config_load(path ? path : "t/fixtures/requests/bpg.ini", &cfg, &errors) != BPG_OK) {
		fprintf(stderr, "fuzz_request: %s(run from the project root)\n", errors.data ? errors.data : "");
		exit(1);
	}
	bpg_buf_release(&errors);
	return 0;
}

static uint64_t
rnd(void *ctx)
{
	return (*(uint64_t *)ctx)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char bytes[16] = { 1 };
	struct bpg_submit_req *r = NULL;
	struct bpg_route_in rin;
	struct bpg_crd_in cin;
	const struct bpg_cluster *c;
	const struct bpg_queue *q;
	char queue[BPG_QUEUE_MAX + 1], id[80], why[1024];
	uint64_t seed = size;
	cJSON *cr = NULL, *j;

	if (bpg_request_parse((const char *)data, size, &r, why, sizeof(why)) != BPG_OK)
		return 0;
	if ((j = bpg_request_to_json(r)) != NULL) {
		bpg_mask_request(j, &cfg->gateway.mask_patterns);
		cJSON_Delete(j);
	}
	if (bpg_route_queue(cfg, r->queue, "fuzz", queue, sizeof(queue), why, sizeof(why)) != BPG_OK)
		goto out;
	q = bpg_route_queue_conf(cfg, queue);
	(void)bpg_request_check(r, q, queue, why, sizeof(why));   /* build even what it refuses */
	memset(&rin, 0, sizeof(rin));
	rin.cfg = cfg;
	rin.queue = queue;
	rin.spark_version = r->spark_version;
	rin.cluster_id = r->cluster_id;
	rin.admin = 1;
	rin.rand64 = rnd;
	rin.rand_ctx = &seed;
	if (bpg_route_pick(&rin, &c, why, sizeof(why)) != BPG_OK ||
	    bpg_subid_new_with_bytes(c->id, r->suffix, bytes, id, sizeof(id), why, sizeof(why)) != BPG_OK)
		goto out;
	memset(&cin, 0, sizeof(cin));
	cin.cfg = cfg;
	cin.req = r;
	cin.cluster = c;
	cin.queue = q;
	cin.queue_name = queue;
	cin.submission_id = id;
	cin.user = "fuzz";
	cin.proxy_user = "fuzz";
	cin.zone = bpg_route_pick_zone(q, size);
	if (bpg_crd_build(&cin, &cr, why, sizeof(why)) == BPG_OK) {
		char *text;
		bpg_mask_app(cr, &cfg->gateway.mask_patterns);
		text = cJSON_PrintUnformatted(cr);
		cJSON_free(text);
		cJSON_Delete(cr);
	}
out:
	bpg_request_free(r);
	return 0;
}
