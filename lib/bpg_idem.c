/* bpg_idem: Idempotency-Key rules: the key, the request's fingerprint, the decision table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "bpg_idem.h"

enum bpg_err
bpg_idem_key_check(const char *key, struct bpg_why *why)
{
	size_t n = strlen(key);

	if (n == 0 || n > BPG_IDEM_KEY_MAX)
		return bpg_why_set(why, BPG_EINVAL, "Idempotency-Key: 1 to %d characters",
		    BPG_IDEM_KEY_MAX);
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return bpg_why_set(why, BPG_EINVAL,
			    "Idempotency-Key: printable ASCII without spaces only");
	return BPG_OK;
}

static int
key_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* Sorts the members of every object in j by key, at every depth. BPG_ENOMEM. */
static enum bpg_err
sort_keys(cJSON *j)
{
	cJSON **v, *c;
	size_t n = 0, i;
	enum bpg_err err = BPG_OK;

	for (c = j->child; c != NULL; c = c->next, n++)
		if ((err = sort_keys(c)) != BPG_OK)
			return err;
	if (!cJSON_IsObject(j) || n < 2)
		return BPG_OK;
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return BPG_ENOMEM;
	for (c = j->child, i = 0; c != NULL; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), key_cmp);
	for (i = 0; i < n; i++) {
		v[i]->prev = i > 0 ? v[i - 1] : v[n - 1];   /* cJSON: child->prev is the last */
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
	}
	j->child = v[0];
	free(v);
	return BPG_OK;
}

/* Feeds s and a NUL separator into the digest. */
static int
feed(EVP_MD_CTX *md, const char *s)
{
	s = s != NULL ? s : "";
	return EVP_DigestUpdate(md, s, strlen(s) + 1) == 1;
}

enum bpg_err
bpg_idem_fingerprint(const char *route, const char *user, const char *owner,
    const cJSON *req, char out[BPG_IDEM_FP_LEN + 1])
{
	cJSON *copy = cJSON_Duplicate(req, 1);
	char *text = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;
	enum bpg_err err = BPG_ENOMEM;

	if (copy == NULL || sort_keys(copy) != BPG_OK ||
	    (text = cJSON_PrintUnformatted(copy)) == NULL || (md = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || !feed(md, route) ||
	    !feed(md, user) || !feed(md, owner) || !feed(md, text) ||
	    EVP_DigestFinal_ex(md, d, &dn) != 1 || dn * 2 != BPG_IDEM_FP_LEN) {
		err = BPG_EINTERNAL;
		goto out;
	}
	for (unsigned i = 0; i < dn; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	err = BPG_OK;
out:
	EVP_MD_CTX_free(md);
	free(text);
	cJSON_Delete(copy);
	return err;
}

enum bpg_idem_action
bpg_idem_decide(const struct bpg_idem_seen *seen, const char *fp, long long now_ms,
    long long ttl_ms)
{
	if (seen->created_ms >= 0 && now_ms - seen->created_ms >= ttl_ms)
		return BPG_IDEM_EXPIRED;
	if (seen->fingerprint != NULL && (fp == NULL || strcmp(seen->fingerprint, fp) != 0))
		return BPG_IDEM_MISMATCH;
	if (seen->answered)
		return BPG_IDEM_REPLAY;
	if (seen->created)
		return BPG_IDEM_CREATED;
	return seen->claim_alive ? BPG_IDEM_BUSY : BPG_IDEM_TAKE_OVER;
}
