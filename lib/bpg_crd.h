/* bpg_crd: the SparkApplication (sparkoperator.k8s.io/v1beta2) built from a request. */
#ifndef BPG_CRD_H
#define BPG_CRD_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_request.h"

#define BPG_CRD_PLACEHOLDER "{spark-application-resource-name}"
#define BPG_CRD_MANAGED_BY_KEY "app.kubernetes.io/managed-by"
#define BPG_CRD_MANAGED_BY "bpg"
#define BPG_CRD_ORIGINAL_USER "bpg.dev/original-user"   /* annotation: spec.originalUser is pruned */
#define BPG_CRD_PROXY_USER "bpg.dev/proxy-user"         /* annotation: the proxy user verbatim */
#define BPG_CRD_API_VERSION "sparkoperator.k8s.io/v1beta2"
#define BPG_CRD_KIND "SparkApplication"
#define BPG_CRD_NAME_MAX 63                 /* metadata.name: a DNS-1123 label */
#define BPG_CRD_QUEUE_LABEL_MAX 300         /* "root.<queue>" before normalization */
#define BPG_CRD_NODE_LABEL_KEY "node_group_category"   /* the queue's default */
#define BPG_CRD_DEFAULT_CORES 1             /* Java's driver and executor defaults */
#define BPG_CRD_DEFAULT_MEMORY_MB 1024

struct bpg_crd_in {
	const struct bpg_config *cfg;
	const struct bpg_submit_req *req;
	const struct bpg_cluster *cluster;
	const struct bpg_queue *queue;      /* the resolved queue's config */
	const char *queue_name;             /* full normalized queue, e.g. "etl.daily" */
	const char *submission_id;          /* metadata.name */
	const char *user;                   /* authenticated user */
	const char *proxy_user;             /* the owner: spec.proxyUser, label proxyUser */
	const char *zone;                   /* picked availability zone or NULL */
};

/*
 * Builds the SparkApplication (spec section 4, with the Java gateway's bugs fixed; the
 * differences are listed in t/fixtures/requests/README.md). Only fields the operator's CRD
 * schema declares are written, so a real API server prunes nothing. Every pointer of in is
 * required except zone (BPG_EINTERNAL). BPG_EINVAL with why naming the field when no image
 * matches the type and version, the submission id is not a DNS-1123 label of at most 63
 * characters, a CPU limit is below its request, or a volume mount names no volume.
 * *out is written only on success; cJSON_Delete() it.
 */
enum bpg_err bpg_crd_build(const struct bpg_crd_in *in, cJSON **out, struct bpg_why *why);

#endif
