/* Unit tests for bpg_guard: Spark properties held to the rule of the field that does the same. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_guard.h"
#include "testkit.h"

/* The queue flags a case turns on. */
#define IMG  0x1
#define HOST 0x2
#define SA   0x4
#define K8S  0x8
#define ADM  0x10   /* the caller is an admin */

/*
 * Each key on a queue allowing nothing (refused with msg, or BPG_OK), then on a queue with
 * the flags in allow: BPG_OK (a refused key with allow 0 is refused everywhere but admins'
 * K8S keys: none such here).
 */
static const struct {
	const char *key;
	enum bpg_err err;
	const char *msg;
	unsigned allow;
} keys[] = {
	/* images: allow_custom_image, as the image fields */
	{ "spark.kubernetes.container.image", BPG_EFORBIDDEN,
	  "sparkConf.spark.kubernetes.container.image: queue q does not allow custom images", IMG },
	{ "spark.kubernetes.driver.container.image", BPG_EFORBIDDEN, "custom images", IMG },
	{ "spark.kubernetes.executor.container.image", BPG_EFORBIDDEN, "custom images", IMG },
	{ "spark.kubernetes.container.image.pullSecrets", BPG_EFORBIDDEN, "custom images", IMG },
	{ "spark.kubernetes.driver.docker.image", BPG_EFORBIDDEN, "custom images", IMG },
	{ "spark.kubernetes.container.image.pullPolicy", BPG_OK, "", 0 },   /* the field is free */
	/* tricks: white space around the key, a '=' inside it (--conf K=V splits there) */
	{ " spark.kubernetes.container.image", BPG_EFORBIDDEN, "custom images", IMG },
	{ "spark.kubernetes.container.image\t ", BPG_EFORBIDDEN, "custom images", IMG },
	{ "spark.kubernetes.container.image=evil/spark", BPG_EFORBIDDEN, "custom images", IMG },
	{ "spark.kubernetes.driver.volumes.hostPath.r.options.path=/", BPG_EFORBIDDEN, "hostPath", HOST },
	/* case-exact, as Spark: these are no Spark properties (and reach the CR unchanged) */
	{ "Spark.kubernetes.container.image", BPG_OK, "", 0 },
	{ "spark.kubernetes.Container.image", BPG_OK, "", 0 },
	{ "spark.kubernetes.driver.volumes.HostPath.r.mount.path", BPG_EFORBIDDEN,
	  "nfs or other volume types", K8S },
	/* volumes: hostPath as the volumes field; emptyDir and PVCs free as there; others K8S */
	{ "spark.kubernetes.driver.volumes.hostPath.root.mount.path", BPG_EFORBIDDEN,
	  "sparkConf.spark.kubernetes.driver.volumes.hostPath.root.mount.path: queue q does not "
	  "allow hostPath volumes", HOST },
	{ "spark.kubernetes.executor.volumes.hostPath.root.options.path", BPG_EFORBIDDEN, "hostPath",
	  HOST },
	{ "spark.kubernetes.driver.volumes.emptyDir.tmp.mount.path", BPG_OK, "", 0 },
	{ "spark.kubernetes.executor.volumes.persistentVolumeClaim.d.options.claimName", BPG_OK, "", 0 },
	{ "spark.kubernetes.driver.volumes.nfs.n.options.server", BPG_EFORBIDDEN,
	  "does not allow setting nfs or other volume types through Spark properties "
	  "(allow_k8s_spark_conf)", K8S },
	{ "spark.kubernetes.executor.volumes.nfs.n.mount.path", BPG_EFORBIDDEN, "nfs", ADM },
	/* service accounts: allow_service_account; other credentials: K8S */
	{ "spark.kubernetes.authenticate.driver.serviceAccountName", BPG_EFORBIDDEN,
	  "queue q does not allow choosing a service account", SA },
	{ "spark.kubernetes.authenticate.executor.serviceAccountName", BPG_EFORBIDDEN,
	  "service account", SA },
	{ "spark.kubernetes.driver.serviceAccountName", BPG_EFORBIDDEN, "service account", SA },
	{ "spark.kubernetes.authenticate.driver.oauthTokenFile", BPG_EFORBIDDEN, "API credentials", K8S },
	{ "spark.kubernetes.authenticate.submission.caCertFile", BPG_EFORBIDDEN, "API credentials", ADM },
	{ "spark.kubernetes.trust.certificates", BPG_EFORBIDDEN, "API credentials", K8S },
	{ "spark.kubernetes.context", BPG_EFORBIDDEN, "API credentials", K8S },
	/* what no field says */
	{ "spark.kubernetes.driver.secrets.db", BPG_EFORBIDDEN,
	  "sparkConf.spark.kubernetes.driver.secrets.db: queue q does not allow setting secrets", K8S },
	{ "spark.kubernetes.executor.secrets.db", BPG_EFORBIDDEN, "secrets", K8S },
	{ "spark.kubernetes.driver.secretKeyRef.PW", BPG_EFORBIDDEN, "secrets", K8S },
	{ "spark.kubernetes.executor.secretKeyRef.PW", BPG_EFORBIDDEN, "secrets", ADM },
	{ "spark.kubernetes.kerberos.tokenSecret.name", BPG_EFORBIDDEN, "secrets", K8S },
	{ "spark.kubernetes.driver.podTemplateFile", BPG_EFORBIDDEN, "pod templates", K8S },
	{ "spark.kubernetes.executor.podTemplateFile", BPG_EFORBIDDEN, "pod templates", K8S },
	{ "spark.kubernetes.driver.podTemplateContainerName", BPG_EFORBIDDEN, "pod templates", K8S },
	{ "spark.kubernetes.driver.pod.featureSteps", BPG_EFORBIDDEN, "feature steps", K8S },
	{ "spark.kubernetes.namespace", BPG_EFORBIDDEN, "the namespace", K8S },
	{ "spark.kubernetes.file.upload.path", BPG_EFORBIDDEN, "the upload path", ADM },
	{ "spark.kubernetes.scheduler.name", BPG_EFORBIDDEN, "the scheduler", K8S },
	{ "spark.kubernetes.executor.scheduler.name", BPG_EFORBIDDEN, "the scheduler", K8S },
	/* pod labels and annotations: reserved keys only */
	{ "spark.kubernetes.driver.annotation.cluster-autoscaler.kubernetes.io/safe-to-evict",
	  BPG_EFORBIDDEN, "reserved pod labels or annotations", K8S },
	{ "spark.kubernetes.driver.annotation.iam.amazonaws.com/role", BPG_EFORBIDDEN, "reserved", K8S },
	{ "spark.kubernetes.executor.label.azure.workload.identity/use", BPG_EFORBIDDEN, "reserved", ADM },
	{ "spark.kubernetes.executor.label.queue", BPG_EFORBIDDEN, "reserved", K8S },
	{ "spark.kubernetes.driver.annotation.yunikorn.apache.org/queue", BPG_EFORBIDDEN, "reserved", K8S },
	{ "spark.kubernetes.driver.label.app.kubernetes.io/name", BPG_OK, "", 0 },
	{ "spark.kubernetes.driver.label.team", BPG_OK, "", 0 },
	{ "spark.kubernetes.driver.annotation.notkubernetes.io/x", BPG_OK, "", 0 },
	/* node selectors are ANDed with the queue's node affinity: they narrow, never escape */
	{ "spark.kubernetes.node.selector.node_group_category", BPG_OK, "", 0 },
	{ "spark.kubernetes.driver.node.selector.topology.kubernetes.io/zone", BPG_OK, "", 0 },
	{ "spark.executor.memory", BPG_OK, "", 0 },
	{ "spark.kubernetes.executor.request.cores", BPG_OK, "", 0 },
};

START_TEST(test_conf_keys)
{
	struct bpg_queue q;
	char why[512] = "";
	unsigned a = keys[_i].allow;

	memset(&q, 0, sizeof(q));
	ck_assert_int_eq(bpg_guard_conf_key(keys[_i].key, &q, "q", 0, BPG_WHY(why)), keys[_i].err);
	if (keys[_i].err == BPG_OK)
		return;
	ck_assert_msg(strstr(why, keys[_i].msg) != NULL, "'%s' lacks '%s'", why, keys[_i].msg);
	/* every other flag does not open it */
	q.allow_custom_image = !(a & IMG);
	q.allow_host_path = !(a & HOST);
	q.allow_service_account = !(a & SA);
	q.allow_k8s_spark_conf = !(a & (K8S | ADM));
	q.allow_privileged = q.allow_cluster_id = 1;
	ck_assert_int_eq(bpg_guard_conf_key(keys[_i].key, &q, "q", 0, BPG_WHY(why)),
	    BPG_EFORBIDDEN);
	/* an admin passes the K8S ones only; the field rules bind admins as the fields do */
	ck_assert_int_eq(bpg_guard_conf_key(keys[_i].key, &q, "q", 1, BPG_WHY(why)),
	    (a & (K8S | ADM)) ? BPG_OK : BPG_EFORBIDDEN);
	memset(&q, 0, sizeof(q));
	q.allow_custom_image = !!(a & IMG);
	q.allow_host_path = !!(a & HOST);
	q.allow_service_account = !!(a & SA);
	q.allow_k8s_spark_conf = !!(a & (K8S | ADM));
	ck_assert_int_eq(bpg_guard_conf_key(keys[_i].key, &q, "q", 0, BPG_WHY(why)), BPG_OK);
}
END_TEST

static const struct { const char *key; int reserved; } meta[] = {
	{ "kubernetes.io/psp", 1 }, { "cluster-autoscaler.kubernetes.io/safe-to-evict", 1 },
	{ "container.apparmor.security.beta.kubernetes.io/spark", 1 },
	{ "seccomp.security.alpha.kubernetes.io/pod", 1 }, { "sparkoperator.k8s.io/app-name", 1 },
	{ "kueue.x-k8s.io/queue-name", 1 }, { "eks.amazonaws.com/role-arn", 1 },
	{ "iam.gke.io/gcp-service-account", 1 }, { "scheduling.volcano.sh/queue-name", 1 },
	{ "Kubernetes.IO/x", 1 }, { "queue", 1 }, { "applicationId", 1 },
	{ "app.kubernetes.io/name", 0 }, { "team", 0 }, { "dag_name", 0 }, { "example.com/queue", 0 },
	{ "xkubernetes.io/x", 0 }, { "kubernetes.io.example.com/x", 0 }, { "Queue", 0 },
};

START_TEST(test_meta_keys)
{
	ck_assert_msg(bpg_guard_meta_key_reserved(meta[_i].key) == meta[_i].reserved, "%s",
	    meta[_i].key);
}
END_TEST

/* The whole request: every sparkConf key and both pods' labels and annotations. */
static const struct { const char *req; enum bpg_err err; const char *msg; } reqs[] = {
	{ "{\"sparkConf\":{\"a\":\"1\",\"spark.kubernetes.namespace\":\"kube-system\"}}", BPG_EFORBIDDEN,
	  "sparkConf.spark.kubernetes.namespace: queue q does not allow setting the namespace" },
	{ "{\"driver\":{\"annotations\":{\"iam.amazonaws.com/role\":\"admin\"}}}", BPG_EFORBIDDEN,
	  "driver.annotations.iam.amazonaws.com/role: queue q does not allow setting reserved" },
	{ "{\"executor\":{\"labels\":{\"queue\":\"root.other\"}}}", BPG_EFORBIDDEN,
	  "executor.labels.queue: queue q" },
	{ "{\"driver\":{\"labels\":{\"team\":\"x\"}},\"sparkConf\":{\"spark.app.name\":\"x\"}}", BPG_OK,
	  "" },
	{ "{}", BPG_OK, "" },
};

START_TEST(test_request)
{
	cJSON *j = cJSON_Parse(reqs[_i].req);
	struct bpg_queue q;
	char why[512] = "";

	memset(&q, 0, sizeof(q));
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(bpg_guard_request(j, &q, "q", 0, BPG_WHY(why)), reqs[_i].err);
	ck_assert_msg(strstr(why, reqs[_i].msg) != NULL, "'%s' lacks '%s'", why, reqs[_i].msg);
	ck_assert_int_eq(bpg_guard_request(j, &q, "q", 1, BPG_WHY(why)), BPG_OK);
	q.allow_k8s_spark_conf = 1;
	ck_assert_int_eq(bpg_guard_request(j, &q, "q", 0, BPG_WHY(why)), BPG_OK);
	cJSON_Delete(j);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_conf_keys, keys),
		TK_LOOP(test_meta_keys, meta),
		TK_LOOP(test_request, reqs),
	};

	return tk_run("bpg_guard", tests, TK_LEN(tests), NULL);
}
