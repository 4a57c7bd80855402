/* bpg_jwt: HS256 queue tokens for secure queues (OpenSSL HMAC). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "bpg_json.h"
#include "bpg_jwt.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static enum bpg_err
b64url_encode(const unsigned char *p, size_t n, struct bpg_buf *out)
{
	enum bpg_err err = BPG_OK;

	for (size_t i = 0; i < n && err == BPG_OK; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);
		char c[4] = { b64url[v >> 18 & 63], b64url[v >> 12 & 63], b64url[v >> 6 & 63], b64url[v & 63] };
		err = bpg_buf_append(out, c, i + 2 < n ? 4 : i + 1 < n ? 3 : 2);
	}
	return err;
}

/* Decodes unpadded base64url [s, s+n) into out; -1 on a bad character or length. */
static int
b64url_decode(const char *s, size_t n, struct bpg_buf *out)
{
	unsigned v = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *p = memchr(b64url, s[i], 64);
		if (p == NULL || s[i] == '\0')
			return -1;
		v = v << 6 | (unsigned)(p - b64url);
		bits += 6;
		if (bits >= 8) {
			char c = (char)(v >> (bits - 8) & 0xff);
			bits -= 8;
			if (bpg_buf_append(out, &c, 1) != BPG_OK)
				return -1;
		}
	}
	return 0;
}

static int
hs256(const char *secret, const char *data, size_t n, unsigned char mac[32])
{
	unsigned len = 32;

	return HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)data, n, mac,
	    &len) != NULL && len == 32 ? 0 : -1;
}

enum bpg_err
bpg_jwt_sign_hs256(const char *claims_json, const char *secret, struct bpg_buf *out)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char mac[32];
	size_t start = out->len;
	enum bpg_err err;

	if ((err = b64url_encode((const unsigned char *)hdr, sizeof(hdr) - 1, out)) != BPG_OK ||
	    (err = bpg_buf_puts(out, ".")) != BPG_OK ||
	    (err = b64url_encode((const unsigned char *)claims_json, strlen(claims_json), out)) != BPG_OK)
		return err;
	if (hs256(secret, out->data + start, out->len - start, mac) != 0)
		return BPG_EINTERNAL;
	if ((err = bpg_buf_puts(out, ".")) != BPG_OK)
		return err;
	return b64url_encode(mac, sizeof(mac), out);
}

void
bpg_jwt_secrets_release(struct bpg_jwt_secrets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		OPENSSL_cleanse(s->v[i], strlen(s->v[i]));
		free(s->v[i]);
	}
	s->n = 0;
}

enum bpg_err
bpg_jwt_secrets_load(const char *path, struct bpg_jwt_secrets *out, struct bpg_why *why)
{
	char line[1024];
	FILE *fp = fopen(path, "r");

	out->n = 0;
	if (fp == NULL)
		return bpg_why_set(why, BPG_EIO, "queue token secrets: cannot open %s: %s", path,
		    strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (out->n >= BPG_JWT_MAX_SECRETS || (out->v[out->n] = strdup(line)) == NULL) {
			fclose(fp);
			OPENSSL_cleanse(line, sizeof(line));
			bpg_jwt_secrets_release(out);
			return bpg_why_set(why, BPG_ECONFIG, "queue token secrets: more than %d",
			    BPG_JWT_MAX_SECRETS);
		}
		out->n++;
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(fp);
	return BPG_OK;
}

/* Parses a base64url JSON part into *out. */
static int
json_part(const char *s, size_t n, cJSON **out)
{
	struct bpg_buf b;
	char why[64];
	int rc = -1;

	bpg_buf_init(&b, BPG_JWT_MAX);
	if (b64url_decode(s, n, &b) == 0 && b.len > 0 &&
	    bpg_json_parse(b.data, b.len, out, BPG_WHY(why)) == BPG_OK)
		rc = cJSON_IsObject(*out) ? 0 : -1;
	if (rc != 0 && *out != NULL) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	bpg_buf_release(&b);
	return rc;
}

/* The end of the messages that ask for another token (the Java gateway's words). */
#define PLEASE "Please provide a valid queue token, or contact service support."

/* The claims of a token whose signature is good: exp, nbf, iss, allowedQueues. */
static enum bpg_err
check_claims(const cJSON *claims, const char *queue, const struct bpg_strlist *issuers,
    long long now, struct bpg_why *why)
{
	const cJSON *iss, *aq, *q, *t;
	int allowed = 0;

	t = cJSON_GetObjectItemCaseSensitive(claims, "exp");
	/* compared as doubles: a huge claim must not be converted to long long (undefined) */
	if (t != NULL && (!cJSON_IsNumber(t) || (double)now >= t->valuedouble))
		return bpg_why_set(why, BPG_EFORBIDDEN, "Queue token is not valid: expired");
	t = cJSON_GetObjectItemCaseSensitive(claims, "nbf");
	if (t != NULL && (!cJSON_IsNumber(t) || (double)now < t->valuedouble))
		return bpg_why_set(why, BPG_EFORBIDDEN, "Queue token is not valid: not valid yet");
	iss = cJSON_GetObjectItemCaseSensitive(claims, "iss");
	if (!cJSON_IsString(iss))
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "Queue token is not valid: no issuer. " PLEASE);
	for (size_t i = 0; i < issuers->n && !allowed; i++)
		allowed = strcasecmp(issuers->v[i], iss->valuestring) == 0;
	if (!allowed)
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "Queue token is not valid due to unsupported issuer: "
		    "%.64s. " PLEASE, iss->valuestring);
	aq = cJSON_GetObjectItemCaseSensitive(claims, "allowedQueues");
	if (aq == NULL)
		return bpg_why_set(why, BPG_EFORBIDDEN, "Queue token is not valid due to no claim: "
		    "allowedQueues. " PLEASE);
	if (!cJSON_IsArray(aq) || cJSON_GetArraySize(aq) == 0)
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "Queue token has no allowed queues. " PLEASE);
	allowed = 0;
	cJSON_ArrayForEach(q, aq)
		allowed |= cJSON_IsString(q) && strcmp(q->valuestring, queue) == 0;
	if (!allowed)
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "Queue token does not allow queue %s. " PLEASE, queue);
	return BPG_OK;
}

#define DENY(...) do { err = bpg_why_set(why, BPG_EFORBIDDEN, __VA_ARGS__); goto out; } while (0)

enum bpg_err
bpg_jwt_check_queue(const char *token, const char *queue, const struct bpg_jwt_secrets *secrets,
    const struct bpg_strlist *issuers, long long now, struct bpg_why *why)
{
	const char *d1, *d2;
	cJSON *hdr = NULL, *claims = NULL;
	const cJSON *alg;
	struct bpg_buf sig;
	unsigned char mac[32];
	enum bpg_err err = BPG_OK;
	int good = 0;

	bpg_buf_init(&sig, 64);
	if (strlen(token) > BPG_JWT_MAX)
		DENY("Queue token is not valid: longer than %d bytes", BPG_JWT_MAX);
	d1 = strchr(token, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL)
		DENY("Queue token is not valid: not a JWT (three dot-separated parts)");
	if (json_part(token, (size_t)(d1 - token), &hdr) != 0 ||
	    json_part(d1 + 1, (size_t)(d2 - d1 - 1), &claims) != 0)
		DENY("Queue token is not valid: malformed header or claims");
	alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0)
		DENY("Queue token is not valid: algorithm must be HS256");
	if (b64url_decode(d2 + 1, strlen(d2 + 1), &sig) != 0 || sig.len != 32)
		DENY("Queue token is not valid: malformed signature");
	if (secrets == NULL || secrets->n == 0) {
		err = bpg_why_set(why, BPG_EINTERNAL,
		    "Server not configured with secrets to verify queue token");
		goto out;
	}
	for (size_t i = 0; i < secrets->n; i++)   /* no early exit: same time for every secret */
		if (hs256(secrets->v[i], token, (size_t)(d2 - token), mac) == 0)
			good |= CRYPTO_memcmp(mac, sig.data, 32) == 0;
	if (!good)
		DENY("Queue token is not valid: bad signature. " PLEASE);
	err = check_claims(claims, queue, issuers, now, why);
out:
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	bpg_buf_release(&sig);
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}
