/* bpg_csrf: requests a browser sent from another site, and bodies by their declared type. */
#ifndef BPG_CSRF_H
#define BPG_CSRF_H

#include <stddef.h>
#include "bpg_config.h"
#include "bpg_dispatch.h"
#include "bpg_err.h"

/* What a request says of where it comes from (each NULL when the header is absent). */
struct bpg_csrf_in {
	const char *method;           /* "POST" */
	const char *origin;           /* Origin */
	const char *sec_fetch_site;   /* Sec-Fetch-Site */
	const char *host;             /* Host, as the client sent it (nginx's $http_host) */
};

/*
 * BPG_OK unless a browser marks the request as sent by another site: a method other than
 * GET, HEAD and OPTIONS whose Sec-Fetch-Site is not "same-origin" or "none", or whose Origin
 * is "null" or names another host than Host, unless that Origin is in trusted (exact, any
 * case; [gateway] allowed_origins). A request with neither header (curl, the Java client,
 * Airflow, the bpg CLI) passes. BPG_EFORBIDDEN with why saying which header refused it.
 */
enum bpg_err bpg_csrf_check(const struct bpg_csrf_in *in, const struct bpg_strlist *trusted,
    struct bpg_why *why);

/* A body's media type, from its Content-Type (its essence, any case, parameters ignored). */
enum bpg_media {
	BPG_MEDIA_NONE = 0,    /* no Content-Type, or an empty one */
	BPG_MEDIA_JSON,        /* application/json, application/<x>+json */
	BPG_MEDIA_YAML,        /* application/yaml, application/x-yaml, text/yaml, text/x-yaml */
	BPG_MEDIA_MULTIPART,   /* multipart/form-data */
	BPG_MEDIA_OCTET,       /* application/octet-stream */
	BPG_MEDIA_FORM,        /* application/x-www-form-urlencoded (curl --data-binary's default) */
	BPG_MEDIA_OTHER,       /* anything else, text/plain included */
};

enum bpg_media bpg_media_of(const char *content_type);

/*
 * BPG_OK when a route taking body may read a body of type content_type (*media_out set):
 * a submit JSON or YAML (none is JSON, as the Java gateway reads it), a Livy call JSON (none
 * too); an upload and a route reading no body take any type (an upload stores its bytes as
 * sent unless they are multipart/form-data). BPG_EMEDIA (415) otherwise, why naming the type
 * and what the route takes.
 */
enum bpg_err bpg_media_accept(enum bpg_route_body body, const char *content_type,
    enum bpg_media *media_out, struct bpg_why *why);

#endif
