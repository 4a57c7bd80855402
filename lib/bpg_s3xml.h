/* bpg_s3xml: S3's XML, read bounded without a library (answers, listings, errors) and written
 * (CompleteMultipartUpload); an answer mapped to an error. Pure: no I/O. */
#ifndef BPG_S3XML_H
#define BPG_S3XML_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_err.h"

#define BPG_S3XML_VALUE_MAX  4096     /* one element's text, unescaped */
#define BPG_S3XML_KEY_MAX    1024     /* S3's own limit on a key, in bytes */
#define BPG_S3XML_ETAG_MAX   128
#define BPG_S3XML_ID_MAX     1024     /* a multipart upload id */
#define BPG_S3XML_CRC32_B64  8        /* a CRC-32 in base64 (bpg_crc32.h checks it) */

/* Trims [*p, *p + *n) of spaces, tabs and CRs on both ends. */
void bpg_s3xml_trim(const char **p, size_t *n);

/*
 * Finds tag in [p, end) and unescapes its text into out (outlen bytes, NUL-terminated);
 * 0 when absent, invalid (a bad entity, a NUL, a '<') or too long.
 */
int bpg_s3xml_get(const char *p, const char *end, const char *tag, char *out, size_t outlen);

/*
 * Maps an S3 answer (status, and the XML body, may be NULL) to the errors bpg_s3.h lists;
 * what ("GET bucket/key") goes into why. A 2xx whose body is an <Error> document is the
 * error its <Code> names. Used by every call; exposed for tests.
 */
enum bpg_err bpg_s3_check(long status, const char *body, size_t len, const char *what,
    struct bpg_why *why);

/* One listed object; the strings live until the callback returns. */
struct bpg_s3_object {
	const char *key;
	long long size;
	const char *etag;
};

/* Returns 0 to go on, non-zero to stop the listing (the list call then returns BPG_OK). */
typedef int (*bpg_s3_each_object)(void *arg, const struct bpg_s3_object *o);

/* One in-progress multipart upload, for each_upload: initiated_ms is -1 when not given. */
typedef int (*bpg_s3_each_upload)(void *arg, const char *key, const char *upload_id,
    long long initiated_ms);

/* A listing: which callback gets the items, and how pages follow each other. */
struct bpg_s3xml_lister {
	const char *item;                     /* "Contents", "Upload" */
	bpg_s3_each_object each_object;
	bpg_s3_each_upload each_upload;
	void *arg;
	const char *next_tag[2];              /* the page's markers: element names... */
	size_t next_param[2];                 /* ...and the query parameters they go to */
	size_t n_next;
};

/*
 * Walks one page: every item through its callback; next[i] gets marker i when <IsTruncated>
 * is true, else next[0] is "". Returns 0 when read, 1 when stopped by the callback, -1 when
 * unreadable (a bad item, or truncated without its markers).
 */
int bpg_s3xml_list_page(const struct bpg_s3xml_lister *l, const struct bpg_buf *body,
    char next[][BPG_S3XML_VALUE_MAX]);

/*
 * Walks one listing page of len bytes as bpg_s3_list (uploads 0: each <Contents> to
 * each_object) or bpg_s3_mpu_list (uploads 1: each <Upload> to each_upload) do, with the
 * page's <IsTruncated> and next markers. Returns 0 when read, 1 when the callback stopped
 * it, -1 when unreadable (a bad item, or truncated without its markers). Exposed for tests.
 */
int bpg_s3_list_page(const char *body, size_t len, int uploads, bpg_s3_each_object each_object,
    bpg_s3_each_upload each_upload, void *arg);

/* The parts of a multipart upload to complete: parts 1..n (crcs NULL: no checksums). */
struct bpg_s3_parts {
	char (*etags)[BPG_S3XML_ETAG_MAX];    /* part i + 1's ETag, quotes kept */
	char (*crcs)[BPG_S3XML_CRC32_B64 + 1];  /* part i + 1's CRC-32 (base64), or NULL */
	int n;
};

/*
 * Writes the CompleteMultipartUpload document for parts; BPG_EINVAL when an ETag or a
 * checksum is empty or unterminated, BPG_ENOMEM.
 */
enum bpg_err bpg_s3xml_complete_doc(const struct bpg_s3_parts *parts, struct bpg_buf *out);

#endif
