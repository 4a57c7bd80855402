/* bpg-fcgi: GET {base}/metrics, Prometheus text, summed over every worker. */
#include <string.h>
#include "bpg_fcgi.h"
#include "bpg_subdb.h"

/*
 * GET /metrics (admins): requests by route and status with a latency histogram,
 * Kubernetes (per cluster), MySQL and S3 calls with errors and latency, submissions by
 * cluster and queue, from the file every worker maps. 503 when it could not be mapped.
 */
enum bpg_err
h_metrics(struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_buf out;
	enum bpg_err err;

	if (app->metrics == NULL)
		return bpg_http_fail(req, BPG_EUNAVAIL, "metrics are off: [gateway] metrics_file "
		    "could not be mapped");
	bpg_buf_init(&out, 0);
	err = bpg_metrics_render(app->metrics, app->cfg, app->route_names, bpg_n_routes, &out);
	if (err == BPG_OK) {
		struct bpg_monitor_run mr;
		enum bpg_err merr = bpg_subdb_monitor_run(app->db, &mr);
		err = bpg_buf_printf(&out, "# HELP bpg_monitor_last_run_timestamp_seconds When the "
		    "monitor's last run finished.\n# TYPE bpg_monitor_last_run_timestamp_seconds gauge\n"
		    "bpg_monitor_last_run_timestamp_seconds %.3f\n"
		    "# HELP bpg_monitor_last_run_success 1 if the last run reconciled every cluster.\n"
		    "# TYPE bpg_monitor_last_run_success gauge\nbpg_monitor_last_run_success %d\n"
		    "# HELP bpg_monitor_last_run_objects SparkApplications the last run saw.\n"
		    "# TYPE bpg_monitor_last_run_objects gauge\nbpg_monitor_last_run_objects %lld\n",
		    merr == BPG_OK ? (double)mr.finished_ms / 1000.0 : 0.0,
		    merr == BPG_OK && strcmp(mr.outcome, "ok") == 0, merr == BPG_OK ? mr.objects : 0);
	}
	if (err == BPG_OK)
		err = bpg_http_reply(req, 200, "text/plain; version=0.0.4", NULL, out.data, out.len);
	else
		bpg_http_fail(req, err, "cannot render the metrics");
	bpg_buf_release(&out);
	return err;
}
