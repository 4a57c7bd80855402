/* bpg_idem: Idempotency-Key rules (IETF draft, as Stripe applies them): the key, the request's
 * fingerprint and what a request carrying a known key gets. Pure: no I/O. */
#ifndef BPG_IDEM_H
#define BPG_IDEM_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_err.h"

#define BPG_IDEM_KEY_MAX 255
#define BPG_IDEM_FP_LEN  64     /* hex SHA-256 */

/*
 * Checks a key: 1 to 255 printable ASCII characters, no spaces. BPG_EINVAL with the reason
 * in why otherwise.
 */
enum bpg_err bpg_idem_key_check(const char *key, struct bpg_why *why);

/*
 * The fingerprint of a keyed request: SHA-256 (hex, NUL-terminated in out) over the method
 * and route, the authenticated user, the owner it acts for and the request as canonical JSON
 * (object keys sorted at every level, so JSON and YAML forms and any key order of the same
 * request agree). req is not changed. BPG_ENOMEM.
 */
enum bpg_err bpg_idem_fingerprint(const char *route, const char *user, const char *owner,
    const cJSON *req, char out[BPG_IDEM_FP_LEN + 1]);

/* What the row found for a key says, as bpg_idem_decide reads it. */
struct bpg_idem_seen {
	const char *fingerprint;    /* stored; NULL for rows from before fingerprints */
	long long created_ms;
	int answered;               /* a first answer (a 4xx) is stored */
	int created;                /* the SparkApplication was created (or observed) */
	int claim_alive;            /* the worker that handles it is still there */
};

enum bpg_idem_action {
	BPG_IDEM_MISMATCH,   /* the key was used with another request: 422, nothing done */
	BPG_IDEM_EXPIRED,    /* older than the TTL: free the key, then run as new */
	BPG_IDEM_REPLAY,     /* send the stored first answer again */
	BPG_IDEM_CREATED,    /* created: answer 200 with its id */
	BPG_IDEM_BUSY,       /* its first request is still being processed: 409 */
	BPG_IDEM_TAKE_OVER,  /* its worker died before creating it: finish the work now */
};

/* The decision for a request with fingerprint fp meeting seen, at now_ms with ttl_ms. */
enum bpg_idem_action bpg_idem_decide(const struct bpg_idem_seen *seen, const char *fp,
    long long now_ms, long long ttl_ms);

#endif
