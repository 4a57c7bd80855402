/*
 * bpg_multipart: a streaming multipart/form-data reader for a body of exactly one file part
 * (what `curl -F name=@FILE` sends). Bytes are fed in chunks of any size; the part's content
 * goes to a sink as it is found, in constant memory (the delimiter may be split across
 * chunks anywhere). Pure: no I/O.
 */
#ifndef BPG_MULTIPART_H
#define BPG_MULTIPART_H

#include <stddef.h>
#include "bpg_err.h"

#define BPG_MULTIPART_BOUNDARY_MAX 70      /* RFC 2046 */
#define BPG_MULTIPART_HEADERS_MAX  8192    /* the part's header block */

/* Receives the file part's bytes in order; non-zero stops the reader (BPG_EIO). */
typedef int (*bpg_multipart_sink)(void *ctx, const char *data, size_t len);

struct bpg_multipart {
	bpg_multipart_sink sink;
	void *ctx;
	char delim[BPG_MULTIPART_BOUNDARY_MAX + 4];     /* "\r\n--" boundary */
	size_t dlen;
	size_t matched;         /* bytes of delim matched so far (held back, not yet emitted) */
	int state;
	int parts;              /* parts begun */
	char headers[BPG_MULTIPART_HEADERS_MAX];
	size_t hlen;
	unsigned long long size;    /* the file part's bytes sent to the sink */
};

/*
 * 1 when content_type is multipart/form-data (any case, parameters after ';'), else 0.
 * A NULL content_type is 0.
 */
int bpg_multipart_is_form(const char *content_type);

/*
 * Starts a reader for the boundary parameter of content_type. BPG_EINVAL with why when the
 * boundary is missing, empty, longer than BPG_MULTIPART_BOUNDARY_MAX or holds a control
 * character. Nothing is allocated.
 */
enum bpg_err bpg_multipart_init(struct bpg_multipart *m, const char *content_type,
    bpg_multipart_sink sink, void *ctx, struct bpg_why *why);

/*
 * Feeds n body bytes. BPG_EINVAL with why when the body is not one file part
 * (no Content-Disposition filename, a second part, bad framing, headers over
 * BPG_MULTIPART_HEADERS_MAX); BPG_EIO when the sink refused. After an error, stop feeding.
 */
enum bpg_err bpg_multipart_feed(struct bpg_multipart *m, const char *p, size_t n,
    struct bpg_why *why);

/* At the body's end: BPG_OK only when the closing delimiter was read after one file part. */
enum bpg_err bpg_multipart_finish(const struct bpg_multipart *m, struct bpg_why *why);

#endif
