/*
 * The request fixtures (t/fixtures/requests) through parse, queue, checks, routing, id and
 * CR building, as POST /spark runs them: every ok_*.json must build a SparkApplication
 * (written to build/crd-fixtures/ and, when ../shared/crd is there, validated strictly
 * against the operator's CRD), every bad_*.json must fail as its .expect says. Plus the
 * Java gateway's bugs (spec section 13 items 10-16), each with the check that catches it.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bpg_crd.h"
#include "bpg_request.h"
#include "bpg_place.h"
#include "bpg_subid.h"
#include "bpg_submit.h"
#include "testkit.h"

#define FIX BPG_SRCDIR "/t/fixtures/requests"
#define OUT BPG_SRCDIR "/build/crd-fixtures"
#define VALIDATE BPG_SRCDIR "/../shared/crd/validate.py"

static struct bpg_config *cfg;

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* POST /spark's pipeline without I/O (bpg_submit, as the handler runs it); the HTTP status. */
static int
pipeline(const char *body, size_t len, const char *user, int admin, cJSON **cr, struct bpg_why *why)
{
	const struct tk_build_in in = { cfg, body, len, user, admin };

	return tk_build_cr(&in, cr, why);
}

static void
setup(void)
{
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_msg(bpg_config_load(FIX "/bpg.ini", &cfg, &errors) == BPG_OK, "%s", errors.data);
	bpg_buf_release(&errors);
	mkdir(BPG_SRCDIR "/build", 0755);
	mkdir(OUT, 0755);
}

static void
teardown(void)
{
	bpg_config_free(cfg);
}

/* Every fixture: ok_ builds, bad_ fails as expected. */
START_TEST(test_all_fixtures)
{
	DIR *d = opendir(FIX);
	struct dirent *de;
	int ok = 0, bad = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char path[512], why[1024] = "", out[512];
		size_t len, n = strlen(de->d_name);
		char *body;
		cJSON *cr = NULL;
		int status;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), FIX "/%s", de->d_name);
		body = slurp(path, &len);
		status = pipeline(body, len, "alice", 0, &cr, BPG_WHY(why));
		if (strncmp(de->d_name, "ok_", 3) == 0) {
			char *text;
			FILE *fp;
			ck_assert_msg(status == 200, "%s: %d %s", de->d_name, status, why);
			snprintf(out, sizeof(out), OUT "/%s", de->d_name);
			text = cJSON_Print(cr);
			fp = fopen(out, "w");
			ck_assert_ptr_nonnull(fp);
			fputs(text, fp);
			fclose(fp);
			cJSON_free(text);
			ok++;
		} else if (strncmp(de->d_name, "bad_", 4) == 0) {
			char *expect, *sp;
			size_t elen;
			snprintf(path + strlen(path) - 5, 8, ".expect");
			expect = slurp(path, &elen);
			expect[strcspn(expect, "\n")] = '\0';
			sp = strchr(expect, ' ');
			ck_assert_ptr_nonnull(sp);
			*sp = '\0';
			ck_assert_msg(status == atoi(expect), "%s: got %d (%s), want %s", de->d_name, status,
			    why, expect);
			ck_assert_msg(strstr(why, sp + 1) != NULL, "%s: '%s' lacks '%s'", de->d_name, why, sp + 1);
			ck_assert_ptr_null(cr);
			free(expect);
			bad++;
		}
		cJSON_Delete(cr);
		free(body);
	}
	closedir(d);
	ck_assert_int_ge(ok, 30);
	ck_assert_int_ge(bad, 30);
}
END_TEST

/* Every built CR validates strictly against the operator's CRD (../shared/crd). */
START_TEST(test_crd_schema_strict)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "python3 %s --strict %s/ok_*.json", VALIDATE, OUT);
	ck_assert_msg(system(cmd) == 0, "a SparkApplication breaks the CRD schema (see above)");
}
END_TEST

/* Builds a fixture and returns the CR (the caller deletes it). */
static cJSON *
build(const char *name)
{
	char path[512], why[1024] = "";
	size_t len;
	char *body;
	cJSON *cr = NULL;
	int status;

	snprintf(path, sizeof(path), FIX "/%s.json", name);
	body = slurp(path, &len);
	status = pipeline(body, len, "alice", 0, &cr, BPG_WHY(why));
	free(body);
	ck_assert_msg(status == 200, "%s: %s", name, why);
	return cr;
}

/* The value at a path of a CR, which must be there; its string (testkit). */
static const cJSON *
at(const cJSON *j, const char *path)
{
	const cJSON *v = tk_json_at(j, path);

	ck_assert_msg(v != NULL, "%s is missing", path);
	return v;
}

#define s_at(j, path) tk_json_str_at((j), (path))

/* Java bug 12: "1000.0m", the ratio applied twice, fractions truncated. */
START_TEST(test_java_bug_resources)
{
	cJSON *cr = build("ok_minimal_pyspark");

	ck_assert_str_eq(s_at(cr, "spec/driver/coreLimit"), "1000m");
	ck_assert_str_eq(s_at(cr, "spec/driver/memory"), "1024m");
	cJSON_Delete(cr);
	cr = build("ok_fractional_memory");
	ck_assert_str_eq(s_at(cr, "spec/driver/memory"), "1536m");
	ck_assert_str_eq(s_at(cr, "spec/executor/memory"), "1536m");
	cJSON_Delete(cr);
	cr = build("ok_spark34_etl_queue");     /* etl: driver cpu ratio 1.5, executor mem 1.25 */
	ck_assert_int_eq((int)at(cr, "spec/driver/cores")->valuedouble, 3);
	ck_assert_str_eq(s_at(cr, "spec/driver/coreLimit"), "3000m");    /* Java: 4500.0m */
	ck_assert_str_eq(s_at(cr, "spec/executor/memory"), "10240m");
	cJSON_Delete(cr);
	cr = build("ok_core_limit_and_request");
	ck_assert_str_eq(s_at(cr, "spec/driver/coreLimit"), "2500m");    /* Java: 500 */
	ck_assert_str_eq(s_at(cr, "spec/executor/coreLimit"), "1500m");
	ck_assert_str_eq(s_at(cr, "spec/driver/coreRequest"), "1500m");
	cJSON_Delete(cr);
	cr = build("ok_memory_units");          /* Java: 500 for a memory without a unit */
	ck_assert_str_eq(s_at(cr, "spec/driver/memory"), "2048m");
	ck_assert_str_eq(s_at(cr, "spec/executor/memory"), "1024m");
	cJSON_Delete(cr);
}
END_TEST

/* Java bug 11: volumes twice; zones skipped without a request sparkConf; mounts overwritten. */
START_TEST(test_java_bug_volumes_zones)
{
	cJSON *cr = build("ok_configmap_and_secret_volumes");

	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/volumes")), 2);
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/driver/volumeMounts")), 2);
	cJSON_Delete(cr);
	cr = build("ok_zones_without_sparkconf");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/bpg.pickedZones"), "us-west-2a");
	ck_assert_str_eq(s_at(cr, "spec/driver/affinity/nodeAffinity/requiredDuringSchedulingIgnored"
	    "DuringExecution/nodeSelectorTerms/0/matchExpressions/0/key"), "topology.kubernetes.io/zone");
	cJSON_Delete(cr);
	cr = build("ok_user_cannot_inject_zone");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(at(cr, "spec/sparkConf"), "bpg.pickedZones"));
	cJSON_Delete(cr);
	cr = build("ok_etl_spot");
	ck_assert_str_eq(s_at(cr, "spec/executor/affinity/nodeAffinity/requiredDuringSchedulingIgnored"
	    "DuringExecution/nodeSelectorTerms/0/matchExpressions/0/values/0"), "spark_spot");
	ck_assert_str_eq(s_at(cr, "spec/driver/affinity/nodeAffinity/requiredDuringSchedulingIgnored"
	    "DuringExecution/nodeSelectorTerms/0/matchExpressions/0/values/0"), "spark_driver");
	cJSON_Delete(cr);
}
END_TEST

/* Java bugs 10, 13, 15: one queue rule, labels normalized, the queue's own max running time. */
START_TEST(test_java_bug_labels_queue)
{
	cJSON *cr = build("ok_etl_child_queue");
	char why[256];
	struct bpg_submit_req *r;
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\"}";

	ck_assert_str_eq(s_at(cr, "metadata/labels/queue"), "root.etl.daily");
	ck_assert_str_eq(s_at(cr, "metadata/labels/maxRunningMillis"), "43200000");
	cJSON_Delete(cr);
	cr = build("ok_labels_annotations");
	ck_assert_str_eq(s_at(cr, "spec/driver/labels/dag_name"), "my0dag0with0odd0chars");
	cJSON_Delete(cr);
	cr = build("ok_max_running_millis");
	ck_assert_str_eq(s_at(cr, "metadata/labels/maxRunningMillis"), "3600000");
	cJSON_Delete(cr);
	/* the user mapped to etl gets etl, deterministically (Java shuffled) */
	ck_assert_int_eq(bpg_request_parse(body, sizeof(body) - 1, &r, BPG_WHY(why)), BPG_OK);
	for (int i = 0; i < 20; i++) {
		char q[64];
		ck_assert_int_eq(bpg_place_queue(cfg, NULL, "ETL-Bot", q, sizeof(q), BPG_WHY(why)),
		    BPG_OK);
		ck_assert_str_eq(q, "etl");
	}
	bpg_request_free(r);
}
END_TEST

/* A proxy user that is not a label value no longer breaks the create (Java bug 13). */
START_TEST(test_java_bug_proxy_user_label)
{
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"applicationName\":\"--weird name--\"}";
	char why[256];
	cJSON *cr;

	ck_assert_int_eq(pipeline(body, sizeof(body) - 1, "alice@example.com", 0, &cr,
	    BPG_WHY(why)), 200);
	ck_assert_str_eq(s_at(cr, "metadata/labels/proxyUser"), "alice0example.com");
	ck_assert_str_eq(s_at(cr, "spec/proxyUser"), "alice@example.com");
	ck_assert_str_eq(s_at(cr, "metadata/labels/applicationName"), "0-weird0name-0");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.app.name"), "--weird name--");
	cJSON_Delete(cr);
}
END_TEST

/* Coercions: numbers and booleans for strings, numeric strings for numbers. */
START_TEST(test_coercions)
{
	cJSON *cr = build("ok_numbers_for_strings");

	ck_assert_str_eq(s_at(cr, "spec/sparkVersion"), "3.5");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.sql.shuffle.partitions"), "200");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.dynamicAllocation.enabled"), "true");
	ck_assert_str_eq(s_at(cr, "spec/arguments/1"), "2.5");
	ck_assert_str_eq(s_at(cr, "spec/sparkConf/spark.app.name"), "42");
	cJSON_Delete(cr);
	cr = build("ok_strings_for_numbers");
	ck_assert_int_eq((int)at(cr, "spec/driver/cores")->valuedouble, 2);
	ck_assert_int_eq((int)at(cr, "spec/executor/instances")->valuedouble, 3);
	ck_assert_int_eq((int)at(cr, "spec/executor/cores")->valuedouble, 1);   /* 1.9 truncated */
	cJSON_Delete(cr);
}
END_TEST

/* Admins may pin a cluster in any queue; YuniKorn options only with fields the CRD has. */
START_TEST(test_pinning_and_yunikorn)
{
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"clusterId\":\"c02\"}";
	char why[256];
	cJSON *cr;

	ck_assert_int_eq(pipeline(body, sizeof(body) - 1, "alice", 0, &cr, BPG_WHY(why)), 403);
	ck_assert_int_eq(pipeline(body, sizeof(body) - 1, "admin", 1, &cr, BPG_WHY(why)), 200);
	ck_assert_str_eq(s_at(cr, "metadata/name"), "c02-0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(s_at(cr, "spec/batchScheduler"), "yunikorn");
	ck_assert_str_eq(s_at(cr, "spec/batchSchedulerOptions/queue"), "root.poc");
	ck_assert_int_eq(cJSON_GetArraySize(at(cr, "spec/batchSchedulerOptions")), 1);
	ck_assert_str_eq(s_at(cr, "metadata/namespace"), "spark-jobs");
	cJSON_Delete(cr);
}
END_TEST

int
main(void)
{
	/* no fork: the schema check must see the files test_all_fixtures wrote */
	static const struct tk_opts opt = { setup, teardown, 60, 1 };
	const struct tk_test tests[] = {
		TK_TEST(test_all_fixtures),
		TK_TEST(test_java_bug_resources),
		TK_TEST(test_java_bug_volumes_zones),
		TK_TEST(test_java_bug_labels_queue),
		TK_TEST(test_java_bug_proxy_user_label),
		TK_TEST(test_coercions),
		TK_TEST(test_pinning_and_yunikorn),
		TK_TEST(test_crd_schema_strict),   /* last: it runs only where ../shared/crd is */
	};
	size_t n = TK_LEN(tests);

	if (access(VALIDATE, R_OK) != 0) {
		printf("SKIPPED: test_bpg_fixtures: ../shared/crd is missing: the strict CRD check did not run\n");
		n--;
	}
	return tk_run("bpg_fixtures", tests, n, &opt);
}
