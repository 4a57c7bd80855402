/* Unit tests for bpg_livy: Livy's request mapped onto a SubmitApplicationRequest, its states. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_livy.h"
#include "testkit.h"

static const struct {
	const char *status;
	int final, killed;
	const char *want;
} state_cases[] = {
	{ NULL, 0, 0, "not_started" }, { "", 0, 0, "not_started" }, { "UNKNOWN", 0, 0, "not_started" },
	{ "SUBMITTED", 0, 0, "starting" }, { "PENDING_RERUN", 0, 0, "starting" },
	{ "RESUMING", 0, 0, "starting" }, { "SUBMISSION_FAILED", 0, 0, "starting" },
	{ "SUBMISSION_FAILED", 1, 0, "dead" }, { "RUNNING", 0, 0, "running" },
	{ "SUCCEEDING", 0, 0, "running" }, { "FAILING", 0, 0, "running" },
	{ "INVALIDATING", 0, 0, "running" }, { "SUSPENDING", 0, 0, "shutting_down" },
	{ "SUSPENDED", 0, 0, "idle" }, { "COMPLETED", 1, 0, "success" }, { "FAILED", 1, 0, "dead" },
	{ "RUNNING", 0, 1, "killed" }, { "FAILED", 1, 1, "killed" }, { NULL, 1, 0, "dead" },
	{ "SOMETHING_NEW", 0, 0, "running" }, { "SOMETHING_NEW", 1, 0, "dead" },
};

START_TEST(test_state)
{
	ck_assert_str_eq(bpg_livy_state(state_cases[_i].status, state_cases[_i].final,
	    state_cases[_i].killed), state_cases[_i].want);
}
END_TEST

static const struct {
	const char *livy;
	const char *want;       /* the request JSON, or NULL when refused */
	const char *why;        /* part of the refusal */
} req_cases[] = {
	{ "{\"file\":\"s3a://b/x.py\"}", "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/x.py\"}", NULL },
	{ "{\"file\":\"s3a://b/x.jar\",\"className\":\"a.B\",\"args\":[\"1\",\"2\"],\"jars\":[\"j\"],"
	  "\"pyFiles\":[\"p\"],\"files\":[\"f\"],\"archives\":[\"a\"],\"driverMemory\":\"1g\","
	  "\"driverCores\":2,\"executorMemory\":\"512m\",\"executorCores\":1,\"numExecutors\":3,"
	  "\"name\":\"n\",\"queue\":\"q\",\"conf\":{\"k\":\"v\"},\"proxyUser\":\"alice\"}",
	  "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/x.jar\",\"mainClass\":\"a.B\","
	  "\"arguments\":[\"1\",\"2\"],\"deps\":{\"jars\":[\"j\"],\"pyFiles\":[\"p\"],\"files\":[\"f\"],"
	  "\"archives\":[\"a\"]},\"driver\":{\"memory\":\"1g\",\"cores\":2},\"executor\":{\"memory\":"
	  "\"512m\",\"cores\":1,\"instances\":3},\"applicationName\":\"n\",\"queue\":\"q\","
	  "\"sparkConf\":{\"k\":\"v\"}}", NULL },
	{ "{\"file\":\"x\",\"name\":null}", "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"x\"}", NULL },
	{ "{\"file\":\"x\",\"kind\":\"spark\"}", NULL, "Unrecognized field \"kind\"" },
	{ "{}", NULL, "File is required" },
	{ "{\"file\":\"\"}", NULL, "File is required" },
	{ "[]", NULL, "JSON object" },
	{ "{\"file\":1}", NULL, "file: must be a string" },
	{ "{\"file\":\"x\",\"numExecutors\":\"2\"}", NULL, "must be an integer" },
	{ "{\"file\":\"x\",\"numExecutors\":2.5}", NULL, "must be an integer" },
	{ "{\"file\":\"x\",\"numExecutors\":1e300}", NULL, "must be an integer" },
	{ "{\"file\":\"x\",\"args\":[\"a\",1]}", NULL, "list of strings" },
	{ "{\"file\":\"x\",\"conf\":[]}", NULL, "an object" },
	{ "{\"file\":\"x\",\"conf\":{\"a\":[1]}}", NULL, "an object" },
};

START_TEST(test_request)
{
	cJSON *in = cJSON_Parse(req_cases[_i].livy), *out = NULL;
	const char *proxy = NULL;
	char why[256] = "", *text;
	enum bpg_err err;

	ck_assert_ptr_nonnull(in);
	err = bpg_livy_request(in, "3.5", &out, &proxy, BPG_WHY(why));
	if (req_cases[_i].want == NULL) {
		ck_assert_int_eq(err, BPG_EINVAL);
		ck_assert_msg(strstr(why, req_cases[_i].why) != NULL, "%s", why);
	} else {
		ck_assert_int_eq(err, BPG_OK);
		text = cJSON_PrintUnformatted(out);
		ck_assert_str_eq(text, req_cases[_i].want);
		free(text);
		cJSON_Delete(out);
	}
	cJSON_Delete(in);
}
END_TEST

START_TEST(test_proxy_user)
{
	cJSON *in = cJSON_Parse("{\"file\":\"x\",\"proxyUser\":\"bob\"}"), *out = NULL;
	const char *proxy = NULL;
	char why[64];

	ck_assert_int_eq(bpg_livy_request(in, "3.4", &out, &proxy, BPG_WHY(why)), BPG_OK);
	ck_assert_str_eq(proxy, "bob");
	ck_assert_str_eq(cJSON_GetObjectItem(out, "sparkVersion")->valuestring, "3.4");
	cJSON_Delete(out);
	cJSON_Delete(in);
}
END_TEST

static const struct {
	const char *s;
	long long max, want;
	enum bpg_err err;
} int_cases[] = {
	{ NULL, 10, 7, BPG_OK }, { "0", 10, 0, BPG_OK }, { "10", 10, 10, BPG_OK },
	{ "11", 10, 7, BPG_EINVAL }, { "-1", 10, 7, BPG_EINVAL }, { "", 10, 7, BPG_EINVAL },
	{ "1x", 10, 7, BPG_EINVAL }, { "+1", 10, 7, BPG_EINVAL },
	{ "9999999999999999999999", 10, 7, BPG_EINVAL },
};

START_TEST(test_int_param)
{
	long long v = 7;

	ck_assert_int_eq(bpg_livy_int_param(int_cases[_i].s, int_cases[_i].max, &v), int_cases[_i].err);
	ck_assert_int_eq(v, int_cases[_i].want);
}
END_TEST

static const struct {
	const char *in, *out;
} name_cases[] = {
	{ "mainApplicationFile: must be an s3a://, local:// or https:// URL",
	  "file: must be an s3a://, local:// or https:// URL" },
	{ "executor.instances: at most 10 on queue poc", "numExecutors: at most 10 on queue poc" },
	{ "driver.memory: '1x' is not a quantity", "driverMemory: '1x' is not a quantity" },
	{ "sparkConf.spark.kubernetes.namespace: queue poc does not allow it",
	  "conf.spark.kubernetes.namespace: queue poc does not allow it" },
	{ "deps.jars[0]: not a URL", "jars[0]: not a URL" },
	{ "applicationName: too long", "name: too long" },
	{ "arguments: at most 1000 items", "args: at most 1000 items" },
	/* not a path of its own: a word inside another, or another field */
	{ "image: queue poc does not allow a custom image", "image: queue poc does not allow a custom image" },
	{ "xmainApplicationFile: x", "xmainApplicationFile: x" },
	{ "queue 'nope' does not exist", "queue 'nope' does not exist" },
	{ "the queue: poc", "the queue: poc" },
	{ "", "" },
};

START_TEST(test_name_fields)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", name_cases[_i].in);
	bpg_livy_name_fields(BPG_WHY(msg));
	ck_assert_str_eq(msg, name_cases[_i].out);
}
END_TEST

/* A message the renaming would push past its buffer stays as it was. */
START_TEST(test_name_fields_no_room)
{
	char msg[24] = "arguments: x";

	bpg_livy_name_fields(BPG_WHY_BUF(msg, 5));
	ck_assert_str_eq(msg, "arguments: x");
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_state, state_cases),
		TK_LOOP(test_request, req_cases),
		TK_TEST(test_proxy_user),
		TK_LOOP(test_name_fields, name_cases),
		TK_TEST(test_name_fields_no_room),
		TK_LOOP(test_int_param, int_cases),
	};

	return tk_run("bpg_livy", tests, TK_LEN(tests), NULL);
}
