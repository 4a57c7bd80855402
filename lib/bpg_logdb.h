/* bpg_logdb: the logindex table and the log-archiving bookkeeping of application_submission. */
#ifndef BPG_LOGDB_H
#define BPG_LOGDB_H

#include <stddef.h>
#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_LOGDB_MAX_OBJECTS 1000   /* objects read back for one container */
#define BPG_LOGDB_KEY_MAX     500    /* logindex.logs3key */

enum bpg_log_format { BPG_LOG_FORMAT_FLUENTBIT = 0, BPG_LOG_FORMAT_RAW };

/* One archived object of a container, in key order. */
struct bpg_log_obj {
	char key[BPG_LOGDB_KEY_MAX + 1];
	enum bpg_log_format format;
	long long size;               /* -1 when unknown */
};

/*
 * The objects of container_id ("<subId>-driver", "<subId>-exec-N") in key order, at most
 * BPG_LOGDB_MAX_OBJECTS, into *out (free() it; NULL when none) and *n_out.
 */
enum bpg_err bpg_logdb_objects(struct bpg_db *db, const char *container_id,
    struct bpg_log_obj **out, size_t *n_out);

/* Records an archived object (replacing a row of the same key). ms: when the log ended. */
enum bpg_err bpg_logdb_add(struct bpg_db *db, const char *key, const char *container_id,
    long long ms, enum bpg_log_format format, long long size);

/* A submission whose logs are still to be archived. */
struct bpg_logdb_todo {
	char id[256];
	char cluster_id[64];
	long long finished_ms;        /* -1 when unknown */
	int attempts;
};

/*
 * Up to max ended (COMPLETED or FAILED) submissions not yet archived, with fewer than
 * max_attempts tries, ended at most max_age_s ago, newest first (with a backlog, the apps
 * that just ended are the ones that still have their pods), into v; *n_out gets the count.
 */
enum bpg_err bpg_logdb_todo(struct bpg_db *db, int max_attempts, long long max_age_s,
    struct bpg_logdb_todo *v, size_t max, size_t *n_out);

enum bpg_logdb_outcome {
	BPG_LOGDB_DONE = 0,     /* archived */
	BPG_LOGDB_RETRY,        /* failed: one attempt counted */
	BPG_LOGDB_GIVE_UP       /* nothing left to archive (pods gone): no more attempts */
};

/* Records the outcome of an archiving attempt for id (give_up_at: the attempts limit). */
enum bpg_err bpg_logdb_archived(struct bpg_db *db, const char *id,
    enum bpg_logdb_outcome outcome, int give_up_at);

#endif
