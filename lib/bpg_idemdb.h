/* bpg_idemdb: where Idempotency-Keys are kept, one store per kind of call behind one interface
 * (struct bpg_idemdb_ops) that bpg_idemkey drives: the keys of submits on their
 * application_submission row, those of other calls (uploads) in idempotent_request. */
#ifndef BPG_IDEMDB_H
#define BPG_IDEMDB_H

#include "bpg_db.h"
#include "bpg_err.h"

/* What a store holds for one (user, key); strings owned (bpg_idemdb_row_release). */
struct bpg_idemdb_row {
	int found;
	char *id;                   /* submits: the submission the key is on; else NULL */
	char *cluster_id;           /* submits: its cluster (a take-over creates it there) */
	char *fingerprint;          /* NULL: none stored (yet, or rows from before them) */
	char *claim_owner;          /* the claim of the worker handling it (bpg_db_claim) */
	char *response;             /* the first answer's body, once stored */
	long long status;           /* its HTTP status; -1 until stored */
	long long created_ms;       /* -1 when unknown */
	int created;                /* submits: the SparkApplication was created (or observed) */
};

void bpg_idemdb_row_init(struct bpg_idemdb_row *r);
void bpg_idemdb_row_release(struct bpg_idemdb_row *r);

/* One keyed request as a store sees it. */
struct bpg_idemdb_key {
	const char *user;           /* the authenticated user: keys are per user */
	const char *key;
	const char *route;          /* "POST /s3", ...: kept with the key */
	const char *fp;             /* the request's fingerprint, or NULL while unknown */
	const char *id;             /* submits: the row this request inserted or took over */
};

/*
 * A store: get fills out (found 0: none); claim records a new key for this worker
 * (BPG_ECONFLICT: it exists; NULL when the caller's own insert claims it, as a submit's row
 * does); take_over moves an unanswered row from row->claim_owner to claim (BPG_ECONFLICT:
 * another retry won it); expire frees an expired key; finish records how the request ended
 * (status, the answer's body): the store keeps the answers its retries must get again and
 * frees the key after the others. Every call: BPG_EUNAVAIL when the database is down.
 */
struct bpg_idemdb_ops {
	enum bpg_err (*get)(void *db, const struct bpg_idemdb_key *k, struct bpg_idemdb_row *out);
	enum bpg_err (*claim)(void *db, const struct bpg_idemdb_key *k, const char *claim);
	enum bpg_err (*take_over)(void *db, const struct bpg_idemdb_key *k,
	    const struct bpg_idemdb_row *row, const char *claim);
	enum bpg_err (*expire)(void *db, const struct bpg_idemdb_key *k,
	    const struct bpg_idemdb_row *row);
	enum bpg_err (*finish)(void *db, const struct bpg_idemdb_key *k, int status,
	    const char *body);
	/* *alive_out = 1 when the worker holding claim is still there (bpg_db_claim_alive) */
	enum bpg_err (*alive)(void *db, const char *claim, int *alive_out);
};

/*
 * Calls other than submits (table idempotent_request): a 2xx answer with its fingerprint is
 * kept; after anything else the key is freed (nothing was stored). db: a struct bpg_db.
 */
extern const struct bpg_idemdb_ops bpg_idemdb_requests;

/* The monitor's clean-up of idempotent_request: keys older than ttl_s go (10,000 a call). */
enum bpg_err bpg_idemdb_requests_expire(struct bpg_db *db, long long ttl_s);

/*
 * Submits (the key, fingerprint and claim on the application_submission row the submit
 * inserts): a 4xx refusal is kept (the same request would fail the same way); a 2xx is the
 * row itself (answered from its id once created); after a 5xx the key is freed. db: a
 * struct bpg_db.
 */
extern const struct bpg_idemdb_ops bpg_idemdb_submissions;

#endif
