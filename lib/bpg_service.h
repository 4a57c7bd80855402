/* bpg_service: what the gateway does with a submission, whichever API asked (/apiv2,
 * /skatev2, /livy): submit (Idempotency-Key, take-over, failover), look up, refresh, delete,
 * logs and lists. It owns the submission's lifecycle and calls the store (bpg_subdb,
 * bpg_podlogdb) and the clients (bpg_k8s, bpg_s3); the fronts in fcgi/ parse the wire format,
 * call one function here and render what it returns. Errors: the function returns an
 * enum bpg_err and sets the message on the context (bpg_svc_fail), which the front answers. */
#ifndef BPG_SERVICE_H
#define BPG_SERVICE_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_auth.h"
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_jwt.h"
#include "bpg_k8s.h"
#include "bpg_request.h"
#include "bpg_s3.h"
#include "bpg_subdb.h"
#include "bpg_subrow.h"

#define BPG_SVC_MSG_MAX   1024     /* as a reply's error message */
#define BPG_SVC_WARN_MAX  4        /* warnings a call hands back to the front */
#define BPG_SVC_ID_MAX    128      /* a submission id */

/* The answer's error, set where the cause is known (the first cause wins). */
struct bpg_svc_err {
	enum bpg_err err;
	char msg[BPG_SVC_MSG_MAX];
	int retry_after;            /* > 0: the answer says Retry-After: N (409 busy) */
};

/*
 * One call's context: the worker's long-lived parts, the clock and the caller. The fronts
 * fill it per request (bpg_svc_init); the service never sees an HTTP request.
 */
struct bpg_svc {
	const struct bpg_config *cfg;
	struct bpg_db *db;
	struct bpg_k8s *k8s;
	struct bpg_s3 *s3;                          /* NULL without S3 */
	const struct bpg_jwt_secrets *queue_secrets;
	unsigned long *zone_counter;                /* round robin over zones; lives on */
	long long (*now_ms)(void);                  /* the wall clock, epoch ms */
	/* counts a submission created on cluster and queue (indexes in cfg); may be NULL */
	void (*count_submission)(int cluster, int queue);
	const struct bpg_principal *user;           /* the authenticated caller */
	int legacy;                                 /* /skatev2: the Java gateway's semantics */
	int livy;                                   /* /livy: error bodies are {"msg"} */
	struct bpg_svc_err e;
};

/* Empties the error slot; the front fills the rest of svc. */
void bpg_svc_init(struct bpg_svc *svc);

/* Sets the error slot unless set already; returns err. */
enum bpg_err bpg_svc_fail(struct bpg_svc *svc, enum bpg_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Empties the error slot (a failure recovered from). */
void bpg_svc_clear(struct bpg_svc *svc);

/* ---- bpg_service.c: look up, refresh, the SparkApplication, delete ---- */

/* A submission looked up by its id (a submission or Spark app id). */
struct bpg_svc_sub {
	const char *id;                      /* the submission id (into row, or the id asked) */
	const struct bpg_cluster *cluster;
	struct bpg_sub_row row;              /* release with bpg_svc_sub_release() */
	int have_row;
};

void bpg_svc_sub_init(struct bpg_svc_sub *s);
void bpg_svc_sub_release(struct bpg_svc_sub *s);

#define BPG_SVC_WRITE    1     /* the caller must be allowed to delete it */
#define BPG_SVC_ATTEMPTS 2     /* the row's attempt history too */

/*
 * Resolves id, loads its row and checks the caller may read it (flags BPG_SVC_*): 400 bad id,
 * 403 another user's, 404 unknown (an admin, or with [auth] open_read, may read a
 * submission the database does not know, from its cluster), 503. s is always to be released.
 */
enum bpg_err bpg_svc_lookup(struct bpg_svc *svc, const char *id, int flags,
    struct bpg_svc_sub *s);

/*
 * Brings a looked-up submission's row up to date: unless it is fresh ([gateway]
 * status_max_age_ms) or final, the CR is read and written through (bpg_subdb_observe); a
 * cluster that is down or a CR that is gone leave the stored state.
 */
enum bpg_err bpg_svc_refresh(struct bpg_svc *svc, struct bpg_svc_sub *s, int flags);

/* 1 when row answers without reading the CR: final, or observed within max_age_ms of now. */
int bpg_svc_fresh(const struct bpg_sub_row *row, long long now_ms, long long max_age_ms);

/* Copies an observation into row (row takes obs's strings); status_ms = now_ms. */
void bpg_svc_merge(struct bpg_sub_row *row, struct bpg_sub_row *obs, long long now_ms);

/* Look up, then refresh: the status of id. */
enum bpg_err bpg_svc_status(struct bpg_svc *svc, const char *id, int flags,
    struct bpg_svc_sub *s);

/*
 * Looks id up and reads its SparkApplication (*cr_out, cJSON_Delete), secrets masked when
 * mask; a CR gone after its row says where the status still is (404).
 */
enum bpg_err bpg_svc_app(struct bpg_svc *svc, const char *id, int mask, struct bpg_svc_sub *s,
    cJSON **cr_out);

/* The driver pod of id: its name (NULL when none yet, or any more) and its start (-1). */
struct bpg_svc_driver {
	char pod[256];
	long long start_ms;
	int found;
};
enum bpg_err bpg_svc_driver(struct bpg_svc *svc, const char *id, struct bpg_svc_driver *out);

/* id's masked SparkApplication and the events of the application and of its driver pod. */
struct bpg_svc_describe {
	cJSON *cr, *app_events, *driver_events;
};
void bpg_svc_describe_release(struct bpg_svc_describe *d);
enum bpg_err bpg_svc_describe(struct bpg_svc *svc, const char *id, struct bpg_svc_sub *s,
    struct bpg_svc_describe *out);

/*
 * Looks id up for writing and deletes its SparkApplication (gone already is fine); the row
 * notes who did. s->id is the submission deleted.
 */
enum bpg_err bpg_svc_delete(struct bpg_svc *svc, const char *id, struct bpg_svc_sub *s);

/* ---- Apache Livy's batches (bpg_service.c) ---- */

/* A batch: its id, whether it was killed, its submission (looked up, access checked). */
struct bpg_svc_batch {
	long long id;
	int killed;
	struct bpg_svc_sub sub;
};
void bpg_svc_batch_init(struct bpg_svc_batch *b);
void bpg_svc_batch_release(struct bpg_svc_batch *b);

/* Batch id (the route's text) looked up, access checked (flags BPG_SVC_*). 400, 403, 404, 503. */
enum bpg_err bpg_svc_batch_lookup(struct bpg_svc *svc, const char *id, int flags,
    struct bpg_svc_batch *b);

/* The same, then refreshed (Livy's GET). */
enum bpg_err bpg_svc_batch_get(struct bpg_svc *svc, const char *id, struct bpg_svc_batch *b);

/* Batch id looked up for writing, its SparkApplication deleted, the batch marked killed. */
enum bpg_err bpg_svc_batch_delete(struct bpg_svc *svc, const char *id, struct bpg_svc_batch *b);

/*
 * Batch id looked up and the driver's log (its last tail_lines lines, 0: all) appended to
 * out (live pod, else S3, else nothing); what does not fit out's limit is dropped.
 */
enum bpg_err bpg_svc_batch_log(struct bpg_svc *svc, const char *id, long long tail_lines,
    struct bpg_svc_batch *b, struct bpg_buf *out);

/* ---- bpg_service_submit.c: the submit ---- */

struct bpg_svc_submit_in {
	struct bpg_submit_req *req;    /* taken over: freed by bpg_svc_submit whatever happens */
	const char *route;             /* names the operation in the Idempotency-Key fingerprint */
	const char *owner;             /* who it belongs to (the proxy user); lives on */
	const char *idem;              /* a checked Idempotency-Key, or NULL */
	int dry_run;
	int batch;                     /* a Livy batch: out->batch_id and out->row too */
};

enum bpg_svc_submit_outcome {
	BPG_SVC_CREATED,     /* id created now, or earlier (replayed: an Idempotency-Key retry) */
	BPG_SVC_DRY_RUN,     /* cr: the SparkApplication that would be created, masked */
	BPG_SVC_REPLAY,      /* status and body: the stored first answer of the key */
};

struct bpg_svc_submit_out {
	enum bpg_svc_submit_outcome outcome;
	char id[BPG_SVC_ID_MAX];
	int replayed;
	cJSON *cr;
	int status;
	char *body;
	long long batch_id;           /* with in->batch */
	struct bpg_sub_row row;       /* with in->batch: the row as stored */
};
void bpg_svc_submit_out_init(struct bpg_svc_submit_out *o);
void bpg_svc_submit_out_release(struct bpg_svc_submit_out *o);

/*
 * The submit: validation against the queue, routing, the row, the create, failover and the
 * Idempotency-Key (README "Submitting"; the comment in bpg_service_submit.c).
 */
enum bpg_err bpg_svc_submit(struct bpg_svc *svc, const struct bpg_svc_submit_in *in,
    struct bpg_svc_submit_out *out);

/*
 * The row a submit records before its create: the request's resources, or their defaults
 * (1 core, 1024 MB, 1 executor) and the queue's max_running_millis. The strings point into
 * the arguments (nothing is allocated).
 */
void bpg_svc_submit_row(const struct bpg_submit_req *req, const struct bpg_queue *q,
    struct bpg_sub_row *row);

/* ---- bpg_service_log.c: logs ---- */

/*
 * Where a streamed log goes: write is called with the sink itself; it sets begun once the
 * answer has begun and failed when the reader went away (or a limit was reached), and
 * returns non-zero to stop.
 */
struct bpg_svc_sink {
	int (*write)(struct bpg_svc_sink *sink, const char *data, size_t len);
	int begun;
	int failed;
};

#define BPG_SVC_EXEC_MAX       7
#define BPG_SVC_CONTAINER_MAX 63

/* What GET /log asks for. */
struct bpg_svc_log_in {
	const char *sub_id;                      /* or "" */
	const char *app_id;                      /* used when sub_id is "" */
	char exec[BPG_SVC_EXEC_MAX + 1];         /* "" for the driver, else the executor number */
	char container[BPG_SVC_CONTAINER_MAX + 1];   /* "" for the Spark container */
	long long tail_lines, limit_bytes;       /* 0: all */
	int follow;
	int s3only;
};

/*
 * Streams a log to out: the live pod's (not followed unless asked), else the objects
 * archived in S3; *found_out 0 when there is neither (nothing written). After out has begun,
 * a failure only cuts the log short (BPG_OK).
 */
enum bpg_err bpg_svc_log(struct bpg_svc *svc, const struct bpg_svc_log_in *in,
    struct bpg_svc_sink *out, int *found_out);

/* The pod of the driver (exec ""), or of executor exec, in a SparkApplication; NULL: none. */
const char *bpg_svc_log_pod(const cJSON *cr, const char *exec);

/* ---- bpg_service_list.c: lists ---- */

/* One page of a list: more rows follow; the keyset of its last row (the next cursor). */
struct bpg_svc_page {
	int more;
	long long rows;
	long long last_ms;
	char last_id[BPG_SVC_ID_MAX];
};

/*
 * Lists f newest first, calling fn for each row; every row of f when all (in keyset pages of
 * BPG_SUBDB_LIST_MAX: a worker holds one page at most), else one page of f->limit. A failure
 * after the first row cuts the list short (logged): page->rows says whether any came.
 */
enum bpg_err bpg_svc_list(struct bpg_svc *svc, const struct bpg_sub_filter *f, int all,
    enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx,
    struct bpg_svc_page *page);

/* Livy's batches of the caller (an admin's: everyone's), oldest first: from, at most size. */
enum bpg_err bpg_svc_batch_list(struct bpg_svc *svc, long long from, long long size,
    enum bpg_err (*fn)(void *ctx, long long id, int killed, const struct bpg_sub_row *r),
    void *ctx, long long *total_out);

#endif
