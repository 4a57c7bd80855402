/*
 * bpg_reqshape: the members of a submit request, coerced to their types and cut to their
 * shapes: strings, integers, lists, maps, volumes, env, the driver and executor, restartPolicy
 * and deps. bpg_request's helpers (its parse state and first-error message); no other caller.
 */
#ifndef BPG_REQSHAPE_H
#define BPG_REQSHAPE_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_request.h"

/* The parse state: the first error wins. */
struct bpg_reqshape {
	struct bpg_why *why;
	int failed;
	unsigned flags;             /* BPG_REQ_STRICT, BPG_REQ_JAVA */
	cJSON *ignored;             /* unknown nested fields dropped (lenient), or NULL */
};

/* Each returns 0, or -1 with the (first) error's message in p->why. */

/* Sets the message (once: the first error wins); returns -1. */
int bpg_reqshape_fail(struct bpg_reqshape *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Replaces item (a member or an array item of parent) by new, which takes over the key;
 * new is freed on failure. Returns 0 or -1 (no message: out of memory).
 */
int bpg_reqshape_replace_item(cJSON *parent, cJSON *item, cJSON *new);
/* Coerces a scalar to a string (Jackson's way); the new item through *item. */
int bpg_reqshape_coerce_str(struct bpg_reqshape *p, cJSON *parent, cJSON **item, const char *path);
/* Reads a whole number (numbers truncated, numeric strings parsed) in [min, max]. */
int bpg_reqshape_coerce_int(struct bpg_reqshape *p, const cJSON *item, const char *path,
    long long min, long long max, long long *out);
/* An array of at most max strings (scalars coerced). */
int bpg_reqshape_strlist(struct bpg_reqshape *p, cJSON *arr, const char *path, size_t max);
/* A map of string to string (labels 1, annotations 2, sparkConf 0): values coerced, keys checked. */
int bpg_reqshape_strmap(struct bpg_reqshape *p, cJSON *obj, const char *path, size_t max,
    int label_rules);
/* volumes: [{name, hostPath|configMap|secret|emptyDir|persistentVolumeClaim}] */
int bpg_reqshape_volumes(struct bpg_reqshape *p, cJSON *vols, struct bpg_submit_req *r);
/* The driver or executor (role) into *out: known members checked, unknown ones dropped. */
int bpg_reqshape_pod(struct bpg_reqshape *p, cJSON *pod, const char *role, struct bpg_pod_req *out);
/* restartPolicy: its shape and its type. */
int bpg_reqshape_restart(struct bpg_reqshape *p, cJSON *rpol);
/* deps: lists of strings (jars, files, pyFiles, ...). */
int bpg_reqshape_deps(struct bpg_reqshape *p, cJSON *deps);

#endif
