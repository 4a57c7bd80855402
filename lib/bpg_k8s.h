/* bpg_k8s: the Kubernetes API client (libcurl): one reused connection per cluster. */
#ifndef BPG_K8S_H
#define BPG_K8S_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_err.h"

#define BPG_K8S_MAX_BODY    ((size_t)32 << 20)   /* largest response read into memory */
#define BPG_K8S_MAX_TOKEN   16384
#define BPG_K8S_GROUP_PATH  "/apis/sparkoperator.k8s.io/v1beta2"

struct bpg_k8s;

/* A response: status 0 means no HTTP answer (see the error). body is NUL-terminated. */
struct bpg_k8s_resp {
	long status;
	struct bpg_buf body;
	long retry_after;      /* seconds from Retry-After, -1 if absent */
};

/* Makes one handle per configured cluster; nothing connects yet. Free with bpg_k8s_free(). */
enum bpg_err bpg_k8s_new(const struct bpg_config *cfg, struct bpg_k8s **out);

/* Closes every connection; NULL is a no-op. The cached tokens are wiped. */
void bpg_k8s_free(struct bpg_k8s *k);

void bpg_k8s_resp_init(struct bpg_k8s_resp *r);
void bpg_k8s_resp_release(struct bpg_k8s_resp *r);

/*
 * Sends one request to cluster c: path (with query) below the API server URL, an optional
 * body with its content type. Returns BPG_OK whenever an HTTP answer arrived, whatever its
 * status (see bpg_k8s_check); BPG_EUNAVAIL when the cluster could not be reached or timed
 * out, BPG_EUPSTREAM when the answer was larger than BPG_K8S_MAX_BODY, with why set.
 * Reads the bearer token again when its file changed (projected tokens rotate).
 */
struct bpg_k8s_req {
	const char *method, *path;
	const char *content_type;   /* or NULL */
	const char *body;           /* or NULL */
	size_t len;
};
enum bpg_err bpg_k8s_request(struct bpg_k8s *k, const struct bpg_cluster *c,
    const struct bpg_k8s_req *rq, struct bpg_k8s_resp *resp, struct bpg_why *why);

/*
 * Maps a response to an error for the gateway's client: 2xx BPG_OK; 404 BPG_ENOTFOUND;
 * 409 BPG_ECONFLICT; 400/422 BPG_EINVAL naming the fields of details.causes; 401/403
 * BPG_EUPSTREAM "cluster <id> rejected the gateway's credentials"; 429, 5xx BPG_EUNAVAIL
 * naming the cluster; anything else BPG_EUPSTREAM. why gets the message.
 */
enum bpg_err bpg_k8s_check(const struct bpg_cluster *c, const struct bpg_k8s_resp *resp,
    struct bpg_why *why);

/* Percent-encodes s for a query value into out. */
enum bpg_err bpg_k8s_query_escape(const char *s, struct bpg_buf *out);

/*
 * Creates the SparkApplication app. The answer (the stored object) is checked to be JSON
 * and only its metadata.creationTimestamp is read, into created (RFC 3339, "" when none),
 * without a tree of the whole object.
 */
enum bpg_err bpg_k8s_create_app(struct bpg_k8s *k, const struct bpg_cluster *c, const cJSON *app,
    char *created, size_t createdlen, struct bpg_why *why);

/* SparkApplication calls in the cluster's namespace; *out is the parsed object (cJSON_Delete). */
enum bpg_err bpg_k8s_get_app(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name,
    cJSON **out, struct bpg_why *why);
enum bpg_err bpg_k8s_delete_app(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name,
    cJSON **out, struct bpg_why *why);

/*
 * One page of SparkApplications matching label_selector (NULL: all), at most limit, from
 * the continue token cont (NULL: first page). BPG_ECONFLICT means 410 Expired: list again
 * from the start. *out is the SparkApplicationList.
 */
enum bpg_err bpg_k8s_list_apps(struct bpg_k8s *k, const struct bpg_cluster *c,
    const char *label_selector, long limit, const char *cont, cJSON **out,
    struct bpg_why *why);

/* Events of the object named name (kind may be NULL). *out is the EventList. */
enum bpg_err bpg_k8s_list_events(struct bpg_k8s *k, const struct bpg_cluster *c,
    const char *name, const char *kind, cJSON **out, struct bpg_why *why);

/* GET of a pod in the cluster's namespace. */
enum bpg_err bpg_k8s_get_pod(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name,
    cJSON **out, struct bpg_why *why);

/* DELETE of a pod (how the monitor stops an over-running app: the operator fails it). */
enum bpg_err bpg_k8s_delete_pod(struct bpg_k8s *k, const struct bpg_cluster *c, const char *name,
    struct bpg_why *why);

/* Receives a streamed body as it arrives; returns 0 to go on, non-zero to stop. */
typedef int (*bpg_k8s_sink)(void *arg, const char *data, size_t len);

/* What to read of a pod's log. */
struct bpg_k8s_log_opts {
	const char *container;      /* NULL: the API server's choice (a pod of one container) */
	long long tail_lines;       /* 0: all */
	long long limit_bytes;      /* 0: no limit */
	int follow;                 /* stream while the container runs */
	long long max_ms;           /* the longest the whole stream may take */
};

/*
 * GET of a pod's log, streamed to sink. No total timeout but o->max_ms; a stream that
 * stalls for the cluster's timeout is cut, unless it follows the log (a quiet pod is
 * normal then). Errors as bpg_k8s_check (400 BPG_EINVAL with the API server's message,
 * 404 BPG_ENOTFOUND); BPG_EIO when the sink stopped it. Whatever reached the sink stays sent.
 */
enum bpg_err bpg_k8s_stream_log(struct bpg_k8s *k, const struct bpg_cluster *c,
    const char *pod, const struct bpg_k8s_log_opts *o, bpg_k8s_sink sink, void *arg,
    struct bpg_why *why);

/* GET /version: BPG_OK when the API server answers with our credentials. */
enum bpg_err bpg_k8s_ping(struct bpg_k8s *k, const struct bpg_cluster *c, struct bpg_why *why);

#endif
