/* bpg_s3up: one object written to S3 as a stream: a single PUT when small, else multipart. */
#ifndef BPG_S3UP_H
#define BPG_S3UP_H

#include <stddef.h>
#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_s3.h"

struct bpg_s3up;

/*
 * What a process's uploads share: [s3] upload_concurrency S3 clients (one per uploading
 * thread: a client is not thread-safe) and the spool folder ([s3] upload_spool_dir, else
 * $TMPDIR, else /var/tmp). Built before the accept loop; one upload at a time uses it.
 * BPG_ECONFIG when a client cannot be made; a spool folder where no file can be made is
 * only logged (uploads then fail with a message naming it). Free with bpg_s3up_pool_free().
 */
struct bpg_s3up_pool;
enum bpg_err bpg_s3up_pool_new(const struct bpg_s3_conf *conf, struct bpg_s3up_pool **out);

/* Closes the pool's clients; NULL is a no-op. */
void bpg_s3up_pool_free(struct bpg_s3up_pool *p);

/*
 * Starts writing bucket/key in parts of part_size bytes (>= BPG_S3_MIN_PART); nothing is
 * sent until a part is full or the writer is closed. s makes the single PUT or creates,
 * completes and aborts the multipart upload, always on the caller's thread.
 * With a pool: the bytes go to an unlinked file in its spool folder, used as a ring of
 * (concurrency + 1) part slots; up to concurrency parts are sent at once, each by a thread
 * with its own client reading its slot from the file as curl sends it. Memory stays a few
 * hundred KiB per thread whatever the part size; disk at most (concurrency + 1) x part_size.
 * Without a pool (NULL): two part buffers in memory, one part in flight at a time, sent
 * through s by one thread (s is then used by one side at a time).
 * Free with bpg_s3up_free(), which aborts an unfinished upload.
 */
enum bpg_err bpg_s3up_new(struct bpg_s3 *s, struct bpg_s3up_pool *pool, const char *bucket,
    const char *key, size_t part_size, struct bpg_s3up **out);

/*
 * Records owner (copied) on the object, as bpg_s3_put's owner; before the first write only
 * (BPG_EINVAL after it). BPG_ENOMEM.
 */
enum bpg_err bpg_s3up_set_owner(struct bpg_s3up *w, const char *owner);

/*
 * Appends n bytes; a full part is queued for a thread (the first one creates the multipart
 * upload). Blocks while every slot is full or in flight. Returns the first failure of a
 * part as soon as it is known (why says which part and how).
 */
enum bpg_err bpg_s3up_write(struct bpg_s3up *w, const void *p, size_t n, struct bpg_why *why);

/*
 * Finishes: the object exists afterwards (a single PUT when everything fit in one part, an
 * empty object for no bytes). *size_out gets its size (may be NULL). On failure the
 * multipart upload is aborted by bpg_s3up_free(): no object and no dangling upload.
 */
enum bpg_err bpg_s3up_close(struct bpg_s3up *w, unsigned long long *size_out, struct bpg_why *why);

/*
 * Cancels the parts in flight, waits for the threads, aborts an unfinished upload (S3 keeps
 * nothing), closes the spool file (nothing is left on disk) and frees; NULL is a no-op.
 */
void bpg_s3up_free(struct bpg_s3up *w);

#endif
