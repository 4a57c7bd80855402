/* bpg_crd: the SparkApplication (sparkoperator.k8s.io/v1beta2) built from a request. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_buf.h"
#include "bpg_crd.h"
#include "bpg_k8sname.h"

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

/*
 * One Spark conf layer into conf; values substituted when sub. With no_ranger the Ranger
 * keys are left out (spec 4.6: a custom image without RangerOnCustomImage=On).
 */
static int
conf_layer_kv(cJSON *conf, const struct bpg_sparkconf *layer, int sub, const char *id,
    int no_ranger)
{
	for (size_t i = 0; i < layer->n; i++) {
		char *v;
		if (no_ranger && (strcmp(layer->items[i].key, "spark.sql.extensions") == 0 ||
		    strcmp(layer->items[i].key, "spark.ranger.plugin.spark.env") == 0))
			continue;
		v = sub ? subst(layer->items[i].value, id) : strdup(layer->items[i].value);
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
	const char *ranger = bpg_sparkconf_get(&in->cfg->gateway.spark_conf_defaults,
	    "RangerOnCustomImage");
	int no_ranger = cJSON_GetObjectItemCaseSensitive(in->req->j, "image") != NULL &&
	    (ranger == NULL || strcasecmp(ranger, "On") != 0);

	if (conf == NULL || conf_layer_kv(conf, &in->cfg->gateway.spark_conf_defaults, 1,
	    in->submission_id, no_ranger) != 0 ||
	    conf_layer_kv(conf, &in->cluster->spark_conf, 1, in->submission_id, 0) != 0)
		goto fail;
	cJSON_ArrayForEach(it, req)
		if (put_str(conf, it->string, it->valuestring) != 0)
			goto fail;
	if (conf_layer_kv(conf, &in->cfg->gateway.spark_conf_fixed, 0, in->submission_id, 0) != 0)
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

/* The queue's expressions (node group, zone) for one pod into the array exprs. */
static int
queue_exprs(const struct bpg_crd_in *in, int driver, cJSON *exprs)
{
	const struct bpg_queue *q = in->queue;
	const struct bpg_strlist *vals = driver ? &q->driver_node_label_values :
	    in->req->spot ? &q->executor_spot_node_label_values : &q->executor_node_label_values;
	const char *key = driver ? q->driver_node_label_key : q->executor_node_label_key;

	if (vals->n > 0 && add_expr(exprs, key ? key : BPG_CRD_NODE_LABEL_KEY, vals, NULL) != 0)
		return -1;
	if (in->zone != NULL && add_expr(exprs, ZONE_KEY, NULL, in->zone) != 0)
		return -1;
	return 0;
}

/*
 * The node affinity of spec 4.9 (zones even without a request sparkConf, Java bug 11). A
 * user's own nodeAffinity is kept, but the queue's expressions are ANDed into each of its
 * required terms, so it can narrow the queue's node pinning and never escape it (the Java
 * gateway dropped the queue's pinning when a user sent an affinity).
 */
static int
node_affinity(const struct bpg_crd_in *in, int driver, const cJSON *user, cJSON *pod)
{
	cJSON *aff, *na, *req, *terms, *term, *exprs, *probe;

	if ((probe = cJSON_CreateArray()) == NULL || queue_exprs(in, driver, probe) != 0) {
		cJSON_Delete(probe);
		return -1;
	}
	if (probe->child == NULL && user == NULL) {
		cJSON_Delete(probe);
		return 0;
	}
	aff = user ? cJSON_Duplicate(user, 1) : cJSON_CreateObject();
	if (aff == NULL || !cJSON_AddItemToObject(pod, "affinity", aff))
		goto fail;
	if (probe->child == NULL)
		goto done;
	if ((na = cJSON_GetObjectItemCaseSensitive(aff, "nodeAffinity")) == NULL &&
	    (na = cJSON_AddObjectToObject(aff, "nodeAffinity")) == NULL)
		goto fail;
	if ((req = cJSON_GetObjectItemCaseSensitive(na, "requiredDuringSchedulingIgnoredDuringExecution")) == NULL &&
	    (req = cJSON_AddObjectToObject(na, "requiredDuringSchedulingIgnoredDuringExecution")) == NULL)
		goto fail;
	if ((terms = cJSON_GetObjectItemCaseSensitive(req, "nodeSelectorTerms")) == NULL &&
	    (terms = cJSON_AddArrayToObject(req, "nodeSelectorTerms")) == NULL)
		goto fail;
	if (terms->child == NULL && ((term = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(terms, term)))
		goto fail;
	cJSON_ArrayForEach(term, terms) {
		if ((exprs = cJSON_GetObjectItemCaseSensitive(term, "matchExpressions")) == NULL &&
		    (exprs = cJSON_AddArrayToObject(term, "matchExpressions")) == NULL)
			goto fail;
		for (const cJSON *e = probe->child; e != NULL; e = e->next)
			if (!cJSON_AddItemToArray(exprs, cJSON_Duplicate(e, 1)))
				goto fail;
	}
done:
	cJSON_Delete(probe);
	return 0;
fail:
	cJSON_Delete(probe);
	return -1;
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

/* True when the array mounts has an entry with mountPath path. */
static int
has_mount_path(const cJSON *mounts, const char *path)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, mounts)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(m, "mountPath")->valuestring, path) == 0)
			return 1;
	return 0;
}

/* True when the array vols has a volume called name. */
static int
has_volume(const cJSON *vols, const char *name)
{
	const cJSON *v, *n;

	cJSON_ArrayForEach(v, vols)
		if (cJSON_IsString(n = cJSON_GetObjectItemCaseSensitive(v, "name")) &&
		    strcmp(n->valuestring, name) == 0)
			return 1;
	return 0;
}

/*
 * volumeMounts (spec 4.11, with Java bug 11 fixed). With request volumes: the request's
 * mounts. Otherwise the cluster's, then the user's; a user mount on the same path replaces
 * the cluster's, never the other way round. Every mount must name a volume of the spec
 * (BPG_EINVAL), so a pod that Kubernetes would refuse is never created.
 */
static enum bpg_err
pod_mounts(const struct bpg_crd_in *in, int driver, const cJSON *vols, cJSON *pod,
    struct bpg_why *why)
{
	const char *role = driver ? "driver" : "executor";
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(driver ? in->req->driver.j :
	    in->req->executor.j, "volumeMounts");
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    in->cluster->spec_defaults, role), "volumeMounts");
	const cJSON *rvols = cJSON_GetObjectItemCaseSensitive(in->req->j, "volumes"), *e;
	cJSON *m = cJSON_CreateArray();

	if (m == NULL || !cJSON_AddItemToObject(pod, "volumeMounts", m))
		goto nomem;
	if (rvols == NULL || rvols->child == NULL) {
		cJSON_ArrayForEach(e, cl) {
			const cJSON *mp = cJSON_GetObjectItemCaseSensitive(e, "mountPath");
			if (cJSON_IsString(mp) && has_mount_path(user, mp->valuestring))
				continue;
			if (!cJSON_AddItemToArray(m, cJSON_Duplicate(e, 1)))
				goto nomem;
		}
	}
	cJSON_ArrayForEach(e, user)
		if (!cJSON_AddItemToArray(m, cJSON_Duplicate(e, 1)))
			goto nomem;
	cJSON_ArrayForEach(e, m) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsString(n) || !has_volume(vols, n->valuestring))
			return bpg_why_set(why, BPG_EINVAL,
			    "%s.volumeMounts: '%.64s' names no volume of the application "
			    "(volumes replace the cluster's when given)", role,
			    cJSON_IsString(n) ? n->valuestring : "");
	}
	if (m->child == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(pod, "volumeMounts");
	return BPG_OK;
nomem:
	return bpg_why_set(why, BPG_ENOMEM, "out of memory");
}

/* Cores, CPU limit and memory (spec 4.7, 4.8): ratios applied once, in whole millicores and MiB. */
static enum bpg_err
pod_resources(const struct bpg_crd_in *in, int driver, cJSON *pod, struct bpg_why *why)
{
	const struct bpg_pod_req *pr = driver ? &in->req->driver : &in->req->executor;
	const struct bpg_queue *q = in->queue;
	const char *role = driver ? "driver" : "executor";
	double rcpu = driver ? q->driver_cpu_buffer_ratio : q->executor_cpu_buffer_ratio;
	double rmem = driver ? q->driver_mem_buffer_ratio : q->executor_mem_buffer_ratio;
	long long cores = pr->cores > 0 ? pr->cores : BPG_CRD_DEFAULT_CORES, limit_m, mem, req_m;
	char text[64];

	cores = (long long)floor((double)cores * rcpu + 0.5);   /* Java's Math.round */
	if (cores < 1)
		cores = 1;
	limit_m = pr->core_limit_m > 0 ? (long long)ceil((double)pr->core_limit_m * rcpu) :
	    cores * 1000;
	req_m = pr->core_request_m > 0 ? pr->core_request_m : cores * 1000;
	if (req_m > limit_m)
		return bpg_why_set(why, BPG_EINVAL,
		    "%s.coreLimit: %lldm is below the CPU request of %lldm (cores or "
		    "coreRequest, after queue %s's ratio)", role, limit_m, req_m, in->queue_name);
	mem = (long long)ceil((double)(pr->memory_mb > 0 ? pr->memory_mb : BPG_CRD_DEFAULT_MEMORY_MB) *
	    rmem);
	if (put_num(pod, "cores", (double)cores) != 0)
		goto nomem;
	snprintf(text, sizeof(text), "%lldm", limit_m);
	if (put_str(pod, "coreLimit", text) != 0)
		goto nomem;
	snprintf(text, sizeof(text), "%lldm", mem);
	if (put_str(pod, "memory", text) != 0)
		goto nomem;
	/* Spark reads no fractions ("1.5g"): the overhead goes out in whole MiB too */
	snprintf(text, sizeof(text), "%lldm", pr->memory_overhead_mb);
	if (pr->memory_overhead_mb > 0 && put_str(pod, "memoryOverhead", text) != 0)
		goto nomem;
	return BPG_OK;
nomem:
	return bpg_why_set(why, BPG_ENOMEM, "out of memory");
}

/* The pod's labels and annotations (safe-to-evict false: Java's rule); 0 or -1 (no memory). */
static int
pod_metadata(cJSON *pod, const cJSON *src, int driver)
{
	cJSON *ann;

	if (cJSON_GetObjectItemCaseSensitive(src, "labels") != NULL) {
		cJSON *l = pod_labels(cJSON_GetObjectItemCaseSensitive(src, "labels"));
		if (l == NULL || !cJSON_AddItemToObject(pod, "labels", l))
			return -1;
	}
	ann = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src, "annotations"), 1);
	if (ann == NULL)
		ann = cJSON_CreateObject();
	if (ann == NULL || !cJSON_AddItemToObject(pod, "annotations", ann))
		return -1;
	/* the driver always; the executor only when it has no annotations (Java's rule) */
	if ((driver || ann->child == NULL) && put_str(ann, SAFE_TO_EVICT, "false") != 0)
		return -1;
	return 0;
}

/* The pod's env, the request's over the cluster's defaults; none when empty. 0 or -1. */
static int
pod_env(cJSON *pod, const cJSON *src, const cJSON *defaults)
{
	cJSON *env = merge_env(cJSON_GetObjectItemCaseSensitive(src, "env"),
	    cJSON_GetObjectItemCaseSensitive(defaults, "env"));

	if (env == NULL || !cJSON_AddItemToObject(pod, "env", env))
		return -1;
	if (env->child == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(pod, "env");
	return 0;
}

/* The service account, the node affinity, the executor's dnsConfig. 0 or -1 (no memory). */
static int
pod_placement(const struct bpg_crd_in *in, int driver, const struct bpg_pod_req *pr,
    cJSON *pod)
{
	const char *sa = pr->service_account != NULL ? pr->service_account :
	    driver ? in->cluster->service_account : NULL;

	if (sa != NULL && put_str(pod, "serviceAccount", sa) != 0)
		return -1;
	if (node_affinity(in, driver, cJSON_GetObjectItemCaseSensitive(pr->j, "affinity"), pod) != 0)
		return -1;
	if (!driver) {
		cJSON *dns = cJSON_Parse("{\"options\":[{\"name\":\"ndots\",\"value\":\"1\"}]}");
		if (dns == NULL || !cJSON_AddItemToObject(pod, "dnsConfig", dns))
			return -1;
	}
	return 0;
}

/* Driver or executor spec (spec 4.7, 4.8, 4.10, 4.11) into *out. */
static enum bpg_err
pod_spec(const struct bpg_crd_in *in, int driver, const cJSON *vols, cJSON **out,
    struct bpg_why *why)
{
	const struct bpg_pod_req *pr = driver ? &in->req->driver : &in->req->executor;
	const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(in->cluster->spec_defaults,
	    driver ? "driver" : "executor");
	const cJSON *src = pr->j;
	cJSON *pod = cJSON_CreateObject();
	enum bpg_err rc = BPG_ENOMEM;
	static const char *const copied[] = { "coreRequest", "image", "javaOptions", "podName",
	    "terminationGracePeriodSeconds", "securityContext", "deleteOnTermination" };

	if (pod == NULL)
		goto nomem;
	if ((rc = pod_resources(in, driver, pod, why)) != BPG_OK)
		goto out;
	rc = BPG_ENOMEM;
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (copy_item(pod, src, copied[i]) != 0)
			goto nomem;
	if (!driver && put_num(pod, "instances", (double)(pr->instances > 0 ? pr->instances : 1)) != 0)
		goto nomem;
	if (pod_metadata(pod, src, driver) != 0 || pod_env(pod, src, defaults) != 0)
		goto nomem;
	if ((rc = pod_mounts(in, driver, vols, pod, why)) != BPG_OK)
		goto out;
	rc = BPG_ENOMEM;
	if (pod_placement(in, driver, pr, pod) != 0)
		goto nomem;
	*out = pod;
	return BPG_OK;
nomem:
	bpg_why_set(why, rc, "out of memory");
out:
	cJSON_Delete(pod);
	return rc;
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
	    put_str(ann, BPG_CRD_PROXY_USER, in->proxy_user) != 0)
		return -1;
	return 0;
}


/* The application's fields, in the CR's order: a value of ours, or the request's copied. */
static int
spec_app(const struct bpg_crd_in *in, const char *image, cJSON *spec)
{
	const struct bpg_submit_req *r = in->req;
	const struct { const char *key, *v; int copy; } fields[] = {
		{ "type", r->type, 0 }, { "sparkVersion", r->spark_version, 0 },
		{ "mode", "cluster", 0 }, { "proxyUser", in->proxy_user, 0 }, { "image", image, 0 },
		{ "imagePullPolicy", NULL, 1 }, { "mainClass", NULL, 1 },
		{ "mainApplicationFile", r->main_file, 0 }, { "arguments", NULL, 1 },
		{ "deps", NULL, 1 }, { "pythonVersion", NULL, 1 },
	};
	cJSON *c;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].copy ? copy_item(spec, r->j, fields[i].key) != 0 :
		    put_str(spec, fields[i].key, fields[i].v) != 0)
			return -1;
	if (cJSON_GetObjectItemCaseSensitive(r->j, "restartPolicy") != NULL) {
		if (copy_item(spec, r->j, "restartPolicy") != 0)
			return -1;
	} else if ((c = cJSON_AddObjectToObject(spec, "restartPolicy")) == NULL ||
	    put_str(c, "type", "Never") != 0) {
		return -1;
	}
	if ((c = spark_conf(in)) == NULL || !cJSON_AddItemToObject(spec, "sparkConf", c))
		return -1;
	return 0;
}

/* The driver and the executor, over vols. */
static enum bpg_err
spec_pods(const struct bpg_crd_in *in, const cJSON *vols, cJSON *spec, struct bpg_why *why)
{
	static const char *const roles[] = { "executor", "driver" };
	enum bpg_err rc;
	cJSON *c;

	for (int driver = 1; driver >= 0; driver--) {
		if ((rc = pod_spec(in, driver, vols, &c, why)) != BPG_OK)
			return rc;
		if (!cJSON_AddItemToObject(spec, roles[driver], c)) {
			cJSON_Delete(c);
			return bpg_why_set(why, BPG_ENOMEM, "out of memory");
		}
	}
	return BPG_OK;
}

/* The cluster's part: the batch scheduler, the time to live, the UI's options. 0 or -1. */
static int
spec_cluster(const struct bpg_crd_in *in, cJSON *spec)
{
	char q[BPG_CRD_QUEUE_LABEL_MAX];
	cJSON *c;

	/* only the fields the CRD has: Java's gang and reservationTimeoutInSeconds are pruned */
	if (in->cluster->batch_scheduler == BPG_SCHED_YUNIKORN) {
		snprintf(q, sizeof(q), "root.%s", in->queue_name);
		if (put_str(spec, "batchScheduler", "yunikorn") != 0 ||
		    (c = cJSON_AddObjectToObject(spec, "batchSchedulerOptions")) == NULL ||
		    put_str(c, "queue", q) != 0)
			return -1;
	}
	if (in->cluster->ttl_seconds >= 0 &&
	    put_num(spec, "timeToLiveSeconds", (double)in->cluster->ttl_seconds) != 0)
		return -1;
	return ui_options(in, spec);
}

/* The spec's top-level fields, volumes and pods. */
static enum bpg_err
build_spec(const struct bpg_crd_in *in, const char *image, cJSON *spec, struct bpg_why *why)
{
	const cJSON *vols;
	cJSON *c;
	enum bpg_err rc;

	if (spec_app(in, image, spec) != 0)
		goto nomem;
	/* volumes exactly once (Java bug 11): the request's, else the cluster's */
	vols = cJSON_GetObjectItemCaseSensitive(in->req->j, "volumes");
	if (vols == NULL || vols->child == NULL)
		vols = cJSON_GetObjectItemCaseSensitive(in->cluster->spec_defaults, "volumes");
	if (cJSON_GetArraySize(vols) > 0 && ((c = cJSON_Duplicate(vols, 1)) == NULL ||
	    !cJSON_AddItemToObject(spec, "volumes", c)))
		goto nomem;
	if ((rc = spec_pods(in, vols, spec, why)) != BPG_OK)
		return rc;
	if (spec_cluster(in, spec) != 0)
		goto nomem;
	return BPG_OK;
nomem:
	return bpg_why_set(why, BPG_ENOMEM, "out of memory");
}

enum bpg_err
bpg_crd_build(const struct bpg_crd_in *in, cJSON **out, struct bpg_why *why)
{
	const struct bpg_submit_req *r = in->req;
	const char *image;
	cJSON *root = NULL, *spec;
	enum bpg_err rc = BPG_ENOMEM;

	if (in->cfg == NULL || r == NULL || in->cluster == NULL || in->queue == NULL ||
	    in->queue_name == NULL || in->submission_id == NULL || in->user == NULL ||
	    in->proxy_user == NULL)
		return bpg_why_set(why, BPG_EINTERNAL, "bpg_crd_build: an input is missing");
	if (!bpg_k8sname_label(in->submission_id, BPG_CRD_NAME_MAX))
		return bpg_why_set(why, BPG_EINVAL,
		    "submissionIdSuffix: the submission id '%.80s' is not a DNS-1123 "
		    "label of at most %d characters", in->submission_id, BPG_CRD_NAME_MAX);
	if ((image = pick_image(in)) == NULL)
		return bpg_why_set(why, BPG_EINVAL,
		    "Spark image not found for type: %s, version: %s", r->type,
		    r->spark_version);
	if ((root = cJSON_CreateObject()) == NULL ||
	    put_str(root, "apiVersion", BPG_CRD_API_VERSION) != 0 ||
	    put_str(root, "kind", BPG_CRD_KIND) != 0 || metadata(in, root) != 0 ||
	    (spec = cJSON_AddObjectToObject(root, "spec")) == NULL) {
		bpg_why_set(why, rc, "out of memory");
		goto out;
	}
	if ((rc = build_spec(in, image, spec, why)) != BPG_OK)
		goto out;
	*out = root;
	return BPG_OK;
out:
	cJSON_Delete(root);
	return rc;
}
