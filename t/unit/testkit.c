/* testkit: the unit tests' shared suite runner and CR pipeline (testkit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"
#include "bpg_err.h"
#include "bpg_request.h"
#include "bpg_submit.h"

int
tk_run(const char *name, const struct tk_test *tests, size_t n, const struct tk_opts *opt)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (opt != NULL && opt->setup != NULL)
		tcase_add_checked_fixture(tc, opt->setup, opt->teardown);
	if (opt != NULL && opt->timeout > 0)
		tcase_set_timeout(tc, opt->timeout);
	for (size_t i = 0; i < n; i++)
		if (tests[i].loops > 0)
			tcase_add_loop_test(tc, tests[i].test, 0, tests[i].loops);
		else
			tcase_add_test(tc, tests[i].test);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	if (opt != NULL && opt->nofork)
		srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static uint64_t
zero_rand(void *ctx)
{
	(void)ctx;
	return 0;
}

int
tk_build_cr(const struct tk_build_in *b, cJSON **cr, struct bpg_why *why)
{
	static const unsigned char bytes[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	struct bpg_submit_req *r = NULL;
	struct bpg_submit_in in;
	struct bpg_submit_plan plan;
	enum bpg_err err;

	*cr = NULL;
	if ((err = bpg_request_parse(b->body, b->len, &r, why)) != BPG_OK)
		return bpg_err_http_status(err);
	memset(&in, 0, sizeof(in));
	in.cfg = b->cfg;
	in.req = r;
	in.user = b->user;
	in.owner = b->user;
	in.admin = b->admin;
	in.rand64 = zero_rand;
	in.id_bytes = bytes;
	bpg_submit_plan_init(&plan);
	if ((err = bpg_submit_queue(&in, &plan, why)) == BPG_OK &&
	    (err = bpg_submit_build(&in, &plan, why)) == BPG_OK) {
		*cr = plan.cr;
		plan.cr = NULL;
	}
	bpg_submit_plan_release(&plan);
	bpg_request_free(r);
	return err == BPG_OK ? 200 : bpg_err_http_status(err);
}

const cJSON *
tk_json_at(const cJSON *j, const char *path)
{
	char key[128];

	while (j != NULL && *path) {
		size_t n = strcspn(path, "/");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (cJSON_IsArray(j))
			j = cJSON_GetArrayItem(j, (int)strtol(key, NULL, 10));
		else
			j = cJSON_GetObjectItemCaseSensitive(j, key);
		path += n + (path[n] == '/');
	}
	return j;
}

const char *
tk_json_str_at(const cJSON *j, const char *path)
{
	const cJSON *v = tk_json_at(j, path);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", path);
	return v->valuestring;
}
