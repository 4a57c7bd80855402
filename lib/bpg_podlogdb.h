/* bpg_podlogdb: the logindex table and the log-archiving bookkeeping of application_submission. */
#ifndef BPG_PODLOGDB_H
#define BPG_PODLOGDB_H

#include <stddef.h>
#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_PODLOGDB_MAX_OBJECTS 1000   /* objects read back for one container */
#define BPG_PODLOGDB_KEY_MAX     500    /* logindex.logs3key */

enum bpg_podlog_format { BPG_PODLOG_FORMAT_FLUENTBIT = 0, BPG_PODLOG_FORMAT_RAW };

/* One archived object of a container, in key order. */
struct bpg_podlog_obj {
	char key[BPG_PODLOGDB_KEY_MAX + 1];
	enum bpg_podlog_format format;
	long long size;               /* -1 when unknown */
};

/*
 * The objects of container_id ("<subId>-driver", "<subId>-exec-N") in key order, at most
 * BPG_PODLOGDB_MAX_OBJECTS, into *out (free() it; NULL when none) and *n_out.
 */
enum bpg_err bpg_podlogdb_objects(struct bpg_db *db, const char *container_id,
    struct bpg_podlog_obj **out, size_t *n_out);

/* Records an archived object (replacing a row of the same key). ms: when the log ended. */
enum bpg_err bpg_podlogdb_add(struct bpg_db *db, const char *key, const char *container_id,
    long long ms, enum bpg_podlog_format format, long long size);

/* A submission whose logs are still to be archived. */
struct bpg_podlogdb_todo {
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
enum bpg_err bpg_podlogdb_todo(struct bpg_db *db, int max_attempts, long long max_age_s,
    struct bpg_podlogdb_todo *v, size_t max, size_t *n_out);

enum bpg_podlogdb_outcome {
	BPG_PODLOGDB_DONE = 0,     /* archived */
	BPG_PODLOGDB_RETRY,        /* failed: one attempt counted */
	BPG_PODLOGDB_GIVE_UP       /* nothing left to archive (pods gone): no more attempts */
};

/* Records the outcome of an archiving attempt for id (give_up_at: the attempts limit). */
enum bpg_err bpg_podlogdb_archived(struct bpg_db *db, const char *id,
    enum bpg_podlogdb_outcome outcome, int give_up_at);

#endif
