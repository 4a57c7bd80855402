/* bpg_guard: the queue's rules on the Spark properties and pod metadata that reach the pod. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "bpg_guard.h"

/* Longest key the guard reads; sparkConf keys are at most 253 (BPG_REQ_MAX_KEY). */
#define GUARD_KEY_MAX 512

/* The queue rule a property is held to. */
enum guard { G_IMAGE, G_SERVICE_ACCOUNT, G_CONF, G_VOLUME, G_META };

/* How a table entry matches the canonical key. */
enum match { M_EXACT, M_PREFIX };

/*
 * Spark's properties that change the pod's security envelope (Spark 3.x, Config.scala),
 * first match wins: the specific service-account keys before spark.kubernetes.authenticate.
 * what: the words of the refusal for G_CONF ("does not allow setting <what>").
 */
static const struct {
	const char *key;
	enum match match;
	enum guard guard;
	const char *what;
} props[] = {
	{ "spark.kubernetes.container.image", M_EXACT, G_IMAGE, NULL },
	{ "spark.kubernetes.driver.container.image", M_EXACT, G_IMAGE, NULL },
	{ "spark.kubernetes.executor.container.image", M_EXACT, G_IMAGE, NULL },
	{ "spark.kubernetes.container.image.pullSecrets", M_EXACT, G_IMAGE, NULL },
	{ "spark.kubernetes.docker.image", M_EXACT, G_IMAGE, NULL },   /* Spark 2.3's names */
	{ "spark.kubernetes.driver.docker.image", M_EXACT, G_IMAGE, NULL },
	{ "spark.kubernetes.executor.docker.image", M_EXACT, G_IMAGE, NULL },
	{ "spark.kubernetes.authenticate.driver.serviceAccountName", M_EXACT, G_SERVICE_ACCOUNT, NULL },
	{ "spark.kubernetes.authenticate.executor.serviceAccountName", M_EXACT, G_SERVICE_ACCOUNT, NULL },
	{ "spark.kubernetes.driver.serviceAccountName", M_EXACT, G_SERVICE_ACCOUNT, NULL },
	{ "spark.kubernetes.executor.serviceAccountName", M_EXACT, G_SERVICE_ACCOUNT, NULL },
	{ "spark.kubernetes.authenticate.", M_PREFIX, G_CONF, "API credentials" },
	{ "spark.kubernetes.trust.certificates", M_EXACT, G_CONF, "API credentials" },
	{ "spark.kubernetes.context", M_EXACT, G_CONF, "API credentials" },
	{ "spark.kubernetes.driver.master", M_EXACT, G_CONF, "API credentials" },
	{ "spark.kubernetes.driver.volumes.", M_PREFIX, G_VOLUME, NULL },
	{ "spark.kubernetes.executor.volumes.", M_PREFIX, G_VOLUME, NULL },
	{ "spark.kubernetes.driver.secrets.", M_PREFIX, G_CONF, "secrets" },
	{ "spark.kubernetes.executor.secrets.", M_PREFIX, G_CONF, "secrets" },
	{ "spark.kubernetes.driver.secretKeyRef.", M_PREFIX, G_CONF, "secrets" },
	{ "spark.kubernetes.executor.secretKeyRef.", M_PREFIX, G_CONF, "secrets" },
	{ "spark.kubernetes.kerberos.", M_PREFIX, G_CONF, "secrets" },
	{ "spark.kubernetes.hadoop.configMapName", M_EXACT, G_CONF, "secrets" },
	{ "spark.kubernetes.driver.podTemplateFile", M_EXACT, G_CONF, "pod templates" },
	{ "spark.kubernetes.executor.podTemplateFile", M_EXACT, G_CONF, "pod templates" },
	{ "spark.kubernetes.driver.podTemplateContainerName", M_EXACT, G_CONF, "pod templates" },
	{ "spark.kubernetes.executor.podTemplateContainerName", M_EXACT, G_CONF, "pod templates" },
	{ "spark.kubernetes.scheduler.volcano.podGroupTemplateFile", M_EXACT, G_CONF, "pod templates" },
	{ "spark.kubernetes.driver.pod.featureSteps", M_EXACT, G_CONF, "feature steps" },
	{ "spark.kubernetes.executor.pod.featureSteps", M_EXACT, G_CONF, "feature steps" },
	{ "spark.kubernetes.driver.pod.excludedFeatureSteps", M_EXACT, G_CONF, "feature steps" },
	{ "spark.kubernetes.executor.pod.excludedFeatureSteps", M_EXACT, G_CONF, "feature steps" },
	{ "spark.kubernetes.namespace", M_EXACT, G_CONF, "the namespace" },
	{ "spark.kubernetes.file.upload.path", M_EXACT, G_CONF, "the upload path" },
	{ "spark.kubernetes.scheduler.name", M_EXACT, G_CONF, "the scheduler" },
	{ "spark.kubernetes.driver.scheduler.name", M_EXACT, G_CONF, "the scheduler" },
	{ "spark.kubernetes.executor.scheduler.name", M_EXACT, G_CONF, "the scheduler" },
	{ "spark.kubernetes.driver.label.", M_PREFIX, G_META, NULL },
	{ "spark.kubernetes.executor.label.", M_PREFIX, G_META, NULL },
	{ "spark.kubernetes.driver.annotation.", M_PREFIX, G_META, NULL },
	{ "spark.kubernetes.executor.annotation.", M_PREFIX, G_META, NULL },
};

/* Domains whose pod labels and annotations Kubernetes or its add-ons act on. */
static const char *const reserved_domains[] = { "kubernetes.io", "k8s.io", "amazonaws.com",
    "gke.io", "azure.workload.identity", "yunikorn.apache.org", "volcano.sh", "x-k8s.io" };
static const char *const reserved_bare[] = { "queue", "applicationId" };

/*
 * The key Spark will see: surrounding white space cut, and everything from the first '='
 * (the operator passes --conf K=V and spark-submit splits at the first '='). 0, or -1 when
 * it does not fit (then it is no property the table names).
 */
static int
canonical(const char *key, char *out, size_t n)
{
	size_t len;

	while (isspace((unsigned char)*key))
		key++;
	len = strcspn(key, "=");
	while (len > 0 && isspace((unsigned char)key[len - 1]))
		len--;
	if (len >= n)
		return -1;
	memcpy(out, key, len);
	out[len] = '\0';
	return 0;
}

int
bpg_guard_meta_key_reserved(const char *key)
{
	const char *slash = strchr(key, '/');
	size_t dlen;

	if (slash == NULL) {
		for (size_t i = 0; i < sizeof(reserved_bare) / sizeof(reserved_bare[0]); i++)
			if (strcmp(key, reserved_bare[i]) == 0)
				return 1;
		return 0;
	}
	dlen = (size_t)(slash - key);
	if (dlen == strlen("app.kubernetes.io") && strncasecmp(key, "app.kubernetes.io", dlen) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(reserved_domains) / sizeof(reserved_domains[0]); i++) {
		size_t rl = strlen(reserved_domains[i]);
		if (dlen >= rl && strncasecmp(slash - rl, reserved_domains[i], rl) == 0 &&
		    (dlen == rl || slash[-(long)rl - 1] == '.'))
			return 1;
	}
	return 0;
}

/* The refusal for a property no field can say (G_CONF). */
static enum bpg_err
refuse_conf(const char *path, const char *key, const char *queue_name, const char *what,
    struct bpg_why *why)
{
	return bpg_why_set(why, BPG_EFORBIDDEN,
	    "%s%.200s: queue %s does not allow setting %s through Spark "
	    "properties (allow_k8s_spark_conf)", path, key, queue_name, what);
}

/* spark.kubernetes.<role>.volumes.<type>.<name>.*: the type decides the rule. */
static enum bpg_err
guard_volume(const char *key, const char *type, const struct bpg_queue *q,
    const char *queue_name, int admin, struct bpg_why *why)
{
	if (strncmp(type, "hostPath.", 9) == 0) {
		if (q->allow_host_path)
			return BPG_OK;
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "sparkConf.%.200s: queue %s does not allow hostPath volumes", key,
		    queue_name);
	}
	/* the kinds the volumes field lets every queue have */
	if (strncmp(type, "emptyDir.", 9) == 0 || strncmp(type, "persistentVolumeClaim.", 22) == 0)
		return BPG_OK;
	if (q->allow_k8s_spark_conf || admin)
		return BPG_OK;
	return refuse_conf("sparkConf.", key, queue_name, "nfs or other volume types", why);
}

enum bpg_err
bpg_guard_conf_key(const char *key, const struct bpg_queue *q, const char *queue_name,
    int admin, struct bpg_why *why)
{
	char k[GUARD_KEY_MAX];
	size_t i, plen;

	if (canonical(key, k, sizeof(k)) != 0)
		return BPG_OK;
	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		plen = strlen(props[i].key);
		if (props[i].match == M_EXACT ? strcmp(k, props[i].key) == 0 :
		    strncmp(k, props[i].key, plen) == 0)
			break;
	}
	if (i == sizeof(props) / sizeof(props[0]))
		return BPG_OK;
	switch (props[i].guard) {
	case G_IMAGE:
		if (q->allow_custom_image)
			return BPG_OK;
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "sparkConf.%.200s: queue %s does not allow custom images", k,
		    queue_name);
	case G_SERVICE_ACCOUNT:
		if (q->allow_service_account)
			return BPG_OK;
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "sparkConf.%.200s: queue %s does not allow choosing a service "
		    "account", k, queue_name);
	case G_VOLUME:
		return guard_volume(k, k + plen, q, queue_name, admin, why);
	case G_META:
		if (!bpg_guard_meta_key_reserved(k + plen) || q->allow_k8s_spark_conf || admin)
			return BPG_OK;
		return refuse_conf("sparkConf.", k, queue_name, "reserved pod labels or annotations",
		    why);
	case G_CONF:
		if (q->allow_k8s_spark_conf || admin)
			return BPG_OK;
		return refuse_conf("sparkConf.", k, queue_name, props[i].what, why);
	}
	return bpg_why_set(why, BPG_EINTERNAL, "sparkConf.%.200s: no rule", k);
}

/* role.labels and role.annotations: reserved keys need the flag or an admin. */
static enum bpg_err
guard_meta(const cJSON *pod, const char *role, const struct bpg_queue *q,
    const char *queue_name, int admin, struct bpg_why *why)
{
	static const char *const maps[] = { "labels", "annotations" };
	const cJSON *it;
	char path[64];

	if (q->allow_k8s_spark_conf || admin)
		return BPG_OK;
	for (size_t i = 0; i < 2; i++)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(pod, maps[i]))
			if (it->string != NULL && bpg_guard_meta_key_reserved(it->string)) {
				snprintf(path, sizeof(path), "%s.%s.", role, maps[i]);
				return refuse_conf(path, it->string, queue_name,
				    "reserved pod labels or annotations", why);
			}
	return BPG_OK;
}

enum bpg_err
bpg_guard_request(const cJSON *req, const struct bpg_queue *q, const char *queue_name,
    int admin, struct bpg_why *why)
{
	const cJSON *it;
	enum bpg_err err;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(req, "sparkConf"))
		if (it->string != NULL && (err = bpg_guard_conf_key(it->string, q, queue_name, admin,
		    why)) != BPG_OK)
			return err;
	if ((err = guard_meta(cJSON_GetObjectItemCaseSensitive(req, "driver"), "driver", q,
	    queue_name, admin, why)) != BPG_OK)
		return err;
	return guard_meta(cJSON_GetObjectItemCaseSensitive(req, "executor"), "executor", q,
	    queue_name, admin, why);
}
