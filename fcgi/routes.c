/* bpg-fcgi: the route table, one line per endpoint. */
#include "bpg_fcgi.h"

/* The handler pointer is stored as const void * in the generic table. */
#define H(f) ((const void *)(f))

const struct bpg_route bpg_routes[] = {
	{ "GET", "/healthcheck/status", H(h_health_status), BPG_ACCESS_USER },
	{ "POST", "/spark", H(h_submit), BPG_ACCESS_USER },
	/* before /spark/{id}/...: literal segments are listed first */
	{ "GET", "/spark/mySubmissions", H(h_list_mine), BPG_ACCESS_USER },
	{ "GET", "/spark/{id}/status", H(h_spark_status), BPG_ACCESS_USER },
	{ "GET", "/spark/{id}/spec", H(h_spark_spec), BPG_ACCESS_USER },
	{ "GET", "/spark/{id}/driver", H(h_spark_driver), BPG_ACCESS_USER },
	{ "GET", "/spark/{id}/describe", H(h_spark_describe), BPG_ACCESS_USER },
	{ "DELETE", "/spark/{id}", H(h_spark_delete), BPG_ACCESS_USER },
	{ "POST", "/s3/{name}", H(h_s3_upload), BPG_ACCESS_USER },
	{ "GET", "/log", H(h_log), BPG_ACCESS_USER },
	{ "GET", "/admin/submissions", H(h_list_all), BPG_ACCESS_ADMIN },
	{ "GET", "/admin/version", H(h_admin_version), BPG_ACCESS_ADMIN },
	{ "GET", "/openapi.json", H(h_openapi), BPG_ACCESS_PUBLIC },
	{ "GET", "/metrics", H(h_metrics), BPG_ACCESS_ADMIN },
	/* Apache Livy's batch API: only under [livy] prefix (main.c maps it to /livy) */
	{ "POST", "/livy/batches", H(h_livy_create), BPG_ACCESS_USER },
	{ "GET", "/livy/batches", H(h_livy_list), BPG_ACCESS_USER },
	{ "GET", "/livy/batches/{id}", H(h_livy_get), BPG_ACCESS_USER },
	{ "DELETE", "/livy/batches/{id}", H(h_livy_delete), BPG_ACCESS_USER },
	{ "GET", "/livy/batches/{id}/state", H(h_livy_state), BPG_ACCESS_USER },
	{ "GET", "/livy/batches/{id}/log", H(h_livy_log), BPG_ACCESS_USER },
};

const size_t bpg_n_routes = sizeof(bpg_routes) / sizeof(bpg_routes[0]);
