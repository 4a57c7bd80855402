/* bpg_subid: submission ids: <clusterId>-<32 lowercase hex>[-suffix], at most 63 characters. */
#ifndef BPG_SUBID_H
#define BPG_SUBID_H

#include <stddef.h>
#include "bpg_config.h"
#include "bpg_err.h"

#define BPG_SUBID_MAX 63      /* the operator derives pod and service names from it */
#define BPG_SUBID_HEX 32

/*
 * Makes a new id for cluster_id with an optional suffix (NULL or ""), from 16 random bytes
 * (OpenSSL RAND_bytes). BPG_EINVAL naming submissionIdSuffix when the suffix is not
 * lowercase letters, digits and '-' starting and ending alphanumeric, or the id would be
 * longer than BPG_SUBID_MAX.
 */
enum bpg_err bpg_subid_new(const char *cluster_id, const char *suffix, char *out, size_t outlen,
    struct bpg_why *why);

/* The same from given random bytes (tests). */
enum bpg_err bpg_subid_new_with_bytes(const char *cluster_id, const char *suffix,
    const unsigned char bytes[16], char *out, size_t outlen, struct bpg_why *why);

/*
 * Resolves the cluster of id. BPG_EINVAL "submissionId <id> is invalid" when id is not
 * <clusterId>-<32 hex>[-suffix] within BPG_SUBID_MAX characters of [a-z0-9-], and
 * "Cluster <cid> (in submissionId: <id>) not exists" (the Java gateway's words) when the
 * cluster is not configured. Hostile input is checked before anything is echoed.
 */
enum bpg_err bpg_subid_parse(const struct bpg_config *cfg, const char *id,
    const struct bpg_cluster **cluster_out, struct bpg_why *why);

/* True for a Spark application id: "spark-" then 1-64 of [a-z0-9-]. */
int bpg_subid_is_app_id(const char *s);

#endif
