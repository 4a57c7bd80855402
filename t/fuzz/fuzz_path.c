/*
 * libFuzzer: a request line as bpg-fcgi's handle() sees it: the first byte picks the method,
 * the rest is DOCUMENT_URI[?QUERY_STRING]. The URI goes through bpg_http_strip_base (the
 * configured base path and "/skatev2") and bpg_dispatch over the gateway's route table, a
 * captured {id} through bpg_subid_is_app_id and bpg_subid_parse, and the query through
 * bpg_query_parse and the helpers the handlers call. Checks: a stripped path is the URI's
 * tail and starts with '/'; a match captures one non-empty, '/'-free segment per {param}
 * from the path; a trailing '/' changes nothing; 405 lists the methods; every parsed query
 * parameter is found again by name. The config comes from $BPG_FUZZ_CONFIG, else
 * t/fixtures/crd/crd.ini (run from the project root).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_config.h"
#include "bpg_dispatch.h"
#include "bpg_http.h"
#include "bpg_query.h"
#include "bpg_subid.h"
#include "fuzzkit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fcgi/routes.c's table (patterns and methods; the handlers are not linked here). */
static const struct bpg_route routes[] = {
	{ .method = "GET", .pattern = "/healthcheck/status", .access = BPG_ACCESS_USER },
	{ .method = "POST", .pattern = "/spark", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/spark/mySubmissions", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/spark/{id}/status", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/spark/{id}/spec", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/spark/{id}/driver", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/spark/{id}/describe", .access = BPG_ACCESS_USER },
	{ .method = "DELETE", .pattern = "/spark/{id}", .access = BPG_ACCESS_USER },
	{ .method = "POST", .pattern = "/s3/{name}", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/log", .access = BPG_ACCESS_USER },
	{ .method = "GET", .pattern = "/admin/submissions", .access = BPG_ACCESS_ADMIN },
	{ .method = "GET", .pattern = "/admin/version", .access = BPG_ACCESS_ADMIN },
	{ .method = "GET", .pattern = "/openapi.json", .access = BPG_ACCESS_PUBLIC },
	{ .method = "GET", .pattern = "/metrics", .access = BPG_ACCESS_ADMIN },
	/* not routes of the gateway: more than one parameter, and a deeper pattern */
	{ .method = "PUT", .pattern = "/t/{a}/{b}/{c}/{d}", .access = BPG_ACCESS_USER },
	{ .method = "PATCH", .pattern = "/t/{a}/x/{b}", .access = BPG_ACCESS_USER },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* The query parameter names the handlers accept (fcgi/h_*.c). */
static const char *const qnames[] = { "appId", "applicationName", "container",
    "content-length", "createdAfter", "createdBefore", "dagUser", "dryRun", "execId", "folder",
    "follow", "format", "limit", "limitBytes", "name", "next", "overwrite", "queue", "s3only",
    "state", "subId", "tailLines", NULL };

static struct bpg_config *cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cfg = fuzz_config_load("fuzz_path");
	return 0;
}

/* Checks a match: the route's method (HEAD for GET), one good segment per {param}. */
static void
check_match(const char *method, const char *path, const struct bpg_match *m)
{
	const char *p = m->route->pattern;
	size_t want = 0;

	if (strcmp(m->route->method, method) != 0 &&
	    !(strcmp(method, "HEAD") == 0 && strcmp(m->route->method, "GET") == 0))
		abort();
	for (; *p; p++)
		want += *p == '{';
	if (m->nparams != want)
		abort();
	for (size_t i = 0; i < m->nparams; i++) {
		size_t n = strnlen(m->params[i], sizeof(m->params[i]));
		if (n == 0 || n >= sizeof(m->params[i]) || strchr(m->params[i], '/') != NULL ||
		    strstr(path, m->params[i]) == NULL)
			abort();
	}
}

/* The {id} of a match as the /spark handlers read it. */
static void
check_id(const struct bpg_match *m)
{
	const struct bpg_cluster *c = (const struct bpg_cluster *)1;
	char why[256];

	if (m->nparams != 1 || strncmp(m->route->pattern, "/spark/", 7) != 0)
		return;
	(void)bpg_subid_is_app_id(m->params[0]);
	if (bpg_subid_parse(cfg, m->params[0], &c, BPG_WHY(why)) == BPG_OK) {
		if (c == NULL || c == (const struct bpg_cluster *)1 ||
		    strncmp(m->params[0], c->id, strlen(c->id)) != 0)
			abort();
	} else if (c != (const struct bpg_cluster *)1 || memchr(why, '\0', sizeof(why)) == NULL) {
		abort();   /* the output is written only on success */
	}
}

/* Routes path; the same answer with one '/' more at the end. */
static void
route(const char *method, const char *path)
{
	struct bpg_match m, m2;
	char slashed[BPG_PATH_MAX + 1];
	size_t len = strlen(path);
	enum bpg_err err = bpg_dispatch(routes, N_ROUTES, method, path, &m), err2;

	if (err == BPG_OK) {
		check_match(method, path, &m);
		check_id(&m);
	} else if (err == BPG_EMETHOD) {
		if (m.allow[0] == '\0' || memchr(m.allow, '\0', sizeof(m.allow)) == NULL)
			abort();
	} else if (err != BPG_ENOTFOUND && err != BPG_EINVAL) {
		abort();
	}
	if (len == 0 || path[len - 1] == '/' || len + 1 >= BPG_PATH_MAX)
		return;
	memcpy(slashed, path, len);
	slashed[len] = '/';
	slashed[len + 1] = '\0';
	err2 = bpg_dispatch(routes, N_ROUTES, method, slashed, &m2);
	if (err2 != err || (err == BPG_OK && (m2.route != m.route || m2.nparams != m.nparams)))
		abort();
	for (size_t i = 0; err == BPG_OK && i < m.nparams; i++)
		if (strcmp(m.params[i], m2.params[i]) != 0)
			abort();
}

/* Parses the query; each parameter is found by name, then the helpers run over it. */
static void
query(const char *qs)
{
	struct bpg_query *q = malloc(sizeof(*q));
	char why[256];
	long long n;
	int b;

	if (q == NULL)
		return;
	if (bpg_query_parse(qs, q, BPG_WHY(why)) == BPG_OK) {
		if (q->n > BPG_QUERY_MAX_PARAMS)
			abort();
		for (size_t i = 0; i < q->n; i++)
			if (bpg_query_get(q, q->p[i].name) != q->p[i].value)
				abort();   /* given twice, or not found */
		(void)bpg_query_only(q, qnames, BPG_WHY(why));
		for (size_t i = 0; qnames[i] != NULL; i++) {
			if (bpg_query_long(q, qnames[i], -5, 1000, 7, &n, BPG_WHY(why)) == BPG_OK &&
			    (n < -5 || n > 1000))
				abort();
			if (bpg_query_bool(q, qnames[i], 0, &b, BPG_WHY(why)) == BPG_OK &&
			    b != 0 && b != 1)
				abort();
		}
	}
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "DELETE", "PUT", "PATCH",
	    "OPTIONS", "get" };
	const char *prefixes[] = { cfg->gateway.base_path, "/skatev2" };
	struct bpg_http_req *req;
	const char *method;
	char *s, *qs;
	enum bpg_err err;

	if (size < 1 || (s = malloc(size)) == NULL)
		return 0;
	method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if ((qs = strchr(s, '?')) != NULL)
		*qs++ = '\0';
	if ((req = calloc(1, sizeof(*req))) == NULL)
		goto out;
	req->method = method;
	req->uri = s;
	req->query = qs ? qs : "";
	err = bpg_http_strip_base(req, prefixes, sizeof(prefixes) / sizeof(prefixes[0]));
	if (err == BPG_OK) {
		size_t plen = strlen(req->path), ulen = strlen(s);
		if (plen >= sizeof(req->path) || req->path[0] != '/' ||
		    (ulen < plen ? strcmp(req->path, "/") != 0 :
		    strcmp(s + ulen - plen, req->path) != 0 && strcmp(req->path, "/") != 0))
			abort();   /* the path is the URI's tail (or "/" for the base itself) */
		route(method, req->path);
	} else if (err != BPG_ENOTFOUND && err != BPG_EINVAL) {
		abort();
	}
	route(method, s);   /* the URI itself, as a path */
	query(req->query);
	free(req);
out:
	free(s);
	return 0;
}
