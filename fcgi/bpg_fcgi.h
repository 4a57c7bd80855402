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
		long long ok_at_ms;     /* 0: none yet, or the last read failed */
		double latency_ms;
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

/* A submission looked up from the {id} route parameter (a submission or Spark app id). */
struct bpg_sub {
	const char *id;                      /* the submission id */
	const struct bpg_cluster *cluster;
	struct bpg_sub_row row;              /* release with bpg_sub_row_release() */
	int have_row;
};

/* main.c */
long long bpg_now_ms(void);

/* h_spark.c */
/*
 * Resolves req's {id}, loads its row and checks the caller may read it (flags
 * BPG_SUB_WRITE: may delete it; BPG_SUB_ATTEMPTS: the row's attempt history too). On
 * failure the request's error is set and returned; s->row is always to be released.
 */
#define BPG_SUB_WRITE    1
#define BPG_SUB_ATTEMPTS 2
enum bpg_err bpg_sub_lookup(struct bpg_app *app, struct bpg_http_req *req, int flags,
    struct bpg_sub *s);
/* The same for an id from elsewhere (a query parameter). */
enum bpg_err bpg_sub_lookup_id(struct bpg_app *app, struct bpg_http_req *req, const char *id,
    int flags, struct bpg_sub *s);
/*
 * Brings a looked-up submission's row up to date: unless it is fresh ([gateway]
 * status_max_age_ms) or terminal, the CR is read and written through; a cluster that is down
 * or a CR that is gone leave the stored state. Errors are set on req.
 */
enum bpg_err bpg_sub_refresh(struct bpg_app *app, struct bpg_http_req *req, struct bpg_sub *s,
    int flags);
/* Deletes a looked-up submission's SparkApplication (gone already is fine); notes who did. */
enum bpg_err bpg_sub_delete(struct bpg_app *app, struct bpg_http_req *req,
    const struct bpg_sub *s);
enum bpg_err h_spark_status(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_spec(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_driver(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_describe(struct bpg_app *app, struct bpg_http_req *req);
enum bpg_err h_spark_delete(struct bpg_app *app, struct bpg_http_req *req);

/* h_submit.c */
enum bpg_err h_submit(struct bpg_app *app, struct bpg_http_req *req);

/* How a front end (POST /spark, Livy's POST /batches) answers a submission that exists. */
struct bpg_submit_front {
	const char *route;   /* names the operation in the Idempotency-Key fingerprint */
	/* answers the success: id created now, or replayed (an Idempotency-Key retry) */
	enum bpg_err (*reply)(struct bpg_app *app, struct bpg_http_req *req, const char *id,
	    int replayed);
};

/* What a front end parsed; req is taken over by bpg_submit_run (freed whatever happens). */
struct bpg_submit_args {
	struct bpg_submit_req *req;
	const char *owner;   /* who the submission belongs to (the proxy user); lives on */
	const char *idem;    /* a checked Idempotency-Key, or NULL */
	int dry_run;
};

/*
 * Runs the submit pipeline (validation against the queue, routing, the row, the create,
 * failover, Idempotency-Key) and answers through front. Errors are set on req.
 */
enum bpg_err bpg_submit_run(struct bpg_app *app, struct bpg_http_req *req,
    const struct bpg_submit_args *in, const struct bpg_submit_front *front);

/* h_s3.c */
enum bpg_err h_s3_upload(struct bpg_app *app, struct bpg_http_req *req);

/* h_log.c */
enum bpg_err h_log(struct bpg_app *app, struct bpg_http_req *req);
/*
 * Appends the driver's log of a looked-up submission (its last tail_lines lines, 0: all) to
 * out, as GET /log reads it: the live pod, else S3; nothing when there is neither. What
 * does not fit out's limit is dropped. Errors are set on req.
 */
enum bpg_err bpg_log_read(struct bpg_app *app, struct bpg_http_req *req, const struct bpg_sub *s,
    long long tail_lines, struct bpg_buf *out);

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
