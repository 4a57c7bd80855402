/*
 * libFuzzer: arbitrary bytes through bpg_yamlread_parse. A tree it returns must print as
 * JSON that parses and prints back to the same text (the reader builds only what JSON can
 * say; duplicate keys are left to bpg_request); then
 * the same bytes go through bpg_request_parse_body as YAML, strict and lenient, and every
 * ignored path listed must be a printable string. Depends on bpg_yamlread, bpg_json and
 * bpg_request only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_json.h"
#include "bpg_request.h"
#include "bpg_yamlread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_tree(const cJSON *j)
{
	struct bpg_buf b, b2;
	char why[256];
	cJSON *back = NULL;

	bpg_buf_init(&b, 0);
	bpg_buf_init(&b2, 0);
	if (bpg_json_print(j, &b) != BPG_OK)
		abort();
	if (bpg_json_parse(b.data, b.len, &back, BPG_WHY(why)) != BPG_OK ||
	    bpg_json_print(back, &b2) != BPG_OK || b.len != b2.len || memcmp(b.data, b2.data, b.len))
		abort();
	cJSON_Delete(back);
	bpg_buf_release(&b);
	bpg_buf_release(&b2);
}

static void
check_request(const uint8_t *data, size_t size, unsigned flags)
{
	struct bpg_submit_req *r = NULL;
	const cJSON *it;
	char why[1024];

	if (bpg_request_parse_body((const char *)data, size, BPG_REQ_YAML | flags, &r,
	    BPG_WHY(why)) != BPG_OK) {
		if (memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		return;
	}
	if ((flags & BPG_REQ_STRICT) && r->ignored != NULL)
		abort();
	cJSON_ArrayForEach(it, r->ignored) {
		if (!cJSON_IsString(it))
			abort();
		for (const char *c = it->valuestring; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				abort();
	}
	bpg_request_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	cJSON *j = NULL;

	if (bpg_yamlread_parse((const char *)data, size, &j, BPG_WHY(why)) == BPG_OK) {
		check_tree(j);
		cJSON_Delete(j);
	} else if (j != NULL) {
		abort();
	}
	check_request(data, size, 0);
	check_request(data, size, BPG_REQ_STRICT);
	return 0;
}
