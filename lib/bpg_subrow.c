/* bpg_subrow: one submission as the gateway keeps it. */
#include <stdlib.h>
#include <string.h>
#include "bpg_subrow.h"

void
bpg_sub_row_init(struct bpg_sub_row *r)
{
	memset(r, 0, sizeof(*r));
	r->created_ms = r->updated_ms = r->status_ms = r->cr_created_ms = -1;
	r->start_ms = r->finished_ms = -1;
	r->execution_attempts = r->executor_count = r->max_running_millis = -1;
	r->resource_version = r->submission_attempts = r->cr_execution_attempts = -1;
	r->submit_ms = r->termination_ms = -1;
	r->driver_core = r->driver_memory_mb = r->number_executor = -1;
	r->executor_core = r->executor_memory_mb = r->idem_status = -1;
}

void
bpg_sub_row_release(struct bpg_sub_row *r)
{
	char *s[] = { r->submission_id, r->cluster_id, r->namespace, r->user, r->original_user,
	    r->app_name, r->spark_version, r->queue, r->status, r->app_id, r->request_body,
	    r->idempotency_key, r->error_message, r->driver_info, r->last_error,
	    r->idem_fingerprint, r->idem_response, r->claim_owner, r->attempts_json,
	    r->summary_fields };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free(s[i]);
	bpg_sub_row_init(r);
}
