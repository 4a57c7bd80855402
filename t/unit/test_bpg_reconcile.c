/* Unit tests for bpg_reconcile: the monitor's decisions, without servers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_reconcile.h"

START_TEST(test_targets_distinct)
{
	struct bpg_cluster c[4];
	struct bpg_config cfg;
	const struct bpg_cluster *out[4];

	memset(c, 0, sizeof(c));
	memset(&cfg, 0, sizeof(cfg));
	c[0].api_server = "https://a"; c[0].namespace = "ns1";
	c[1].api_server = "https://a"; c[1].namespace = "ns1";   /* same as c[0]: listed once */
	c[2].api_server = "https://a"; c[2].namespace = "ns2";
	c[3].api_server = "https://b"; c[3].namespace = "ns1";
	cfg.clusters = c;
	cfg.n_clusters = 4;
	ck_assert_int_eq(bpg_reconcile_targets(&cfg, out), 3);
	ck_assert_ptr_eq(out[0], &c[0]);
	ck_assert_ptr_eq(out[1], &c[2]);
	ck_assert_ptr_eq(out[2], &c[3]);
}
END_TEST

START_TEST(test_changed)
{
	struct bpg_sub_row row, obs;

	bpg_sub_row_init(&row);
	bpg_sub_row_init(&obs);
	row.status = "RUNNING";
	obs.status = "RUNNING";
	ck_assert(!bpg_reconcile_changed(&row, &obs));
	obs.status = "COMPLETED";
	ck_assert(bpg_reconcile_changed(&row, &obs));
	obs.status = "RUNNING";
	obs.finished_ms = 5;                     /* a finish time appears */
	ck_assert(bpg_reconcile_changed(&row, &obs));
	obs.finished_ms = -1;
	obs.error_message = "boom";
	ck_assert(bpg_reconcile_changed(&row, &obs));
	obs.error_message = NULL;
	row.status = NULL;                       /* never observed */
	ck_assert(bpg_reconcile_changed(&row, &obs));
}
END_TEST

START_TEST(test_missing)
{
	struct bpg_sub_row row;

	bpg_sub_row_init(&row);
	row.created_ms = 1000;
	ck_assert_int_eq(bpg_reconcile_missing(&row, 1000 + 60000, 120000), BPG_MISSING_WAIT);
	ck_assert_int_eq(bpg_reconcile_missing(&row, 1000 + 120000, 120000), BPG_MISSING_NEVER_CREATED);
	row.cr_created_ms = 1500;
	ck_assert_int_eq(bpg_reconcile_missing(&row, 1000 + 120000, 120000), BPG_MISSING_LOST);
	row.cr_created_ms = -1;
	row.status = "RUNNING";
	ck_assert_int_eq(bpg_reconcile_missing(&row, 1000 + 120000, 120000), BPG_MISSING_LOST);
	row.updated_ms = 1000 + 100000;          /* touched recently: wait */
	ck_assert_int_eq(bpg_reconcile_missing(&row, 1000 + 120000, 120000), BPG_MISSING_WAIT);
}
END_TEST

START_TEST(test_overrunning)
{
	struct bpg_sub_row obs;
	long long ran = 0;

	bpg_sub_row_init(&obs);
	obs.status = "RUNNING";
	obs.start_ms = 10000;
	obs.cr_created_ms = 0;                   /* queued for 10 s: does not count */
	ck_assert(!bpg_reconcile_overrunning(&obs, 60000, 65000, &ran));
	ck_assert(bpg_reconcile_overrunning(&obs, 60000, 70001, &ran));
	ck_assert_int_eq(ran, 60001);
	ck_assert(!bpg_reconcile_overrunning(&obs, 0, 999999, &ran));        /* no limit */
	obs.status = "COMPLETED";                /* never one already terminal */
	ck_assert(!bpg_reconcile_overrunning(&obs, 60000, 999999, &ran));
	obs.status = "SUBMITTED";
	ck_assert(!bpg_reconcile_overrunning(&obs, 60000, 999999, &ran));
	obs.status = "RUNNING";
	obs.start_ms = -1;
	ck_assert(!bpg_reconcile_overrunning(&obs, 60000, 999999, &ran));
}
END_TEST

static Suite *
reconcile_suite(void)
{
	Suite *s = suite_create("bpg_reconcile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_targets_distinct);
	tcase_add_test(tc, test_changed);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_overrunning);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reconcile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
