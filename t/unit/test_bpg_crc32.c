/* Unit tests for bpg_crc32: known values, any split of the bytes, S3's base64 form. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_crc32.h"
#include "testkit.h"

/* The plain bit-at-a-time definition, to hold the sliced one against. */
static uint32_t
crc_ref(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

START_TEST(test_known)
{
	char b64[BPG_CRC32_B64_LEN + 1];

	ck_assert_uint_eq(bpg_crc32(0, "", 0), 0);
	ck_assert_uint_eq(bpg_crc32(0, "123456789", 9), 0xCBF43926u);   /* the check value */
	ck_assert_uint_eq(bpg_crc32(0, "The quick brown fox jumps over the lazy dog", 43),
	    0x414FA339u);
	bpg_crc32_b64(0xCBF43926u, b64);
	ck_assert_str_eq(b64, "y/Q5Jg==");   /* as x-amz-checksum-crc32 carries it */
	bpg_crc32_b64(0, b64);
	ck_assert_str_eq(b64, "AAAAAA==");
}
END_TEST

/* Every length and alignment, whole or in two pieces, gives the reference value. */
START_TEST(test_splits)
{
	unsigned char buf[300];

	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= sizeof(buf); n += 7) {
			uint32_t want = crc_ref(buf + off, n);
			ck_assert_uint_eq(bpg_crc32(0, buf + off, n), want);
			for (size_t cut = 0; cut <= n; cut += 13)
				ck_assert_uint_eq(bpg_crc32(bpg_crc32(0, buf + off, cut), buf + off + cut,
				    n - cut), want);
		}
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_TEST(test_known),
		TK_TEST(test_splits),
	};

	return tk_run("bpg_crc32", tests, TK_LEN(tests), NULL);
}
