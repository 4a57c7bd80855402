/* bpg_podlog: log bytes on their way to a /log reader: fluent-bit records, tails, limits. */
#ifndef BPG_PODLOG_H
#define BPG_PODLOG_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_err.h"

#define BPG_PODLOG_LINE_MAX ((size_t)1 << 20)   /* a longer record passes through as is */
#define BPG_PODLOG_TAIL_MAX ((size_t)16 << 20)  /* bytes kept to answer tailLines from S3 */

/*
 * Appends the message of one fluent-bit record line (no newline) to out: the record's "log"
 * field, and when that is itself a Docker json-file line, its "log", with one trailing
 * newline dropped and JSON escapes undone (the Java gateway's regex left them in). A line
 * that is not such a record is appended unchanged.
 */
enum bpg_err bpg_podlog_fluentbit_line(const char *line, size_t n, struct bpg_buf *out);

/* Where the bytes go; returns 0 to go on, non-zero to stop. */
typedef int (*bpg_podlog_sink)(void *arg, const char *data, size_t len);

/*
 * A filter between a log's bytes and the reader: an optional fluent-bit decoding, then the
 * last tail_lines lines (kept in a ring of BPG_PODLOG_TAIL_MAX bytes until the end), then at
 * most limit_bytes bytes. Feed with bpg_podlog_write(), end with bpg_podlog_finish().
 */
struct bpg_podlog {
	bpg_podlog_sink sink;
	void *arg;
	int fluentbit;            /* decode records line by line */
	long long tail_lines;     /* 0: all */
	long long limit_bytes;    /* 0: no limit; counts down */
	int limited;              /* the limit was reached: stop reading */
	int stopped;              /* the sink said stop */
	unsigned long long emitted;
	struct bpg_buf line;      /* a partial fluent-bit record */
	struct bpg_buf decoded;   /* the last record decoded (reused: one allocation a log) */
	char *ring;               /* tail_lines: the last bytes; grows to ring_max, then wraps */
	size_t ring_cap, ring_len, ring_pos, ring_max;
	int ring_wrapped;         /* bytes were dropped: no more growing */
};

/* BPG_ENOMEM when the tail ring cannot be had. Release with bpg_podlog_release(). */
enum bpg_err bpg_podlog_init(struct bpg_podlog *f, int fluentbit, long long tail_lines,
    long long limit_bytes, bpg_podlog_sink sink, void *arg);
void bpg_podlog_release(struct bpg_podlog *f);

/* Sets whether the next bytes are fluent-bit records (objects of a log may differ). */
void bpg_podlog_set_fluentbit(struct bpg_podlog *f, int on);

/* Feeds bytes; returns non-zero when the reader should stop (limit reached or sink stopped). */
int bpg_podlog_write(struct bpg_podlog *f, const char *p, size_t n);

/* Ends one object (flushes a last fluent-bit record without a newline). */
int bpg_podlog_end_object(struct bpg_podlog *f);

/* Ends the log: a tail is emitted now. Returns non-zero when the sink stopped. */
int bpg_podlog_finish(struct bpg_podlog *f);

#endif
