/*
 * testkit: what the unit tests share. A suite from a table of tests (one "core" test case,
 * run and counted the same way in every binary), writable strings for the char * fields the
 * configuration owns elsewhere, and POST /spark's pipeline without I/O for the CR tests.
 */
#ifndef BPG_TESTKIT_H
#define BPG_TESTKIT_H

#include <check.h>
#include <stddef.h>
#include <cJSON.h>
#include "bpg_config.h"
#include "bpg_err.h"

/* The number of elements of an array (not a pointer). */
#define TK_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A writable copy of a string literal (a compound literal, no cast): for the char * fields of
 * struct bpg_cluster, bpg_queue and bpg_strlist that the loaded configuration owns. It lives as
 * long as the enclosing block; at file scope, as long as the program.
 */
#define TK_STR(lit) ((char[]){ lit })

/* One test of a suite: run once (loops 0) or for _i in [0, loops). */
struct tk_test {
	const TTest *test;
	int loops;
};
#define TK_TEST(t) { (t), 0 }
#define TK_LOOP(t, table) { (t), (int)TK_LEN(table) }

/* How a suite runs; NULL in tk_run is all defaults. */
struct tk_opts {
	void (*setup)(void);      /* a checked fixture around each test, or NULL */
	void (*teardown)(void);
	double timeout;           /* seconds; 0 keeps Check's default (CK_DEFAULT_TIMEOUT) */
	int nofork;               /* 1: the tests run in this process, one after another */
};

/* Runs tests[0..n) as the suite name; EXIT_SUCCESS when none failed, else EXIT_FAILURE. */
int tk_run(const char *name, const struct tk_test *tests, size_t n, const struct tk_opts *opt);

/* An upstream's answer (status, body) and what the client must make of it (code, text in why). */
struct tk_resp_case {
	long status;
	const char *body;
	enum bpg_err err;
	const char *why;
};

/* The input of tk_build_cr: a request body as a user (admin or not) sends it. */
struct tk_build_in {
	const struct bpg_config *cfg;
	const char *body;
	size_t len;
	const char *user;   /* the caller and the owner */
	int admin;
};

/*
 * Request text to SparkApplication through POST /spark's own pipeline (bpg_submit: parse,
 * queue, checks, routing, id, CR) with a fixed id (hex 0123456789abcdef0123456789abcdef) and
 * a random source that always says 0. Returns the HTTP status: 200 with *cr set (the caller
 * frees it with cJSON_Delete), else the error's status with *cr NULL and why filled.
 */
int tk_build_cr(const struct tk_build_in *in, cJSON **cr, struct bpg_why *why);

/*
 * The value at a '/'-separated path ("spec/driver/env/0/name": array items by index), or
 * NULL when a step is missing.
 */
const cJSON *tk_json_at(const cJSON *j, const char *path);

/* The string at path; the test fails when there is none there. */
const char *tk_json_str_at(const cJSON *j, const char *path);

#endif
