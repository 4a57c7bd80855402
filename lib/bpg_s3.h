/* bpg_s3: the S3 client (libcurl + bpg_sigv4): objects, ranges, listings, multipart uploads.
 * Its parts: bpg_s3cred (credentials), bpg_s3xml (S3's XML, errors), bpg_s3http (transport). */
#ifndef BPG_S3_H
#define BPG_S3_H

#include <stddef.h>
#include "bpg_config.h"
#include "bpg_crc32.h"
#include "bpg_err.h"
#include "bpg_s3xml.h"

#define BPG_S3_KEY_MAX       BPG_S3XML_KEY_MAX    /* S3's own limit on a key, in bytes */
#define BPG_S3_ETAG_MAX      BPG_S3XML_ETAG_MAX
#define BPG_S3_UPLOAD_ID_MAX BPG_S3XML_ID_MAX
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
 * Receives a GET's body as it arrives; returns 0 to go on, non-zero to stop (then the GET
 * returns BPG_EIO without a retry).
 */
typedef int (*bpg_s3_sink)(void *arg, const char *data, size_t len);

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

/*
 * One call on one object: each call below says which fields it reads; the others are
 * ignored (zero them: struct bpg_s3_req r = { .bucket = b, .key = k, ... }).
 */
struct bpg_s3_req {
	const char *bucket;
	const char *key;
	const void *data;                    /* a body in memory (NULL: empty) ... */
	size_t len;
	const struct bpg_s3_file_body *file; /* ... or read from a file (then data is ignored) */
	const char *content_type;            /* NULL: application/octet-stream */
	/*
	 * kept on the object as x-amz-meta-bpg-owner, signed (NULL: none); at most
	 * BPG_S3_OWNER_MAX printable ASCII bytes (bpg_upauth_owner_tag writes one)
	 */
	const char *owner;
	const char *upload_id;               /* a multipart upload's */
	int part_no;                         /* 1..BPG_S3_MAX_PARTS */
	int crc32;                           /* mpu_create: the parts carry their CRC-32 */
	long long offset, length;            /* get: the range */
	bpg_s3_sink sink;                    /* get: where the bytes go */
	void *arg;
};

/* PUT of one whole object: bucket, key, data/len or file, content_type, owner. */
enum bpg_err bpg_s3_put(struct bpg_s3 *s, const struct bpg_s3_req *r, struct bpg_why *why);

/* HEAD: *size_out gets the object's length (may be NULL). */
enum bpg_err bpg_s3_head(struct bpg_s3 *s, const char *bucket, const char *key,
    long long *size_out, struct bpg_why *why);

/*
 * HEAD that also reads the owner kept on the object (x-amz-meta-bpg-owner) into owner_out
 * (may be NULL): "" when it has none. BPG_EUPSTREAM when that header is too long.
 */
enum bpg_err bpg_s3_head_owner(struct bpg_s3 *s, const char *bucket, const char *key,
    long long *size_out, char owner_out[BPG_S3_OWNER_MAX + 1], struct bpg_why *why);

/*
 * GET of bucket/key's bytes [offset, offset+length) (length < 0: to the end; offset 0 and
 * length < 0: the whole object, no Range header), streamed to sink(arg); nothing is
 * buffered whole. A retry after part of the body was delivered resumes from the next byte
 * (If-Match the first answer's ETag: an object replaced meanwhile gives BPG_ECONFLICT).
 * length 0 fetches nothing. The request has no total timeout but fails when no byte came for
 * timeout_ms.
 */
enum bpg_err bpg_s3_fetch(struct bpg_s3 *s, const struct bpg_s3_req *r, struct bpg_why *why);


/* DELETE of an object; deleting a missing key is BPG_OK (S3 answers 204). */
enum bpg_err bpg_s3_delete(struct bpg_s3 *s, const char *bucket, const char *key,
    struct bpg_why *why);

/* ListObjectsV2 of every key under prefix ("" for all), in key order, following pages. */
enum bpg_err bpg_s3_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_object each, void *arg, struct bpg_why *why);

/*
 * Multipart upload of bucket/key: upload_id gets its id (BPG_S3_UPLOAD_ID_MAX bytes);
 * content_type and owner as bpg_s3_put's (the completed object keeps them). With crc32 each
 * part then carries x-amz-checksum-crc32 (the file body's crc32_b64) and the completion
 * lists them (S3 checks each part against its CRC-32, and keeps a composite checksum
 * instead of computing one over the whole object).
 */
enum bpg_err bpg_s3_mpu_create(struct bpg_s3 *s, const struct bpg_s3_req *r,
    char upload_id[BPG_S3_UPLOAD_ID_MAX], struct bpg_why *why);

/*
 * Uploads part part_no of upload_id from data/len or file; etag gets its ETag, quotes kept.
 */
enum bpg_err bpg_s3_mpu_part(struct bpg_s3 *s, const struct bpg_s3_req *r,
    char etag[BPG_S3_ETAG_MAX], struct bpg_why *why);

/*
 * Completes upload_id with parts (bpg_s3xml.h; their CRC-32s for an upload created with
 * crc32). An HTTP 200 whose body is an <Error> (S3 does that) is reported as the error it
 * names.
 */
enum bpg_err bpg_s3_mpu_complete(struct bpg_s3 *s, const struct bpg_s3_req *r,
    const struct bpg_s3_parts *parts, struct bpg_why *why);

/* Aborts; an upload already gone is BPG_OK. */
enum bpg_err bpg_s3_mpu_abort(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, struct bpg_why *why);

/* ListMultipartUploads under prefix (dangling uploads: tests and clean-up). */
enum bpg_err bpg_s3_mpu_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_upload each, void *arg, struct bpg_why *why);

/* "s3.<region>.amazonaws.com" or the endpoint's host; for messages and metrics. */
const char *bpg_s3_host(const struct bpg_s3 *s);

/* Sets max-keys / max-uploads of each listing page (1..1000, the default; tests use less). */
void bpg_s3_set_page_size(struct bpg_s3 *s, int n);

_Static_assert(BPG_S3XML_CRC32_B64 == BPG_CRC32_B64_LEN, "bpg_s3xml's CRC-32 length");

#endif
