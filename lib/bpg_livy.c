/* bpg_livy: Apache Livy's batch API (0.8) mapped onto submissions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_livy.h"

/* How a Livy field becomes a SubmitApplicationRequest field. */
enum livy_kind { LV_STR, LV_STRLIST, LV_INT, LV_MAP };
static const struct livy_field {
	const char *name;
	enum livy_kind kind;
	const char *to;        /* "a" or "a.b" in the request; NULL: handled apart */
} livy_fields[] = {
	{ "file", LV_STR, "mainApplicationFile" },
	{ "className", LV_STR, "mainClass" },
	{ "args", LV_STRLIST, "arguments" },
	{ "jars", LV_STRLIST, "deps.jars" },
	{ "pyFiles", LV_STRLIST, "deps.pyFiles" },
	{ "files", LV_STRLIST, "deps.files" },
	{ "archives", LV_STRLIST, "deps.archives" },
	{ "driverMemory", LV_STR, "driver.memory" },
	{ "driverCores", LV_INT, "driver.cores" },
	{ "executorMemory", LV_STR, "executor.memory" },
	{ "executorCores", LV_INT, "executor.cores" },
	{ "numExecutors", LV_INT, "executor.instances" },
	{ "name", LV_STR, "applicationName" },
	{ "queue", LV_STR, "queue" },
	{ "conf", LV_MAP, "sparkConf" },
	{ "proxyUser", LV_STR, NULL },
};
#define N_LIVY_FIELDS (sizeof(livy_fields) / sizeof(livy_fields[0]))

static const struct livy_field *
livy_field(const char *name)
{
	for (size_t i = 0; i < N_LIVY_FIELDS; i++)
		if (strcmp(livy_fields[i].name, name) == 0)
			return &livy_fields[i];
	return NULL;
}

/* 1 when the n bytes at p, inside msg, are a whole field path: a word starts there and
 * the path ends before ':', '.', '[', ' ' or the end. */
static int
path_at(const char *msg, const char *p, size_t n)
{
	char before = p > msg ? p[-1] : ' ', after = p[n];

	return (before == ' ' || before == '(' || before == '\'') &&
	    (after == ':' || after == '.' || after == '[' || after == ' ' || after == '\0' ||
	    after == '\'');
}

void
bpg_livy_name_fields(struct bpg_why *why)
{
	char out[1024];
	size_t o = 0, cap;
	const char *msg, *p;

	if (why == NULL || why->text == NULL || (cap = why->size) > sizeof(out))
		return;
	msg = p = why->text;
	while (*p != '\0') {
		const struct livy_field *hit = NULL;
		size_t hn = 0;

		for (size_t i = 0; i < N_LIVY_FIELDS; i++) {
			const char *to = livy_fields[i].to;
			size_t n = to != NULL ? strlen(to) : 0;
			if (n > hn && strncmp(p, to, n) == 0 && path_at(msg, p, n)) {
				hit = &livy_fields[i];
				hn = n;
			}
		}
		if (hit != NULL) {
			size_t nn = strlen(hit->name);
			if (o + nn >= cap)
				return;
			memcpy(out + o, hit->name, nn);
			o += nn;
			p += hn;
			continue;
		}
		if (o + 1 >= cap)
			return;
		out[o++] = *p++;
	}
	out[o] = '\0';
	bpg_why_set(why, BPG_OK, "%s", out);
}

/* 1 when v has the kind's JSON type (null is "not given", checked apart). */
static int
kind_ok(const cJSON *v, enum livy_kind k)
{
	const cJSON *e;

	switch (k) {
	case LV_STR:
		return cJSON_IsString(v);
	case LV_INT:   /* a whole number well inside long long before any conversion */
		return cJSON_IsNumber(v) && v->valuedouble > -1e15 && v->valuedouble < 1e15 &&
		    v->valuedouble == floor(v->valuedouble);
	case LV_STRLIST:
		if (!cJSON_IsArray(v))
			return 0;
		cJSON_ArrayForEach(e, v)
			if (!cJSON_IsString(e))
				return 0;
		return 1;
	case LV_MAP:
		if (!cJSON_IsObject(v))
			return 0;
		cJSON_ArrayForEach(e, v)
			if (!cJSON_IsString(e) && !cJSON_IsNumber(e) && !cJSON_IsBool(e))
				return 0;
		return 1;
	}
	return 0;
}

static const char *const kind_names[] = {
	[LV_STR] = "a string", [LV_STRLIST] = "a list of strings", [LV_INT] = "an integer",
	[LV_MAP] = "an object of strings",
};

/* Puts a copy of v at path ("a" or "a.b") of req. BPG_ENOMEM. */
static enum bpg_err
put_at(cJSON *req, const char *path, const cJSON *v)
{
	const char *dot = strchr(path, '.');
	cJSON *parent = req, *copy;
	char head[32];

	if (dot != NULL) {
		snprintf(head, sizeof(head), "%.*s", (int)(dot - path), path);
		parent = cJSON_GetObjectItemCaseSensitive(req, head);
		if (parent == NULL && (parent = cJSON_AddObjectToObject(req, head)) == NULL)
			return BPG_ENOMEM;
		path = dot + 1;
	}
	if ((copy = cJSON_Duplicate(v, 1)) == NULL)
		return BPG_ENOMEM;
	if (!cJSON_AddItemToObject(parent, path, copy)) {
		cJSON_Delete(copy);
		return BPG_ENOMEM;
	}
	return BPG_OK;
}

enum bpg_err
bpg_livy_request(const cJSON *body, const char *spark_version, cJSON **req_out,
    const char **proxy_user_out, struct bpg_why *why)
{
	const struct livy_field *f;
	const cJSON *v;
	cJSON *req;
	enum bpg_err err = BPG_OK;

	*proxy_user_out = NULL;
	if (!cJSON_IsObject(body))
		return bpg_why_set(why, BPG_EINVAL,
		    "the body must be a JSON object (a CreateBatchRequest)");
	cJSON_ArrayForEach(v, body) {
		if ((f = livy_field(v->string)) == NULL)
			return bpg_why_set(why, BPG_EINVAL, "Unrecognized field \"%.200s\" (class "
			    "org.apache.livy.server.batch.CreateBatchRequest)", v->string);
		if (!cJSON_IsNull(v) && !kind_ok(v, f->kind))
			return bpg_why_set(why, BPG_EINVAL, "%s: must be %s", f->name,
			    kind_names[f->kind]);
	}
	v = cJSON_GetObjectItemCaseSensitive(body, "file");
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return bpg_why_set(why, BPG_EINVAL, "requirement failed: File is required.");
	if ((req = cJSON_CreateObject()) == NULL)
		return BPG_ENOMEM;
	if (cJSON_AddStringToObject(req, "sparkVersion", spark_version) == NULL)
		err = BPG_ENOMEM;
	cJSON_ArrayForEach(v, body) {
		f = livy_field(v->string);
		if (err != BPG_OK || cJSON_IsNull(v))
			continue;
		if (f->to == NULL)
			*proxy_user_out = v->valuestring;
		else
			err = put_at(req, f->to, v);
	}
	if (err != BPG_OK) {
		cJSON_Delete(req);
		return err;
	}
	*req_out = req;
	return BPG_OK;
}

/* The operator states, grouped as Livy sees them. */
static const struct {
	const char *state;
	const char *livy;
} livy_states[] = {
	{ "SUBMITTED", "starting" }, { "PENDING_RERUN", "starting" }, { "RESUMING", "starting" },
	{ "SUBMISSION_FAILED", "starting" },     /* not final: the operator submits again */
	{ "RUNNING", "running" }, { "SUCCEEDING", "running" }, { "FAILING", "running" },
	{ "INVALIDATING", "running" }, { "SUSPENDING", "shutting_down" }, { "SUSPENDED", "idle" },
	{ "COMPLETED", "success" }, { "FAILED", "dead" },
};

const char *
bpg_livy_state(const char *status, int final, int killed)
{
	if (killed)
		return "killed";
	if (status == NULL || status[0] == '\0' || strcmp(status, "UNKNOWN") == 0)
		return final ? "dead" : "not_started";
	if (strcmp(status, "COMPLETED") == 0)
		return "success";
	if (final)
		return "dead";
	for (size_t i = 0; i < sizeof(livy_states) / sizeof(livy_states[0]); i++)
		if (strcmp(livy_states[i].state, status) == 0)
			return livy_states[i].livy;
	return "running";
}

enum bpg_err
bpg_livy_int_param(const char *s, long long max, long long *out)
{
	long long v = 0;

	if (s == NULL)
		return BPG_OK;
	if (*s == '\0' || strlen(s) > 18)
		return BPG_EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return BPG_EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v > max)
		return BPG_EINVAL;
	*out = v;
	return BPG_OK;
}
