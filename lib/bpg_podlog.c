/* bpg_podlog: log bytes on their way to a /log reader: fluent-bit records, tails, limits. */
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "bpg_podlog.h"

#define RING_START ((size_t)64 << 10)   /* the tail ring grows from here to ring_max */

/* The string field "log" of the JSON object in n bytes of p, or NULL (cJSON_Delete *doc). */
static const char *
log_field(const char *p, size_t n, cJSON **doc)
{
	const cJSON *l;

	*doc = NULL;
	if (n < 2 || p[0] != '{')
		return NULL;
	if ((*doc = cJSON_ParseWithLength(p, n)) == NULL)
		return NULL;
	l = cJSON_GetObjectItemCaseSensitive(*doc, "log");
	return cJSON_IsString(l) ? l->valuestring : NULL;
}

enum bpg_err
bpg_podlog_fluentbit_line(const char *line, size_t n, struct bpg_buf *out)
{
	cJSON *outer = NULL, *inner = NULL;
	const char *msg = log_field(line, n, &outer), *in;
	size_t len;
	enum bpg_err err;

	if (msg == NULL) {
		cJSON_Delete(outer);
		return bpg_buf_append(out, line, n);
	}
	in = log_field(msg, strlen(msg), &inner);
	if (in != NULL)
		msg = in;
	len = strlen(msg);
	if (len > 0 && msg[len - 1] == '\n')
		len--;
	err = bpg_buf_append(out, msg, len);
	cJSON_Delete(inner);
	cJSON_Delete(outer);
	return err;
}

enum bpg_err
bpg_podlog_init(struct bpg_podlog *f, int fluentbit, long long tail_lines,
    long long limit_bytes, bpg_podlog_sink sink, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->sink = sink;
	f->arg = arg;
	f->fluentbit = fluentbit;
	f->tail_lines = tail_lines > 0 ? tail_lines : 0;
	f->limit_bytes = limit_bytes > 0 ? limit_bytes : 0;
	bpg_buf_init(&f->line, BPG_PODLOG_LINE_MAX + 1);
	bpg_buf_init(&f->decoded, BPG_PODLOG_LINE_MAX + 2);
	if (f->tail_lines > 0) {
		f->ring_max = BPG_PODLOG_TAIL_MAX;
		f->ring_cap = RING_START;
		if ((f->ring = malloc(f->ring_cap)) == NULL)
			return BPG_ENOMEM;
	}
	return BPG_OK;
}

void
bpg_podlog_release(struct bpg_podlog *f)
{
	bpg_buf_release(&f->line);
	bpg_buf_release(&f->decoded);
	free(f->ring);
	f->ring = NULL;
}

void
bpg_podlog_set_fluentbit(struct bpg_podlog *f, int on)
{
	f->fluentbit = on;
}

/* The last stage: the byte limit, then the sink. */
static int
emit(struct bpg_podlog *f, const char *p, size_t n)
{
	if (f->limited || f->stopped)
		return 1;
	if (f->limit_bytes > 0 && (long long)(f->emitted + n) >= f->limit_bytes) {
		n = (size_t)(f->limit_bytes - (long long)f->emitted);
		f->limited = 1;
	}
	if (n > 0 && f->sink(f->arg, p, n) != 0)
		f->stopped = 1;
	f->emitted += n;
	return f->limited || f->stopped;
}

/* Grows the ring towards ring_max while it has not wrapped (its bytes are still in order). */
static void
ring_grow(struct bpg_podlog *f, size_t need)
{
	size_t cap = f->ring_cap;
	char *r;

	if (f->ring_wrapped || cap >= f->ring_max)
		return;   /* bytes were dropped already: it wraps from now on */
	while (cap < need && cap < f->ring_max)
		cap *= 2;
	if (cap > f->ring_max)
		cap = f->ring_max;
	if (cap == f->ring_cap || (r = realloc(f->ring, cap)) == NULL)
		return;   /* without more memory the ring wraps sooner: a shorter tail at worst */
	f->ring = r;
	f->ring_cap = cap;
	f->ring_pos = f->ring_len;
}

/* Keeps the last ring_cap bytes. */
static void
ring_push(struct bpg_podlog *f, const char *p, size_t n)
{
	if (f->ring_len + n > f->ring_cap)
		ring_grow(f, f->ring_len + n);
	if (f->ring_len + n > f->ring_cap)
		f->ring_wrapped = 1;
	if (n >= f->ring_cap) {
		memcpy(f->ring, p + n - f->ring_cap, f->ring_cap);
		f->ring_len = f->ring_cap;
		f->ring_pos = 0;
		return;
	}
	while (n > 0) {
		size_t k = f->ring_cap - f->ring_pos;
		if (k > n)
			k = n;
		memcpy(f->ring + f->ring_pos, p, k);
		f->ring_pos = (f->ring_pos + k) % f->ring_cap;
		f->ring_len = f->ring_len + k > f->ring_cap ? f->ring_cap : f->ring_len + k;
		p += k;
		n -= k;
	}
}

static int
stage_tail(struct bpg_podlog *f, const char *p, size_t n)
{
	if (f->tail_lines == 0)
		return emit(f, p, n);
	ring_push(f, p, n);
	return 0;
}

/* Decodes one whole record and passes it on with its newline. */
static int
record(struct bpg_podlog *f, const char *p, size_t n)
{
	struct bpg_buf *b = &f->decoded;

	bpg_buf_reset(b);
	if (bpg_podlog_fluentbit_line(p, n, b) != BPG_OK || bpg_buf_append(b, "\n", 1) != BPG_OK)
		return stage_tail(f, p, n) || stage_tail(f, "\n", 1);
	return stage_tail(f, b->data, b->len);
}

int
bpg_podlog_write(struct bpg_podlog *f, const char *p, size_t n)
{
	const char *nl;

	if (!f->fluentbit)
		return stage_tail(f, p, n);
	while (n > 0) {
		size_t k;
		nl = memchr(p, '\n', n);
		k = nl ? (size_t)(nl - p) : n;
		if (f->line.len + k > BPG_PODLOG_LINE_MAX) {
			/* not a record anyone wrote: through as it is */
			if ((f->line.len && stage_tail(f, f->line.data, f->line.len)) ||
			    stage_tail(f, p, nl ? k + 1 : k))
				return 1;
			bpg_buf_reset(&f->line);
		} else if (bpg_buf_append(&f->line, p, k) != BPG_OK) {
			return 1;
		} else if (nl != NULL) {
			if (record(f, f->line.data ? f->line.data : "", f->line.len))
				return 1;
			bpg_buf_reset(&f->line);
		}
		if (nl == NULL)
			break;
		p += k + 1;
		n -= k + 1;
	}
	return f->limited || f->stopped;
}

int
bpg_podlog_end_object(struct bpg_podlog *f)
{
	int stop = 0;

	if (!f->fluentbit)
		return f->limited || f->stopped;
	if (f->line.len > 0)
		stop = record(f, f->line.data, f->line.len);
	bpg_buf_reset(&f->line);
	/* the Java gateway ends each object with an empty line */
	return stop || stage_tail(f, "\n", 1);
}

int
bpg_podlog_finish(struct bpg_podlog *f)
{
	size_t start, i, len = f->ring_len, first = len < f->ring_cap ? 0 : f->ring_pos;
	long long want = f->tail_lines;

	if (f->tail_lines == 0 || len == 0)
		return f->stopped;
	/* the byte at logical index i is ring[(first + i) % cap]; a final '\n' ends, not starts */
	i = len;
	if (f->ring[(first + len - 1) % f->ring_cap] == '\n')
		i--;
	start = 0;
	while (i > 0) {
		i--;
		if (f->ring[(first + i) % f->ring_cap] == '\n' && --want == 0) {
			start = i + 1;
			break;
		}
	}
	if (first + start < f->ring_cap) {
		size_t a = (first + len <= f->ring_cap ? len : f->ring_cap - first) - start;
		if (emit(f, f->ring + first + start, a) && f->stopped)
			return 1;
		if (first + len > f->ring_cap)
			(void)emit(f, f->ring, len - (f->ring_cap - first));
	} else {
		(void)emit(f, f->ring + (first + start) % f->ring_cap, len - start);
	}
	return f->stopped;
}
