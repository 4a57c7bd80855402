/* bpg_idemkey: one Idempotency-Key mechanism: begin -> decision -> finish over a store. */
#include <string.h>
#include "bpg_idemkey.h"

void
bpg_idemkey_init(struct bpg_idemkey *k, const struct bpg_idemdb_ops *store, void *db,
    const struct bpg_idemdb_key *who, const char *claim, long long ttl_ms)
{
	memset(k, 0, sizeof(*k));
	k->store = store;
	k->db = db;
	k->k.user = who->user;
	k->k.key = who->key;
	k->k.route = who->route;
	k->claim = claim;
	k->ttl_ms = ttl_ms;
	bpg_idemdb_row_init(&k->row);
}

void
bpg_idemkey_release(struct bpg_idemkey *k)
{
	bpg_idemdb_row_release(&k->row);
}

void
bpg_idemkey_set_fp(struct bpg_idemkey *k, const char fp[BPG_IDEM_FP_LEN + 1])
{
	memcpy(k->fp, fp, sizeof(k->fp));
	k->fp[BPG_IDEM_FP_LEN] = '\0';
	k->k.fp = k->fp;
}

void
bpg_idemkey_hold(struct bpg_idemkey *k, const char *id)
{
	k->k.id = id;
	k->held = 1;
}

/* A key nobody holds: claimed for this request when the store claims keys itself. */
static enum bpg_err
begin_new(struct bpg_idemkey *k, int *raced, enum bpg_idemkey_decision *out)
{
	enum bpg_err err;

	*out = BPG_IDEMKEY_RUN;
	if (k->store->claim == NULL)
		return BPG_OK;    /* the caller's insert claims it */
	err = k->store->claim(k->db, &k->k, k->claim);
	if (err == BPG_ECONFLICT && !*raced) {
		*raced = 1;       /* a racing request claimed it first: act on its row */
		return BPG_ECONFLICT;
	}
	if (err == BPG_ECONFLICT)
		*out = BPG_IDEMKEY_BUSY;
	else if (err == BPG_OK)
		k->held = 1;
	return err == BPG_ECONFLICT ? BPG_OK : err;
}

/* Decides on the row found (bpg_idem_decide); *expired when it must be freed first. */
static enum bpg_err
decide(struct bpg_idemkey *k, long long now_ms, int *expired, enum bpg_idemkey_decision *out)
{
	static const enum bpg_idemkey_decision of[] = {
		[BPG_IDEM_MISMATCH] = BPG_IDEMKEY_MISMATCH, [BPG_IDEM_REPLAY] = BPG_IDEMKEY_REPLAY,
		[BPG_IDEM_CREATED] = BPG_IDEMKEY_CREATED, [BPG_IDEM_BUSY] = BPG_IDEMKEY_BUSY,
		[BPG_IDEM_TAKE_OVER] = BPG_IDEMKEY_TAKE_OVER, [BPG_IDEM_EXPIRED] = BPG_IDEMKEY_RUN,
	};
	struct bpg_idem_seen seen = { k->row.fingerprint, k->row.created_ms,
	    k->row.status >= 100 && k->row.response != NULL, k->row.created, 0 };
	enum bpg_idem_action a;
	enum bpg_err err;

	*expired = 0;
	if (k->k.fp == NULL && seen.answered &&
	    !(seen.created_ms >= 0 && now_ms - seen.created_ms >= k->ttl_ms)) {
		*out = BPG_IDEMKEY_VERIFY;
		return BPG_OK;
	}
	if (!seen.answered && !seen.created &&
	    (err = k->store->alive(k->db, k->row.claim_owner, &seen.claim_alive)) != BPG_OK)
		return err;
	a = bpg_idem_decide(&seen, k->k.fp, now_ms, k->ttl_ms);
	*expired = a == BPG_IDEM_EXPIRED;
	*out = of[a];
	return BPG_OK;
}

enum bpg_err
bpg_idemkey_begin(struct bpg_idemkey *k, long long now_ms, enum bpg_idemkey_decision *out)
{
	int raced = 0, expired = 0;
	enum bpg_err err;

	k->held = 0;          /* a begin again forgets the row an earlier one held */
	k->k.id = NULL;
	for (;;) {
		expired = 0;
		if ((err = k->store->get(k->db, &k->k, &k->row)) != BPG_OK)
			return err;
		if (k->row.found && (err = decide(k, now_ms, &expired, out)) != BPG_OK)
			return err;
		if (k->row.found && !expired)
			return BPG_OK;
		if (expired && (err = k->store->expire(k->db, &k->k, &k->row)) != BPG_OK)
			return err;
		err = begin_new(k, &raced, out);
		if (err != BPG_ECONFLICT)
			return err;
	}
}

enum bpg_idemkey_decision
bpg_idemkey_verify(struct bpg_idemkey *k, const char fp[BPG_IDEM_FP_LEN + 1])
{
	bpg_idemkey_set_fp(k, fp);
	if (k->row.fingerprint != NULL && strcmp(k->row.fingerprint, k->fp) != 0)
		return BPG_IDEMKEY_MISMATCH;
	return BPG_IDEMKEY_REPLAY;
}

enum bpg_err
bpg_idemkey_take_over(struct bpg_idemkey *k)
{
	enum bpg_err err = k->store->take_over(k->db, &k->k, &k->row, k->claim);

	if (err == BPG_OK)
		bpg_idemkey_hold(k, k->row.id);
	return err;
}

enum bpg_err
bpg_idemkey_finish(struct bpg_idemkey *k, int status, const char *body)
{
	if (!k->held)
		return BPG_OK;
	k->held = 0;
	return k->store->finish(k->db, &k->k, status, body);
}
