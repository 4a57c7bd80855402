/* bpg_idemdb: the stores of Idempotency-Keys: submits' on their row, other calls' on their own. */
#include <stdlib.h>
#include <string.h>
#include "bpg_idemdb.h"
#include "bpg_subdb.h"

void
bpg_idemdb_row_init(struct bpg_idemdb_row *r)
{
	memset(r, 0, sizeof(*r));
	r->status = r->created_ms = -1;
}

void
bpg_idemdb_row_release(struct bpg_idemdb_row *r)
{
	free(r->id);
	free(r->cluster_id);
	free(r->fingerprint);
	free(r->claim_owner);
	free(r->response);
	bpg_idemdb_row_init(r);
}

/* Moves *from into *to (which must be NULL); *from becomes NULL. */
static void
take(char **to, char **from)
{
	*to = *from;
	*from = NULL;
}

static enum bpg_err
alive(void *db, const char *claim, int *alive_out)
{
	return bpg_db_claim_alive(db, claim, alive_out);
}

/* ---- other calls: table idempotent_request ---- */

static enum bpg_err
req_get(void *db, const struct bpg_idemdb_key *k, struct bpg_idemdb_row *out)
{
	struct bpg_idem_req r;
	enum bpg_err err;

	memset(&r, 0, sizeof(r));
	bpg_idemdb_row_release(out);
	if ((err = bpg_subdb_idem_get(db, k->user, k->key, &r)) == BPG_OK && r.found) {
		out->found = 1;
		take(&out->fingerprint, &r.fingerprint);
		take(&out->claim_owner, &r.claim_owner);
		take(&out->response, &r.response);
		out->status = r.status;
		out->created_ms = r.created_ms;
	}
	bpg_idem_req_release(&r);
	return err;
}

static enum bpg_err
req_claim(void *db, const struct bpg_idemdb_key *k, const char *claim)
{
	return bpg_subdb_idem_begin(db, k->user, k->key, k->route, claim);
}

static enum bpg_err
req_take_over(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row,
    const char *claim)
{
	return bpg_subdb_idem_take_over(db, k->user, k->key, row->claim_owner, claim);
}

static enum bpg_err
req_expire(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row)
{
	(void)row;
	return bpg_subdb_idem_forget(db, k->user, k->key);
}

/* A 2xx is kept for the retries; after a failure nothing was stored: the key is free. */
static enum bpg_err
req_finish(void *db, const struct bpg_idemdb_key *k, int status, const char *body)
{
	if (status >= 200 && status < 300 && k->fp != NULL && body != NULL)
		return bpg_subdb_idem_finish(db, k->user, k->key, k->fp, status, body);
	return bpg_subdb_idem_forget(db, k->user, k->key);
}

const struct bpg_idemdb_ops bpg_idemdb_requests = {
	req_get, req_claim, req_take_over, req_expire, req_finish, alive,
};

/* ---- submits: the key on the application_submission row ---- */

static enum bpg_err
sub_get(void *db, const struct bpg_idemdb_key *k, struct bpg_idemdb_row *out)
{
	struct bpg_sub_row row;
	char *id = NULL;
	enum bpg_err err;

	bpg_idemdb_row_release(out);
	if ((err = bpg_subdb_find_idempotent(db, k->user, k->key, &id)) == BPG_ENOTFOUND)
		return BPG_OK;
	if (err != BPG_OK)
		return err;
	bpg_sub_row_init(&row);
	if ((err = bpg_subdb_get(db, id, 0, &row)) == BPG_OK) {
		out->found = 1;
		take(&out->id, &id);
		take(&out->cluster_id, &row.cluster_id);
		take(&out->fingerprint, &row.idem_fingerprint);
		take(&out->claim_owner, &row.claim_owner);
		take(&out->response, &row.idem_response);
		out->status = out->response != NULL ? row.idem_status : -1;
		out->created_ms = row.created_ms;
		out->created = row.cr_created_ms >= 0 || row.status != NULL;
	}
	free(id);
	bpg_sub_row_release(&row);
	return err;
}

static enum bpg_err
sub_take_over(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row,
    const char *claim)
{
	(void)k;
	return bpg_subdb_take_over(db, row->id, row->claim_owner, claim);
}

static enum bpg_err
sub_expire(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row)
{
	return bpg_subdb_release_key(db, row->id, k->key);
}

/* A 4xx refusal is kept; a 2xx is the row itself; after a 5xx the key is freed. */
static enum bpg_err
sub_finish(void *db, const struct bpg_idemdb_key *k, int status, const char *body)
{
	if (k->id == NULL || (status >= 200 && status < 300))
		return BPG_OK;
	if (status >= 400 && status < 500 && body != NULL &&
	    bpg_subdb_set_response(db, k->id, status, body) == BPG_OK)
		return BPG_OK;
	return bpg_subdb_drop_idempotency(db, k->id);
}

const struct bpg_idemdb_ops bpg_idemdb_submissions = {
	sub_get, NULL, sub_take_over, sub_expire, sub_finish, alive,
};
