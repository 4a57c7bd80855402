/* bpg_guard: the queue's rules on the Spark properties and pod metadata that reach the pod. */
#ifndef BPG_GUARD_H
#define BPG_GUARD_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"

/*
 * Holds one Spark property key (as the user sent it in sparkConf, Livy's conf or a YAML
 * body) to the queue rule of the field that does the same: container images to
 * allow_custom_image, hostPath volumes to allow_host_path, service accounts to
 * allow_service_account. Properties no field can say (secrets, pod templates, the
 * namespace, the upload path, API credentials, the scheduler, feature steps, Kerberos,
 * volume types other than hostPath, emptyDir and persistentVolumeClaim, reserved pod
 * labels and annotations) need allow_k8s_spark_conf or an admin. The key is matched
 * case-exactly, as Spark reads it, after surrounding white space and anything from the
 * first '=' are cut (spark-submit's --conf K=V splits there). BPG_EFORBIDDEN with why
 * naming the property and the queue; BPG_OK otherwise.
 */
enum bpg_err bpg_guard_conf_key(const char *key, const struct bpg_queue *q,
    const char *queue_name, int admin, struct bpg_why *why);

/*
 * 1 when a pod label or annotation key is reserved: the domains Kubernetes, the cloud
 * identity webhooks, the operator and the batch schedulers read (kubernetes.io, k8s.io,
 * x-k8s.io, amazonaws.com, gke.io, azure.workload.identity, yunikorn.apache.org, volcano.sh, and
 * their subdomains; app.kubernetes.io excepted) and the bare keys queue and applicationId
 * (YuniKorn's queue placement).
 */
int bpg_guard_meta_key_reserved(const char *key);

/*
 * Every guard of a canonical request tree (bpg_request): each sparkConf key
 * (bpg_guard_conf_key) and the driver's and executor's labels and annotations (reserved
 * keys need allow_k8s_spark_conf or an admin). BPG_EFORBIDDEN naming the first refused.
 */
enum bpg_err bpg_guard_request(const cJSON *req, const struct bpg_queue *q,
    const char *queue_name, int admin, struct bpg_why *why);

#endif
