/* bpg-fcgi: GET {base}/healthcheck/status. */
#include <time.h>
#include <cJSON.h>
#include "bpg_fcgi.h"

static double
elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/*
 * GET /healthcheck/status (any allowed user).
 * 200 {"status":"OK"|"DEGRADED","version":V,"database":{"reachable":B,"latencyMs":N[,"error":S]}}
 * "OK" when every dependency answers. The Java gateway always answers {"status":"OK"}; we keep
 * that field and its value when healthy, and say what is down otherwise. Never 5xx for a down
 * dependency, so a liveness probe does not restart workers for the database's sake.
 * Side effects: (re)connects the worker's database connection.
 */
enum bpg_err
h_health_status(struct bpg_app *app, struct bpg_http_req *req)
{
	struct timespec t0;
	cJSON *j = cJSON_CreateObject(), *db;
	enum bpg_err err = BPG_ENOMEM, dberr;

	if (j == NULL)
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dberr = bpg_db_ping(app->db);
	if (cJSON_AddStringToObject(j, "status", dberr == BPG_OK ? "OK" : "DEGRADED") == NULL ||
	    cJSON_AddStringToObject(j, "version", BPG_VERSION) == NULL ||
	    (db = cJSON_AddObjectToObject(j, "database")) == NULL ||
	    cJSON_AddBoolToObject(db, "reachable", dberr == BPG_OK) == NULL ||
	    cJSON_AddNumberToObject(db, "latencyMs", (double)(long)(elapsed_ms(&t0) * 10) / 10) == NULL)
		goto out;
	if (dberr != BPG_OK && cJSON_AddStringToObject(db, "error", bpg_db_last_error(app->db)) == NULL)
		goto out;
	err = bpg_http_reply_json(req, 200, j);
out:
	cJSON_Delete(j);
	if (err == BPG_ENOMEM)
		return bpg_http_fail(req, err, "out of memory");
	return err == BPG_EIO ? BPG_OK : err;
}
