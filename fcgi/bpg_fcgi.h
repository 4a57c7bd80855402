/* bpg-fcgi: the worker's shared state, route table and handlers. */
#ifndef BPG_FCGI_H
#define BPG_FCGI_H

#include <stddef.h>
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_dispatch.h"
#include "bpg_http.h"
#include "bpg_k8s.h"

#define BPG_VERSION "0.1.0"

/* Long-lived worker state, built before the accept loop. */
struct bpg_app {
	const struct bpg_config *cfg;
	struct bpg_db *db;
	struct bpg_k8s *k8s;
};

/* A handler writes a success reply itself, or sets the request's error slot and returns it. */
typedef enum bpg_err (*bpg_handler)(struct bpg_app *app, struct bpg_http_req *req);

/* routes.c */
extern const struct bpg_route bpg_routes[];
extern const size_t bpg_n_routes;

/* h_health.c */
enum bpg_err h_health_status(struct bpg_app *app, struct bpg_http_req *req);

#endif
