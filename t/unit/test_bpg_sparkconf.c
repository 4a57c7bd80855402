/* Unit tests for bpg_sparkconf: case-preserving spark-defaults.conf parsing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_sparkconf.h"
#include "testkit.h"

/* Parses text; the conf must hold exactly the pairs of expect (NULL-ended key, value list). */
static void
assert_parses_to(const char *text, const char *const *expect)
{
	struct bpg_sparkconf c = { NULL, 0 };
	struct bpg_buf errors;
	size_t n = 0;

	bpg_buf_init(&errors, 0);
	ck_assert_msg(bpg_sparkconf_parse("t.conf", text, strlen(text), &c, &errors) == BPG_OK,
	    "'%s': %s", text, errors.data ? errors.data : "");
	for (; expect[2 * n] != NULL; n++) {
		ck_assert_str_eq(c.items[n].key, expect[2 * n]);
		ck_assert_str_eq(c.items[n].value, expect[2 * n + 1]);
	}
	ck_assert_uint_eq(c.n, n);
	ck_assert_uint_eq(errors.len, 0);
	bpg_sparkconf_release(&c);
	bpg_buf_release(&errors);
}

static const struct {
	const char *text;
	const char *kv[9];
} ok_cases[] = {
	{ "", { NULL } },
	{ "\n\n   \n# only a comment\n\t# another\n", { NULL } },
	{ "spark.a 1", { "spark.a", "1", NULL } },
	{ "spark.a=1\n", { "spark.a", "1", NULL } },
	{ "spark.a = 1\n", { "spark.a", "1", NULL } },
	{ "  spark.a\t\t 1  \n", { "spark.a", "1", NULL } },
	{ "spark.a 1\r\nspark.b 2\r\n", { "spark.a", "1", "spark.b", "2", NULL } },
	{ "spark.a\n", { "spark.a", "", NULL } },
	{ "spark.driver.extraJavaOptions -Da=b -Dc=d\n",
	    { "spark.driver.extraJavaOptions", "-Da=b -Dc=d", NULL } },
	{ "spark.a=b=c\n", { "spark.a", "b=c", NULL } },
	{ "spark.a value # not a comment\n", { "spark.a", "value # not a comment", NULL } },
	{ "spark.kubernetes.executor.podNamePrefix {spark-application-resource-name}\n",
	    { "spark.kubernetes.executor.podNamePrefix", "{spark-application-resource-name}", NULL } },
	/* keys keep their case: these are two distinct keys */
	{ "spark.SQL.x 1\nspark.sql.x 2\n", { "spark.SQL.x", "1", "spark.sql.x", "2", NULL } },
	{ "k caf\xc3\xa9\n", { "k", "caf\xc3\xa9", NULL } },
};

START_TEST(test_parse_ok)
{
	assert_parses_to(ok_cases[_i].text, ok_cases[_i].kv);
}
END_TEST

static const struct {
	const char *text;
	size_t len;          /* 0: strlen */
	const char *msg;     /* "name:line: ..." */
} bad_cases[] = {
	{ "spark.a 1\n=2\n", 0, "t.conf:2: missing key" },
	{ "spark.a 1\n# c\nspark.a 2\n", 0, "t.conf:3: spark.a: key given twice" },
	{ "spark.a 1\x01\n", 0, "t.conf:1: control character in line" },
	{ "spark.a 1\x1b\n", 0, "t.conf:1: control character in line" },
	{ "spark.a 1\rx\n", 0, "t.conf:1: control character in line" },
	{ "spark.a x\0y\n", 12, "t.conf:1: control character in line" },
};

START_TEST(test_parse_bad)
{
	size_t len = bad_cases[_i].len ? bad_cases[_i].len : strlen(bad_cases[_i].text);
	struct bpg_sparkconf c = { (struct bpg_kv *)&c, 77 };   /* sentinel: must stay */
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_int_eq(bpg_sparkconf_parse("t.conf", bad_cases[_i].text, len, &c, &errors),
	    BPG_ECONFIG);
	ck_assert_uint_eq(c.n, 77);
	ck_assert_msg(errors.data && strstr(errors.data, bad_cases[_i].msg),
	    "want '%s' in '%s'", bad_cases[_i].msg, errors.data ? errors.data : "");
	bpg_buf_release(&errors);
}
END_TEST

/* Every bad line is reported, not only the first, each with its number. */
START_TEST(test_all_errors_reported)
{
	const char *text = "=a\nk1 1\n=b\nk2 2\nk1 1\n";
	struct bpg_sparkconf c = { NULL, 0 };
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_int_eq(bpg_sparkconf_parse("x", text, strlen(text), &c, &errors), BPG_ECONFIG);
	ck_assert_str_eq(errors.data, "x:1: missing key\nx:3: missing key\nx:5: k1: key given twice\n");
	bpg_buf_release(&errors);
}
END_TEST

START_TEST(test_limits)
{
	struct bpg_sparkconf c = { NULL, 0 };
	struct bpg_buf text, errors;

	/* a line of exactly BPG_SPARKCONF_MAX_LINE bytes is fine, one more is not */
	bpg_buf_init(&text, 0);
	bpg_buf_init(&errors, 0);
	ck_assert_int_eq(bpg_buf_puts(&text, "k "), BPG_OK);
	for (int i = 2; i < BPG_SPARKCONF_MAX_LINE; i++)
		ck_assert_int_eq(bpg_buf_puts(&text, "v"), BPG_OK);
	ck_assert_int_eq(bpg_sparkconf_parse("t", text.data, text.len, &c, &errors), BPG_OK);
	ck_assert_uint_eq(strlen(bpg_sparkconf_get(&c, "k")), BPG_SPARKCONF_MAX_LINE - 2);
	bpg_sparkconf_release(&c);
	ck_assert_int_eq(bpg_buf_puts(&text, "v"), BPG_OK);
	ck_assert_int_eq(bpg_sparkconf_parse("t", text.data, text.len, &c, &errors), BPG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(errors.data, "t:1: line longer than 8192 bytes"));

	/* at most BPG_SPARKCONF_MAX_ITEMS entries */
	bpg_buf_reset(&text);
	bpg_buf_reset(&errors);
	for (int i = 0; i < BPG_SPARKCONF_MAX_ITEMS; i++)
		ck_assert_int_eq(bpg_buf_printf(&text, "k%d v\n", i), BPG_OK);
	ck_assert_int_eq(bpg_sparkconf_parse("t", text.data, text.len, &c, &errors), BPG_OK);
	ck_assert_uint_eq(c.n, BPG_SPARKCONF_MAX_ITEMS);
	bpg_sparkconf_release(&c);
	ck_assert_int_eq(bpg_buf_puts(&text, "one.more v\n"), BPG_OK);
	ck_assert_int_eq(bpg_sparkconf_parse("t", text.data, text.len, &c, &errors), BPG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(errors.data, "more than 4096 entries"));
	bpg_buf_release(&text);
	bpg_buf_release(&errors);
}
END_TEST

START_TEST(test_get_exact_case)
{
	const char *text = "spark.kubernetes.executor.podNamePrefix p\nspark.hadoop.fs.s3a.aws.credentials.provider X\n";
	struct bpg_sparkconf c = { NULL, 0 };
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_int_eq(bpg_sparkconf_parse("t", text, strlen(text), &c, &errors), BPG_OK);
	ck_assert_str_eq(bpg_sparkconf_get(&c, "spark.kubernetes.executor.podNamePrefix"), "p");
	ck_assert_ptr_null(bpg_sparkconf_get(&c, "spark.kubernetes.executor.podnameprefix"));
	ck_assert_ptr_null(bpg_sparkconf_get(&c, "spark.kubernetes.executor.podNamePrefi"));
	ck_assert_ptr_null(bpg_sparkconf_get(&c, ""));
	ck_assert_str_eq(bpg_sparkconf_get(&c, "spark.hadoop.fs.s3a.aws.credentials.provider"), "X");
	bpg_sparkconf_release(&c);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_ptr_null(bpg_sparkconf_get(&c, "spark.hadoop.fs.s3a.aws.credentials.provider"));
	bpg_sparkconf_release(&c);   /* twice is harmless */
	bpg_buf_release(&errors);
}
END_TEST

/* Writes text (len bytes) to a new temp file; its path goes to path (PATH_MAX). */
static void
write_temp(const void *text, size_t len, char *path, size_t pathlen)
{
	FILE *fp;
	int fd;

	ck_assert_int_lt(snprintf(path, pathlen, "/tmp/bpg-sparkconf-XXXXXX"), (int)pathlen);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_load_files)
{
	struct bpg_sparkconf c = { NULL, 0 };
	struct bpg_buf errors;
	char path[64], want[128];

	bpg_buf_init(&errors, 0);
	/* the documented example */
	ck_assert_int_eq(bpg_sparkconf_load(BPG_SRCDIR "/etc/spark-defaults.conf", &c, &errors), BPG_OK);
	ck_assert_str_eq(bpg_sparkconf_get(&c, "spark.kubernetes.executor.podNamePrefix"),
	    "{spark-application-resource-name}");
	ck_assert_str_eq(bpg_sparkconf_get(&c, "spark.eventLog.enabled"), "true");
	ck_assert_ptr_null(bpg_sparkconf_get(&c, "spark.eventlog.enabled"));
	bpg_sparkconf_release(&c);

	/* missing file: named */
	ck_assert_int_eq(bpg_sparkconf_load("/nonexistent/x.conf", &c, &errors), BPG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(errors.data, "/nonexistent/x.conf: cannot open: "));

	/* a bad line: file and line named */
	bpg_buf_reset(&errors);
	write_temp("a 1\nb 2\n=3\n", 11, path, sizeof(path));
	ck_assert_int_eq(bpg_sparkconf_load(path, &c, &errors), BPG_ECONFIG);
	snprintf(want, sizeof(want), "%s:3: missing key\n", path);
	ck_assert_str_eq(errors.data, want);
	unlink(path);

	/* a NUL byte */
	bpg_buf_reset(&errors);
	write_temp("a 1\nb \0\n", 8, path, sizeof(path));
	ck_assert_int_eq(bpg_sparkconf_load(path, &c, &errors), BPG_ECONFIG);
	snprintf(want, sizeof(want), "%s: NUL byte in file", path);
	ck_assert_ptr_nonnull(strstr(errors.data, want));
	unlink(path);

	/* empty file: empty conf */
	write_temp("", 0, path, sizeof(path));
	ck_assert_int_eq(bpg_sparkconf_load(path, &c, &errors), BPG_OK);
	ck_assert_uint_eq(c.n, 0);
	unlink(path);
	bpg_buf_release(&errors);
}
END_TEST

START_TEST(test_load_too_large)
{
	struct bpg_sparkconf c = { NULL, 0 };
	struct bpg_buf errors;
	size_t len = BPG_SPARKCONF_MAX_FILE + 1;
	char *big = malloc(len), path[64], want[128];

	ck_assert_ptr_nonnull(big);
	memset(big, '#', len);
	write_temp(big, len, path, sizeof(path));
	free(big);
	bpg_buf_init(&errors, 0);
	ck_assert_int_eq(bpg_sparkconf_load(path, &c, &errors), BPG_ECONFIG);
	snprintf(want, sizeof(want), "%s: larger than %u bytes", path, BPG_SPARKCONF_MAX_FILE);
	ck_assert_ptr_nonnull(strstr(errors.data, want));
	unlink(path);
	bpg_buf_release(&errors);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_parse_ok, ok_cases),
		TK_LOOP(test_parse_bad, bad_cases),
		TK_TEST(test_all_errors_reported),
		TK_TEST(test_limits),
		TK_TEST(test_get_exact_case),
		TK_TEST(test_load_files),
		TK_TEST(test_load_too_large),
	};

	return tk_run("bpg_sparkconf", tests, TK_LEN(tests), NULL);
}
