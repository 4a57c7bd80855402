/* bpg_request: a SubmitApplicationRequest parsed, coerced and validated at one boundary. */
#ifndef BPG_REQUEST_H
#define BPG_REQUEST_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"

/* Limits on hostile input, all checked before the value is used. */
#define BPG_REQ_MAX_STRING   8192     /* any string value */
#define BPG_REQ_MAX_KEY      253      /* a map key, an env name */
#define BPG_REQ_MAX_ARGS     256      /* arguments[] */
#define BPG_REQ_MAX_CONF     1000     /* sparkConf entries */
#define BPG_REQ_MAX_ENV      256      /* env[] of one pod */
#define BPG_REQ_MAX_LABELS   64       /* labels or annotations of one pod */
#define BPG_REQ_MAX_VOLUMES  64       /* volumes[], volumeMounts[] */
#define BPG_REQ_MAX_DEPS     256      /* each deps list */
#define BPG_REQ_MAX_ITEMS    256      /* any other nested list */
#define BPG_REQ_MAX_DIGITS   15       /* digits before or after the point of a quantity */
#define BPG_REQ_MAX_CORES    1024     /* driver.cores, executor.cores */
#define BPG_REQ_MAX_MILLICORES 1024000
#define BPG_REQ_MAX_MEMORY_MB 16777216LL   /* 16 TiB */
#define BPG_REQ_MAX_INSTANCES 100000
#define BPG_REQ_PATH_MAX     256      /* a field path in a message */
#define BPG_REQ_MAX_IGNORED  16       /* ignored nested fields listed (the rest go unnamed) */
/* Numbers coerced to strings must be below 2^53: a larger double is no longer the one sent. */
#define BPG_REQ_EXACT_INT    9007199254740992.0
/* The submission id <clusterId>-<32 hex>[-<suffix>] is at most 63 characters (a label). */
#define BPG_REQ_ID_MAX       63
#define BPG_REQ_ID_HEX       32
/* At parse time the cluster is unknown: a suffix fits with the shortest (1-character) id. */
#define BPG_REQ_SUFFIX_MAX   (BPG_REQ_ID_MAX - 1 - 1 - BPG_REQ_ID_HEX - 1)

/* One pod's request (driver or executor); -1 for numbers not given. */
struct bpg_pod_req {
	const cJSON *j;             /* the coerced object, or NULL */
	long long cores;
	long long core_request_m;   /* millicores */
	long long core_limit_m;
	long long memory_mb;
	long long memory_overhead_mb;
	long long instances;        /* executor */
	const char *service_account;
	const char *image;
	int privileged;             /* securityContext asks for privileges */
};

/* The request. The strings point into its canonical JSON tree. */
struct bpg_submit_req {
	cJSON *j;                   /* canonical: coerced, known fields only at the top */
	const char *suffix, *app_name, *type, *image, *spark_version, *main_class;
	const char *main_file, *cluster_id, *queue, *queue_token;
	int spot;
	int host_path;              /* a hostPath volume is asked for */
	struct bpg_pod_req driver, executor;
	long long max_running_ms;   /* sparkConf bpg.maxRunningMillis, -1 if absent */
	long long conf_executor_instances;   /* sparkConf spark.executor.instances, -1 */
	cJSON *ignored;             /* paths of unknown nested fields dropped ("driver.memroy"),
	                               an array of strings; NULL when none (or BPG_REQ_STRICT) */
};

/* Flags of bpg_request_parse_body(). */
#define BPG_REQ_YAML   0x1u    /* the body is YAML (bpg_yamlread), not JSON */
#define BPG_REQ_STRICT 0x2u    /* unknown nested fields are refused (/apiv2), not dropped */
#define BPG_REQ_JAVA   0x4u    /* the Java gateway's leniency (/skatev2): spotInstance from
                                  "true"/"false" strings, mode ignored (always cluster) */

/* 1 when a Content-Type asks for YAML: it contains "yaml" (case-insensitive), as in BPG. */
int bpg_request_is_yaml(const char *content_type);

/*
 * Parses a request body, JSON or YAML by flags, into the same tree and then through the same
 * rules as bpg_request_parse(). Unknown fields inside the nested objects we model (driver,
 * executor, deps, volumes, env, restartPolicy, securityContext, ...) are BPG_EINVAL naming
 * the path ("driver.memroy: unknown field") with BPG_REQ_STRICT; without it they are dropped
 * and listed in (*out)->ignored. Syntax errors are "Invalid JSON request: ..." or
 * "Invalid YAML request: line L, column C: ...". Free with bpg_request_free().
 */
enum bpg_err bpg_request_parse_body(const char *body, size_t len, unsigned flags,
    struct bpg_submit_req **out, struct bpg_why *why);

/*
 * Parses a JSON SubmitApplicationRequest with the Java gateway's coercions (numbers and
 * booleans for strings, numeric strings for numbers, floats truncated, null spotInstance
 * false). Unknown top-level fields, bad types and every rule broken are BPG_EINVAL with
 * why naming the field and the rule; unknown nested fields are dropped (listed in ignored).
 * Free with bpg_request_free().
 */
enum bpg_err bpg_request_parse(const char *body, size_t len, struct bpg_submit_req **out,
    struct bpg_why *why);

void bpg_request_free(struct bpg_submit_req *r);

/*
 * The rules that depend on the queue, after routing: cores and memory within the queue's
 * minimum and maximum, executor instances (field and spark.executor.instances) within its
 * cap, bpg.maxRunningMillis within its limit (BPG_EINVAL); privileged pods, hostPath
 * volumes, service accounts and images only where the queue allows them, whether asked by
 * a field or a Spark property, and the Spark properties and pod metadata bpg_guard holds
 * (BPG_EFORBIDDEN). admin: the caller is an admin (bpg_guard's allow_k8s_spark_conf rule).
 */
enum bpg_err bpg_request_check(const struct bpg_submit_req *r, const struct bpg_queue *q,
    const char *queue_name, int admin, struct bpg_why *why);

/*
 * The suffix fits with this cluster's id: "<cluster_id>-<32 hex>-<suffix>" is at most
 * BPG_REQ_ID_MAX characters. BPG_EINVAL naming submissionIdSuffix otherwise.
 */
enum bpg_err bpg_request_check_cluster(const struct bpg_submit_req *r, const char *cluster_id,
    struct bpg_why *why);

/* Accessors; NULL when the request did not say (type is never NULL: Java's derivation). */
const char *bpg_request_queue(const struct bpg_submit_req *r);
const char *bpg_request_spark_version(const struct bpg_submit_req *r);
const char *bpg_request_cluster_id(const struct bpg_submit_req *r);
const char *bpg_request_queue_token(const struct bpg_submit_req *r);
const char *bpg_request_type(const struct bpg_submit_req *r);
const char *bpg_request_app_name(const struct bpg_submit_req *r);

/*
 * Memory strings to MiB, rounded up: "512m", "2g", "1.5g" (1536), "1024k", "1t", "4Gi",
 * "1073741824b"; a plain number is MiB, as Spark reads spark.driver.memory. Decimal digits
 * only (no sign, exponent or hex), at most BPG_REQ_MAX_MEMORY_MB. BPG_EINVAL otherwise.
 */
enum bpg_err bpg_request_memory_mb(const char *s, long long *mb_out);

/* Kubernetes CPU quantities: "500m", "1", "1.5" to millicores (1 to BPG_REQ_MAX_MILLICORES). */
enum bpg_err bpg_request_millicores(const char *s, long long *m_out);

/* The canonical JSON of the request (a copy; cJSON_Delete it). */
cJSON *bpg_request_to_json(const struct bpg_submit_req *r);

/* The Java gateway's label normalization (spec 4.13) into out (64 bytes). */
void bpg_request_label_value(const char *s, char out[64]);

#endif
