/* Unit tests for bpg_config: the example config, case-kept Spark conf, every validation error. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_config.h"
#include "bpg_mask.h"

#define FIXTURES BPG_SRCDIR "/t/fixtures/config"

/* ---- a scratch folder per test: DIR/bpg.ini and an optional DIR/x.conf ---- */

static char dir[64];
static char ini_path[128];

static void
write_file(const char *name, const char *text, char *path_out, size_t outlen)
{
	char path[256];
	FILE *fp;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, name), (int)sizeof(path));
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), fp), strlen(text));
	ck_assert_int_eq(fclose(fp), 0);
	if (path_out != NULL)
		ck_assert_int_lt(snprintf(path_out, outlen, "%s", path), (int)outlen);
}

static void
setup(void)
{
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "/tmp/bpg-config-XXXXXX"), (int)sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_lt(snprintf(ini_path, sizeof(ini_path), "%s/bpg.ini", dir),
	    (int)sizeof(ini_path));
}

static void
teardown(void)
{
	static const char *const names[] = { "bpg.ini", "x.conf" };
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/* Loads path expecting success; the config is returned (bpg_config_free() it). */
static struct bpg_config *
load_ok(const char *path)
{
	struct bpg_config *cfg = NULL;
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	ck_assert_msg(bpg_config_load(path, &cfg, &errors) == BPG_OK, "%s: %s", path,
	    errors.data ? errors.data : "");
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(errors.len, 0);
	bpg_buf_release(&errors);
	return cfg;
}

/*
 * Loads path expecting BPG_ECONFIG with *out untouched; returns the error text (free() it).
 */
static char *
load_fail(const char *path)
{
	struct bpg_config sentinel, *cfg = &sentinel;
	struct bpg_buf errors;
	char *text = NULL;

	bpg_buf_init(&errors, 0);
	ck_assert_int_eq(bpg_config_load(path, &cfg, &errors), BPG_ECONFIG);
	ck_assert_ptr_eq(cfg, &sentinel);
	ck_assert_uint_gt(errors.len, 0);
	ck_assert_int_eq(errors.data[errors.len - 1], '\n');
	ck_assert_int_eq(bpg_buf_detach(&errors, &text), BPG_OK);
	return text;
}

/* True if some line of errors starts with "file:" and holds where (unless NULL) and what. */
static int
has_line(const char *errors, const char *file, const char *where, const char *what)
{
	size_t flen = strlen(file);

	for (const char *l = errors; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		if (strncmp(line, file, flen) == 0 && line[flen] == ':' &&
		    (where == NULL || strstr(line, where) != NULL) && strstr(line, what) != NULL)
			return 1;
		l += n + (nl != NULL);
	}
	return 0;
}

/* True if every line of errors starts with a file of the scratch folder ("DIR/...:"). */
static int
every_line_names_file(const char *errors)
{
	size_t dlen = strlen(dir);

	for (const char *l = errors; *l; ) {
		const char *nl = strchr(l, '\n');
		if (strncmp(l, dir, dlen) != 0 || l[dlen] != '/')
			return 0;
		if (nl == NULL)
			break;
		l = nl + 1;
	}
	return 1;
}

/* ---- the documented example ---- */

/* etc/bpg.ini's [gateway], [database] and [s3]. */
static void
example_gateway(const struct bpg_config *cfg)
{
	/* [gateway] */
	ck_assert_str_eq(cfg->gateway.base_path, "/apiv2");
	ck_assert_str_eq(cfg->gateway.default_queue, "poc");
	ck_assert_int_eq(cfg->gateway.workers, 4);
	ck_assert_int_eq(cfg->gateway.connect_timeout_ms, 3000);
	ck_assert_int_eq(cfg->gateway.upstream_timeout_ms, 15000);
	ck_assert_int_eq(cfg->gateway.status_max_age_ms, 2000);
	ck_assert_str_eq(cfg->gateway.metrics_file, "/dev/shm/bpg-metrics");
	ck_assert_str_eq(cfg->gateway.log_level, "info");
	ck_assert_str_eq(cfg->gateway.spark_conf_defaults_file, BPG_SRCDIR "/etc/spark-defaults.conf");
	ck_assert_str_eq(cfg->gateway.spark_conf_fixed_file, BPG_SRCDIR "/etc/spark-fixed.conf");
	ck_assert_uint_eq(cfg->gateway.mask_patterns.n, 10);
	ck_assert_str_eq(cfg->gateway.mask_patterns.v[0], "password");
	ck_assert_str_eq(cfg->gateway.mask_patterns.v[5], "fs.s3a.secret.key");
	ck_assert_str_eq(bpg_sparkconf_get(&cfg->gateway.spark_conf_defaults,
	    "spark.kubernetes.executor.podNamePrefix"), "{spark-application-resource-name}");
	ck_assert_str_eq(bpg_sparkconf_get(&cfg->gateway.spark_conf_fixed, "spark.authenticate"),
	    "true");
	/* [database]: socket and password absent */
	ck_assert_str_eq(cfg->database.host, "127.0.0.1");
	ck_assert_int_eq(cfg->database.port, 3306);
	ck_assert_ptr_null(cfg->database.socket);
	ck_assert_str_eq(cfg->database.name, "bpg");
	ck_assert_ptr_null(cfg->database.password);
	ck_assert_str_eq(cfg->database.password_file, "/etc/bpg/secrets/db-password");
	ck_assert_int_eq(cfg->database.read_timeout_s, 10);
	/* [s3] */
	ck_assert_ptr_null(cfg->s3.endpoint);
	ck_assert_str_eq(cfg->s3.region, "us-west-2");
	ck_assert_str_eq(cfg->s3.bucket, "bpg-artifacts");
	ck_assert_int_eq(cfg->s3.path_style, 0);
	ck_assert_ptr_null(cfg->s3.ca_file);
	ck_assert_int_eq(cfg->s3.timeout_ms, 30000);
}

/* etc/bpg.ini's [auth]. */
static void
example_auth(const struct bpg_config *cfg)
{
	/* [auth] */
	ck_assert(bpg_strlist_has(&cfg->auth.allowed_users, "*"));
	ck_assert(bpg_strlist_has(&cfg->auth.blocked_users, "mallory"));
	ck_assert(bpg_strlist_has(&cfg->auth.admin_users, "admin"));
	ck_assert(!bpg_strlist_has(&cfg->auth.admin_users, "Admin"));
	ck_assert_int_eq(cfg->auth.trust_user_header, 0);
	ck_assert_int_eq(cfg->auth.open_read, 0);
	ck_assert_uint_eq(cfg->auth.proxy_users.n, 1);
	ck_assert_str_eq(cfg->auth.proxy_users.v[0], "airflow_system_account");
	ck_assert_ptr_null(cfg->auth.queue_token_secrets_file);
	ck_assert_uint_eq(cfg->auth.queue_token_issuers.n, 2);
	ck_assert_str_eq(cfg->auth.queue_token_issuers.v[1], "airflow");
}

/* etc/bpg.ini's [cluster.c01] and [cluster.c02]. */
static void
example_clusters(const struct bpg_config *cfg)
{
	const struct bpg_cluster *c01, *c02;

	ck_assert_uint_eq(cfg->n_clusters, 2);
	c01 = bpg_config_cluster(cfg, "c01");
	c02 = bpg_config_cluster(cfg, "c02");
	ck_assert_ptr_nonnull(c01);
	ck_assert_ptr_nonnull(c02);
	ck_assert_int_eq(c01->weight, 100);
	ck_assert_str_eq(c01->api_server, "https://k8s-c01.example.com:6443");
	ck_assert_str_eq(c01->namespace, "spark-applications");
	ck_assert_str_eq(c01->ca_file, "/etc/bpg/clusters/c01/ca.crt");
	ck_assert_uint_eq(c01->spark_versions.n, 2);
	ck_assert_str_eq(c01->spark_versions.v[0], "3.5");
	ck_assert_str_eq(c01->spark_versions.v[1], "3.4");
	ck_assert_uint_eq(c01->queues.n, 2);
	ck_assert_str_eq(c01->queues.v[1], "etl");
	ck_assert_int_eq(c01->ttl_seconds, 86400);
	ck_assert_int_eq(c01->batch_scheduler, BPG_SCHED_NONE);
	ck_assert_str_eq(c01->spark_ui_url, "https://spark-ui.example.com");
	ck_assert_str_eq(c01->spark_conf_file, BPG_SRCDIR "/etc/spark-c01.conf");
	ck_assert_str_eq(bpg_sparkconf_get(&c01->spark_conf,
	    "spark.hadoop.fs.s3a.aws.credentials.provider"),
	    "com.amazonaws.auth.WebIdentityTokenCredentialsProvider");
	ck_assert_str_eq(c01->spec_defaults_file, BPG_SRCDIR "/etc/spec-c01.json");
	ck_assert_ptr_nonnull(c01->spec_defaults);
	/* cluster timeouts absent: the gateway's */
	ck_assert_int_eq(c01->connect_timeout_ms, 3000);
	ck_assert_int_eq(c01->timeout_ms, 15000);
	ck_assert_int_eq(c02->weight, 50);
	ck_assert_int_eq(c02->batch_scheduler, BPG_SCHED_YUNIKORN);
	ck_assert_ptr_null(c02->spark_ui_url);
	ck_assert_ptr_null(c02->spark_conf_file);
	ck_assert_uint_eq(c02->spark_conf.n, 0);
	ck_assert_ptr_null(c02->spec_defaults);
}

/* etc/bpg.ini's queues, with defaults for what [queue.etl] leaves out, and its images. */
static void
example_queues_images(const struct bpg_config *cfg)
{
	const struct bpg_queue *poc, *etl;

	ck_assert_uint_eq(cfg->n_queues, 2);
	poc = bpg_config_queue(cfg, "poc");
	etl = bpg_config_queue(cfg, "etl");
	ck_assert_ptr_nonnull(poc);
	ck_assert_ptr_nonnull(etl);
	ck_assert_int_eq(poc->max_cores, 16);
	ck_assert_int_eq(poc->max_running_millis, 21600000);
	ck_assert_str_eq(poc->driver_node_label_values.v[0], "spark_driver");
	ck_assert_uint_eq(poc->users.n, 0);
	ck_assert_uint_eq(etl->users.n, 1);
	ck_assert_str_eq(etl->users.v[0], "etl-bot");
	ck_assert_int_eq(etl->max_cores, 32);
	ck_assert_int_eq(etl->min_cores, 1);
	ck_assert_int_eq(etl->min_memory_mb, 512);
	ck_assert_int_eq(etl->max_executor_instances, 500);
	ck_assert_str_eq(etl->driver_node_label_key, "node_group_category");
	ck_assert_uint_eq(etl->driver_node_label_values.n, 0);
	ck_assert_uint_eq(etl->allowed_zones.n, 0);
	ck_assert_double_eq(etl->driver_cpu_buffer_ratio, 1.0);
	ck_assert_int_eq(etl->secure, 0);
	ck_assert_int_eq(etl->allow_cluster_id, 0);
	/* images: values keep their case */
	ck_assert_uint_eq(cfg->n_images, 3);
	ck_assert_str_eq(cfg->images[0].name, "spark35");
	ck_assert_str_eq(cfg->images[0].image, "apache/spark:3.5.1");
	ck_assert_str_eq(cfg->images[0].types.v[0], "Java");
	ck_assert_str_eq(cfg->images[1].types.v[0], "Python");
	ck_assert_uint_eq(cfg->images[2].types.n, 4);
}

START_TEST(test_example_loads)
{
	struct bpg_config *cfg = load_ok(BPG_SRCDIR "/etc/bpg.ini");

	ck_assert_str_eq(cfg->path, BPG_SRCDIR "/etc/bpg.ini");
	example_gateway(cfg);
	example_auth(cfg);
	example_clusters(cfg);
	example_queues_images(cfg);
	bpg_config_free(cfg);
}
END_TEST

/* ---- Spark conf keys keep their case, loaded through the INI ---- */

START_TEST(test_spark_conf_case_kept)
{
	struct bpg_config *cfg = load_ok(FIXTURES "/case.ini");
	const struct bpg_cluster *c01 = bpg_config_cluster(cfg, "c01");
	const struct bpg_sparkconf *d = &cfg->gateway.spark_conf_defaults;
	const struct bpg_sparkconf *f = &cfg->gateway.spark_conf_fixed;

	ck_assert_ptr_nonnull(c01);
	ck_assert_str_eq(c01->spark_conf_file, FIXTURES "/case-cluster.conf");
	ck_assert_uint_eq(c01->spark_conf.n, 4);
	ck_assert_str_eq(bpg_sparkconf_get(&c01->spark_conf,
	    "spark.kubernetes.executor.podNamePrefix"), "{spark-application-resource-name}");
	ck_assert_ptr_null(bpg_sparkconf_get(&c01->spark_conf,
	    "spark.kubernetes.executor.podnameprefix"));
	ck_assert_str_eq(bpg_sparkconf_get(&c01->spark_conf,
	    "spark.hadoop.fs.s3a.aws.credentials.provider"),
	    "com.amazonaws.auth.WebIdentityTokenCredentialsProvider");
	ck_assert_str_eq(bpg_sparkconf_get(&c01->spark_conf, "spark.eventLog.dir"),
	    "s3a://Bucket/Logs");
	ck_assert_ptr_null(bpg_sparkconf_get(&c01->spark_conf, "spark.eventlog.dir"));
	ck_assert_str_eq(bpg_sparkconf_get(&c01->spark_conf, "spark.executorEnv.MY_VAR"),
	    "Mixed Case Value");
	ck_assert_ptr_null(bpg_sparkconf_get(&c01->spark_conf, "spark.executorenv.my_var"));
	/* the keys themselves, as stored */
	ck_assert_str_eq(c01->spark_conf.items[0].key, "spark.kubernetes.executor.podNamePrefix");

	ck_assert_str_eq(cfg->gateway.spark_conf_defaults_file, FIXTURES "/case-defaults.conf");
	ck_assert_str_eq(bpg_sparkconf_get(d, "spark.sql.adaptive.coalescePartitions.enabled"),
	    "true");
	ck_assert_ptr_null(bpg_sparkconf_get(d, "spark.sql.adaptive.coalescepartitions.enabled"));
	ck_assert_str_eq(bpg_sparkconf_get(d, "spark.kubernetes.driver.podTemplateFile"),
	    "/opt/Templates/Driver.yaml");
	ck_assert_ptr_null(bpg_sparkconf_get(d, "spark.kubernetes.driver.podtemplatefile"));

	ck_assert_str_eq(cfg->gateway.spark_conf_fixed_file, FIXTURES "/case-fixed.conf");
	ck_assert_str_eq(bpg_sparkconf_get(f, "spark.network.crypto.keyFactoryAlgorithm"),
	    "PBKDF2WithHmacSHA1");
	ck_assert_ptr_null(bpg_sparkconf_get(f, "spark.network.crypto.keyfactoryalgorithm"));
	ck_assert_str_eq(bpg_sparkconf_get(f, "spark.authenticate"), "true");

	/* the rest of the fixture: relative paths, per-cluster timeouts, case of the queue */
	ck_assert_str_eq(c01->ca_file, FIXTURES "/ca.crt");
	ck_assert_str_eq(c01->token_file, "/var/run/token");
	ck_assert_int_eq(c01->connect_timeout_ms, 3000);
	ck_assert_int_eq(bpg_config_cluster(cfg, "c02")->connect_timeout_ms, 500);
	ck_assert_int_eq(bpg_config_cluster(cfg, "c02")->timeout_ms, 9000);
	ck_assert_str_eq(cfg->gateway.default_queue, "Batch");
	ck_assert_str_eq(cfg->gateway.log_level, "warn");
	bpg_config_free(cfg);
}
END_TEST

/* A relative INI path (no '/') resolves its relative files against ".". */
START_TEST(test_relative_ini_path)
{
	static const char ini[] =
	    "[database]\nname = bpg\nuser = bpg\n[auth]\nallowed_users = *\n"
	    "[gateway]\nspark_conf_fixed = x.conf\n"
	    "[cluster.c01]\nweight = 1\napi_server = https://k\nnamespace = spark\n"
	    "ca_file = ca.crt\ntoken_file = token\nspark_versions = 3.5\nqueues = poc\n"
	    "[queue.poc]\n";
	struct bpg_config *cfg;

	write_file("bpg.ini", ini, NULL, 0);
	write_file("x.conf", "spark.Fixed.Key Value\n", NULL, 0);
	ck_assert_int_eq(chdir(dir), 0);
	cfg = load_ok("bpg.ini");
	ck_assert_str_eq(cfg->gateway.spark_conf_fixed_file, "./x.conf");
	ck_assert_str_eq(bpg_sparkconf_get(&cfg->gateway.spark_conf_fixed, "spark.Fixed.Key"),
	    "Value");
	ck_assert_str_eq(cfg->clusters[0].ca_file, "./ca.crt");
	bpg_config_free(cfg);
	ck_assert_int_eq(chdir("/"), 0);
}
END_TEST

/* ---- validation errors: each names the file, the section and the key ---- */

#define GW "[gateway]\ndefault_queue = poc\n"
#define DB "[database]\nname = bpg\nuser = bpg\n"
#define AU "[auth]\nallowed_users = *\n"
#define CLUSTER(id, weight, api, queues, extra) \
	"[cluster." id "]\nweight = " weight "\napi_server = " api "\nnamespace = spark\n" \
	"ca_file = ca.crt\ntoken_file = token\nspark_versions = 3.5\nqueues = " queues "\n" extra
#define CL CLUSTER("c01", "1", "https://k8s.example.com", "poc", "")
#define CLX(extra) CLUSTER("c01", "1", "https://k8s.example.com", "poc", extra)
#define QU "[queue.poc]\n"
#define BASE GW DB AU CL QU

START_TEST(test_minimal_ok)
{
	struct bpg_config *cfg;
	char path[256];

	write_file("bpg.ini", BASE, NULL, 0);
	cfg = load_ok(ini_path);
	ck_assert_uint_eq(cfg->n_clusters, 1);
	ck_assert_uint_eq(cfg->n_queues, 1);
	ck_assert_uint_eq(cfg->n_images, 0);
	/* defaults of everything left out */
	ck_assert_str_eq(cfg->gateway.base_path, "/apiv2");
	ck_assert_int_eq(cfg->gateway.workers, 4);
	ck_assert_ptr_null(cfg->gateway.spark_conf_defaults_file);
	ck_assert_uint_eq(cfg->gateway.spark_conf_defaults.n, 0);
	ck_assert_uint_eq(cfg->gateway.mask_patterns.n, 10);
	/* issue 32 item 11: the default patterns mask Azure and GCS keys */
	ck_assert(bpg_mask_key_is_secret("spark.hadoop.fs.azure.account.key.a.dfs.core.windows.net",
	    &cfg->gateway.mask_patterns));
	ck_assert(bpg_mask_key_is_secret("spark.hadoop.fs.azure.sas.c.a.blob.core.windows.net",
	    &cfg->gateway.mask_patterns));
	ck_assert(bpg_mask_key_is_secret("spark.hadoop.fs.gs.auth.service.account.private.key",
	    &cfg->gateway.mask_patterns));
	ck_assert(!bpg_mask_key_is_secret("spark.hadoop.fs.gs.project.id", &cfg->gateway.mask_patterns));
	ck_assert_str_eq(cfg->database.host, "127.0.0.1");
	ck_assert_int_eq(cfg->database.port, 3306);
	ck_assert_str_eq(cfg->s3.region, "us-east-1");
	ck_assert_str_eq(cfg->s3.folder, "uploaded");
	ck_assert_uint_eq(cfg->auth.blocked_users.n, 0);
	ck_assert_int_eq(cfg->clusters[0].ttl_seconds, -1);
	ck_assert_int_eq(cfg->clusters[0].batch_scheduler, BPG_SCHED_NONE);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	ck_assert_str_eq(cfg->clusters[0].ca_file, path);
	ck_assert_int_eq(cfg->queues[0].max_cores, 64);
	ck_assert_int_eq(cfg->queues[0].max_memory_mb, 262144);
	ck_assert_double_eq(cfg->queues[0].executor_mem_buffer_ratio, 1.0);
	/* [ratelimit]: lists and submits share the default, polls get a generous budget */
	ck_assert_str_eq(cfg->ratelimit.file, "/dev/shm/bpg-ratelimit");
	ck_assert_double_eq(cfg->ratelimit.rate[BPG_CLASS_SUBMIT], 20);
	ck_assert_int_eq(cfg->ratelimit.burst[BPG_CLASS_LIST], 40);
	ck_assert_double_eq(cfg->ratelimit.rate[BPG_CLASS_POLL], 200);
	ck_assert_int_eq(cfg->ratelimit.burst[BPG_CLASS_POLL], 400);
	ck_assert_double_eq(cfg->ratelimit.rate[BPG_CLASS_OTHER], 20);
	/* [s3]: uploads hold at most half the workers, and a user two of those */
	ck_assert_int_eq(cfg->s3.max_concurrent_uploads, 2);
	ck_assert_int_eq(cfg->s3.max_uploads_per_user, 2);
	ck_assert_int_eq(cfg->s3.upload_body_timeout_s, 20);
	ck_assert_int_eq(cfg->s3.min_upload_kib_per_s, 16);
	ck_assert_int_eq(cfg->s3.upload_grace_s, 10);
	bpg_config_free(cfg);
}
END_TEST

/* The upload caps' defaults follow [gateway] workers; given values are kept. */
static const struct {
	const char *ini;
	long long uploads, per_user;
} upload_cases[] = {
	{ "[gateway]\nworkers = 1\n", 1, 1 },
	{ "[gateway]\nworkers = 2\n", 1, 1 },
	{ "[gateway]\nworkers = 3\n", 1, 1 },
	{ "[gateway]\nworkers = 16\n", 8, 2 },
	{ "[gateway]\nworkers = 16\n[s3]\nmax_concurrent_uploads = 15\n", 15, 2 },
	{ "[gateway]\nworkers = 16\n[s3]\nmax_uploads_per_user = 8\n", 8, 8 },
	{ "[gateway]\nworkers = 4\n[s3]\nmax_concurrent_uploads = 3\n"
	    "max_uploads_per_user = 1\n", 3, 1 },
};

START_TEST(test_upload_caps)
{
	struct bpg_config *cfg;
	char ini[1024];

	snprintf(ini, sizeof(ini), "%s" DB AU CL QU, upload_cases[_i].ini);
	write_file("bpg.ini", ini, NULL, 0);
	cfg = load_ok(ini_path);
	ck_assert_int_eq(cfg->s3.max_concurrent_uploads, upload_cases[_i].uploads);
	ck_assert_int_eq(cfg->s3.max_uploads_per_user, upload_cases[_i].per_user);
	bpg_config_free(cfg);
}
END_TEST

static const struct {
	const char *name;
	const char *ini;
	const char *conf;   /* DIR/x.conf, or NULL */
	const char *where;  /* "[section] key" on the line, or NULL */
	const char *what;   /* the message, on the same line */
	const char *more;   /* DIR/<more> anywhere in the errors, or NULL */
} err_cases[] = {
	{ "unknown key", BASE "bogus = 1\n", NULL, "[queue.poc] bogus", "unknown key", NULL },
	{ "trusted proxy not a CIDR", GW DB AU "trusted_proxies = 10.0.0.0/33\n" CL QU, NULL,
	    "[auth] trusted_proxies", "'10.0.0.0/33' is not an address or CIDR", NULL },
	{ "trusted header without proxies", GW DB AU "trust_user_header = true\n" CL QU, NULL,
	    "[auth] trusted_proxies", "trust_user_header needs the addresses", NULL },
	{ "unknown key, written in capitals", GW "Workerz = 4\n" DB AU CL QU, NULL,
	    "[gateway] workerz", "unknown key", NULL },
	{ "unknown key in a cluster", CLX("spark_conf_file = a.conf\n") GW DB AU QU, NULL,
	    "[cluster.c01] spark_conf_file", "unknown key", NULL },
	{ "unknown section", BASE "[bogus]\nx = 1\n", NULL, "[bogus]", "unknown section", NULL },
	{ "cluster section without id", BASE "[cluster]\nweight = 1\n", NULL, "[cluster]",
	    "unknown section", NULL },
	{ "missing required key", GW "[database]\nname = bpg\n" AU CL QU, NULL,
	    "[database] user", "missing (required)", NULL },
	{ "missing required section", GW DB CL QU, NULL, "[auth] allowed_users",
	    "missing (required)", NULL },
	{ "missing required cluster key", GW DB AU "[cluster.c01]\nweight = 1\n"
	    "api_server = https://k\nnamespace = spark\nca_file = ca\ntoken_file = t\nqueues = poc\n"
	    QU, NULL, "[cluster.c01] spark_versions", "missing (required)", NULL },
	{ "required key empty", GW "[database]\nname = bpg\nuser =\n" AU CL QU, NULL,
	    "[database] user", "must not be empty", NULL },
	{ "bad integer", BASE "max_cores = 12x\n", NULL, "[queue.poc] max_cores",
	    "'12x' is not an integer", NULL },
	{ "integer overflow", GW "workers = 99999999999999999999\n" DB AU CL QU, NULL,
	    "[gateway] workers", "is not an integer", NULL },
	{ "hex integer", GW "[database]\nname = bpg\nuser = bpg\nport = 0x10\n" AU CL QU, NULL,
	    "[database] port", "'0x10' is not an integer", NULL },
	{ "empty integer", BASE "max_cores =\n", NULL, "[queue.poc] max_cores",
	    "'' is not an integer", NULL },
	{ "integer above range", BASE "max_cores = 2000\n", NULL, "[queue.poc] max_cores",
	    "2000 is out of range [1, 1024]", NULL },
	{ "integer below range", GW "workers = 0\n" DB AU CL QU, NULL, "[gateway] workers",
	    "0 is out of range [1, 256]", NULL },
	{ "negative weight", GW DB AU CLUSTER("c01", "-1", "https://k", "poc", "") QU, NULL,
	    "[cluster.c01] weight", "-1 is out of range [0, 1000000]", NULL },
	{ "bad boolean", BASE "secure = maybe\n", NULL, "[queue.poc] secure",
	    "'maybe' is not a boolean", NULL },
	{ "numeric boolean out of set", BASE "[s3]\npath_style = 2\n", NULL, "[s3] path_style",
	    "'2' is not a boolean", NULL },
	{ "uploads could hold every worker", BASE "[s3]\nmax_concurrent_uploads = 4\n", NULL,
	    "[s3] max_concurrent_uploads", "4 would let uploads hold every one of the 4 workers: "
	    "at most 3", NULL },
	{ "a user's uploads above the cap", BASE "[s3]\nmax_uploads_per_user = 3\n", NULL,
	    "[s3] max_uploads_per_user", "3 is above max_concurrent_uploads 2", NULL },
	{ "bad double", BASE "driver_cpu_buffer_ratio = 1.x\n", NULL,
	    "[queue.poc] driver_cpu_buffer_ratio", "'1.x' is not a number", NULL },
	{ "nan double", BASE "executor_cpu_buffer_ratio = nan\n", NULL,
	    "[queue.poc] executor_cpu_buffer_ratio", "'nan' is not a number", NULL },
	{ "double out of range", BASE "executor_mem_buffer_ratio = 0\n", NULL,
	    "[queue.poc] executor_mem_buffer_ratio", "0 is out of range [0.01, 100]", NULL },
	{ "duplicate cluster id", BASE CL, NULL, "[cluster.c01]",
	    "section given twice (first at line 8): duplicate cluster id", NULL },
	{ "duplicate cluster id, other case", BASE CLUSTER("C01", "1", "https://k", "poc", ""),
	    NULL, "[cluster.c01]", "duplicate cluster id", NULL },
	{ "duplicate queue section", BASE QU, NULL, "[queue.poc]", "section given twice", NULL },
	{ "cluster id with '-'", GW DB AU CLUSTER("c-01", "1", "https://k", "poc", "") QU, NULL,
	    "[cluster.c-01]", "cluster id 'c-01' contains '-'", NULL },
	{ "uppercase cluster id", GW DB AU CLUSTER("C01", "1", "https://k", "poc", "") QU, NULL,
	    "[cluster.C01]", "cluster id 'C01' must be 1 to 20 lowercase letters and digits", NULL },
	{ "cluster id too long", GW DB AU CLUSTER("abcdefghijklmnopqrstu", "1", "https://k", "poc",
	    "") QU, NULL, "[cluster.abcdefghijklmnopqrstu]", "must be 1 to 20", NULL },
	{ "cluster id with '_'", GW DB AU CLUSTER("c_1", "1", "https://k", "poc", "") QU, NULL,
	    "[cluster.c_1]", "lowercase letters and digits", NULL },
	{ "queue no cluster serves", BASE "[queue.orphan]\n", NULL, "[queue.orphan]",
	    "no cluster serves queue 'orphan'", NULL },
	{ "cluster queue without section", GW DB AU
	    CLUSTER("c01", "1", "https://k", "poc, ghost", "") QU, NULL, "[cluster.c01] queues",
	    "queue 'ghost' has no [queue.ghost] section", NULL },
	{ "default_queue without section", "[gateway]\ndefault_queue = nope\n" DB AU CL QU, NULL,
	    "[gateway] default_queue", "queue 'nope' has no [queue.nope] section", NULL },
	{ "default default_queue without section", DB AU
	    CLUSTER("c01", "1", "https://k", "etl", "") "[queue.etl]\n", NULL,
	    "[gateway] default_queue", "queue 'poc' has no", NULL },
	{ "http api_server", GW DB AU CLUSTER("c01", "1", "http://k8s.example.com", "poc", "") QU,
	    NULL, "[cluster.c01] api_server", "'http://k8s.example.com' must be an https:// URL",
	    NULL },
	{ "password and password_file",
	    GW "[database]\nname = bpg\nuser = bpg\npassword = x\npassword_file = /p\n" AU CL QU,
	    NULL, "[database] password_file", "give password or password_file, not both", NULL },
	{ "duplicate key", GW "[database]\nname = bpg\nuser = bpg\nname = other\n" AU CL QU, NULL,
	    "[database] name", "key given twice (first at line 4)", NULL },
	{ "duplicate key, other case", GW "[database]\nname = bpg\nuser = bpg\nNAME = other\n"
	    AU CL QU, NULL, "[database] name", "key given twice", NULL },
	{ "key outside any section", "stray = 1\n" BASE, NULL, "stray", "key outside any section",
	    NULL },
	{ "missing cluster spark conf", GW DB AU CLX("spark_conf = missing.conf\n") QU, NULL,
	    "[cluster.c01] spark_conf", "Spark conf file", "missing.conf: cannot open" },
	{ "malformed cluster spark conf", GW DB AU CLX("spark_conf = x.conf\n") QU,
	    "spark.Good 1\n=oops\n", "[cluster.c01] spark_conf", "Spark conf file",
	    "x.conf:2: missing key" },
	{ "malformed spark_conf_defaults", GW "spark_conf_defaults = x.conf\n" DB AU CL QU,
	    "# c\nspark.A 1\nspark.A 2\n", "[gateway] spark_conf_defaults", "Spark conf file",
	    "x.conf:3: spark.A: key given twice" },
	{ "malformed spark_conf_fixed", GW "spark_conf_fixed = x.conf\n" DB AU CL QU,
	    "spark.k v\x01\n", "[gateway] spark_conf_fixed", "Spark conf file",
	    "x.conf:1: control character in line" },
	{ "missing spark_conf_fixed", GW "spark_conf_fixed = nope.conf\n" DB AU CL QU, NULL,
	    "[gateway] spark_conf_fixed", "Spark conf file", "nope.conf: cannot open" },
	{ "iniparser syntax error", BASE "this line is garbage\n", NULL, NULL,
	    "bpg.ini (17): -> this line is garbage", NULL },
	{ "unterminated section", BASE "[queue.x\n", NULL, NULL, "syntax error", NULL },
	{ "min_cores above max_cores", BASE "min_cores = 8\nmax_cores = 4\n", NULL,
	    "[queue.poc] min_cores", "8 is above max_cores 4", NULL },
	{ "min_memory_mb above max", BASE "min_memory_mb = 4096\nmax_memory_mb = 1024\n", NULL,
	    "[queue.poc] min_memory_mb", "4096 is above max_memory_mb 1024", NULL },
	{ "no cluster with weight", GW DB AU CLUSTER("c01", "0", "https://k", "poc", "") QU, NULL,
	    "[cluster.*] weight", "no cluster has weight > 0", NULL },
	{ "no cluster at all", GW DB AU QU, NULL, NULL, "no [cluster.ID] section", NULL },
	{ "bad batch_scheduler", GW DB AU CLX("batch_scheduler = volcano\n") QU, NULL,
	    "[cluster.c01] batch_scheduler", "'volcano' is not one of none, yunikorn", NULL },
	{ "empty list item", GW DB AU CLUSTER("c01", "1", "https://k", "poc,,etl", "") QU, NULL,
	    "[cluster.c01] queues", "empty item in list 'poc,,etl'", NULL },
	{ "bad base_path", "[gateway]\nbase_path = apiv2/\n" DB AU CL QU, NULL,
	    "[gateway] base_path", "'apiv2/' must start with '/'", NULL },
	{ "bad log_level", GW "log_level = verbose\n" DB AU CL QU, NULL, "[gateway] log_level",
	    "'verbose' is not one of debug, info, warn, error", NULL },
	{ "missing spec_defaults", GW DB AU CLX("spec_defaults = nope.json\n") QU, NULL,
	    "[cluster.c01] spec_defaults", "nope.json: No such file", NULL },
	{ "bad spec_defaults field", GW DB AU CLX("spec_defaults = x.conf\n") QU,
	    "{\"volumez\": []}", "[cluster.c01] spec_defaults", "unknown field 'volumez'", NULL },
	{ "spec_defaults not an object", GW DB AU CLX("spec_defaults = x.conf\n") QU, "[1]",
	    "[cluster.c01] spec_defaults", "must hold a JSON object", NULL },
	{ "bad queue name", BASE "[queue.a b]\n", NULL, "[queue.a b]", "queue name 'a b'", NULL },
	{ "unknown ratelimit key", BASE "[ratelimit]\nlogin_rate = 1\n", NULL,
	    "[ratelimit] login_rate", "unknown key", NULL },
	{ "negative rate", BASE "[ratelimit]\npoll_rate = -1\n", NULL, "[ratelimit] poll_rate",
	    "-1 is out of range", NULL },
	{ "zero burst", BASE "[ratelimit]\nsubmit_burst = 0\n", NULL, "[ratelimit] submit_burst",
	    "0 is out of range", NULL },
	/* [upload.NAME]: upload grants */
	{ "grant without folder", BASE "[upload.t]\nusers = a\n", NULL, "[upload.t] folder",
	    "missing (required)", NULL },
	{ "grant folder with ..", BASE "[upload.t]\nfolder = a/../b\nusers = a\n", NULL,
	    "[upload.t] folder", "'a/../b': folder: each of at most 16", NULL },
	{ "grant folder with //", BASE "[upload.t]\nfolder = a//b\nusers = a\n", NULL,
	    "[upload.t] folder", "folder: each of at most 16", NULL },
	{ "grant folder trailing /", BASE "[upload.t]\nfolder = team/\nusers = a\n", NULL,
	    "[upload.t] folder", "without a trailing '/'", NULL },
	{ "grant folder /", BASE "[upload.t]\nfolder = /\nusers = a\n", NULL,
	    "[upload.t] folder", "'/': folder: must not start with '/'", NULL },
	{ "grant to nobody", BASE "[upload.t]\nfolder = team\n", NULL, "[upload.t]",
	    "grants the folder to nobody", NULL },
	{ "grant to an unknown queue", BASE "[upload.t]\nfolder = team\nqueues = nope\n", NULL,
	    "[upload.t] queues", "queue 'nope' has no [queue.nope] section", NULL },
	{ "grant unknown key", BASE "[upload.t]\nfolder = team\nusers = a\ngroups = g\n", NULL,
	    "[upload.t] groups", "unknown key", NULL },
	{ "upload section without name", BASE "[upload]\nfolder = team\n", NULL, "[upload]",
	    "unknown section", NULL },
};

START_TEST(test_errors_table)
{
	char more[256];
	char *errors;

	write_file("bpg.ini", err_cases[_i].ini, NULL, 0);
	if (err_cases[_i].conf != NULL)
		write_file("x.conf", err_cases[_i].conf, NULL, 0);
	errors = load_fail(ini_path);
	ck_assert_msg(has_line(errors, ini_path, err_cases[_i].where, err_cases[_i].what),
	    "%s: no line '%s: ... %s ... %s' in:\n%s", err_cases[_i].name, ini_path,
	    err_cases[_i].where ? err_cases[_i].where : "", err_cases[_i].what, errors);
	ck_assert_msg(every_line_names_file(errors), "%s: a line names no file in:\n%s",
	    err_cases[_i].name, errors);
	if (err_cases[_i].more != NULL) {
		snprintf(more, sizeof(more), "%s/%s", dir, err_cases[_i].more);
		ck_assert_msg(strstr(errors, more) != NULL, "%s: no '%s' in:\n%s",
		    err_cases[_i].name, more, errors);
	}
	free(errors);
}
END_TEST

/* A bad namespace (not a DNS-1123 label) is named too. */
START_TEST(test_bad_namespace)
{
	char *errors;

	write_file("bpg.ini", GW DB AU "[cluster.c01]\nweight = 1\napi_server = https://k\n"
	    "namespace = Spark_NS\nca_file = ca.crt\ntoken_file = token\nspark_versions = 3.5\n"
	    "queues = poc\n" QU, NULL, 0);
	errors = load_fail(ini_path);
	ck_assert_msg(has_line(errors, ini_path, "[cluster.c01] namespace",
	    "'Spark_NS' is not a DNS-1123 label"), "%s", errors);
	free(errors);
}
END_TEST

/* Every problem is reported in one load, not only the first. */
START_TEST(test_all_errors_reported)
{
	char *errors;
	size_t lines = 0;

	write_file("bpg.ini", GW "workers = many\n" DB AU
	    CLUSTER("c01", "1", "http://k", "poc", "bogus = 1\n") QU "secure = perhaps\n", NULL, 0);
	errors = load_fail(ini_path);
	ck_assert(has_line(errors, ini_path, "[gateway] workers", "not an integer"));
	ck_assert(has_line(errors, ini_path, "[cluster.c01] bogus", "unknown key"));
	ck_assert(has_line(errors, ini_path, "[cluster.c01] api_server", "https://"));
	ck_assert(has_line(errors, ini_path, "[queue.poc] secure", "not a boolean"));
	for (const char *p = errors; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 4);
	free(errors);
}
END_TEST

START_TEST(test_nonexistent_ini)
{
	char path[160], *errors;

	snprintf(path, sizeof(path), "%s/none.ini", dir);
	errors = load_fail(path);
	ck_assert_msg(has_line(errors, path, NULL, "cannot open: No such file or directory"), "%s",
	    errors);
	free(errors);
}
END_TEST

START_TEST(test_nul_in_ini)
{
	char path[160], *errors;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/bpg.ini", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(BASE "\0x = 1\n", 1, sizeof(BASE "\0x = 1\n") - 1, fp),
	    sizeof(BASE "\0x = 1\n") - 1);
	ck_assert_int_eq(fclose(fp), 0);
	errors = load_fail(path);
	ck_assert(has_line(errors, path, NULL, "NUL byte in file"));
	free(errors);
}
END_TEST

/* ---- dump and lookups ---- */

START_TEST(test_dump_masks_password)
{
	struct bpg_config *cfg = load_ok(FIXTURES "/case.ini");
	struct bpg_buf out;

	ck_assert_str_eq(cfg->database.password, "hunter2");
	bpg_buf_init(&out, 0);
	ck_assert_int_eq(bpg_config_dump(cfg, &out), BPG_OK);
	ck_assert_ptr_nonnull(strstr(out.data, "\ndatabase.password=***\n"));
	ck_assert_ptr_null(strstr(out.data, "hunter2"));
	ck_assert_ptr_nonnull(strstr(out.data, "\ndatabase.user=bpg\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\ncluster.c01.weight=10\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\ncluster.c02.timeout_ms=9000\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nqueue.batch.max_cores=64\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "gateway.base_path=/apiv2\n"));
	bpg_buf_release(&out);
	bpg_config_free(cfg);

	/* no inline password: nothing to mask, the file path is shown */
	cfg = load_ok(BPG_SRCDIR "/etc/bpg.ini");
	bpg_buf_init(&out, 0);
	ck_assert_int_eq(bpg_config_dump(cfg, &out), BPG_OK);
	ck_assert_ptr_nonnull(strstr(out.data, "\ndatabase.password=\n"));
	ck_assert_ptr_nonnull(strstr(out.data,
	    "\ndatabase.password_file=/etc/bpg/secrets/db-password\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\ncluster.c02.batch_scheduler=yunikorn\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nimage.spark34.types=Java,Scala,Python,R\n"));
	bpg_buf_release(&out);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_lookups)
{
	struct bpg_config *cfg = load_ok(BPG_SRCDIR "/etc/bpg.ini");

	ck_assert_ptr_eq(bpg_config_queue(cfg, "poc"), &cfg->queues[0]);
	ck_assert_ptr_eq(bpg_config_queue(cfg, "POC"), &cfg->queues[0]);
	ck_assert_ptr_eq(bpg_config_queue(cfg, "Etl"), &cfg->queues[1]);
	ck_assert_ptr_null(bpg_config_queue(cfg, "et"));
	ck_assert_ptr_null(bpg_config_queue(cfg, "etl.daily"));
	ck_assert_ptr_null(bpg_config_queue(cfg, ""));
	ck_assert_ptr_eq(bpg_config_cluster(cfg, "c01"), &cfg->clusters[0]);
	ck_assert_ptr_eq(bpg_config_cluster(cfg, "c02"), &cfg->clusters[1]);
	ck_assert_ptr_null(bpg_config_cluster(cfg, "C01"));
	ck_assert_ptr_null(bpg_config_cluster(cfg, "c0"));
	ck_assert_ptr_null(bpg_config_cluster(cfg, "c011"));
	ck_assert_ptr_null(bpg_config_cluster(cfg, ""));
	ck_assert(bpg_strlist_has(&cfg->clusters[0].queues, "poc"));
	ck_assert(!bpg_strlist_has(&cfg->clusters[0].queues, "POC"));
	bpg_config_free(cfg);
	bpg_config_free(NULL);
}
END_TEST

START_TEST(test_config_path_rule)
{
	unsetenv("BPG_CONFIG");
	ck_assert_str_eq(bpg_config_path(NULL, NULL), BPG_CONFIG_DEFAULT_PATH);
	ck_assert_str_eq(bpg_config_path("", ""), BPG_CONFIG_DEFAULT_PATH);
	setenv("BPG_CONFIG", "", 1);
	ck_assert_str_eq(bpg_config_path(NULL, NULL), BPG_CONFIG_DEFAULT_PATH);
	setenv("BPG_CONFIG", "/env.ini", 1);
	ck_assert_str_eq(bpg_config_path(NULL, NULL), "/env.ini");
	ck_assert_str_eq(bpg_config_path(NULL, "/pos.ini"), "/pos.ini");
	ck_assert_str_eq(bpg_config_path("/flag.ini", "/pos.ini"), "/flag.ini");
	ck_assert_str_eq(bpg_config_path("/flag.ini", NULL), "/flag.ini");
	unsetenv("BPG_CONFIG");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("bpg_config");
	TCase *tc = tcase_create("load");
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_example_loads);
	tcase_add_test(tc, test_spark_conf_case_kept);
	tcase_add_test(tc, test_relative_ini_path);
	tcase_add_test(tc, test_minimal_ok);
	tcase_add_loop_test(tc, test_upload_caps, 0, sizeof(upload_cases) / sizeof(upload_cases[0]));
	tcase_add_test(tc, test_dump_masks_password);
	tcase_add_test(tc, test_lookups);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_loop_test(te, test_errors_table, 0, sizeof(err_cases) / sizeof(err_cases[0]));
	tcase_add_test(te, test_bad_namespace);
	tcase_add_test(te, test_all_errors_reported);
	tcase_add_test(te, test_nonexistent_ini);
	tcase_add_test(te, test_nul_in_ini);
	tcase_add_test(te, test_config_path_rule);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
