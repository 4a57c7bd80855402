/* Unit tests for bpg_dispatch: method and path against a route table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_dispatch.h"
#include "testkit.h"

/* Handlers are opaque to the module; distinct addresses identify the route. */
static const char h_health, h_submit, h_list, h_status, h_get, h_delete, h_log, h_admin, h_root;

static const struct bpg_route routes[] = {
	{ "GET", "/", &h_root, BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER, BPG_BODY_NONE },
	{ "GET", "/healthcheck/status", &h_health, BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER, BPG_BODY_NONE },
	{ "POST", "/spark", &h_submit, BPG_ACCESS_USER, BPG_CLASS_SUBMIT, BPG_BODY_NONE },
	{ "GET", "/spark/list", &h_list, BPG_ACCESS_USER, BPG_CLASS_OTHER, BPG_BODY_NONE },
	{ "GET", "/spark/{id}/status", &h_status, BPG_ACCESS_USER, BPG_CLASS_OTHER, BPG_BODY_NONE },
	{ "GET", "/spark/{id}", &h_get, BPG_ACCESS_USER, BPG_CLASS_OTHER, BPG_BODY_NONE },
	{ "DELETE", "/spark/{id}", &h_delete, BPG_ACCESS_USER, BPG_CLASS_OTHER, BPG_BODY_NONE },
	{ "GET", "/log/{cluster}/{id}/{kind}", &h_log, BPG_ACCESS_USER, BPG_CLASS_OTHER, BPG_BODY_NONE },
	{ "POST", "/admin/clusters/{id}/drain", &h_admin, BPG_ACCESS_ADMIN, BPG_CLASS_OTHER, BPG_BODY_NONE },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static const struct {
	const char *method;
	const char *path;
	enum bpg_err err;
	const void *handler;      /* BPG_OK */
	size_t nparams;
	const char *p0, *p1, *p2; /* captured segments */
	const char *allow;        /* BPG_EMETHOD */
} cases[] = {
	{ "GET", "/", BPG_OK, &h_root, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/healthcheck/status", BPG_OK, &h_health, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/healthcheck/status/", BPG_OK, &h_health, 0, NULL, NULL, NULL, NULL },
	{ "HEAD", "/healthcheck/status", BPG_OK, &h_health, 0, NULL, NULL, NULL, NULL },
	{ "POST", "/spark", BPG_OK, &h_submit, 0, NULL, NULL, NULL, NULL },
	{ "POST", "/spark/", BPG_OK, &h_submit, 0, NULL, NULL, NULL, NULL },
	/* a literal route listed first wins over a capture */
	{ "GET", "/spark/list", BPG_OK, &h_list, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/spark/c01-abc", BPG_OK, &h_get, 1, "c01-abc", NULL, NULL, NULL },
	{ "DELETE", "/spark/c01-abc/", BPG_OK, &h_delete, 1, "c01-abc", NULL, NULL, NULL },
	{ "GET", "/spark/c01-abc/status", BPG_OK, &h_status, 1, "c01-abc", NULL, NULL, NULL },
	{ "GET", "/log/c01/x-1/driver", BPG_OK, &h_log, 3, "c01", "x-1", "driver", NULL },
	{ "POST", "/admin/clusters/c02/drain", BPG_OK, &h_admin, 1, "c02", NULL, NULL, NULL },
	/* methods: the path exists, the method does not */
	{ "PUT", "/spark/c01-abc", BPG_EMETHOD, NULL, 0, NULL, NULL, NULL, "GET, DELETE" },
	/* a literal route owns its path: /spark/list is not /spark/{id} */
	{ "DELETE", "/spark/list", BPG_EMETHOD, NULL, 0, NULL, NULL, NULL, "GET" },
	{ "OPTIONS", "/spark/list/", BPG_EMETHOD, NULL, 0, NULL, NULL, NULL, "GET" },
	{ "GET", "/spark", BPG_EMETHOD, NULL, 0, NULL, NULL, NULL, "POST" },
	{ "DELETE", "/healthcheck/status", BPG_EMETHOD, NULL, 0, NULL, NULL, NULL, "GET" },
	{ "get", "/healthcheck/status", BPG_EMETHOD, NULL, 0, NULL, NULL, NULL, "GET" },
	{ "HEAD", "/spark", BPG_EMETHOD, NULL, 0, NULL, NULL, NULL, "POST" },
	/* no such path */
	{ "GET", "/nope", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "spark/list", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/spark//status", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/spark/a/b", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/spark/a/status/x", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/SPARK/list", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/healthcheck", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/healthcheck/statusx", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/log/c01/x", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
	{ "GET", "/spark/list//", BPG_ENOTFOUND, NULL, 0, NULL, NULL, NULL, NULL },
};

START_TEST(test_dispatch_table)
{
	struct bpg_match m;
	enum bpg_err err;

	memset(&m, 0, sizeof(m));
	err = bpg_dispatch(routes, N_ROUTES, cases[_i].method, cases[_i].path, &m);
	ck_assert_msg(err == cases[_i].err, "%s %s: got %d, want %d", cases[_i].method,
	    cases[_i].path, err, cases[_i].err);
	if (err == BPG_OK) {
		ck_assert_ptr_eq(m.route->handler, cases[_i].handler);
		ck_assert_uint_eq(m.nparams, cases[_i].nparams);
		if (cases[_i].p0)
			ck_assert_str_eq(m.params[0], cases[_i].p0);
		if (cases[_i].p1)
			ck_assert_str_eq(m.params[1], cases[_i].p1);
		if (cases[_i].p2)
			ck_assert_str_eq(m.params[2], cases[_i].p2);
	} else if (err == BPG_EMETHOD) {
		ck_assert_str_eq(m.allow, cases[_i].allow);
	}
}
END_TEST

START_TEST(test_access_kept)
{
	struct bpg_match m;

	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "POST", "/admin/clusters/c1/drain", &m),
	    BPG_OK);
	ck_assert_int_eq(m.route->access, BPG_ACCESS_ADMIN);
	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "GET", "/", &m), BPG_OK);
	ck_assert_int_eq(m.route->access, BPG_ACCESS_PUBLIC);
	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "POST", "/spark", &m), BPG_OK);
	ck_assert_int_eq(m.route->cls, BPG_CLASS_SUBMIT);
}
END_TEST

START_TEST(test_class_names)
{
	ck_assert_str_eq(bpg_route_class_name(BPG_CLASS_OTHER), "other");
	ck_assert_str_eq(bpg_route_class_name(BPG_CLASS_SUBMIT), "submit");
	ck_assert_str_eq(bpg_route_class_name(BPG_CLASS_LIST), "list");
	ck_assert_str_eq(bpg_route_class_name(BPG_CLASS_POLL), "poll");
	ck_assert_str_eq(bpg_route_class_name(BPG_CLASS_COUNT), "other");
}
END_TEST

/* Limits: the whole path below BPG_PATH_MAX, a captured segment below 256 bytes. */
START_TEST(test_limits)
{
	char path[BPG_PATH_MAX + 16];
	struct bpg_match m;

	memcpy(path, "/spark/", 7);
	memset(path + 7, 'a', 256);
	path[7 + 255] = '\0';
	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "GET", path, &m), BPG_OK);
	ck_assert_uint_eq(strlen(m.params[0]), 255);
	path[7 + 255] = 'a';   /* 256 */
	path[7 + 256] = '\0';
	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "GET", path, &m), BPG_EINVAL);
	memcpy(path + 7 + 256, "/status", 8);
	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "GET", path, &m), BPG_EINVAL);

	/* a literal path of BPG_PATH_MAX - 1 bytes is looked up, one more is refused */
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	path[BPG_PATH_MAX - 1] = '\0';
	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "GET", path, &m), BPG_ENOTFOUND);
	path[BPG_PATH_MAX - 1] = 'x';
	path[BPG_PATH_MAX] = '\0';
	ck_assert_int_eq(bpg_dispatch(routes, N_ROUTES, "GET", path, &m), BPG_EINVAL);
}
END_TEST

/* More captures than BPG_ROUTE_MAX_PARAMS never overflow the match. */
START_TEST(test_too_many_params)
{
	static const struct bpg_route many[] = {
		{ "GET", "/{a}/{b}/{c}/{d}/{e}", &h_root, BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER, BPG_BODY_NONE },
		{ "GET", "/{a}/{b}/{c}/{d}", &h_get, BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER, BPG_BODY_NONE },
	};
	struct bpg_match m;

	ck_assert_int_eq(bpg_dispatch(many, 2, "GET", "/1/2/3/4/5", &m), BPG_ENOTFOUND);
	ck_assert_int_eq(bpg_dispatch(many, 2, "GET", "/1/2/3/4", &m), BPG_OK);
	ck_assert_ptr_eq(m.route->handler, &h_get);
	ck_assert_uint_eq(m.nparams, 4);
	ck_assert_str_eq(m.params[3], "4");
}
END_TEST

START_TEST(test_empty_table)
{
	struct bpg_match m;

	ck_assert_int_eq(bpg_dispatch(NULL, 0, "GET", "/", &m), BPG_ENOTFOUND);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_dispatch_table, cases),
		TK_TEST(test_access_kept),
		TK_TEST(test_class_names),
		TK_TEST(test_limits),
		TK_TEST(test_too_many_params),
		TK_TEST(test_empty_table),
	};

	return tk_run("bpg_dispatch", tests, TK_LEN(tests), NULL);
}
