/* bpg_buf: a growable byte string with a hard size limit. */
#ifndef BPG_BUF_H
#define BPG_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include "bpg_err.h"

/* Default ceiling of any buffer: 64 MiB; appends past the limit fail with BPG_ETOOLARGE. */
#define BPG_BUF_DEFAULT_LIMIT ((size_t)64 << 20)

struct bpg_buf {
	char *data;    /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t limit;  /* 0 means BPG_BUF_DEFAULT_LIMIT */
};

/* Initialises caller storage to an empty buffer; release with bpg_buf_release(). */
void bpg_buf_init(struct bpg_buf *b, size_t limit);

/* Frees the data; the buffer is empty and reusable afterwards. */
void bpg_buf_release(struct bpg_buf *b);

/* Like bpg_buf_release() but zeroes the bytes first (for secrets). */
void bpg_buf_wipe(struct bpg_buf *b);

/* Empties the buffer keeping its allocation. */
void bpg_buf_reset(struct bpg_buf *b);

/* Makes room for extra more bytes and the NUL past len (len unchanged): data[len..len+extra]
 * may then be written directly. BPG_ETOOLARGE past the limit, BPG_ENOMEM. */
enum bpg_err bpg_buf_reserve(struct bpg_buf *b, size_t extra);

/* Appends n bytes; BPG_ETOOLARGE over the limit, BPG_ENOMEM on allocation failure. */
enum bpg_err bpg_buf_append(struct bpg_buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. */
enum bpg_err bpg_buf_puts(struct bpg_buf *b, const char *s);

/* Appends formatted text. */
enum bpg_err bpg_buf_printf(struct bpg_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum bpg_err bpg_buf_vprintf(struct bpg_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Hands the data to the caller (free() it) and leaves the buffer empty; never NULL on BPG_OK. */
enum bpg_err bpg_buf_detach(struct bpg_buf *b, char **out);

/*
 * Writes the decimal digits of u just before end (20 bytes at most) and returns where they
 * start: numbers without printf, for the text every request writes.
 */
static inline char *
bpg_buf_digits(char *end, unsigned long long u)
{
	do
		*--end = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	return end;
}

#endif
