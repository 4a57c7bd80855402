/* Unit tests for bpg_log: logfmt escaping and the shape of one line. */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_log.h"

static const struct {
	const char *in;
	const char *out;
} esc_cases[] = {
	{ "plain", "plain" },
	{ "c01", "c01" },
	{ "/apiv2/spark", "/apiv2/spark" },
	{ "", "\"\"" },
	{ NULL, "\"\"" },
	{ "a b", "\"a b\"" },
	{ "a=b", "\"a=b\"" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ "line1\nline2", "\"line1\\nline2\"" },
	{ "cr\rlf\n", "\"cr\\x0dlf\\n\"" },
	{ "tab\there", "\"tab\\x09here\"" },
	{ "bell\a", "\"bell\\x07\"" },
	{ "del\x7f", "\"del\\x7f\"" },
	{ "caf\xc3\xa9", "\"caf\\xc3\\xa9\"" },
	{ "x\" level=error msg=\"forged", "\"x\\\" level=error msg=\\\"forged\"" },
};

START_TEST(test_escape_table)
{
	char out[256];

	ck_assert_str_eq(bpg_log_escape(esc_cases[_i].in, out, sizeof(out)), esc_cases[_i].out);
}
END_TEST

/* Every byte: written bare exactly when it is printable ASCII but space, '"', '=' and '\\'. */
START_TEST(test_escape_every_byte)
{
	char in[4], out[64];

	for (int c = 1; c < 256; c++) {
		int bare = c > ' ' && c < 0x7f && c != '"' && c != '=' && c != '\\';
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'b';
		in[3] = '\0';
		bpg_log_escape(in, out, sizeof(out));
		ck_assert_msg((out[0] != '"') == bare, "byte %d: %s", c, out);
		if (bare)
			ck_assert_str_eq(out, in);
	}
}
END_TEST

/* Returns 1 if s holds a byte below 0x20 or at/above 0x7f. */
static int
has_raw_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 1;
	return 0;
}

/* Returns 1 if every '"' that is not escaped pairs up. */
static int
quotes_balanced(const char *s)
{
	int open = 0;

	for (; *s; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			open = !open;
	}
	return !open;
}

/* Whatever the room, the output fits, stays ASCII, and a cut value is still closed. */
START_TEST(test_escape_truncation)
{
	const char *in = "a \"quoted\"\nvalue\r\nwith \xff bytes and \\ backslashes, long enough to cut";
	char out[128];

	for (size_t n = 1; n <= sizeof(out); n++) {
		memset(out, 'Z', sizeof(out));
		bpg_log_escape(in, out, n);
		ck_assert_uint_lt(strlen(out), n);
		ck_assert_int_eq(out[n - 1] == '\0' || strlen(out) < n, 1);
		ck_assert_msg(!has_raw_ctl(out), "raw control byte at n=%zu: %s", n, out);
		if (n >= 3) {
			ck_assert_msg(quotes_balanced(out), "unbalanced at n=%zu: %s", n, out);
			ck_assert_int_eq(out[0], '"');
			ck_assert_int_eq(out[strlen(out) - 1], '"');
		}
	}
	/* a bare value cut short is marked too */
	bpg_log_escape("abcdefghijklmnopqrstuvwxyz", out, 10);
	ck_assert_str_eq(out, "abcde...");
	/* n == 0 writes nothing */
	out[0] = 'Z';
	bpg_log_escape("x", out, 0);
	ck_assert_int_eq(out[0], 'Z');
}
END_TEST

/* Captures the log output of one test in memory. */
static char *mem;
static size_t memlen;
static FILE *memfp;

static void
setup(void)
{
	memfp = open_memstream(&mem, &memlen);
	ck_assert_ptr_nonnull(memfp);
	bpg_log_set_stream(memfp);
	bpg_log_set_level(BPG_LOG_INFO);
	bpg_log_set_request(NULL);
}

static void
teardown(void)
{
	bpg_log_set_stream(NULL);
	bpg_log_set_request(NULL);
	fclose(memfp);
	free(mem);
}

/* The captured text so far. */
static const char *
captured(void)
{
	ck_assert_int_eq(fflush(memfp), 0);
	return mem ? mem : "";
}

/* Counts '\n' in s. */
static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
assert_matches(const char *s, const char *re)
{
	regex_t rx;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&rx, s, 0, NULL, 0) == 0, "'%s' does not match /%s/", s, re);
	regfree(&rx);
}

START_TEST(test_line_shape)
{
	bpg_log(BPG_LOG_WARN, "k8s", "create failed", "cluster", "c01", "status", "503", NULL);
	assert_matches(captured(), "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
	    "\\.[0-9]{3}Z level=warn mod=k8s msg=\"create failed\" cluster=c01 status=503\n$");
}
END_TEST

START_TEST(test_request_id)
{
	bpg_log_set_request("9f2c");
	bpg_log(BPG_LOG_ERROR, "db", "lost", NULL);
	bpg_log_set_request(NULL);
	bpg_log(BPG_LOG_INFO, "db", "back", NULL);
	assert_matches(captured(), "^ts=[^ ]+ level=error req=9f2c mod=db msg=lost\n"
	    "ts=[^ ]+ level=info mod=db msg=back\n$");
}
END_TEST

/* A request id needing quotes is escaped once, not twice. */
START_TEST(test_request_id_escaped_once)
{
	bpg_log_set_request("a \"b\"\nc");
	bpg_log(BPG_LOG_INFO, "http", "x", NULL);
	ck_assert_ptr_nonnull(strstr(captured(), " req=\"a \\\"b\\\"\\nc\" mod=http "));
	ck_assert_uint_eq(count_lines(captured()), 1);
}
END_TEST

/* CR, LF and quotes in the message, keys and values never break or forge a line. */
START_TEST(test_hostile_values)
{
	const char *s;

	bpg_log(BPG_LOG_WARN, "http", "bad\r\nlevel=error msg=forged", "user", "eve\"\r\nlevel=error",
	    "evil key\n", "v", "empty", "", "null", NULL, NULL);
	s = captured();
	ck_assert_uint_eq(count_lines(s), 1);
	ck_assert_int_eq(s[strlen(s) - 1], '\n');
	ck_assert_ptr_null(strchr(s, '\r'));
	ck_assert_ptr_nonnull(strstr(s, " msg=\"bad\\x0d\\nlevel=error msg=forged\""));
	ck_assert_ptr_nonnull(strstr(s, " user=\"eve\\\"\\x0d\\nlevel=error\""));
	ck_assert_ptr_nonnull(strstr(s, " \"evil key\\n\"=v"));
	ck_assert_ptr_nonnull(strstr(s, " empty=\"\" null=\"\"\n"));
	ck_assert_int_eq(quotes_balanced(s), 1);
	assert_matches(s, "^ts=[^ ]+ level=warn mod=http msg=");
}
END_TEST

/* Many long values: still exactly one line, capped in size. */
START_TEST(test_long_line_capped)
{
	char big[3000];
	const char *s;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[100] = '\n';
	bpg_log(BPG_LOG_INFO, "t", big, "a", big, "b", big, "c", big, "d", big, NULL);
	s = captured();
	ck_assert_uint_eq(count_lines(s), 1);
	ck_assert_int_eq(s[strlen(s) - 1], '\n');
	ck_assert_uint_le(strlen(s), 4096);
	ck_assert_ptr_nonnull(strstr(s, "...\""));
}
END_TEST

START_TEST(test_levels)
{
	bpg_log_set_level(BPG_LOG_WARN);
	bpg_log(BPG_LOG_INFO, "t", "hidden", NULL);
	bpg_log(BPG_LOG_DEBUG, "t", "hidden", NULL);
	ck_assert_str_eq(captured(), "");
	bpg_log(BPG_LOG_ERROR, "t", "shown", NULL);
	ck_assert_uint_eq(count_lines(captured()), 1);
	ck_assert_int_eq(bpg_log_set_level_name("bogus"), -1);
	ck_assert_int_eq(bpg_log_set_level_name("WARN"), -1);
	bpg_log(BPG_LOG_INFO, "t", "still hidden", NULL);
	ck_assert_uint_eq(count_lines(captured()), 1);
	ck_assert_int_eq(bpg_log_set_level_name("debug"), 0);
	bpg_log(BPG_LOG_DEBUG, "t", "now shown", NULL);
	ck_assert_uint_eq(count_lines(captured()), 2);
	assert_matches(captured(), "level=debug mod=t msg=\"now shown\"\n$");
	ck_assert_int_eq(bpg_log_set_level_name("error"), 0);
	bpg_log(BPG_LOG_WARN, "t", "hidden", NULL);
	ck_assert_uint_eq(count_lines(captured()), 2);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("bpg_log");
	TCase *tc = tcase_create("escape");
	TCase *tl = tcase_create("line");

	tcase_add_loop_test(tc, test_escape_table, 0, sizeof(esc_cases) / sizeof(esc_cases[0]));
	tcase_add_test(tc, test_escape_every_byte);
	tcase_add_test(tc, test_escape_truncation);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_test(tl, test_line_shape);
	tcase_add_test(tl, test_request_id);
	tcase_add_test(tl, test_request_id_escaped_once);
	tcase_add_test(tl, test_hostile_values);
	tcase_add_test(tl, test_long_line_capped);
	tcase_add_test(tl, test_levels);
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
