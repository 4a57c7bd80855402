/* bpg_subdb: the application_submission table: rows in and out, prepared statements only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_log.h"
#include "bpg_subdb.h"

/* The columns every SELECT returns, in the order sub_row_fill reads them. */
#define SUB_COLS \
	"submission_id, cluster_id, namespace, `user`, original_user, app_name, spark_version, " \
	"queue, status, app_id, request_body, idempotency_key, error_message, driver_info, " \
	"last_error, " \
	"CAST(UNIX_TIMESTAMP(created_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(updated_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(status_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(cr_created_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(start_time) * 1000 AS SIGNED), " \
	"CAST(UNIX_TIMESTAMP(finished_time) * 1000 AS SIGNED), " \
	"execution_attempts, executor_count, max_running_millis, driver_core, driver_memory_mb, " \
	"number_executor, executor_core, executor_memory_mb"
#define SUB_NCOLS 29

void
bpg_sub_row_init(struct bpg_sub_row *r)
{
	memset(r, 0, sizeof(*r));
	r->created_ms = r->updated_ms = r->status_ms = r->cr_created_ms = -1;
	r->start_ms = r->finished_ms = -1;
	r->execution_attempts = r->executor_count = r->max_running_millis = -1;
	r->driver_core = r->driver_memory_mb = r->number_executor = -1;
	r->executor_core = r->executor_memory_mb = -1;
}

/* The string fields in SUB_COLS order. */
static char **
row_str(struct bpg_sub_row *r, unsigned i)
{
	char **f[] = { &r->submission_id, &r->cluster_id, &r->namespace, &r->user,
	    &r->original_user, &r->app_name, &r->spark_version, &r->queue, &r->status, &r->app_id,
	    &r->request_body, &r->idempotency_key, &r->error_message, &r->driver_info,
	    &r->last_error };
	return i < sizeof(f) / sizeof(f[0]) ? f[i] : NULL;
}

static long long *
row_int(struct bpg_sub_row *r, unsigned i)
{
	long long *f[] = { &r->created_ms, &r->updated_ms, &r->status_ms, &r->cr_created_ms,
	    &r->start_ms, &r->finished_ms, &r->execution_attempts, &r->executor_count,
	    &r->max_running_millis, &r->driver_core, &r->driver_memory_mb, &r->number_executor,
	    &r->executor_core, &r->executor_memory_mb };
	return i < sizeof(f) / sizeof(f[0]) ? f[i] : NULL;
}

#define N_STR 15

void
bpg_sub_row_release(struct bpg_sub_row *r)
{
	for (unsigned i = 0; i < N_STR; i++)
		free(*row_str(r, i));
	bpg_sub_row_init(r);
}

/* Fills r from one SELECT SUB_COLS row. */
static enum bpg_err
sub_row_fill(struct bpg_sub_row *r, unsigned ncols, const char *const *cols)
{
	bpg_sub_row_release(r);
	if (ncols != SUB_NCOLS) {
		bpg_log(BPG_LOG_ERROR, "subdb", "unexpected column count", NULL);
		return BPG_EINTERNAL;
	}
	for (unsigned i = 0; i < N_STR; i++) {
		if (cols[i] != NULL && (*row_str(r, i) = strdup(cols[i])) == NULL) {
			bpg_sub_row_release(r);
			return BPG_ENOMEM;
		}
	}
	for (unsigned i = N_STR; i < SUB_NCOLS; i++)
		*row_int(r, i - N_STR) = cols[i] ? strtoll(cols[i], NULL, 10) : -1;
	return BPG_OK;
}

static struct bpg_db_val
int_or_null(long long v)
{
	return v >= 0 ? bpg_db_int(v) : bpg_db_null();
}

/* A time in ms for FROM_UNIXTIME(?/1000) or NULL. */
static struct bpg_db_val
ms_or_null(long long ms)
{
	return ms >= 0 ? bpg_db_int(ms) : bpg_db_null();
}

enum bpg_err
bpg_subdb_insert(struct bpg_db *db, const struct bpg_sub_row *r)
{
	static const char sql[] =
	    "INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, "
	    "original_user, app_name, spark_version, queue, request_body, idempotency_key, "
	    "max_running_millis, driver_core, driver_memory_mb, number_executor, executor_core, "
	    "executor_memory_mb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct bpg_db_val p[] = {
		bpg_db_str(r->submission_id), bpg_db_str(r->cluster_id), bpg_db_str(r->namespace),
		bpg_db_str(r->user), bpg_db_str(r->original_user), bpg_db_str(r->app_name),
		bpg_db_str(r->spark_version), bpg_db_str(r->queue), bpg_db_str(r->request_body),
		bpg_db_str(r->idempotency_key), int_or_null(r->max_running_millis),
		int_or_null(r->driver_core), int_or_null(r->driver_memory_mb),
		int_or_null(r->number_executor), int_or_null(r->executor_core),
		int_or_null(r->executor_memory_mb),
	};

	return bpg_db_exec(db, sql, p, sizeof(p) / sizeof(p[0]), NULL, NULL, NULL);
}

static enum bpg_err
first_str(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	char **out = ctx;

	(void)lens;
	if (ncols < 1 || cols[0] == NULL || *out != NULL)
		return BPG_OK;
	return (*out = strdup(cols[0])) ? BPG_OK : BPG_ENOMEM;
}

enum bpg_err
bpg_subdb_find_idempotent(struct bpg_db *db, const char *user, const char *key, char **id_out)
{
	static const char sql[] = "SELECT submission_id FROM application_submission "
	    "WHERE `user` = ? AND idempotency_key = ?";
	struct bpg_db_val p[] = { bpg_db_str(user), bpg_db_str(key) };
	char *id = NULL;
	enum bpg_err err = bpg_db_exec(db, sql, p, 2, first_str, &id, NULL);

	if (err != BPG_OK) {
		free(id);
		return err;
	}
	if (id == NULL)
		return BPG_ENOTFOUND;
	*id_out = id;
	return BPG_OK;
}

struct get_ctx {
	struct bpg_sub_row *row;
	int found;
};

static enum bpg_err
get_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct get_ctx *g = ctx;

	(void)lens;
	if (g->found++)
		return BPG_OK;
	return sub_row_fill(g->row, ncols, cols);
}

enum bpg_err
bpg_subdb_get(struct bpg_db *db, const char *id, int by_app_id, struct bpg_sub_row *out)
{
	static const char by_id[] = "SELECT " SUB_COLS " FROM application_submission "
	    "WHERE submission_id = ?";
	static const char by_app[] = "SELECT " SUB_COLS " FROM application_submission "
	    "WHERE app_id = ? ORDER BY created_time DESC LIMIT 1";
	struct bpg_db_val p[] = { bpg_db_str(id) };
	struct get_ctx g = { out, 0 };
	enum bpg_err err;

	err = bpg_db_exec(db, by_app_id ? by_app : by_id, p, 1, get_cb, &g, NULL);
	if (err != BPG_OK)
		return err;
	return g.found ? BPG_OK : BPG_ENOTFOUND;
}

enum bpg_err
bpg_subdb_set_created(struct bpg_db *db, const char *id, const char *status,
    const char *last_error, long long cr_created_ms)
{
	static const char sql[] = "UPDATE application_submission SET status = ?, last_error = ?, "
	    "cr_created_time = FROM_UNIXTIME(? / 1000), "
	    "finished_time = IF(? = 'SUBMISSION_FAILED', CURRENT_TIMESTAMP(3), finished_time) "
	    "WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(status), bpg_db_str(last_error),
	    ms_or_null(cr_created_ms), bpg_db_str(status), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 5, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_mark_deleted(struct bpg_db *db, const char *id, const char *note)
{
	static const char sql[] = "UPDATE application_submission SET last_error = ?, "
	    "error_message = IF(status IN ('COMPLETED', 'FAILED', 'SUBMISSION_FAILED'), "
	    "error_message, ?), "
	    "finished_time = IF(status IN ('COMPLETED', 'FAILED', 'SUBMISSION_FAILED'), "
	    "finished_time, CURRENT_TIMESTAMP(3)), "
	    "status = IF(status IN ('COMPLETED', 'FAILED', 'SUBMISSION_FAILED'), status, 'FAILED'), "
	    "status_time = CURRENT_TIMESTAMP(3) WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(note), bpg_db_str(note), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 3, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_abandon(struct bpg_db *db, const char *id, const char *note)
{
	static const char sql[] = "UPDATE application_submission SET status = 'SUBMISSION_FAILED', "
	    "last_error = ?, error_message = ?, idempotency_key = NULL, "
	    "finished_time = COALESCE(finished_time, CURRENT_TIMESTAMP(3)), "
	    "abandoned_time = CURRENT_TIMESTAMP(3) WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(note), bpg_db_str(note), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 3, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_observe(struct bpg_db *db, const struct bpg_sub_row *r)
{
	static const char sql[] = "UPDATE application_submission SET "
	    "status = ?, app_id = COALESCE(?, app_id), error_message = ?, "
	    "driver_info = COALESCE(?, driver_info), "
	    "execution_attempts = COALESCE(?, execution_attempts), "
	    "executor_count = COALESCE(?, executor_count), "
	    "start_time = COALESCE(start_time, FROM_UNIXTIME(? / 1000)), "
	    "finished_time = COALESCE(finished_time, FROM_UNIXTIME(? / 1000)), "
	    "cr_created_time = COALESCE(cr_created_time, FROM_UNIXTIME(? / 1000)), "
	    "status_time = CURRENT_TIMESTAMP(3) "
	    "WHERE submission_id = ?";
	struct bpg_db_val p[] = {
		bpg_db_str(r->status), bpg_db_str(r->app_id), bpg_db_str(r->error_message),
		bpg_db_str(r->driver_info), int_or_null(r->execution_attempts),
		int_or_null(r->executor_count), ms_or_null(r->start_ms), ms_or_null(r->finished_ms),
		ms_or_null(r->cr_created_ms), bpg_db_str(r->submission_id),
	};

	return bpg_db_exec(db, sql, p, sizeof(p) / sizeof(p[0]), NULL, NULL, NULL);
}

struct list_ctx {
	enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r);
	void *ctx;
	long limit, seen;
	struct bpg_sub_row row;
};

static enum bpg_err
list_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct list_ctx *l = ctx;
	enum bpg_err err;

	(void)lens;
	if (++l->seen > l->limit)
		return BPG_OK;     /* the look-ahead row: there is a next page */
	if ((err = sub_row_fill(&l->row, ncols, cols)) != BPG_OK)
		return err;
	return l->fn(l->ctx, &l->row);
}

enum bpg_err
bpg_subdb_list(struct bpg_db *db, const struct bpg_sub_filter *f,
    enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx, int *more_out)
{
	/* One statement for every filter combination: a NULL parameter disables its filter. */
	static const char sql[] = "SELECT " SUB_COLS " FROM application_submission WHERE "
	    "(? IS NULL OR `user` = ?) AND (? IS NULL OR status = ?) AND "
	    "(? IS NULL OR queue = ?) AND (? IS NULL OR app_name = ?) AND "
	    "(? IS NULL OR created_time > FROM_UNIXTIME(? / 1000)) AND "
	    "(? IS NULL OR created_time < FROM_UNIXTIME(? / 1000)) AND "
	    "(? IS NULL OR created_time < FROM_UNIXTIME(? / 1000) OR "
	    " (created_time = FROM_UNIXTIME(? / 1000) AND submission_id < ?)) "
	    "ORDER BY created_time DESC, submission_id DESC LIMIT ?";
	long limit = f->limit > 0 && f->limit <= BPG_SUBDB_LIST_MAX ? f->limit : 100;
	struct bpg_db_val cms = f->cursor_id ? bpg_db_int(f->cursor_ms) : bpg_db_null();
	struct bpg_db_val p[] = {
		bpg_db_str(f->user), bpg_db_str(f->user), bpg_db_str(f->status), bpg_db_str(f->status),
		bpg_db_str(f->queue), bpg_db_str(f->queue), bpg_db_str(f->app_name),
		bpg_db_str(f->app_name), ms_or_null(f->created_after_ms), ms_or_null(f->created_after_ms),
		ms_or_null(f->created_before_ms), ms_or_null(f->created_before_ms), cms, cms, cms,
		bpg_db_str(f->cursor_id), bpg_db_int(limit + 1),
	};
	struct list_ctx l = { fn, ctx, limit, 0, { 0 } };
	enum bpg_err err;

	bpg_sub_row_init(&l.row);
	err = bpg_db_exec(db, sql, p, sizeof(p) / sizeof(p[0]), list_cb, &l, NULL);
	bpg_sub_row_release(&l.row);
	if (err == BPG_OK && more_out != NULL)
		*more_out = l.seen > limit;
	return err;
}

enum bpg_err
bpg_subdb_finalize(struct bpg_db *db, const char *id, const char *status, const char *message)
{
	static const char sql[] = "UPDATE application_submission SET status = ?, "
	    "error_message = ?, last_error = ?, finished_time = CURRENT_TIMESTAMP(3), "
	    "status_time = CURRENT_TIMESTAMP(3) WHERE submission_id = ? AND (status IS NULL OR "
	    "status NOT IN ('COMPLETED', 'FAILED', 'SUBMISSION_FAILED'))";
	struct bpg_db_val p[] = { bpg_db_str(status), bpg_db_str(message), bpg_db_str(message),
	    bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 4, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_note(struct bpg_db *db, const char *id, const char *note, int also_message)
{
	static const char sql[] = "UPDATE application_submission SET last_error = ?, "
	    "error_message = IF(?, ?, error_message) WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(note), bpg_db_int(also_message ? 1 : 0),
	    bpg_db_str(note), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 4, NULL, NULL, NULL);
}

static enum bpg_err
run_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct bpg_monitor_run *r = ctx;
	long long *nums[] = { &r->started_ms, &r->finished_ms, NULL, &r->clusters, &r->objects,
	    &r->changed, &r->finalized, &r->stopped };

	(void)lens;
	if (ncols != 8)
		return BPG_EINTERNAL;
	for (unsigned i = 0; i < 8; i++)
		if (nums[i] != NULL)
			*nums[i] = cols[i] ? strtoll(cols[i], NULL, 10) : -1;
	snprintf(r->outcome, sizeof(r->outcome), "%s", cols[2] ? cols[2] : "");
	return BPG_OK;
}

enum bpg_err
bpg_subdb_monitor_run(struct bpg_db *db, struct bpg_monitor_run *out)
{
	static const char sql[] = "SELECT CAST(UNIX_TIMESTAMP(started_at) * 1000 AS SIGNED), "
	    "CAST(UNIX_TIMESTAMP(finished_at) * 1000 AS SIGNED), outcome, clusters, objects, changed, "
	    "finalized, stopped FROM monitor_run WHERE id = 1";
	enum bpg_err err;

	memset(out, 0, sizeof(*out));
	out->started_ms = -1;
	if ((err = bpg_db_exec(db, sql, NULL, 0, run_cb, out, NULL)) != BPG_OK)
		return err;
	return out->started_ms >= 0 ? BPG_OK : BPG_ENOTFOUND;
}
