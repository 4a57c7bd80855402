/* bpg_err: the gateway's error codes, their names and their HTTP statuses. */
#ifndef BPG_ERR_H
#define BPG_ERR_H

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

#endif
