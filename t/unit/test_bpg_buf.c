/* Unit tests for bpg_buf: the growable, size-limited byte string. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_buf.h"
#include "testkit.h"

START_TEST(test_init_empty)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.limit, BPG_BUF_DEFAULT_LIMIT);
	bpg_buf_init(&b, 10);
	ck_assert_uint_eq(b.limit, 10);
	bpg_buf_release(&b);
	bpg_buf_release(&b);   /* twice is harmless */
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_append_puts_printf)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_buf_append(&b, "ab\0cd", 5), BPG_OK);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(memcmp(b.data, "ab\0cd", 6), 0);   /* NUL-terminated past the bytes */
	ck_assert_int_eq(bpg_buf_append(&b, NULL, 0), BPG_OK);
	ck_assert_uint_eq(b.len, 5);
	bpg_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(bpg_buf_puts(&b, "x="), BPG_OK);
	ck_assert_int_eq(bpg_buf_printf(&b, "%d,%s,%05.1f", 42, "y", 2.5), BPG_OK);
	ck_assert_str_eq(b.data, "x=42,y,002.5");
	ck_assert_uint_eq(b.len, strlen("x=42,y,002.5"));
	ck_assert_int_eq(bpg_buf_printf(&b, "%s", ""), BPG_OK);
	ck_assert_uint_eq(b.len, strlen("x=42,y,002.5"));
	bpg_buf_release(&b);
}
END_TEST

START_TEST(test_growth_keeps_content)
{
	struct bpg_buf b;
	char expect[10001];

	bpg_buf_init(&b, 0);
	for (int i = 0; i < 10000; i++) {
		expect[i] = (char)('a' + i % 26);
		ck_assert_int_eq(bpg_buf_append(&b, &expect[i], 1), BPG_OK);
	}
	expect[10000] = '\0';
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_uint_ge(b.cap, 10001);
	ck_assert_str_eq(b.data, expect);
	bpg_buf_release(&b);
	/* a big printf in one go */
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_buf_printf(&b, "%s|%s", expect, expect), BPG_OK);
	ck_assert_uint_eq(b.len, 20001);
	ck_assert_int_eq(b.data[10000], '|');
	bpg_buf_release(&b);
}
END_TEST

/* The limit counts bytes, not the NUL: exactly limit fits, one more does not. */
START_TEST(test_limit)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 8);
	ck_assert_int_eq(bpg_buf_puts(&b, "12345678"), BPG_OK);
	ck_assert_int_eq(bpg_buf_puts(&b, "9"), BPG_ETOOLARGE);
	ck_assert_str_eq(b.data, "12345678");   /* a failed append changes nothing */
	ck_assert_int_eq(bpg_buf_printf(&b, "%d", 1), BPG_ETOOLARGE);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_int_eq(bpg_buf_append(&b, "", 0), BPG_OK);
	bpg_buf_reset(&b);
	ck_assert_int_eq(bpg_buf_printf(&b, "%s", "123456789"), BPG_ETOOLARGE);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(bpg_buf_printf(&b, "%s", "12345678"), BPG_OK);
	/* huge sizes must not wrap around */
	ck_assert_int_eq(bpg_buf_append(&b, "x", (size_t)-1), BPG_ETOOLARGE);
	ck_assert_int_eq(bpg_buf_append(&b, "x", (size_t)-1 - 4), BPG_ETOOLARGE);
	ck_assert_uint_eq(b.len, 8);
	bpg_buf_release(&b);
}
END_TEST

START_TEST(test_detach)
{
	struct bpg_buf b;
	char *s = NULL;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_buf_detach(&b, &s), BPG_OK);   /* empty: "" not NULL */
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(bpg_buf_puts(&b, "hello"), BPG_OK);
	ck_assert_int_eq(bpg_buf_detach(&b, &s), BPG_OK);
	ck_assert_str_eq(s, "hello");
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	/* reusable after a detach */
	ck_assert_int_eq(bpg_buf_puts(&b, "again"), BPG_OK);
	ck_assert_str_eq(b.data, "again");
	free(s);
	bpg_buf_reset(&b);
	ck_assert_int_eq(bpg_buf_detach(&b, &s), BPG_OK);
	ck_assert_str_eq(s, "");
	free(s);
	bpg_buf_release(&b);
}
END_TEST

START_TEST(test_wipe)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_buf_puts(&b, "s3cret"), BPG_OK);
	bpg_buf_wipe(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	bpg_buf_wipe(&b);   /* on an empty buffer too */
	ck_assert_int_eq(bpg_buf_puts(&b, "x"), BPG_OK);
	bpg_buf_release(&b);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_TEST(test_init_empty),
		TK_TEST(test_append_puts_printf),
		TK_TEST(test_growth_keeps_content),
		TK_TEST(test_limit),
		TK_TEST(test_detach),
		TK_TEST(test_wipe),
	};

	return tk_run("bpg_buf", tests, TK_LEN(tests), NULL);
}
