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

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_err_table, err_cases),
		TK_TEST(test_every_code_covered),
		TK_TEST(test_out_of_range),
		TK_LOOP(test_reason_table, reason_cases),
		TK_TEST(test_statuses_have_reasons),
	};

	return tk_run("bpg_err", tests, TK_LEN(tests), NULL);
}
