/* Unit tests for bpg_err: code names, HTTP statuses and reason phrases. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_err.h"
#include "testkit.h"

static const struct {
	enum bpg_err err;
	int status;
	const char *name;
} err_cases[] = {
	{ BPG_OK, 200, "ok" },
	{ BPG_EINVAL, 400, "invalid request" },
	{ BPG_EUNAUTH, 401, "unauthenticated" },
	{ BPG_EFORBIDDEN, 403, "forbidden" },
	{ BPG_ENOTFOUND, 404, "not found" },
	{ BPG_EMETHOD, 405, "method not allowed" },
	{ BPG_ECONFLICT, 409, "conflict" },
	{ BPG_ETOOLARGE, 413, "too large" },
	{ BPG_ERATELIMIT, 429, "too many requests" },
	{ BPG_EINTERNAL, 500, "internal error" },
	{ BPG_ENOMEM, 500, "out of memory" },
	{ BPG_EUPSTREAM, 502, "bad upstream answer" },
	{ BPG_EUNAVAIL, 503, "unavailable" },
	{ BPG_ETIMEOUT, 504, "timed out" },
	{ BPG_ECONFIG, 500, "invalid configuration" },
	{ BPG_EIO, 500, "i/o error" },
	{ BPG_EMISMATCH, 422, "unprocessable" },
	{ BPG_EMEDIA, 415, "unsupported media type" },
	{ BPG_ESLOW, 408, "too slow" },
};

START_TEST(test_err_table)
{
	ck_assert_int_eq(bpg_err_http_status(err_cases[_i].err), err_cases[_i].status);
	ck_assert_str_eq(bpg_err_str(err_cases[_i].err), err_cases[_i].name);
}
END_TEST

/* Every code has a row here, a status and a lowercase name. */
START_TEST(test_every_code_covered)
{
	ck_assert_int_eq(sizeof(err_cases) / sizeof(err_cases[0]), BPG_ERR_COUNT);
	for (int e = 0; e < BPG_ERR_COUNT; e++) {
		const char *s = bpg_err_str((enum bpg_err)e);
		ck_assert_str_ne(s, "unknown error");
		for (const char *p = s; *p; p++)
			ck_assert_msg(!(*p >= 'A' && *p <= 'Z'), "'%s' is not lowercase", s);
		ck_assert_int_ge(bpg_err_http_status((enum bpg_err)e), 200);
	}
}
END_TEST

START_TEST(test_out_of_range)
{
	ck_assert_int_eq(bpg_err_http_status(BPG_ERR_COUNT), 500);
	ck_assert_int_eq(bpg_err_http_status((enum bpg_err)1000), 500);
	ck_assert_int_eq(bpg_err_http_status((enum bpg_err)-1), 500);
	ck_assert_str_eq(bpg_err_str(BPG_ERR_COUNT), "unknown error");
	ck_assert_str_eq(bpg_err_str((enum bpg_err)-1), "unknown error");
}
END_TEST

static const struct {
	int status;
	const char *reason;
} reason_cases[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
	{ 413, "Payload Too Large" }, { 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Entity" }, { 429, "Too Many Requests" },
	{ 500, "Internal Server Error" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" }, { 0, "Unknown" }, { 418, "Unknown" }, { -1, "Unknown" },
	{ 999, "Unknown" },
};

START_TEST(test_reason_table)
{
	ck_assert_str_eq(bpg_err_reason(reason_cases[_i].status), reason_cases[_i].reason);
}
END_TEST

/* Every status the error table uses has its own reason phrase. */
START_TEST(test_statuses_have_reasons)
{
	for (int e = 0; e < BPG_ERR_COUNT; e++)
		ck_assert_str_ne(bpg_err_reason(bpg_err_http_status((enum bpg_err)e)), "Unknown");
}
END_TEST

/* bpg_why_set: truncated to the buffer, always terminated, the code handed back. */
static const struct {
	size_t size;          /* the buffer's size given to the channel (of 16 bytes) */
	enum bpg_err err;
	const char *arg;      /* formatted with "<%s|%d>" and 42 */
	const char *want;     /* the buffer afterwards; "#" = left as it was */
} why_cases[] = {
	{ 16, BPG_EINVAL, "abc", "<abc|42>" },
	{ 16, BPG_OK, "", "<|42>" },
	{ 9, BPG_EFORBIDDEN, "abc", "<abc|42>" },
	{ 8, BPG_EUPSTREAM, "abc", "<abc|42" },
	{ 4, BPG_EINVAL, "abcdef", "<ab" },
	{ 1, BPG_EINTERNAL, "abc", "" },
	{ 0, BPG_EUNAVAIL, "abc", "#" },
	{ 16, BPG_ETIMEOUT, "0123456789abcdef", "<0123456789abcd" },
};

START_TEST(test_why_set)
{
	char buf[16];
	struct bpg_why w = { buf, why_cases[_i].size };

	memset(buf, '#', sizeof buf);
	buf[1] = '\0';
	ck_assert_int_eq(bpg_why_set(&w, why_cases[_i].err, "<%s|%d>", why_cases[_i].arg, 42),
	    why_cases[_i].err);
	ck_assert_str_eq(buf, why_cases[_i].want);
	ck_assert_str_eq(bpg_why_text(&w), why_cases[_i].size > 0 ? why_cases[_i].want : "");
	for (size_t i = why_cases[_i].size; i < sizeof buf && i > 1; i++)
		ck_assert_int_eq(buf[i], '#');
}
END_TEST

/* No channel, or one without a buffer: nothing is written, the code still comes back. */
START_TEST(test_why_none)
{
	struct bpg_why nobuf = { NULL, 8 };

	ck_assert_int_eq(bpg_why_set(NULL, BPG_EINVAL, "x %d", 1), BPG_EINVAL);
	ck_assert_int_eq(bpg_why_set(&nobuf, BPG_ENOMEM, "x"), BPG_ENOMEM);
	ck_assert_str_eq(bpg_why_text(NULL), "");
	ck_assert_str_eq(bpg_why_text(&nobuf), "");
}
END_TEST

/* BPG_WHY over an array takes its whole size; BPG_WHY_BUF a pointer and a size. */
START_TEST(test_why_macros)
{
	char arr[6];
	char big[32];

	ck_assert_int_eq(BPG_WHY(arr)->size, sizeof arr);
	ck_assert_ptr_eq(BPG_WHY(arr)->text, arr);
	bpg_why_set(BPG_WHY(arr), BPG_OK, "%s", "truncated");
	ck_assert_str_eq(arr, "trunc");
	bpg_why_set(BPG_WHY_BUF(big, 3), BPG_OK, "%s", "truncated");
	ck_assert_str_eq(big, "tr");
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_err_table, err_cases),
		TK_TEST(test_every_code_covered),
		TK_TEST(test_out_of_range),
		TK_LOOP(test_reason_table, reason_cases),
		TK_TEST(test_statuses_have_reasons),
		TK_LOOP(test_why_set, why_cases),
		TK_TEST(test_why_none),
		TK_TEST(test_why_macros),
	};

	return tk_run("bpg_err", tests, TK_LEN(tests), NULL);
}
