/* Unit tests for bpg_idemkey: begin -> decision -> finish over a store faked in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_idemkey.h"
#include "testkit.h"

#define NOW     1000000LL
#define TTL     60000LL
#define FP_A    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* What the fake store holds for the one key, and how it answers. */
struct fake_row {
	int found;
	const char *fp;          /* stored fingerprint, or NULL */
	long long status;        /* -1: unanswered */
	long long created_ms;
	int created;
	int alive;               /* the claim's worker lives */
};

static struct {
	struct fake_row row;
	int claim_conflicts;     /* how many claims meet BPG_ECONFLICT */
	int conflict_makes_row;  /* a conflicting claim leaves a live racing request's row */
	enum bpg_err get_err, take_over_err;
	char calls[256];
	int finished_status;
} fk;

static void
called(const char *what)
{
	size_t n = strlen(fk.calls);

	snprintf(fk.calls + n, sizeof(fk.calls) - n, "%s%s", n ? " " : "", what);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static enum bpg_err
f_get(void *db, const struct bpg_idemdb_key *k, struct bpg_idemdb_row *out)
{
	(void)db;
	(void)k;
	called("get");
	bpg_idemdb_row_release(out);
	if (fk.get_err != BPG_OK)
		return fk.get_err;
	if (!fk.row.found)
		return BPG_OK;
	out->found = 1;
	out->id = strdup("sub-1");
	out->fingerprint = dup_or_null(fk.row.fp);
	out->claim_owner = strdup("w1");
	out->status = fk.row.status;
	out->response = fk.row.status >= 0 ? strdup("{\"url\":\"s3a://b/k\"}") : NULL;
	out->created_ms = fk.row.created_ms;
	out->created = fk.row.created;
	return BPG_OK;
}

static enum bpg_err
f_claim(void *db, const struct bpg_idemdb_key *k, const char *claim)
{
	(void)db;
	(void)k;
	(void)claim;
	called("claim");
	if (fk.claim_conflicts > 0) {
		fk.claim_conflicts--;
		if (fk.conflict_makes_row)
			fk.row = (struct fake_row){ 1, NULL, -1, NOW, 0, 1 };
		return BPG_ECONFLICT;
	}
	fk.row = (struct fake_row){ 1, NULL, -1, NOW, 0, 1 };
	return BPG_OK;
}

static enum bpg_err
f_take_over(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row,
    const char *claim)
{
	(void)db;
	(void)k;
	(void)row;
	(void)claim;
	called("take_over");
	return fk.take_over_err;
}

static enum bpg_err
f_expire(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row)
{
	(void)db;
	(void)k;
	(void)row;
	called("expire");
	fk.row.found = 0;
	return BPG_OK;
}

static enum bpg_err
f_finish(void *db, const struct bpg_idemdb_key *k, int status, const char *body)
{
	(void)db;
	(void)k;
	(void)body;
	called("finish");
	fk.finished_status = status;
	return BPG_OK;
}

static enum bpg_err
f_alive(void *db, const char *claim, int *alive_out)
{
	(void)db;
	(void)claim;
	called("alive");
	*alive_out = fk.row.alive;
	return BPG_OK;
}

/* A store that claims keys itself (uploads), and one whose caller's insert does (submits). */
static const struct bpg_idemdb_ops claiming = {
	f_get, f_claim, f_take_over, f_expire, f_finish, f_alive,
};
static const struct bpg_idemdb_ops inserting = {
	f_get, NULL, f_take_over, f_expire, f_finish, f_alive,
};

static const struct {
	const char *what;
	const struct bpg_idemdb_ops *store;
	struct fake_row row;
	int claim_conflicts, conflict_makes_row;
	const char *fp;                  /* known at begin, or NULL */
	enum bpg_idemkey_decision want;
	int held;
	const char *calls;
} begin_cases[] = {
	{ "new key, claimed", &claiming, { 0 }, 0, 0, NULL, BPG_IDEMKEY_RUN, 1, "get claim" },
	{ "new key, the insert claims it", &inserting, { 0 }, 0, 0, FP_A, BPG_IDEMKEY_RUN, 0,
	  "get" },
	{ "lost the race to a live request", &claiming, { 0 }, 1, 1, NULL, BPG_IDEMKEY_BUSY, 0,
	  "get claim get alive" },
	{ "lost the race twice", &claiming, { 0 }, 2, 0, NULL, BPG_IDEMKEY_BUSY, 0,
	  "get claim get claim" },
	{ "answered, fingerprint still unknown", &claiming, { 1, FP_A, 200, NOW, 0, 0 }, 0, 0,
	  NULL, BPG_IDEMKEY_VERIFY, 0, "get" },
	{ "answered, same request", &inserting, { 1, FP_A, 400, NOW, 0, 0 }, 0, 0, FP_A,
	  BPG_IDEMKEY_REPLAY, 0, "get" },
	{ "answered, another request", &inserting, { 1, FP_A, 400, NOW, 0, 0 }, 0, 0, FP_B,
	  BPG_IDEMKEY_MISMATCH, 0, "get" },
	{ "unanswered, another request", &inserting, { 1, FP_A, -1, NOW, 0, 1 }, 0, 0, FP_B,
	  BPG_IDEMKEY_MISMATCH, 0, "get alive" },
	{ "expired: freed, then claimed", &claiming, { 1, FP_A, 200, NOW - TTL, 0, 0 }, 0, 0,
	  NULL, BPG_IDEMKEY_RUN, 1, "get expire claim" },
	{ "expired, the insert claims it", &inserting, { 1, FP_A, -1, NOW - TTL - 1, 0, 1 }, 0,
	  0, FP_B, BPG_IDEMKEY_RUN, 0, "get alive expire" },
	{ "its worker is busy with it", &claiming, { 1, NULL, -1, NOW, 0, 1 }, 0, 0, NULL,
	  BPG_IDEMKEY_BUSY, 0, "get alive" },
	{ "its worker died", &claiming, { 1, NULL, -1, NOW, 0, 0 }, 0, 0, NULL,
	  BPG_IDEMKEY_TAKE_OVER, 0, "get alive" },
	{ "created already", &inserting, { 1, FP_A, -1, NOW, 1, 0 }, 0, 0, FP_A,
	  BPG_IDEMKEY_CREATED, 0, "get" },
};

/* Begins a key on store at NOW, the fake holding row. */
static void
start(struct bpg_idemkey *k, const struct bpg_idemdb_ops *store, const struct fake_row *row)
{
	static const struct bpg_idemdb_key who = { "alice", "k1", "POST /x", NULL, NULL };

	memset(&fk, 0, sizeof(fk));
	fk.row = *row;
	fk.take_over_err = BPG_OK;
	bpg_idemkey_init(k, store, NULL, &who, "w2", TTL);
}

START_TEST(test_begin)
{
	struct bpg_idemkey k;
	enum bpg_idemkey_decision d = (enum bpg_idemkey_decision)-1;

	start(&k, begin_cases[_i].store, &begin_cases[_i].row);
	fk.claim_conflicts = begin_cases[_i].claim_conflicts;
	fk.conflict_makes_row = begin_cases[_i].conflict_makes_row;
	if (begin_cases[_i].fp != NULL)
		bpg_idemkey_set_fp(&k, begin_cases[_i].fp);
	ck_assert_int_eq(bpg_idemkey_begin(&k, NOW, &d), BPG_OK);
	ck_assert_msg(d == begin_cases[_i].want, "%s: decision %d", begin_cases[_i].what, d);
	ck_assert_msg(k.held == begin_cases[_i].held, "%s: held %d", begin_cases[_i].what, k.held);
	ck_assert_msg(strcmp(fk.calls, begin_cases[_i].calls) == 0, "%s: calls '%s'",
	    begin_cases[_i].what, fk.calls);
	bpg_idemkey_release(&k);
}
END_TEST

START_TEST(test_database_down)
{
	static const struct fake_row none = { 0 };
	struct bpg_idemkey k;
	enum bpg_idemkey_decision d;

	start(&k, &claiming, &none);
	fk.get_err = BPG_EUNAVAIL;
	ck_assert_int_eq(bpg_idemkey_begin(&k, NOW, &d), BPG_EUNAVAIL);
	ck_assert_int_eq(k.held, 0);
	bpg_idemkey_release(&k);
}
END_TEST

START_TEST(test_verify)
{
	static const struct fake_row answered = { 1, FP_A, 200, NOW, 0, 0 };
	struct bpg_idemkey k;
	enum bpg_idemkey_decision d;

	start(&k, &claiming, &answered);
	ck_assert_int_eq(bpg_idemkey_begin(&k, NOW, &d), BPG_OK);
	ck_assert_int_eq(d, BPG_IDEMKEY_VERIFY);
	ck_assert_int_eq(bpg_idemkey_verify(&k, FP_B), BPG_IDEMKEY_MISMATCH);
	ck_assert_int_eq(bpg_idemkey_verify(&k, FP_A), BPG_IDEMKEY_REPLAY);
	ck_assert_int_eq(k.row.status, 200);
	ck_assert_str_eq(k.row.response, "{\"url\":\"s3a://b/k\"}");
	bpg_idemkey_release(&k);
}
END_TEST

START_TEST(test_take_over_and_finish)
{
	static const struct fake_row dead = { 1, NULL, -1, NOW, 0, 0 };
	struct bpg_idemkey k;
	enum bpg_idemkey_decision d;

	start(&k, &inserting, &dead);
	ck_assert_int_eq(bpg_idemkey_begin(&k, NOW, &d), BPG_OK);
	ck_assert_int_eq(d, BPG_IDEMKEY_TAKE_OVER);
	fk.take_over_err = BPG_ECONFLICT;          /* a racing retry took it first */
	ck_assert_int_eq(bpg_idemkey_take_over(&k), BPG_ECONFLICT);
	ck_assert_int_eq(k.held, 0);
	ck_assert_int_eq(bpg_idemkey_finish(&k, 201, "{}"), BPG_OK);
	ck_assert_ptr_null(strstr(fk.calls, "finish"));   /* not held: nothing recorded */
	fk.take_over_err = BPG_OK;
	ck_assert_int_eq(bpg_idemkey_take_over(&k), BPG_OK);
	ck_assert_int_eq(k.held, 1);
	ck_assert_str_eq(k.k.id, "sub-1");         /* the taken-over row is what finish records on */
	ck_assert_int_eq(bpg_idemkey_finish(&k, 422, "{}"), BPG_OK);
	ck_assert_int_eq(fk.finished_status, 422);
	ck_assert_int_eq(k.held, 0);
	bpg_idemkey_release(&k);
}
END_TEST

START_TEST(test_hold_then_finish)
{
	static const struct fake_row none = { 0 };
	struct bpg_idemkey k;
	enum bpg_idemkey_decision d;

	start(&k, &inserting, &none);
	bpg_idemkey_set_fp(&k, FP_A);
	ck_assert_int_eq(bpg_idemkey_begin(&k, NOW, &d), BPG_OK);
	ck_assert_int_eq(d, BPG_IDEMKEY_RUN);
	bpg_idemkey_hold(&k, "sub-2");             /* the submit's insert claimed it */
	ck_assert_int_eq(bpg_idemkey_finish(&k, 503, NULL), BPG_OK);
	ck_assert_int_eq(fk.finished_status, 503);
	ck_assert_str_eq(k.k.id, "sub-2");
	ck_assert_str_eq(k.k.fp, FP_A);
	bpg_idemkey_hold(&k, "sub-3");             /* a failover's insert raced: begin again */
	ck_assert_int_eq(bpg_idemkey_begin(&k, NOW, &d), BPG_OK);
	ck_assert_int_eq(k.held, 0);
	ck_assert_ptr_null(k.k.id);
	fk.finished_status = 0;
	ck_assert_int_eq(bpg_idemkey_finish(&k, 422, "{}"), BPG_OK);
	ck_assert_int_eq(fk.finished_status, 0);   /* nothing held: nothing recorded */
	bpg_idemkey_release(&k);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		{ test_begin, (int)TK_LEN(begin_cases) },
		{ test_database_down, 0 },
		{ test_verify, 0 },
		{ test_take_over_and_finish, 0 },
		{ test_hold_then_finish, 0 },
	};

	return tk_run("bpg_idemkey", tests, TK_LEN(tests), NULL);
}
