/* bpg_reconcile: what bpg-monitor decides for each row and SparkApplication (pure). */
#include <string.h>
#include "bpg_reconcile.h"

size_t
bpg_reconcile_targets(const struct bpg_config *cfg, const struct bpg_cluster **out)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_clusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];
		int dup = 0;
		for (size_t j = 0; j < n && !dup; j++)
			dup = strcmp(out[j]->api_server, c->api_server) == 0 &&
			    strcmp(out[j]->namespace, c->namespace) == 0;
		if (!dup)
			out[n++] = c;
	}
	return n;
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
	    str_ne(row->error_message, obs->error_message) ||
	    (obs->driver_info != NULL && str_ne(row->driver_info, obs->driver_info)) ||
	    (obs->execution_attempts >= 0 && row->execution_attempts != obs->execution_attempts) ||
	    (obs->executor_count >= 0 && row->executor_count != obs->executor_count) ||
	    (obs->start_ms >= 0 && row->start_ms < 0) ||
	    (obs->finished_ms >= 0 && row->finished_ms < 0) ||
	    (obs->cr_created_ms >= 0 && row->cr_created_ms < 0);
}

enum bpg_missing
bpg_reconcile_missing(const struct bpg_sub_row *row, long long now_ms, long long grace_ms)
{
	long long since = row->updated_ms >= 0 ? row->updated_ms : row->created_ms;

	if (since < 0 || now_ms - since < grace_ms)
		return BPG_MISSING_WAIT;
	if (row->cr_created_ms < 0 && row->status == NULL && row->app_id == NULL)
		return BPG_MISSING_NEVER_CREATED;
	return BPG_MISSING_LOST;
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
