/* Unit tests for bpg_time: the one clock, and RFC 3339 times read to epoch ms. */
#include <check.h>
#include <stdlib.h>
#include <time.h>
#include "bpg_time.h"

static const struct {
	const char *s;
	long long ms;
} rfc3339[] = {
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2026-11-24T10:00:00Z", 1795514400000LL },
	{ "2026-11-24T10:00:00.5Z", 1795514400500LL },
	{ "2026-11-24T10:00:00.123456Z", 1795514400123LL },
	{ "2026-11-24 10:00:00Z", -1 },
	{ "not a time", -1 },
	{ NULL, -1 },
};

START_TEST(test_parse)
{
	ck_assert_int_eq(bpg_time_parse_rfc3339(rfc3339[_i].s), rfc3339[_i].ms);
}
END_TEST

/* The wall clock is the epoch's milliseconds (time(2) within a second of it). */
START_TEST(test_now_is_wall_clock_ms)
{
	long long before = (long long)time(NULL) * 1000, now = bpg_time_now_ms();
	long long after = (long long)time(NULL) * 1000 + 1000;

	ck_assert_int_ge(now, before);
	ck_assert_int_le(now, after);
}
END_TEST

/* The monotonic clock never goes back, and its ms are its us / 1000. */
START_TEST(test_mono)
{
	long long us = bpg_time_mono_us(), ms = bpg_time_mono_ms(), us2 = bpg_time_mono_us();

	ck_assert_int_gt(us, 0);
	ck_assert_int_ge(us2, us);
	ck_assert_int_ge(ms, us / 1000);
	ck_assert_int_le(ms, us2 / 1000);
}
END_TEST

static Suite *
time_suite(void)
{
	Suite *s = suite_create("bpg_time");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse, 0, sizeof(rfc3339) / sizeof(rfc3339[0]));
	tcase_add_test(tc, test_now_is_wall_clock_ms);
	tcase_add_test(tc, test_mono);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(time_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
