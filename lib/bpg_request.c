/* bpg_request: a SubmitApplicationRequest parsed, coerced and validated at one boundary. */
#define _GNU_SOURCE   /* strcasestr */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_guard.h"
#include "bpg_json.h"
#include "bpg_k8sname.h"
#include "bpg_reqshape.h"
#include "bpg_request.h"
#include "bpg_yamlread.h"

void
bpg_request_label_value(const char *s, char out[64])
{
	size_t n = 0;

	for (; s[n] && n < 63; n++) {
		unsigned char c = (unsigned char)s[n];
		int ok = isalnum(c) || (n > 0 && (c == '.' || c == '_' || c == '-'));
		out[n] = ok ? (char)c : '0';
	}
	out[n] = '\0';
	if (n > 0 && !isalnum((unsigned char)out[n - 1]))
		out[n - 1] = '0';
}

/* Reads an unsigned decimal ("12", "1.5"): no sign, exponent, hex, inf or nan. */
static int
read_decimal(const char *s, double *v, const char **end)
{
	double x = 0, scale = 1;
	size_t nd = 0, nf = 0;
	const char *c = s;

	for (; isdigit((unsigned char)*c); c++) {
		if (++nd > BPG_REQ_MAX_DIGITS)
			return -1;
		x = x * 10 + (*c - '0');
	}
	if (nd == 0)
		return -1;
	if (*c == '.') {
		for (c++; isdigit((unsigned char)*c); c++) {
			if (++nf > BPG_REQ_MAX_DIGITS)
				return -1;
			scale /= 10;
			x += (*c - '0') * scale;
		}
		if (nf == 0)
			return -1;
	}
	*v = x;
	*end = c;
	return 0;
}

/* Rounds up, but a product that is whole but for floating-point noise stays whole. */
static double
ceil_noise(double v)
{
	double r = nearbyint(v);

	return fabs(v - r) < 1e-6 ? r : ceil(v);
}

enum bpg_err
bpg_request_memory_mb(const char *s, long long *mb_out)
{
	static const struct { const char *u; double mb; } units[] = {
		{ "", 1 }, { "b", 1.0 / 1048576 }, { "k", 1.0 / 1024 }, { "kb", 1.0 / 1024 },
		{ "ki", 1.0 / 1024 }, { "m", 1 }, { "mb", 1 }, { "mi", 1 }, { "g", 1024 },
		{ "gb", 1024 }, { "gi", 1024 }, { "t", 1048576 }, { "tb", 1048576 }, { "ti", 1048576 },
	};
	const char *end;
	double v;

	if (read_decimal(s, &v, &end) != 0 || v <= 0)
		return BPG_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].u) == 0) {
			double mb = ceil_noise(v * units[i].mb);
			if (mb < 1 || mb > BPG_REQ_MAX_MEMORY_MB)
				return BPG_EINVAL;
			*mb_out = (long long)mb;
			return BPG_OK;
		}
	}
	return BPG_EINVAL;
}

enum bpg_err
bpg_request_millicores(const char *s, long long *m_out)
{
	const char *end;
	double v;

	if (read_decimal(s, &v, &end) != 0 || v <= 0)
		return BPG_EINVAL;
	if (strcmp(end, "m") == 0) {
		if (v != floor(v))
			return BPG_EINVAL;
	} else if (*end == '\0') {
		v = ceil_noise(v * 1000);
	} else {
		return BPG_EINVAL;
	}
	if (v < 1 || v > BPG_REQ_MAX_MILLICORES)
		return BPG_EINVAL;
	*m_out = (long long)v;
	return BPG_OK;
}

/* The top-level fields: everything else is rejected. */
enum field_kind { F_STR, F_BOOL, F_NUM_IGNORED, F_STRLIST, F_CONF, F_VOLUMES, F_DRIVER,
	F_EXECUTOR, F_DEPS, F_RESTART };
static const struct { const char *name; enum field_kind kind; } fields[] = {
	{ "submissionIdSuffix", F_STR }, { "applicationName", F_STR }, { "type", F_STR },
	{ "mode", F_STR }, { "image", F_STR }, { "spotInstance", F_BOOL },
	{ "sparkVersion", F_STR }, { "mainClass", F_STR }, { "mainApplicationFile", F_STR },
	{ "arguments", F_STRLIST }, { "sparkConf", F_CONF }, { "volumes", F_VOLUMES },
	{ "driver", F_DRIVER }, { "executor", F_EXECUTOR },
	{ "driverOverheadFactor", F_NUM_IGNORED }, { "executorOverheadFactor", F_NUM_IGNORED },
	{ "overheadFactor", F_NUM_IGNORED }, { "deps", F_DEPS }, { "pythonVersion", F_STR },
	{ "imagePullPolicy", F_STR }, { "restartPolicy", F_RESTART }, { "clusterId", F_STR },
	{ "queue", F_STR }, { "queueToken", F_STR },
};

static int
parse_field(struct bpg_reqshape *p, cJSON *root, cJSON **item, enum field_kind kind,
    struct bpg_submit_req *r)
{
	const char *name = (*item)->string;

	switch (kind) {
	case F_STR:
		return bpg_reqshape_coerce_str(p, root, item, name);
	case F_BOOL:
		if (cJSON_IsNull(*item) || cJSON_IsBool(*item))
			return 0;
		/* the Java gateway (Jackson) took "true" and "false" strings: so does /skatev2 */
		if ((p->flags & BPG_REQ_JAVA) && cJSON_IsString(*item)) {
			static const char *const t[] = { "true", "True", "TRUE", NULL };
			static const char *const f[] = { "false", "False", "FALSE", NULL };
			int v = -1;
			for (size_t i = 0; t[i] != NULL; i++) {
				if (strcmp((*item)->valuestring, t[i]) == 0)
					v = 1;
				if (strcmp((*item)->valuestring, f[i]) == 0)
					v = 0;
			}
			if (v >= 0 && bpg_reqshape_replace_item(root, *item, cJSON_CreateBool(v)) != 0)
				return bpg_reqshape_fail(p, "out of memory");
			if (v >= 0)
				return 0;
		}
		return bpg_reqshape_fail(p, "%s: must be true or false", name);
	case F_NUM_IGNORED:   /* parsed, never used, as in the Java gateway */
		if (cJSON_IsNumber(*item))
			return 0;
		if (cJSON_IsString(*item)) {
			char *end;
			(void)strtod((*item)->valuestring, &end);
			if (end != (*item)->valuestring && *end == '\0')
				return 0;
		}
		return bpg_reqshape_fail(p, "%s: must be a number", name);
	case F_STRLIST:
		return bpg_reqshape_strlist(p, *item, name, BPG_REQ_MAX_ARGS);
	case F_CONF:
		return bpg_reqshape_strmap(p, *item, name, BPG_REQ_MAX_CONF, 0);
	case F_VOLUMES:
		return bpg_reqshape_volumes(p, *item, r);
	case F_DRIVER:
		return bpg_reqshape_pod(p, *item, "driver", &r->driver);
	case F_EXECUTOR:
		return bpg_reqshape_pod(p, *item, "executor", &r->executor);
	case F_DEPS:
		return bpg_reqshape_deps(p, *item);
	case F_RESTART:
		return bpg_reqshape_restart(p, *item);
	}
	return bpg_reqshape_fail(p, "%s: unexpected", name);
}

static const char *
str_of(const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring : NULL;
}

/* The string fields the request keeps a pointer to ("" is none). */
static const struct { const char *key; size_t off; } req_strings[] = {
	{ "submissionIdSuffix", offsetof(struct bpg_submit_req, suffix) },
	{ "applicationName", offsetof(struct bpg_submit_req, app_name) },
	{ "type", offsetof(struct bpg_submit_req, type) },
	{ "image", offsetof(struct bpg_submit_req, image) },
	{ "sparkVersion", offsetof(struct bpg_submit_req, spark_version) },
	{ "mainClass", offsetof(struct bpg_submit_req, main_class) },
	{ "mainApplicationFile", offsetof(struct bpg_submit_req, main_file) },
	{ "clusterId", offsetof(struct bpg_submit_req, cluster_id) },
	{ "queue", offsetof(struct bpg_submit_req, queue) },
	{ "queueToken", offsetof(struct bpg_submit_req, queue_token) },
};

static int
ok_version(const char *v)
{
	for (const char *c = v; *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_') || c - v > 32)
			return 0;
	return 1;
}

static int
ok_main_file(const char *v)
{
	static const char *const schemes[] = { "local://", "s3a://", "s3://", "s3n://", "gs://",
	    "hdfs://", "http://", "https://", "file://", "abfs://", "abfss://", "wasbs://" };
	int ok = 0;

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		ok |= strncmp(v, schemes[i], strlen(schemes[i])) == 0;
	return ok && strpbrk(v, " \t\r\n") == NULL;
}

static int
ok_suffix(const char *v)
{
	return bpg_k8sname_label(v, BPG_REQ_SUFFIX_MAX);
}

static int
ok_app_name(const char *v)
{
	return strlen(v) <= 255;
}

_Static_assert(BPG_REQ_SUFFIX_MAX == 28, "submissionIdSuffix's rule says 1 to 28");

static const char *const types[] = { "Java", "Scala", "Python", "R", NULL };
static const char *const modes[] = { "cluster", NULL };
static const char *const python_versions[] = { "2", "3", NULL };
static const char *const pull_policies[] = { "Always", "IfNotPresent", "Never", NULL };

/*
 * The rules on one top-level string, in the order they are checked (the first error wins);
 * raw: the value as given ("" included), else "" is as if not given.
 */
static const struct req_rule {
	const char *key;
	int required, raw;
	int (*ok)(const char *v);   /* the test, or NULL: one of words */
	const char *const *words;
	const char *msg;
} req_rules[] = {
	{ "sparkVersion", 1, 0, ok_version, NULL,
	    "sparkVersion: like 3.5 (letters, digits, '.', '-', '_')" },
	{ "mainApplicationFile", 1, 0, ok_main_file, NULL, "mainApplicationFile: a URI with one of the "
	    "schemes local, s3a, s3, s3n, gs, hdfs, http, https, file, abfs, abfss, wasbs" },
	{ "type", 0, 0, NULL, types, "type: one of Java, Scala, Python, R" },
	{ "mode", 0, 1, NULL, modes, "mode: only cluster" },
	{ "submissionIdSuffix", 0, 0, ok_suffix, NULL, "submissionIdSuffix: 1 to 28 lowercase letters, "
	    "digits and '-', starting and ending with a letter or digit (DNS-1123)" },
	{ "pythonVersion", 0, 1, NULL, python_versions, "pythonVersion: \"2\" or \"3\"" },
	{ "imagePullPolicy", 0, 1, NULL, pull_policies,
	    "imagePullPolicy: one of Always, IfNotPresent, Never" },
	{ "applicationName", 0, 0, ok_app_name, NULL, "applicationName: at most 255 characters" },
};

/* 1 when v passes the rule. */
static int
rule_ok(const struct req_rule *rule, const char *v)
{
	size_t i;

	if (rule->ok != NULL)
		return rule->ok(v);
	for (i = 0; rule->words[i] != NULL && strcmp(v, rule->words[i]) != 0; i++)
		continue;
	return rule->words[i] != NULL;
}

/* sparkConf's properties the gateway reads, and the one it sets. */
static int
check_conf(struct bpg_reqshape *p, struct bpg_submit_req *r)
{
	cJSON *conf = cJSON_GetObjectItemCaseSensitive(r->j, "sparkConf");
	const cJSON *v;
	char *end;

	r->max_running_ms = -1;
	r->conf_executor_instances = -1;
	if (conf == NULL)
		return 0;
	if ((v = cJSON_GetObjectItemCaseSensitive(conf, "bpg.maxRunningMillis")) != NULL &&
	    bpg_reqshape_coerce_int(p, v, "sparkConf.bpg.maxRunningMillis", 1, 31536000000LL,
	    &r->max_running_ms) != 0)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(conf, "spark.executor.instances")) != NULL) {
		errno = 0;
		r->conf_executor_instances = strtoll(v->valuestring, &end, 10);
		if (end == v->valuestring || *end != '\0' || errno == ERANGE ||
		    r->conf_executor_instances < 0)
			return bpg_reqshape_fail(p, "Invalid value (%.32s) for Spark config: "
			    "(spark.executor.instances)", v->valuestring);
	}
	/* server controlled: users may not inject a zone */
	cJSON_DeleteItemFromObjectCaseSensitive(conf, "bpg.pickedZones");
	return 0;
}

/* Rules across fields, once every field has its canonical type. */
static int
check_whole(struct bpg_reqshape *p, struct bpg_submit_req *r)
{
	for (size_t i = 0; i < sizeof(req_strings) / sizeof(req_strings[0]); i++)
		*(const char **)(void *)((char *)r + req_strings[i].off) = str_of(r->j, req_strings[i].key);
	r->spot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->j, "spotInstance"));
	/* the Java gateway ignored mode (always cluster): so does /skatev2 */
	if (p->flags & BPG_REQ_JAVA)
		cJSON_DeleteItemFromObjectCaseSensitive(r->j, "mode");
	for (size_t i = 0; i < sizeof(req_rules) / sizeof(req_rules[0]); i++) {
		const struct req_rule *rule = &req_rules[i];
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(r->j, rule->key);
		const char *v = rule->raw ? (it ? it->valuestring : NULL) : str_of(r->j, rule->key);

		if (v == NULL && rule->required)
			return bpg_reqshape_fail(p, "%s: required", rule->key);
		if (v != NULL && !rule_ok(rule, v))
			return bpg_reqshape_fail(p, "%s", rule->msg);
	}
	if (r->type == NULL)
		r->type = r->main_class ? "Java" : "Python";
	return check_conf(p, r);
}

static void
pod_init(struct bpg_pod_req *p)
{
	memset(p, 0, sizeof(*p));
	p->cores = p->core_request_m = p->core_limit_m = p->memory_mb = p->instances = -1;
}

/* Reads the body by flags into *out: "Invalid JSON/YAML request: ..." in why on failure. */
static enum bpg_err
read_tree(const char *body, size_t len, unsigned flags, cJSON **out, struct bpg_why *why)
{
	const char *lang = (flags & BPG_REQ_YAML) ? "YAML" : "JSON";
	char rwhy[256];
	enum bpg_err err;

	if (flags & BPG_REQ_YAML)
		err = bpg_yamlread_parse(body, len, out, BPG_WHY(rwhy));
	else
		err = bpg_json_parse_flags(body, len, BPG_JSON_NO_NUL, out, BPG_WHY(rwhy));
	if (err == BPG_ENOMEM)
		return err;
	if (err != BPG_OK)
		return bpg_why_set(why, BPG_EINVAL, "Invalid %s request: %s", lang, rwhy);
	if (!cJSON_IsObject(*out)) {
		bpg_why_set(why, BPG_EINVAL, "Invalid %s request: the body must be a %s", lang,
		    (flags & BPG_REQ_YAML) ? "YAML mapping" : "JSON object");
		cJSON_Delete(*out);
		*out = NULL;
		return BPG_EINVAL;
	}
	return BPG_OK;
}

/* The top-level fields of r->j, each by its kind; then the rules across fields. */
static void
parse_top(struct bpg_reqshape *p, struct bpg_submit_req *r)
{
	cJSON *it, *next;

	for (it = r->j->child; it != NULL && !p->failed; it = next) {
		size_t i;
		next = it->next;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].name, it->string) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0])) {
			char name[64];
			bpg_request_label_value(it->string, name);   /* printable echo */
			bpg_reqshape_fail(p, "%s: unknown field", name);
			break;
		}
		for (cJSON *dup = r->j->child; dup != it; dup = dup->next)
			if (strcmp(dup->string, it->string) == 0)
				bpg_reqshape_fail(p, "%s: given twice", it->string);
		if (p->failed)
			break;
		if (cJSON_IsNull(it) && fields[i].kind != F_BOOL) {
			cJSON_DeleteItemFromObjectCaseSensitive(r->j, it->string);
			continue;
		}
		(void)parse_field(p, r->j, &it, fields[i].kind, r);
	}
	if (!p->failed)
		(void)check_whole(p, r);
}

int
bpg_request_is_yaml(const char *content_type)
{
	return content_type != NULL && strcasestr(content_type, "yaml") != NULL;
}

enum bpg_err
bpg_request_parse_body(const char *body, size_t len, unsigned flags,
    struct bpg_submit_req **out, struct bpg_why *why)
{
	struct bpg_reqshape p = { why, 0, flags, NULL };
	struct bpg_submit_req *r = calloc(1, sizeof(*r));
	enum bpg_err err;

	if (r == NULL)
		return BPG_ENOMEM;
	pod_init(&r->driver);
	pod_init(&r->executor);
	if ((err = read_tree(body, len, flags, &r->j, why)) != BPG_OK)
		goto fail;
	parse_top(&p, r);
	r->ignored = p.ignored;
	if (!p.failed) {
		*out = r;
		return BPG_OK;
	}
	err = BPG_EINVAL;
fail:
	bpg_request_free(r);
	return err == BPG_ENOMEM ? BPG_ENOMEM : BPG_EINVAL;
}

enum bpg_err
bpg_request_parse(const char *body, size_t len, struct bpg_submit_req **out, struct bpg_why *why)
{
	return bpg_request_parse_body(body, len, 0, out, why);
}

void
bpg_request_free(struct bpg_submit_req *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->ignored);
	cJSON_Delete(r->j);
	free(r);
}

cJSON *
bpg_request_to_json(const struct bpg_submit_req *r)
{
	return cJSON_Duplicate(r->j, 1);
}

/* One pod's limits against the queue. */
static int
check_pod(struct bpg_reqshape *p, const struct bpg_pod_req *pod, const char *role,
    const struct bpg_queue *q, const char *queue_name)
{
	long long cores = pod->cores > 0 ? pod->cores : 1;
	long long mem = pod->memory_mb > 0 ? pod->memory_mb : 1024;

	if (cores < q->min_cores || cores > q->max_cores)
		return bpg_reqshape_fail(p, "%s.cores: %lld is outside queue %s's limits [%lld, %lld]",
		    role, cores, queue_name, q->min_cores, q->max_cores);
	if (mem < q->min_memory_mb || mem > q->max_memory_mb)
		return bpg_reqshape_fail(p, "%s.memory: %lld MiB is outside queue %s's limits "
		    "[%lld, %lld] MiB", role, mem, queue_name, q->min_memory_mb, q->max_memory_mb);
	if (pod->core_limit_m > 0 && pod->core_limit_m > q->max_cores * 1000)
		return bpg_reqshape_fail(p, "%s.coreLimit: above queue %s's %lld cores", role,
		    queue_name, q->max_cores);
	return 0;
}

enum bpg_err
bpg_request_check(const struct bpg_submit_req *r, const struct bpg_queue *q,
    const char *queue_name, int admin, struct bpg_why *why)
{
	struct bpg_reqshape p = { why, 0, 0, NULL };
	long long inst = r->executor.instances >= 0 ? r->executor.instances : 1;

	if (check_pod(&p, &r->driver, "driver", q, queue_name) != 0 ||
	    check_pod(&p, &r->executor, "executor", q, queue_name) != 0)
		return BPG_EINVAL;
	if (inst > q->max_executor_instances)
		return bpg_why_set(why, BPG_EINVAL,
		    "Executor instances in Spark config (%lld) exceeds limit (%lld)",
		    inst, q->max_executor_instances);
	if (r->conf_executor_instances > q->max_executor_instances)
		return bpg_why_set(why, BPG_EINVAL,
		    "Executor instances in Spark config (%lld) exceeds limit (%lld)",
		    r->conf_executor_instances, q->max_executor_instances);
	if (r->max_running_ms > q->max_running_millis)
		return bpg_why_set(why, BPG_EINVAL,
		    "sparkConf.bpg.maxRunningMillis: %lld is above queue %s's limit "
		    "%lld", r->max_running_ms, queue_name, q->max_running_millis);
	if (!q->allow_privileged && (r->driver.privileged || r->executor.privileged))
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "%s.securityContext: queue %s does not allow privileged pods, "
		    "privilege escalation, root or capabilities", r->driver.privileged ? "driver" :
		    "executor", queue_name);
	if (!q->allow_host_path && r->host_path)
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "volumes: queue %s does not allow hostPath volumes", queue_name);
	if (!q->allow_service_account && (r->driver.service_account || r->executor.service_account))
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "%s.serviceAccount: queue %s does not allow choosing a service "
		    "account", r->driver.service_account ? "driver" : "executor", queue_name);
	if (!q->allow_custom_image && (r->image || r->driver.image || r->executor.image))
		return bpg_why_set(why, BPG_EFORBIDDEN, "%s: queue %s does not allow custom images",
		    r->image ? "image" :
		    r->driver.image ? "driver.image" : "executor.image", queue_name);
	/* the same rules said as Spark properties, and what only Spark properties can say */
	return bpg_guard_request(r->j, q, queue_name, admin, why);
}

enum bpg_err
bpg_request_check_cluster(const struct bpg_submit_req *r, const char *cluster_id,
    struct bpg_why *why)
{
	size_t total = strlen(cluster_id) + 1 + BPG_REQ_ID_HEX;

	if (r->suffix != NULL)
		total += 1 + strlen(r->suffix);
	if (total > BPG_REQ_ID_MAX) {
		return bpg_why_set(why, BPG_EINVAL,
		    "submissionIdSuffix: with cluster %s the submission id would be %zu "
		    "characters; at most %d are allowed, so the suffix may have %d", cluster_id, total,
		    BPG_REQ_ID_MAX, (int)(BPG_REQ_ID_MAX - strlen(cluster_id) - 2 - BPG_REQ_ID_HEX));
	}
	return BPG_OK;
}

const char *
bpg_request_queue(const struct bpg_submit_req *r)
{
	return r->queue;
}

const char *
bpg_request_spark_version(const struct bpg_submit_req *r)
{
	return r->spark_version;
}

const char *
bpg_request_cluster_id(const struct bpg_submit_req *r)
{
	return r->cluster_id;
}

const char *
bpg_request_queue_token(const struct bpg_submit_req *r)
{
	return r->queue_token;
}

const char *
bpg_request_type(const struct bpg_submit_req *r)
{
	return r->type;
}

const char *
bpg_request_app_name(const struct bpg_submit_req *r)
{
	return r->app_name;
}
