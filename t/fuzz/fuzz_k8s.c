/* libFuzzer: arbitrary bytes as a Kubernetes answer: Status errors, objects, lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_json.h"
#include "bpg_k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 404, 409, 410, 422, 429, 500, 503 };
	struct bpg_cluster c;
	struct bpg_k8s_resp r;
	struct bpg_sub_row row;
	char why[512];
	cJSON *j = NULL, *out = NULL;

	memset(&c, 0, sizeof(c));
	c.id = (char *)"c01";
	c.namespace = (char *)"ns";
	c.spark_ui_url = (char *)"https://ui";
	bpg_k8s_resp_init(&r);
	if (bpg_buf_append(&r.body, data, size) == BPG_OK) {
		r.status = statuses[size % (sizeof(statuses) / sizeof(statuses[0]))];
		(void)bpg_k8s_check(&c, &r, why, sizeof(why));
	}
	bpg_k8s_resp_release(&r);
	if (bpg_json_parse((const char *)data, size, &j, why, sizeof(why)) != BPG_OK)
		return 0;
	bpg_sub_row_init(&row);
	if (bpg_appstate_observe(j, &row) == BPG_OK) {
		row.submission_id = strdup("c01-x");
		if (bpg_appstate_status_json(&row, &c, 1, &out) == BPG_OK)
			cJSON_Delete(out);
		if (bpg_appstate_summary_json(&row, &c, 1, &out) == BPG_OK)
			cJSON_Delete(out);
	}
	bpg_sub_row_release(&row);
	/* every item of a list, as the monitor reads them */
	{
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "items")) {
			bpg_sub_row_init(&row);
			(void)bpg_appstate_observe(it, &row);
			bpg_sub_row_release(&row);
		}
	}
	cJSON_Delete(j);
	return 0;
}
