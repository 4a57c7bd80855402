/* bpg-fcgi: the route table, one line per endpoint. */
#include "bpg_fcgi.h"

/*
 * The handler pointer is stored as const void * in the generic table. The last column is
 * the per-user rate-limit budget ([ratelimit] in the config) the route draws from.
 */
#define H(f) ((const void *)(f))

const struct bpg_route bpg_routes[] = {
	{ "GET", "/healthcheck/status", H(h_health_status), BPG_ACCESS_USER, BPG_CLASS_OTHER },
	{ "POST", "/spark", H(h_submit), BPG_ACCESS_USER, BPG_CLASS_SUBMIT },
	/* before /spark/{id}/...: literal segments are listed first */
	{ "GET", "/spark/mySubmissions", H(h_list_mine), BPG_ACCESS_USER, BPG_CLASS_LIST },
	{ "GET", "/spark/{id}/status", H(h_spark_status), BPG_ACCESS_USER, BPG_CLASS_POLL },
	{ "GET", "/spark/{id}/spec", H(h_spark_spec), BPG_ACCESS_USER, BPG_CLASS_POLL },
	{ "GET", "/spark/{id}/driver", H(h_spark_driver), BPG_ACCESS_USER, BPG_CLASS_POLL },
	{ "GET", "/spark/{id}/describe", H(h_spark_describe), BPG_ACCESS_USER, BPG_CLASS_POLL },
	{ "DELETE", "/spark/{id}", H(h_spark_delete), BPG_ACCESS_USER, BPG_CLASS_OTHER },
	{ "POST", "/s3/{name}", H(h_s3_upload), BPG_ACCESS_USER, BPG_CLASS_SUBMIT },
	{ "GET", "/log", H(h_log), BPG_ACCESS_USER, BPG_CLASS_POLL },
	{ "GET", "/admin/submissions", H(h_list_all), BPG_ACCESS_ADMIN, BPG_CLASS_LIST },
	{ "GET", "/admin/version", H(h_admin_version), BPG_ACCESS_ADMIN, BPG_CLASS_OTHER },
	{ "GET", "/openapi.json", H(h_openapi), BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER },
	{ "GET", "/openapi.yaml", H(h_openapi_yaml), BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER },
	/* nginx asks it before serving the web UI: the UI is behind the API's authentication */
	{ "GET", "/ui/config.json", H(h_ui_config), BPG_ACCESS_USER, BPG_CLASS_OTHER },
	/* the Java gateway's Dropwizard admin probes; nginx maps /healthcheck and /ping here */
	{ "GET", "/healthcheck", H(h_health_admin), BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER },
	{ "GET", "/ping", H(h_health_ping), BPG_ACCESS_PUBLIC, BPG_CLASS_OTHER },
	{ "GET", "/metrics", H(h_metrics), BPG_ACCESS_ADMIN, BPG_CLASS_OTHER },
	/* Apache Livy's batch API: only under [livy] prefix (main.c maps it to /livy) */
	{ "POST", "/livy/batches", H(h_livy_create), BPG_ACCESS_USER, BPG_CLASS_SUBMIT },
	{ "GET", "/livy/batches", H(h_livy_list), BPG_ACCESS_USER, BPG_CLASS_LIST },
	{ "GET", "/livy/batches/{id}", H(h_livy_get), BPG_ACCESS_USER, BPG_CLASS_POLL },
	{ "DELETE", "/livy/batches/{id}", H(h_livy_delete), BPG_ACCESS_USER, BPG_CLASS_OTHER },
	{ "GET", "/livy/batches/{id}/state", H(h_livy_state), BPG_ACCESS_USER, BPG_CLASS_POLL },
	{ "GET", "/livy/batches/{id}/log", H(h_livy_log), BPG_ACCESS_USER, BPG_CLASS_POLL },
};

const size_t bpg_n_routes = sizeof(bpg_routes) / sizeof(bpg_routes[0]);
