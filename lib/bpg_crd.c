/* bpg_crd: the SparkApplication (sparkoperator.k8s.io/v1beta2) built from a request. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_buf.h"
#include "bpg_crd.h"

#define SAFE_TO_EVICT "cluster-autoscaler.kubernetes.io/safe-to-evict"
#define ZONE_KEY "topology.kubernetes.io/zone"

/* Returns s with every placeholder replaced by id (a new string, free()); NULL on ENOMEM. */
static char *
subst(const char *s, const char *id)
{
	struct bpg_buf b;
	const char *p;
	char *out = NULL;
	size_t plen = strlen(BPG_CRD_PLACEHOLDER);

	bpg_buf_init(&b, 0);
	while ((p = strstr(s, BPG_CRD_PLACEHOLDER)) != NULL) {
		if (bpg_buf_append(&b, s, (size_t)(p - s)) != BPG_OK || bpg_buf_puts(&b, id) != BPG_OK)
			goto out;
		s = p + plen;
	}
	if (bpg_buf_puts(&b, s) == BPG_OK)
		(void)bpg_buf_detach(&b, &out);
out:
	bpg_buf_release(&b);
	return out;
}

/* Sets key to a string in obj, replacing an earlier value; 0 or -1. */
static int
put_str(cJSON *obj, const char *key, const char *v)
{
	cJSON *s = cJSON_CreateString(v);

	if (s == NULL)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, s) ? 0 : -1;
	return cJSON_AddItemToObject(obj, key, s) ? 0 : -1;
}

static int
put_num(cJSON *obj, const char *key, double v)
{
	cJSON *n = cJSON_CreateNumber(v);

	if (n == NULL)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, n) ? 0 : -1;
	return cJSON_AddItemToObject(obj, key, n) ? 0 : -1;
}

/* Copies item key of src (if present) into dst. */
static int
copy_item(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(src, key);
	cJSON *c;

	if (it == NULL)
		return 0;
	if ((c = cJSON_Duplicate(it, 1)) == NULL)
		return -1;
	return cJSON_AddItemToObject(dst, key, c) ? 0 : -1;
}

/* One Spark conf layer into conf; values substituted when sub. */
static int
conf_layer_kv(cJSON *conf, const struct bpg_sparkconf *layer, int sub, const char *id)
{
	for (size_t i = 0; i < layer->n; i++) {
		char *v = sub ? subst(layer->items[i].value, id) : strdup(layer->items[i].value);
		int rc = v ? put_str(conf, layer->items[i].key, v) : -1;
		free(v);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* default < cluster < request < fixed, then spark.app.name and the picked zone. */
static cJSON *
spark_conf(const struct bpg_crd_in *in)
{
	cJSON *conf = cJSON_CreateObject();
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(in->req->j, "sparkConf"), *it;

	if (conf == NULL ||
	    conf_layer_kv(conf, &in->cfg->gateway.spark_conf_defaults, 1, in->submission_id) != 0 ||
	    conf_layer_kv(conf, &in->cluster->spark_conf, 1, in->submission_id) != 0)
		goto fail;
	cJSON_ArrayForEach(it, req)
		if (put_str(conf, it->string, it->valuestring) != 0)
			goto fail;
	if (conf_layer_kv(conf, &in->cfg->gateway.spark_conf_fixed, 0, in->submission_id) != 0)
		goto fail;
	if (in->req->app_name != NULL && put_str(conf, "spark.app.name", in->req->app_name) != 0)
		goto fail;
	if (in->zone != NULL && put_str(conf, "bpg.pickedZones", in->zone) != 0)
		goto fail;
	return conf;
fail:
	cJSON_Delete(conf);
	return NULL;
}

/* Request env first (in its order), then the cluster's entries the request does not name. */
static cJSON *
merge_env(const cJSON *req_env, const cJSON *cluster_env)
{
	cJSON *env = req_env ? cJSON_Duplicate(req_env, 1) : cJSON_CreateArray();
	const cJSON *e, *r;

	if (env == NULL)
		return NULL;
	cJSON_ArrayForEach(e, cluster_env) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
		int dup = 0;
		if (!cJSON_IsString(n))
			continue;
		cJSON_ArrayForEach(r, req_env)
			dup |= strcmp(cJSON_GetObjectItemCaseSensitive(r, "name")->valuestring, n->valuestring) == 0;
		if (!dup && !cJSON_AddItemToArray(env, cJSON_Duplicate(e, 1))) {
			cJSON_Delete(env);
			return NULL;
		}
	}
	return env;
}

/* An "In" match expression. */
static int
add_expr(cJSON *exprs, const char *key, const struct bpg_strlist *values, const char *one)
{
	cJSON *e = cJSON_CreateObject(), *vals;

	if (e == NULL || !cJSON_AddItemToArray(exprs, e) || put_str(e, "key", key) != 0 ||
	    put_str(e, "operator", "In") != 0 || (vals = cJSON_AddArrayToObject(e, "values")) == NULL)
		return -1;
	if (one != NULL)
		return cJSON_AddItemToArray(vals, cJSON_CreateString(one)) ? 0 : -1;
	for (size_t i = 0; i < values->n; i++)
		if (!cJSON_AddItemToArray(vals, cJSON_CreateString(values->v[i])))
			return -1;
	return 0;
}

/* The node affinity of spec 4.9 (zones even without a request sparkConf); NULL if none. */
static int
node_affinity(const struct bpg_crd_in *in, int driver, cJSON *pod)
{
	const struct bpg_queue *q = in->queue;
	const struct bpg_strlist *vals = driver ? &q->driver_node_label_values :
	    in->req->spot ? &q->executor_spot_node_label_values : &q->executor_node_label_values;
	const char *key = driver ? q->driver_node_label_key : q->executor_node_label_key;
	cJSON *aff, *exprs, *terms, *term;

	if (vals->n == 0 && in->zone == NULL)
		return 0;
	if ((aff = cJSON_AddObjectToObject(pod, "affinity")) == NULL ||
	    (aff = cJSON_AddObjectToObject(aff, "nodeAffinity")) == NULL ||
	    (aff = cJSON_AddObjectToObject(aff, "requiredDuringSchedulingIgnoredDuringExecution")) == NULL ||
	    (terms = cJSON_AddArrayToObject(aff, "nodeSelectorTerms")) == NULL ||
	    (term = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(terms, term) ||
	    (exprs = cJSON_AddArrayToObject(term, "matchExpressions")) == NULL)
		return -1;
	if (vals->n > 0 && add_expr(exprs, key, vals, NULL) != 0)
		return -1;
	if (in->zone != NULL && add_expr(exprs, ZONE_KEY, NULL, in->zone) != 0)
		return -1;
	return 0;
}

/* Labels with dag_name and task_name normalized to label values. */
static cJSON *
pod_labels(const cJSON *labels)
{
	cJSON *l = cJSON_Duplicate(labels, 1);
	const char *keys[] = { "dag_name", "task_name" };
	char norm[64];

	for (size_t i = 0; l != NULL && i < 2; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(l, keys[i]);
		if (cJSON_IsString(v)) {
			bpg_request_label_value(v->valuestring, norm);
			if (put_str(l, keys[i], norm) != 0) {
				cJSON_Delete(l);
				return NULL;
			}
		}
	}
	return l;
}

/* Driver or executor spec (spec 4.7, 4.8) with correct millicores and memory. */
static cJSON *
pod_spec(const struct bpg_crd_in *in, int driver)
{
	const struct bpg_pod_req *pr = driver ? &in->req->driver : &in->req->executor;
	const struct bpg_queue *q = in->queue;
	double rcpu = driver ? q->driver_cpu_buffer_ratio : q->executor_cpu_buffer_ratio;
	double rmem = driver ? q->driver_mem_buffer_ratio : q->executor_mem_buffer_ratio;
	const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(in->cluster->spec_defaults,
	    driver ? "driver" : "executor");
	const cJSON *src = pr->j;
	cJSON *pod = cJSON_CreateObject(), *ann, *env;
	long long cores = pr->cores > 0 ? pr->cores : 1, limit_m, mem;
	char text[64];
	static const char *const copied[] = { "coreRequest", "memoryOverhead", "image",
	    "javaOptions", "podName", "terminationGracePeriodSeconds", "securityContext",
	    "deleteOnTermination" };

	if (pod == NULL)
		return NULL;
	cores = (long long)floor(cores * rcpu + 0.5);
	if (cores < 1)
		cores = 1;
	limit_m = pr->core_limit_m > 0 ? (long long)ceil(pr->core_limit_m * rcpu) : cores * 1000;
	mem = (long long)ceil((pr->memory_mb > 0 ? pr->memory_mb : 1024) * rmem);
	if (put_num(pod, "cores", (double)cores) != 0)
		goto fail;
	snprintf(text, sizeof(text), "%lldm", limit_m);
	if (put_str(pod, "coreLimit", text) != 0)
		goto fail;
	snprintf(text, sizeof(text), "%lldm", mem);
	if (put_str(pod, "memory", text) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if ((driver || strcmp(copied[i], "podName") != 0) && copy_item(pod, src, copied[i]) != 0)
			goto fail;
	if (!driver && put_num(pod, "instances", (double)(pr->instances >= 0 ? pr->instances : 1)) != 0)
		goto fail;
	if (cJSON_GetObjectItemCaseSensitive(src, "labels") != NULL) {
		cJSON *l = pod_labels(cJSON_GetObjectItemCaseSensitive(src, "labels"));
		if (l == NULL || !cJSON_AddItemToObject(pod, "labels", l))
			goto fail;
	}
	ann = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src, "annotations"), 1);
	if (ann == NULL)
		ann = cJSON_CreateObject();
	if (ann == NULL || !cJSON_AddItemToObject(pod, "annotations", ann))
		goto fail;
	if ((driver || ann->child == NULL) && put_str(ann, SAFE_TO_EVICT, "false") != 0)
		goto fail;
	env = merge_env(cJSON_GetObjectItemCaseSensitive(src, "env"),
	    cJSON_GetObjectItemCaseSensitive(defaults, "env"));
	if (env == NULL || !cJSON_AddItemToObject(pod, "env", env))
		goto fail;
	if (env->child == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(pod, "env");
	/* the user's mounts are never overwritten by the cluster's (Java bug 11) */
	if (copy_item(pod, cJSON_GetObjectItemCaseSensitive(src, "volumeMounts") ? src : defaults,
	    "volumeMounts") != 0)
		goto fail;
	if (pr->service_account != NULL) {
		if (put_str(pod, "serviceAccount", pr->service_account) != 0)
			goto fail;
	} else if (driver && in->cluster->service_account != NULL &&
	    put_str(pod, "serviceAccount", in->cluster->service_account) != 0) {
		goto fail;
	}
	if (cJSON_GetObjectItemCaseSensitive(src, "affinity") != NULL) {
		if (copy_item(pod, src, "affinity") != 0)
			goto fail;
	} else if (node_affinity(in, driver, pod) != 0) {
		goto fail;
	}
	if (!driver) {
		cJSON *dns = cJSON_Parse("{\"options\":[{\"name\":\"ndots\",\"value\":\"1\"}]}");
		if (dns == NULL || !cJSON_AddItemToObject(pod, "dnsConfig", dns))
			goto fail;
	}
	return pod;
fail:
	cJSON_Delete(pod);
	return NULL;
}

/* The image: the request's, else the first [image.*] whose version and types match. */
static const char *
pick_image(const struct bpg_crd_in *in)
{
	const struct bpg_config *cfg = in->cfg;

	if (in->req->image != NULL)
		return in->req->image;
	for (size_t i = 0; i < cfg->n_images; i++) {
		const struct bpg_image *im = &cfg->images[i];
		if (strcasecmp(im->spark_version, in->req->spark_version) != 0)
			continue;
		for (size_t t = 0; t < im->types.n; t++)
			if (strcasecmp(im->types.v[t], in->req->type) == 0)
				return im->image;
	}
	return NULL;
}

/* sparkUIOptions from the cluster, with the placeholder in annotation values replaced. */
static int
ui_options(const struct bpg_crd_in *in, cJSON *spec)
{
	const cJSON *ui = cJSON_GetObjectItemCaseSensitive(in->cluster->spec_defaults, "sparkUIOptions");
	cJSON *copy, *ann, *it, *next;

	if (ui == NULL)
		return 0;
	if ((copy = cJSON_Duplicate(ui, 1)) == NULL || !cJSON_AddItemToObject(spec, "sparkUIOptions", copy))
		return -1;
	ann = cJSON_GetObjectItemCaseSensitive(copy, "ingressAnnotations");
	for (it = ann ? ann->child : NULL; it != NULL; it = next) {
		next = it->next;   /* put_str replaces (frees) it */
		if (cJSON_IsString(it)) {
			char *v = subst(it->valuestring, in->submission_id);
			int rc = v ? put_str(ann, it->string, v) : -1;
			free(v);
			if (rc != 0)
				return -1;
		}
	}
	return 0;
}

static int
metadata(const struct bpg_crd_in *in, cJSON *root)
{
	cJSON *md = cJSON_AddObjectToObject(root, "metadata"), *labels, *ann;
	char norm[64], text[300];
	long long max_ms = in->req->max_running_ms > 0 ? in->req->max_running_ms :
	    in->queue->max_running_millis;

	if (md == NULL || put_str(md, "name", in->submission_id) != 0 ||
	    put_str(md, "namespace", in->cluster->namespace) != 0 ||
	    (labels = cJSON_AddObjectToObject(md, "labels")) == NULL ||
	    (ann = cJSON_AddObjectToObject(md, "annotations")) == NULL)
		return -1;
	bpg_request_label_value(in->proxy_user, norm);
	if (put_str(labels, "proxyUser", norm) != 0)
		return -1;
	if (in->req->app_name != NULL) {
		bpg_request_label_value(in->req->app_name, norm);
		if (put_str(labels, "applicationName", norm) != 0)
			return -1;
	}
	snprintf(text, sizeof(text), "root.%s", in->queue_name);
	bpg_request_label_value(text, norm);
	if (put_str(labels, "queue", norm) != 0)
		return -1;
	snprintf(text, sizeof(text), "%lld", max_ms);
	if (put_str(labels, "maxRunningMillis", text) != 0 ||
	    put_str(labels, BPG_CRD_MANAGED_BY_KEY, BPG_CRD_MANAGED_BY) != 0 ||
	    put_str(ann, BPG_CRD_ORIGINAL_USER, in->user) != 0 ||
	    put_str(ann, "bpg.dev/proxy-user", in->proxy_user) != 0)
		return -1;
	return 0;
}

enum bpg_err
bpg_crd_build(const struct bpg_crd_in *in, cJSON **out, char *why, size_t whylen)
{
	const struct bpg_submit_req *r = in->req;
	const char *image = pick_image(in);
	cJSON *root = NULL, *spec, *c;
	const cJSON *vols;
	char q[300];

	if (image == NULL) {
		snprintf(why, whylen, "Spark image not found for type: %s, version: %s", r->type,
		    r->spark_version);
		return BPG_EINVAL;
	}
	if ((root = cJSON_CreateObject()) == NULL ||
	    put_str(root, "apiVersion", "sparkoperator.k8s.io/v1beta2") != 0 ||
	    put_str(root, "kind", "SparkApplication") != 0 || metadata(in, root) != 0 ||
	    (spec = cJSON_AddObjectToObject(root, "spec")) == NULL ||
	    put_str(spec, "type", r->type) != 0 || put_str(spec, "sparkVersion", r->spark_version) != 0 ||
	    put_str(spec, "mode", "cluster") != 0 || put_str(spec, "proxyUser", in->proxy_user) != 0 ||
	    put_str(spec, "image", image) != 0 ||
	    copy_item(spec, r->j, "imagePullPolicy") != 0 || copy_item(spec, r->j, "mainClass") != 0 ||
	    put_str(spec, "mainApplicationFile", r->main_file) != 0 ||
	    copy_item(spec, r->j, "arguments") != 0 || copy_item(spec, r->j, "deps") != 0 ||
	    copy_item(spec, r->j, "pythonVersion") != 0)
		goto nomem;
	if (cJSON_GetObjectItemCaseSensitive(r->j, "restartPolicy") != NULL) {
		if (copy_item(spec, r->j, "restartPolicy") != 0)
			goto nomem;
	} else if ((c = cJSON_AddObjectToObject(spec, "restartPolicy")) == NULL ||
	    put_str(c, "type", "Never") != 0) {
		goto nomem;
	}
	if ((c = spark_conf(in)) == NULL || !cJSON_AddItemToObject(spec, "sparkConf", c))
		goto nomem;
	/* volumes exactly once (Java bug 11): the request's, else the cluster's */
	vols = cJSON_GetObjectItemCaseSensitive(r->j, "volumes");
	if (vols == NULL || vols->child == NULL)
		vols = cJSON_GetObjectItemCaseSensitive(in->cluster->spec_defaults, "volumes");
	if (vols != NULL && ((c = cJSON_Duplicate(vols, 1)) == NULL ||
	    !cJSON_AddItemToObject(spec, "volumes", c)))
		goto nomem;
	if ((c = pod_spec(in, 1)) == NULL || !cJSON_AddItemToObject(spec, "driver", c) ||
	    (c = pod_spec(in, 0)) == NULL || !cJSON_AddItemToObject(spec, "executor", c))
		goto nomem;
	if (in->cluster->batch_scheduler == BPG_SCHED_YUNIKORN) {
		snprintf(q, sizeof(q), "root.%s", in->queue_name);
		if (put_str(spec, "batchScheduler", "yunikorn") != 0 ||
		    (c = cJSON_AddObjectToObject(spec, "batchSchedulerOptions")) == NULL ||
		    put_str(c, "queue", q) != 0)
			goto nomem;
	}
	if (in->cluster->ttl_seconds >= 0 &&
	    put_num(spec, "timeToLiveSeconds", (double)in->cluster->ttl_seconds) != 0)
		goto nomem;
	if (ui_options(in, spec) != 0)
		goto nomem;
	*out = root;
	return BPG_OK;
nomem:
	cJSON_Delete(root);
	snprintf(why, whylen, "out of memory");
	return BPG_ENOMEM;
}
