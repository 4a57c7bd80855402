/* t/unit/unit.h: what a Check unit test would otherwise repeat: its one suite, built from a
 * table of tests, run, and the exit status. */
#ifndef BPG_UNIT_H
#define BPG_UNIT_H

#include <check.h>
#include <stddef.h>
#include <stdlib.h>

#define UNIT_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* One test: t, run as a loop over _i in [0, n) (n 0: once, _i 0). */
struct unit_test {
	const TTest *t;
	int n;
};

/*
 * Runs tests as suite name (one test case; timeout_s > 0 overrides Check's default) and
 * returns main's exit status: EXIT_FAILURE when any failed.
 */
static inline int
unit_run(const char *name, const struct unit_test *tests, size_t n, int timeout_s)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (timeout_s > 0)
		tcase_set_timeout(tc, timeout_s);
	for (size_t i = 0; i < n; i++)
		tcase_add_loop_test(tc, tests[i].t, 0, tests[i].n > 0 ? tests[i].n : 1);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
