/* bpg_buf: a growable byte string with a hard size limit. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_buf.h"

void
bpg_buf_init(struct bpg_buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit ? limit : BPG_BUF_DEFAULT_LIMIT;
}

void
bpg_buf_release(struct bpg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
bpg_buf_wipe(struct bpg_buf *b)
{
	if (b->data != NULL) {
		volatile char *p = b->data;
		for (size_t i = 0; i < b->cap; i++)
			p[i] = 0;
	}
	bpg_buf_release(b);
}

void
bpg_buf_reset(struct bpg_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for extra more bytes plus the NUL. */
static enum bpg_err
buf_reserve(struct bpg_buf *b, size_t extra)
{
	size_t limit = b->limit ? b->limit : BPG_BUF_DEFAULT_LIMIT;
	size_t need, cap;
	char *p;

	if (extra > limit || b->len > limit - extra)
		return BPG_ETOOLARGE;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return BPG_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return BPG_ENOMEM;
	b->data = p;
	b->cap = cap;
	return BPG_OK;
}

enum bpg_err
bpg_buf_reserve(struct bpg_buf *b, size_t extra)
{
	return buf_reserve(b, extra);
}

enum bpg_err
bpg_buf_append(struct bpg_buf *b, const void *p, size_t n)
{
	enum bpg_err err = buf_reserve(b, n);

	if (err != BPG_OK)
		return err;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return BPG_OK;
}

enum bpg_err
bpg_buf_puts(struct bpg_buf *b, const char *s)
{
	return bpg_buf_append(b, s, strlen(s));
}

enum bpg_err
bpg_buf_vprintf(struct bpg_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	enum bpg_err err;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return BPG_EINTERNAL;
	if ((err = buf_reserve(b, (size_t)n)) != BPG_OK)
		return err;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		return BPG_EINTERNAL;
	b->len += (size_t)n;
	return BPG_OK;
}

enum bpg_err
bpg_buf_printf(struct bpg_buf *b, const char *fmt, ...)
{
	va_list ap;
	enum bpg_err err;

	va_start(ap, fmt);
	err = bpg_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

enum bpg_err
bpg_buf_detach(struct bpg_buf *b, char **out)
{
	enum bpg_err err;

	if (b->data == NULL && (err = buf_reserve(b, 0)) != BPG_OK)
		return err;
	if (b->len == 0)
		b->data[0] = '\0';
	*out = b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return BPG_OK;
}
