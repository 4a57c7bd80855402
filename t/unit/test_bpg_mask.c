/* Unit tests for bpg_mask: no secret leaves the gateway. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_mask.h"
#include "bpg_request.h"
#include "testkit.h"

static char *pats[] = { TK_STR("password"), TK_STR("secret"), TK_STR("token"), TK_STR("credential"), TK_STR("fs.s3a.access.key"),
    TK_STR("fs.s3a.secret.key") };
static const struct bpg_strlist patterns = { pats, 6 };

START_TEST(test_keys)
{
	ck_assert(bpg_mask_key_is_secret("spark.hadoop.fs.s3a.secret.key", &patterns));
	ck_assert(bpg_mask_key_is_secret("spark.hadoop.fs.s3a.access.key", &patterns));
	ck_assert(bpg_mask_key_is_secret("spark.ssl.keyPassword", &patterns));
	ck_assert(bpg_mask_key_is_secret("spark.authenticate.SECRET", &patterns));
	ck_assert(bpg_mask_key_is_secret("x.github.Token", &patterns));
	ck_assert(!bpg_mask_key_is_secret("spark.executor.memory", &patterns));
	ck_assert(!bpg_mask_key_is_secret("spark.app.name", &patterns));
}
END_TEST

/* Issue 32 item 11: Azure account keys and SAS tokens, GCS service-account keys. */
static char *cloud_pats[] = { TK_STR("password"), TK_STR("secret"), TK_STR("token"), TK_STR("credential"), TK_STR("fs.s3a.access.key"),
    TK_STR("fs.s3a.secret.key"), TK_STR("fs.azure.account.key"), TK_STR(".sas."), TK_STR("gs.auth.service.account.*key"),
    TK_STR("google.cloud.auth.service.account.*key") };
static const struct bpg_strlist cloud = { cloud_pats, 10 };
static const struct { const char *key; int secret; } cloud_keys[] = {
	{ "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net", 1 },
	{ "fs.azure.account.key.acct.blob.core.windows.net", 1 },
	{ "spark.hadoop.FS.AZURE.ACCOUNT.KEY.acct.dfs.core.windows.net", 1 },
	{ "spark.hadoop.fs.azure.sas.container.acct.blob.core.windows.net", 1 },
	{ "spark.hadoop.fs.azure.sas.fixed.token", 1 },
	{ "spark.hadoop.fs.gs.auth.service.account.private.key", 1 },
	{ "spark.hadoop.fs.gs.auth.service.account.private.key.id", 1 },
	{ "spark.hadoop.fs.gs.auth.service.account.json.keyfile", 1 },
	{ "spark.hadoop.google.cloud.auth.service.account.json.keyfile", 1 },
	{ "spark.hadoop.fs.gs.auth.service.account.enable", 0 },
	{ "spark.hadoop.fs.gs.auth.service.account.email", 0 },
	{ "spark.hadoop.fs.azure.account.auth.type", 0 },
	{ "spark.hadoop.fs.gs.project.id", 0 },
	{ "spark.sql.sources.partitionOverwriteMode", 0 },
	{ "key.gs.auth.service.account.", 0 },   /* the glob's order matters */
};

START_TEST(test_cloud_keys)
{
	ck_assert_msg(bpg_mask_key_is_secret(cloud_keys[_i].key, &cloud) == cloud_keys[_i].secret,
	    "%s", cloud_keys[_i].key);
}
END_TEST

/* The globs: '*' any run, found anywhere, case-insensitive; no '*' is a substring. */
static const struct { const char *pattern, *key; int match; } globs[] = {
	{ "a*b", "xxaYYbzz", 1 }, { "a*b", "xxbYYazz", 0 }, { "a*b*c", "_a_b_c_", 1 },
	{ "a*b*c", "_a_c_b_", 0 }, { "*", "anything", 1 }, { "ab*", "xAB", 1 }, { "*ab", "aXb", 0 },
	{ "aab*", "aaab", 1 }, { "a*a*a", "aa", 0 }, { "a*a*a", "aaa", 1 }, { "x.y", "XX.Y", 1 },
};

START_TEST(test_globs)
{
	char *p[] = { strdup(globs[_i].pattern) };   /* the list's items are writable */
	const struct bpg_strlist one = { p, 1 };

	ck_assert_ptr_nonnull(p[0]);
	ck_assert_msg(bpg_mask_key_is_secret(globs[_i].key, &one) == globs[_i].match, "%s ~ %s",
	    globs[_i].pattern, globs[_i].key);
	free(p[0]);
}
END_TEST

START_TEST(test_app)
{
	cJSON *app = cJSON_Parse("{\"spec\":{\"sparkConf\":{\"spark.app.name\":\"x\","
	    "\"spark.hadoop.fs.s3a.secret.key\":\"S3CR3T\",\"spark.ssl.keyPassword\":\"pw\"},"
	    "\"driver\":{\"env\":[{\"name\":\"A\",\"value\":\"one\"},{\"name\":\"B\",\"valueFrom\":"
	    "{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}]},\"executor\":{\"env\":[{\"name\":"
	    "\"C\",\"value\":\"two\"}]}}}");
	char *out;

	ck_assert_ptr_nonnull(app);
	bpg_mask_app(app, &patterns);
	out = cJSON_PrintUnformatted(app);
	ck_assert_str_eq(out, "{\"spec\":{\"sparkConf\":{\"spark.app.name\":\"x\","
	    "\"spark.hadoop.fs.s3a.secret.key\":\"***\",\"spark.ssl.keyPassword\":\"***\"},"
	    "\"driver\":{\"env\":[{\"name\":\"A\",\"value\":\"***\"},{\"name\":\"B\",\"valueFrom\":"
	    "{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}]},\"executor\":{\"env\":[{\"name\":"
	    "\"C\",\"value\":\"***\"}]}}}");
	cJSON_free(out);
	cJSON_Delete(app);
}
END_TEST

START_TEST(test_request_and_odd_shapes)
{
	cJSON *req = cJSON_Parse("{\"queueToken\":\"eyJ.x.y\",\"sparkConf\":{\"a.token\":1},"
	    "\"driver\":{\"env\":\"not a list\"},\"executor\":[]}");
	cJSON *odd = cJSON_Parse("{\"spec\":[1,2]}");
	char *out;

	bpg_mask_request(req, &patterns);
	out = cJSON_PrintUnformatted(req);
	ck_assert_ptr_null(strstr(out, "eyJ"));
	ck_assert_ptr_nonnull(strstr(out, "\"a.token\":\"***\""));
	cJSON_free(out);
	bpg_mask_app(odd, &patterns);   /* no crash on shapes it does not expect */
	bpg_mask_app(NULL, &patterns);
	cJSON_Delete(req);
	cJSON_Delete(odd);
}
END_TEST

/* Pattern matching, case-insensitive substring: {key, secret?}. */
static const struct { const char *key; int secret; } keys[] = {
	{ "spark.hadoop.fs.s3a.SECRET.key", 1 }, { "PASSWORD", 1 }, { "my.tokenizer.class", 1 },
	{ "spark.kubernetes.authenticate.oauthToken", 1 }, { "spark.executor.cores", 0 },
	{ "", 0 }, { "spark.hadoop.fs.s3a.access.key.id", 1 }, { "credentials.provider", 1 }, { "spark.driver.memory", 0 },
};

START_TEST(test_key_table)
{
	ck_assert_int_eq(bpg_mask_key_is_secret(keys[_i].key, &patterns), keys[_i].secret);
}
END_TEST

/* The stored form of a parsed request carries no secret once masked. */
START_TEST(test_request_round_trip)
{
	static const char body[] = "{\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://b/a.py\","
	    "\"queueToken\":\"eyJhbGciOi.payload.sig\",\"sparkConf\":{\"spark.ssl.keyPassword\":"
	    "\"hunter2\",\"spark.x\":\"visible\"},\"driver\":{\"env\":[{\"name\":\"DB\",\"value\":"
	    "\"pw-in-env\"},{\"name\":\"S\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"s\",\"key\":"
	    "\"k\"}}}]},\"executor\":{\"env\":[{\"name\":\"E\",\"value\":12345}]}}";
	struct bpg_submit_req *r;
	char why[256], *out;
	cJSON *j;

	ck_assert_int_eq(bpg_request_parse(body, sizeof(body) - 1, &r, BPG_WHY(why)), BPG_OK);
	ck_assert_ptr_nonnull(j = bpg_request_to_json(r));
	bpg_mask_request(j, &patterns);
	out = cJSON_PrintUnformatted(j);
	ck_assert_ptr_null(strstr(out, "eyJ"));
	ck_assert_ptr_null(strstr(out, "hunter2"));
	ck_assert_ptr_null(strstr(out, "pw-in-env"));
	ck_assert_ptr_null(strstr(out, "12345"));
	ck_assert_ptr_nonnull(strstr(out, "visible"));
	ck_assert_ptr_nonnull(strstr(out, "secretKeyRef"));   /* a reference is no secret */
	/* the request itself is untouched: the gateway still needs the token */
	ck_assert_str_eq(bpg_request_queue_token(r), "eyJhbGciOi.payload.sig");
	cJSON_free(out);
	cJSON_Delete(j);
	bpg_request_free(r);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_TEST(test_keys),
		TK_LOOP(test_cloud_keys, cloud_keys),
		TK_LOOP(test_globs, globs),
		TK_TEST(test_app),
		TK_TEST(test_request_and_odd_shapes),
		TK_LOOP(test_key_table, keys),
		TK_TEST(test_request_round_trip),
	};

	return tk_run("bpg_mask", tests, TK_LEN(tests), NULL);
}
