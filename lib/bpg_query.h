/* bpg_query: the query string of a request, decoded and bounded. */
#ifndef BPG_QUERY_H
#define BPG_QUERY_H

#include <stddef.h>
#include "bpg_err.h"

#define BPG_QUERY_MAX_LEN    4096
#define BPG_QUERY_MAX_PARAMS 32
#define BPG_QUERY_MAX_VALUE  1024

struct bpg_query {
	size_t n;
	struct {
		char name[64];
		char value[BPG_QUERY_MAX_VALUE + 1];
	} p[BPG_QUERY_MAX_PARAMS];
};

/*
 * Parses "a=1&b=x%20y" (+ is a space). Returns BPG_EINVAL with why set for a string over
 * BPG_QUERY_MAX_LEN, more than BPG_QUERY_MAX_PARAMS parameters, a name over 63 bytes or a
 * value over BPG_QUERY_MAX_VALUE, bad %-escapes, NUL or control characters, invalid UTF-8,
 * or a parameter given twice.
 */
enum bpg_err bpg_query_parse(const char *qs, struct bpg_query *out, struct bpg_why *why);

/* The decoded value of name, or NULL. */
const char *bpg_query_get(const struct bpg_query *q, const char *name);

/*
 * Checks that every parameter is one of the NULL-terminated names; BPG_EINVAL naming the
 * first unknown one otherwise.
 */
enum bpg_err bpg_query_only(const struct bpg_query *q, const char *const *names,
    struct bpg_why *why);

/* Parses name as a whole number in [min, max] into *out; absent: def. */
enum bpg_err bpg_query_long(const struct bpg_query *q, const char *name, long long min,
    long long max, long long def, long long *out, struct bpg_why *why);

/* Parses name as true/false (absent: def). */
enum bpg_err bpg_query_bool(const struct bpg_query *q, const char *name, int def, int *out,
    struct bpg_why *why);

#endif
