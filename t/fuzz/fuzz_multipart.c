/*
 * libFuzzer: arbitrary bytes as a multipart/form-data body, read whole and in chunks cut
 * where the first byte says; both reads must agree (result and the part's bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_buf.h"
#include "bpg_multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
to_buf(void *ctx, const char *p, size_t n)
{
	return bpg_buf_append(ctx, p, n) != BPG_OK;
}

static enum bpg_err
read_body(const char *body, size_t len, size_t step, struct bpg_buf *out)
{
	static struct bpg_multipart m;
	char why[256];
	enum bpg_err err;

	err = bpg_multipart_init(&m, "multipart/form-data; boundary=\"-b-\"", to_buf, out,
	    BPG_WHY(why));
	for (size_t at = 0; at < len && err == BPG_OK; at += step)
		err = bpg_multipart_feed(&m, body + at, len - at < step ? len - at : step,
		    BPG_WHY(why));
	return err == BPG_OK ? bpg_multipart_finish(&m, BPG_WHY(why)) : err;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_buf whole, cut;
	enum bpg_err a, b;

	if (size < 1)
		return 0;
	bpg_buf_init(&whole, 0);
	bpg_buf_init(&cut, 0);
	a = read_body((const char *)data + 1, size - 1, size, &whole);
	b = read_body((const char *)data + 1, size - 1, (size_t)data[0] % 17 + 1, &cut);
	if (a != b || (a == BPG_OK && (whole.len != cut.len ||
	    (whole.len > 0 && memcmp(whole.data, cut.data, whole.len) != 0))))
		abort();
	bpg_buf_release(&whole);
	bpg_buf_release(&cut);
	return 0;
}
