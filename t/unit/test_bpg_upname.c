/* Unit tests for bpg_upname: upload name segments, folders (path tricks) and nesting. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_upname.h"
#include "testkit.h"

static const struct {
	const char *s;
	int ok;
} seg_cases[] = {
	{ "a", 1 }, { "app.py", 1 }, { "a=b", 1 }, { "a+b", 1 }, { "a@b", 1 }, { "a,b", 1 },
	{ "=+@,", 1 }, { "A-Z_a.z0-9", 1 }, { "x.", 1 }, { "..a", 0 }, { ".", 0 }, { "..", 0 },
	{ ".hidden", 0 }, { "", 0 }, { "a/b", 0 }, { "a%2Fb", 0 }, { "a b", 0 }, { "a~b", 0 },
	{ "caf\xc3\xa9", 0 }, { "a\\b", 0 }, { "a;b", 0 }, { "a*b", 0 }, { "a\tb", 0 },
	{ "a:b", 0 }, { "a?b", 0 }, { "a#b", 0 }, { "a&b", 0 },
};

START_TEST(test_segment)
{
	const char *s = seg_cases[_i].s;

	ck_assert_msg(bpg_upname_segment_ok(s, strlen(s)) == seg_cases[_i].ok, "'%s'", s);
}
END_TEST

static const struct {
	const char *in;
	enum bpg_err want;
	const char *out;
} folder_cases[] = {
	{ "", BPG_OK, "" }, { "/", BPG_EINVAL, NULL }, { "demo", BPG_OK, "demo" },
	{ "demo/", BPG_OK, "demo" }, { "demo///", BPG_OK, "demo" }, { "demo/x=1/y", BPG_OK, "demo/x=1/y" },
	{ "/demo", BPG_EINVAL, NULL }, { "demo/../other", BPG_EINVAL, NULL },
	{ "demo/./x", BPG_EINVAL, NULL }, { "..", BPG_EINVAL, NULL }, { "demo//x", BPG_EINVAL, NULL },
	{ "demo/%2F..", BPG_EINVAL, NULL }, { "demo%2Fx", BPG_EINVAL, NULL },
	{ "d\xc3\xa9mo", BPG_EINVAL, NULL }, { "demo/.x", BPG_EINVAL, NULL },
	{ "a b", BPG_EINVAL, NULL }, { "a\\b", BPG_EINVAL, NULL },
	{ "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", BPG_OK, "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p" },
	{ "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", BPG_EINVAL, NULL },
};

START_TEST(test_folder)
{
	char out[BPG_UPNAME_FOLDER_MAX + 1] = "untouched", why[256] = "";

	ck_assert_int_eq(bpg_upname_folder(folder_cases[_i].in, out, BPG_WHY(why)),
	    folder_cases[_i].want);
	if (folder_cases[_i].out != NULL)
		ck_assert_str_eq(out, folder_cases[_i].out);
	else {
		ck_assert_str_eq(out, "untouched");
		ck_assert_ptr_nonnull(strstr(why, "folder"));
	}
}
END_TEST

START_TEST(test_folder_length)
{
	char f[BPG_UPNAME_FOLDER_MAX + 3], out[BPG_UPNAME_FOLDER_MAX + 1], why[256];

	memset(f, 'a', sizeof(f));
	f[BPG_UPNAME_FOLDER_MAX] = '\0';
	ck_assert_int_eq(bpg_upname_folder(f, out, BPG_WHY(why)), BPG_OK);
	f[BPG_UPNAME_FOLDER_MAX] = '/';     /* a trailing '/' does not count */
	f[BPG_UPNAME_FOLDER_MAX + 1] = '\0';
	ck_assert_int_eq(bpg_upname_folder(f, out, BPG_WHY(why)), BPG_OK);
	f[BPG_UPNAME_FOLDER_MAX] = 'a';
	ck_assert_int_eq(bpg_upname_folder(f, out, BPG_WHY(why)), BPG_EINVAL);
}
END_TEST

static const struct {
	const char *folder, *prefix;
	int within, first_is;
} within_cases[] = {
	{ "demo", "demo", 1, 1 }, { "demo/x", "demo", 1, 1 }, { "demox", "demo", 0, 0 },
	{ "dem", "demo", 0, 0 }, { "demo", "dem", 0, 0 }, { "demo/x", "dem", 0, 0 },
	{ "Demo/x", "demo", 0, 0 }, { "demo", "Demo", 0, 0 }, { "", "demo", 0, 0 },
	{ "demo", "", 0, 0 }, { "team/a/b", "team/a", 1, 0 }, { "team/ab", "team/a", 0, 0 },
	{ "team/a", "team/a/b", 0, 0 }, { "x/demo", "demo", 0, 0 },
};

START_TEST(test_within)
{
	ck_assert_int_eq(bpg_upname_within(within_cases[_i].folder, within_cases[_i].prefix),
	    within_cases[_i].within);
	ck_assert_int_eq(bpg_upname_first_is(within_cases[_i].folder, within_cases[_i].prefix),
	    within_cases[_i].first_is);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_segment, seg_cases),
		TK_LOOP(test_folder, folder_cases),
		TK_TEST(test_folder_length),
		TK_LOOP(test_within, within_cases),
	};

	return tk_run("bpg_upname", tests, TK_LEN(tests), NULL);
}
