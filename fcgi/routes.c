/* bpg-fcgi: the route table, one line per endpoint. */
#include "bpg_fcgi.h"

/*
 * The generic table holds the handler as const void *: here, the address of a constant
 * bpg_handler (a compound literal, static at file scope), which main.c reads back typed. The fifth column is
 * the per-user rate-limit budget ([ratelimit] in the config) the route draws from, then
 * the body it reads (the media types it takes; others are 415 before the handler runs).
 */
#define H(f) ((const void *)&(const bpg_handler){ f })
/* short names for the table's columns */
#define PUBLIC BPG_ACCESS_PUBLIC
#define USER   BPG_ACCESS_USER
#define ADMIN  BPG_ACCESS_ADMIN
#define NONE   BPG_BODY_NONE

const struct bpg_route bpg_routes[] = {
	{ "GET", "/healthcheck/status", H(h_health_status), USER, BPG_CLASS_OTHER, NONE },
	{ "POST", "/spark", H(h_submit), USER, BPG_CLASS_SUBMIT, BPG_BODY_SUBMIT },
	/* before /spark/{id}/...: literal segments are listed first */
	{ "GET", "/spark/mySubmissions", H(h_list_mine), USER, BPG_CLASS_LIST, NONE },
	{ "GET", "/spark/{id}/status", H(h_spark_status), USER, BPG_CLASS_POLL, NONE },
	{ "GET", "/spark/{id}/spec", H(h_spark_spec), USER, BPG_CLASS_POLL, NONE },
	{ "GET", "/spark/{id}/driver", H(h_spark_driver), USER, BPG_CLASS_POLL, NONE },
	{ "GET", "/spark/{id}/describe", H(h_spark_describe), USER, BPG_CLASS_POLL, NONE },
	{ "DELETE", "/spark/{id}", H(h_spark_delete), USER, BPG_CLASS_OTHER, NONE },
	{ "POST", "/s3/{name}", H(h_s3_upload), USER, BPG_CLASS_SUBMIT, BPG_BODY_UPLOAD },
	{ "GET", "/log", H(h_log), USER, BPG_CLASS_POLL, NONE },
	{ "GET", "/admin/submissions", H(h_list_all), ADMIN, BPG_CLASS_LIST, NONE },
	{ "GET", "/admin/version", H(h_admin_version), ADMIN, BPG_CLASS_OTHER, NONE },
	{ "GET", "/openapi.json", H(h_openapi), PUBLIC, BPG_CLASS_OTHER, NONE },
	{ "GET", "/openapi.yaml", H(h_openapi_yaml), PUBLIC, BPG_CLASS_OTHER, NONE },
	/* nginx asks it before serving the web UI: the UI is behind the API's authentication */
	{ "GET", "/ui/config.json", H(h_ui_config), USER, BPG_CLASS_OTHER, NONE },
	/* the Java gateway's Dropwizard admin probes; nginx maps /healthcheck and /ping here */
	{ "GET", "/healthcheck", H(h_health_admin), PUBLIC, BPG_CLASS_OTHER, NONE },
	{ "GET", "/ping", H(h_health_ping), PUBLIC, BPG_CLASS_OTHER, NONE },
	{ "GET", "/metrics", H(h_metrics), ADMIN, BPG_CLASS_OTHER, NONE },
	/* Apache Livy's batch API: only under [livy] prefix (main.c maps it to /livy) */
	{ "POST", "/livy/batches", H(h_livy_create), USER, BPG_CLASS_SUBMIT, BPG_BODY_JSON },
	{ "GET", "/livy/batches", H(h_livy_list), USER, BPG_CLASS_LIST, NONE },
	{ "GET", "/livy/batches/{id}", H(h_livy_get), USER, BPG_CLASS_POLL, NONE },
	{ "DELETE", "/livy/batches/{id}", H(h_livy_delete), USER, BPG_CLASS_OTHER, NONE },
	{ "GET", "/livy/batches/{id}/state", H(h_livy_state), USER, BPG_CLASS_POLL, NONE },
	{ "GET", "/livy/batches/{id}/log", H(h_livy_log), USER, BPG_CLASS_POLL, NONE },
};

const size_t bpg_n_routes = sizeof(bpg_routes) / sizeof(bpg_routes[0]);
