/* bpg_s3up: one object written to S3 as a stream: a single PUT when small, else multipart. */
#ifndef BPG_S3UP_H
#define BPG_S3UP_H

#include <stddef.h>
#include "bpg_err.h"
#include "bpg_s3.h"

struct bpg_s3up;

/*
 * Starts writing bucket/key through s, holding at most part_size bytes (>= BPG_S3_MIN_PART)
 * in memory; nothing is sent until that much was written or the writer is closed. Free with
 * bpg_s3up_free(), which aborts an unfinished upload.
 */
enum bpg_err bpg_s3up_new(struct bpg_s3 *s, const char *bucket, const char *key,
    size_t part_size, struct bpg_s3up **out);

/* Appends n bytes; a full part is uploaded (the first one creates the multipart upload). */
enum bpg_err bpg_s3up_write(struct bpg_s3up *w, const void *p, size_t n, char *why,
    size_t whylen);

/*
 * Finishes: the object exists afterwards (a single PUT when everything fit in one part, an
 * empty object for no bytes). *size_out gets its size (may be NULL). On failure the
 * multipart upload is aborted: no object and no dangling upload.
 */
enum bpg_err bpg_s3up_close(struct bpg_s3up *w, unsigned long long *size_out, char *why,
    size_t whylen);

/* Aborts an unfinished upload (S3 keeps nothing) and frees; NULL is a no-op. */
void bpg_s3up_free(struct bpg_s3up *w);

#endif
