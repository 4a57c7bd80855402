/* bpg_request: a SubmitApplicationRequest parsed, coerced and validated at one boundary. */
#ifndef BPG_REQUEST_H
#define BPG_REQUEST_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"

#define BPG_REQ_MAX_STRING   8192
#define BPG_REQ_MAX_ARGS     256
#define BPG_REQ_MAX_CONF     1000
#define BPG_REQ_MAX_ENV      256
#define BPG_REQ_MAX_LABELS   64
#define BPG_REQ_MAX_VOLUMES  64
#define BPG_REQ_MAX_DEPS     256

/* One pod's request (driver or executor); -1 for numbers not given. */
struct bpg_pod_req {
	const cJSON *j;             /* the coerced object, or NULL */
	long long cores;
	long long core_request_m;   /* millicores */
	long long core_limit_m;
	long long memory_mb;
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
};

/*
 * Parses a JSON SubmitApplicationRequest with the Java gateway's coercions (numbers and
 * booleans for strings, numeric strings for numbers, floats truncated, null spotInstance
 * false). Unknown top-level fields, bad types and every rule broken are BPG_EINVAL with
 * why naming the field and the rule. Free with bpg_request_free().
 */
enum bpg_err bpg_request_parse(const char *body, size_t len, struct bpg_submit_req **out,
    char *why, size_t whylen);

void bpg_request_free(struct bpg_submit_req *r);

/*
 * The rules that depend on the queue, after routing: cores and memory within the queue's
 * minimum and maximum, executor instances (field and spark.executor.instances) within its
 * cap, bpg.maxRunningMillis within its limit (BPG_EINVAL); privileged pods, hostPath
 * volumes, service accounts and images only where the queue allows them (BPG_EFORBIDDEN).
 */
enum bpg_err bpg_request_check(const struct bpg_submit_req *r, const struct bpg_queue *q,
    const char *queue_name, char *why, size_t whylen);

/* Memory strings: "512m", "2g", "1.5g", "1024" (MiB, as Spark reads a driver memory). */
enum bpg_err bpg_request_memory_mb(const char *s, long long *mb_out);

/* Kubernetes CPU quantities: "500m", "1", "1.5" to millicores. */
enum bpg_err bpg_request_millicores(const char *s, long long *m_out);

/* The canonical JSON of the request (a copy; cJSON_Delete it). */
cJSON *bpg_request_to_json(const struct bpg_submit_req *r);

/* The Java gateway's label normalization (spec 4.13) into out (64 bytes). */
void bpg_request_label_value(const char *s, char out[64]);

#endif
