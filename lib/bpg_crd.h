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
#define BPG_CRD_ORIGINAL_USER "bpg.dev/original-user"

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
 * Builds the SparkApplication (spec section 4, with the Java gateway's bugs fixed). Only
 * fields the operator's CRD schema declares are written, so a real API server prunes
 * nothing. BPG_EINVAL when no image matches the type and version. cJSON_Delete the result.
 */
enum bpg_err bpg_crd_build(const struct bpg_crd_in *in, cJSON **out, char *why, size_t whylen);

#endif
