/* Unit tests for bpg_request's value parsers and the Java gateway's label normalization. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_request.h"
#include "testkit.h"

static const struct { const char *in; enum bpg_err err; long long mb; } mem[] = {
	{ "512m", BPG_OK, 512 }, { "2g", BPG_OK, 2048 }, { "2G", BPG_OK, 2048 }, { "1.5g", BPG_OK, 1536 },
	{ "2048", BPG_OK, 2048 }, { "1024k", BPG_OK, 1 }, { "1gb", BPG_OK, 1024 }, { "4Gi", BPG_OK, 4096 },
	{ "1t", BPG_OK, 1048576 }, { "1073741824b", BPG_OK, 1024 }, { "0.1m", BPG_OK, 1 },
	{ "", BPG_EINVAL, 0 }, { "g", BPG_EINVAL, 0 }, { "-1g", BPG_EINVAL, 0 }, { "0m", BPG_EINVAL, 0 },
	{ "2 g", BPG_EINVAL, 0 }, { "2x", BPG_EINVAL, 0 }, { "1e9g", BPG_EINVAL, 0 }, { "nan", BPG_EINVAL, 0 },
	{ "inf", BPG_EINVAL, 0 }, { "99999999t", BPG_EINVAL, 0 }, { "0x10g", BPG_EINVAL, 0 },
	{ "1e3m", BPG_EINVAL, 0 }, { "+1g", BPG_EINVAL, 0 }, { "1.g", BPG_EINVAL, 0 }, { ".5g", BPG_EINVAL, 0 },
	{ "2.5g", BPG_OK, 2560 }, { "1.1g", BPG_OK, 1127 }, { "0.5t", BPG_OK, 524288 },
};

START_TEST(test_memory)
{
	long long mb = -1;

	ck_assert_int_eq(bpg_request_memory_mb(mem[_i].in, &mb), mem[_i].err);
	if (mem[_i].err == BPG_OK)
		ck_assert_int_eq(mb, mem[_i].mb);
}
END_TEST

static const struct { const char *in; enum bpg_err err; long long m; } cpu[] = {
	{ "500m", BPG_OK, 500 }, { "1", BPG_OK, 1000 }, { "1.5", BPG_OK, 1500 }, { "2500m", BPG_OK, 2500 },
	{ "0.001", BPG_OK, 1 }, { "1.5m", BPG_EINVAL, 0 }, { "m", BPG_EINVAL, 0 }, { "0", BPG_EINVAL, 0 },
	{ "1000mm", BPG_EINVAL, 0 }, { "2 cores", BPG_EINVAL, 0 }, { "-1", BPG_EINVAL, 0 },
	{ "0x10", BPG_EINVAL, 0 }, { "1e3", BPG_EINVAL, 0 }, { "0.1", BPG_OK, 100 }, { "1025", BPG_EINVAL, 0 },
};

START_TEST(test_millicores)
{
	long long m = -1;

	ck_assert_int_eq(bpg_request_millicores(cpu[_i].in, &m), cpu[_i].err);
	if (cpu[_i].err == BPG_OK)
		ck_assert_int_eq(m, cpu[_i].m);
}
END_TEST

/* spec 4.13's examples, word for word */
static const struct { const char *in, *out; } labels[] = {
	{ " ", "0" }, { "--", "00" }, { "_0aAzZ_-.9_", "00aAzZ_-.90" }, { "0aAzZ_-.!@ 9", "0aAzZ_-.0009" },
	{ "", "" }, { "alice@example.com", "alice0example.com" },
};

START_TEST(test_label_value)
{
	char out[64];

	bpg_request_label_value(labels[_i].in, out);
	ck_assert_str_eq(out, labels[_i].out);
}
END_TEST

START_TEST(test_label_value_63)
{
	char in[100], out[64];

	memset(in, 'a', 99);
	in[99] = '\0';
	bpg_request_label_value(in, out);
	ck_assert_int_eq(strlen(out), 63);
}
END_TEST

START_TEST(test_unknown_nested_fields_dropped)
{
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"driver\":{\"cores\":1,\"surprise\":{\"x\":1},\"dnsConfig\":{}},\"spotInstance\":null}";
	struct bpg_submit_req *r;
	char why[256];
	cJSON *j;

	ck_assert_int_eq(bpg_request_parse(body, sizeof(body) - 1, &r, BPG_WHY(why)), BPG_OK);
	j = bpg_request_to_json(r);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "driver"), "surprise"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "driver"), "dnsConfig"));
	ck_assert_int_eq(r->spot, 0);
	ck_assert_str_eq(r->type, "Python");
	cJSON_Delete(j);
	bpg_request_free(r);
}
END_TEST

/* Parse-time rules: {body after the two required fields, error, piece of the message}. */
static const struct { const char *part; enum bpg_err err; const char *msg; } parse[] = {
	{ "}", BPG_OK, "" },
	{ ",\"hadoopConf\":{}}", BPG_EINVAL, "hadoopConf: unknown field" },            /* bug 16 */
	{ ",\"annotations\":{}}", BPG_EINVAL, "annotations: unknown field" },
	{ ",\"submissionIdSuffix\":\"Nightly\"}", BPG_EINVAL, "submissionIdSuffix: 1 to 28" }, /* bug 13 */
	{ ",\"submissionIdSuffix\":\"a_b\"}", BPG_EINVAL, "DNS-1123" },
	{ ",\"submissionIdSuffix\":\"-ab\"}", BPG_EINVAL, "submissionIdSuffix" },
	{ ",\"submissionIdSuffix\":\"abcdefghijklmnopqrstuvwxyz12\"}", BPG_OK, "" },
	{ ",\"submissionIdSuffix\":\"abcdefghijklmnopqrstuvwxyz123\"}", BPG_EINVAL, "submissionIdSuffix" },
	{ ",\"type\":\"Go\"}", BPG_EINVAL, "type: one of Java, Scala, Python, R" },
	{ ",\"sparkConf\":{\"a\\nspark.kubernetes.namespace\":\"x\"}}", BPG_EINVAL,
	  "sparkConf: keys may not contain control characters" },
	{ ",\"sparkConf\":{\"a\\u007f\":\"x\"}}", BPG_EINVAL, "control characters" },
	{ ",\"driver\":{\"memory\":\"1024\"}}", BPG_OK, "" },                         /* bug 12: no 500 */
	{ ",\"driver\":{\"memory\":\"\"}}", BPG_EINVAL, "driver.memory" },
	{ ",\"driver\":{\"memory\":\"lots\"}}", BPG_EINVAL, "driver.memory: 'lots' is not a memory size" },
	{ ",\"driver\":{\"coreLimit\":\"1500m\"}}", BPG_OK, "" },                     /* bug 12 */
	{ ",\"driver\":{\"coreLimit\":\"1.5.1\"}}", BPG_EINVAL, "driver.coreLimit" },
	{ ",\"driver\":{\"cores\":0}}", BPG_EINVAL, "driver.cores: must be from 1" },
	{ ",\"driver\":{\"cores\":\"two\"}}", BPG_EINVAL, "driver.cores: must be an integer" },
	{ ",\"driver\":{\"cores\":2.9}}", BPG_OK, "" },
	{ ",\"executor\":{\"instances\":-1}}", BPG_EINVAL, "executor.instances" },
	{ ",\"driver\":{\"labels\":{\"Bad Key\":\"x\"}}}", BPG_EINVAL, "driver.labels.Bad Key: not a valid" },
	{ ",\"driver\":{\"labels\":{\"team\":\"a b\"}}}", BPG_EINVAL, "driver.labels.team" },
	{ ",\"driver\":{\"labels\":{\"dag_name\":\"a b\"}}}", BPG_OK, "" },
	{ ",\"driver\":{\"env\":[{\"name\":\"1X\",\"value\":\"v\"}]}}", BPG_EINVAL, "driver.env[0].name" },
	{ ",\"driver\":{\"env\":[{\"value\":\"v\"}]}}", BPG_EINVAL, "driver.env[0].name: required" },
	{ ",\"volumes\":[{\"name\":\"Vol\",\"emptyDir\":{}}]}", BPG_EINVAL, "volumes[0].name" },
	{ ",\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\",\"surprise\":1}}]}", BPG_OK, "" },
	{ ",\"volumes\":[{\"name\":\"v\",\"persistentVolumeClaim\":{}}]}", BPG_EINVAL,
	  "volumes[0].persistentVolumeClaim.claimName: required" },
	{ ",\"sparkConf\":{\"\":\"x\"}}", BPG_EINVAL, "sparkConf: keys must be 1 to" },
	{ ",\"sparkConf\":{\"spark.executor.instances\":\"-3\"}}", BPG_EINVAL, "spark.executor.instances" },
	{ ",\"sparkConf\":{\"bpg.maxRunningMillis\":\"soon\"}}", BPG_EINVAL, "bpg.maxRunningMillis" },
	{ ",\"spotInstance\":null}", BPG_OK, "" },
	{ ",\"mode\":\"client\"}", BPG_EINVAL, "mode: only cluster" },
	{ ",\"pythonVersion\":3}", BPG_OK, "" },
	{ ",\"restartPolicy\":{\"type\":\"Never\",\"onFailureRetries\":\"x\"}}", BPG_EINVAL,
	  "restartPolicy.onFailureRetries: must be an integer" },
	{ ",\"deps\":{\"jars\":\"one.jar\"}}", BPG_EINVAL, "deps.jars: must be an array of strings" },
	{ ",\"driver\":{\"securityContext\":{\"privileged\":\"yes\"}}}", BPG_EINVAL,
	  "driver.securityContext.privileged: must be true or false" },
	{ ",\"driver\":{\"securityContext\":{\"runAsUser\":-1}}}", BPG_EINVAL, "driver.securityContext.runAsUser" },
	{ ",\"driver\":{\"cores\":1,\"cores\":2}}", BPG_EINVAL, "driver: 'cores' given twice" },
	{ ",\"overheadFactor\":\"0.1\",\"driverOverheadFactor\":0.2}", BPG_OK, "" },
};

START_TEST(test_parse_rules)
{
	char body[1024], why[512] = "";
	struct bpg_submit_req *r = NULL;
	enum bpg_err err;

	snprintf(body, sizeof(body), "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\"%s",
	    parse[_i].part);
	err = bpg_request_parse(body, strlen(body), &r, BPG_WHY(why));
	ck_assert_msg(err == parse[_i].err, "%s: got %d (%s)", body, err, why);
	if (err != BPG_OK) {
		ck_assert_msg(strstr(why, parse[_i].msg) != NULL, "'%s' lacks '%s'", why, parse[_i].msg);
		ck_assert_ptr_null(r);
	}
	bpg_request_free(r);
}
END_TEST

/* Java's coercions and the accessors. */
START_TEST(test_coercions_accessors)
{
	static const char body[] = "{\"sparkVersion\":3.5,\"mainApplicationFile\":\"s3a://b/a.jar\","
	    "\"mainClass\":\"com.x.Main\",\"queue\":\"etl.daily\",\"clusterId\":\"c01\",\"queueToken\":\"t\","
	    "\"applicationName\":12,\"sparkConf\":{\"a\":30000,\"b\":true},\"arguments\":[1,2.5,false],"
	    "\"driver\":{\"cores\":\"2\",\"memory\":2048},\"executor\":{\"instances\":3.7},"
	    "\"spotInstance\":true}";
	struct bpg_submit_req *r;
	char why[256];
	cJSON *j;

	ck_assert_int_eq(bpg_request_parse(body, sizeof(body) - 1, &r, BPG_WHY(why)), BPG_OK);
	ck_assert_str_eq(bpg_request_spark_version(r), "3.5");
	ck_assert_str_eq(bpg_request_type(r), "Java");             /* derived from mainClass */
	ck_assert_str_eq(bpg_request_queue(r), "etl.daily");
	ck_assert_str_eq(bpg_request_cluster_id(r), "c01");
	ck_assert_str_eq(bpg_request_queue_token(r), "t");
	ck_assert_str_eq(bpg_request_app_name(r), "12");
	ck_assert_int_eq(r->driver.cores, 2);
	ck_assert_int_eq(r->driver.memory_mb, 2048);
	ck_assert_int_eq(r->executor.instances, 3);               /* truncated */
	ck_assert_int_eq(r->spot, 1);
	j = bpg_request_to_json(r);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "sparkConf"),
	    "a")->valuestring, "30000");
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "arguments"), 2)->valuestring,
	    "false");
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "arguments"), 1)->valuestring,
	    "2.5");
	cJSON_Delete(j);
	ck_assert_int_eq(bpg_request_check_cluster(r, "c01", BPG_WHY(why)), BPG_OK);
	bpg_request_free(r);
}
END_TEST

/*
 * Numbers coerced to strings keep the number sent: whole numbers in full below 2^53, others
 * in the fewest digits that read back the same; larger ones are refused, never rounded.
 */
static const struct {
	const char *num;
	const char *text;       /* NULL: BPG_EINVAL */
} numbers[] = {
	{ "1000000000000000", "1000000000000000" },     /* was "1e+15" */
	{ "9007199254740991", "9007199254740991" },     /* 2^53 - 1, was "9.00719925474099e+15" */
	{ "4294967296000", "4294967296000" },
	{ "-42", "-42" },
	{ "1e3", "1000" },
	{ "30000", "30000" },
	{ "0.1", "0.1" },
	{ "2.5", "2.5" },
	{ "123.456", "123.456" },
	{ "0.30000000000000004", "0.30000000000000004" },   /* was "0.3" */
	{ "2.5e-7", "2.5e-07" },
	{ "9007199254740992", NULL },                   /* 2^53: ...993 reads as this too */
	{ "12345678901234567", NULL },                  /* was "1.23456789012346e+16" */
	{ "1e300", NULL },
	{ "-1e20", NULL },
};

START_TEST(test_number_text)
{
	char body[256], why[256];
	struct bpg_submit_req *r = NULL;
	enum bpg_err err;
	cJSON *j;

	snprintf(body, sizeof(body), "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":"
	    "\"s3a://b/a.py\",\"sparkConf\":{\"spark.n\":%s},\"arguments\":[%s]}",
	    numbers[_i].num, numbers[_i].num);
	err = bpg_request_parse(body, strlen(body), &r, BPG_WHY(why));
	if (numbers[_i].text == NULL) {
		ck_assert_int_eq(err, BPG_EINVAL);
		ck_assert_msg(strstr(why, "sparkConf.spark.n: a number this large cannot be kept "
		    "exactly") != NULL, "why: %s", why);
		return;
	}
	ck_assert_msg(err == BPG_OK, "%s: %s", numbers[_i].num, why);
	j = bpg_request_to_json(r);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j,
	    "sparkConf"), "spark.n")->valuestring, numbers[_i].text);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "arguments"),
	    0)->valuestring, numbers[_i].text);
	cJSON_Delete(j);
	bpg_request_free(r);
}
END_TEST

/* \u0000 would cut a string short in C: refused wherever it is (hostile-input tests). */
START_TEST(test_nul_refused)
{
	static const char *const bodies[] = {
		"{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
		"\"applicationName\":\"ab\\u0000cd\"}",
		"{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
		"\"sparkConf\":{\"spark.a\":\"1\",\"spark.a\\u0000\":\"2\"}}",
		"{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
		"\"applicationName\":\"a\\uZZZZ\"}",
	};
	struct bpg_submit_req *r = NULL;
	char why[256];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		ck_assert_int_eq(bpg_request_parse(bodies[i], strlen(bodies[i]), &r, BPG_WHY(why)),
		    BPG_EINVAL);
		ck_assert_ptr_nonnull(strstr(why, "Invalid JSON request: "));
		ck_assert_msg(strstr(why, i < 2 ? "NUL character" : "\\u escape") != NULL, "%s", why);
	}
}
END_TEST

/* The suffix against the real cluster id (bug 13: Java let 64+ character names through). */
START_TEST(test_check_cluster)
{
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"submissionIdSuffix\":\"abcdefghijklmnopqrstuvwxyz12\"}";
	struct bpg_submit_req *r;
	char why[256];

	ck_assert_int_eq(bpg_request_parse(body, sizeof(body) - 1, &r, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(bpg_request_check_cluster(r, "c", BPG_WHY(why)), BPG_OK);   /* 63 */
	ck_assert_int_eq(bpg_request_check_cluster(r, "c0", BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "submissionIdSuffix"));
	bpg_request_free(r);
}
END_TEST

/* Queue rules: limits are 400, privileges 403, each naming the field and the queue. */
static const struct { const char *part; enum bpg_err err; const char *msg; } qrules[] = {
	{ "}", BPG_OK, "" },
	{ ",\"driver\":{\"cores\":9}}", BPG_EINVAL, "driver.cores: 9 is outside queue q's limits [1, 8]" },
	{ ",\"executor\":{\"memory\":\"256m\"}}", BPG_EINVAL, "executor.memory: 256 MiB is outside queue q" },
	{ ",\"executor\":{\"memory\":\"17g\"}}", BPG_EINVAL, "executor.memory" },
	{ ",\"executor\":{\"instances\":11}}", BPG_EINVAL, "exceeds limit (10)" },
	{ ",\"sparkConf\":{\"spark.executor.instances\":\"11\"}}", BPG_EINVAL, "exceeds limit (10)" },
	{ ",\"sparkConf\":{\"bpg.maxRunningMillis\":\"3600001\"}}", BPG_EINVAL, "above queue q's limit 3600000" },
	{ ",\"sparkConf\":{\"bpg.maxRunningMillis\":3600000}}", BPG_OK, "" },
	{ ",\"driver\":{\"coreLimit\":\"9\"}}", BPG_EINVAL, "driver.coreLimit: above queue q" },
	{ ",\"driver\":{\"securityContext\":{\"privileged\":true}}}", BPG_EFORBIDDEN, "queue q does not allow privileged" },
	{ ",\"executor\":{\"securityContext\":{\"runAsUser\":\"0\"}}}", BPG_EFORBIDDEN, "executor.securityContext" },
	{ ",\"driver\":{\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]}}}}", BPG_OK, "" },
	{ ",\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}}]}", BPG_EFORBIDDEN, "hostPath" },
	{ ",\"executor\":{\"serviceAccount\":\"admin\"}}", BPG_EFORBIDDEN, "executor.serviceAccount" },
	{ ",\"image\":\"x/y\"}", BPG_EFORBIDDEN, "image: queue q does not allow custom images" },
	{ ",\"driver\":{\"image\":\"x/y\"}}", BPG_EFORBIDDEN, "driver.image" },
	{ ",\"image\":\"\",\"driver\":{\"image\":\"\",\"serviceAccount\":\"\"}}", BPG_OK, "" },
	/* the same rules said as Spark properties (bpg_guard holds each key) */
	{ ",\"sparkConf\":{\"spark.kubernetes.container.image\":\"x/y\"}}", BPG_EFORBIDDEN,
	  "sparkConf.spark.kubernetes.container.image: queue q does not allow custom images" },
	{ ",\"sparkConf\":{\"spark.kubernetes.driver.volumes.hostPath.r.options.path\":\"/\"}}",
	  BPG_EFORBIDDEN, "queue q does not allow hostPath volumes" },
	{ ",\"sparkConf\":{\"spark.kubernetes.authenticate.driver.serviceAccountName\":\"admin\"}}",
	  BPG_EFORBIDDEN, "does not allow choosing a service account" },
	{ ",\"driver\":{\"annotations\":{\"iam.amazonaws.com/role\":\"admin\"}}}", BPG_EFORBIDDEN,
	  "driver.annotations.iam.amazonaws.com/role" },
	{ ",\"sparkConf\":{\"Spark.kubernetes.container.image\":\"x/y\"}}", BPG_OK, "" },
};

START_TEST(test_queue_rules)
{
	struct bpg_queue q = { .name = TK_STR("q"), .min_cores = 1, .max_cores = 8,
	    .min_memory_mb = 512, .max_memory_mb = 16384, .max_executor_instances = 10,
	    .max_running_millis = 3600000 };
	struct bpg_submit_req *r = NULL;
	char body[1024], why[512] = "";

	snprintf(body, sizeof(body), "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\"%s",
	    qrules[_i].part);
	ck_assert_msg(bpg_request_parse(body, strlen(body), &r, BPG_WHY(why)) == BPG_OK, "%s", why);
	ck_assert_int_eq(bpg_request_check(r, &q, "q", 0, BPG_WHY(why)), qrules[_i].err);
	if (qrules[_i].err != BPG_OK)
		ck_assert_msg(strstr(why, qrules[_i].msg) != NULL, "'%s' lacks '%s'", why, qrules[_i].msg);
	q.allow_privileged = q.allow_host_path = q.allow_custom_image = q.allow_service_account = 1;
	q.allow_k8s_spark_conf = 1;
	if (qrules[_i].err == BPG_EFORBIDDEN)      /* the permissive queue takes it */
		ck_assert_int_eq(bpg_request_check(r, &q, "q", 0, BPG_WHY(why)), BPG_OK);
	bpg_request_free(r);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_memory, mem),
		TK_LOOP(test_millicores, cpu),
		TK_LOOP(test_label_value, labels),
		TK_TEST(test_label_value_63),
		TK_TEST(test_unknown_nested_fields_dropped),
		TK_LOOP(test_parse_rules, parse),
		TK_TEST(test_coercions_accessors),
		TK_TEST(test_check_cluster),
		TK_LOOP(test_number_text, numbers),
		TK_TEST(test_nul_refused),
		TK_LOOP(test_queue_rules, qrules),
	};

	return tk_run("bpg_request", tests, TK_LEN(tests), NULL);
}
