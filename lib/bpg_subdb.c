/* bpg_subdb: the application_submission table: rows in and out, prepared statements only. */
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_log.h"
#include "bpg_subdb.h"

#define SUB_COLS BPG_SUBDB_COLS
#define SUB_ATTEMPTS_COL BPG_SUBDB_ATTEMPTS_COL

/* One field of struct bpg_sub_row, from BPG_SUBDB_ROW: its kind and where it is. */
enum sub_kind { SUB_STR, SUB_MS, SUB_NUM, SUB_FLAG };
struct sub_col {
	enum sub_kind kind;
	size_t off;
};

#define SUB_FIELD(k, f) { SUB_##k, offsetof(struct bpg_sub_row, f) },
#define SUB_NONE(k, f)
/* The selected fields (R, RW), in SUB_COLS order: what the decoder reads. */
#define SUB_SEL_(k, f, c, s, u, m) SUB_SEL_##u(k, f)
#define SUB_SEL_RW SUB_FIELD
#define SUB_SEL_R SUB_FIELD
#define SUB_SEL_W SUB_NONE
static const struct sub_col sub_sel[] = { BPG_SUBDB_ROW(SUB_SEL_, SUB_SEL_, "") };
/* The inserted fields (RW, W), in BPG_SUBDB_INSERT_SQL's parameter order. */
#define SUB_INS_(k, f, c, s, u, m) SUB_INS_##u(k, f)
#define SUB_INS_RW SUB_FIELD
#define SUB_INS_W SUB_FIELD
#define SUB_INS_R SUB_NONE
static const struct sub_col sub_ins[] = { BPG_SUBDB_ROW(SUB_INS_, SUB_INS_, "") };

/* The monitor's fields (M), in BPG_SUBDB_OPEN_COLS order. */
#define SUB_OPEN_(k, f, c, s, u, m) SUB_OPEN_##m(k, f)
#define SUB_OPEN_M SUB_FIELD
#define SUB_OPEN_N SUB_NONE
static const struct sub_col sub_open[] = { BPG_SUBDB_ROW(SUB_OPEN_, SUB_OPEN_, "") };

#define SUB_NOPEN ((unsigned)(sizeof(sub_open) / sizeof(sub_open[0])))
#define SUB_NCOLS ((unsigned)(sizeof(sub_sel) / sizeof(sub_sel[0])))
#define SUB_NINS (sizeof(sub_ins) / sizeof(sub_ins[0]))

/* A column buffer lent to a borrowed row (its callbacks never write or free it). */
static char *
borrow(const char *s)
{
	return (char *)(uintptr_t)s;
}

/*
 * An integer column as MariaDB sends it (decimal, maybe signed): what strtoll gives for that
 * text, without its locale and base handling (16 a row, every row of a list).
 */
static long long
db_int(const char *s)
{
	unsigned long long u = 0;
	int neg = *s == '-';

	if (neg || *s == '+')
		s++;
	if (*s < '0' || *s > '9')
		return strtoll(s - neg, NULL, 10);
	for (int n = 0; *s >= '0' && *s <= '9'; s++, n++) {
		if (n == 18)
			return strtoll(s - n - neg, NULL, 10);   /* near the range's end: exactly */
		u = u * 10 + (unsigned)(*s - '0');
	}
	return neg ? -(long long)u : (long long)u;
}

/* Sets the field c of r from the column text v (NULL: SQL NULL); -1 without memory. */
static int
sub_field_set(struct bpg_sub_row *r, const struct sub_col *c, const char *v, int borrowed)
{
	void *f = (char *)r + c->off;

	switch (c->kind) {
	case SUB_STR:
		*(char **)f = borrowed || v == NULL ? borrow(v) : strdup(v);
		return v != NULL && *(char **)f == NULL ? -1 : 0;
	case SUB_FLAG:
		*(int *)f = v != NULL && strcmp(v, "0") != 0;
		return 0;
	default:   /* SUB_MS and SUB_NUM: the SELECT gives both as numbers */
		*(long long *)f = v != NULL ? db_int(v) : -1;
		return 0;
	}
}

/*
 * Fills r from one SELECT SUB_COLS row: copies, or with borrow the column buffers themselves
 * (valid until the next row; r is then only reset, never released).
 */
static enum bpg_err
sub_row_set(struct bpg_sub_row *r, unsigned ncols, const char *const *cols, int borrowed)
{
	if (borrowed)
		bpg_sub_row_init(r);
	else
		bpg_sub_row_release(r);
	if (ncols != SUB_NCOLS && ncols != SUB_NCOLS + 1) {
		bpg_log(BPG_LOG_ERROR, "subdb", "unexpected column count", NULL);
		return BPG_EINTERNAL;
	}
	for (unsigned i = 0; i < SUB_NCOLS; i++) {
		if (sub_field_set(r, &sub_sel[i], cols[i], borrowed) != 0) {
			bpg_sub_row_release(r);
			return BPG_ENOMEM;
		}
	}
	if (ncols == SUB_NCOLS + 1) {
		const char *a = cols[SUB_NCOLS] ? cols[SUB_NCOLS] : "[]";
		if ((r->attempts_json = borrowed ? borrow(a) : strdup(a)) == NULL) {
			bpg_sub_row_release(r);
			return BPG_ENOMEM;
		}
	}
	return BPG_OK;
}

enum bpg_err
bpg_subdb_open_row(unsigned ncols, const char *const *cols, struct bpg_sub_row *r)
{
	bpg_sub_row_init(r);
	if (ncols != SUB_NOPEN) {
		bpg_log(BPG_LOG_ERROR, "subdb", "unexpected column count", NULL);
		return BPG_EINTERNAL;
	}
	for (unsigned i = 0; i < SUB_NOPEN; i++)
		(void)sub_field_set(r, &sub_open[i], cols[i], 1);   /* borrowed: never fails */
	return BPG_OK;
}

/* Fills r with copies of the columns of one row (SUB_COLS, maybe SUB_ATTEMPTS_COL). */
static enum bpg_err
sub_row_fill(struct bpg_sub_row *r, unsigned ncols, const char *const *cols)
{
	return sub_row_set(r, ncols, cols, 0);
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
	static const char sql[] = BPG_SUBDB_INSERT_SQL;
	struct bpg_db_val p[SUB_NINS];

	for (size_t i = 0; i < SUB_NINS; i++) {
		const void *f = (const char *)r + sub_ins[i].off;
		p[i] = sub_ins[i].kind == SUB_STR ? bpg_db_str(*(char *const *)f) :
		    int_or_null(*(const long long *)f);
	}
	return bpg_db_exec(db, sql, p, SUB_NINS, NULL, NULL, NULL);
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
	    "WHERE original_user = ? AND idempotency_key = ?";
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

/* One row by submission or application id; with_attempts adds SUB_ATTEMPTS_COL. */
static enum bpg_err
subdb_get(struct bpg_db *db, const char *id, int by_app_id, int with_attempts,
    struct bpg_sub_row *out)
{
	static const char *const sql[2][2] = {
		{ BPG_SUBDB_GET_SQL,
		  "SELECT " SUB_COLS " FROM application_submission "
		  "WHERE app_id = ? ORDER BY created_time DESC LIMIT 1" },
		{ BPG_SUBDB_GET_ATTEMPTS_SQL,
		  "SELECT " SUB_COLS ", " SUB_ATTEMPTS_COL " FROM application_submission "
		  "WHERE app_id = ? ORDER BY created_time DESC LIMIT 1" },
	};
	struct bpg_db_val p[] = { bpg_db_str(id) };
	struct get_ctx g = { out, 0 };
	enum bpg_err err;

	err = bpg_db_exec(db, sql[with_attempts != 0][by_app_id != 0], p, 1, get_cb, &g, NULL);
	if (err != BPG_OK)
		return err;
	return g.found ? BPG_OK : BPG_ENOTFOUND;
}

enum bpg_err
bpg_subdb_get(struct bpg_db *db, const char *id, int by_app_id, struct bpg_sub_row *out)
{
	return subdb_get(db, id, by_app_id, 0, out);
}

enum bpg_err
bpg_subdb_get_attempts(struct bpg_db *db, const char *id, int by_app_id,
    struct bpg_sub_row *out)
{
	return subdb_get(db, id, by_app_id, 1, out);
}

enum bpg_err
bpg_subdb_set_created(struct bpg_db *db, const char *id, const char *status,
    const char *last_error, long long cr_created_ms)
{
	static const char sql[] = BPG_SUBDB_SET_CREATED_SQL;
	int failed = status != NULL && strcmp(status, "SUBMISSION_FAILED") == 0;
	struct bpg_db_val p[] = { bpg_db_str(status), bpg_db_str(last_error),
	    ms_or_null(cr_created_ms), bpg_db_int(failed), bpg_db_int(failed), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 6, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_mark_deleted(struct bpg_db *db, const char *id, const char *note)
{
	/* status last: the IFs before it test the row's status as it was */
	static const char sql[] = "UPDATE application_submission SET last_error = ?, "
	    "error_message = IF(" BPG_APPSTATE_FINAL_SQL("") ", error_message, ?), "
	    "finished_time = IF(" BPG_APPSTATE_FINAL_SQL("") ", finished_time, "
	    "CURRENT_TIMESTAMP(3)), "
	    "status = IF(" BPG_APPSTATE_FINAL_SQL("") ", status, 'FAILED'), "
	    "status_time = CURRENT_TIMESTAMP(3) WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(note), bpg_db_str(note), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 3, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_abandon(struct bpg_db *db, const char *id, const char *note)
{
	static const char sql[] = "UPDATE application_submission SET status = 'SUBMISSION_FAILED', "
	    "gateway_failed = 1, last_error = ?, error_message = ?, idempotency_key = NULL, "
	    "finished_time = COALESCE(finished_time, CURRENT_TIMESTAMP(3)), "
	    "abandoned_time = CURRENT_TIMESTAMP(3) WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(note), bpg_db_str(note), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 3, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_drop_idempotency(struct bpg_db *db, const char *id)
{
	static const char sql[] = "UPDATE application_submission SET idempotency_key = NULL "
	    "WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 1, NULL, NULL, NULL);
}

/* Upserts the observed current attempt (nothing before the operator's first submission). */
static enum bpg_err
observe_attempt(struct bpg_db *db, const struct bpg_sub_row *r)
{
	static const char sql[] = BPG_SUBDB_ATTEMPT_COLS "SELECT submission_id, ?, ?, "
	    "FROM_UNIXTIME(? / 1000), ?, ?, ?, FROM_UNIXTIME(? / 1000), ? "
	    "FROM application_submission WHERE submission_id = ? AND gateway_failed = 0"
	    BPG_SUBDB_ATTEMPT_UPSERT;
	struct bpg_db_val p[] = {
		bpg_db_int(r->submission_attempts), bpg_db_int(r->cr_execution_attempts),
		bpg_db_int(r->submit_ms), bpg_db_str(r->app_id), bpg_db_str(r->status),
		bpg_db_str(r->error_message), ms_or_null(r->termination_ms),
		int_or_null(r->resource_version), bpg_db_str(r->submission_id),
	};

	if (r->submission_attempts < 1 || r->submit_ms < 0 || r->cr_execution_attempts < 0)
		return BPG_OK;
	return bpg_db_exec(db, sql, p, sizeof(p) / sizeof(p[0]), NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_observe(struct bpg_db *db, const struct bpg_sub_row *r, int *applied_out)
{
	static const char sql[] = "UPDATE application_submission SET "
	    "status = ?, app_id = COALESCE(?, app_id), error_message = ?, "
	    "driver_info = COALESCE(?, driver_info), "
	    "execution_attempts = COALESCE(?, execution_attempts), "
	    "executor_count = COALESCE(?, executor_count), "
	    "start_time = COALESCE(start_time, FROM_UNIXTIME(? / 1000)), "
	    "finished_time = IF(? = 1, COALESCE(FROM_UNIXTIME(? / 1000), finished_time, "
	    "CURRENT_TIMESTAMP(3)), NULL), "
	    "cr_created_time = COALESCE(cr_created_time, FROM_UNIXTIME(? / 1000)), "
	    "resource_version = COALESCE(?, resource_version), "
	    "status_time = CURRENT_TIMESTAMP(3) "
	    "WHERE submission_id = ? AND " BPG_APPSTATE_MAY_REPLACE_SQL("", "?", "? = 1");
	static const char same[] = "UPDATE application_submission SET "
	    "status_time = CURRENT_TIMESTAMP(3) WHERE submission_id = ? AND resource_version = ?";
	int fin = bpg_appstate_is_final_state(r->status);
	struct bpg_db_val p[] = {
		bpg_db_str(r->status), bpg_db_str(r->app_id), bpg_db_str(r->error_message),
		bpg_db_str(r->driver_info), int_or_null(r->execution_attempts),
		int_or_null(r->executor_count), ms_or_null(r->start_ms), bpg_db_int(fin),
		ms_or_null(r->finished_ms), ms_or_null(r->cr_created_ms),
		int_or_null(r->resource_version), bpg_db_str(r->submission_id),
		int_or_null(r->resource_version), bpg_db_int(fin),
	};
	unsigned long long n = 0;
	enum bpg_err err;

	err = bpg_db_exec(db, sql, p, sizeof(p) / sizeof(p[0]), NULL, NULL, &n);
	if (err == BPG_OK && n == 0 && r->resource_version >= 0)
		err = bpg_db_exec(db, same, p + 11, 2, NULL, NULL, NULL);
	if (err == BPG_OK)
		err = observe_attempt(db, r);
	if (err == BPG_OK && applied_out != NULL)
		*applied_out = n > 0;
	return err;
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
	/* the row's strings are the column buffers, valid until the next row: no copies */
	if ((err = sub_row_set(&l->row, ncols, cols, 1)) != BPG_OK)
		return err;
	err = l->fn(l->ctx, &l->row);
	bpg_sub_row_init(&l->row);
	return err;
}

enum bpg_err
bpg_subdb_list(struct bpg_db *db, const struct bpg_sub_filter *f,
    enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx, int *more_out)
{
	/* A NULL parameter disables its filter; a user's list goes along that user's indexes. */
	static const char all_sql[] = BPG_SUBDB_LIST_ALL_SQL, user_sql[] = BPG_SUBDB_LIST_SQL;
	long limit = f->limit > 0 && f->limit <= BPG_SUBDB_LIST_MAX ? f->limit : 100;
	struct bpg_db_val cms = f->cursor_id ? bpg_db_int(f->cursor_ms) : bpg_db_null();
	struct bpg_db_val filters[] = {
		bpg_db_str(f->status), bpg_db_str(f->status), bpg_db_str(f->queue),
		bpg_db_str(f->queue), bpg_db_str(f->app_name), bpg_db_str(f->app_name),
		ms_or_null(f->created_after_ms), ms_or_null(f->created_after_ms),
		ms_or_null(f->created_before_ms), ms_or_null(f->created_before_ms), cms, cms, cms,
		bpg_db_str(f->cursor_id),
	};
	enum { NF = sizeof(filters) / sizeof(filters[0]) };
	struct bpg_db_val p[2 * (NF + 2) + 1];
	size_t n = 0;
	struct list_ctx l = { fn, ctx, limit, 0, { 0 } };
	enum bpg_err err;

	/* the user's branches: user, filters, limit (+1: the look-ahead row), once per column */
	for (int branch = 0; f->user != NULL && branch < 2; branch++) {
		p[n++] = bpg_db_str(f->user);
		memcpy(&p[n], filters, sizeof(filters));
		n += NF;
		p[n++] = bpg_db_int(limit + 1);
	}
	if (f->user == NULL) {
		memcpy(&p[n], filters, sizeof(filters));
		n += NF;
	}
	p[n++] = bpg_db_int(limit + 1);
	bpg_sub_row_init(&l.row);
	err = bpg_db_exec(db, f->user != NULL ? user_sql : all_sql, p, n, list_cb, &l, NULL);
	bpg_sub_row_release(&l.row);
	if (err == BPG_OK && more_out != NULL)
		*more_out = l.seen > limit;
	return err;
}

enum bpg_err
bpg_subdb_finalize(struct bpg_db *db, const char *id, const char *status, const char *message,
    int gateway_failed)
{
	static const char sql[] = "UPDATE application_submission SET status = ?, "
	    "error_message = ?, last_error = ?, finished_time = CURRENT_TIMESTAMP(3), "
	    "status_time = CURRENT_TIMESTAMP(3), gateway_failed = ? "
	    "WHERE submission_id = ? AND NOT " BPG_APPSTATE_FINAL_SQL("");
	struct bpg_db_val p[] = { bpg_db_str(status), bpg_db_str(message), bpg_db_str(message),
	    bpg_db_int(gateway_failed ? 1 : 0), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 5, NULL, NULL, NULL);
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

/* ---- Idempotency-Key and claims (migration 0007) ---- */

enum bpg_err
bpg_subdb_take_over(struct bpg_db *db, const char *id, const char *old_claim,
    const char *new_claim)
{
	static const char sql[] = "UPDATE application_submission SET claim_owner = ? "
	    "WHERE submission_id = ? AND claim_owner <=> ? AND status IS NULL "
	    "AND cr_created_time IS NULL AND idem_status IS NULL AND abandoned_time IS NULL";
	struct bpg_db_val p[] = { bpg_db_str(new_claim), bpg_db_str(id), bpg_db_str(old_claim) };

	return bpg_db_exec_one(db, sql, p, 3);
}

enum bpg_err
bpg_subdb_set_response(struct bpg_db *db, const char *id, int status, const char *body)
{
	static const char sql[] = "UPDATE application_submission SET idem_status = ?, "
	    "idem_response = ? WHERE submission_id = ? AND idempotency_key IS NOT NULL";
	struct bpg_db_val p[] = { bpg_db_int(status), bpg_db_str(body), bpg_db_str(id) };

	return bpg_db_exec(db, sql, p, 3, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_release_key(struct bpg_db *db, const char *id, const char *key)
{
	static const char sql[] = "UPDATE application_submission SET idempotency_key = NULL "
	    "WHERE submission_id = ? AND idempotency_key = ?";
	struct bpg_db_val p[] = { bpg_db_str(id), bpg_db_str(key) };

	return bpg_db_exec(db, sql, p, 2, NULL, NULL, NULL);
}

enum bpg_err
bpg_subdb_expire_keys(struct bpg_db *db, long long ttl_s, unsigned long long *n_out)
{
	static const char sql[] = "UPDATE application_submission SET idempotency_key = NULL "
	    "WHERE idempotency_key IS NOT NULL "
	    "AND created_time < CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND LIMIT 10000";
	struct bpg_db_val p[] = { bpg_db_int(ttl_s) };

	return bpg_db_exec(db, sql, p, 1, NULL, NULL, n_out);
}

enum bpg_err
bpg_subdb_fail_orphan(struct bpg_db *db, const char *id, const char *claim, const char *note)
{
	static const char sql[] = "UPDATE application_submission SET "
	    "status = 'SUBMISSION_FAILED', gateway_failed = 1, error_message = ?, last_error = ?, "
	    "finished_time = CURRENT_TIMESTAMP(3), "
	    "idempotency_key = IF(idem_status IS NULL, NULL, idempotency_key) "
	    "WHERE submission_id = ? AND claim_owner <=> ? AND status IS NULL "
	    "AND cr_created_time IS NULL";
	struct bpg_db_val p[] = { bpg_db_str(note), bpg_db_str(note), bpg_db_str(id),
	    bpg_db_str(claim) };

	return bpg_db_exec_one(db, sql, p, 4);
}

/* ---- Apache Livy's batch ids (migration 0009) ---- */

enum bpg_err
bpg_subdb_livy_id(struct bpg_db *db, const char *submission_id, long long *id_out)
{
	static const char ins[] = "INSERT IGNORE INTO livy_batch (submission_id) VALUES (?)";
	static const char sel[] = "SELECT id FROM livy_batch WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_str(submission_id) };
	char *id = NULL;
	enum bpg_err err;

	if ((err = bpg_db_exec(db, ins, p, 1, NULL, NULL, NULL)) != BPG_OK ||
	    (err = bpg_db_exec(db, sel, p, 1, first_str, &id, NULL)) != BPG_OK) {
		free(id);
		return err;
	}
	if (id == NULL)
		return BPG_EINTERNAL;
	*id_out = strtoll(id, NULL, 10);
	free(id);
	return BPG_OK;
}

struct livy_get_ctx {
	char *sid;
	int killed;
};

static enum bpg_err
livy_get_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct livy_get_ctx *g = ctx;

	(void)lens;
	if (ncols != 2 || cols[0] == NULL || g->sid != NULL)
		return BPG_OK;
	g->killed = cols[1] != NULL;
	return (g->sid = strdup(cols[0])) != NULL ? BPG_OK : BPG_ENOMEM;
}

enum bpg_err
bpg_subdb_livy_get(struct bpg_db *db, long long id, char **submission_id_out, int *killed_out)
{
	static const char sql[] = "SELECT submission_id, killed_time FROM livy_batch WHERE id = ?";
	struct bpg_db_val p[] = { bpg_db_int(id) };
	struct livy_get_ctx g = { NULL, 0 };
	enum bpg_err err = bpg_db_exec(db, sql, p, 1, livy_get_cb, &g, NULL);

	if (err == BPG_OK && g.sid == NULL)
		err = BPG_ENOTFOUND;
	if (err != BPG_OK) {
		free(g.sid);
		return err;
	}
	*submission_id_out = g.sid;
	*killed_out = g.killed;
	return BPG_OK;
}

enum bpg_err
bpg_subdb_livy_kill(struct bpg_db *db, long long id)
{
	static const char sql[] = "UPDATE livy_batch SET killed_time = "
	    "COALESCE(killed_time, CURRENT_TIMESTAMP(3)) WHERE id = ?";
	struct bpg_db_val p[] = { bpg_db_int(id) };

	return bpg_db_exec(db, sql, p, 1, NULL, NULL, NULL);
}

struct livy_list_ctx {
	enum bpg_err (*fn)(void *ctx, long long id, int killed, const struct bpg_sub_row *r);
	void *ctx;
	struct bpg_sub_row row;
};

static enum bpg_err
livy_list_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct livy_list_ctx *l = ctx;
	enum bpg_err err;

	(void)lens;
	if (ncols != SUB_NCOLS + 2 || cols[SUB_NCOLS] == NULL)
		return BPG_EINTERNAL;
	if ((err = sub_row_fill(&l->row, SUB_NCOLS, cols)) != BPG_OK)
		return err;
	return l->fn(l->ctx, strtoll(cols[SUB_NCOLS], NULL, 10), cols[SUB_NCOLS + 1] != NULL,
	    &l->row);
}

enum bpg_err
bpg_subdb_livy_list(struct bpg_db *db, const char *user, long long from, long long size,
    enum bpg_err (*fn)(void *ctx, long long id, int killed, const struct bpg_sub_row *r),
    void *ctx, long long *total_out)
{
	static const char count_sql[] = "SELECT COUNT(*) FROM livy_batch lb "
	    "JOIN application_submission s ON s.submission_id = lb.submission_id "
	    "WHERE ? IS NULL OR s.`user` = ? OR s.original_user = ?";
	static const char list_sql[] = "SELECT " SUB_COLS ", lb_id, lb_killed "
	    "FROM application_submission JOIN (SELECT id AS lb_id, submission_id AS lb_sid, "
	    "killed_time AS lb_killed FROM livy_batch) lb ON lb.lb_sid = submission_id "
	    "WHERE ? IS NULL OR `user` = ? OR original_user = ? ORDER BY lb_id LIMIT ?, ?";
	struct bpg_db_val p[] = { bpg_db_str(user), bpg_db_str(user), bpg_db_str(user),
	    bpg_db_int(from), bpg_db_int(size) };
	struct livy_list_ctx l = { fn, ctx, { 0 } };
	char *total = NULL;
	enum bpg_err err = bpg_db_exec(db, count_sql, p, 3, first_str, &total, NULL);

	*total_out = total != NULL ? strtoll(total, NULL, 10) : 0;
	free(total);
	if (err != BPG_OK)
		return err;
	bpg_sub_row_init(&l.row);
	err = bpg_db_exec(db, list_sql, p, 5, livy_list_cb, &l, NULL);
	bpg_sub_row_release(&l.row);
	return err;
}
