/* bpg-fcgi: the worker's shared state, route table and handlers. */
#ifndef BPG_FCGI_H
#define BPG_FCGI_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_dispatch.h"
#include "bpg_http.h"
#include "bpg_jwt.h"
#include "bpg_k8s.h"
#include "bpg_metrics.h"
#include "bpg_ratelimit.h"
#include "bpg_s3.h"
#include "bpg_s3up.h"
#include "bpg_service.h"
#include "bpg_subdb.h"

#define BPG_VERSION "0.1.0"

/* Long-lived worker state, built before the accept loop. */
struct bpg_app {
	const struct bpg_config *cfg;
	struct bpg_db *db;
	struct bpg_k8s *k8s;
	struct bpg_s3 *s3;                  /* NULL without [s3] bucket or credentials */
	struct bpg_s3up_pool *s3up;         /* uploads' part clients and spool (NULL with s3) */
	struct bpg_metrics *metrics;        /* NULL when the metrics file could not be mapped */
	struct bpg_ratelimit *ratelimit;    /* per-user budgets shared by the workers */
	struct bpg_jwt_secrets queue_secrets;   /* for secure queues' tokens */
	unsigned long zone_counter;         /* round robin over a queue's zones */
	const char *route_names[BPG_METRICS_MAX_ROUTES];   /* "GET /spark/{id}/status" */
	/* the health check's last good probe of each cluster (index) and of S3 (n_clusters) */
	struct bpg_probe {
		long long ok_at_ms;     /* 0: none yet */
		double latency_ms;
	} probes[BPG_CONFIG_MAX_CLUSTERS + 1];
	/* the health check's last good read of the database, with the monitor's run it read */
	struct bpg_health_db {
		struct bpg_probe probe; /* ok_at_ms 0: none yet, or the last read failed */
		int have_run;           /* monitor_run had its row */
		struct bpg_monitor_run run;
	} health_db;
	/*
	 * The health check's last answer, rendered: sent again while every dependency's answer
	 * is reused (none asked since it was rendered); rendered anew when one is asked.
	 */
	struct bpg_buf health_body;
};

/* A handler writes a success reply itself, or sets the request's error slot and returns it. */
typedef enum bpg_err (*bpg_handler)(struct bpg_app *app, struct bpg_http_req *req);

/* cli.c: the one-shot commands; the config file is found by bpg_config_path(). */
enum bpg_cli_mode { BPG_CLI_SERVE = 0, BPG_CLI_CHECK, BPG_CLI_SHOW, BPG_CLI_MIGRATE,
	BPG_CLI_QUEUE_TOKEN };
struct bpg_cli {
	enum bpg_cli_mode mode;
	const char *config;     /* --config FILE */
	const char *file;       /* the FILE after --check-config, --show-config or --migrate */
	const char *sql_dir;    /* --sql-dir */
	const char *queue, *user, *ttl;     /* --queue-token QUEUE [--user U] [--ttl S] */
};
/* Loads path or prints every error to stderr; NULL on failure. */
struct bpg_config *bpg_cli_load(const char *path);
/* Runs a one-shot mode; the process's exit status. */
int bpg_cli_run(const struct bpg_cli *cli);

/* routes.c */
extern const struct bpg_route bpg_routes[];
extern const size_t bpg_n_routes;

/* front.c: the service's context and answers, for every front */
/* Fills svc for req: the worker's clients, the clock, the caller; the error slot empty. */
void bpg_front_svc(struct bpg_app *app, const struct bpg_http_req *req, struct bpg_svc *svc);
/* err; the service's error, when it set one, becomes req's (Retry-After included). */
enum bpg_err bpg_front_fail(struct bpg_http_req *req, const struct bpg_svc *svc, enum bpg_err err);
/* Replies status with j as JSON and extra headers (may be NULL); j NULL: out of memory. */
enum bpg_err bpg_front_reply_json(struct bpg_http_req *req, int status, const char *extra,
    const cJSON *j);

/* h_spark.c */
enum bpg_err h_spark_status(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_spec(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_driver(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_describe(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_delete(struct bpg_app *app, struct bpg_http_req *req);

/* h_submit.c */
enum bpg_err h_submit(struct bpg_app *app, struct bpg_http_req *req);

/* h_s3.c */
enum bpg_err h_s3_upload(struct bpg_app *app, struct bpg_http_req *req);

/* h_log.c */
enum bpg_err h_log(struct bpg_app *app, struct bpg_http_req *req);

/* h_livy.c */
enum bpg_err h_livy_create(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_livy_list(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_livy_get(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_livy_delete(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_livy_state(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_livy_log(struct bpg_app *app, struct bpg_http_req *req);

/* h_list.c */
enum bpg_err h_list_mine(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_list_all(struct bpg_app *app, struct bpg_http_req *req);

/* h_admin.c */
enum bpg_err h_admin_version(struct bpg_app *app, struct bpg_http_req *req);

/* h_metrics.c */
enum bpg_err h_metrics(struct bpg_app *app, struct bpg_http_req *req);

/* h_openapi.c */
enum bpg_err h_openapi(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_openapi_yaml(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_ui_config(struct bpg_app *app, struct bpg_http_req *req);

/* h_health.c */
enum bpg_err h_health_status(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_health_admin(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_health_ping(struct bpg_app *app, struct bpg_http_req *req);

#endif
