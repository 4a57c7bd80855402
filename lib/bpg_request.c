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
#include "bpg_request.h"
#include "bpg_yamlread.h"

/* The parse state: the first error wins. */
struct rp {
	char *why;
	size_t whylen;
	int failed;
	unsigned flags;             /* BPG_REQ_STRICT, BPG_REQ_JAVA */
	cJSON *ignored;             /* unknown nested fields dropped (lenient), or NULL */
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

/* path.key, or path[i] when key is NULL, into dst: cut if long (it only goes into messages). */
static void
subpath(char *dst, size_t n, const char *path, const char *key, size_t i)
{
	int rc = key ? snprintf(dst, n, "%s.%s", path, key) : snprintf(dst, n, "%s[%zu]", path, i);

	if (rc < 0)
		dst[0] = '\0';
}

/*
 * Replaces item (a member or an array item of parent) by new, which takes over the key;
 * new is freed on failure. Returns 0 or -1.
 */
static int
replace_item(cJSON *parent, cJSON *item, cJSON *new)
{
	if (new == NULL)
		return -1;
	if (item->string != NULL) {
		if ((new->string = strdup(item->string)) == NULL) {
			cJSON_Delete(new);
			return -1;
		}
		new->type &= ~cJSON_StringIsConst;
	}
	if (!cJSON_ReplaceItemViaPointer(parent, item, new)) {
		cJSON_Delete(new);
		return -1;
	}
	return 0;
}

/*
 * The text of a JSON number as Jackson would keep it: whole numbers in full ("1000000000000000",
 * not "1e+15"), others in the fewest digits that read back as the same double ("0.1",
 * "0.30000000000000004"). Returns -1 beyond BPG_REQ_EXACT_INT, where the double no longer
 * says which number was sent.
 */
static int
number_text(double v, char *out, size_t n)
{
	if (!isfinite(v) || fabs(v) >= BPG_REQ_EXACT_INT)
		return -1;
	if (v == floor(v)) {
		snprintf(out, n, "%.0f", v);
		return 0;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return 0;
}

/* Coerces a scalar to a string (Jackson's way); the new item through *item. */
static int
coerce_str(struct rp *p, cJSON *parent, cJSON **item, const char *path)
{
	char num[64];
	cJSON *s;

	if (cJSON_IsString(*item)) {
		if (strlen((*item)->valuestring) > BPG_REQ_MAX_STRING)
			return fail(p, "%s: longer than %d characters", path, BPG_REQ_MAX_STRING);
		return 0;
	}
	/* a YAML number keeps its text as written (3.10, not 3.1): see bpg_yamlread.h */
	if (cJSON_IsNumber(*item) && (*item)->valuestring != NULL) {
		snprintf(num, sizeof(num), "%s", (*item)->valuestring);
		if (strlen((*item)->valuestring) >= sizeof(num))
			return fail(p, "%s: a number this long cannot be kept exactly: send it as "
			    "a string", path);
	} else if (cJSON_IsNumber(*item)) {
		if (number_text((*item)->valuedouble, num, sizeof(num)) != 0)
			return fail(p, "%s: a number this large cannot be kept exactly: send it as "
			    "a string", path);
	} else if (cJSON_IsBool(*item)) {
		snprintf(num, sizeof(num), "%s", cJSON_IsTrue(*item) ? "true" : "false");
	} else {
		return fail(p, "%s: must be a string", path);
	}
	if ((s = cJSON_CreateString(num)) == NULL || replace_item(parent, *item, s) != 0)
		return fail(p, "out of memory");
	*item = s;
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

/*
 * Nested objects the CR carries verbatim are cut to a shape: the members the operator's
 * CRD declares (and that are safe to take from a user), each coerced to its type. Unknown
 * members and nulls are dropped, as the Java gateway ignored them; so a user can never
 * put a field into the CR that a real API server would prune or that nobody checked.
 */
enum shape_kind { K_STR, K_INT, K_BOOL, K_INTSTR, K_STRARR, K_OBJ, K_OBJARR };

struct shape {
	const char *name;
	enum shape_kind kind;
	const struct shape *sub;    /* K_OBJ, K_OBJARR: the members, ended by a NULL name */
	int required;
};

#define SHAPE_END { NULL, K_STR, NULL, 0 }

static const struct shape sh_key_ref[] = { { "key", K_STR, NULL, 1 }, { "name", K_STR, NULL, 0 },
	{ "optional", K_BOOL, NULL, 0 }, SHAPE_END };
static const struct shape sh_field_ref[] = { { "apiVersion", K_STR, NULL, 0 },
	{ "fieldPath", K_STR, NULL, 1 }, SHAPE_END };
static const struct shape sh_resource_ref[] = { { "containerName", K_STR, NULL, 0 },
	{ "divisor", K_INTSTR, NULL, 0 }, { "resource", K_STR, NULL, 1 }, SHAPE_END };
static const struct shape sh_value_from[] = { { "configMapKeyRef", K_OBJ, sh_key_ref, 0 },
	{ "fieldRef", K_OBJ, sh_field_ref, 0 }, { "resourceFieldRef", K_OBJ, sh_resource_ref, 0 },
	{ "secretKeyRef", K_OBJ, sh_key_ref, 0 }, SHAPE_END };
static const struct shape sh_env[] = { { "name", K_STR, NULL, 1 }, { "value", K_STR, NULL, 0 },
	{ "valueFrom", K_OBJ, sh_value_from, 0 }, SHAPE_END };
static const struct shape sh_key_path[] = { { "key", K_STR, NULL, 1 }, { "path", K_STR, NULL, 1 },
	{ "mode", K_INT, NULL, 0 }, SHAPE_END };
static const struct shape sh_host_path[] = { { "path", K_STR, NULL, 1 }, { "type", K_STR, NULL, 0 },
	SHAPE_END };
static const struct shape sh_config_map[] = { { "name", K_STR, NULL, 1 },
	{ "items", K_OBJARR, sh_key_path, 0 }, { "defaultMode", K_INT, NULL, 0 },
	{ "optional", K_BOOL, NULL, 0 }, SHAPE_END };
static const struct shape sh_secret[] = { { "secretName", K_STR, NULL, 1 },
	{ "items", K_OBJARR, sh_key_path, 0 }, { "defaultMode", K_INT, NULL, 0 },
	{ "optional", K_BOOL, NULL, 0 }, SHAPE_END };
static const struct shape sh_empty_dir[] = { { "medium", K_STR, NULL, 0 },
	{ "sizeLimit", K_INTSTR, NULL, 0 }, SHAPE_END };
static const struct shape sh_pvc[] = { { "claimName", K_STR, NULL, 1 },
	{ "readOnly", K_BOOL, NULL, 0 }, SHAPE_END };
/* the first one is hostPath: parse_volumes counts on it */
static const struct shape sh_volume[] = { { "hostPath", K_OBJ, sh_host_path, 0 },
	{ "configMap", K_OBJ, sh_config_map, 0 }, { "secret", K_OBJ, sh_secret, 0 },
	{ "emptyDir", K_OBJ, sh_empty_dir, 0 }, { "persistentVolumeClaim", K_OBJ, sh_pvc, 0 },
	{ "name", K_STR, NULL, 1 }, SHAPE_END };
static const struct shape sh_mount[] = { { "name", K_STR, NULL, 1 },
	{ "mountPath", K_STR, NULL, 1 }, { "readOnly", K_BOOL, NULL, 0 },
	{ "subPath", K_STR, NULL, 0 }, { "subPathExpr", K_STR, NULL, 0 }, SHAPE_END };
static const struct shape sh_caps[] = { { "add", K_STRARR, NULL, 0 }, { "drop", K_STRARR, NULL, 0 },
	SHAPE_END };
static const struct shape sh_security[] = { { "privileged", K_BOOL, NULL, 0 },
	{ "allowPrivilegeEscalation", K_BOOL, NULL, 0 }, { "runAsUser", K_INT, NULL, 0 },
	{ "runAsGroup", K_INT, NULL, 0 }, { "runAsNonRoot", K_BOOL, NULL, 0 },
	{ "readOnlyRootFilesystem", K_BOOL, NULL, 0 }, { "capabilities", K_OBJ, sh_caps, 0 },
	SHAPE_END };
static const struct shape sh_selector_req[] = { { "key", K_STR, NULL, 1 },
	{ "operator", K_STR, NULL, 1 }, { "values", K_STRARR, NULL, 0 }, SHAPE_END };
static const struct shape sh_term[] = { { "matchExpressions", K_OBJARR, sh_selector_req, 0 },
	{ "matchFields", K_OBJARR, sh_selector_req, 0 }, SHAPE_END };
static const struct shape sh_required[] = { { "nodeSelectorTerms", K_OBJARR, sh_term, 1 },
	SHAPE_END };
static const struct shape sh_preferred[] = { { "weight", K_INT, NULL, 1 },
	{ "preference", K_OBJ, sh_term, 1 }, SHAPE_END };
static const struct shape sh_node_affinity[] = {
	{ "requiredDuringSchedulingIgnoredDuringExecution", K_OBJ, sh_required, 0 },
	{ "preferredDuringSchedulingIgnoredDuringExecution", K_OBJARR, sh_preferred, 0 }, SHAPE_END };
static const struct shape sh_affinity[] = { { "nodeAffinity", K_OBJ, sh_node_affinity, 0 },
	SHAPE_END };
static const struct shape sh_restart[] = { { "type", K_STR, NULL, 1 },
	{ "onSubmissionFailureRetries", K_INT, NULL, 0 }, { "onFailureRetries", K_INT, NULL, 0 },
	{ "onSubmissionFailureRetryInterval", K_INT, NULL, 0 },
	{ "onFailureRetryInterval", K_INT, NULL, 0 }, SHAPE_END };
static const struct shape sh_deps[] = { { "jars", K_STRARR, NULL, 0 }, { "files", K_STRARR, NULL, 0 },
	{ "pyFiles", K_STRARR, NULL, 0 }, { "packages", K_STRARR, NULL, 0 },
	{ "excludePackages", K_STRARR, NULL, 0 }, { "repositories", K_STRARR, NULL, 0 },
	{ "archives", K_STRARR, NULL, 0 }, SHAPE_END };

static int
parse_strlist(struct rp *p, cJSON *arr, const char *path, size_t max)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return fail(p, "%s: must be an array of strings", path);
	for (cJSON *it = arr->child, *next; it != NULL; it = next, i++) {
		next = it->next;
		if (i >= max)
			return fail(p, "%s: more than %zu items", path, max);
		subpath(sub, sizeof(sub), path, NULL, i);
		if (coerce_str(p, arr, &it, sub) != 0)
			return -1;
	}
	return 0;
}

/* A boolean, or Jackson's "true"/"false" strings. */
static int
coerce_bool(struct rp *p, cJSON *parent, cJSON *item, const char *path)
{
	cJSON *b;

	if (cJSON_IsBool(item))
		return 0;
	if (!cJSON_IsString(item) || (strcmp(item->valuestring, "true") != 0 &&
	    strcmp(item->valuestring, "false") != 0))
		return fail(p, "%s: must be true or false", path);
	b = cJSON_CreateBool(strcmp(item->valuestring, "true") == 0);
	if (replace_item(parent, item, b) != 0)
		return fail(p, "out of memory");
	return 0;
}

/* A Kubernetes quantity kept as given: a whole number or a short string like "1Gi". */
static int
check_int_or_string(struct rp *p, const cJSON *item, const char *path)
{
	if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble < 9e15 &&
	    item->valuedouble == floor(item->valuedouble))
		return 0;
	if (cJSON_IsString(item) && item->valuestring[0] != '\0' && strlen(item->valuestring) <= 64)
		return 0;
	return fail(p, "%s: must be a quantity (like 1Gi or 500m)", path);
}

static int shape_obj(struct rp *p, cJSON *obj, const struct shape *members, const char *path);

/*
 * A member of a nested object we model that the model does not have (a typo like
 * driver.memroy): refused with BPG_REQ_STRICT, else dropped, as the Java gateway ignored it,
 * and its path listed (at most BPG_REQ_MAX_IGNORED) for the caller to warn about.
 */
static int
unknown_nested(struct rp *p, cJSON *obj, cJSON *it, const char *path)
{
	char key[65], full[BPG_REQ_PATH_MAX];
	size_t i;

	for (i = 0; it->string[i] != '\0' && i < sizeof(key) - 1; i++) {
		unsigned char c = (unsigned char)it->string[i];
		key[i] = c < 0x20 || c > 0x7e || c == '"' || c == '\\' ? '?' : (char)c;
	}
	key[i] = '\0';
	subpath(full, sizeof(full), path, key, 0);
	if (p->flags & BPG_REQ_STRICT)
		return fail(p, "%s: unknown field", full);
	if (p->ignored == NULL && (p->ignored = cJSON_CreateArray()) == NULL)
		return fail(p, "out of memory");
	if (cJSON_GetArraySize(p->ignored) < BPG_REQ_MAX_IGNORED &&
	    !cJSON_AddItemToArray(p->ignored, cJSON_CreateString(full)))
		return fail(p, "out of memory");
	cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
	return 0;
}

/* One member (or array item) of a shaped object. */
static int
shape_value(struct rp *p, cJSON *parent, cJSON *it, const struct shape *s, const char *path)
{
	char sub[BPG_REQ_PATH_MAX];
	long long v;
	size_t i = 0;

	switch (s->kind) {
	case K_STR:
		return coerce_str(p, parent, &it, path);
	case K_INT:
		return coerce_int(p, it, path, 0, INT32_MAX, &v) != 0 ? -1 :
		    set_int(p, parent, it->string, v);
	case K_BOOL:
		return coerce_bool(p, parent, it, path);
	case K_INTSTR:
		return check_int_or_string(p, it, path);
	case K_STRARR:
		return parse_strlist(p, it, path, BPG_REQ_MAX_ITEMS);
	case K_OBJ:
		return shape_obj(p, it, s->sub, path);
	case K_OBJARR:
		if (!cJSON_IsArray(it))
			return fail(p, "%s: must be an array of objects", path);
		for (cJSON *e = it->child; e != NULL; e = e->next, i++) {
			if (i >= BPG_REQ_MAX_ITEMS)
				return fail(p, "%s: more than %d items", path, BPG_REQ_MAX_ITEMS);
			subpath(sub, sizeof(sub), path, NULL, i);
			if (shape_obj(p, e, s->sub, sub) != 0)
				return -1;
		}
		return 0;
	}
	return fail(p, "%s: unexpected", path);
}

/* Rejects a key given twice in one object (cJSON would keep both). */
static int
check_dup(struct rp *p, const cJSON *obj, const cJSON *it, const char *path)
{
	for (const cJSON *d = obj->child; d != it; d = d->next)
		if (strcmp(d->string, it->string) == 0)
			return fail(p, "%s: '%.64s' given twice", path, it->string);
	return 0;
}

static int
shape_obj(struct rp *p, cJSON *obj, const struct shape *members, const char *path)
{
	char sub[BPG_REQ_PATH_MAX];
	const struct shape *s;
	cJSON *it, *next;

	if (!cJSON_IsObject(obj))
		return fail(p, "%s: must be an object", path);
	for (it = obj->child; it != NULL; it = next) {
		next = it->next;
		if (check_dup(p, obj, it, path) != 0)
			return -1;
		for (s = members; s->name != NULL; s++)
			if (strcmp(s->name, it->string) == 0)
				break;
		if (s->name == NULL) {
			if (unknown_nested(p, obj, it, path) != 0)
				return -1;
			continue;
		}
		if (cJSON_IsNull(it)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
			continue;
		}
		subpath(sub, sizeof(sub), path, s->name, 0);
		if (shape_value(p, obj, it, s, sub) != 0)
			return -1;
	}
	for (s = members; s->name != NULL; s++)
		if (s->required && cJSON_GetObjectItemCaseSensitive(obj, s->name) == NULL)
			return fail(p, "%s.%s: required", path, s->name);
	return 0;
}

/* A map of string to string (labels, annotations, sparkConf): values coerced, keys checked. */
static int
parse_strmap(struct rp *p, cJSON *obj, const char *path, size_t max, int label_rules)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t n = 0;

	if (!cJSON_IsObject(obj))
		return fail(p, "%s: must be an object of strings", path);
	for (cJSON *it = obj->child, *next; it != NULL; it = next) {
		cJSON *cur = it;
		next = it->next;
		if (++n > max)
			return fail(p, "%s: more than %zu entries", path, max);
		if (it->string == NULL || it->string[0] == '\0' || strlen(it->string) > BPG_REQ_MAX_KEY)
			return fail(p, "%s: keys must be 1 to %d characters", path, BPG_REQ_MAX_KEY);
		if (check_dup(p, obj, it, path) != 0)
			return -1;
		/* a Spark property's name never holds one: a line break could start another */
		for (const char *c = it->string; !label_rules && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return fail(p, "%s: keys may not contain control characters", path);
		subpath(sub, sizeof(sub), path, it->string, 0);
		if (cJSON_IsNull(it))
			return fail(p, "%s: must be a string", sub);
		if (coerce_str(p, obj, &cur, sub) != 0)
			return -1;
		if (label_rules && !bpg_k8sname_label_key(cur->string))
			return fail(p, "%s: not a valid Kubernetes label or annotation key", sub);
		/* dag_name and task_name are normalized into label values, as the Java gateway did */
		if (label_rules == 1 && !bpg_k8sname_label_value(cur->valuestring) &&
		    strcmp(cur->string, "dag_name") != 0 && strcmp(cur->string, "task_name") != 0)
			return fail(p, "%s: a label value is at most 63 characters of letters, digits, '-', "
			    "'_' and '.', starting and ending with a letter or digit", sub);
	}
	return 0;
}

/* env: [{name, value | valueFrom}] */
static int
parse_env(struct rp *p, cJSON *env, const char *path)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t i = 0;

	if (!cJSON_IsArray(env))
		return fail(p, "%s: must be an array", path);
	for (cJSON *e = env->child; e != NULL; e = e->next, i++) {
		const cJSON *name, *vf;
		if (i >= BPG_REQ_MAX_ENV)
			return fail(p, "%s: more than %d variables", path, BPG_REQ_MAX_ENV);
		subpath(sub, sizeof(sub), path, NULL, i);
		if (shape_obj(p, e, sh_env, sub) != 0)
			return -1;
		name = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (name->valuestring[0] == '\0' || strlen(name->valuestring) > BPG_REQ_MAX_KEY)
			return fail(p, "%s.name: required, a non-empty string", sub);
		for (const char *c = name->valuestring; *c; c++)
			if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.') ||
			    (c == name->valuestring && isdigit((unsigned char)*c)))
				return fail(p, "%s.name: letters, digits, '_', '-' and '.', not starting with a "
				    "digit", sub);
		for (const cJSON *d = env->child; d != e; d = d->next)
			if (strcmp(cJSON_GetObjectItemCaseSensitive(d, "name")->valuestring,
			    name->valuestring) == 0)
				return fail(p, "%s.name: '%s' given twice", sub, name->valuestring);
		vf = cJSON_GetObjectItemCaseSensitive(e, "valueFrom");
		if (vf != NULL && cJSON_GetArraySize(vf) != 1)
			return fail(p, "%s.valueFrom: exactly one of fieldRef, secretKeyRef, configMapKeyRef, "
			    "resourceFieldRef", sub);
		if (vf != NULL && cJSON_GetObjectItemCaseSensitive(e, "value") != NULL)
			return fail(p, "%s: value and valueFrom are exclusive", sub);
	}
	return 0;
}

/* volumes: [{name, hostPath|configMap|secret|emptyDir|persistentVolumeClaim}] */
static int
parse_volumes(struct rp *p, cJSON *vols, struct bpg_submit_req *r)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t i = 0;

	if (!cJSON_IsArray(vols))
		return fail(p, "volumes: must be an array");
	for (cJSON *v = vols->child; v != NULL; v = v->next, i++) {
		const cJSON *name, *hp;
		int nk = 0;
		if (i >= BPG_REQ_MAX_VOLUMES)
			return fail(p, "volumes: more than %d", BPG_REQ_MAX_VOLUMES);
		snprintf(sub, sizeof(sub), "volumes[%zu]", i);
		if (cJSON_IsObject(v) && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "name")))
			return fail(p, "%s.name: required, a DNS-1123 label (lowercase letters, digits, '-')", sub);
		if (shape_obj(p, v, sh_volume, sub) != 0)
			return -1;
		name = cJSON_GetObjectItemCaseSensitive(v, "name");
		if (!bpg_k8sname_label(name->valuestring, 63))
			return fail(p, "%s.name: required, a DNS-1123 label (lowercase letters, digits, '-')", sub);
		for (const cJSON *w = vols->child; w != v; w = w->next)
			if (strcmp(cJSON_GetObjectItemCaseSensitive(w, "name")->valuestring, name->valuestring) == 0)
				return fail(p, "%s.name: '%s' given twice", sub, name->valuestring);
		for (const struct shape *k = sh_volume; k->kind == K_OBJ; k++)
			nk += cJSON_GetObjectItemCaseSensitive(v, k->name) != NULL;
		if (nk != 1)
			return fail(p, "%s: exactly one of hostPath, configMap, secret, emptyDir, "
			    "persistentVolumeClaim", sub);
		if ((hp = cJSON_GetObjectItemCaseSensitive(v, "hostPath")) != NULL) {
			if (cJSON_GetObjectItemCaseSensitive(hp, "path")->valuestring[0] != '/')
				return fail(p, "%s.hostPath.path: an absolute path", sub);
			r->host_path = 1;
		}
	}
	return 0;
}

static int
parse_mounts(struct rp *p, cJSON *mounts, const char *path)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t i = 0;

	if (!cJSON_IsArray(mounts))
		return fail(p, "%s: must be an array", path);
	for (cJSON *m = mounts->child; m != NULL; m = m->next, i++) {
		const cJSON *mp;
		subpath(sub, sizeof(sub), path, NULL, i);
		if (i >= BPG_REQ_MAX_VOLUMES)
			return fail(p, "%s: more than %d", path, BPG_REQ_MAX_VOLUMES);
		if (!cJSON_IsObject(m) || shape_obj(p, m, sh_mount, sub) != 0)
			return fail(p, "%s: name and an absolute mountPath are required", sub);
		mp = cJSON_GetObjectItemCaseSensitive(m, "mountPath");
		if (mp->valuestring[0] != '/')
			return fail(p, "%s: name and an absolute mountPath are required", sub);
		for (const cJSON *d = mounts->child; d != m; d = d->next)
			if (strcmp(cJSON_GetObjectItemCaseSensitive(d, "mountPath")->valuestring,
			    mp->valuestring) == 0)
				return fail(p, "%s.mountPath: '%s' given twice", sub, mp->valuestring);
	}
	return 0;
}

/* True when a securityContext asks for more than an ordinary pod has. */
static int
is_privileged(const cJSON *sc)
{
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(sc, "runAsUser");
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(sc, "capabilities");

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "privileged")) ||
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "allowPrivilegeEscalation")) ||
	    (cJSON_IsNumber(uid) && uid->valuedouble == 0) ||
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(caps, "add")) > 0;
}

/* One pod field that is a string and must be a size or a CPU quantity. */
static int
pod_quantity(struct rp *p, const cJSON *pod, const char *role, const char *key, int cpu,
    long long *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(pod, key);
	long long dummy;

	if (it == NULL)
		return 0;
	if (cpu && bpg_request_millicores(it->valuestring, out ? out : &dummy) != BPG_OK)
		return fail(p, "%s.%s: '%.32s' is not a CPU quantity (like 500m or 1.5)", role, key,
		    it->valuestring);
	if (!cpu && bpg_request_memory_mb(it->valuestring, out ? out : &dummy) != BPG_OK)
		return fail(p, "%s.%s: '%.32s' is not a memory size (like 512m, 2g or 1.5g; no unit "
		    "means MiB)", role, key, it->valuestring);
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
	int driver = strcmp(role, "driver") == 0;
	char path[BPG_REQ_PATH_MAX];
	cJSON *it, *next;
	long long v;

	(void)r;
	if (!cJSON_IsObject(pod))
		return fail(p, "%s: must be an object", role);
	/* unknown nested fields: see unknown_nested(); nulls mean not given */
	for (it = pod->child; it != NULL; it = next) {
		const char *const *k;
		next = it->next;
		if (check_dup(p, pod, it, role) != 0)
			return -1;
		for (k = known; *k != NULL; k++)
			if (strcmp(*k, it->string) == 0)
				break;
		/* fields the Java gateway knew and dropped (dnsConfig) or we do not pass on */
		if (strcmp(it->string, "dnsConfig") == 0 || (driver &&
		    strcmp(it->string, "kubernetesMaster") == 0)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(pod, it));
			continue;
		}
		if (*k == NULL || (driver && (strcmp(it->string, "instances") == 0 ||
		    strcmp(it->string, "deleteOnTermination") == 0)) ||
		    (!driver && strcmp(it->string, "podName") == 0)) {
			if (unknown_nested(p, pod, it, role) != 0)
				return -1;
		} else if (cJSON_IsNull(it)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(pod, it));
		}
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		cJSON *s = cJSON_GetObjectItemCaseSensitive(pod, strs[i]);
		subpath(path, sizeof(path), role, strs[i], 0);
		if (s != NULL && coerce_str(p, pod, &s, path) != 0)
			return -1;
	}
	out->j = pod;
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "cores")) != NULL) {
		snprintf(path, sizeof(path), "%s.cores", role);
		if (coerce_int(p, it, path, 1, BPG_REQ_MAX_CORES, &out->cores) != 0 ||
		    set_int(p, pod, "cores", out->cores) != 0)
			return -1;
	}
	/* the CRD's minimum is 1: a 0 would be refused by the API server */
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "instances")) != NULL) {
		snprintf(path, sizeof(path), "%s.instances", role);
		if (coerce_int(p, it, path, 1, BPG_REQ_MAX_INSTANCES, &out->instances) != 0 ||
		    set_int(p, pod, "instances", out->instances) != 0)
			return -1;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "terminationGracePeriodSeconds")) != NULL) {
		snprintf(path, sizeof(path), "%s.terminationGracePeriodSeconds", role);
		if (coerce_int(p, it, path, 0, 86400, &v) != 0 ||
		    set_int(p, pod, "terminationGracePeriodSeconds", v) != 0)
			return -1;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "deleteOnTermination")) != NULL) {
		snprintf(path, sizeof(path), "%s.deleteOnTermination", role);
		if (coerce_bool(p, pod, it, path) != 0)
			return -1;
	}
	if (pod_quantity(p, pod, role, "memory", 0, &out->memory_mb) != 0 ||
	    pod_quantity(p, pod, role, "memoryOverhead", 0, &out->memory_overhead_mb) != 0 ||
	    pod_quantity(p, pod, role, "coreRequest", 1, &out->core_request_m) != 0 ||
	    pod_quantity(p, pod, role, "coreLimit", 1, &out->core_limit_m) != 0)
		return -1;
	if (out->core_request_m > 0 && out->core_limit_m > 0 && out->core_request_m > out->core_limit_m)
		return fail(p, "%s.coreRequest: above %s.coreLimit", role, role);
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
	snprintf(path, sizeof(path), "%s.securityContext", role);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "securityContext")) != NULL) {
		if (shape_obj(p, it, sh_security, path) != 0)
			return -1;
		out->privileged = is_privileged(it);
	}
	snprintf(path, sizeof(path), "%s.affinity", role);
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "affinity")) != NULL &&
	    shape_obj(p, it, sh_affinity, path) != 0)
		return -1;
	/* an empty image or service account means none, as in the Java gateway */
	for (size_t i = 0; i < 2; i++) {
		const char *k = i == 0 ? "serviceAccount" : "image";
		it = cJSON_GetObjectItemCaseSensitive(pod, k);
		if (it != NULL && it->valuestring[0] == '\0')
			cJSON_Delete(cJSON_DetachItemViaPointer(pod, it));
	}
	it = cJSON_GetObjectItemCaseSensitive(pod, "serviceAccount");
	out->service_account = it ? it->valuestring : NULL;
	if (out->service_account != NULL && !bpg_k8sname_subdomain(out->service_account))
		return fail(p, "%s.serviceAccount: a DNS-1123 subdomain", role);
	it = cJSON_GetObjectItemCaseSensitive(pod, "image");
	out->image = it ? it->valuestring : NULL;
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "podName")) != NULL &&
	    !bpg_k8sname_label(it->valuestring, 63))
		return fail(p, "%s.podName: a DNS-1123 label", role);
	return 0;
}

static int
parse_restart(struct rp *p, cJSON *rpol)
{
	const cJSON *t;

	if (shape_obj(p, rpol, sh_restart, "restartPolicy") != 0)
		return -1;
	t = cJSON_GetObjectItemCaseSensitive(rpol, "type");
	if (strcmp(t->valuestring, "Never") != 0 && strcmp(t->valuestring, "OnFailure") != 0 &&
	    strcmp(t->valuestring, "Always") != 0)
		return fail(p, "restartPolicy.type: one of Never, OnFailure, Always");
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
			if (v >= 0 && replace_item(root, *item, cJSON_CreateBool(v)) != 0)
				return fail(p, "out of memory");
			if (v >= 0)
				return 0;
		}
		return fail(p, "%s: must be true or false", name);
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
		return shape_obj(p, *item, sh_deps, "deps");
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
	/* the Java gateway ignored mode (always cluster): so does /skatev2 */
	if (mode != NULL && (p->flags & BPG_REQ_JAVA))
		cJSON_DeleteItemFromObjectCaseSensitive(r->j, "mode");
	else if (mode != NULL && !(cJSON_IsString(mode) && strcmp(mode->valuestring, "cluster") == 0))
		return fail(p, "mode: only cluster");
	if (r->suffix != NULL && (!bpg_k8sname_label(r->suffix, BPG_REQ_SUFFIX_MAX)))
		return fail(p, "submissionIdSuffix: 1 to %d lowercase letters, digits and '-', starting "
		    "and ending with a letter or digit (DNS-1123)", BPG_REQ_SUFFIX_MAX);
	if ((v = cJSON_GetObjectItemCaseSensitive(r->j, "pythonVersion")) != NULL &&
	    strcmp(v->valuestring, "2") != 0 && strcmp(v->valuestring, "3") != 0)
		return fail(p, "pythonVersion: \"2\" or \"3\"");
	if ((v = cJSON_GetObjectItemCaseSensitive(r->j, "imagePullPolicy")) != NULL &&
	    strcmp(v->valuestring, "Always") != 0 && strcmp(v->valuestring, "IfNotPresent") != 0 &&
	    strcmp(v->valuestring, "Never") != 0)
		return fail(p, "imagePullPolicy: one of Always, IfNotPresent, Never");
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

/* Reads the body by flags into *out: "Invalid JSON/YAML request: ..." in why on failure. */
static enum bpg_err
read_tree(const char *body, size_t len, unsigned flags, cJSON **out, char *why, size_t whylen)
{
	const char *lang = (flags & BPG_REQ_YAML) ? "YAML" : "JSON";
	char rwhy[256];
	enum bpg_err err;

	if (flags & BPG_REQ_YAML)
		err = bpg_yamlread_parse(body, len, out, rwhy, sizeof(rwhy));
	else
		err = bpg_json_parse_flags(body, len, BPG_JSON_NO_NUL, out, rwhy, sizeof(rwhy));
	if (err == BPG_ENOMEM)
		return err;
	if (err != BPG_OK) {
		snprintf(why, whylen, "Invalid %s request: %s", lang, rwhy);
		return BPG_EINVAL;
	}
	if (!cJSON_IsObject(*out)) {
		snprintf(why, whylen, "Invalid %s request: the body must be a %s", lang,
		    (flags & BPG_REQ_YAML) ? "YAML mapping" : "JSON object");
		cJSON_Delete(*out);
		*out = NULL;
		return BPG_EINVAL;
	}
	return BPG_OK;
}

/* The top-level fields of r->j, each by its kind; then the rules across fields. */
static void
parse_top(struct rp *p, struct bpg_submit_req *r)
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
			fail(p, "%s: unknown field", name);
			break;
		}
		for (cJSON *dup = r->j->child; dup != it; dup = dup->next)
			if (strcmp(dup->string, it->string) == 0)
				fail(p, "%s: given twice", it->string);
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
    struct bpg_submit_req **out, char *why, size_t whylen)
{
	struct rp p = { why, whylen, 0, flags, NULL };
	struct bpg_submit_req *r = calloc(1, sizeof(*r));
	enum bpg_err err;

	if (r == NULL)
		return BPG_ENOMEM;
	pod_init(&r->driver);
	pod_init(&r->executor);
	if ((err = read_tree(body, len, flags, &r->j, why, whylen)) != BPG_OK)
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
bpg_request_parse(const char *body, size_t len, struct bpg_submit_req **out, char *why,
    size_t whylen)
{
	return bpg_request_parse_body(body, len, 0, out, why, whylen);
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
    const char *queue_name, int admin, char *why, size_t whylen)
{
	struct rp p = { why, whylen, 0, 0, NULL };
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
	/* the same rules said as Spark properties, and what only Spark properties can say */
	return bpg_guard_request(r->j, q, queue_name, admin, why, whylen);
}

enum bpg_err
bpg_request_check_cluster(const struct bpg_submit_req *r, const char *cluster_id, char *why,
    size_t whylen)
{
	size_t total = strlen(cluster_id) + 1 + BPG_REQ_ID_HEX;

	if (r->suffix != NULL)
		total += 1 + strlen(r->suffix);
	if (total > BPG_REQ_ID_MAX) {
		snprintf(why, whylen, "submissionIdSuffix: with cluster %s the submission id would be %zu "
		    "characters; at most %d are allowed, so the suffix may have %d", cluster_id, total,
		    BPG_REQ_ID_MAX, (int)(BPG_REQ_ID_MAX - strlen(cluster_id) - 2 - BPG_REQ_ID_HEX));
		return BPG_EINVAL;
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
