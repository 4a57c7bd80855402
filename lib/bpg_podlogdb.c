/* bpg_podlogdb: the logindex table and the log-archiving bookkeeping of application_submission. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_podlogdb.h"

/* What a row callback fills: an array v of max elements, n of them used (the rows past max
 * are dropped, whatever the statement's LIMIT). */
struct fill_ctx {
	void *v;
	size_t n, max;
};

static enum bpg_err
objs_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct fill_ctx *c = ctx;
	struct bpg_podlog_obj *o;

	if (c->n == c->max || ncols != 3 || cols[0] == NULL || lens[0] > BPG_PODLOGDB_KEY_MAX)
		return BPG_OK;   /* past the bound, or a row no reader could use */
	o = (struct bpg_podlog_obj *)c->v + c->n++;
	memcpy(o->key, cols[0], lens[0]);
	o->key[lens[0]] = '\0';
	o->format = cols[1] != NULL && strcmp(cols[1], "raw") == 0 ? BPG_PODLOG_FORMAT_RAW :
	    BPG_PODLOG_FORMAT_FLUENTBIT;
	o->size = cols[2] != NULL ? strtoll(cols[2], NULL, 10) : -1;
	return BPG_OK;
}

enum bpg_err
bpg_podlogdb_objects(struct bpg_db *db, const char *container_id, struct bpg_podlog_obj **out,
    size_t *n_out)
{
	static const char sql[] = "SELECT logs3key, format, size FROM logindex "
	    "WHERE containerId = ? ORDER BY logs3key LIMIT 1000";
	struct bpg_db_val p[] = { bpg_db_str(container_id) };
	struct fill_ctx c = { calloc(BPG_PODLOGDB_MAX_OBJECTS, sizeof(struct bpg_podlog_obj)), 0,
	    BPG_PODLOGDB_MAX_OBJECTS };
	enum bpg_err err;

	if (c.v == NULL)
		return BPG_ENOMEM;
	err = bpg_db_exec(db, sql, p, 1, objs_cb, &c, NULL);
	if (err != BPG_OK || c.n == 0) {
		free(c.v);
		c.v = NULL;
		c.n = 0;
	}
	if (err == BPG_OK) {
		*out = c.v;
		*n_out = c.n;
	}
	return err;
}

enum bpg_err
bpg_podlogdb_add(struct bpg_db *db, const char *key, const char *container_id, long long ms,
    enum bpg_podlog_format format, long long size)
{
	static const char sql[] = "INSERT INTO logindex (logs3key, `date`, `hour`, containerId, "
	    "format, size) VALUES (?, DATE(FROM_UNIXTIME(? / 1000)), HOUR(FROM_UNIXTIME(? / 1000)), "
	    "?, ?, ?) ON DUPLICATE KEY UPDATE containerId = VALUES(containerId), "
	    "format = VALUES(format), size = VALUES(size)";
	struct bpg_db_val p[] = { bpg_db_str(key), bpg_db_int(ms), bpg_db_int(ms),
	    bpg_db_str(container_id), bpg_db_str(format == BPG_PODLOG_FORMAT_RAW ? "raw" : "fluentbit"),
	    size >= 0 ? bpg_db_int(size) : bpg_db_null() };

	return bpg_db_exec(db, sql, p, 6, NULL, NULL, NULL);
}

static enum bpg_err
todo_cb(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct fill_ctx *c = ctx;
	struct bpg_podlogdb_todo *t;

	if (ncols != 4 || cols[0] == NULL || cols[1] == NULL || c->n == c->max ||
	    lens[0] >= sizeof(t->id) || lens[1] >= sizeof(t->cluster_id))
		return BPG_OK;
	t = (struct bpg_podlogdb_todo *)c->v + c->n++;
	memcpy(t->id, cols[0], lens[0] + 1);
	memcpy(t->cluster_id, cols[1], lens[1] + 1);
	t->finished_ms = cols[2] != NULL ? strtoll(cols[2], NULL, 10) : -1;
	t->attempts = cols[3] != NULL ? (int)strtol(cols[3], NULL, 10) : 0;
	return BPG_OK;
}

enum bpg_err
bpg_podlogdb_todo(struct bpg_db *db, int max_attempts, long long max_age_s,
    struct bpg_podlogdb_todo *v, size_t max, size_t *n_out)
{
	static const char sql[] = "SELECT submission_id, cluster_id, "
	    "CAST(UNIX_TIMESTAMP(finished_time) * 1000 AS SIGNED), log_archive_attempts "
	    "FROM application_submission WHERE logs_archived_time IS NULL "
	    "AND " BPG_APPSTATE_OPERATOR_FINAL_SQL("") " AND gateway_failed = 0 "
	    "AND cluster_id IS NOT NULL "
	    "AND log_archive_attempts < ? "
	    "AND finished_time > CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND "
	    "ORDER BY finished_time DESC LIMIT ?";
	struct bpg_db_val p[] = { bpg_db_int(max_attempts), bpg_db_int(max_age_s),
	    bpg_db_int((long long)max) };
	struct fill_ctx c = { v, 0, max };
	enum bpg_err err = bpg_db_exec(db, sql, p, 3, todo_cb, &c, NULL);

	if (err == BPG_OK)
		*n_out = c.n;
	return err;
}

enum bpg_err
bpg_podlogdb_archived(struct bpg_db *db, const char *id, enum bpg_podlogdb_outcome outcome,
    int give_up_at)
{
	static const char done[] = "UPDATE application_submission SET "
	    "logs_archived_time = CURRENT_TIMESTAMP(3) WHERE submission_id = ?";
	static const char failed[] = "UPDATE application_submission SET "
	    "log_archive_attempts = GREATEST(log_archive_attempts + 1, ?) WHERE submission_id = ?";
	struct bpg_db_val p[] = { bpg_db_int(outcome == BPG_PODLOGDB_GIVE_UP ? give_up_at : 0),
	    bpg_db_str(id) };

	if (outcome == BPG_PODLOGDB_DONE)
		return bpg_db_exec(db, done, p + 1, 1, NULL, NULL, NULL);
	return bpg_db_exec(db, failed, p, 2, NULL, NULL, NULL);
}
