/* bpg_log: one logfmt line per event on stderr. */
#ifndef BPG_LOG_H
#define BPG_LOG_H

#include <stdio.h>

enum bpg_log_level {
	BPG_LOG_DEBUG = 0,
	BPG_LOG_INFO,
	BPG_LOG_WARN,
	BPG_LOG_ERROR,
};

/* Sets the lowest level written; "debug", "info", "warn" or "error". Returns 0, or -1 if unknown. */
int bpg_log_set_level_name(const char *name);
void bpg_log_set_level(enum bpg_log_level level);

/* Redirects output (tests); NULL restores stderr. */
void bpg_log_set_stream(FILE *fp);

/* Sets the request id put on every line until cleared with NULL. The string is copied. */
void bpg_log_set_request(const char *req_id);

/*
 * Writes one line: level=L [req=R] mod=M msg="..." k1=v1 k2=v2 ...
 * The variadic part is pairs of const char * key and value, ended by a NULL key (the
 * compiler checks that the last argument is NULL).
 * Values are quoted and escaped when needed; a NULL value is written as "".
 */
void bpg_log(enum bpg_log_level level, const char *mod, const char *msg, ...)
    __attribute__((sentinel));

/* Escapes s as a logfmt value into out (size n, always NUL-terminated); returns out. */
char *bpg_log_escape(const char *s, char *out, size_t n);

#endif
