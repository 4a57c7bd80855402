/* Unit tests for bpg_route: queue resolution, weighted picks (chi-square), failover, zones. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_place.h"
#include "testkit.h"

#define FIX BPG_SRCDIR "/t/fixtures/route.ini"

static struct bpg_config *cfg;

static void
setup(void)
{
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_msg(bpg_config_load(FIX, &cfg, &errors) == BPG_OK, "%s", errors.data);
	bpg_buf_release(&errors);
}

static void
teardown(void)
{
	bpg_config_free(cfg);
}

static const struct {
	const char *requested, *user, *queue;
} queues[] = {
	{ "poc", NULL, "poc" },
	{ "...POC..", NULL, "poc" },
	{ "...etl..daily..", NULL, "etl.daily" },
	{ "....", "nobody", "poc" },           /* all dots: the default */
	{ NULL, "ETL-Bot", "etl" },             /* user mapping, case-insensitive */
	{ NULL, "both", "etl" },                /* in two queues: the first in config order */
	{ NULL, "nobody", "poc" },
};

START_TEST(test_queue_table)
{
	char q[64], why[256];

	ck_assert_int_eq(bpg_place_queue(cfg, queues[_i].requested, queues[_i].user, q, sizeof(q),
	    BPG_WHY(why)), BPG_OK);
	ck_assert_str_eq(q, queues[_i].queue);
}
END_TEST

START_TEST(test_queue_errors)
{
	char q[64], why[256];

	ck_assert_int_eq(bpg_place_queue(cfg, "nope", NULL, q, sizeof(q), BPG_WHY(why)),
	    BPG_EINVAL);
	ck_assert_str_eq(why, "The queue nope does not exist. Please check the queue name and try again.");
	ck_assert_int_eq(bpg_place_queue(cfg, "poc;drop", NULL, q, sizeof(q), BPG_WHY(why)),
	    BPG_EINVAL);
	ck_assert_ptr_nonnull(bpg_place_queue_conf(cfg, "etl.daily"));
	ck_assert_str_eq(bpg_place_queue_conf(cfg, "etl.daily")->name, "etl");
}
END_TEST

static uint64_t
seq_rand(void *ctx)
{
	uint64_t *s = ctx;

	return (*s)++;
}

START_TEST(test_pick_rules)
{
	struct bpg_place_in in;
	const struct bpg_cluster *c;
	const char *ex[] = { "a", "b", "c", "d" };
	char why[256];

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.queue = "poc";
	in.spark_version = "3.5";
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_OK);
	ck_assert_str_ne(c->id, "zero");                 /* weight 0 is never picked */
	in.spark_version = "9.9";
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_str_eq(why, "Spark version not supported: 9.9");
	in.spark_version = "3.4";
	in.queue = "etl";
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_str_eq(why, "Cluster with queue etl having Spark version 3.4 not found");
	in.spark_version = NULL;
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_str_eq(why, "sparkVersion: required");
	/* failover: excluded clusters are skipped; all excluded is 503 */
	in.spark_version = "3.5";
	in.queue = "poc";
	in.exclude = ex;
	in.n_exclude = 3;
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_OK);
		ck_assert_str_eq(c->id, "d");
	}
	in.n_exclude = 4;
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_EUNAVAIL);
	/* pinning: admins, or queues that allow it; weight 0 is fine when pinned */
	in.n_exclude = 0;
	in.cluster_id = "zero";
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_EFORBIDDEN);
	in.admin = 1;
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_OK);
	ck_assert_str_eq(c->id, "zero");
	in.queue = "etl";     /* zero does not serve etl (the Java gateway did not check) */
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_EINVAL);
	in.admin = 0;
	in.queue = "pinnable";
	in.cluster_id = "b";
	ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_OK);
	ck_assert_str_eq(c->id, "b");
}
END_TEST

/* An injected source walks the weight line deterministically: a=100, b=50, c=25, d=1. */
START_TEST(test_pick_deterministic)
{
	struct bpg_place_in in;
	const struct bpg_cluster *c;
	uint64_t s = 0;
	int count[4] = { 0 };
	char why[64];

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.queue = "poc";
	in.spark_version = "3.5";
	in.rand64 = seq_rand;
	in.rand_ctx = &s;
	for (int i = 0; i < 176; i++) {
		ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_OK);
		count[c->id[0] - 'a']++;
	}
	ck_assert_int_eq(count[0], 100);
	ck_assert_int_eq(count[1], 50);
	ck_assert_int_eq(count[2], 25);
	ck_assert_int_eq(count[3], 1);
}
END_TEST

/* 100,000 picks from the default (OpenSSL) source fit the weights: chi-square, p = 0.001. */
START_TEST(test_pick_chi_square)
{
	enum { N = 100000 };
	const double w[4] = { 100, 50, 25, 1 }, total = 176;
	struct bpg_place_in in;
	const struct bpg_cluster *c;
	long count[4] = { 0 };
	double chi = 0;
	char why[64];

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.queue = "poc";
	in.spark_version = "3.5";
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(bpg_place_pick(&in, &c, BPG_WHY(why)), BPG_OK);
		count[c->id[0] - 'a']++;
	}
	for (int i = 0; i < 4; i++) {
		double e = N * w[i] / total;
		chi += (count[i] - e) * (count[i] - e) / e;
	}
	printf("route: chi-square %.3f over %d picks (a %ld, b %ld, c %ld, d %ld); critical 16.266\n",
	    chi, N, count[0], count[1], count[2], count[3]);
	ck_assert_msg(chi < 16.266, "chi-square %.3f >= 16.266 (df 3, p 0.001)", chi);
}
END_TEST

START_TEST(test_zones)
{
	const struct bpg_queue *q = bpg_config_queue(cfg, "pinnable");

	ck_assert_str_eq(bpg_place_pick_zone(q, 0), "z1");
	ck_assert_str_eq(bpg_place_pick_zone(q, 1), "z2");
	ck_assert_str_eq(bpg_place_pick_zone(q, 2), "z1");
	ck_assert_ptr_null(bpg_place_pick_zone(bpg_config_queue(cfg, "poc"), 0));
}
END_TEST

int
main(void)
{
	static const struct tk_opts opt = { setup, teardown, 0, 0 };
	const struct tk_test tests[] = {
		TK_LOOP(test_queue_table, queues),
		TK_TEST(test_queue_errors),
		TK_TEST(test_pick_rules),
		TK_TEST(test_pick_deterministic),
		TK_TEST(test_pick_chi_square),
		TK_TEST(test_zones),
	};

	return tk_run("bpg_route", tests, TK_LEN(tests), &opt);
}
