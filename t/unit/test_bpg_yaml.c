/* Unit tests for bpg_yaml: JSON trees written as YAML that reads back the same. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_yaml.h"
#include "testkit.h"

static const struct {
	const char *json;
	const char *yaml;
} cases[] = {
	{ "{\"a\":1,\"b\":\"x\"}", "a: 1\nb: x\n" },
	{ "{\"a\":{\"b\":[1,\"two\",{\"c\":true}]}}", "a:\n  b:\n    - 1\n    - two\n    -\n      c: true\n" },
	/* "n" is a boolean to some YAML 1.1 readers: quoted */
	{ "{\"empty\":{},\"list\":[],\"n\":null}", "empty: {}\nlist: []\n\"n\": null\n" },
	{ "{\"s\":\"true\",\"t\":\"123\",\"u\":\"\",\"v\":\"a: b\",\"w\":\"-x\"}",
	  "s: \"true\"\nt: \"123\"\nu: \"\"\nv: \"a: b\"\nw: \"-x\"\n" },
	{ "{\"multi\":\"line1\\nline2\"}", "multi: \"line1\\nline2\"\n" },
	{ "{\"spark.app.name\":\"x #y\"}", "spark.app.name: \"x #y\"\n" },
	{ "{\"key: colon\":1}", "\"key: colon\": 1\n" },
	{ "\"scalar\"", "scalar\n" },
};

START_TEST(test_emit_table)
{
	cJSON *j = cJSON_Parse(cases[_i].json);
	struct bpg_buf b;

	ck_assert_ptr_nonnull(j);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_yaml_emit(j, &b), BPG_OK);
	ck_assert_str_eq(b.data, cases[_i].yaml);
	bpg_buf_release(&b);
	cJSON_Delete(j);
}
END_TEST

/* The output of a real-looking spec parses back to the same tree (python3 with PyYAML). */
START_TEST(test_roundtrip_with_pyyaml)
{
	static const char spec[] = "{\"type\":\"Scala\",\"sparkConf\":{\"spark.a\":\"1\","
	    "\"spark.b\":\"yes\",\"spark.c\":\"x: y\",\"k\":\"~\"},\"arguments\":[\"--in\","
	    "\"s3a://b/k with space\",\"#\",\"'q'\"],\"driver\":{\"cores\":1,\"memory\":\"1g\","
	    "\"env\":[{\"name\":\"A\",\"value\":\"***\"}]},\"n\":-1.5}";
	char path[] = "/tmp/bpg-yaml-XXXXXX", jpath[] = "/tmp/bpg-json-XXXXXX", cmd[512];
	cJSON *j = cJSON_Parse(spec);
	struct bpg_buf b;
	FILE *fp;
	int fd, rc;

	ck_assert_ptr_nonnull(j);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_yaml_emit(j, &b), BPG_OK);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fwrite(b.data, 1, b.len, fp);
	fclose(fp);
	fd = mkstemp(jpath);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fputs(spec, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys,yaml; "
	    "a=yaml.safe_load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); "
	    "sys.exit(0 if a==b else 1)' %s %s", path, jpath);
	rc = system(cmd);
	unlink(path);
	unlink(jpath);
	ck_assert_msg(rc == 0, "YAML did not read back the same:\n%s", b.data);
	bpg_buf_release(&b);
	cJSON_Delete(j);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_emit_table, cases),
		TK_TEST(test_roundtrip_with_pyyaml),
	};

	return tk_run("bpg_yaml", tests, TK_LEN(tests), NULL);
}
