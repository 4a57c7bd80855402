/* bpg_subrow: one submission as the gateway keeps it (a row of application_submission).
 * Its own header, so the core modules that read a row (bpg_appstate, bpg_reconcile) need
 * not include the database module that stores it. */
#ifndef BPG_SUBROW_H
#define BPG_SUBROW_H

/* One row; every string is owned (NULL for SQL NULL); times are epoch ms, -1 for NULL. */
struct bpg_sub_row {
	char *submission_id;
	char *cluster_id;
	char *namespace;
	char *user;              /* the proxy user: the owner */
	char *original_user;
	char *app_name;
	char *spark_version;
	char *queue;
	char *status;            /* operator state; NULL until first observed */
	char *app_id;
	char *request_body;      /* masked; a list's rows: summary_fields when stored */
	char *summary_fields;    /* what a list shows of the request (bpg_appstate_summary_fields) */
	char *idempotency_key;
	char *error_message;
	char *driver_info;       /* JSON text */
	char *last_error;
	char *idem_fingerprint;  /* SHA-256 hex of the keyed request */
	char *idem_response;     /* the first answer's body, once given */
	char *claim_owner;       /* claim of the worker handling the row (bpg_db_claim) */
	char *attempts_json;     /* the attempt history, newest first (bpg_subdb_get with_attempts) */
	long long resource_version;   /* metadata.resourceVersion last observed, -1 */
	int gateway_failed;      /* the gateway never created the object (final) */
	/* the current attempt as observed (kept in application_attempt, not on the row) */
	long long submission_attempts, cr_execution_attempts, submit_ms, termination_ms;
	long long created_ms, updated_ms, status_ms, cr_created_ms, start_ms, finished_ms;
	long long execution_attempts, executor_count, max_running_millis;
	long long driver_core, driver_memory_mb, number_executor, executor_core, executor_memory_mb;
	long long idem_status;   /* the first answer's HTTP status, -1 until given */
};

/* Empties r: every string NULL, every number -1. */
void bpg_sub_row_init(struct bpg_sub_row *r);
/* Frees r's strings and empties it. */
void bpg_sub_row_release(struct bpg_sub_row *r);

#endif
