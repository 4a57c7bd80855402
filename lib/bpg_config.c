/* bpg_config: the gateway's INI configuration, loaded once, validated, then immutable. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <iniparser.h>
#include "bpg_confcheck.h"
#include "bpg_config.h"
#include "bpg_json.h"

enum ck_type { CK_STR, CK_PATH, CK_INT, CK_BOOL, CK_DOUBLE, CK_LIST, CK_SCHED };

/* One configuration key: where it goes and what it may hold. */
struct ck {
	const char *name;
	enum ck_type type;
	size_t off;          /* offset in the section's struct */
	int required;
	const char *def;     /* default, parsed like a value; NULL: none */
	double min, max;     /* for CK_INT and CK_DOUBLE */
};

#define G(f) offsetof(struct bpg_gateway_conf, f)
static const struct ck gateway_keys[] = {
	{ "base_path", CK_STR, G(base_path), 0, "/apiv2", 0, 0 },
	{ "allowed_origins", CK_LIST, G(allowed_origins), 0, "", 0, 0 },
	{ "default_queue", CK_STR, G(default_queue), 0, "poc", 0, 0 },
	{ "workers", CK_INT, G(workers), 0, "4", 1, 256 },
	{ "connect_timeout_ms", CK_INT, G(connect_timeout_ms), 0, "3000", 1, 60000 },
	{ "upstream_timeout_ms", CK_INT, G(upstream_timeout_ms), 0, "15000", 1, 300000 },
	{ "spark_conf_defaults", CK_PATH, G(spark_conf_defaults_file), 0, NULL, 0, 0 },
	{ "spark_conf_fixed", CK_PATH, G(spark_conf_fixed_file), 0, NULL, 0, 0 },
	{ "log_level", CK_STR, G(log_level), 0, "info", 0, 0 },
	{ "metrics_file", CK_PATH, G(metrics_file), 0, "/dev/shm/bpg-metrics", 0, 0 },
	{ "status_max_age_ms", CK_INT, G(status_max_age_ms), 0, "2000", 0, 3600000 },
	{ "log_stream_max_ms", CK_INT, G(log_stream_max_ms), 0, "600000", 1000, 86400000 },
	{ "idempotency_ttl_s", CK_INT, G(idempotency_ttl_s), 0, "86400", 60, 2592000 },
	{ "log_follow_max_ms", CK_INT, G(log_follow_max_ms), 0, "3600000", 1000, 86400000 },
	{ "mask_patterns", CK_LIST, G(mask_patterns), 0,
	    "password,secret,token,credential,fs.s3a.access.key,fs.s3a.secret.key,"
	    "fs.azure.account.key,.sas.,gs.auth.service.account.*key,"
	    "google.cloud.auth.service.account.*key", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef G

#define D(f) offsetof(struct bpg_database_conf, f)
static const struct ck database_keys[] = {
	{ "host", CK_STR, D(host), 0, "127.0.0.1", 0, 0 },
	{ "port", CK_INT, D(port), 0, "3306", 1, 65535 },
	{ "socket", CK_PATH, D(socket), 0, NULL, 0, 0 },
	{ "name", CK_STR, D(name), 1, NULL, 0, 0 },
	{ "user", CK_STR, D(user), 1, NULL, 0, 0 },
	{ "password", CK_STR, D(password), 0, NULL, 0, 0 },
	{ "password_file", CK_PATH, D(password_file), 0, NULL, 0, 0 },
	{ "connect_timeout_s", CK_INT, D(connect_timeout_s), 0, "3", 1, 60 },
	{ "read_timeout_s", CK_INT, D(read_timeout_s), 0, "10", 1, 300 },
	{ "write_timeout_s", CK_INT, D(write_timeout_s), 0, "10", 1, 300 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef D

#define S(f) offsetof(struct bpg_s3_conf, f)
static const struct ck s3_keys[] = {
	{ "endpoint", CK_STR, S(endpoint), 0, NULL, 0, 0 },
	{ "region", CK_STR, S(region), 0, "us-east-1", 0, 0 },
	{ "bucket", CK_STR, S(bucket), 0, NULL, 0, 0 },
	{ "folder", CK_STR, S(folder), 0, "uploaded", 0, 0 },
	{ "log_bucket", CK_STR, S(log_bucket), 0, NULL, 0, 0 },
	{ "log_prefix", CK_STR, S(log_prefix), 0, "spark-logs", 0, 0 },
	{ "path_style", CK_BOOL, S(path_style), 0, "false", 0, 0 },
	{ "access_key_id", CK_STR, S(access_key_id), 0, NULL, 0, 0 },
	{ "secret_access_key_file", CK_PATH, S(secret_access_key_file), 0, NULL, 0, 0 },
	{ "ca_file", CK_PATH, S(ca_file), 0, NULL, 0, 0 },
	{ "connect_timeout_ms", CK_INT, S(connect_timeout_ms), 0, "3000", 1, 60000 },
	{ "timeout_ms", CK_INT, S(timeout_ms), 0, "30000", 1, 3600000 },
	{ "session_token_file", CK_PATH, S(session_token_file), 0, NULL, 0, 0 },
	{ "credentials_file", CK_PATH, S(credentials_file), 0, NULL, 0, 0 },
	{ "credentials_profile", CK_STR, S(credentials_profile), 0, "default", 0, 0 },
	{ "max_upload_mb", CK_INT, S(max_upload_mb), 0, "1024", 1, 5242880 },
	{ "part_size_mb", CK_INT, S(part_size_mb), 0, "8", 5, 512 },
	{ "upload_concurrency", CK_INT, S(upload_concurrency), 0, "10", 1, 64 },
	{ "upload_spool_dir", CK_PATH, S(upload_spool_dir), 0, NULL, 0, 0 },
	{ "archive_executor_logs", CK_BOOL, S(archive_executor_logs), 0, "false", 0, 0 },
	{ "max_concurrent_uploads", CK_INT, S(max_concurrent_uploads), 0, "0", 0, 256 },
	{ "max_uploads_per_user", CK_INT, S(max_uploads_per_user), 0, "0", 0, 256 },
	{ "upload_body_timeout_s", CK_INT, S(upload_body_timeout_s), 0, "20", 1, 3600 },
	{ "min_upload_kib_per_s", CK_INT, S(min_upload_kib_per_s), 0, "16", 0, 1048576 },
	{ "upload_grace_s", CK_INT, S(upload_grace_s), 0, "10", 0, 3600 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef S

#define L(f) offsetof(struct bpg_livy_conf, f)
static const struct ck livy_keys[] = {
	{ "enabled", CK_BOOL, L(enabled), 0, "true", 0, 0 },
	{ "prefix", CK_STR, L(prefix), 0, "/livy", 0, 0 },
	{ "csrf", CK_BOOL, L(csrf), 0, "false", 0, 0 },
	{ "log_lines", CK_INT, L(log_lines), 0, "1000", 10, 100000 },
	{ "spark_version", CK_STR, L(spark_version), 0, "3.5", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef L

#define A(f) offsetof(struct bpg_auth_conf, f)
static const struct ck auth_keys[] = {
	{ "allowed_users", CK_LIST, A(allowed_users), 1, NULL, 0, 0 },
	{ "blocked_users", CK_LIST, A(blocked_users), 0, "", 0, 0 },
	{ "admin_users", CK_LIST, A(admin_users), 0, "", 0, 0 },
	{ "trust_user_header", CK_BOOL, A(trust_user_header), 0, "false", 0, 0 },
	{ "proxy_users", CK_LIST, A(proxy_users), 0, "airflow_system_account", 0, 0 },
	{ "trusted_proxies", CK_LIST, A(trusted_proxies), 0, "", 0, 0 },
	{ "open_read", CK_BOOL, A(open_read), 0, "false", 0, 0 },
	{ "queue_token_secrets_file", CK_PATH, A(queue_token_secrets_file), 0, NULL, 0, 0 },
	{ "queue_token_issuers", CK_LIST, A(queue_token_issuers), 0, "admin,airflow", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef A

#define R(f) offsetof(struct bpg_ratelimit_conf, f)
static const struct ck ratelimit_keys[] = {
	{ "file", CK_PATH, R(file), 0, "/dev/shm/bpg-ratelimit", 0, 0 },
	{ "submit_rate", CK_DOUBLE, R(rate[BPG_CLASS_SUBMIT]), 0, "20", 0, 1e9 },
	{ "submit_burst", CK_INT, R(burst[BPG_CLASS_SUBMIT]), 0, "40", 1, 1e9 },
	{ "list_rate", CK_DOUBLE, R(rate[BPG_CLASS_LIST]), 0, "20", 0, 1e9 },
	{ "list_burst", CK_INT, R(burst[BPG_CLASS_LIST]), 0, "40", 1, 1e9 },
	{ "poll_rate", CK_DOUBLE, R(rate[BPG_CLASS_POLL]), 0, "200", 0, 1e9 },
	{ "poll_burst", CK_INT, R(burst[BPG_CLASS_POLL]), 0, "400", 1, 1e9 },
	{ "other_rate", CK_DOUBLE, R(rate[BPG_CLASS_OTHER]), 0, "20", 0, 1e9 },
	{ "other_burst", CK_INT, R(burst[BPG_CLASS_OTHER]), 0, "40", 1, 1e9 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef R

#define C(f) offsetof(struct bpg_cluster, f)
static const struct ck cluster_keys[] = {
	{ "weight", CK_INT, C(weight), 1, NULL, 0, 1000000 },
	{ "api_server", CK_STR, C(api_server), 1, NULL, 0, 0 },
	{ "namespace", CK_STR, C(namespace), 1, NULL, 0, 0 },
	{ "ca_file", CK_PATH, C(ca_file), 1, NULL, 0, 0 },
	{ "token_file", CK_PATH, C(token_file), 1, NULL, 0, 0 },
	{ "spark_versions", CK_LIST, C(spark_versions), 1, NULL, 0, 0 },
	{ "queues", CK_LIST, C(queues), 1, NULL, 0, 0 },
	{ "service_account", CK_STR, C(service_account), 0, NULL, 0, 0 },
	{ "ttl_seconds", CK_INT, C(ttl_seconds), 0, "-1", -1, 31536000 },
	{ "batch_scheduler", CK_SCHED, C(batch_scheduler), 0, "none", 0, 0 },
	{ "spark_ui_url", CK_STR, C(spark_ui_url), 0, NULL, 0, 0 },
	{ "spark_history_url", CK_STR, C(spark_history_url), 0, NULL, 0, 0 },
	{ "spark_conf", CK_PATH, C(spark_conf_file), 0, NULL, 0, 0 },
	{ "spec_defaults", CK_PATH, C(spec_defaults_file), 0, NULL, 0, 0 },
	{ "connect_timeout_ms", CK_INT, C(connect_timeout_ms), 0, "0", 0, 60000 },
	{ "timeout_ms", CK_INT, C(timeout_ms), 0, "0", 0, 300000 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef C

#define Q(f) offsetof(struct bpg_queue, f)
static const struct ck queue_keys[] = {
	{ "users", CK_LIST, Q(users), 0, "", 0, 0 },
	{ "secure", CK_BOOL, Q(secure), 0, "false", 0, 0 },
	{ "max_running_millis", CK_INT, Q(max_running_millis), 0, "43200000", 1, 31536000000.0 },
	{ "max_executor_instances", CK_INT, Q(max_executor_instances), 0, "5000", 0, 100000 },
	{ "min_cores", CK_INT, Q(min_cores), 0, "1", 1, 1024 },
	{ "max_cores", CK_INT, Q(max_cores), 0, "64", 1, 1024 },
	{ "min_memory_mb", CK_INT, Q(min_memory_mb), 0, "512", 1, 16777216 },
	{ "max_memory_mb", CK_INT, Q(max_memory_mb), 0, "262144", 1, 16777216 },
	{ "driver_node_label_key", CK_STR, Q(driver_node_label_key), 0, "node_group_category", 0, 0 },
	{ "driver_node_label_values", CK_LIST, Q(driver_node_label_values), 0, "", 0, 0 },
	{ "executor_node_label_key", CK_STR, Q(executor_node_label_key), 0, "node_group_category", 0, 0 },
	{ "executor_node_label_values", CK_LIST, Q(executor_node_label_values), 0, "", 0, 0 },
	{ "executor_spot_node_label_values", CK_LIST, Q(executor_spot_node_label_values), 0, "", 0, 0 },
	{ "driver_cpu_buffer_ratio", CK_DOUBLE, Q(driver_cpu_buffer_ratio), 0, "1.0", 0.01, 100 },
	{ "executor_cpu_buffer_ratio", CK_DOUBLE, Q(executor_cpu_buffer_ratio), 0, "1.0", 0.01, 100 },
	{ "driver_mem_buffer_ratio", CK_DOUBLE, Q(driver_mem_buffer_ratio), 0, "1.0", 0.01, 100 },
	{ "executor_mem_buffer_ratio", CK_DOUBLE, Q(executor_mem_buffer_ratio), 0, "1.0", 0.01, 100 },
	{ "allowed_zones", CK_LIST, Q(allowed_zones), 0, "", 0, 0 },
	{ "allow_privileged", CK_BOOL, Q(allow_privileged), 0, "false", 0, 0 },
	{ "allow_host_path", CK_BOOL, Q(allow_host_path), 0, "false", 0, 0 },
	{ "allow_custom_image", CK_BOOL, Q(allow_custom_image), 0, "false", 0, 0 },
	{ "allow_service_account", CK_BOOL, Q(allow_service_account), 0, "false", 0, 0 },
	{ "allow_cluster_id", CK_BOOL, Q(allow_cluster_id), 0, "false", 0, 0 },
	{ "allow_k8s_spark_conf", CK_BOOL, Q(allow_k8s_spark_conf), 0, "false", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef Q

#define I(f) offsetof(struct bpg_image, f)
static const struct ck image_keys[] = {
	{ "image", CK_STR, I(image), 1, NULL, 0, 0 },
	{ "spark_version", CK_STR, I(spark_version), 1, NULL, 0, 0 },
	{ "types", CK_LIST, I(types), 0, "Java,Scala,Python,R", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef I

#define U(f) offsetof(struct bpg_upload_grant, f)
static const struct ck grant_keys[] = {
	{ "folder", CK_STR, U(folder), 1, NULL, 0, 0 },
	{ "users", CK_LIST, U(users), 0, "", 0, 0 },
	{ "queues", CK_LIST, U(queues), 0, "", 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 }
};
#undef U


/* Records one problem (bpg_confcheck.h). */
void
bpg_confcheck_error(struct bpg_confload *ld, const char *sec, const char *key, const char *fmt, ...)
{
	va_list ap;

	ld->nerr++;
	if (key != NULL)
		bpg_buf_printf(ld->errors, "%s: [%s] %s: ", ld->path, sec, key);
	else if (sec != NULL)
		bpg_buf_printf(ld->errors, "%s: [%s]: ", ld->path, sec);
	else
		bpg_buf_printf(ld->errors, "%s: ", ld->path);
	va_start(ap, fmt);
	bpg_buf_vprintf(ld->errors, fmt, ap);
	va_end(ap);
	bpg_buf_puts(ld->errors, "\n");
}

static char *
cfg_strdup(struct bpg_confload *ld, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		ld->nomem = 1;
	return p;
}

/* Splits a comma-separated list, trimming items; an empty item is an error. */
static int
parse_list(struct bpg_confload *ld, const char *sec, const char *key, const char *s,
    struct bpg_strlist *out)
{
	const char *p = s, *e, *ie;

	out->v = NULL;
	out->n = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		char **v;
		while (isspace((unsigned char)*p))
			p++;
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		ie = e;
		while (ie > p && isspace((unsigned char)ie[-1]))
			ie--;
		if (ie == p) {
			bpg_confcheck_error(ld, sec, key, "empty item in list '%s'", s);
			return -1;
		}
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (v == NULL || (v[out->n] = strndup(p, (size_t)(ie - p))) == NULL) {
			if (v != NULL)
				out->v = v;
			ld->nomem = 1;
			return -1;
		}
		out->v = v;
		out->n++;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/* Parses a whole decimal integer within [min,max]. */
static int
parse_int(struct bpg_confload *ld, const char *sec, const char *key, const char *s,
    double min, double max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE) {
		bpg_confcheck_error(ld, sec, key, "'%s' is not an integer", s);
		return -1;
	}
	if ((double)v < min || (double)v > max) {
		bpg_confcheck_error(ld, sec, key, "%lld is out of range [%.0f, %.0f]", v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_double(struct bpg_confload *ld, const char *sec, const char *key, const char *s,
    double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || v != v) {
		bpg_confcheck_error(ld, sec, key, "'%s' is not a number", s);
		return -1;
	}
	if (v < min || v > max) {
		bpg_confcheck_error(ld, sec, key, "%g is out of range [%g, %g]", v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_bool(struct bpg_confload *ld, const char *sec, const char *key, const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	bpg_confcheck_error(ld, sec, key, "'%s' is not a boolean (true or false)", s);
	return -1;
}

/* Resolves a relative path against the INI's folder. */
static char *
resolve_path(struct bpg_confload *ld, const char *s)
{
	struct bpg_buf b;
	char *out = NULL;

	if (s[0] == '/' || ld->dir == NULL)
		return cfg_strdup(ld, s);
	bpg_buf_init(&b, PATH_MAX);
	if (bpg_buf_printf(&b, "%s/%s", ld->dir, s) != BPG_OK ||
	    bpg_buf_detach(&b, &out) != BPG_OK)
		ld->nomem = 1;
	bpg_buf_release(&b);
	return out;
}

/* Stores one value of key k into the struct at base. */
static void
set_value(struct bpg_confload *ld, const char *sec, const struct ck *k, const char *s, void *base)
{
	char *field = (char *)base + k->off;

	switch (k->type) {
	case CK_STR:
		if (*s == '\0' && k->required) {
			bpg_confcheck_error(ld, sec, k->name, "must not be empty");
			return;
		}
		*(char **)field = *s ? cfg_strdup(ld, s) : NULL;
		break;
	case CK_PATH:
		*(char **)field = *s ? resolve_path(ld, s) : NULL;
		break;
	case CK_INT:
		(void)parse_int(ld, sec, k->name, s, k->min, k->max, (long long *)field);
		break;
	case CK_DOUBLE:
		(void)parse_double(ld, sec, k->name, s, k->min, k->max, (double *)field);
		break;
	case CK_BOOL:
		(void)parse_bool(ld, sec, k->name, s, (int *)field);
		break;
	case CK_LIST:
		(void)parse_list(ld, sec, k->name, s, (struct bpg_strlist *)field);
		break;
	case CK_SCHED:
		if (strcasecmp(s, "none") == 0 || strcasecmp(s, "default") == 0)
			*(enum bpg_scheduler *)field = BPG_SCHED_NONE;
		else if (strcasecmp(s, "yunikorn") == 0)
			*(enum bpg_scheduler *)field = BPG_SCHED_YUNIKORN;
		else
			bpg_confcheck_error(ld, sec, k->name, "'%s' is not one of none, yunikorn", s);
		break;
	}
}

/* Loads section sec into base with the key table keys: unknown, missing, bad values. */
static void
load_section(struct bpg_confload *ld, const char *sec, const struct ck *keys, void *base)
{
	int nkeys = iniparser_getsecnkeys(ld->ini, sec);
	const char **names = NULL;
	char full[512];

	if (nkeys > 0) {
		names = calloc((size_t)nkeys, sizeof(*names));
		if (names == NULL) {
			ld->nomem = 1;
			return;
		}
		iniparser_getseckeys(ld->ini, sec, names);
	}
	for (int i = 0; i < nkeys; i++) {
		const char *key = strchr(names[i], ':');
		const struct ck *k;

		key = key ? key + 1 : names[i];
		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, key) == 0)
				break;
		if (k->name == NULL)
			bpg_confcheck_error(ld, sec, key, "unknown key");
	}
	free(names);
	for (const struct ck *k = keys; k->name != NULL; k++) {
		const char *v;

		if ((size_t)snprintf(full, sizeof(full), "%s:%s", sec, k->name) >= sizeof(full)) {
			bpg_confcheck_error(ld, sec, k->name, "section name too long");
			continue;
		}
		v = iniparser_getstring(ld->ini, full, NULL);
		if (v == NULL) {
			if (k->required) {
				bpg_confcheck_error(ld, sec, k->name, "missing (required)");
				continue;
			}
			v = k->def;
		}
		if (v != NULL)
			set_value(ld, sec, k, v, base);
	}
}

/* Reads the whole INI file into text (NUL-terminated); reports and fails on I/O or size. */
static int
read_ini(struct bpg_confload *ld, struct bpg_buf *text)
{
	char chunk[8192];
	size_t n;
	FILE *fp = fopen(ld->path, "r");
	int rc = 0;

	if (fp == NULL) {
		bpg_confcheck_error(ld, NULL, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (bpg_buf_append(text, chunk, n) != BPG_OK) {
			bpg_confcheck_error(ld, NULL, NULL, "larger than %u bytes", BPG_CONFIG_MAX_FILE);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		bpg_confcheck_error(ld, NULL, NULL, "read error");
		rc = -1;
	}
	if (rc == 0 && text->len > 0 && memchr(text->data, '\0', text->len) != NULL) {
		bpg_confcheck_error(ld, NULL, NULL, "NUL byte in file");
		rc = -1;
	}
	if (rc == 0 && bpg_buf_append(text, "", 0) != BPG_OK)
		rc = -1;
	fclose(fp);
	return rc;
}

/* iniparser reports syntax errors through a printf-like callback; it gets no context. */
static struct bpg_confload *ini_loader;

static int
ini_error_cb(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* one line per problem: iniparser puts the bad line after a '\n' */
	for (size_t i = 0; i < n; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	if (ini_loader != NULL)
		bpg_confcheck_error(ini_loader, NULL, NULL, "%s", msg);
	return 0;
}

/* Loads every "PREFIX.NAME" section into a new array of structs of size sz. */
static void *
load_multi(struct bpg_confload *ld, const char *prefix, const struct ck *keys, size_t sz,
    size_t name_off, size_t *n_out)
{
	int nsec = iniparser_getnsec(ld->ini);
	size_t plen = strlen(prefix), n = 0;
	char *arr = NULL;

	for (int i = 0; i < nsec; i++) {
		const char *sec = iniparser_getsecname(ld->ini, i);
		char *na;
		if (sec == NULL || strncmp(sec, prefix, plen) != 0)
			continue;
		na = realloc(arr, (n + 1) * sz);
		if (na == NULL) {
			ld->nomem = 1;
			break;
		}
		arr = na;
		memset(arr + n * sz, 0, sz);
		*(char **)(arr + n * sz + name_off) = cfg_strdup(ld, sec + plen);
		load_section(ld, sec, keys, arr + n * sz);
		n++;
	}
	*n_out = n;
	return arr;
}

/* The singleton sections and where they are stored. */
static const struct {
	const char *name;
	const struct ck *keys;
	size_t off;
} singletons[] = {
	{ "gateway", gateway_keys, offsetof(struct bpg_config, gateway) },
	{ "database", database_keys, offsetof(struct bpg_config, database) },
	{ "s3", s3_keys, offsetof(struct bpg_config, s3) },
	{ "auth", auth_keys, offsetof(struct bpg_config, auth) },
	{ "livy", livy_keys, offsetof(struct bpg_config, livy) },
	{ "ratelimit", ratelimit_keys, offsetof(struct bpg_config, ratelimit) },
};
#define N_SINGLETONS (sizeof(singletons) / sizeof(singletons[0]))

/* Reports sections that are neither a singleton nor cluster./queue./image. */
static void
check_sections(struct bpg_confload *ld)
{
	int nsec = iniparser_getnsec(ld->ini);

	for (int i = 0; i < nsec; i++) {
		const char *sec = iniparser_getsecname(ld->ini, i);
		int known = 0;
		if (sec == NULL)
			continue;
		for (size_t j = 0; j < N_SINGLETONS; j++)
			known |= strcmp(sec, singletons[j].name) == 0;
		known |= strncmp(sec, "cluster.", 8) == 0 && sec[8] != '\0';
		known |= strncmp(sec, "queue.", 6) == 0 && sec[6] != '\0';
		known |= strncmp(sec, "image.", 6) == 0 && sec[6] != '\0';
		known |= strncmp(sec, "upload.", 7) == 0 && sec[7] != '\0';
		if (!known)
			bpg_confcheck_error(ld, sec, NULL, "unknown section (expected gateway, database, s3, "
			    "auth, ratelimit, livy, cluster.ID, queue.NAME, image.NAME or upload.NAME)");
	}
}

const char *
bpg_config_path(const char *flag, const char *positional)
{
	const char *env = getenv("BPG_CONFIG");

	if (flag != NULL && *flag != '\0')
		return flag;
	if (positional != NULL && *positional != '\0')
		return positional;
	if (env != NULL && *env != '\0')
		return env;
	return BPG_CONFIG_DEFAULT_PATH;
}

enum bpg_err
bpg_config_load(const char *path, struct bpg_config **out, struct bpg_buf *errors)
{
	struct bpg_confload ld = { path, NULL, NULL, errors, 0, 0 };
	struct bpg_config *cfg = NULL;
	struct bpg_buf text;
	dictionary *ini = NULL;
	const char *slash;
	enum bpg_err err = BPG_ECONFIG;

	bpg_buf_init(&text, BPG_CONFIG_MAX_FILE);
	if (read_ini(&ld, &text) != 0)
		goto out;
	bpg_confcheck_prescan(&ld, text.data);
	ini_loader = &ld;
	iniparser_set_error_callback(ini_error_cb);
	ini = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	ini_loader = NULL;
	if (ini == NULL) {
		if (ld.nerr == 0)
			bpg_confcheck_error(&ld, NULL, NULL, "cannot parse");
		goto out;
	}
	ld.ini = ini;
	slash = strrchr(path, '/');
	ld.dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || ld.dir == NULL || (cfg->path = strdup(path)) == NULL) {
		err = BPG_ENOMEM;
		goto out;
	}
	check_sections(&ld);
	for (size_t i = 0; i < N_SINGLETONS; i++)
		load_section(&ld, singletons[i].name, singletons[i].keys,
		    (char *)cfg + singletons[i].off);
	cfg->clusters = load_multi(&ld, "cluster.", cluster_keys, sizeof(struct bpg_cluster),
	    offsetof(struct bpg_cluster, id), &cfg->n_clusters);
	cfg->queues = load_multi(&ld, "queue.", queue_keys, sizeof(struct bpg_queue),
	    offsetof(struct bpg_queue, name), &cfg->n_queues);
	cfg->images = load_multi(&ld, "image.", image_keys, sizeof(struct bpg_image),
	    offsetof(struct bpg_image, name), &cfg->n_images);
	cfg->grants = load_multi(&ld, "upload.", grant_keys, sizeof(struct bpg_upload_grant),
	    offsetof(struct bpg_upload_grant, name), &cfg->n_grants);
	if (ld.nomem) {
		err = BPG_ENOMEM;
		goto out;
	}
	bpg_confcheck_rules(&ld, cfg);
	if (ld.nomem)
		err = BPG_ENOMEM;
	else if (ld.nerr == 0)
		err = BPG_OK;
out:
	if (err == BPG_OK) {
		*out = cfg;
		cfg = NULL;
	}
	bpg_config_free(cfg);
	if (ini != NULL)
		iniparser_freedict(ini);
	free(ld.dir);
	bpg_buf_release(&text);
	return err;
}

static void
strlist_release(struct bpg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Frees the fields of the struct at base described by keys. */
static void
release_fields(const struct ck *keys, void *base)
{
	for (const struct ck *k = keys; k->name != NULL; k++) {
		char *field = (char *)base + k->off;
		if (k->type == CK_STR || k->type == CK_PATH) {
			char *s = *(char **)field;
			if (s != NULL && strstr(k->name, "password") != NULL) {
				volatile char *v = s;
				while (*v)
					*v++ = '\0';
			}
			free(s);
			*(char **)field = NULL;
		} else if (k->type == CK_LIST) {
			strlist_release((struct bpg_strlist *)field);
		}
	}
}

void
bpg_config_free(struct bpg_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < N_SINGLETONS; i++)
		release_fields(singletons[i].keys, (char *)cfg + singletons[i].off);
	bpg_sparkconf_release(&cfg->gateway.spark_conf_defaults);
	bpg_sparkconf_release(&cfg->gateway.spark_conf_fixed);
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		release_fields(cluster_keys, &cfg->clusters[i]);
		bpg_sparkconf_release(&cfg->clusters[i].spark_conf);
		cJSON_Delete(cfg->clusters[i].spec_defaults);
		free(cfg->clusters[i].id);
	}
	for (size_t i = 0; i < cfg->n_queues; i++) {
		release_fields(queue_keys, &cfg->queues[i]);
		free(cfg->queues[i].name);
	}
	for (size_t i = 0; i < cfg->n_images; i++) {
		release_fields(image_keys, &cfg->images[i]);
		free(cfg->images[i].name);
	}
	for (size_t i = 0; i < cfg->n_grants; i++) {
		release_fields(grant_keys, &cfg->grants[i]);
		free(cfg->grants[i].name);
	}
	free(cfg->clusters);
	free(cfg->queues);
	free(cfg->images);
	free(cfg->grants);
	free(cfg->path);
	free(cfg);
}

/* Writes "prefix.key=value" for every key of the struct at base. */
static enum bpg_err
dump_fields(const char *prefix, const struct ck *keys, const void *base, struct bpg_buf *out)
{
	enum bpg_err err = BPG_OK;

	for (const struct ck *k = keys; k->name != NULL && err == BPG_OK; k++) {
		const char *field = (const char *)base + k->off;
		err = bpg_buf_printf(out, "%s.%s=", prefix, k->name);
		if (err != BPG_OK)
			break;
		switch (k->type) {
		case CK_STR:
		case CK_PATH: {
			const char *s = *(char *const *)field;
			if (s != NULL && strcmp(k->name, "password") == 0)
				s = "***";
			err = bpg_buf_puts(out, s ? s : "");
			break;
		}
		case CK_INT:
			err = bpg_buf_printf(out, "%lld", *(const long long *)field);
			break;
		case CK_DOUBLE:
			err = bpg_buf_printf(out, "%g", *(const double *)field);
			break;
		case CK_BOOL:
			err = bpg_buf_puts(out, *(const int *)field ? "true" : "false");
			break;
		case CK_SCHED:
			err = bpg_buf_puts(out, *(const enum bpg_scheduler *)field ==
			    BPG_SCHED_YUNIKORN ? "yunikorn" : "none");
			break;
		case CK_LIST: {
			const struct bpg_strlist *l = (const struct bpg_strlist *)field;
			for (size_t i = 0; i < l->n && err == BPG_OK; i++)
				err = bpg_buf_printf(out, "%s%s", i ? "," : "", l->v[i]);
			break;
		}
		}
		if (err == BPG_OK)
			err = bpg_buf_puts(out, "\n");
	}
	return err;
}

enum bpg_err
bpg_config_dump(const struct bpg_config *cfg, struct bpg_buf *out)
{
	enum bpg_err err = BPG_OK;
	char prefix[160];

	for (size_t i = 0; i < N_SINGLETONS && err == BPG_OK; i++)
		err = dump_fields(singletons[i].name, singletons[i].keys,
		    (const char *)cfg + singletons[i].off, out);
	for (size_t i = 0; i < cfg->n_clusters && err == BPG_OK; i++) {
		snprintf(prefix, sizeof(prefix), "cluster.%s", cfg->clusters[i].id);
		err = dump_fields(prefix, cluster_keys, &cfg->clusters[i], out);
	}
	for (size_t i = 0; i < cfg->n_queues && err == BPG_OK; i++) {
		snprintf(prefix, sizeof(prefix), "queue.%s", cfg->queues[i].name);
		err = dump_fields(prefix, queue_keys, &cfg->queues[i], out);
	}
	for (size_t i = 0; i < cfg->n_images && err == BPG_OK; i++) {
		snprintf(prefix, sizeof(prefix), "image.%s", cfg->images[i].name);
		err = dump_fields(prefix, image_keys, &cfg->images[i], out);
	}
	for (size_t i = 0; i < cfg->n_grants && err == BPG_OK; i++) {
		snprintf(prefix, sizeof(prefix), "upload.%s", cfg->grants[i].name);
		err = dump_fields(prefix, grant_keys, &cfg->grants[i], out);
	}
	return err;
}

const struct bpg_cluster *
bpg_config_cluster(const struct bpg_config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->n_clusters; i++)
		if (strcmp(cfg->clusters[i].id, id) == 0)
			return &cfg->clusters[i];
	return NULL;
}

const struct bpg_queue *
bpg_config_queue(const struct bpg_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_queues; i++)
		if (strcasecmp(cfg->queues[i].name, name) == 0)
			return &cfg->queues[i];
	return NULL;
}

int
bpg_strlist_has(const struct bpg_strlist *list, const char *s)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i], s) == 0)
			return 1;
	return 0;
}

/* Parses an IPv4 or IPv6 address into 16 bytes (IPv4 mapped); its family's bits in *bits. */
static int
cidr_addr(const char *s, unsigned char out[16], int *bits)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*bits = 128;
		return 0;
	}
	return -1;
}

enum bpg_err
bpg_config_cidr_match(const char *cidr, const char *addr, int *match_out)
{
	unsigned char net[16], a[16];
	char host[64];
	const char *slash = strchr(cidr, '/');
	size_t hn = slash ? (size_t)(slash - cidr) : strlen(cidr);
	int bits, abits, prefix;

	if (hn == 0 || hn >= sizeof(host))
		return BPG_EINVAL;
	memcpy(host, cidr, hn);
	host[hn] = '\0';
	if (cidr_addr(host, net, &bits) != 0)
		return BPG_EINVAL;
	prefix = bits;
	if (slash != NULL) {
		char *end;
		long v;
		if (slash[1] < '0' || slash[1] > '9')
			return BPG_EINVAL;
		v = strtol(slash + 1, &end, 10);
		if (*end != '\0' || v < 0 || v > bits)
			return BPG_EINVAL;
		prefix = (int)v;
	}
	*match_out = 0;
	if (addr == NULL || cidr_addr(addr, a, &abits) != 0 || abits != bits)
		return BPG_OK;
	prefix += 128 - bits;   /* an IPv4 prefix counts in the mapped address */
	for (int i = 0; i < 16 && prefix > 0; i++, prefix -= 8) {
		unsigned char mask = prefix >= 8 ? 0xff : (unsigned char)(0xff << (8 - prefix));
		if ((net[i] & mask) != (a[i] & mask))
			return BPG_OK;
	}
	*match_out = 1;
	return BPG_OK;
}
