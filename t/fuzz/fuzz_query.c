/* libFuzzer: arbitrary bytes as a query string, a route path and JSON through the parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_dispatch.h"
#include "bpg_json.h"
#include "bpg_query.h"
#include "bpg_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct bpg_route routes[] = {
	{ .method = "GET", .pattern = "/healthcheck/status", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/spark/mySubmissions", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/spark/{id}/status", .access = BPG_ACCESS_USER },
	{ .method = "DELETE", .pattern = "/spark/{id}", .access = BPG_ACCESS_USER },
	{ .method = "POST", .pattern = "/s3/{name}", .access = BPG_ACCESS_USER },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), why[256];
	struct bpg_query *q = malloc(sizeof(*q));
	struct bpg_match m;
	cJSON *j = NULL;

	if (s == NULL || q == NULL)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)bpg_query_parse(s, q, BPG_WHY(why));
	(void)bpg_dispatch(routes, sizeof(routes) / sizeof(routes[0]), "GET", s, &m);
	if (bpg_json_parse((const char *)data, size, &j, BPG_WHY(why)) == BPG_OK) {
		struct bpg_buf b;
		bpg_buf_init(&b, 0);
		(void)bpg_yaml_emit(j, &b);
		bpg_buf_release(&b);
		cJSON_Delete(j);
	}
out:
	free(s);
	free(q);
	return 0;
}
