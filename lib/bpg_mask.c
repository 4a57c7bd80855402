/* bpg_mask: secrets masked in everything the gateway returns, stores or logs. */
#define _GNU_SOURCE   /* strcasestr */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "bpg_mask.h"

/*
 * 1 when pattern stands anywhere in key, case-insensitively: a substring, or with '*' in it
 * a glob whose '*' is any run of characters ("gs.auth.service.account.*key").
 */
static int
key_has(const char *key, const char *pattern)
{
	const char *g = pattern, *restart = pattern, *back = key, *s = key;

	if (strchr(pattern, '*') == NULL)
		return strcasestr(key, pattern) != NULL;
	/* the classic '*' matcher with an implied '*' before and after the pattern */
	while (*g != '\0') {
		if (*g == '*') {
			restart = ++g;
			back = s;
		} else if (*s == '\0') {
			return 0;
		} else if (tolower((unsigned char)*g) == tolower((unsigned char)*s)) {
			g++;
			s++;
		} else {
			g = restart;
			s = ++back;
		}
	}
	return 1;
}

int
bpg_mask_key_is_secret(const char *key, const struct bpg_strlist *patterns)
{
	for (size_t i = 0; i < patterns->n; i++)
		if (key_has(key, patterns->v[i]))
			return 1;
	return 0;
}

/* Replaces the value of every secret key of the object conf. */
static void
mask_conf(cJSON *conf, const struct bpg_strlist *patterns)
{
	cJSON *it, *next;

	if (!cJSON_IsObject(conf))
		return;
	for (it = conf->child; it != NULL; it = next) {
		next = it->next;
		if (it->string != NULL && bpg_mask_key_is_secret(it->string, patterns)) {
			cJSON *m = cJSON_CreateString(BPG_MASK);
			/* the replacement takes a copy of the key before the old item goes */
			if (m != NULL && !cJSON_ReplaceItemInObjectCaseSensitive(conf, it->string, m))
				cJSON_Delete(m);
		}
	}
}

/* Replaces each env[].value of pod (an object with "env") by the mask. */
static void
mask_env(cJSON *pod)
{
	cJSON *env = cJSON_GetObjectItemCaseSensitive(pod, "env"), *e;

	if (!cJSON_IsArray(env))
		return;
	cJSON_ArrayForEach(e, env) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
		if (v != NULL) {
			cJSON *m = cJSON_CreateString(BPG_MASK);
			if (m != NULL && !cJSON_ReplaceItemInObjectCaseSensitive(e, "value", m))
				cJSON_Delete(m);
		}
	}
}

void
bpg_mask_app(cJSON *app, const struct bpg_strlist *patterns)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(app, "spec");

	if (!cJSON_IsObject(spec))
		return;
	mask_conf(cJSON_GetObjectItemCaseSensitive(spec, "sparkConf"), patterns);
	mask_conf(cJSON_GetObjectItemCaseSensitive(spec, "hadoopConf"), patterns);
	mask_env(cJSON_GetObjectItemCaseSensitive(spec, "driver"));
	mask_env(cJSON_GetObjectItemCaseSensitive(spec, "executor"));
}

void
bpg_mask_request(cJSON *req, const struct bpg_strlist *patterns)
{
	cJSON *tok = cJSON_GetObjectItemCaseSensitive(req, "queueToken");

	mask_conf(cJSON_GetObjectItemCaseSensitive(req, "sparkConf"), patterns);
	mask_env(cJSON_GetObjectItemCaseSensitive(req, "driver"));
	mask_env(cJSON_GetObjectItemCaseSensitive(req, "executor"));
	if (tok != NULL) {
		cJSON *m = cJSON_CreateString(BPG_MASK);
		if (m != NULL && !cJSON_ReplaceItemInObjectCaseSensitive(req, "queueToken", m))
			cJSON_Delete(m);
	}
}
