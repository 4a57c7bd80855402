/* bpg-fcgi: GET {base}/healthcheck/status. */
#include <stdio.h>
#include <time.h>
#include <cJSON.h>
#include "bpg_fcgi.h"
#include "bpg_json.h"
#include "bpg_subdb.h"
#include "bpg_time.h"

static double
elapsed_ms(long long t0_us)
{
	return (double)((bpg_time_mono_us() - t0_us) / 100) / 10;
}

#define PROBE_REUSE_MS 1000   /* a dependency that answered this recently is not asked again */
#define S3_PROBE_KEY   "bpg-health-probe"

/* 1 when p answered within PROBE_REUSE_MS of now: its latency then is the answer's. */
static int
probe_reused(const struct bpg_probe *p, long long now, double *ms)
{
	if (p->ok_at_ms <= 0 || now - p->ok_at_ms >= PROBE_REUSE_MS)
		return 0;
	*ms = p->latency_ms;
	return 1;
}

/* Notes p's answer e, asked at t0 (monotonic) and now (wall clock): a failure is never reused. */
static enum bpg_err
probe_done(struct bpg_probe *p, enum bpg_err e, long long now, long long t0,
    double *ms)
{
	*ms = elapsed_ms(t0);
	p->ok_at_ms = e == BPG_OK ? now : 0;
	p->latency_ms = *ms;
	return e;
}

/*
 * Asks cluster i (or S3 when i == n_clusters) unless it answered within PROBE_REUSE_MS;
 * *asked is set when it was asked.
 */
static enum bpg_err
probe(struct bpg_app *app, size_t i, double *ms, struct bpg_why *why, int *asked)
{
	struct bpg_probe *p = &app->probes[i];
	long long now = bpg_time_now_ms();
	long long t0;
	enum bpg_err e;

	if (probe_reused(p, now, ms))
		return BPG_OK;
	*asked = 1;
	t0 = bpg_time_mono_us();
	bpg_why_set(why, BPG_OK, "%s", "");
	if (i < app->cfg->n_clusters) {
		e = bpg_k8s_ping(app->k8s, &app->cfg->clusters[i], why);
	} else {
		/* a key that does not exist: 404 means S3 answered and took our signature */
		e = bpg_s3_head(app->s3, app->cfg->s3.bucket, S3_PROBE_KEY, NULL, why);
		if (e == BPG_ENOTFOUND)
			e = BPG_OK;
	}
	return probe_done(p, e, now, t0, ms);
}

/*
 * Reads the monitor's last run, which is also the database's probe: any answer, a row or
 * none, means the database answered. Reused like the other probes; a failure never is.
 */
static enum bpg_err
probe_db(struct bpg_app *app, double *ms, int *asked)
{
	struct bpg_health_db *h = &app->health_db;
	long long now = bpg_time_now_ms();
	long long t0;
	enum bpg_err e;

	if (probe_reused(&h->probe, now, ms))
		return BPG_OK;
	*asked = 1;
	t0 = bpg_time_mono_us();
	e = bpg_subdb_monitor_run(app->db, &h->run);
	h->have_run = e == BPG_OK;
	return probe_done(&h->probe, e == BPG_ENOTFOUND ? BPG_OK : e, now, t0, ms);
}

/* One dependency's answer, as probed. */
struct dep {
	enum bpg_err err;
	double ms;
	char why[256];
};

/* Appends "name":{"reachable":B,"latencyMs":N[,"error":S]} after the separator pre. */
static enum bpg_err
put_dep(struct bpg_buf *b, char pre, const char *name, const struct dep *d)
{
	enum bpg_err err;

	if ((err = bpg_json_put_key(b, pre, name)) != BPG_OK ||
	    (err = bpg_json_put_word(b, '{', "reachable")) != BPG_OK ||
	    (err = bpg_buf_puts(b, d->err == BPG_OK ? "true" : "false")) != BPG_OK ||
	    (err = bpg_json_put_word(b, ',', "latencyMs")) != BPG_OK ||
	    (err = bpg_json_put_num(b, d->ms)) != BPG_OK)
		return err;
	if (d->err != BPG_OK && ((err = bpg_json_put_word(b, ',', "error")) != BPG_OK ||
	    (err = bpg_json_put_str(b, d->why)) != BPG_OK))
		return err;
	return bpg_buf_append(b, "}", 1);
}

/* The monitor's last run as "monitor":{...}, after a ','. */
static enum bpg_err
put_monitor(struct bpg_buf *b, const struct bpg_monitor_run *mr)
{
	enum bpg_err err;

	if ((err = bpg_json_put_word(b, ',', "monitor")) != BPG_OK ||
	    (err = bpg_json_put_word(b, '{', "lastRunStarted")) != BPG_OK ||
	    (err = bpg_json_put_int(b, mr->started_ms)) != BPG_OK ||
	    (err = bpg_json_put_word(b, ',', "lastRunFinished")) != BPG_OK ||
	    (err = bpg_json_put_int(b, mr->finished_ms)) != BPG_OK ||
	    (err = bpg_json_put_word(b, ',', "outcome")) != BPG_OK ||
	    (err = bpg_json_put_str(b, mr->outcome)) != BPG_OK ||
	    (err = bpg_json_put_word(b, ',', "objects")) != BPG_OK ||
	    (err = bpg_json_put_int(b, mr->objects)) != BPG_OK)
		return err;
	return bpg_buf_append(b, "}", 1);
}

/* Renders the answer into b (emptied first): ok, the database's and the others' answers. */
static enum bpg_err
render(const struct bpg_app *app, struct bpg_buf *b, int ok, const struct dep *db,
    const struct dep *deps)
{
	const struct bpg_config *cfg = app->cfg;
	enum bpg_err err;

	bpg_buf_reset(b);
	err = bpg_json_put_word(b, '{', "status");
	if (err == BPG_OK)
		err = bpg_json_put_str(b, ok ? "OK" : "DEGRADED");
	if (err == BPG_OK && (err = bpg_json_put_word(b, ',', "version")) == BPG_OK)
		err = bpg_json_put_str(b, BPG_VERSION);
	if (err == BPG_OK)
		err = put_dep(b, ',', "database", db);
	if (err == BPG_OK)
		err = bpg_json_put_word(b, ',', "clusters");
	for (size_t i = 0; err == BPG_OK && i < cfg->n_clusters; i++)
		err = put_dep(b, i == 0 ? '{' : ',', cfg->clusters[i].id, &deps[i]);
	if (err == BPG_OK)
		err = bpg_buf_puts(b, cfg->n_clusters == 0 ? "{}" : "}");
	if (err == BPG_OK && app->s3 != NULL)
		err = put_dep(b, ',', "s3", &deps[cfg->n_clusters]);
	if (err == BPG_OK && app->health_db.have_run && app->health_db.probe.ok_at_ms > 0)
		err = put_monitor(b, &app->health_db.run);
	if (err == BPG_OK)
		err = bpg_buf_append(b, "}", 1);
	return err;
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
 * While no dependency is asked, the answer is the one rendered when one last was (the same
 * reused answers make the same bytes); it is rendered anew whenever one is asked.
 * Never 5xx for a down dependency, so a liveness probe does not restart workers for it.
 * The answer is written as text (no tree): this is the endpoint probes call most.
 * Side effects: (re)connects the worker's database, cluster and S3 connections.
 */
enum bpg_err
h_health_status(struct bpg_app *app, struct bpg_http_req *req)
{
	const struct bpg_config *cfg = app->cfg;
	struct dep db, deps[BPG_CONFIG_MAX_CLUSTERS + 1];
	size_t n = cfg->n_clusters + (app->s3 != NULL);
	struct bpg_buf *b = &app->health_body;
	enum bpg_err err = BPG_OK;
	int ok, asked = 0;

	db.err = probe_db(app, &db.ms, &asked);
	db.why[0] = '\0';
	if (db.err != BPG_OK)
		bpg_why_set(BPG_WHY(db.why), db.err, "%s", bpg_db_last_error(app->db));
	ok = db.err == BPG_OK;
	for (size_t i = 0; i < n; i++) {
		/* S3, when configured, is probe n_clusters */
		deps[i].err = probe(app, i, &deps[i].ms, BPG_WHY(deps[i].why), &asked);
		ok &= deps[i].err == BPG_OK;
	}
	if (asked || b->len == 0)
		err = render(app, b, ok, &db, deps);
	if (err == BPG_OK)
		err = bpg_http_reply(req, 200, "application/json", NULL, b->data, b->len);
	else {
		bpg_buf_reset(b);   /* half a body is never sent again */
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	}
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
	time_t now = (time_t)(bpg_time_now_ms() / 1000);
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
