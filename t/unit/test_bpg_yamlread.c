/* Unit tests for bpg_yamlread, and YAML and nested-field handling of bpg_request_parse_body. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpg_buf.h"
#include "bpg_json.h"
#include "bpg_request.h"
#include "bpg_yamlread.h"
#include "testkit.h"

/* YAML in, the compact JSON the reader must produce. */
static const struct {
	const char *yaml;
	const char *json;
} good[] = {
	{ "a: 1\nb: x\n", "{\"a\":1,\"b\":\"x\"}" },
	{ "{a: [1, two, {c: true}]}", "{\"a\":[1,\"two\",{\"c\":true}]}" },
	/* the core schema: null, bool, int (decimal, 0o, 0x), float */
	{ "[~, null, Null, NULL, true, True, FALSE, 12, -3, 0o17, 0x1f, 1.5, .5, 1e3, +2]",
	  "[null,null,null,null,true,true,false,12,-3,15,31,1.5,0.5,1000,2]" },
	{ "a:\nb: ''\n", "{\"a\":null,\"b\":\"\"}" },
	/* YAML 1.1's words stay strings, as do quoted and block scalars and !!str */
	{ "[yes, no, on, off, y, n]", "[\"yes\",\"no\",\"on\",\"off\",\"y\",\"n\"]" },
	{ "[\"1\", '2', !!str 3, ! 4, .inf, .nan, 1_000, 0b11, 012e]",
	  "[\"1\",\"2\",\"3\",\"4\",\".inf\",\".nan\",\"1_000\",\"0b11\",\"012e\"]" },
	{ "s: |\n  line1\n  line2\nf: >\n  a\n  b\n", "{\"s\":\"line1\\nline2\\n\",\"f\":\"a b\\n\"}" },
	{ "--- \nk: v\n...\n", "{\"k\":\"v\"}" },
	{ "", "null" },
	{ "# only a comment\n", "null" },
	{ "\"\\u00e9t\\u00e9\": caf\xc3\xa9", "{\"\xc3\xa9t\xc3\xa9\":\"caf\xc3\xa9\"}" },
	{ "1: one\n", "{\"1\":\"one\"}" },
};

START_TEST(test_good)
{
	cJSON *j = NULL;
	struct bpg_buf b;
	char why[256] = "";

	ck_assert_msg(bpg_yamlread_parse(good[_i].yaml, strlen(good[_i].yaml), &j,
	    BPG_WHY(why)) == BPG_OK, "%s: %s", good[_i].yaml, why);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_json_print(j, &b), BPG_OK);
	ck_assert_str_eq(b.data, good[_i].json);
	bpg_buf_release(&b);
	cJSON_Delete(j);
}
END_TEST

/* Bad YAML in, a phrase the reason must hold (with line and column). */
static const struct {
	const char *yaml;
	const char *why;
} bad[] = {
	{ "a: [1, 2\n", "line 2, column 1: did not find expected ',' or ']'" },
	{ "a: &x 1\nb: *x\n", "line 1, column 4: anchors and aliases are not supported" },
	{ "a: *x\n", "line 1, column 4: anchors and aliases are not supported" },
	{ "a: !!int 1\n", "line 1, column 4: the tag tag:yaml.org,2002:int is not supported" },
	{ "a: !custom {}\n", "the tag !custom is not supported" },
	{ "? [1]\n: v\n", "line 1, column 3: a mapping key must be a plain string" },
	{ "a: 1\n---\nb: 2\n", "line 2, column 1: only one document is allowed" },
	{ "a: \"x\\0y\"\n", "line 1, column 4: a NUL character" },
	{ "a: 1\n\tb: 2\n", "line 2, column" },
	{ "a: \xff\n", "invalid" },
	{ "a:\n  b: 1\n c: 2\n", "line 3, column 2" },
};

START_TEST(test_bad)
{
	cJSON *j = NULL;
	char why[256] = "";

	ck_assert_int_eq(bpg_yamlread_parse(bad[_i].yaml, strlen(bad[_i].yaml), &j, BPG_WHY(why)),
	    BPG_EINVAL);
	ck_assert_ptr_null(j);
	ck_assert_msg(strstr(why, bad[_i].why) != NULL, "%s: got \"%s\"", bad[_i].yaml, why);
}
END_TEST

/* Nesting past the limit, block or flow, stops at the limit. */
START_TEST(test_depth)
{
	struct bpg_buf b;
	cJSON *j = NULL;
	char why[256];

	bpg_buf_init(&b, 0);
	for (int i = 0; i < BPG_YAMLREAD_MAX_DEPTH + 1; i++)
		ck_assert_int_eq(bpg_buf_append(&b, "[", 1), BPG_OK);
	ck_assert_int_eq(bpg_yamlread_parse(b.data, b.len, &j, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "nested deeper than 32"));
	bpg_buf_release(&b);
	/* exactly the limit is fine */
	bpg_buf_init(&b, 0);
	for (int i = 0; i < BPG_YAMLREAD_MAX_DEPTH; i++)
		ck_assert_int_eq(bpg_buf_append(&b, "[", 1), BPG_OK);
	for (int i = 0; i < BPG_YAMLREAD_MAX_DEPTH; i++)
		ck_assert_int_eq(bpg_buf_append(&b, "]", 1), BPG_OK);
	ck_assert_msg(bpg_yamlread_parse(b.data, b.len, &j, BPG_WHY(why)) == BPG_OK, "%s", why);
	cJSON_Delete(j);
	bpg_buf_release(&b);
}
END_TEST

/* A billion-laughs body is refused at its first anchor, at once, expanding nothing. */
START_TEST(test_billion_laughs)
{
	static const char lol[] =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	cJSON *j = NULL;
	char why[256];
	clock_t t0 = clock();

	ck_assert_int_eq(bpg_yamlread_parse(lol, sizeof(lol) - 1, &j, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_str_eq(why, "line 1, column 4: anchors and aliases are not supported");
	ck_assert_ptr_null(j);
	ck_assert_msg(clock() - t0 < CLOCKS_PER_SEC, "took %ld clocks", (long)(clock() - t0));
}
END_TEST

/* More values than the node limit: refused while reading. */
START_TEST(test_node_limit)
{
	struct bpg_buf b;
	cJSON *j = NULL;
	char why[256];

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_buf_append(&b, "[", 1), BPG_OK);
	for (int i = 0; i < BPG_YAMLREAD_MAX_NODES + 1; i++)
		ck_assert_int_eq(bpg_buf_append(&b, "1,", 2), BPG_OK);
	ck_assert_int_eq(bpg_buf_append(&b, "1]", 2), BPG_OK);
	ck_assert_int_eq(bpg_yamlread_parse(b.data, b.len, &j, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "more than 100000 values"));
	bpg_buf_release(&b);
}
END_TEST

/* The BPG README's YAML request gives the same request as its JSON twin. */
START_TEST(test_request_yaml_equals_json)
{
	static const char yaml[] =
	    "type: Scala\n"
	    "sparkVersion: '3.0'\n"
	    "mainApplicationFile: s3a://artifacts-bucket/uploaded/metrics-1.0-SNAPSHOT.jar\n"
	    "mainClass: com.apple.Metrics\n"
	    "deps:\n  jars: [s3a://artifacts-bucket/uploaded/Dependency-0.7.45.jar]\n"
	    "queue: sde\n"
	    "spotInstance: false\n"
	    "arguments: [3.10, 007, true]\n"
	    "driver: {cores: 1, memory: 1g, env: [{name: tgt, value: xxx}]}\n"
	    "executor: {instances: 2, cores: 1, memory: 1g}\n";
	static const char json[] =
	    "{\"type\":\"Scala\",\"sparkVersion\":\"3.0\","
	    "\"mainApplicationFile\":\"s3a://artifacts-bucket/uploaded/metrics-1.0-SNAPSHOT.jar\","
	    "\"mainClass\":\"com.apple.Metrics\","
	    "\"deps\":{\"jars\":[\"s3a://artifacts-bucket/uploaded/Dependency-0.7.45.jar\"]},"
	    "\"queue\":\"sde\",\"spotInstance\":false,\"arguments\":[\"3.10\",\"007\",\"true\"],"
	    "\"driver\":{\"cores\":1,\"memory\":\"1g\",\"env\":[{\"name\":\"tgt\",\"value\":\"xxx\"}]},"
	    "\"executor\":{\"instances\":2,\"cores\":1,\"memory\":\"1g\"}}";
	struct bpg_submit_req *ry = NULL, *rj = NULL;
	char why[256] = "";
	cJSON *a, *b;

	ck_assert_msg(bpg_request_parse_body(yaml, sizeof(yaml) - 1, BPG_REQ_YAML | BPG_REQ_STRICT,
	    &ry, BPG_WHY(why)) == BPG_OK, "%s", why);
	ck_assert_msg(bpg_request_parse_body(json, sizeof(json) - 1, BPG_REQ_STRICT, &rj,
	    BPG_WHY(why)) == BPG_OK, "%s", why);
	a = bpg_request_to_json(ry);
	b = bpg_request_to_json(rj);
	ck_assert(cJSON_Compare(a, b, 1));
	ck_assert_int_eq(ry->executor.instances, 2);
	ck_assert_int_eq(ry->driver.memory_mb, 1024);
	cJSON_Delete(a);
	cJSON_Delete(b);
	bpg_request_free(ry);
	bpg_request_free(rj);
}
END_TEST

/* YAML errors and validation errors keep their JSON wording, with YAML's name and place. */
START_TEST(test_request_yaml_errors)
{
	static const struct { const char *yaml, *why; } cases[] = {
		{ "sparkVersion: [\n", "Invalid YAML request: line 2, column 1:" },
		{ "- a\n- b\n", "Invalid YAML request: the body must be a YAML mapping" },
		{ "sparkVersion: '3.5'\nmainApplicationFile: s3a://b/x.py\nspotInstance: yes\n",
		  "spotInstance: must be true or false" },
		{ "sparkVersion: '3.5'\nmainApplicationFile: s3a://b/x.py\nbogus: 1\n",
		  "bogus: unknown field" },
		{ "sparkVersion: '3.5'\nmainApplicationFile: s3a://b/x.py\ndriver: {memroy: 2g}\n",
		  "driver.memroy: unknown field" },
	};
	struct bpg_submit_req *r = NULL;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		ck_assert_int_eq(bpg_request_parse_body(cases[i].yaml, strlen(cases[i].yaml),
		    BPG_REQ_YAML | BPG_REQ_STRICT, &r, BPG_WHY(why)), BPG_EINVAL);
		ck_assert_msg(strstr(why, cases[i].why) != NULL, "%s: got \"%s\"", cases[i].yaml, why);
	}
}
END_TEST

/* Unknown nested fields: refused with the path when strict, else dropped and listed. */
START_TEST(test_request_nested_unknown)
{
	static const char *const bodies[] = {
		"{\"driver\":{\"memroy\":\"2g\"}}",
		"{\"executor\":{\"cores\":1,\"instancse\":2}}",
		"{\"driver\":{\"instances\":2}}",
		"{\"deps\":{\"jar\":[\"s3a://b/x.jar\"]}}",
		"{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{\"sizelimit\":\"1Gi\"}}]}",
		"{\"driver\":{\"env\":[{\"name\":\"A\",\"vaule\":\"x\"}]}}",
		"{\"restartPolicy\":{\"type\":\"Never\",\"retries\":1}}",
		"{\"executor\":{\"securityContext\":{\"runAsUsr\":1000}}}",
	};
	static const char *const paths[] = { "driver.memroy", "executor.instancse",
	    "driver.instances", "deps.jar", "volumes[0].emptyDir.sizelimit", "driver.env[0].vaule",
	    "restartPolicy.retries", "executor.securityContext.runAsUsr" };
	struct bpg_submit_req *r = NULL;
	char body[512], why[256], want[128];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		/* the same body with the required fields around it */
		snprintf(body, sizeof(body), "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":"
		    "\"s3a://b/x.py\",%s", bodies[i] + 1);
		snprintf(want, sizeof(want), "%s: unknown field", paths[i]);
		ck_assert_int_eq(bpg_request_parse_body(body, strlen(body), BPG_REQ_STRICT, &r,
		    BPG_WHY(why)), BPG_EINVAL);
		ck_assert_str_eq(why, want);
		ck_assert_msg(bpg_request_parse_body(body, strlen(body), 0, &r, BPG_WHY(why)) ==
		    BPG_OK, "%s", why);
		ck_assert_int_eq(cJSON_GetArraySize(r->ignored), 1);
		ck_assert_str_eq(cJSON_GetArrayItem(r->ignored, 0)->valuestring, paths[i]);
		bpg_request_free(r);
	}
	/* a lenient typo never changes resources: the default stays */
	snprintf(body, sizeof(body), "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":"
	    "\"s3a://b/x.py\",\"driver\":{\"memroy\":\"2g\",\"cores\":2}}");
	ck_assert_int_eq(bpg_request_parse_body(body, strlen(body), 0, &r, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(r->driver.memory_mb, -1);
	ck_assert_int_eq(r->driver.cores, 2);
	ck_assert_ptr_null(cJSON_GetObjectItem(r->driver.j, "memroy"));
	bpg_request_free(r);
	/* no unknown fields: no list */
	snprintf(body, sizeof(body), "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":"
	    "\"s3a://b/x.py\",\"driver\":{\"memory\":\"2g\"}}");
	ck_assert_int_eq(bpg_request_parse_body(body, strlen(body), 0, &r, BPG_WHY(why)), BPG_OK);
	ck_assert_ptr_null(r->ignored);
	bpg_request_free(r);
}
END_TEST

/* BPG_REQ_JAVA: the Java gateway's coercions; without it the stricter answers. */
START_TEST(test_request_java_leniency)
{
	static const char *const bodies[] = {
		"{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/x.py\",\"spotInstance\":\"true\"}",
		"{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/x.py\",\"spotInstance\":\"FALSE\"}",
		"{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/x.py\",\"mode\":\"client\"}",
	};
	static const char *const strict_why[] = { "spotInstance: must be true or false",
	    "spotInstance: must be true or false", "mode: only cluster" };
	struct bpg_submit_req *r = NULL;
	char why[256];

	for (size_t i = 0; i < 3; i++) {
		ck_assert_msg(bpg_request_parse_body(bodies[i], strlen(bodies[i]), BPG_REQ_JAVA, &r,
		    BPG_WHY(why)) == BPG_OK, "%s", why);
		ck_assert_int_eq(r->spot, i == 0);
		ck_assert_ptr_null(cJSON_GetObjectItem(r->j, "mode"));
		bpg_request_free(r);
		ck_assert_int_eq(bpg_request_parse_body(bodies[i], strlen(bodies[i]), BPG_REQ_STRICT, &r,
		    BPG_WHY(why)), BPG_EINVAL);
		ck_assert_str_eq(why, strict_why[i]);
	}
	/* leniency has limits: a word that is no boolean is still refused */
	ck_assert_int_eq(bpg_request_parse_body("{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":"
	    "\"s3a://b/x.py\",\"spotInstance\":\"yes\"}", 80, BPG_REQ_JAVA, &r, BPG_WHY(why)),
	    BPG_EINVAL);
	/* dnsConfig was dropped by the Java gateway: silently, on both paths */
	ck_assert_int_eq(bpg_request_parse_body("{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":"
	    "\"s3a://b/x.py\",\"executor\":{\"dnsConfig\":{}}}", 87, BPG_REQ_STRICT, &r,
	    BPG_WHY(why)), BPG_OK);
	ck_assert_ptr_null(r->ignored);
	ck_assert_ptr_null(cJSON_GetObjectItem(r->executor.j, "dnsConfig"));
	bpg_request_free(r);
}
END_TEST

START_TEST(test_is_yaml)
{
	ck_assert(bpg_request_is_yaml("text/yaml"));
	ck_assert(bpg_request_is_yaml("application/x-yaml; charset=utf-8"));
	ck_assert(bpg_request_is_yaml("Application/YAML"));
	ck_assert(!bpg_request_is_yaml("application/json"));
	ck_assert(!bpg_request_is_yaml(NULL));
	ck_assert(!bpg_request_is_yaml(""));
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_good, good),
		TK_LOOP(test_bad, bad),
		TK_TEST(test_depth),
		TK_TEST(test_billion_laughs),
		TK_TEST(test_node_limit),
		TK_TEST(test_request_yaml_equals_json),
		TK_TEST(test_request_yaml_errors),
		TK_TEST(test_request_nested_unknown),
		TK_TEST(test_is_yaml),
		TK_TEST(test_request_java_leniency),
	};

	return tk_run("bpg_yamlread", tests, TK_LEN(tests), NULL);
}
