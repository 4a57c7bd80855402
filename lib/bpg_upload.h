/* bpg_upload: an artifact's upload (POST /s3/{name}), whatever API asked: who may write
 * where, the object's key, the replace check, the bytes streamed to S3 (a multipart/form-data
 * body's one file part), and the Idempotency-Key (bpg_idemkey). The front parses the query
 * and renders the answer. */
#ifndef BPG_UPLOAD_H
#define BPG_UPLOAD_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_s3up.h"
#include "bpg_upname.h"

#define BPG_UPLOAD_WHY 1024     /* an error message (as long as the front's) */

/* What a process's uploads use, built before the accept loop. s3 NULL: S3 not configured. */
struct bpg_upload_env {
	const struct bpg_config *cfg;
	struct bpg_db *db;
	struct bpg_s3 *s3;
	struct bpg_s3up_pool *pool;
};

/* One upload as the front parsed it (name and folder checked, length within the limit). */
struct bpg_upload_in {
	const char *user;           /* the authenticated caller: the object's owner */
	int admin;
	const char *name;           /* bpg_upname_segment_ok */
	char folder[BPG_UPNAME_FOLDER_MAX + 1];   /* bpg_upname_folder's; "" for none */
	int overwrite;
	long long length;           /* declared length, -1 when unknown (chunked) */
	const char *content_type;   /* multipart/form-data: only its one file part is stored */
	const char *idem_key;       /* the Idempotency-Key header, unchecked; NULL: none */
	long long now_ms;           /* the request's wall-clock time (keys' ages) */
};

/*
 * Reads up to cap bytes of the body into buf: *n_out 0 at its end. Any error stops the
 * upload (the reader may have set its own answer first: a body too slow).
 */
typedef enum bpg_err (*bpg_upload_read)(void *arg, char *buf, size_t cap, size_t *n_out);

/* The answer (bpg_upload_out_init, bpg_upload_out_release). */
struct bpg_upload_out {
	int status;                 /* of a success: 200, or a replay's first answer's */
	int replayed;               /* an Idempotency-Key replay (Idempotent-Replayed: true) */
	int retry_after;            /* a failure's Retry-After (seconds); 0: none */
	struct bpg_buf body;        /* a success's JSON: {"url":"s3a://bucket/key"} */
	char why[BPG_UPLOAD_WHY];   /* a failure's message */
};

void bpg_upload_out_init(struct bpg_upload_out *out);
void bpg_upload_out_release(struct bpg_upload_out *out);

/*
 * Runs the upload of in, its body read through rd(rd_arg): 403 unless the caller may create
 * objects in the folder (bpg_upauth_folder; without one his own), 400 a bad Idempotency-Key
 * or multipart body, 503 without S3; the key <[s3] folder>/<folder>/<name>, or without a
 * folder <[s3] folder>/<user>/<yyyyMMdd>/<uuid>/<name>; an existing object 403 unless the
 * caller may replace it (bpg_upauth_replace), else 409 unless overwrite; the bytes streamed
 * through bpg_s3up (the caller recorded as owner); 413 over [s3] max_upload_mb or the
 * declared length, 400 a body cut off or shorter than declared; 502/503/504 S3. Nothing is
 * stored after a failure. With an Idempotency-Key: a retry with the same upload (name,
 * folder, overwrite and bytes: its body is read in full to be compared) gets the first 2xx
 * answer again (replayed) and stores nothing; with another upload 422; while the first is
 * still running 409 (retry_after); after a failure the key is free. BPG_OK with out's
 * answer, else the error with out->why.
 */
enum bpg_err bpg_upload_run(const struct bpg_upload_env *env, const struct bpg_upload_in *in,
    bpg_upload_read rd, void *rd_arg, struct bpg_upload_out *out);

#endif
