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

/*
 * A key row: the key is the field's name (K_*) or another (K_AS_*); required, the default
 * (parsed like a value, NULL: none) and, for numbers, the bounds. OFF(f) is the field's
 * offset in the struct of the table being written (defined before each table).
 */
#define K_ROW(key, type, f, req, def, lo, hi) { key, type, OFF(f), req, def, lo, hi }
#define K_STR(f, req, def)             K_ROW(#f, CK_STR, f, req, def, 0, 0)
#define K_PATH(f, req, def)            K_ROW(#f, CK_PATH, f, req, def, 0, 0)
#define K_LIST(f, req, def)            K_ROW(#f, CK_LIST, f, req, def, 0, 0)
#define K_BOOL(f, req, def)            K_ROW(#f, CK_BOOL, f, req, def, 0, 0)
#define K_SCHED(f, req, def)           K_ROW(#f, CK_SCHED, f, req, def, 0, 0)
#define K_INT(f, req, def, lo, hi)     K_ROW(#f, CK_INT, f, req, def, lo, hi)
#define K_DOUBLE(f, req, def, lo, hi)  K_ROW(#f, CK_DOUBLE, f, req, def, lo, hi)
#define K_AS_PATH(key, f, req, def)    K_ROW(key, CK_PATH, f, req, def, 0, 0)
#define K_AS_INT(key, f, req, def, lo, hi)    K_ROW(key, CK_INT, f, req, def, lo, hi)
#define K_AS_DOUBLE(key, f, req, def, lo, hi) K_ROW(key, CK_DOUBLE, f, req, def, lo, hi)
#define K_END { NULL, 0, 0, 0, NULL, 0, 0 }

#define OFF(f) offsetof(struct bpg_gateway_conf, f)
static const struct ck gateway_keys[] = {
	K_STR(base_path, 0, "/apiv2"),
	K_LIST(allowed_origins, 0, ""),
	K_STR(default_queue, 0, "poc"),
	K_INT(workers, 0, "4", 1, 256),
	K_INT(connect_timeout_ms, 0, "3000", 1, 60000),
	K_INT(upstream_timeout_ms, 0, "15000", 1, 300000),
	K_AS_PATH("spark_conf_defaults", spark_conf_defaults_file, 0, NULL),
	K_AS_PATH("spark_conf_fixed", spark_conf_fixed_file, 0, NULL),
	K_STR(log_level, 0, "info"),
	K_PATH(metrics_file, 0, "/dev/shm/bpg-metrics"),
	K_INT(status_max_age_ms, 0, "2000", 0, 3600000),
	K_INT(log_stream_max_ms, 0, "600000", 1000, 86400000),
	K_INT(idempotency_ttl_s, 0, "86400", 60, 2592000),
	K_INT(log_follow_max_ms, 0, "3600000", 1000, 86400000),
	K_LIST(mask_patterns, 0, "password,secret,token,credential,fs.s3a.access.key,"
	    "fs.s3a.secret.key,fs.azure.account.key,.sas.,gs.auth.service.account.*key,"
	    "google.cloud.auth.service.account.*key"),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_database_conf, f)
static const struct ck database_keys[] = {
	K_STR(host, 0, "127.0.0.1"),
	K_INT(port, 0, "3306", 1, 65535),
	K_PATH(socket, 0, NULL),
	K_STR(name, 1, NULL),
	K_STR(user, 1, NULL),
	K_STR(password, 0, NULL),
	K_PATH(password_file, 0, NULL),
	K_INT(connect_timeout_s, 0, "3", 1, 60),
	K_INT(read_timeout_s, 0, "10", 1, 300),
	K_INT(write_timeout_s, 0, "10", 1, 300),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_s3_conf, f)
static const struct ck s3_keys[] = {
	K_STR(endpoint, 0, NULL),
	K_STR(region, 0, "us-east-1"),
	K_STR(bucket, 0, NULL),
	K_STR(folder, 0, "uploaded"),
	K_STR(log_bucket, 0, NULL),
	K_STR(log_prefix, 0, "spark-logs"),
	K_BOOL(path_style, 0, "false"),
	K_STR(access_key_id, 0, NULL),
	K_PATH(secret_access_key_file, 0, NULL),
	K_PATH(ca_file, 0, NULL),
	K_INT(connect_timeout_ms, 0, "3000", 1, 60000),
	K_INT(timeout_ms, 0, "30000", 1, 3600000),
	K_PATH(session_token_file, 0, NULL),
	K_PATH(credentials_file, 0, NULL),
	K_STR(credentials_profile, 0, "default"),
	K_INT(max_upload_mb, 0, "1024", 1, 5242880),
	K_INT(part_size_mb, 0, "8", 5, 512),
	K_INT(upload_concurrency, 0, "10", 1, 64),
	K_PATH(upload_spool_dir, 0, NULL),
	K_BOOL(archive_executor_logs, 0, "false"),
	K_INT(max_concurrent_uploads, 0, "0", 0, 256),
	K_INT(max_uploads_per_user, 0, "0", 0, 256),
	K_INT(upload_body_timeout_s, 0, "20", 1, 3600),
	K_INT(min_upload_kib_per_s, 0, "16", 0, 1048576),
	K_INT(upload_grace_s, 0, "10", 0, 3600),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_livy_conf, f)
static const struct ck livy_keys[] = {
	K_BOOL(enabled, 0, "true"),
	K_STR(prefix, 0, "/livy"),
	K_BOOL(csrf, 0, "false"),
	K_INT(log_lines, 0, "1000", 10, 100000),
	K_STR(spark_version, 0, "3.5"),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_auth_conf, f)
static const struct ck auth_keys[] = {
	K_LIST(allowed_users, 1, NULL),
	K_LIST(blocked_users, 0, ""),
	K_LIST(admin_users, 0, ""),
	K_BOOL(trust_user_header, 0, "false"),
	K_LIST(proxy_users, 0, "airflow_system_account"),
	K_LIST(trusted_proxies, 0, ""),
	K_BOOL(open_read, 0, "false"),
	K_PATH(queue_token_secrets_file, 0, NULL),
	K_LIST(queue_token_issuers, 0, "admin,airflow"),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_ratelimit_conf, f)
static const struct ck ratelimit_keys[] = {
	K_PATH(file, 0, "/dev/shm/bpg-ratelimit"),
	K_AS_DOUBLE("submit_rate", rate[BPG_CLASS_SUBMIT], 0, "20", 0, 1e9),
	K_AS_INT("submit_burst", burst[BPG_CLASS_SUBMIT], 0, "40", 1, 1e9),
	K_AS_DOUBLE("list_rate", rate[BPG_CLASS_LIST], 0, "20", 0, 1e9),
	K_AS_INT("list_burst", burst[BPG_CLASS_LIST], 0, "40", 1, 1e9),
	K_AS_DOUBLE("poll_rate", rate[BPG_CLASS_POLL], 0, "200", 0, 1e9),
	K_AS_INT("poll_burst", burst[BPG_CLASS_POLL], 0, "400", 1, 1e9),
	K_AS_DOUBLE("other_rate", rate[BPG_CLASS_OTHER], 0, "20", 0, 1e9),
	K_AS_INT("other_burst", burst[BPG_CLASS_OTHER], 0, "40", 1, 1e9),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_cluster, f)
static const struct ck cluster_keys[] = {
	K_INT(weight, 1, NULL, 0, 1000000),
	K_STR(api_server, 1, NULL),
	K_STR(namespace, 1, NULL),
	K_PATH(ca_file, 1, NULL),
	K_PATH(token_file, 1, NULL),
	K_LIST(spark_versions, 1, NULL),
	K_LIST(queues, 1, NULL),
	K_STR(service_account, 0, NULL),
	K_INT(ttl_seconds, 0, "-1", -1, 31536000),
	K_SCHED(batch_scheduler, 0, "none"),
	K_STR(spark_ui_url, 0, NULL),
	K_STR(spark_history_url, 0, NULL),
	K_AS_PATH("spark_conf", spark_conf_file, 0, NULL),
	K_AS_PATH("spec_defaults", spec_defaults_file, 0, NULL),
	K_INT(connect_timeout_ms, 0, "0", 0, 60000),
	K_INT(timeout_ms, 0, "0", 0, 300000),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_queue, f)
static const struct ck queue_keys[] = {
	K_LIST(users, 0, ""),
	K_BOOL(secure, 0, "false"),
	K_INT(max_running_millis, 0, "43200000", 1, 31536000000.0),
	K_INT(max_executor_instances, 0, "5000", 0, 100000),
	K_INT(min_cores, 0, "1", 1, 1024),
	K_INT(max_cores, 0, "64", 1, 1024),
	K_INT(min_memory_mb, 0, "512", 1, 16777216),
	K_INT(max_memory_mb, 0, "262144", 1, 16777216),
	K_STR(driver_node_label_key, 0, "node_group_category"),
	K_LIST(driver_node_label_values, 0, ""),
	K_STR(executor_node_label_key, 0, "node_group_category"),
	K_LIST(executor_node_label_values, 0, ""),
	K_LIST(executor_spot_node_label_values, 0, ""),
	K_DOUBLE(driver_cpu_buffer_ratio, 0, "1.0", 0.01, 100),
	K_DOUBLE(executor_cpu_buffer_ratio, 0, "1.0", 0.01, 100),
	K_DOUBLE(driver_mem_buffer_ratio, 0, "1.0", 0.01, 100),
	K_DOUBLE(executor_mem_buffer_ratio, 0, "1.0", 0.01, 100),
	K_LIST(allowed_zones, 0, ""),
	K_BOOL(allow_privileged, 0, "false"),
	K_BOOL(allow_host_path, 0, "false"),
	K_BOOL(allow_custom_image, 0, "false"),
	K_BOOL(allow_service_account, 0, "false"),
	K_BOOL(allow_cluster_id, 0, "false"),
	K_BOOL(allow_k8s_spark_conf, 0, "false"),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_image, f)
static const struct ck image_keys[] = {
	K_STR(image, 1, NULL),
	K_STR(spark_version, 1, NULL),
	K_LIST(types, 0, "Java,Scala,Python,R"),
	K_END
};
#undef OFF

#define OFF(f) offsetof(struct bpg_upload_grant, f)
static const struct ck grant_keys[] = {
	K_STR(folder, 1, NULL),
	K_LIST(users, 0, ""),
	K_LIST(queues, 0, ""),
	K_END
};
#undef OFF


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
