/*
 * libFuzzer: log bytes through bpg_podlog as GET /log streams them. The input is six
 * control bytes (which objects are fluent-bit records, tail_lines, limit_bytes, a ring size,
 * the chunking seed) then the log, cut into objects at each "\x01OBJ". The log is fed in
 * chunks of random sizes and checked against a reference run (the whole of each object at
 * once, no tail, no limit): chunking changes nothing, the output with tail N is the last N
 * lines of the reference (of its last ring_cap bytes when the ring is shrunk to make it wrap),
 * never holds more than N newlines, and the byte limit cuts it to a prefix of at most
 * limit_bytes. bpg_podlog_fluentbit_line never makes a line longer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_podlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CTRL       6
#define OBJ_SEP    "\x01OBJ"
#define MAX_OBJS   8

struct sink {
	struct bpg_buf out;
	size_t stop_after;   /* 0: never stop */
};

static int
to_buf(void *arg, const char *p, size_t n)
{
	struct sink *s = arg;

	if (n == 0)
		abort();   /* the filter never calls the sink for nothing */
	if (bpg_buf_append(&s->out, p, n) != BPG_OK)
		abort();
	return s->stop_after > 0 && s->out.len >= s->stop_after;
}

/* The first OBJ_SEP in [p, end), or NULL. */
static const char *
find_sep(const char *p, const char *end)
{
	size_t n = sizeof(OBJ_SEP) - 1;

	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, OBJ_SEP, n) == 0)
			return p;
	return NULL;
}

struct obj {
	const char *p;
	size_t n;
	int fluentbit;
};

/* Runs the objects through a filter; chunks of 1..max bytes from seed (0: whole objects). */
static void
run(const struct obj *o, size_t nobj, long long tail, long long limit, size_t ring_cap,
    unsigned seed, struct sink *s)
{
	struct bpg_podlog f;
	unsigned x = seed | 1;
	int stop = 0;

	if (bpg_podlog_init(&f, o[0].fluentbit, tail, limit, to_buf, s) != BPG_OK)
		abort();
	if (ring_cap > 0 && f.ring != NULL)
		f.ring_cap = f.ring_max = ring_cap;   /* a small ring, so that it wraps */
	for (size_t i = 0; i < nobj && !stop; i++) {
		const char *p = o[i].p;
		size_t n = o[i].n;
		bpg_podlog_set_fluentbit(&f, o[i].fluentbit);
		while (n > 0 && !stop) {
			size_t k = n;
			if (seed != 0) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				k = 1 + x % (1 + (seed & 0xff));
				if (k > n)
					k = n;
			}
			stop = bpg_podlog_write(&f, p, k);
			p += k;
			n -= k;
		}
		if (!stop)
			stop = bpg_podlog_end_object(&f);
	}
	(void)bpg_podlog_finish(&f);
	bpg_podlog_release(&f);
}

/* The last tail lines of n bytes of p, as bpg_podlog.h says: a final '\n' ends, not starts. */
static size_t
tail_start(const char *p, size_t n, long long tail)
{
	size_t i = n;

	if (n > 0 && p[n - 1] == '\n')
		i--;
	while (i > 0) {
		i--;
		if (p[i] == '\n' && --tail == 0)
			return i + 1;
	}
	return 0;
}

static size_t
count_nl(const char *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* Every line alone through bpg_podlog_fluentbit_line: never longer than it was. */
static void
check_lines(const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		struct bpg_buf b;
		bpg_buf_init(&b, 0);
		if (bpg_podlog_fluentbit_line(p, k, &b) != BPG_OK || b.len > k)
			abort();
		bpg_buf_release(&b);
		if (nl == NULL)
			break;
		p += k + 1;
		n -= k + 1;
	}
}

/* Cuts the log after the control bytes into objects at each OBJ_SEP; how many. */
static size_t
split_objs(const uint8_t *data, size_t size, struct obj *o)
{
	const char *p = (const char *)data + CTRL, *end = (const char *)data + size;
	size_t nobj = 0;

	while (nobj < MAX_OBJS) {
		const char *sep = nobj + 1 < MAX_OBJS ? find_sep(p, end) : NULL;
		o[nobj].p = p;
		o[nobj].n = sep ? (size_t)(sep - p) : (size_t)(end - p);
		o[nobj].fluentbit = (data[0] >> nobj) & 1;
		nobj++;
		if (sep == NULL)
			break;
		p = sep + sizeof(OBJ_SEP) - 1;
	}
	return nobj;
}

/* What a filter with tail, limit and ring_cap must give of the reference (*want, *wlen). */
static void
expected(const struct bpg_buf *ref, long long tail, long long limit, size_t ring_cap,
    const char **want, size_t *wlen)
{
	const char *w = ref->data;
	size_t n = ref->len, start;

	if (tail > 0) {
		if (ring_cap > 0 && n > ring_cap) {
			w += n - ring_cap;
			n = ring_cap;
		}
		start = tail_start(w, n, tail);
		w += start;
		n -= start;
		if (count_nl(w, n) > (size_t)tail)
			abort();
	}
	if (limit > 0 && n > (size_t)limit)
		n = (size_t)limit;
	*want = w;
	*wlen = n;
}

/* The same bytes, cut short only when the sink asked to stop. */
static void
check_got(const struct sink *got, const char *want, size_t wlen, long long limit)
{
	if (got->out.len > wlen || memcmp(got->out.data, want, got->out.len) != 0)
		abort();
	if (got->stop_after == 0 && got->out.len != wlen)
		abort();
	if (got->stop_after > 0 && got->out.len < wlen && got->out.len < got->stop_after)
		abort();
	if (limit > 0 && got->out.len > (size_t)limit)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obj o[MAX_OBJS];
	struct sink ref, got;
	const char *want;
	size_t nobj, ring_cap, wlen;
	long long tail, limit;
	unsigned seed;

	if (size < CTRL)
		return 0;
	tail = data[1] % 16 == 15 ? 1000000 : data[1] % 16;            /* 0: all */
	limit = data[2] < 128 ? 0 : (long long)(data[2] - 127) * data[3];   /* 0: none */
	ring_cap = data[4] < 128 ? 0 : (size_t)(data[4] - 127);
	seed = data[5];
	nobj = split_objs(data, size, o);
	check_lines((const char *)data + CTRL, size - CTRL);

	memset(&ref, 0, sizeof(ref));
	memset(&got, 0, sizeof(got));
	bpg_buf_init(&ref.out, 0);
	bpg_buf_init(&got.out, 0);
	if (bpg_buf_append(&ref.out, "", 0) != BPG_OK || bpg_buf_append(&got.out, "", 0) != BPG_OK)
		abort();
	run(o, nobj, 0, 0, 0, 0, &ref);
	/* every filter sees what a whole-object reader saw */
	expected(&ref.out, tail, limit, ring_cap, &want, &wlen);
	got.stop_after = (data[0] & 0x80) ? 1 + data[3] : 0;
	run(o, nobj, tail, limit, ring_cap, seed, &got);
	check_got(&got, want, wlen, limit);
	bpg_buf_release(&ref.out);
	bpg_buf_release(&got.out);
	return 0;
}
