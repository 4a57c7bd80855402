/* bpg_s3http: the S3 client's transport: one request signed (bpg_sigv4), sent on the client's
 * reused curl handle, retried once when idempotent, its answer mapped to an error. For
 * bpg_s3.c: the client's fields and the request's shape live here. */
#ifndef BPG_S3HTTP_H
#define BPG_S3HTTP_H

#include <stddef.h>
#include <curl/curl.h>
#include "bpg_buf.h"
#include "bpg_err.h"
#include "bpg_s3.h"
#include "bpg_s3cred.h"
#include "bpg_sigv4.h"

#define BPG_S3HTTP_MAX_BODY   ((size_t)8 << 20)   /* a listing or an error read into memory */
#define BPG_S3HTTP_MAX_PARAMS 6
#define BPG_S3HTTP_OWNER_HDR  "x-amz-meta-bpg-owner"  /* an object's owner (user metadata) */

struct bpg_s3 {
	CURL *curl;
	const char *scheme;       /* "http" or "https" */
	char *host;               /* the endpoint's host[:port] */
	char *region;
	char *ca_file;
	int path_style;
	long connect_timeout_ms;
	long timeout_ms;
	int page_size;            /* max-keys, max-uploads */
	struct bpg_s3cred cred;
};

/* One request: what to send, and for a GET where the body goes. */
struct bpg_s3_op {
	const char *method;
	const char *bucket;
	const char *key;                      /* NULL: the bucket itself */
	struct bpg_sigv4_pair params[BPG_S3HTTP_MAX_PARAMS];
	size_t n_params;
	const void *body;
	size_t len;
	const struct bpg_s3_file_body *file;  /* the body read from a file instead (then len) */
	const char *content_type;             /* sent and signed when not NULL */
	const char *checksum_hdr;             /* an x-amz-checksum-* header, sent and signed */
	const char *checksum_val;
	const char *owner;                    /* x-amz-meta-bpg-owner, sent and signed */
	int idempotent;                       /* retried once on EUNAVAIL */
	bpg_s3_sink sink;                     /* a streamed GET of [offset, offset+length) */
	void *arg;
	long long offset, length;
	int ranged;
};

/* What came back; delivered and etag survive a retry (a GET resumes). */
struct bpg_s3_resp {
	CURL *curl;
	const struct bpg_s3_op *op;
	long status;
	long long content_length;             /* of a HEAD's answer; -1 when not sent */
	struct bpg_buf body;
	char etag[BPG_S3_ETAG_MAX];
	char first_etag[BPG_S3_ETAG_MAX];     /* of the GET's first answer, for If-Match */
	int etag_bad;
	char owner[BPG_S3_OWNER_MAX + 1];     /* x-amz-meta-bpg-owner of the answer, or "" */
	int owner_bad;
	long long delivered;
	size_t sent;                          /* of a file body, this attempt */
	int sink_stopped, overflow, connected, cancelled, read_failed;
	char curl_err[CURL_ERROR_SIZE];
};

/* Clears r for a call (its body capped at BPG_S3HTTP_MAX_BODY); release r->body after. */
void bpg_s3http_resp_init(struct bpg_s3_resp *r);

/*
 * Sends op, once more for an idempotent op that met BPG_EUNAVAIL; logs the final failure
 * once. The answer's status, ETag, owner, Content-Length and (capped) body land in r. Errors
 * as bpg_s3.h lists them, why naming the method, bucket and key.
 */
enum bpg_err bpg_s3http_call(struct bpg_s3 *s, const struct bpg_s3_op *op,
    struct bpg_s3_resp *r, struct bpg_why *why);

#endif
