/*
 * libFuzzer: arbitrary bytes as a submit request through bpg_request_parse, then (when it
 * parses) the request's JSON and its masking, bpg_request_check against every queue,
 * bpg_crd_build on every cluster, and bpg_mask_app on the CR. The config comes from
 * $BPG_FUZZ_CONFIG, else t/fixtures/crd/crd.ini (make fuzz runs from the project root).
 * No routing: this target depends on bpg_request, bpg_crd and bpg_mask only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_crd.h"
#include "bpg_mask.h"
#include "bpg_request.h"
#include "fuzzkit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bpg_config *cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cfg = fuzz_config_load("fuzz_request");
	return 0;
}

/* The CR must print and name itself with the id it was given. */
static void
check_cr(cJSON *cr, const char *id)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cr, "metadata"), "name");
	char *text;

	if (!cJSON_IsString(name) || strcmp(name->valuestring, id) != 0)
		abort();
	bpg_mask_app(cr, &cfg->gateway.mask_patterns);
	if ((text = cJSON_PrintUnformatted(cr)) == NULL)
		abort();
	cJSON_free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_submit_req *r = NULL;
	char why[1024];
	cJSON *j;

	if (bpg_request_parse((const char *)data, size, &r, BPG_WHY(why)) != BPG_OK)
		return 0;
	(void)bpg_request_queue(r);
	(void)bpg_request_spark_version(r);
	(void)bpg_request_cluster_id(r);
	(void)bpg_request_queue_token(r);
	(void)bpg_request_app_name(r);
	if (bpg_request_type(r) == NULL)
		abort();
	if ((j = bpg_request_to_json(r)) != NULL) {
		bpg_mask_request(j, &cfg->gateway.mask_patterns);
		cJSON_Delete(j);
	}
	for (size_t qi = 0; qi < cfg->n_queues; qi++) {
		const struct bpg_queue *q = &cfg->queues[qi];
		(void)bpg_request_check(r, q, q->name, 0,
		    BPG_WHY(why));   /* build even what it refuses */
		for (size_t ci = 0; ci < cfg->n_clusters; ci++) {
			const struct bpg_cluster *c = &cfg->clusters[ci];
			struct bpg_crd_in in;
			char id[80];
			cJSON *cr = NULL;

			if (bpg_request_check_cluster(r, c->id, BPG_WHY(why)) != BPG_OK)
				continue;
			snprintf(id, sizeof(id), "%s-0123456789abcdef0123456789abcdef%s%s", c->id,
			    r->suffix ? "-" : "", r->suffix ? r->suffix : "");
			memset(&in, 0, sizeof(in));
			in.cfg = cfg;
			in.req = r;
			in.cluster = c;
			in.queue = q;
			in.queue_name = q->name;
			in.submission_id = id;
			in.user = "fuzz@example.com";
			in.proxy_user = "fuzz";
			in.zone = q->allowed_zones.n > 0 ? q->allowed_zones.v[0] : NULL;
			if (bpg_crd_build(&in, &cr, BPG_WHY(why)) == BPG_OK) {
				check_cr(cr, id);
				cJSON_Delete(cr);
			} else if (cr != NULL) {
				abort();
			}
		}
	}
	bpg_request_free(r);
	return 0;
}
