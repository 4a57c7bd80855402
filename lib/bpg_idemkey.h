/* bpg_idemkey: the one Idempotency-Key mechanism of every keyed call (submits, Livy batches,
 * uploads): begin -> decision -> finish, over a store (bpg_idemdb) and bpg_idem's rules. */
#ifndef BPG_IDEMKEY_H
#define BPG_IDEMKEY_H

#include "bpg_err.h"
#include "bpg_idem.h"
#include "bpg_idemdb.h"

/* What a keyed request does, as bpg_idemkey_begin decides. */
enum bpg_idemkey_decision {
	BPG_IDEMKEY_RUN,        /* a new key (an expired one is freed first): run the request */
	BPG_IDEMKEY_TAKE_OVER,  /* its worker died before finishing: bpg_idemkey_take_over, then
	                           run it again (submits: under row.id, on row.cluster_id) */
	BPG_IDEMKEY_REPLAY,     /* answered: send row.status and row.response again */
	BPG_IDEMKEY_CREATED,    /* submits: the SparkApplication of row.id exists: answer it */
	BPG_IDEMKEY_BUSY,       /* its first request is still being processed: 409, Retry-After */
	BPG_IDEMKEY_MISMATCH,   /* the key was used with another request: 422, nothing done */
	BPG_IDEMKEY_VERIFY,     /* answered, this request's fingerprint not known yet (begin got
	                           none): compute it (read the body), then bpg_idemkey_verify */
};

/* One keyed request's key; caller storage (bpg_idemkey_init, bpg_idemkey_release). */
struct bpg_idemkey {
	const struct bpg_idemdb_ops *store;
	void *db;
	struct bpg_idemdb_key k;     /* user, key, route; fp and id once known */
	const char *claim;           /* this worker's claim (bpg_db_claim) */
	long long ttl_ms;
	char fp[BPG_IDEM_FP_LEN + 1];
	struct bpg_idemdb_row row;   /* what the store had for the key (after begin) */
	int held;                    /* this request holds the key: it calls bpg_idemkey_finish */
};

/*
 * Starts k for who (user, key and route; fp and id unused) in store over db; claim is this
 * worker's, ttl_ms how long a key is remembered. Nothing is read yet.
 */
void bpg_idemkey_init(struct bpg_idemkey *k, const struct bpg_idemdb_ops *store, void *db,
    const struct bpg_idemdb_key *who, const char *claim, long long ttl_ms);

/* Releases what k holds (not the key: see bpg_idemkey_finish). */
void bpg_idemkey_release(struct bpg_idemkey *k);

/* Sets the request's fingerprint (bpg_idem_fingerprint) once it is known. */
void bpg_idemkey_set_fp(struct bpg_idemkey *k, const char fp[BPG_IDEM_FP_LEN + 1]);

/*
 * Looks the key up at now_ms and decides (bpg_idem_decide), with the fingerprint set so far
 * (none: an answered key is BPG_IDEMKEY_VERIFY). A key found expired is freed and run as new.
 * A new key is claimed for this request (held) when the store claims keys itself; else the
 * caller's own insert claims it (a submit's row), and when that insert meets BPG_ECONFLICT
 * (a racing request inserted first) the caller begins again. A key two racing requests
 * claimed is BPG_IDEMKEY_BUSY for the loser. *out gets the decision. BPG_EUNAVAIL (or
 * the store's error) when the database cannot say. A begin again forgets what k held (a
 * submit that failed over left that row, its key dropped, before its new insert raced).
 */
enum bpg_err bpg_idemkey_begin(struct bpg_idemkey *k, long long now_ms,
    enum bpg_idemkey_decision *out);

/* After BPG_IDEMKEY_VERIFY: fp decides between BPG_IDEMKEY_REPLAY and _MISMATCH. */
enum bpg_idemkey_decision bpg_idemkey_verify(struct bpg_idemkey *k,
    const char fp[BPG_IDEM_FP_LEN + 1]);

/*
 * After BPG_IDEMKEY_TAKE_OVER: moves the key (the row) from the dead worker to this one
 * (held). BPG_ECONFLICT when a racing retry took it first: answer BPG_IDEMKEY_BUSY.
 */
enum bpg_err bpg_idemkey_take_over(struct bpg_idemkey *k);

/*
 * Submits: the row id the caller inserted with the key (its claim) now holds it; id (caller
 * storage, live until finish) is what bpg_idemkey_finish records on.
 */
void bpg_idemkey_hold(struct bpg_idemkey *k, const char *id);

/*
 * Records how a held key's request ended: status and the answer's body (NULL: none). The
 * store keeps what the retries must get again and frees the key after the rest (nothing
 * done: a retry runs the request again). Nothing when the key is not held. The store's error
 * (the caller logs it: the answer is sent all the same).
 */
enum bpg_err bpg_idemkey_finish(struct bpg_idemkey *k, int status, const char *body);

#endif
