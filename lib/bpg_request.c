/* bpg_request: a SubmitApplicationRequest parsed, coerced and validated at one boundary. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_json.h"
#include "bpg_request.h"

/* The parse state: the first error wins. */
struct rp {
	char *why;
	size_t whylen;
	int failed;
};

static int fail(struct rp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct rp *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
		p->failed = 1;
	}
	return -1;
}

/* Replaces item (a member of parent) by a string copy of text; 0 or -1. */
static int
replace_str(cJSON *parent, cJSON *item, const char *text)
{
	cJSON *s = cJSON_CreateString(text);

	if (s == NULL)
		return -1;
	if (item->string != NULL)
		return cJSON_ReplaceItemInObjectCaseSensitive(parent, item->string, s) ? 0 : -1;
	return cJSON_ReplaceItemViaPointer(parent, item, s) ? 0 : -1;
}

/* Coerces a scalar to a string (Jackson's way); the new item through *item. */
static int
coerce_str(struct rp *p, cJSON *parent, cJSON **item, const char *path)
{
	char num[64];

	if (cJSON_IsString(*item)) {
		if (strlen((*item)->valuestring) > BPG_REQ_MAX_STRING)
			return fail(p, "%s: longer than %d characters", path, BPG_REQ_MAX_STRING);
		return 0;
	}
	if (cJSON_IsNumber(*item)) {
		double v = (*item)->valuedouble;
		if (v == floor(v) && fabs(v) < 1e15)
			snprintf(num, sizeof(num), "%.0f", v);
		else
			snprintf(num, sizeof(num), "%.15g", v);
	} else if (cJSON_IsBool(*item)) {
		snprintf(num, sizeof(num), "%s", cJSON_IsTrue(*item) ? "true" : "false");
	} else {
		return fail(p, "%s: must be a string", path);
	}
	{
		const char *key = (*item)->string;
		char k[256];
		snprintf(k, sizeof(k), "%s", key ? key : "");
		if (replace_str(parent, *item, num) != 0)
			return fail(p, "out of memory");
		*item = key ? cJSON_GetObjectItemCaseSensitive(parent, k) : NULL;
	}
	return 0;
}

/* Reads a whole number (numbers truncated, numeric strings parsed) in [min, max]. */
static int
coerce_int(struct rp *p, const cJSON *item, const char *path, long long min, long long max,
    long long *out)
{
	long long v;

	if (cJSON_IsNumber(item)) {
		if (!isfinite(item->valuedouble) || fabs(item->valuedouble) > 9e15)
			return fail(p, "%s: must be an integer", path);
		v = (long long)item->valuedouble;
	} else if (cJSON_IsString(item)) {
		char *end;
		errno = 0;
		v = strtoll(item->valuestring, &end, 10);
		if (end == item->valuestring || *end != '\0' || errno == ERANGE)
			return fail(p, "%s: must be an integer", path);
	} else {
		return fail(p, "%s: must be an integer", path);
	}
	if (v < min || v > max)
		return fail(p, "%s: must be from %lld to %lld", path, min, max);
	*out = v;
	return 0;
}

/* Sets the canonical value of an integer field. */
static int
set_int(struct rp *p, cJSON *obj, const char *key, long long v)
{
	cJSON *n = cJSON_CreateNumber((double)v);

	if (n == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(obj, key, n)) {
		cJSON_Delete(n);
		return fail(p, "out of memory");
	}
	return 0;
}

static int
dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return 0;
	return 1;
}

/* Kubernetes label value: empty, or <= 63 of [A-Za-z0-9_.-] starting and ending alnum. */
static int
label_value_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return 1;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* Kubernetes label key: [prefix/]name, prefix a DNS subdomain, name like a value, non-empty. */
static int
label_key_ok(const char *s)
{
	const char *slash = strrchr(s, '/');
	const char *name = slash ? slash + 1 : s;

	if (*name == '\0' || !label_value_ok(name))
		return 0;
	if (slash != NULL) {
		if (slash == s || slash - s > 253)
			return 0;
		for (const char *q = s; q < slash; q++)
			if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q) || *q == '-' || *q == '.'))
				return 0;
	}
	return 1;
}

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

enum bpg_err
bpg_request_memory_mb(const char *s, long long *mb_out)
{
	static const struct { const char *u; double mb; } units[] = {
		{ "", 1 }, { "b", 1.0 / 1048576 }, { "k", 1.0 / 1024 }, { "kb", 1.0 / 1024 },
		{ "ki", 1.0 / 1024 }, { "m", 1 }, { "mb", 1 }, { "mi", 1 }, { "g", 1024 },
		{ "gb", 1024 }, { "gi", 1024 }, { "t", 1048576 }, { "tb", 1048576 }, { "ti", 1048576 },
	};
	char *end;
	double v;

	if (!isdigit((unsigned char)s[0]))
		return BPG_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE || !isfinite(v) || v <= 0)
		return BPG_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].u) == 0) {
			double mb = ceil(v * units[i].mb);
			if (mb < 1 || mb > 16777216.0)
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
	char *end;
	double v;

	if (!isdigit((unsigned char)s[0]))
		return BPG_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE || !isfinite(v) || v <= 0)
		return BPG_EINVAL;
	if (strcmp(end, "m") == 0) {
		if (v != floor(v))
			return BPG_EINVAL;
	} else if (*end == '\0') {
		v *= 1000;
	} else {
		return BPG_EINVAL;
	}
	if (v < 1 || v > 1024000)
		return BPG_EINVAL;
	*m_out = (long long)ceil(v);
	return BPG_OK;
}

/* A map of string to string (labels, annotations, sparkConf): values coerced, keys checked. */
static int
parse_strmap(struct rp *p, cJSON *obj, const char *path, size_t max, int label_rules)
{
	char sub[512];
	size_t n = 0;

	if (!cJSON_IsObject(obj))
		return fail(p, "%s: must be an object of strings", path);
	for (cJSON *it = obj->child; it != NULL; it = it->next) {
		cJSON *cur = it;
		if (++n > max)
			return fail(p, "%s: more than %zu entries", path, max);
		if (it->string == NULL || it->string[0] == '\0' || strlen(it->string) > 253)
			return fail(p, "%s: keys must be 1 to 253 characters", path);
		snprintf(sub, sizeof(sub), "%s.%s", path, it->string);
		if (cJSON_IsNull(it))
			return fail(p, "%s: must be a string", sub);
		if (coerce_str(p, obj, &cur, sub) != 0)
			return -1;
		it = cur;
		if (label_rules && !label_key_ok(it->string))
			return fail(p, "%s: not a valid Kubernetes label or annotation key", sub);
		/* dag_name and task_name are normalized into label values, as the Java gateway did */
		if (label_rules == 1 && !label_value_ok(it->valuestring) &&
		    strcmp(it->string, "dag_name") != 0 && strcmp(it->string, "task_name") != 0)
			return fail(p, "%s: a label value is at most 63 characters of letters, digits, '-', "
			    "'_' and '.', starting and ending with a letter or digit", sub);
	}
	return 0;
}

static int
parse_strlist(struct rp *p, cJSON *arr, const char *path, size_t max)
{
	char sub[256];
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return fail(p, "%s: must be an array of strings", path);
	for (cJSON *it = arr->child; it != NULL; it = it->next, i++) {
		cJSON *cur = it;
		if (i >= max)
			return fail(p, "%s: more than %zu items", path, max);
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (cJSON_IsString(it))
			continue;
		if (!cJSON_IsNumber(it) && !cJSON_IsBool(it))
			return fail(p, "%s: must be a string", sub);
		{
			char num[64];
			if (cJSON_IsNumber(it))
				snprintf(num, sizeof(num), "%.15g", it->valuedouble);
			else
				snprintf(num, sizeof(num), "%s", cJSON_IsTrue(it) ? "true" : "false");
			cur = cJSON_CreateString(num);
			if (cur == NULL || !cJSON_ReplaceItemViaPointer(arr, it, cur))
				return fail(p, "out of memory");
			it = cur;
		}
	}
	return 0;
}

/* env: [{name, value | valueFrom}] */
static int
parse_env(struct rp *p, cJSON *env, const char *path)
{
	char sub[256];
	size_t i = 0;

	if (!cJSON_IsArray(env))
		return fail(p, "%s: must be an array", path);
	for (cJSON *e = env->child; e != NULL; e = e->next, i++) {
		cJSON *name, *value, *vf;
		if (i >= BPG_REQ_MAX_ENV)
			return fail(p, "%s: more than %d variables", path, BPG_REQ_MAX_ENV);
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!cJSON_IsObject(e))
			return fail(p, "%s: must be an object", sub);
		name = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsString(name) || name->valuestring[0] == '\0' || strlen(name->valuestring) > 253)
			return fail(p, "%s.name: required, a non-empty string", sub);
		for (const char *c = name->valuestring; *c; c++)
			if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.') ||
			    (c == name->valuestring && isdigit((unsigned char)*c)))
				return fail(p, "%s.name: letters, digits, '_', '-' and '.', not starting with a "
				    "digit", sub);
		value = cJSON_GetObjectItemCaseSensitive(e, "value");
		vf = cJSON_GetObjectItemCaseSensitive(e, "valueFrom");
		if (value != NULL && !cJSON_IsNull(value)) {
			char vp[300];
			snprintf(vp, sizeof(vp), "%s.value", sub);
			if (coerce_str(p, e, &value, vp) != 0)
				return -1;
		}
		if (vf != NULL && !cJSON_IsNull(vf)) {
			const char *refs[] = { "fieldRef", "secretKeyRef", "configMapKeyRef", "resourceFieldRef" };
			int known = 0;
			if (!cJSON_IsObject(vf) || cJSON_GetArraySize(vf) != 1)
				return fail(p, "%s.valueFrom: one of fieldRef, secretKeyRef, configMapKeyRef, "
				    "resourceFieldRef", sub);
			for (size_t r = 0; r < 4; r++)
				known |= cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(vf, refs[r]));
			if (!known)
				return fail(p, "%s.valueFrom: one of fieldRef, secretKeyRef, configMapKeyRef, "
				    "resourceFieldRef", sub);
		}
	}
	return 0;
}

/* volumes: [{name, hostPath|configMap|secret|emptyDir|persistentVolumeClaim}] */
static int
parse_volumes(struct rp *p, cJSON *vols, struct bpg_submit_req *r)
{
	static const char *const kinds[] = { "hostPath", "configMap", "secret", "emptyDir",
	    "persistentVolumeClaim" };
	char sub[64];
	size_t i = 0;

	if (!cJSON_IsArray(vols))
		return fail(p, "volumes: must be an array");
	for (cJSON *v = vols->child; v != NULL; v = v->next, i++) {
		const cJSON *name;
		int nk = 0;
		if (i >= BPG_REQ_MAX_VOLUMES)
			return fail(p, "volumes: more than %d", BPG_REQ_MAX_VOLUMES);
		snprintf(sub, sizeof(sub), "volumes[%zu]", i);
		if (!cJSON_IsObject(v))
			return fail(p, "%s: must be an object", sub);
		name = cJSON_GetObjectItemCaseSensitive(v, "name");
		if (!cJSON_IsString(name) || !dns_label(name->valuestring, 63))
			return fail(p, "%s.name: required, a DNS-1123 label (lowercase letters, digits, '-')", sub);
		for (const cJSON *w = vols->child; w != v; w = w->next)
			if (strcmp(cJSON_GetObjectItemCaseSensitive(w, "name")->valuestring, name->valuestring) == 0)
				return fail(p, "%s.name: '%s' given twice", sub, name->valuestring);
		for (size_t k = 0; k < 5; k++) {
			const cJSON *src = cJSON_GetObjectItemCaseSensitive(v, kinds[k]);
			if (src == NULL)
				continue;
			if (!cJSON_IsObject(src))
				return fail(p, "%s.%s: must be an object", sub, kinds[k]);
			nk++;
			if (k == 0) {
				const cJSON *path = cJSON_GetObjectItemCaseSensitive(src, "path");
				if (!cJSON_IsString(path) || path->valuestring[0] != '/')
					return fail(p, "%s.hostPath.path: an absolute path", sub);
				r->host_path = 1;
			}
		}
		if (nk != 1)
			return fail(p, "%s: exactly one of hostPath, configMap, secret, emptyDir, "
			    "persistentVolumeClaim", sub);
	}
	return 0;
}

static int
parse_mounts(struct rp *p, cJSON *mounts, const char *path)
{
	char sub[256];
	size_t i = 0;

	if (!cJSON_IsArray(mounts))
		return fail(p, "%s: must be an array", path);
	for (cJSON *m = mounts->child; m != NULL; m = m->next, i++) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "name");
		const cJSON *mp = cJSON_GetObjectItemCaseSensitive(m, "mountPath");
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (i >= BPG_REQ_MAX_VOLUMES)
			return fail(p, "%s: more than %d", path, BPG_REQ_MAX_VOLUMES);
		if (!cJSON_IsString(name) || !cJSON_IsString(mp) || mp->valuestring[0] != '/')
			return fail(p, "%s: name and an absolute mountPath are required", sub);
	}
	return 0;
}

/* A driver or executor object: known fields checked and coerced, unknown ones dropped. */
static int
parse_pod(struct rp *p, cJSON *pod, const char *role, struct bpg_pod_req *out,
    struct bpg_submit_req *r)
{
	static const char *const strs[] = { "coreRequest", "coreLimit", "memory", "memoryOverhead",
	    "image", "serviceAccount", "javaOptions", "podName" };
	static const char *const known[] = { "cores", "coreRequest", "coreLimit", "memory",
	    "memoryOverhead", "image", "env", "labels", "annotations", "terminationGracePeriodSeconds",
	    "serviceAccount", "volumeMounts", "securityContext", "affinity", "javaOptions", "podName",
	    "instances", "deleteOnTermination", NULL };
	char path[96];
	cJSON *it, *next;
	long long v;

	(void)r;
	if (!cJSON_IsObject(pod))
		return fail(p, "%s: must be an object", role);
	/* unknown nested fields are ignored, as the Java gateway did: dropped here */
	for (it = pod->child; it != NULL; it = next) {
		const char *const *k;
		next = it->next;
		for (k = known; *k != NULL; k++)
			if (strcmp(*k, it->string) == 0)
				break;
		if (*k == NULL || cJSON_IsNull(it) || (strcmp(role, "driver") == 0 &&
		    (strcmp(it->string, "instances") == 0 || strcmp(it->string, "deleteOnTermination") == 0)))
			cJSON_DeleteItemFromObjectCaseSensitive(pod, it->string);
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		cJSON *s = cJSON_GetObjectItemCaseSensitive(pod, strs[i]);
		snprintf(path, sizeof(path), "%s.%s", role, strs[i]);
		if (s != NULL && coerce_str(p, pod, &s, path) != 0)
			return -1;
	}
	out->j = pod;
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "cores")) != NULL) {
		snprintf(path, sizeof(path), "%s.cores", role);
		if (coerce_int(p, it, path, 1, 1024, &out->cores) != 0 || set_int(p, pod, "cores", out->cores) != 0)
			return -1;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "instances")) != NULL) {
		snprintf(path, sizeof(path), "%s.instances", role);
		if (coerce_int(p, it, path, 0, 100000, &out->instances) != 0 ||
		    set_int(p, pod, "instances", out->instances) != 0)
			return -1;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "terminationGracePeriodSeconds")) != NULL) {
		snprintf(path, sizeof(path), "%s.terminationGracePeriodSeconds", role);
		if (coerce_int(p, it, path, 0, 86400, &v) != 0 ||
		    set_int(p, pod, "terminationGracePeriodSeconds", v) != 0)
			return -1;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "deleteOnTermination")) != NULL && !cJSON_IsBool(it))
		return fail(p, "%s.deleteOnTermination: must be true or false", role);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "memory")) != NULL &&
	    bpg_request_memory_mb(it->valuestring, &out->memory_mb) != BPG_OK)
		return fail(p, "%s.memory: '%.32s' is not a memory size (like 512m, 2g, 1.5g)", role,
		    it->valuestring);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "memoryOverhead")) != NULL &&
	    bpg_request_memory_mb(it->valuestring, &v) != BPG_OK)
		return fail(p, "%s.memoryOverhead: '%.32s' is not a memory size (like 384m)", role,
		    it->valuestring);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "coreRequest")) != NULL &&
	    bpg_request_millicores(it->valuestring, &out->core_request_m) != BPG_OK)
		return fail(p, "%s.coreRequest: '%.32s' is not a CPU quantity (like 500m or 1.5)", role,
		    it->valuestring);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "coreLimit")) != NULL &&
	    bpg_request_millicores(it->valuestring, &out->core_limit_m) != BPG_OK)
		return fail(p, "%s.coreLimit: '%.32s' is not a CPU quantity (like 1500m or 2)", role,
		    it->valuestring);
	snprintf(path, sizeof(path), "%s.env", role);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "env")) != NULL && parse_env(p, it, path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s.labels", role);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "labels")) != NULL &&
	    parse_strmap(p, it, path, BPG_REQ_MAX_LABELS, 1) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s.annotations", role);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "annotations")) != NULL &&
	    parse_strmap(p, it, path, BPG_REQ_MAX_LABELS, 2) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s.volumeMounts", role);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "volumeMounts")) != NULL &&
	    parse_mounts(p, it, path) != 0)
		return -1;
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "securityContext")) != NULL) {
		const cJSON *pr = cJSON_GetObjectItemCaseSensitive(it, "privileged");
		const cJSON *esc = cJSON_GetObjectItemCaseSensitive(it, "allowPrivilegeEscalation");
		const cJSON *uid = cJSON_GetObjectItemCaseSensitive(it, "runAsUser");
		if (!cJSON_IsObject(it))
			return fail(p, "%s.securityContext: must be an object", role);
		out->privileged = cJSON_IsTrue(pr) || cJSON_IsTrue(esc) ||
		    (cJSON_IsNumber(uid) && uid->valuedouble == 0) ||
		    cJSON_GetObjectItemCaseSensitive(it, "capabilities") != NULL;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "affinity")) != NULL && !cJSON_IsObject(it))
		return fail(p, "%s.affinity: must be an object", role);
	it = cJSON_GetObjectItemCaseSensitive(pod, "serviceAccount");
	out->service_account = it ? it->valuestring : NULL;
	it = cJSON_GetObjectItemCaseSensitive(pod, "image");
	out->image = it ? it->valuestring : NULL;
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "podName")) != NULL &&
	    !dns_label(it->valuestring, 63))
		return fail(p, "%s.podName: a DNS-1123 label", role);
	return 0;
}

static int
parse_deps(struct rp *p, cJSON *deps)
{
	static const char *const keys[] = { "jars", "files", "pyFiles", "packages",
	    "excludePackages", "repositories", "archives", NULL };
	char path[64];
	cJSON *it, *next;

	if (!cJSON_IsObject(deps))
		return fail(p, "deps: must be an object");
	for (it = deps->child; it != NULL; it = next) {
		const char *const *k;
		next = it->next;
		for (k = keys; *k != NULL; k++)
			if (strcmp(*k, it->string) == 0)
				break;
		if (*k == NULL)
			return fail(p, "deps.%.64s: unknown field (jars, files, pyFiles, packages, "
			    "excludePackages, repositories, archives)", it->string);
		snprintf(path, sizeof(path), "deps.%s", it->string);
		if (parse_strlist(p, it, path, BPG_REQ_MAX_DEPS) != 0)
			return -1;
	}
	return 0;
}

static int
parse_restart(struct rp *p, cJSON *rpol)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rpol, "type");
	static const char *const ints[] = { "onSubmissionFailureRetries", "onFailureRetries",
	    "onSubmissionFailureRetryInterval", "onFailureRetryInterval" };
	char path[96];
	long long v;

	if (!cJSON_IsObject(rpol))
		return fail(p, "restartPolicy: must be an object");
	if (!cJSON_IsString(t) || (strcmp(t->valuestring, "Never") != 0 &&
	    strcmp(t->valuestring, "OnFailure") != 0 && strcmp(t->valuestring, "Always") != 0))
		return fail(p, "restartPolicy.type: one of Never, OnFailure, Always");
	for (size_t i = 0; i < 4; i++) {
		cJSON *it = cJSON_GetObjectItemCaseSensitive(rpol, ints[i]);
		if (it == NULL)
			continue;
		snprintf(path, sizeof(path), "restartPolicy.%s", ints[i]);
		if (coerce_int(p, it, path, 0, 1000000, &v) != 0 || set_int(p, rpol, ints[i], v) != 0)
			return -1;
	}
	return 0;
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
parse_field(struct rp *p, cJSON *root, cJSON **item, enum field_kind kind,
    struct bpg_submit_req *r)
{
	const char *name = (*item)->string;

	switch (kind) {
	case F_STR:
		return coerce_str(p, root, item, name);
	case F_BOOL:
		if (cJSON_IsNull(*item))
			return 0;
		if (!cJSON_IsBool(*item))
			return fail(p, "%s: must be true or false", name);
		return 0;
	case F_NUM_IGNORED:   /* parsed, never used, as in the Java gateway */
		if (cJSON_IsNumber(*item))
			return 0;
		if (cJSON_IsString(*item)) {
			char *end;
			(void)strtod((*item)->valuestring, &end);
			if (end != (*item)->valuestring && *end == '\0')
				return 0;
		}
		return fail(p, "%s: must be a number", name);
	case F_STRLIST:
		return parse_strlist(p, *item, name, BPG_REQ_MAX_ARGS);
	case F_CONF:
		return parse_strmap(p, *item, name, BPG_REQ_MAX_CONF, 0);
	case F_VOLUMES:
		return parse_volumes(p, *item, r);
	case F_DRIVER:
		return parse_pod(p, *item, "driver", &r->driver, r);
	case F_EXECUTOR:
		return parse_pod(p, *item, "executor", &r->executor, r);
	case F_DEPS:
		return parse_deps(p, *item);
	case F_RESTART:
		return parse_restart(p, *item);
	}
	return fail(p, "%s: unexpected", name);
}

static const char *
str_of(const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring : NULL;
}

/* Rules across fields, once every field has its canonical type. */
static int
check_whole(struct rp *p, struct bpg_submit_req *r)
{
	static const char *const schemes[] = { "local://", "s3a://", "s3://", "s3n://", "gs://",
	    "hdfs://", "http://", "https://", "file://", "abfs://", "abfss://", "wasbs://" };
	const cJSON *conf = cJSON_GetObjectItemCaseSensitive(r->j, "sparkConf"), *v;
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(r->j, "mode");
	int ok = 0;

	r->suffix = str_of(r->j, "submissionIdSuffix");
	r->app_name = str_of(r->j, "applicationName");
	r->type = str_of(r->j, "type");
	r->image = str_of(r->j, "image");
	r->spark_version = str_of(r->j, "sparkVersion");
	r->main_class = str_of(r->j, "mainClass");
	r->main_file = str_of(r->j, "mainApplicationFile");
	r->cluster_id = str_of(r->j, "clusterId");
	r->queue = str_of(r->j, "queue");
	r->queue_token = str_of(r->j, "queueToken");
	r->spot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->j, "spotInstance"));
	if (r->spark_version == NULL)
		return fail(p, "sparkVersion: required");
	for (const char *c = r->spark_version; *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_') ||
		    c - r->spark_version > 32)
			return fail(p, "sparkVersion: like 3.5 (letters, digits, '.', '-', '_')");
	if (r->main_file == NULL)
		return fail(p, "mainApplicationFile: required");
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		ok |= strncmp(r->main_file, schemes[i], strlen(schemes[i])) == 0;
	if (!ok || strpbrk(r->main_file, " \t\r\n") != NULL)
		return fail(p, "mainApplicationFile: a URI with one of the schemes local, s3a, s3, s3n, "
		    "gs, hdfs, http, https, file, abfs, abfss, wasbs");
	if (r->type != NULL && strcmp(r->type, "Java") != 0 && strcmp(r->type, "Scala") != 0 &&
	    strcmp(r->type, "Python") != 0 && strcmp(r->type, "R") != 0)
		return fail(p, "type: one of Java, Scala, Python, R");
	if (r->type == NULL)
		r->type = r->main_class ? "Java" : "Python";
	if (mode != NULL && !(cJSON_IsString(mode) && strcmp(mode->valuestring, "cluster") == 0))
		return fail(p, "mode: only cluster");
	if (r->suffix != NULL && (!dns_label(r->suffix, 26)))
		return fail(p, "submissionIdSuffix: 1 to 26 lowercase letters, digits and '-', starting "
		    "and ending with a letter or digit (DNS-1123)");
	if (r->app_name != NULL && strlen(r->app_name) > 255)
		return fail(p, "applicationName: at most 255 characters");
	r->max_running_ms = -1;
	r->conf_executor_instances = -1;
	if (conf != NULL) {
		if ((v = cJSON_GetObjectItemCaseSensitive(conf, "bpg.maxRunningMillis")) != NULL &&
		    coerce_int(p, v, "sparkConf.bpg.maxRunningMillis", 1, 31536000000LL,
		    &r->max_running_ms) != 0)
			return -1;
		if ((v = cJSON_GetObjectItemCaseSensitive(conf, "spark.executor.instances")) != NULL) {
			char *end;
			errno = 0;
			r->conf_executor_instances = strtoll(v->valuestring, &end, 10);
			if (end == v->valuestring || *end != '\0' || errno == ERANGE ||
			    r->conf_executor_instances < 0)
				return fail(p, "Invalid value (%.32s) for Spark config: "
				    "(spark.executor.instances)", v->valuestring);
		}
		/* server controlled: users may not inject a zone */
		cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)conf, "bpg.pickedZones");
	}
	return 0;
}

static void
pod_init(struct bpg_pod_req *p)
{
	memset(p, 0, sizeof(*p));
	p->cores = p->core_request_m = p->core_limit_m = p->memory_mb = p->instances = -1;
}

enum bpg_err
bpg_request_parse(const char *body, size_t len, struct bpg_submit_req **out, char *why,
    size_t whylen)
{
	struct rp p = { why, whylen, 0 };
	struct bpg_submit_req *r = calloc(1, sizeof(*r));
	char jwhy[128];
	cJSON *it, *next;
	enum bpg_err err;

	if (r == NULL)
		return BPG_ENOMEM;
	pod_init(&r->driver);
	pod_init(&r->executor);
	if ((err = bpg_json_parse(body, len, &r->j, jwhy, sizeof(jwhy))) != BPG_OK) {
		snprintf(why, whylen, "Invalid JSON request: %s", jwhy);
		goto fail;
	}
	if (!cJSON_IsObject(r->j)) {
		snprintf(why, whylen, "Invalid JSON request: the body must be a JSON object");
		goto fail;
	}
	for (it = r->j->child; it != NULL && !p.failed; it = next) {
		size_t i;
		next = it->next;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].name, it->string) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0])) {
			char name[64];
			bpg_request_label_value(it->string, name);   /* printable echo */
			fail(&p, "%s: unknown field", name);
			break;
		}
		for (cJSON *dup = r->j->child; dup != it; dup = dup->next)
			if (strcmp(dup->string, it->string) == 0)
				fail(&p, "%s: given twice", it->string);
		if (p.failed)
			break;
		if (cJSON_IsNull(it) && fields[i].kind != F_BOOL) {
			cJSON_DeleteItemFromObjectCaseSensitive(r->j, it->string);
			continue;
		}
		(void)parse_field(&p, r->j, &it, fields[i].kind, r);
	}
	if (!p.failed && check_whole(&p, r) == 0) {
		*out = r;
		return BPG_OK;
	}
	err = BPG_EINVAL;
fail:
	bpg_request_free(r);
	return err == BPG_ENOMEM ? BPG_ENOMEM : BPG_EINVAL;
}

void
bpg_request_free(struct bpg_submit_req *r)
{
	if (r == NULL)
		return;
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
check_pod(struct rp *p, const struct bpg_pod_req *pod, const char *role, const struct bpg_queue *q,
    const char *queue_name)
{
	long long cores = pod->cores > 0 ? pod->cores : 1;
	long long mem = pod->memory_mb > 0 ? pod->memory_mb : 1024;

	if (cores < q->min_cores || cores > q->max_cores)
		return fail(p, "%s.cores: %lld is outside queue %s's limits [%lld, %lld]", role, cores,
		    queue_name, q->min_cores, q->max_cores);
	if (mem < q->min_memory_mb || mem > q->max_memory_mb)
		return fail(p, "%s.memory: %lld MiB is outside queue %s's limits [%lld, %lld] MiB", role,
		    mem, queue_name, q->min_memory_mb, q->max_memory_mb);
	if (pod->core_limit_m > 0 && pod->core_limit_m > q->max_cores * 1000)
		return fail(p, "%s.coreLimit: above queue %s's %lld cores", role, queue_name, q->max_cores);
	return 0;
}

enum bpg_err
bpg_request_check(const struct bpg_submit_req *r, const struct bpg_queue *q,
    const char *queue_name, char *why, size_t whylen)
{
	struct rp p = { why, whylen, 0 };
	long long inst = r->executor.instances >= 0 ? r->executor.instances : 1;

	if (check_pod(&p, &r->driver, "driver", q, queue_name) != 0 ||
	    check_pod(&p, &r->executor, "executor", q, queue_name) != 0)
		return BPG_EINVAL;
	if (inst > q->max_executor_instances) {
		snprintf(why, whylen, "Executor instances in Spark config (%lld) exceeds limit (%lld)",
		    inst, q->max_executor_instances);
		return BPG_EINVAL;
	}
	if (r->conf_executor_instances > q->max_executor_instances) {
		snprintf(why, whylen, "Executor instances in Spark config (%lld) exceeds limit (%lld)",
		    r->conf_executor_instances, q->max_executor_instances);
		return BPG_EINVAL;
	}
	if (r->max_running_ms > q->max_running_millis) {
		snprintf(why, whylen, "sparkConf.bpg.maxRunningMillis: %lld is above queue %s's limit "
		    "%lld", r->max_running_ms, queue_name, q->max_running_millis);
		return BPG_EINVAL;
	}
	if (!q->allow_privileged && (r->driver.privileged || r->executor.privileged)) {
		snprintf(why, whylen, "%s.securityContext: queue %s does not allow privileged pods, "
		    "privilege escalation, root or capabilities", r->driver.privileged ? "driver" :
		    "executor", queue_name);
		return BPG_EFORBIDDEN;
	}
	if (!q->allow_host_path && r->host_path) {
		snprintf(why, whylen, "volumes: queue %s does not allow hostPath volumes", queue_name);
		return BPG_EFORBIDDEN;
	}
	if (!q->allow_service_account && (r->driver.service_account || r->executor.service_account)) {
		snprintf(why, whylen, "%s.serviceAccount: queue %s does not allow choosing a service "
		    "account", r->driver.service_account ? "driver" : "executor", queue_name);
		return BPG_EFORBIDDEN;
	}
	if (!q->allow_custom_image && (r->image || r->driver.image || r->executor.image)) {
		snprintf(why, whylen, "%s: queue %s does not allow custom images", r->image ? "image" :
		    r->driver.image ? "driver.image" : "executor.image", queue_name);
		return BPG_EFORBIDDEN;
	}
	return BPG_OK;
}
