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

/* ---- other calls: table idempotent_request (migration 0011), one row per (user, key) ---- */

static enum bpg_err
req_row(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	struct bpg_idemdb_row *r = ctx;
	char **s[] = { &r->fingerprint, &r->claim_owner, &r->response };

	(void)lens;
	if (ncols != 5 || r->found)
		return BPG_OK;
	r->found = 1;
	for (unsigned i = 0; i < 3; i++)
		if (cols[i] != NULL && (*s[i] = strdup(cols[i])) == NULL)
			return BPG_ENOMEM;
	r->status = cols[3] != NULL ? strtoll(cols[3], NULL, 10) : -1;
	r->created_ms = cols[4] != NULL ? strtoll(cols[4], NULL, 10) : -1;
	return BPG_OK;
}

static enum bpg_err
req_get(void *db, const struct bpg_idemdb_key *k, struct bpg_idemdb_row *out)
{
	static const char sql[] = "SELECT fingerprint, claim_owner, response, status, "
	    "CAST(UNIX_TIMESTAMP(created_time) * 1000 AS SIGNED) FROM idempotent_request "
	    "WHERE original_user = ? AND idem_key = ?";
	struct bpg_db_val p[] = { bpg_db_str(k->user), bpg_db_str(k->key) };

	bpg_idemdb_row_release(out);
	return bpg_db_exec(db, sql, p, 2, req_row, out, NULL);
}

/* A new key for this worker's claim; BPG_ECONFLICT when it exists. */
static enum bpg_err
req_claim(void *db, const struct bpg_idemdb_key *k, const char *claim)
{
	static const char sql[] = "INSERT INTO idempotent_request (original_user, idem_key, route, "
	    "claim_owner) VALUES (?, ?, ?, ?)";
	struct bpg_db_val p[] = { bpg_db_str(k->user), bpg_db_str(k->key), bpg_db_str(k->route),
	    bpg_db_str(claim) };

	return bpg_db_exec(db, sql, p, 4, NULL, NULL, NULL);
}

/* From a dead worker's claim, while unanswered; BPG_ECONFLICT: another retry won it. */
static enum bpg_err
req_take_over(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row,
    const char *claim)
{
	static const char sql[] = "UPDATE idempotent_request SET claim_owner = ?, "
	    "created_time = CURRENT_TIMESTAMP(3) WHERE original_user = ? AND idem_key = ? "
	    "AND claim_owner <=> ? AND status IS NULL";
	struct bpg_db_val p[] = { bpg_db_str(claim), bpg_db_str(k->user), bpg_db_str(k->key),
	    bpg_db_str(row->claim_owner) };

	return bpg_db_exec_one(db, sql, p, 4);
}

static enum bpg_err
req_forget(void *db, const struct bpg_idemdb_key *k)
{
	static const char sql[] = "DELETE FROM idempotent_request WHERE original_user = ? AND "
	    "idem_key = ?";
	struct bpg_db_val p[] = { bpg_db_str(k->user), bpg_db_str(k->key) };

	return bpg_db_exec(db, sql, p, 2, NULL, NULL, NULL);
}

static enum bpg_err
req_expire(void *db, const struct bpg_idemdb_key *k, const struct bpg_idemdb_row *row)
{
	(void)row;
	return req_forget(db, k);
}

/* A 2xx is kept for the retries; after a failure nothing was stored: the key is free. */
static enum bpg_err
req_finish(void *db, const struct bpg_idemdb_key *k, int status, const char *body)
{
	static const char sql[] = "UPDATE idempotent_request SET fingerprint = ?, status = ?, "
	    "response = ? WHERE original_user = ? AND idem_key = ?";
	struct bpg_db_val p[] = { bpg_db_str(k->fp), bpg_db_int(status), bpg_db_str(body),
	    bpg_db_str(k->user), bpg_db_str(k->key) };

	if (status >= 200 && status < 300 && k->fp != NULL && body != NULL)
		return bpg_db_exec(db, sql, p, 5, NULL, NULL, NULL);
	return req_forget(db, k);
}

enum bpg_err
bpg_idemdb_requests_expire(struct bpg_db *db, long long ttl_s)
{
	static const char sql[] = "DELETE FROM idempotent_request WHERE created_time < "
	    "CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND LIMIT 10000";
	struct bpg_db_val p[] = { bpg_db_int(ttl_s) };

	return bpg_db_exec(db, sql, p, 1, NULL, NULL, NULL);
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
