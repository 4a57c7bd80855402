/* Unit tests of bpg_podlog (records, tails, limits) and bpg_podlogarchive_key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_podlogarchive.h"
#include "bpg_podlog.h"
#include "testkit.h"

struct got {
	struct bpg_buf b;
	long long stop_after;     /* the sink says stop once it holds this many bytes (0: never) */
	int calls;
};

static int
got_sink(void *arg, const char *data, size_t len)
{
	struct got *g = arg;

	g->calls++;
	ck_assert_int_eq(bpg_buf_append(&g->b, data, len), BPG_OK);
	return g->stop_after > 0 && (long long)g->b.len >= g->stop_after;
}

/* Runs text through a filter, fed in pieces of step bytes, as one object. */
static char *
run(const char *text, int fluentbit, long long tail, long long limit, size_t step)
{
	struct bpg_podlog f;
	struct got g;
	size_t n = strlen(text);
	char *out;

	memset(&g, 0, sizeof(g));
	bpg_buf_init(&g.b, 0);
	ck_assert_int_eq(bpg_podlog_init(&f, fluentbit, tail, limit, got_sink, &g), BPG_OK);
	for (size_t i = 0; i < n; i += step)
		if (bpg_podlog_write(&f, text + i, n - i < step ? n - i : step))
			break;
	(void)bpg_podlog_end_object(&f);
	(void)bpg_podlog_finish(&f);
	bpg_podlog_release(&f);
	out = strdup(g.b.data ? g.b.data : "");
	bpg_buf_release(&g.b);
	return out;
}

static void
check_run(const char *text, int fb, long long tail, long long limit, const char *want)
{
	static const size_t steps[] = { 1, 2, 3, 7, 64, 100000 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *got = run(text, fb, tail, limit, steps[i]);
		ck_assert_msg(strcmp(got, want) == 0, "step %zu: got \"%s\", want \"%s\"", steps[i], got,
		    want);
		free(got);
	}
}

START_TEST(test_raw_passthrough)
{
	check_run("a\nb\nc\n", 0, 0, 0, "a\nb\nc\n");
	check_run("", 0, 0, 0, "");
	check_run("no newline", 0, 0, 0, "no newline");
}
END_TEST

START_TEST(test_tail)
{
	check_run("a\nb\nc\n", 0, 2, 0, "b\nc\n");
	check_run("a\nb\nc", 0, 2, 0, "b\nc");
	check_run("a\nb\nc\n", 0, 3, 0, "a\nb\nc\n");
	check_run("a\nb\nc\n", 0, 10, 0, "a\nb\nc\n");
	check_run("a\nb\nc\n", 0, 1, 0, "c\n");
	check_run("\n\n\n", 0, 2, 0, "\n\n");
}
END_TEST

START_TEST(test_limit)
{
	check_run("abcdef\n", 0, 0, 3, "abc");
	check_run("abcdef\n", 0, 0, 7, "abcdef\n");
	check_run("abcdef\n", 0, 0, 100, "abcdef\n");
	check_run("a\nb\nc\n", 0, 2, 3, "b\nc");
}
END_TEST

START_TEST(test_fluentbit_records)
{
	/* the Java gateway's record: fluent-bit's "log" holds a Docker json-file line */
	const char *rec = "{\"log\":\"{\\\"log\\\":\\\"say \\\\\\\"hi\\\\\\\"\\\\n\\\",\\\"stream\\\":"
	    "\\\"stdout\\\"}\",\"k\":1}\n";
	check_run(rec, 1, 0, 0, "say \"hi\"\n\n");
	check_run("{\"log\":\"plain\\n\"}\n", 1, 0, 0, "plain\n\n");
	check_run("not json\n{broken\n", 1, 0, 0, "not json\n{broken\n\n");
	check_run("{\"log\":\"last\"}", 1, 0, 0, "last\n\n");
	check_run("{\"log\":\"a\"}\n{\"log\":\"b\"}\n{\"log\":\"c\"}\n", 1, 2, 0, "c\n\n");
}
END_TEST

START_TEST(test_tail_past_the_ring)
{
	size_t n = BPG_PODLOG_TAIL_MAX + 1000;   /* ends in the middle of a line: "012345" */
	char *big = malloc(n + 1), *got;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 10 == 9) ? '\n' : (char)('0' + i % 10);
	big[n] = '\0';
	got = run(big, 0, 3, 0, 65536);
	ck_assert_str_eq(got, "012345678\n012345678\n012345");
	free(got);
	free(big);
}
END_TEST

START_TEST(test_tail_while_the_ring_grows)
{
	size_t n = 300000;    /* past the first ring (64 KiB), within the largest */
	char *big = malloc(n + 1), *got;
	static const size_t steps[] = { 1000, 65536, 300000 };

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 10 == 9) ? '\n' : (char)('a' + i % 10);
	big[n] = '\0';
	big[0] = 'X';
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		got = run(big, 0, 2, 0, steps[i]);
		ck_assert_str_eq(got, "abcdefghi\nabcdefghi\n");
		free(got);
		got = run(big, 0, 100000, 0, steps[i]);   /* more lines than there are: all of it */
		ck_assert_msg(strcmp(got, big) == 0, "step %zu: %zu bytes, first difference at %zu",
		    steps[i], strlen(got), strspn(got, "") + (size_t)(strstr(got, "X") ? 0 : 1));
		free(got);
	}
	free(big);
}
END_TEST

START_TEST(test_sink_stop)
{
	struct bpg_podlog f;
	struct got g;

	memset(&g, 0, sizeof(g));
	bpg_buf_init(&g.b, 0);
	g.stop_after = 2;
	ck_assert_int_eq(bpg_podlog_init(&f, 0, 0, 0, got_sink, &g), BPG_OK);
	ck_assert_int_ne(bpg_podlog_write(&f, "abc", 3), 0);
	ck_assert_int_ne(bpg_podlog_write(&f, "def", 3), 0);
	ck_assert_int_eq(g.calls, 1);
	bpg_podlog_release(&f);
	bpg_buf_release(&g.b);
}
END_TEST

START_TEST(test_archive_key)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	/* 2026-11-24T10:00:00Z */
	ck_assert_int_eq(bpg_podlogarchive_key("spark-logs", 1795514400000LL, "c01-x",
	    "c01-x-driver", &b), BPG_OK);
	ck_assert_str_eq(b.data, "spark-logs/2026/11/24/c01-x/c01-x-driver.log");
	bpg_buf_reset(&b);
	ck_assert_int_eq(bpg_podlogarchive_key("", 0, "s", "s-exec-1", &b), BPG_OK);
	ck_assert_str_eq(b.data, "1970/01/01/s/s-exec-1.log");
	bpg_buf_release(&b);
}
END_TEST

int
main(void)
{
	static const struct tk_opts opt = { NULL, NULL, 30, 0 };
	const struct tk_test tests[] = {
		TK_TEST(test_raw_passthrough),
		TK_TEST(test_tail),
		TK_TEST(test_limit),
		TK_TEST(test_fluentbit_records),
		TK_TEST(test_tail_past_the_ring),
		TK_TEST(test_tail_while_the_ring_grows),
		TK_TEST(test_sink_stop),
		TK_TEST(test_archive_key),
	};

	return tk_run("bpg_podlog", tests, TK_LEN(tests), &opt);
}
