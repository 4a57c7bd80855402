/*
 * Unit tests for bpg_crd: golden SparkApplications (t/fixtures/crd/ok_*.json, built from
 * the request of the same name in t/fixtures/requests with t/fixtures/crd/crd.ini and a
 * fixed id, compared structurally) and the Java gateway's bugs of spec section 13 items
 * 10-16, each with the assertion that would have caught it. BPG_UPDATE_GOLDEN=1 rewrites
 * the golden files (review the diff).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_config.h"
#include "bpg_crd.h"
#include "bpg_submit.h"
#include "bpg_request.h"
#include "testkit.h"

#define CRD_DIR BPG_SRCDIR "/t/fixtures/crd"
#define REQ_DIR BPG_SRCDIR "/t/fixtures/requests"
#define CHECK_MAX_BODY (1u << 20)
#define CHECK_HEX "0123456789abcdef0123456789abcdef"

static struct bpg_config *g_cfg;

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (fp == NULL)
		return NULL;
	if ((buf = malloc(CHECK_MAX_BODY + 1)) != NULL) {
		n = fread(buf, 1, CHECK_MAX_BODY, fp);
		buf[n] = '\0';
		*len = n;
	}
	fclose(fp);
	return buf;
}

/* Request text to CR through POST /spark's own pipeline (bpg_submit); the HTTP status. */
static int
build_body(const struct bpg_config *cfg, const char *body, size_t len, cJSON **cr,
    struct bpg_why *why)
{
	const struct tk_build_in in = { cfg, body, len, "alice@example.com", 0 };

	return tk_build_cr(&in, cr, why);   /* the id's hex is CHECK_HEX */
}


/* Builds a request given inline; the HTTP status. */
static int
build_str(const char *body, cJSON **cr, struct bpg_why *why)
{
	return build_body(g_cfg, body, strlen(body), cr, why);
}

/* Builds a request of t/fixtures/requests; asserts success. */
static cJSON *
build_fixture(const char *name)
{
	char path[512], why[1024] = "";
	size_t len = 0;
	char *body;
	cJSON *cr = NULL;
	int status;

	snprintf(path, sizeof(path), REQ_DIR "/%s.json", name);
	ck_assert_ptr_nonnull(body = slurp(path, &len));
	status = build_body(g_cfg, body, len, &cr, BPG_WHY(why));
	free(body);
	ck_assert_msg(status == 200, "%s: %d %s", name, status, why);
	return cr;
}

/* The value at a path of a CR, or NULL; its string (testkit). */
#define at(j, path) tk_json_at((j), (path))
#define s_at(j, path) tk_json_str_at((j), (path))

static void
setup(void)
{
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_msg(bpg_config_load(CRD_DIR "/crd.ini", &g_cfg, &errors) == BPG_OK, "%s", errors.data);
	bpg_buf_release(&errors);
}

static void
teardown(void)
{
	bpg_config_free(g_cfg);
}

/* Every golden file equals what its request builds today. */
START_TEST(test_golden)
{
	DIR *d = opendir(CRD_DIR);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char path[512], name[256];
		size_t len = strlen(de->d_name), glen = 0;
		char *gtext;
		cJSON *want, *got;

		if (strncmp(de->d_name, "ok_", 3) != 0 || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		got = build_fixture(name);
		snprintf(path, sizeof(path), CRD_DIR "/%s", de->d_name);
		if (getenv("BPG_UPDATE_GOLDEN") != NULL) {
			char *text = cJSON_Print(got);
			FILE *fp = fopen(path, "w");
			ck_assert_ptr_nonnull(fp);
			fprintf(fp, "%s\n", text);
			fclose(fp);
			cJSON_free(text);
		}
		ck_assert_ptr_nonnull(gtext = slurp(path, &glen));
		ck_assert_msg((want = cJSON_Parse(gtext)) != NULL, "%s: not JSON", path);
		if (!cJSON_Compare(want, got, 1)) {
			char *text = cJSON_Print(got);
			ck_abort_msg("%s differs from the built CR:\n%s", de->d_name, text);
		}
		cJSON_Delete(want);
		cJSON_Delete(got);
		free(gtext);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 8);
}
END_TEST

/* Resource arithmetic (bug 12): whole millicores, ratio once, fractions kept, unit-less MiB. */
static const struct { const char *body, *path, *want; } res[] = {
	{ "{}", "spec/driver/coreLimit", "1000m" },                       /* Java: "1000.0m" */
	{ "{}", "spec/driver/memory", "1024m" },
	{ "{\"driver\":{\"memory\":\"1.5g\"}}", "spec/driver/memory", "1536m" },   /* Java: 1g */
	{ "{\"executor\":{\"memory\":\"2048\"}}", "spec/executor/memory", "2048m" }, /* Java: 500 */
	{ "{\"executor\":{\"memory\":1024}}", "spec/executor/memory", "1024m" },
	{ "{\"driver\":{\"coreLimit\":\"1500m\"}}", "spec/driver/coreLimit", "1500m" }, /* Java: 500 */
	{ "{\"driver\":{\"coreLimit\":\"2.5\"}}", "spec/driver/coreLimit", "2500m" },
	{ "{\"driver\":{\"coreRequest\":\"500m\"}}", "spec/driver/coreRequest", "500m" },
	/* etl: driver cpu 1.5, executor cpu 1.25, driver mem 1.1, executor mem 1.25 */
	{ "{\"queue\":\"etl\",\"driver\":{\"cores\":2}}", "spec/driver/coreLimit", "3000m" }, /* Java: 4500.0m */
	{ "{\"queue\":\"etl\",\"executor\":{\"memory\":\"8g\"}}", "spec/executor/memory", "10240m" },
	{ "{\"queue\":\"etl\",\"driver\":{\"memory\":\"1.5g\"}}", "spec/driver/memory", "1690m" },
	{ "{\"queue\":\"etl\",\"executor\":{\"coreLimit\":\"2\",\"cores\":1}}", "spec/executor/coreLimit", "2500m" },
	{ "{\"driver\":{\"memoryOverhead\":\"0.5g\"}}", "spec/driver/memoryOverhead", "512m" },
};

/* Wraps a partial request into a whole one. */
static void
whole(const char *part, char *out, size_t outlen)
{
	snprintf(out, outlen, "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\"%s%s",
	    strcmp(part, "{}") == 0 ? "" : ",", part + 1);
}

START_TEST(test_resources)
{
	char body[1024], why[512] = "";
	cJSON *cr;

	whole(res[_i].body, body, sizeof(body));
	ck_assert_msg(build_str(body, &cr, BPG_WHY(why)) == 200, "%s: %s", body, why);
	ck_assert_str_eq(s_at(cr, res[_i].path), res[_i].want);
	cJSON_Delete(cr);
}
END_TEST

/* Requests that parse but must not build: status and a piece of the message. */
static const struct { const char *body; int status; const char *msg; } refused[] = {
	{ "{\"driver\":{\"cores\":4,\"coreLimit\":\"2\"}}", 400, "driver.coreLimit: 2000m is below" },
	{ "{\"driver\":{\"volumeMounts\":[{\"name\":\"x\",\"mountPath\":\"/x\"}]}}", 400,
	  "driver.volumeMounts: 'x' names no volume" },
	{ "{\"queue\":\"open\",\"clusterId\":\"c09\"}", 400, "Cluster with id c09 having Spark version 3.5 not found" },
	{ "{\"submissionIdSuffix\":\"abcdefghijklmnopqrstuvwxyz1\"}", 400, "submissionIdSuffix: at most 26 characters on cluster c01" },
};

START_TEST(test_refused)
{
	char body[1024], why[512] = "";
	cJSON *cr = NULL;

	whole(refused[_i].body, body, sizeof(body));
	ck_assert_int_eq(build_str(body, &cr, BPG_WHY(why)), refused[_i].status);
	ck_assert_msg(strstr(why, refused[_i].msg) != NULL, "'%s' lacks '%s'", why, refused[_i].msg);
	ck_assert_ptr_null(cr);
}
END_TEST

/* Bug 11: volumes exactly once; user mounts never overwritten; zones without sparkConf. */
START_TEST(test_bug_volumes_zones)
{
	cJSON *cr = build_fixture("ok_yunikorn_user_volumes");

	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/volumes")), 1);      /* Java: 2 */
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/driver/volumeMounts")), 1);
	ck_assert_str_eq(s_at(cr, "spec/driver/volumeMounts/0/name"), "conf");
	ck_assert_ptr_null(at(cr, "spec/executor/volumeMounts"));   /* the cluster's name no volume */
	cJSON_Delete(cr);
	cr = build_fixture("ok_yunikorn_cluster_pinned");    /* the cluster's volumes and mounts */
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/volumes")), 2);
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/driver/volumeMounts")), 2);
	cJSON_Delete(cr);
	ck_assert_int_eq(build_str("{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"queue\":\"open\",\"clusterId\":\"c02\",\"driver\":{\"volumeMounts\":[{\"name\":"
	    "\"spark-local\",\"mountPath\":\"/tmp/spark-local\",\"readOnly\":true},{\"name\":\"spark-local\","
	    "\"mountPath\":\"/mine\"}]}}", &cr, BPG_WHY_BUF((char[256]){ 0 }, 256)), 200);
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/driver/volumeMounts")), 3);
	ck_assert_str_eq(s_at(cr, "spec/driver/volumeMounts/0/mountPath"), "/etc/hadoop/conf");
	ck_assert(cJSON_IsTrue(at(cr, "spec/driver/volumeMounts/1/readOnly")));   /* the user's */
	cJSON_Delete(cr);
	cr = build_fixture("ok_zones_without_sparkconf");     /* Java: no zone at all */
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/bpg.pickedZones"), "us-west-2c");
	ck_assert_str_eq(s_at(cr, "spec/executor/affinity/nodeAffinity/requiredDuringSchedulingIgnored"
	    "DuringExecution/nodeSelectorTerms/0/matchExpressions/0/values/0"), "us-west-2c");
	cJSON_Delete(cr);
	cr = build_fixture("ok_user_cannot_inject_zone");
	ck_assert_ptr_null(at(cr, "spec/sparkConf/bpg.pickedZones"));
	cJSON_Delete(cr);
}
END_TEST

/* Bugs 13 and 15: labels normalized, the queue's own max running time, CRD-only fields. */
START_TEST(test_bug_labels_metadata)
{
	cJSON *cr = build_fixture("ok_minimal_pyspark");

	ck_assert_str_eq(s_at(cr, "metadata/labels/proxyUser"), "alice0example.com");  /* Java: raw */
	ck_assert_str_eq(s_at(cr, "spec/proxyUser"), "alice@example.com");
	ck_assert_ptr_null(at(cr, "spec/originalUser"));                    /* not in the CRD */
	ck_assert_str_eq(s_at(cr, "metadata/labels/maxRunningMillis"), "21600000"); /* Java: 43200000 */
	ck_assert_str_eq(s_at(cr, "metadata/labels/queue"), "root.poc");
	ck_assert_str_eq(s_at(cr, "spec/restartPolicy/type"), "Never");
	ck_assert_str_eq(s_at(cr, "spec/mode"), "cluster");
	cJSON_Delete(cr);
	cr = build_fixture("ok_yunikorn_cluster_pinned");
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/batchSchedulerOptions")), 1);  /* no gang */
	ck_assert_str_eq(s_at(cr, "spec/batchSchedulerOptions/queue"), "root.open");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(at(cr, "spec/sparkUIOptions/ingressAnnotations"),
	    "nginx.ingress.kubernetes.io/rewrite-target")->valuestring,
	    "/spark-jobs/c02-0123456789abcdef0123456789abcdef/$2");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(at(cr, "metadata/annotations"),
	    BPG_CRD_ORIGINAL_USER)->valuestring, "alice@example.com");
	cJSON_Delete(cr);
}
END_TEST

/* Security (bug 2's affinity): a user affinity narrows the queue's pinning, never escapes it. */
START_TEST(test_affinity_merged)
{
	cJSON *cr = build_fixture("ok_affinity_narrowed");
	const char *terms = "spec/executor/affinity/nodeAffinity/requiredDuringSchedulingIgnored"
	    "DuringExecution/nodeSelectorTerms/0/matchExpressions";
	char p[512];

	snprintf(p, sizeof(p), "%s/0/key", terms);
	ck_assert_str_eq(s_at(cr, p), "kubernetes.io/arch");
	snprintf(p, sizeof(p), "%s/1/values/1", terms);
	ck_assert_str_eq(s_at(cr, p), "spark_executor_big");
	snprintf(p, sizeof(p), "%s/2/key", terms);
	ck_assert_str_eq(s_at(cr, p), "topology.kubernetes.io/zone");
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/executor/affinity/nodeAffinity/"
	    "preferredDuringSchedulingIgnoredDuringExecution")), 1);
	cJSON_Delete(cr);
}
END_TEST

/* Spark conf: default < cluster < request < fixed, placeholder, Ranger gate, keys' case. */
START_TEST(test_spark_conf_layers)
{
	char why[256] = "";
	cJSON *cr;

	ck_assert_int_eq(build_str("{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"applicationName\":\"Nightly ETL\",\"queue\":\"open\",\"clusterId\":\"c02\",\"sparkConf\":"
	    "{\"spark.authenticate\":\"false\",\"spark.eventLog.enabled\":false,\"Spark.Mixed.Case\":1,"
	    "\"spark.eventLog.dir\":\"s3a://x/{spark-application-resource-name}\"}}", &cr,
	    BPG_WHY(why)), 200);
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.kubernetes.executor.podNamePrefix"),
	    "c02-0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.sql.shuffle.partitions"), "400");  /* cluster */
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.eventLog.enabled"), "false");      /* request */
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.authenticate"), "true");           /* fixed */
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/Spark.Mixed.Case"), "1");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.eventLog.dir"),
	    "s3a://x/{spark-application-resource-name}");      /* the request's: verbatim */
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.app.name"), "Nightly ETL");
	ck_assert_str_eq(s_at(cr, "metadata/labels/applicationName"), "Nightly0ETL");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.sql.extensions"),
	    "org.apache.ranger.SparkRangerExtension");
	cJSON_Delete(cr);
	cr = build_fixture("ok_custom_image_no_ranger");
	ck_assert_ptr_null(at(cr, "spec/sparkConf/spark.sql.extensions"));
	ck_assert_ptr_null(at(cr, "spec/sparkConf/spark.ranger.plugin.spark.env"));
	ck_assert_str_eq(s_at(cr, "spec/image"), "registry.example.com/spark:3.5.1-custom");
	cJSON_Delete(cr);
}
END_TEST

/* Env (4.10): request entries first in request order and winning, then cluster-only ones. */
START_TEST(test_env_merge)
{
	char why[256] = "";
	cJSON *cr;

	ck_assert_int_eq(build_str("{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"queue\":\"open\",\"clusterId\":\"c02\",\"driver\":{\"env\":[{\"name\":\"MINE\",\"value\":\"1\"},"
	    "{\"name\":\"STATSD_SERVER_PORT\",\"value\":\"9125\"}]},\"executor\":{\"annotations\":"
	    "{\"team\":\"x\"}}}", &cr, BPG_WHY(why)), 200);
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/driver/env")), 3);
	ck_assert_str_eq(s_at(cr, "spec/driver/env/0/name"), "MINE");
	ck_assert_str_eq(s_at(cr, "spec/driver/env/1/value"), "9125");
	ck_assert_str_eq(s_at(cr, "spec/driver/env/2/name"), "STATSD_SERVER_IP");
	/* Java's rule: the executor gets safe-to-evict only without annotations of its own */
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/executor/annotations")), 1);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(at(cr, "spec/driver/annotations"),
	    "cluster-autoscaler.kubernetes.io/safe-to-evict")->valuestring, "false");
	ck_assert_str_eq(s_at(cr, "spec/executor/dnsConfig/options/0/value"), "1");
	cJSON_Delete(cr);
}
END_TEST

/* bpg_crd_build's own input checks: the id is a label, the inputs are there. */
START_TEST(test_build_inputs)
{
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\"}";
	struct bpg_submit_req *r;
	struct bpg_crd_in in;
	char why[256];
	cJSON *cr = NULL;

	ck_assert_int_eq(bpg_request_parse(body, sizeof(body) - 1, &r, BPG_WHY(why)), BPG_OK);
	memset(&in, 0, sizeof(in));
	in.cfg = g_cfg;
	in.req = r;
	in.cluster = &g_cfg->clusters[0];
	in.queue = bpg_config_queue(g_cfg, "poc");
	in.queue_name = "poc";
	in.user = in.proxy_user = "bob";
	ck_assert_int_eq(bpg_crd_build(&in, &cr, BPG_WHY(why)), BPG_EINTERNAL);
	in.submission_id = "c01-0123456789abcdef0123456789abcdef-this-suffix-is-much-too-long";
	ck_assert_int_eq(bpg_crd_build(&in, &cr, BPG_WHY(why)), BPG_EINVAL);
	in.submission_id = "C01-Upper";
	ck_assert_int_eq(bpg_crd_build(&in, &cr, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_ptr_null(cr);
	in.submission_id = "c01-0123456789abcdef0123456789abcdef";
	ck_assert_int_eq(bpg_crd_build(&in, &cr, BPG_WHY(why)), BPG_OK);
	ck_assert_ptr_null(at(cr, "spec/driver/affinity"));     /* poc: no labels, no zone */
	ck_assert_int_eq((int)at(cr, "spec/timeToLiveSeconds")->valuedouble, 86400);
	ck_assert_str_eq(s_at(cr, "spec/driver/serviceAccount"), "spark");
	ck_assert_ptr_null(at(cr, "spec/executor/serviceAccount"));
	cJSON_Delete(cr);
	bpg_request_free(r);
}
END_TEST

int
main(void)
{
	static const struct tk_opts opt = { setup, teardown, 0, 0 };
	const struct tk_test tests[] = {
		TK_TEST(test_golden),
		TK_LOOP(test_resources, res),
		TK_LOOP(test_refused, refused),
		TK_TEST(test_bug_volumes_zones),
		TK_TEST(test_bug_labels_metadata),
		TK_TEST(test_affinity_merged),
		TK_TEST(test_spark_conf_layers),
		TK_TEST(test_env_merge),
		TK_TEST(test_build_inputs),
	};

	return tk_run("bpg_crd", tests, TK_LEN(tests), &opt);
}
