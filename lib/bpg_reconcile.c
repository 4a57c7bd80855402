/* bpg_reconcile: what bpg-monitor decides for each row and SparkApplication (pure: no I/O;
 * its SQL is bpg_recstore). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_crd.h"
#include "bpg_reconcile.h"

#define VARCHAR_MAX 255          /* bytes: fits VARCHAR(255) in any character set */
#define TEXT_MAX 65535           /* bytes of a TEXT column */

static const cJSON *
jget(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
bpg_reconcile_same_target(const struct bpg_cluster *target, const struct bpg_cluster *c)
{
	return strcmp(target->api_server, c->api_server) == 0 &&
	    strcmp(target->namespace, c->namespace) == 0;
}

size_t
bpg_reconcile_targets(const struct bpg_config *cfg, const struct bpg_cluster **out)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_clusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];
		int dup = 0;
		for (size_t j = 0; j < n && !dup; j++)
			dup = bpg_reconcile_same_target(out[j], c);
		if (!dup)
			out[n++] = c;
	}
	return n;
}

int
bpg_reconcile_is_ours(const cJSON *cr)
{
	const char *v = jstr(jget(jget(cr, "metadata"), "labels"), BPG_CRD_MANAGED_BY_KEY);

	return v != NULL && strcmp(v, BPG_CRD_MANAGED_BY) == 0;
}

enum bpg_err
bpg_reconcile_observe(const cJSON *cr, long long now_ms, struct bpg_sub_row *obs)
{
	const char *name = jstr(jget(jget(cr, "spec"), "sparkConf"), "spark.app.name");
	enum bpg_err err;

	if ((err = bpg_appstate_observe(cr, obs)) != BPG_OK)
		return err;
	if (name != NULL && name[0] != '\0' && (obs->app_name = strdup(name)) == NULL)
		return BPG_ENOMEM;
	/* a final state without terminationTime still ends: now is when we learnt it */
	if (bpg_appstate_is_final_state(obs->status) && obs->finished_ms < 0)
		obs->finished_ms = now_ms;
	return BPG_OK;
}

enum bpg_err
bpg_reconcile_keep_note(const struct bpg_sub_row *row, struct bpg_sub_row *obs)
{
	const char *note = row->last_error, *op = obs->error_message;
	size_t n;
	char *msg;

	if (note == NULL || strncmp(note, BPG_RECONCILE_STOP_NOTE,
	    sizeof(BPG_RECONCILE_STOP_NOTE) - 1) != 0)
		return BPG_OK;
	n = strlen(note) + (op ? strlen(op) : 0) + sizeof("; operator: ");
	if ((msg = malloc(n)) == NULL)
		return BPG_ENOMEM;
	if (op != NULL && op[0] != '\0')
		snprintf(msg, n, "%s; operator: %s", note, op);
	else
		snprintf(msg, n, "%s", note);
	free(obs->error_message);
	obs->error_message = msg;
	return BPG_OK;
}

static int
str_ne(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

int
bpg_reconcile_changed(const struct bpg_sub_row *row, const struct bpg_sub_row *obs)
{
	return str_ne(row->status, obs->status) ||
	    (obs->app_id != NULL && str_ne(row->app_id, obs->app_id)) ||
	    (obs->app_name != NULL && row->app_name == NULL) ||
	    str_ne(row->error_message, obs->error_message) ||
	    (obs->driver_info != NULL && str_ne(row->driver_info, obs->driver_info)) ||
	    (obs->execution_attempts >= 0 && row->execution_attempts != obs->execution_attempts) ||
	    (obs->executor_count >= 0 && row->executor_count != obs->executor_count) ||
	    (obs->start_ms >= 0 && row->start_ms < 0) ||
	    (obs->finished_ms >= 0 && row->finished_ms < 0) ||
	    (obs->cr_created_ms >= 0 && row->cr_created_ms < 0) ||
	    (obs->resource_version >= 0 && row->resource_version != obs->resource_version);
}

enum bpg_missing
bpg_reconcile_missing(const struct bpg_sub_row *row, long long now_ms, long long grace_ms)
{
	long long since = row->created_ms > row->cr_created_ms ? row->created_ms :
	    row->cr_created_ms;

	if (since < 0 || now_ms - since < grace_ms)
		return BPG_MISSING_WAIT;
	if (row->status == NULL && row->cr_created_ms < 0 && row->app_id == NULL)
		return BPG_MISSING_NEVER_CREATED;
	return BPG_MISSING_LOST;
}

long long
bpg_reconcile_max_running(long long row_max_ms, const char *label)
{
	long long v = 0;
	size_t i;

	if (row_max_ms > 0)
		return row_max_ms;
	if (label == NULL || label[0] == '\0' || strlen(label) > 15)
		return BPG_DEFAULT_MAX_RUNNING_MS;
	for (i = 0; label[i] != '\0'; i++) {
		if (label[i] < '0' || label[i] > '9')
			return BPG_DEFAULT_MAX_RUNNING_MS;
		v = v * 10 + (label[i] - '0');
	}
	return v >= 1 && v <= BPG_RECONCILE_MAX_MS ? v : BPG_DEFAULT_MAX_RUNNING_MS;
}

int
bpg_reconcile_overrunning(const struct bpg_sub_row *obs, long long max_ms, long long now_ms,
    long long *ran_ms)
{
	if (max_ms <= 0 || obs->status == NULL || strcmp(obs->status, "RUNNING") != 0 ||
	    obs->start_ms < 0)
		return 0;
	*ran_ms = now_ms - obs->start_ms;
	return *ran_ms > max_ms;
}

int
bpg_reconcile_exit_code(const struct bpg_reconcile_run *r)
{
	if (r->fatal)
		return 1;
	return r->failed > 0 ? 2 : 0;
}

const char *
bpg_reconcile_outcome(const struct bpg_reconcile_run *r)
{
	if (r->fatal || (r->clusters > 0 && r->failed == r->clusters))
		return "failed";
	return r->failed > 0 ? "partial" : "ok";
}

/* ---- SQL ---- */

void
bpg_reconcile_batch_init(struct bpg_reconcile_batch *b)
{
	b->rows = NULL;
	b->n = 0;
}

void
bpg_reconcile_batch_release(struct bpg_reconcile_batch *b)
{
	cJSON_Delete(b->rows);
	bpg_reconcile_batch_init(b);
}

/*
 * Adds key: s unless s is NULL, cut to max bytes at a UTF-8 boundary so that it fits its
 * column (a strict sql_mode would refuse the whole page otherwise); 0 or -1 (no memory).
 */
static int
add_str(cJSON *o, const char *k, const char *s, size_t max)
{
	size_t n;
	char *cut;
	int rc;

	if (s == NULL)
		return 0;
	if ((n = strlen(s)) <= max)
		return cJSON_AddStringToObject(o, k, s) != NULL ? 0 : -1;
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; n--)
		;
	if ((cut = strndup(s, n)) == NULL)
		return -1;
	rc = cJSON_AddStringToObject(o, k, cut) != NULL ? 0 : -1;
	free(cut);
	return rc;
}

/* Adds key: v unless v < 0 (unknown); exact for epoch milliseconds (below 2^53). */
static int
add_num(cJSON *o, const char *k, long long v)
{
	return v < 0 || cJSON_AddNumberToObject(o, k, (double)v) != NULL ? 0 : -1;
}

enum bpg_err
bpg_reconcile_batch_add(struct bpg_reconcile_batch *b, const struct bpg_sub_row *obs)
{
	cJSON *o;

	if (obs->submission_id == NULL || obs->status == NULL)
		return BPG_EINVAL;
	if (b->rows == NULL && (b->rows = cJSON_CreateArray()) == NULL)
		return BPG_ENOMEM;
	if ((o = cJSON_CreateObject()) == NULL)
		return BPG_ENOMEM;
	/*
	 * JSON_TABLE finds each column's key from the start of its object, skipping the values
	 * before it: the long strings (error, driver) go last, so no other column skips them.
	 */
	if (add_str(o, "id", obs->submission_id, VARCHAR_MAX) ||
	    add_str(o, "status", obs->status, VARCHAR_MAX) ||
	    add_num(o, "rv", obs->resource_version) ||
	    add_num(o, "final", bpg_appstate_is_final_state(obs->status)) ||
	    add_num(o, "attempts", obs->execution_attempts) ||
	    add_num(o, "executors", obs->executor_count) || add_num(o, "start", obs->start_ms) ||
	    add_num(o, "finished", obs->finished_ms) || add_num(o, "crCreated", obs->cr_created_ms) ||
	    add_num(o, "subAttempts", obs->submission_attempts) ||
	    add_num(o, "execAttempts", obs->cr_execution_attempts) ||
	    add_num(o, "submitted", obs->submit_ms) || add_num(o, "terminated", obs->termination_ms) ||
	    add_str(o, "appId", obs->app_id, VARCHAR_MAX) ||
	    add_str(o, "appName", obs->app_name, VARCHAR_MAX) ||
	    add_str(o, "error", obs->error_message, TEXT_MAX) ||
	    add_str(o, "driver", obs->driver_info, TEXT_MAX) ||
	    !cJSON_AddItemToArray(b->rows, o)) {
		cJSON_Delete(o);
		return BPG_ENOMEM;
	}
	b->n++;
	return BPG_OK;
}

