/* bpg_err: the gateway's error codes, their names and their HTTP statuses. */
#ifndef BPG_ERR_H
#define BPG_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum bpg_err {
	BPG_OK = 0,
	BPG_EINVAL,        /* the client sent something invalid: 400 */
	BPG_EUNAUTH,       /* no or unknown credentials: 401 */
	BPG_EFORBIDDEN,    /* authenticated but not allowed: 403 */
	BPG_ENOTFOUND,     /* no such resource or route: 404 */
	BPG_EMETHOD,       /* route exists, method does not: 405 */
	BPG_ECONFLICT,     /* already exists or changed meanwhile: 409 */
	BPG_ETOOLARGE,     /* body or field over a limit: 413 */
	BPG_ERATELIMIT,    /* too many requests: 429 */
	BPG_EINTERNAL,     /* a bug or an unexpected local failure: 500 */
	BPG_ENOMEM,        /* allocation failed: 500 */
	BPG_EUPSTREAM,     /* an upstream answered wrongly: 502 */
	BPG_EUNAVAIL,      /* a dependency is down: 503 */
	BPG_ETIMEOUT,      /* a dependency did not answer in time: 504 */
	BPG_ECONFIG,       /* the configuration is invalid (start-up only) */
	BPG_EIO,           /* a local read or write failed */
	BPG_EMISMATCH,     /* contradicts an earlier request (an Idempotency-Key reused): 422 */
	BPG_EMEDIA,        /* a body of a media type the route does not read: 415 */
	BPG_ESLOW,         /* the client sent its request body too slowly: 408 */
	BPG_ERR_COUNT
};

/* Returns the HTTP status for err; 500 for anything without its own. */
int bpg_err_http_status(enum bpg_err err);

/* Returns a short static lowercase name for err ("not found"). */
const char *bpg_err_str(enum bpg_err err);

/* Returns the standard reason phrase for an HTTP status ("Not Found"), or "Unknown". */
const char *bpg_err_reason(int status);

/*
 * The one channel for error text: a buffer and its size. A function that can say why it failed
 * takes a `struct bpg_why *why` (NULL when the caller does not want the text) and writes it with
 * bpg_why_set. Make one over a char array with BPG_WHY(arr), over a pointer and a size with
 * BPG_WHY_BUF(p, n).
 */
struct bpg_why {
	char *text;
	size_t size;
};

#define BPG_WHY_BUF(p, n) (&(struct bpg_why){ (p), (n) })
/* arr must be an array (a pointer would give the pointer's size): checked when compiled. */
#define BPG_WHY(arr) BPG_WHY_BUF((arr), sizeof(arr) + 0 * sizeof(char[ \
    __builtin_types_compatible_p(__typeof__(arr), __typeof__(&(arr)[0])) ? -1 : 1]))

/*
 * Writes the formatted text into w, truncated to fit and always terminated; writes nothing when w
 * is NULL or its size is 0. Returns err, so `return bpg_why_set(why, BPG_EINVAL, "...")` works.
 */
enum bpg_err bpg_why_set(struct bpg_why *w, enum bpg_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* bpg_why_set with a va_list. */
enum bpg_err bpg_why_vset(struct bpg_why *w, enum bpg_err err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Returns w's text, or "" when w is NULL or has no room. */
const char *bpg_why_text(const struct bpg_why *w);

#endif
