/* bpg_s3: the S3 client (libcurl + bpg_sigv4): objects, ranges, listings, multipart uploads. */
#ifndef BPG_S3_H
#define BPG_S3_H

#include <stddef.h>
#include "bpg_config.h"
#include "bpg_crc32.h"
#include "bpg_err.h"

#define BPG_S3_KEY_MAX       1024        /* S3's own limit on a key, in bytes */
#define BPG_S3_ETAG_MAX      128
#define BPG_S3_UPLOAD_ID_MAX 1024
#define BPG_S3_MAX_PARTS     10000
#define BPG_S3_MIN_PART      ((size_t)5 << 20)   /* every part but the last */
#define BPG_S3_SHA256_HEX    64                  /* a SHA-256 in hex */
#define BPG_S3_CRC32_B64     BPG_CRC32_B64_LEN   /* a CRC-32 in base64 (bpg_crc32_b64) */
#define BPG_S3_OWNER_MAX     512                 /* the owner recorded on an object */

struct bpg_s3;

/*
 * Makes a client for conf: addressing (path-style, or virtual-hosted bucket.host), region,
 * endpoint (NULL: https://s3.<region>.amazonaws.com), CA file, timeouts. Credentials: the
 * configured access_key_id with secret_access_key_file (and session_token_file); else the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); else the
 * credentials_file (or AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/credentials) section
 * credentials_profile. Files are read again when they change (rotation). One reused curl
 * handle, so one client per process or thread. BPG_ECONFIG when no credentials can be found
 * or the endpoint is not an http(s) URL. Free with bpg_s3_free().
 */
enum bpg_err bpg_s3_new(const struct bpg_s3_conf *conf, struct bpg_s3 **out);

/* Closes the connection and wipes the credentials; NULL is a no-op. */
void bpg_s3_free(struct bpg_s3 *s);

/*
 * Every call below returns BPG_OK on a 2xx; BPG_ENOTFOUND on 404 (NoSuchKey, NoSuchBucket,
 * NoSuchUpload); BPG_ECONFLICT on 409 and 412; BPG_EUPSTREAM on 403 (why tells a signature
 * S3 computed otherwise, SignatureDoesNotMatch, from an unknown key or a denied access) and
 * other unexpected answers; BPG_EUNAVAIL when S3 could
 * not be reached, answered 5xx or 503 SlowDown; BPG_ETIMEOUT when it did not answer in time;
 * BPG_EINVAL for a key that is empty, too long or holds a NUL (or a bucket name that is not
 * one), and for a GET range past the end (416). why gets a one-line reason
 * naming the bucket and key (never a credential). Idempotent calls (GET, HEAD, DELETE, a
 * part PUT) are retried once on a connection failure or 5xx.
 */

/*
 * PUT of one whole object from memory (Content-Type application/octet-stream when NULL).
 * owner (NULL: none) is kept on the object as x-amz-meta-bpg-owner, signed; at most
 * BPG_S3_OWNER_MAX printable ASCII bytes (bpg_upauth_owner_tag writes one).
 */
enum bpg_err bpg_s3_put(struct bpg_s3 *s, const char *bucket, const char *key,
    const void *data, size_t len, const char *content_type, const char *owner, char *why,
    size_t whylen);

/*
 * A body read from a file as it is sent (pread, curl's buffer at a time; never held whole):
 * len bytes at off of fd, whose SHA-256 (lowercase hex, for the signature) the caller
 * computed as it wrote them. A non-zero *cancel (read atomically; may be NULL) stops the
 * transfer at its next read: the call then returns BPG_EIO ("cancelled") without a retry.
 */
struct bpg_s3_file_body {
	int fd;
	long long off;
	size_t len;
	char sha256_hex[BPG_S3_SHA256_HEX + 1];
	char crc32_b64[BPG_S3_CRC32_B64 + 1];   /* a part's CRC-32 (base64) to send, or "" */
	const int *cancel;
};

/* PUT of one whole object from a file (owner as bpg_s3_put's). */
enum bpg_err bpg_s3_put_file(struct bpg_s3 *s, const char *bucket, const char *key,
    const struct bpg_s3_file_body *f, const char *content_type, const char *owner, char *why,
    size_t whylen);

/* HEAD: *size_out gets the object's length (may be NULL). */
enum bpg_err bpg_s3_head(struct bpg_s3 *s, const char *bucket, const char *key,
    long long *size_out, char *why, size_t whylen);

/*
 * HEAD that also reads the owner kept on the object (x-amz-meta-bpg-owner) into owner_out
 * (may be NULL): "" when it has none. BPG_EUPSTREAM when that header is too long.
 */
enum bpg_err bpg_s3_head_owner(struct bpg_s3 *s, const char *bucket, const char *key,
    long long *size_out, char owner_out[BPG_S3_OWNER_MAX + 1], char *why, size_t whylen);

/*
 * Receives a GET's body as it arrives; returns 0 to go on, non-zero to stop (then the GET
 * returns BPG_EIO without a retry).
 */
typedef int (*bpg_s3_sink)(void *arg, const char *data, size_t len);

/*
 * GET of bytes [offset, offset+length) (length < 0: to the end; offset 0 and length < 0: the
 * whole object, no Range header), streamed to sink; nothing is buffered whole. A retry after
 * part of the body was delivered resumes from the next byte (If-Match the first answer's
 * ETag: an object replaced meanwhile gives BPG_ECONFLICT). length 0 fetches nothing.
 * The request has no total timeout but fails when no byte came for timeout_ms.
 */
enum bpg_err bpg_s3_get(struct bpg_s3 *s, const char *bucket, const char *key,
    long long offset, long long length, bpg_s3_sink sink, void *arg, char *why, size_t whylen);

/* DELETE of an object; deleting a missing key is BPG_OK (S3 answers 204). */
enum bpg_err bpg_s3_delete(struct bpg_s3 *s, const char *bucket, const char *key,
    char *why, size_t whylen);

/* One listed object; the strings live until the callback returns. */
struct bpg_s3_object {
	const char *key;
	long long size;
	const char *etag;
};

/* Returns 0 to go on, non-zero to stop the listing (the list call then returns BPG_OK). */
typedef int (*bpg_s3_each_object)(void *arg, const struct bpg_s3_object *o);

/* ListObjectsV2 of every key under prefix ("" for all), in key order, following pages. */
enum bpg_err bpg_s3_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_object each, void *arg, char *why, size_t whylen);

/*
 * Multipart upload: create gives upload_id (BPG_S3_UPLOAD_ID_MAX bytes); owner as
 * bpg_s3_put's (the completed object keeps it).
 */
enum bpg_err bpg_s3_mpu_create(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *content_type, const char *owner, char *upload_id, char *why, size_t whylen);

/*
 * The same, its parts checksummed: each part then carries x-amz-checksum-crc32 (the file
 * body's crc32_b64) and the completion lists them (S3 checks each part against its CRC-32,
 * and keeps a composite checksum instead of computing one over the whole object).
 */
enum bpg_err bpg_s3_mpu_create_crc32(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *content_type, const char *owner, char *upload_id, char *why, size_t whylen);

/* Uploads part part_no (1..BPG_S3_MAX_PARTS); etag gets its ETag, quotes kept. */
enum bpg_err bpg_s3_mpu_part(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, int part_no, const void *data, size_t len,
    char etag[BPG_S3_ETAG_MAX], char *why, size_t whylen);

/* Uploads part part_no from a file. */
enum bpg_err bpg_s3_mpu_part_file(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, int part_no, const struct bpg_s3_file_body *f,
    char etag[BPG_S3_ETAG_MAX], char *why, size_t whylen);

/*
 * Completes with parts 1..n whose ETags are etags[0..n-1]. An HTTP 200 whose body is an
 * <Error> (S3 does that) is reported as the error it names.
 */
enum bpg_err bpg_s3_mpu_complete(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, char (*etags)[BPG_S3_ETAG_MAX], int n, char *why, size_t whylen);
/* Completes an upload made with bpg_s3_mpu_create_crc32: crcs[i] is part i + 1's CRC-32. */
enum bpg_err bpg_s3_mpu_complete_crc32(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, char (*etags)[BPG_S3_ETAG_MAX], char (*crcs)[BPG_S3_CRC32_B64 + 1],
    int n, char *why, size_t whylen);

/* Aborts; an upload already gone is BPG_OK. */
enum bpg_err bpg_s3_mpu_abort(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, char *why, size_t whylen);

/* One in-progress multipart upload, for each_upload: initiated_ms is -1 when not given. */
typedef int (*bpg_s3_each_upload)(void *arg, const char *key, const char *upload_id,
    long long initiated_ms);

/* ListMultipartUploads under prefix (dangling uploads: tests and clean-up). */
enum bpg_err bpg_s3_mpu_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_upload each, void *arg, char *why, size_t whylen);

/* "s3.<region>.amazonaws.com" or the endpoint's host; for messages and metrics. */
const char *bpg_s3_host(const struct bpg_s3 *s);

/* Sets max-keys / max-uploads of each listing page (1..1000, the default; tests use less). */
void bpg_s3_set_page_size(struct bpg_s3 *s, int n);

/*
 * Maps an S3 answer (status, and the XML body, may be NULL) to the errors above; what
 * ("GET bucket/key") goes into why. A 2xx whose body is an <Error> document is the error
 * its <Code> names. Used by every call; exposed for tests.
 */
enum bpg_err bpg_s3_check(long status, const char *body, size_t len, const char *what,
    char *why, size_t whylen);

/*
 * Walks one listing page of len bytes as bpg_s3_list (uploads 0: each <Contents> to
 * each_object) or bpg_s3_mpu_list (uploads 1: each <Upload> to each_upload) do, with the
 * page's <IsTruncated> and next markers. Returns 0 when read, 1 when the callback stopped
 * it, -1 when unreadable (a bad item, or truncated without its markers). Exposed for tests.
 */
int bpg_s3_list_page(const char *body, size_t len, int uploads, bpg_s3_each_object each_object,
    bpg_s3_each_upload each_upload, void *arg);

#endif
