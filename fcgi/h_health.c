/* bpg-fcgi: GET {base}/healthcheck/status. */
#include <time.h>
#include <cJSON.h>
#include "bpg_fcgi.h"
#include "bpg_subdb.h"

static double
elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(long)(((double)(b.tv_sec - a->tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e6) * 10) / 10;
}

#define PROBE_REUSE_MS 1000   /* a dependency that answered this recently is not asked again */
#define S3_PROBE_KEY   "bpg-health-probe"

/* Asks cluster i (or S3 when i == n_clusters) unless it answered within PROBE_REUSE_MS. */
static enum bpg_err
probe(struct bpg_app *app, size_t i, double *ms, char *why, size_t whylen)
{
	struct bpg_probe *p = &app->probes[i];
	long long now = bpg_now_ms();
	struct timespec t0;
	enum bpg_err e;

	if (p->ok_at_ms > 0 && now - p->ok_at_ms < PROBE_REUSE_MS) {
		*ms = p->latency_ms;
		return BPG_OK;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	why[0] = '\0';
	if (i < app->cfg->n_clusters) {
		e = bpg_k8s_ping(app->k8s, &app->cfg->clusters[i], why, whylen);
	} else {
		/* a key that does not exist: 404 means S3 answered and took our signature */
		e = bpg_s3_head(app->s3, app->cfg->s3.bucket, S3_PROBE_KEY, NULL, why, whylen);
		if (e == BPG_ENOTFOUND)
			e = BPG_OK;
	}
	*ms = elapsed_ms(&t0);
	p->ok_at_ms = e == BPG_OK ? now : 0;
	p->latency_ms = *ms;
	return e;
}

/*
 * Reads the monitor's last run, which is also the database's probe: any answer, a row or
 * none, means the database answered. Reused like the other probes; a failure never is.
 */
static enum bpg_err
probe_db(struct bpg_app *app, double *ms)
{
	struct bpg_health_db *h = &app->health_db;
	long long now = bpg_now_ms();
	struct timespec t0;
	enum bpg_err e;

	if (h->ok_at_ms > 0 && now - h->ok_at_ms < PROBE_REUSE_MS) {
		*ms = h->latency_ms;
		return BPG_OK;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = bpg_subdb_monitor_run(app->db, &h->run);
	h->have_run = e == BPG_OK;
	if (e == BPG_ENOTFOUND)
		e = BPG_OK;
	*ms = elapsed_ms(&t0);
	h->ok_at_ms = e == BPG_OK ? now : 0;
	h->latency_ms = *ms;
	return e;
}

/* Adds {"reachable":B,"latencyMs":N[,"error":S]} as name to parent; NULL on ENOMEM. */
static cJSON *
add_result(cJSON *parent, const char *name, enum bpg_err err, double ms, const char *error)
{
	cJSON *o = cJSON_AddObjectToObject(parent, name);

	if (o == NULL || cJSON_AddBoolToObject(o, "reachable", err == BPG_OK) == NULL ||
	    cJSON_AddNumberToObject(o, "latencyMs", ms) == NULL ||
	    (err != BPG_OK && cJSON_AddStringToObject(o, "error", error) == NULL))
		return NULL;
	return o;
}

/*
 * GET /healthcheck/status (any allowed user).
 * 200 {"status":"OK"|"DEGRADED","version":V,"database":{"reachable":B,"latencyMs":N[,"error":S]},
 *      "clusters":{"c01":{...same...},...},"s3":{...same...} (when S3 is configured),
 *      "monitor":{"lastRunStarted":ms,"lastRunFinished":ms,"outcome":"ok|partial|failed","objects":N}}
 * "OK" when the database, every cluster and S3 answer. The Java gateway always answers
 * {"status":"OK"}; we keep that field and value when healthy and say what is down otherwise.
 * The database (one read of the monitor's last run), a cluster or S3 that answered within
 * the last second is not asked again by this worker (its latency then is that answer's):
 * a probe every few seconds or a load balancer's burst costs each dependency at most one
 * request per worker and second. A failure is never reused: the next request asks again.
 * Never 5xx for a down dependency, so a liveness probe does not restart workers for it.
 * Side effects: (re)connects the worker's database, cluster and S3 connections.
 */
enum bpg_err
h_health_status(struct bpg_app *app, struct bpg_http_req *req)
{
	const struct bpg_config *cfg = app->cfg;
	cJSON *j = cJSON_CreateObject(), *clusters;
	enum bpg_err err = BPG_ENOMEM, e;
	char why[256];
	double ms;
	int ok;

	if (j == NULL)
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	e = probe_db(app, &ms);
	ok = e == BPG_OK;
	if (cJSON_AddStringToObject(j, "status", "OK") == NULL ||
	    cJSON_AddStringToObject(j, "version", BPG_VERSION) == NULL ||
	    add_result(j, "database", e, ms, bpg_db_last_error(app->db)) == NULL ||
	    (clusters = cJSON_AddObjectToObject(j, "clusters")) == NULL)
		goto out;
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		e = probe(app, i, &ms, why, sizeof(why));
		ok &= e == BPG_OK;
		if (add_result(clusters, cfg->clusters[i].id, e, ms, why) == NULL)
			goto out;
	}
	if (app->s3 != NULL) {
		e = probe(app, cfg->n_clusters, &ms, why, sizeof(why));
		ok &= e == BPG_OK;
		if (add_result(j, "s3", e, ms, why) == NULL)
			goto out;
	}
	if (app->health_db.have_run && app->health_db.ok_at_ms > 0) {
		const struct bpg_monitor_run *mr = &app->health_db.run;
		cJSON *mon;
		if (((mon = cJSON_AddObjectToObject(j, "monitor")) == NULL ||
		    cJSON_AddNumberToObject(mon, "lastRunStarted", (double)mr->started_ms) == NULL ||
		    cJSON_AddNumberToObject(mon, "lastRunFinished", (double)mr->finished_ms) == NULL ||
		    cJSON_AddStringToObject(mon, "outcome", mr->outcome) == NULL ||
		    cJSON_AddNumberToObject(mon, "objects", (double)mr->objects) == NULL))
			goto out;
	}
	if (!ok)
		cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(j, "status"), "DEGRADED");
	err = bpg_http_reply_json(req, 200, j);
out:
	cJSON_Delete(j);
	if (err == BPG_ENOMEM)
		return bpg_http_fail(req, err, "out of memory");
	return err == BPG_EIO ? BPG_OK : err;
}

/*
 * GET /healthcheck (public): the Java gateway's Dropwizard admin health check, for probes
 * written against it: {"deadlocks":{...},"sparkClusters":{...}}, each {"healthy":true,
 * "duration":0,"timestamp":"..."}. Both are always healthy (no threads to deadlock; a config
 * without clusters does not load), so always 200; /healthcheck/status probes dependencies.
 */
enum bpg_err
h_health_admin(struct bpg_app *app, struct bpg_http_req *req)
{
	static const char *const checks[] = { "deadlocks", "sparkClusters" };
	cJSON *j = cJSON_CreateObject(), *c;
	char ts[40];
	struct tm tm;
	time_t now = time(NULL);
	enum bpg_err err;

	(void)app;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	for (size_t i = 0; j != NULL && i < sizeof(checks) / sizeof(checks[0]); i++)
		if ((c = cJSON_AddObjectToObject(j, checks[i])) == NULL ||
		    cJSON_AddBoolToObject(c, "healthy", 1) == NULL ||
		    cJSON_AddNumberToObject(c, "duration", 0) == NULL ||
		    cJSON_AddStringToObject(c, "timestamp", ts) == NULL) {
			cJSON_Delete(j);
			j = NULL;
		}
	if (j == NULL)
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	err = bpg_http_reply_json(req, 200, j);
	cJSON_Delete(j);
	return err;
}

/* GET /ping (public): Dropwizard's admin ping, "pong" from a worker. */
enum bpg_err
h_health_ping(struct bpg_app *app, struct bpg_http_req *req)
{
	(void)app;
	return bpg_http_reply(req, 200, "text/plain", NULL, "pong\n", 5);
}
