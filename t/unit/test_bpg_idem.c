/* Unit tests for bpg_idem: key rules, the fingerprint and the decision for a known key. */
#include <stdlib.h>
#include <string.h>
#include "bpg_idem.h"
#include "testkit.h"

static const struct {
	const char *key;
	enum bpg_err want;
} key_cases[] = {
	{ "a", BPG_OK }, { "dag-1_run:2026-12-04T10:00:00Z", BPG_OK }, { "", BPG_EINVAL },
	{ "has space", BPG_EINVAL }, { "tab\there", BPG_EINVAL }, { "caf\xc3\xa9", BPG_EINVAL },
	{ "del\x7f", BPG_EINVAL },
};

START_TEST(test_key_rules)
{
	char why[128];

	ck_assert_int_eq(bpg_idem_key_check(key_cases[_i].key, BPG_WHY(why)), key_cases[_i].want);
}
END_TEST

START_TEST(test_key_length)
{
	char k[BPG_IDEM_KEY_MAX + 2], why[128];

	memset(k, 'k', sizeof(k));
	k[BPG_IDEM_KEY_MAX] = '\0';
	ck_assert_int_eq(bpg_idem_key_check(k, BPG_WHY(why)), BPG_OK);
	k[BPG_IDEM_KEY_MAX] = 'k';
	k[BPG_IDEM_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(bpg_idem_key_check(k, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "255"));
}
END_TEST

/* fp of JSON text for user alice acting for owner. */
static void
fp_of(const char *json, const char *user, const char *owner, char out[BPG_IDEM_FP_LEN + 1])
{
	cJSON *j = cJSON_Parse(json);

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(bpg_idem_fingerprint("POST /spark", user, owner, j, out), BPG_OK);
	ck_assert_uint_eq(strlen(out), BPG_IDEM_FP_LEN);
	cJSON_Delete(j);
}

static const struct {
	const char *a, *b;
	int same;
} fp_cases[] = {
	/* key order never matters, at any depth */
	{ "{\"x\":1,\"y\":{\"b\":2,\"a\":[1,{\"q\":1,\"p\":2}]}}",
	  "{\"y\":{\"a\":[1,{\"p\":2,\"q\":1}],\"b\":2},\"x\":1}", 1 },
	/* array order does */
	{ "{\"args\":[\"1\",\"2\"]}", "{\"args\":[\"2\",\"1\"]}", 0 },
	/* any value does */
	{ "{\"executor\":{\"instances\":2}}", "{\"executor\":{\"instances\":7}}", 0 },
	{ "{\"a\":\"1\"}", "{\"a\":1}", 0 },
	{ "{}", "{}", 1 },
};

START_TEST(test_fingerprint_canonical)
{
	char a[BPG_IDEM_FP_LEN + 1], b[BPG_IDEM_FP_LEN + 1];

	fp_of(fp_cases[_i].a, "alice", "alice", a);
	fp_of(fp_cases[_i].b, "alice", "alice", b);
	ck_assert_int_eq(strcmp(a, b) == 0, fp_cases[_i].same);
}
END_TEST

/* The user and the owner are part of it; a field can't slide into another. */
START_TEST(test_fingerprint_identity)
{
	char a[BPG_IDEM_FP_LEN + 1], b[BPG_IDEM_FP_LEN + 1];

	fp_of("{}", "airflow", "alice", a);
	fp_of("{}", "airflow", "bob", b);
	ck_assert_str_ne(a, b);
	fp_of("{}", "ab", "c", a);
	fp_of("{}", "a", "bc", b);
	ck_assert_str_ne(a, b);
}
END_TEST

/* The input object is left as it was (its keys unsorted). */
START_TEST(test_fingerprint_leaves_input)
{
	cJSON *j = cJSON_Parse("{\"b\":1,\"a\":2}");
	char fp[BPG_IDEM_FP_LEN + 1], *text;

	ck_assert_int_eq(bpg_idem_fingerprint("POST /spark", "u", "u", j, fp), BPG_OK);
	text = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(text, "{\"b\":1,\"a\":2}");
	free(text);
	cJSON_Delete(j);
}
END_TEST

#define NOW  1000000000LL
#define TTL  86400000LL
static const struct {
	const char *stored;
	long long created;
	int answered, created_cr, alive;
	const char *fp;
	enum bpg_idem_action want;
} decide_cases[] = {
	/* the same request */
	{ "f1", NOW - 5, 0, 1, 0, "f1", BPG_IDEM_CREATED },
	{ "f1", NOW - 5, 0, 1, 1, "f1", BPG_IDEM_CREATED },
	{ "f1", NOW - 5, 1, 0, 0, "f1", BPG_IDEM_REPLAY },
	{ "f1", NOW - 5, 1, 1, 1, "f1", BPG_IDEM_REPLAY },
	{ "f1", NOW - 5, 0, 0, 1, "f1", BPG_IDEM_BUSY },
	{ "f1", NOW - 5, 0, 0, 0, "f1", BPG_IDEM_TAKE_OVER },
	/* another request with the key: refused whatever the first one's state */
	{ "f1", NOW - 5, 0, 1, 0, "f2", BPG_IDEM_MISMATCH },
	{ "f1", NOW - 5, 1, 0, 0, "f2", BPG_IDEM_MISMATCH },
	{ "f1", NOW - 5, 0, 0, 1, "f2", BPG_IDEM_MISMATCH },
	{ "f1", NOW - 5, 0, 0, 0, "f2", BPG_IDEM_MISMATCH },
	/* past the TTL the key is free, for any request */
	{ "f1", NOW - TTL, 0, 1, 0, "f2", BPG_IDEM_EXPIRED },
	{ "f1", NOW - TTL - 1, 1, 0, 0, "f1", BPG_IDEM_EXPIRED },
	{ "f1", NOW - TTL + 1, 0, 1, 0, "f1", BPG_IDEM_CREATED },
	/* rows from before fingerprints: cannot tell, so the same request */
	{ NULL, NOW - 5, 0, 1, 0, "f2", BPG_IDEM_CREATED },
	{ NULL, NOW - 5, 0, 0, 0, "f2", BPG_IDEM_TAKE_OVER },
};

START_TEST(test_decide)
{
	struct bpg_idem_seen seen = {
		.fingerprint = decide_cases[_i].stored, .created_ms = decide_cases[_i].created,
		.answered = decide_cases[_i].answered, .created = decide_cases[_i].created_cr,
		.claim_alive = decide_cases[_i].alive,
	};

	ck_assert_int_eq(bpg_idem_decide(&seen, decide_cases[_i].fp, NOW, TTL),
	    decide_cases[_i].want);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		{ test_key_rules, (int)TK_LEN(key_cases) },
		{ test_key_length, 0 },
		{ test_fingerprint_canonical, (int)TK_LEN(fp_cases) },
		{ test_fingerprint_identity, 0 },
		{ test_fingerprint_leaves_input, 0 },
		{ test_decide, (int)TK_LEN(decide_cases) },
	};

	return tk_run("bpg_idem", tests, TK_LEN(tests), NULL);
}
