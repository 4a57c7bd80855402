/* bpg_reqshape: a submit request's members coerced to their types and cut to their shapes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_k8sname.h"
#include "bpg_reqshape.h"
#include "bpg_request.h"

int
bpg_reqshape_fail(struct bpg_reqshape *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		bpg_why_vset(p->why, BPG_EINVAL, fmt, ap);
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

/* Replaces item by new (bpg_reqshape.h). */
int
bpg_reqshape_replace_item(cJSON *parent, cJSON *item, cJSON *new)
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
int
bpg_reqshape_coerce_str(struct bpg_reqshape *p, cJSON *parent, cJSON **item, const char *path)
{
	char num[64];
	cJSON *s;

	if (cJSON_IsString(*item)) {
		if (strlen((*item)->valuestring) > BPG_REQ_MAX_STRING)
			return bpg_reqshape_fail(p, "%s: longer than %d characters", path, BPG_REQ_MAX_STRING);
		return 0;
	}
	/* a YAML number keeps its text as written (3.10, not 3.1): see bpg_yamlread.h */
	if (cJSON_IsNumber(*item) && (*item)->valuestring != NULL) {
		snprintf(num, sizeof(num), "%s", (*item)->valuestring);
		if (strlen((*item)->valuestring) >= sizeof(num))
			return bpg_reqshape_fail(p, "%s: a number this long cannot be kept exactly: send it as "
			    "a string", path);
	} else if (cJSON_IsNumber(*item)) {
		if (number_text((*item)->valuedouble, num, sizeof(num)) != 0)
			return bpg_reqshape_fail(p, "%s: a number this large cannot be kept exactly: send it as "
			    "a string", path);
	} else if (cJSON_IsBool(*item)) {
		snprintf(num, sizeof(num), "%s", cJSON_IsTrue(*item) ? "true" : "false");
	} else {
		return bpg_reqshape_fail(p, "%s: must be a string", path);
	}
	if ((s = cJSON_CreateString(num)) == NULL || bpg_reqshape_replace_item(parent, *item, s) != 0)
		return bpg_reqshape_fail(p, "out of memory");
	*item = s;
	return 0;
}

/* Reads a whole number (numbers truncated, numeric strings parsed) in [min, max]. */
int
bpg_reqshape_coerce_int(struct bpg_reqshape *p, const cJSON *item, const char *path,
    long long min, long long max, long long *out)
{
	long long v;

	if (cJSON_IsNumber(item)) {
		if (!isfinite(item->valuedouble) || fabs(item->valuedouble) > 9e15)
			return bpg_reqshape_fail(p, "%s: must be an integer", path);
		v = (long long)item->valuedouble;
	} else if (cJSON_IsString(item)) {
		char *end;
		errno = 0;
		v = strtoll(item->valuestring, &end, 10);
		if (end == item->valuestring || *end != '\0' || errno == ERANGE)
			return bpg_reqshape_fail(p, "%s: must be an integer", path);
	} else {
		return bpg_reqshape_fail(p, "%s: must be an integer", path);
	}
	if (v < min || v > max)
		return bpg_reqshape_fail(p, "%s: must be from %lld to %lld", path, min, max);
	*out = v;
	return 0;
}

/* Sets the canonical value of an integer field. */
static int
set_int(struct bpg_reqshape *p, cJSON *obj, const char *key, long long v)
{
	cJSON *n = cJSON_CreateNumber((double)v);

	if (n == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(obj, key, n)) {
		cJSON_Delete(n);
		return bpg_reqshape_fail(p, "out of memory");
	}
	return 0;
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
/* the first one is hostPath: bpg_reqshape_volumes counts on it */
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
static const struct shape sh_deps[] = { { "jars", K_STRARR, NULL, 0 },
	{ "files", K_STRARR, NULL, 0 }, { "pyFiles", K_STRARR, NULL, 0 },
	{ "packages", K_STRARR, NULL, 0 },
	{ "excludePackages", K_STRARR, NULL, 0 }, { "repositories", K_STRARR, NULL, 0 },
	{ "archives", K_STRARR, NULL, 0 }, SHAPE_END };

int
bpg_reqshape_strlist(struct bpg_reqshape *p, cJSON *arr, const char *path, size_t max)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return bpg_reqshape_fail(p, "%s: must be an array of strings", path);
	for (cJSON *it = arr->child, *next; it != NULL; it = next, i++) {
		next = it->next;
		if (i >= max)
			return bpg_reqshape_fail(p, "%s: more than %zu items", path, max);
		subpath(sub, sizeof(sub), path, NULL, i);
		if (bpg_reqshape_coerce_str(p, arr, &it, sub) != 0)
			return -1;
	}
	return 0;
}

/* A boolean, or Jackson's "true"/"false" strings. */
static int
coerce_bool(struct bpg_reqshape *p, cJSON *parent, cJSON *item, const char *path)
{
	cJSON *b;

	if (cJSON_IsBool(item))
		return 0;
	if (!cJSON_IsString(item) || (strcmp(item->valuestring, "true") != 0 &&
	    strcmp(item->valuestring, "false") != 0))
		return bpg_reqshape_fail(p, "%s: must be true or false", path);
	b = cJSON_CreateBool(strcmp(item->valuestring, "true") == 0);
	if (bpg_reqshape_replace_item(parent, item, b) != 0)
		return bpg_reqshape_fail(p, "out of memory");
	return 0;
}

/* A Kubernetes quantity kept as given: a whole number or a short string like "1Gi". */
static int
check_int_or_string(struct bpg_reqshape *p, const cJSON *item, const char *path)
{
	if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble < 9e15 &&
	    item->valuedouble == floor(item->valuedouble))
		return 0;
	if (cJSON_IsString(item) && item->valuestring[0] != '\0' && strlen(item->valuestring) <= 64)
		return 0;
	return bpg_reqshape_fail(p, "%s: must be a quantity (like 1Gi or 500m)", path);
}

static int shape_obj(struct bpg_reqshape *p, cJSON *obj, const struct shape *members,
    const char *path);

/*
 * A member of a nested object we model that the model does not have (a typo like
 * driver.memroy): refused with BPG_REQ_STRICT, else dropped, as the Java gateway ignored it,
 * and its path listed (at most BPG_REQ_MAX_IGNORED) for the caller to warn about.
 */
static int
unknown_nested(struct bpg_reqshape *p, cJSON *obj, cJSON *it, const char *path)
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
		return bpg_reqshape_fail(p, "%s: unknown field", full);
	if (p->ignored == NULL && (p->ignored = cJSON_CreateArray()) == NULL)
		return bpg_reqshape_fail(p, "out of memory");
	if (cJSON_GetArraySize(p->ignored) < BPG_REQ_MAX_IGNORED &&
	    !cJSON_AddItemToArray(p->ignored, cJSON_CreateString(full)))
		return bpg_reqshape_fail(p, "out of memory");
	cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
	return 0;
}

/* One member (or array item) of a shaped object. */
static int
shape_value(struct bpg_reqshape *p, cJSON *parent, cJSON *it, const struct shape *s,
    const char *path)
{
	char sub[BPG_REQ_PATH_MAX];
	long long v;
	size_t i = 0;

	switch (s->kind) {
	case K_STR:
		return bpg_reqshape_coerce_str(p, parent, &it, path);
	case K_INT:
		return bpg_reqshape_coerce_int(p, it, path, 0, INT32_MAX, &v) != 0 ? -1 :
		    set_int(p, parent, it->string, v);
	case K_BOOL:
		return coerce_bool(p, parent, it, path);
	case K_INTSTR:
		return check_int_or_string(p, it, path);
	case K_STRARR:
		return bpg_reqshape_strlist(p, it, path, BPG_REQ_MAX_ITEMS);
	case K_OBJ:
		return shape_obj(p, it, s->sub, path);
	case K_OBJARR:
		if (!cJSON_IsArray(it))
			return bpg_reqshape_fail(p, "%s: must be an array of objects", path);
		for (cJSON *e = it->child; e != NULL; e = e->next, i++) {
			if (i >= BPG_REQ_MAX_ITEMS)
				return bpg_reqshape_fail(p, "%s: more than %d items", path, BPG_REQ_MAX_ITEMS);
			subpath(sub, sizeof(sub), path, NULL, i);
			if (shape_obj(p, e, s->sub, sub) != 0)
				return -1;
		}
		return 0;
	}
	return bpg_reqshape_fail(p, "%s: unexpected", path);
}

/* Rejects a key given twice in one object (cJSON would keep both). */
static int
check_dup(struct bpg_reqshape *p, const cJSON *obj, const cJSON *it, const char *path)
{
	for (const cJSON *d = obj->child; d != it; d = d->next)
		if (strcmp(d->string, it->string) == 0)
			return bpg_reqshape_fail(p, "%s: '%.64s' given twice", path, it->string);
	return 0;
}

static int
shape_obj(struct bpg_reqshape *p, cJSON *obj, const struct shape *members, const char *path)
{
	char sub[BPG_REQ_PATH_MAX];
	const struct shape *s;
	cJSON *it, *next;

	if (!cJSON_IsObject(obj))
		return bpg_reqshape_fail(p, "%s: must be an object", path);
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
			return bpg_reqshape_fail(p, "%s.%s: required", path, s->name);
	return 0;
}

/* A map of string to string (labels, annotations, sparkConf): values coerced, keys checked. */
int
bpg_reqshape_strmap(struct bpg_reqshape *p, cJSON *obj, const char *path, size_t max,
    int label_rules)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t n = 0;

	if (!cJSON_IsObject(obj))
		return bpg_reqshape_fail(p, "%s: must be an object of strings", path);
	for (cJSON *it = obj->child, *next; it != NULL; it = next) {
		cJSON *cur = it;
		next = it->next;
		if (++n > max)
			return bpg_reqshape_fail(p, "%s: more than %zu entries", path, max);
		if (it->string == NULL || it->string[0] == '\0' || strlen(it->string) > BPG_REQ_MAX_KEY)
			return bpg_reqshape_fail(p, "%s: keys must be 1 to %d characters", path, BPG_REQ_MAX_KEY);
		if (check_dup(p, obj, it, path) != 0)
			return -1;
		/* a Spark property's name never holds one: a line break could start another */
		for (const char *c = it->string; !label_rules && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return bpg_reqshape_fail(p, "%s: keys may not contain control characters", path);
		subpath(sub, sizeof(sub), path, it->string, 0);
		if (cJSON_IsNull(it))
			return bpg_reqshape_fail(p, "%s: must be a string", sub);
		if (bpg_reqshape_coerce_str(p, obj, &cur, sub) != 0)
			return -1;
		if (label_rules && !bpg_k8sname_label_key(cur->string))
			return bpg_reqshape_fail(p, "%s: not a valid Kubernetes label or annotation key", sub);
		/* dag_name and task_name are normalized into label values, as the Java gateway did */
		if (label_rules == 1 && !bpg_k8sname_label_value(cur->valuestring) &&
		    strcmp(cur->string, "dag_name") != 0 && strcmp(cur->string, "task_name") != 0)
			return bpg_reqshape_fail(p, "%s: a label value is at most 63 characters of letters, "
			    "digits, '-', '_' and '.', starting and ending with a letter or digit", sub);
	}
	return 0;
}

/* 1 when an item of arr before e has the string member key equal to v. */
static int
given_before(const cJSON *arr, const cJSON *e, const char *key, const char *v)
{
	for (const cJSON *d = arr->child; d != e; d = d->next)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(d, key)->valuestring, v) == 0)
			return 1;
	return 0;
}

/* One item e of an array, at sub; arg is the caller's. 0 or -1. */
typedef int (*item_fn)(struct bpg_reqshape *p, const cJSON *arr, cJSON *e, const char *sub,
    void *arg);

/* An array of at most max items ("more than max unit" past it), each through one. */
static int
each_item(struct bpg_reqshape *p, cJSON *arr, const char *path, int max, const char *unit,
    item_fn one, void *arg)
{
	char sub[BPG_REQ_PATH_MAX];
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return bpg_reqshape_fail(p, "%s: must be an array", path);
	for (cJSON *e = arr->child; e != NULL; e = e->next, i++) {
		if (i >= (size_t)max)
			return bpg_reqshape_fail(p, "%s: more than %d%s", path, max, unit);
		subpath(sub, sizeof(sub), path, NULL, i);
		if (one(p, arr, e, sub, arg) != 0)
			return -1;
	}
	return 0;
}

/* One env variable: {name, value | valueFrom}. */
static int
env_item(struct bpg_reqshape *p, const cJSON *env, cJSON *e, const char *sub, void *arg)
{
	const cJSON *name, *vf;

	(void)arg;
	if (shape_obj(p, e, sh_env, sub) != 0)
		return -1;
	name = cJSON_GetObjectItemCaseSensitive(e, "name");
	if (name->valuestring[0] == '\0' || strlen(name->valuestring) > BPG_REQ_MAX_KEY)
		return bpg_reqshape_fail(p, "%s.name: required, a non-empty string", sub);
	for (const char *c = name->valuestring; *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.') ||
		    (c == name->valuestring && isdigit((unsigned char)*c)))
			return bpg_reqshape_fail(p, "%s.name: letters, digits, '_', '-' and '.', not "
			    "starting with a digit", sub);
	if (given_before(env, e, "name", name->valuestring))
		return bpg_reqshape_fail(p, "%s.name: '%s' given twice", sub, name->valuestring);
	vf = cJSON_GetObjectItemCaseSensitive(e, "valueFrom");
	if (vf != NULL && cJSON_GetArraySize(vf) != 1)
		return bpg_reqshape_fail(p, "%s.valueFrom: exactly one of fieldRef, secretKeyRef, "
		    "configMapKeyRef, resourceFieldRef", sub);
	if (vf != NULL && cJSON_GetObjectItemCaseSensitive(e, "value") != NULL)
		return bpg_reqshape_fail(p, "%s: value and valueFrom are exclusive", sub);
	return 0;
}

/* env: [{name, value | valueFrom}] */
static int
parse_env(struct bpg_reqshape *p, cJSON *env, const char *path)
{
	return each_item(p, env, path, BPG_REQ_MAX_ENV, " variables", env_item, NULL);
}

/* One volume: a name and exactly one source; a hostPath is absolute (and noted in r). */
static int
volume_item(struct bpg_reqshape *p, const cJSON *vols, cJSON *v, const char *sub, void *arg)
{
	struct bpg_submit_req *r = arg;
	const cJSON *name, *hp;
	int nk = 0;

	if (cJSON_IsObject(v) && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "name")))
		return bpg_reqshape_fail(p, "%s.name: required, a DNS-1123 label (lowercase letters, "
		    "digits, '-')", sub);
	if (shape_obj(p, v, sh_volume, sub) != 0)
		return -1;
	name = cJSON_GetObjectItemCaseSensitive(v, "name");
	if (!bpg_k8sname_label(name->valuestring, 63))
		return bpg_reqshape_fail(p, "%s.name: required, a DNS-1123 label (lowercase letters, "
		    "digits, '-')", sub);
	if (given_before(vols, v, "name", name->valuestring))
		return bpg_reqshape_fail(p, "%s.name: '%s' given twice", sub, name->valuestring);
	for (const struct shape *k = sh_volume; k->kind == K_OBJ; k++)
		nk += cJSON_GetObjectItemCaseSensitive(v, k->name) != NULL;
	if (nk != 1)
		return bpg_reqshape_fail(p, "%s: exactly one of hostPath, configMap, secret, emptyDir, "
		    "persistentVolumeClaim", sub);
	if ((hp = cJSON_GetObjectItemCaseSensitive(v, "hostPath")) != NULL) {
		if (cJSON_GetObjectItemCaseSensitive(hp, "path")->valuestring[0] != '/')
			return bpg_reqshape_fail(p, "%s.hostPath.path: an absolute path", sub);
		r->host_path = 1;
	}
	return 0;
}

/* volumes: [{name, hostPath|configMap|secret|emptyDir|persistentVolumeClaim}] */
int
bpg_reqshape_volumes(struct bpg_reqshape *p, cJSON *vols, struct bpg_submit_req *r)
{
	return each_item(p, vols, "volumes", BPG_REQ_MAX_VOLUMES, "", volume_item, r);
}

/* One volume mount: a name and an absolute mountPath, not given before. */
static int
mount_item(struct bpg_reqshape *p, const cJSON *mounts, cJSON *m, const char *sub, void *arg)
{
	const cJSON *mp;

	(void)arg;
	if (!cJSON_IsObject(m) || shape_obj(p, m, sh_mount, sub) != 0)
		return bpg_reqshape_fail(p, "%s: name and an absolute mountPath are required", sub);
	mp = cJSON_GetObjectItemCaseSensitive(m, "mountPath");
	if (mp->valuestring[0] != '/')
		return bpg_reqshape_fail(p, "%s: name and an absolute mountPath are required", sub);
	if (given_before(mounts, m, "mountPath", mp->valuestring))
		return bpg_reqshape_fail(p, "%s.mountPath: '%s' given twice", sub, mp->valuestring);
	return 0;
}

static int
parse_mounts(struct bpg_reqshape *p, cJSON *mounts, const char *path)
{
	return each_item(p, mounts, path, BPG_REQ_MAX_VOLUMES, "", mount_item, NULL);
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

/* A pod member that is a string and must be a size or a CPU quantity, into *out. */
static int
pod_quantity(struct bpg_reqshape *p, const cJSON *it, const char *role, int cpu, long long *out)
{
	if (cpu && bpg_request_millicores(it->valuestring, out) != BPG_OK)
		return bpg_reqshape_fail(p, "%s.%s: '%.32s' is not a CPU quantity (like 500m or 1.5)",
		    role, it->string, it->valuestring);
	if (!cpu && bpg_request_memory_mb(it->valuestring, out) != BPG_OK)
		return bpg_reqshape_fail(p, "%s.%s: '%.32s' is not a memory size (like 512m, 2g or 1.5g; "
		    "no unit means MiB)", role, it->string, it->valuestring);
	return 0;
}

/*
 * The members of a driver or executor, by role, each with the step that checks it: a member
 * may have two steps (a string first, then a quantity), taken in this order (the first error
 * wins); any other member is unknown (unknown_nested()), but for those pod_dropped[] names.
 */
enum pod_step { P_STR, P_INT, P_BOOL, P_MEMORY, P_CPU, P_CPU_LIMIT, P_ENV, P_LABELS,
	P_ANNOTATIONS, P_MOUNTS, P_SECURITY, P_AFFINITY };

#define POD_DRIVER   0x1u
#define POD_EXECUTOR 0x2u
#define POD_BOTH     (POD_DRIVER | POD_EXECUTOR)
#define POD_NO_OUT   ((size_t)-1)
#define POD_OUT(f)   offsetof(struct bpg_pod_req, f)

struct pod_member {
	const char *name;
	enum pod_step step;
	unsigned roles;             /* the roles that know the member */
	long long min, max;         /* P_INT */
	size_t out;                 /* the long long of struct bpg_pod_req it sets, or POD_NO_OUT */
};

static const struct pod_member pod_members[] = {
	{ "coreRequest", P_STR, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "coreLimit", P_STR, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "memory", P_STR, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "memoryOverhead", P_STR, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "image", P_STR, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "serviceAccount", P_STR, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "javaOptions", P_STR, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "podName", P_STR, POD_DRIVER, 0, 0, POD_NO_OUT },
	{ "cores", P_INT, POD_BOTH, 1, BPG_REQ_MAX_CORES, POD_OUT(cores) },
	/* the CRD's minimum is 1: a 0 would be refused by the API server */
	{ "instances", P_INT, POD_EXECUTOR, 1, BPG_REQ_MAX_INSTANCES, POD_OUT(instances) },
	{ "terminationGracePeriodSeconds", P_INT, POD_BOTH, 0, 86400, POD_NO_OUT },
	{ "deleteOnTermination", P_BOOL, POD_EXECUTOR, 0, 0, POD_NO_OUT },
	{ "memory", P_MEMORY, POD_BOTH, 0, 0, POD_OUT(memory_mb) },
	{ "memoryOverhead", P_MEMORY, POD_BOTH, 0, 0, POD_OUT(memory_overhead_mb) },
	{ "coreRequest", P_CPU, POD_BOTH, 0, 0, POD_OUT(core_request_m) },
	{ "coreLimit", P_CPU_LIMIT, POD_BOTH, 0, 0, POD_OUT(core_limit_m) },
	{ "env", P_ENV, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "labels", P_LABELS, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "annotations", P_ANNOTATIONS, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "volumeMounts", P_MOUNTS, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "securityContext", P_SECURITY, POD_BOTH, 0, 0, POD_NO_OUT },
	{ "affinity", P_AFFINITY, POD_BOTH, 0, 0, POD_NO_OUT },
};

/* members the Java gateway knew and dropped (dnsConfig), or that we do not pass on */
static const struct { const char *name; unsigned roles; } pod_dropped[] = {
	{ "dnsConfig", POD_BOTH }, { "kubernetesMaster", POD_DRIVER },
};

/* The pod_members[] row of a member in a role, or NULL. */
static const struct pod_member *
pod_member(const char *name, unsigned role)
{
	for (size_t i = 0; i < sizeof(pod_members) / sizeof(pod_members[0]); i++)
		if ((pod_members[i].roles & role) && strcmp(pod_members[i].name, name) == 0)
			return &pod_members[i];
	return NULL;
}

/* Each member: a dropped one removed, an unknown one refused or dropped, a null removed. */
static int
pod_sort(struct bpg_reqshape *p, cJSON *pod, const char *role, unsigned rbit)
{
	cJSON *it, *next;
	size_t i;

	for (it = pod->child; it != NULL; it = next) {
		next = it->next;
		if (check_dup(p, pod, it, role) != 0)
			return -1;
		for (i = 0; i < sizeof(pod_dropped) / sizeof(pod_dropped[0]); i++)
			if ((pod_dropped[i].roles & rbit) && strcmp(pod_dropped[i].name, it->string) == 0)
				break;
		if (i < sizeof(pod_dropped) / sizeof(pod_dropped[0]))
			cJSON_Delete(cJSON_DetachItemViaPointer(pod, it));
		else if (pod_member(it->string, rbit) == NULL) {
			if (unknown_nested(p, pod, it, role) != 0)
				return -1;
		} else if (cJSON_IsNull(it))
			cJSON_Delete(cJSON_DetachItemViaPointer(pod, it));
	}
	return 0;
}

/* One step of one member present in the pod (it), at path; out is the pod's values. */
static int
pod_step(struct bpg_reqshape *p, cJSON *pod, cJSON *it, const struct pod_member *m,
    const char *role, const char *path, struct bpg_pod_req *out)
{
	long long v, *dst = m->out == POD_NO_OUT ? &v : (long long *)(void *)((char *)out + m->out);

	switch (m->step) {
	case P_STR:
		return bpg_reqshape_coerce_str(p, pod, &it, path);
	case P_INT:
		return bpg_reqshape_coerce_int(p, it, path, m->min, m->max, dst) != 0 ? -1 :
		    set_int(p, pod, m->name, *dst);
	case P_BOOL:
		return coerce_bool(p, pod, it, path);
	case P_MEMORY:
	case P_CPU:
		return pod_quantity(p, it, role, m->step == P_CPU, dst);
	case P_CPU_LIMIT:
		if (pod_quantity(p, it, role, 1, dst) != 0)
			return -1;
		if (out->core_request_m > 0 && *dst > 0 && out->core_request_m > *dst)
			return bpg_reqshape_fail(p, "%s.coreRequest: above %s.coreLimit", role, role);
		return 0;
	case P_ENV:
		return parse_env(p, it, path);
	case P_LABELS:
	case P_ANNOTATIONS:
		return bpg_reqshape_strmap(p, it, path, BPG_REQ_MAX_LABELS, m->step == P_LABELS ? 1 : 2);
	case P_MOUNTS:
		return parse_mounts(p, it, path);
	case P_SECURITY:
		if (shape_obj(p, it, sh_security, path) != 0)
			return -1;
		out->privileged = is_privileged(it);
		return 0;
	case P_AFFINITY:
		return shape_obj(p, it, sh_affinity, path);
	}
	return bpg_reqshape_fail(p, "%s: unexpected", path);
}

/* The names: an empty image or service account means none, as in the Java gateway. */
static int
pod_names(struct bpg_reqshape *p, cJSON *pod, const char *role, struct bpg_pod_req *out)
{
	static const char *const none_if_empty[] = { "serviceAccount", "image" };
	cJSON *it;

	for (size_t i = 0; i < sizeof(none_if_empty) / sizeof(none_if_empty[0]); i++) {
		it = cJSON_GetObjectItemCaseSensitive(pod, none_if_empty[i]);
		if (it != NULL && it->valuestring[0] == '\0')
			cJSON_Delete(cJSON_DetachItemViaPointer(pod, it));
	}
	it = cJSON_GetObjectItemCaseSensitive(pod, "serviceAccount");
	out->service_account = it ? it->valuestring : NULL;
	if (out->service_account != NULL && !bpg_k8sname_subdomain(out->service_account))
		return bpg_reqshape_fail(p, "%s.serviceAccount: a DNS-1123 subdomain", role);
	it = cJSON_GetObjectItemCaseSensitive(pod, "image");
	out->image = it ? it->valuestring : NULL;
	if ((it = cJSON_GetObjectItemCaseSensitive(pod, "podName")) != NULL &&
	    !bpg_k8sname_label(it->valuestring, 63))
		return bpg_reqshape_fail(p, "%s.podName: a DNS-1123 label", role);
	return 0;
}

/* A driver or executor object: known members checked and coerced, unknown ones dropped. */
int
bpg_reqshape_pod(struct bpg_reqshape *p, cJSON *pod, const char *role, struct bpg_pod_req *out)
{
	unsigned rbit = strcmp(role, "driver") == 0 ? POD_DRIVER : POD_EXECUTOR;
	char path[BPG_REQ_PATH_MAX];

	if (!cJSON_IsObject(pod))
		return bpg_reqshape_fail(p, "%s: must be an object", role);
	if (pod_sort(p, pod, role, rbit) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(pod_members) / sizeof(pod_members[0]); i++) {
		const struct pod_member *m = &pod_members[i];
		cJSON *it = cJSON_GetObjectItemCaseSensitive(pod, m->name);

		if (it == NULL)
			continue;
		subpath(path, sizeof(path), role, m->name, 0);
		if (pod_step(p, pod, it, m, role, path, out) != 0)
			return -1;
	}
	out->j = pod;
	return pod_names(p, pod, role, out);
}

int
bpg_reqshape_restart(struct bpg_reqshape *p, cJSON *rpol)
{
	const cJSON *t;

	if (shape_obj(p, rpol, sh_restart, "restartPolicy") != 0)
		return -1;
	t = cJSON_GetObjectItemCaseSensitive(rpol, "type");
	if (strcmp(t->valuestring, "Never") != 0 && strcmp(t->valuestring, "OnFailure") != 0 &&
	    strcmp(t->valuestring, "Always") != 0)
		return bpg_reqshape_fail(p, "restartPolicy.type: one of Never, OnFailure, Always");
	return 0;
}
int
bpg_reqshape_deps(struct bpg_reqshape *p, cJSON *deps)
{
	return shape_obj(p, deps, sh_deps, "deps");
}
