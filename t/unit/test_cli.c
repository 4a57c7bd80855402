/* Unit tests for the bpg client's pure helpers: --since, netrc lookup, human formats. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define NOW 1796400000000LL   /* 2026-12-04T16:00:00Z */

static const struct {
	const char *in;
	int ok;
	long long want;
} since[] = {
	{ "90s", 0, NOW - 90000 },
	{ "30m", 0, NOW - 1800000 },
	{ "2h", 0, NOW - 7200000 },
	{ "7d", 0, NOW - 7 * 86400000LL },
	{ "1w", 0, NOW - 604800000 },
	{ "0s", 0, NOW },
	{ "2026-12-01", 0, 1796083200000LL },
	{ "2026-12-01T10:00", 0, 1796119200000LL },
	{ "2026-12-01T10:00:30Z", 0, 1796119230000LL },
	{ "2026-12-01 10:00:30", 0, 1796119230000LL },
	{ "", -1, 0 },
	{ "h", -1, 0 },
	{ "-2h", -1, 0 },
	{ "+2h", -1, 0 },
	{ " 2h", -1, 0 },
	{ "2hours", -1, 0 },
	{ "2y", -1, 0 },
	{ "100001d", -1, 0 },          /* bounded: no overflow */
	{ "99999999999999999999h", -1, 0 },
	{ "yesterday", -1, 0 },
	{ "2026-13-01", -1, 0 },
	{ "2026-12-01T", -1, 0 },
	{ "2026-12-01T10:00+02:00", -1, 0 },
	{ "2026-12-01x", -1, 0 },
};

START_TEST(test_since_table)
{
	long long got = -7;

	ck_assert_msg(cli_parse_since(since[_i].in, NOW, &got) == since[_i].ok, "%s", since[_i].in);
	if (since[_i].ok == 0)
		ck_assert_msg(got == since[_i].want, "%s: %lld, want %lld", since[_i].in, got, since[_i].want);
	else
		ck_assert_int_eq(got, -7);   /* untouched on failure */
}
END_TEST

static const char netrc_text[] =
	"machine other.example login bob password b0b\n"
	"machine bpg.example\n  login alice\n  password s3cret\n"
	"macdef init\nmachine bpg.example login mallory password fromamacro\n\n"
	"machine bpg.example login carol password c4rol\n"
	"default login anon password anonpw\n";

static const struct {
	const char *host, *user;
	const char *pass, *user_out;
} netrc[] = {
	{ "bpg.example", NULL, "s3cret", "alice" },    /* the first entry, its login taken */
	{ "bpg.example", "alice", "s3cret", "alice" },
	{ "bpg.example", "carol", "c4rol", "carol" },  /* the entry of that login */
	{ "bpg.example", "mallory", NULL, "mallory" }, /* inside a macdef: not an entry */
	{ "other.example", NULL, "b0b", "bob" },
	{ "unknown.example", NULL, "anonpw", "anon" }, /* default */
	{ "unknown.example", "dave", NULL, "dave" },
};

START_TEST(test_netrc_table)
{
	char *text = strdup(netrc_text), *user = netrc[_i].user ? strdup(netrc[_i].user) : NULL;
	char *pass = cli_netrc_find(text, netrc[_i].host, &user);

	if (netrc[_i].pass == NULL)
		ck_assert_ptr_null(pass);
	else
		ck_assert_str_eq(pass, netrc[_i].pass);
	ck_assert_str_eq(user, netrc[_i].user_out);
	free(pass);
	free(user);
	free(text);
}
END_TEST

START_TEST(test_netrc_without_default)
{
	char text[] = "machine a login x password y";
	char empty[] = "";
	char *user = NULL;

	ck_assert_ptr_null(cli_netrc_find(text, "b", &user));
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(cli_netrc_find(empty, "a", &user));
}
END_TEST

static const struct {
	long long ms;
	const char *dur;
} durations[] = {
	{ -1, "-" }, { 0, "0s" }, { 999, "0s" }, { 59999, "59s" }, { 60000, "1m00s" },
	{ 3599000, "59m59s" }, { 3600000, "1h00m" }, { 86399000, "23h59m" }, { 86400000, "1d00h" },
	{ 90061000, "1d01h" },
};

START_TEST(test_duration_table)
{
	char out[32];

	cli_fmt_duration(durations[_i].ms, out, sizeof(out));
	ck_assert_str_eq(out, durations[_i].dur);
}
END_TEST

START_TEST(test_bytes_and_ago)
{
	char out[32];

	cli_fmt_bytes(0, out, sizeof(out));
	ck_assert_str_eq(out, "0 B");
	cli_fmt_bytes(1023, out, sizeof(out));
	ck_assert_str_eq(out, "1023 B");
	cli_fmt_bytes(1536, out, sizeof(out));
	ck_assert_str_eq(out, "1.5 KiB");
	cli_fmt_bytes(32.0 * 1024 * 1024, out, sizeof(out));
	ck_assert_str_eq(out, "32.0 MiB");
	cli_fmt_bytes(5.0 * 1024 * 1024 * 1024 * 1024 * 1024, out, sizeof(out));
	ck_assert_str_eq(out, "5120.0 TiB");
	cli_fmt_ago(NOW - 300000, NOW, out, sizeof(out));
	ck_assert_str_eq(out, "5m00s ago");
	cli_fmt_ago(NOW - 10, NOW, out, sizeof(out));
	ck_assert_str_eq(out, "just now");
	cli_fmt_ago(0, NOW, out, sizeof(out));
	ck_assert_str_eq(out, "-");
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_since_table, 0, sizeof(since) / sizeof(since[0]));
	tcase_add_loop_test(tc, test_netrc_table, 0, sizeof(netrc) / sizeof(netrc[0]));
	tcase_add_test(tc, test_netrc_without_default);
	tcase_add_loop_test(tc, test_duration_table, 0, sizeof(durations) / sizeof(durations[0]));
	tcase_add_test(tc, test_bytes_and_ago);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
