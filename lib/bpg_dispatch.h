/* bpg_dispatch: matches a method and path against a route table. */
#ifndef BPG_DISPATCH_H
#define BPG_DISPATCH_H

#include <stddef.h>
#include "bpg_err.h"

#define BPG_ROUTE_MAX_PARAMS 4
#define BPG_PATH_MAX 1024

enum bpg_route_access {
	BPG_ACCESS_PUBLIC = 0,   /* no user needed */
	BPG_ACCESS_USER,         /* any allowed user */
	BPG_ACCESS_ADMIN,        /* users in [auth] admin_users */
};

/* Which per-user rate-limit budget a route draws from ([ratelimit] in the config). */
enum bpg_route_class {
	BPG_CLASS_OTHER = 0,     /* everything else (delete, health, admin version, metrics) */
	BPG_CLASS_SUBMIT,        /* POST /spark, uploads */
	BPG_CLASS_LIST,          /* mySubmissions, admin lists */
	BPG_CLASS_POLL,          /* status, spec, driver, describe, log */
	BPG_CLASS_COUNT
};

/* The body a route reads, and so the media types it accepts (bpg_csrf: 415 for others). */
enum bpg_route_body {
	BPG_BODY_NONE = 0,       /* none is read: Content-Type is ignored */
	BPG_BODY_SUBMIT,         /* a submission: JSON or YAML */
	BPG_BODY_JSON,           /* JSON only (the Livy API) */
	BPG_BODY_UPLOAD,         /* an artifact's bytes as sent (any type), or one multipart file */
};

/* One route: "GET", "/spark/{id}/status"; handler is opaque to this module. */
struct bpg_route {
	const char *method;
	const char *pattern;
	const void *handler;
	enum bpg_route_access access;
	enum bpg_route_class cls;
	enum bpg_route_body body;
};

/* "other", "submit", "list", "poll"; "other" for an unknown value. */
const char *bpg_route_class_name(enum bpg_route_class cls);

struct bpg_match {
	const struct bpg_route *route;
	size_t nparams;
	/* captured segments, NUL-terminated, in pattern order */
	char params[BPG_ROUTE_MAX_PARAMS][256];
	/* for 405: the methods the path allows, comma-separated */
	char allow[64];
};

/*
 * Finds the route for method and path (the part after the base path, starting with '/').
 * A trailing '/' is ignored. Returns BPG_OK with out filled, BPG_ENOTFOUND when no pattern
 * matches the path, BPG_EMETHOD when one does but not for this method (out->allow is set;
 * HEAD is accepted where GET is), BPG_EINVAL for a path that is too long or has a
 * captured segment over 255 bytes.
 */
enum bpg_err bpg_dispatch(const struct bpg_route *routes, size_t n, const char *method,
    const char *path, struct bpg_match *out);

#endif
