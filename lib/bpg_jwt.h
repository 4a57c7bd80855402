/* bpg_jwt: HS256 queue tokens for secure queues (OpenSSL HMAC). */
#ifndef BPG_JWT_H
#define BPG_JWT_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_err.h"

#define BPG_JWT_MAX 8192
#define BPG_JWT_MAX_SECRETS 16

/* Secrets, one per line of a file (blank lines and '#' comments skipped). */
struct bpg_jwt_secrets {
	char *v[BPG_JWT_MAX_SECRETS];
	size_t n;
};

/* Reads path; BPG_EIO/BPG_ECONFIG with why. Release (wipes) with bpg_jwt_secrets_release(). */
enum bpg_err bpg_jwt_secrets_load(const char *path, struct bpg_jwt_secrets *out,
    struct bpg_why *why);
void bpg_jwt_secrets_release(struct bpg_jwt_secrets *s);

/*
 * Checks token for queue: header alg HS256 (nothing else), a valid signature under any of
 * the secrets (compared in constant time), exp/nbf enforced at now (seconds), iss one of
 * issuers (case-insensitive), allowedQueues a non-empty array of strings holding queue.
 * BPG_EFORBIDDEN with the reason otherwise.
 */
enum bpg_err bpg_jwt_check_queue(const char *token, const char *queue,
    const struct bpg_jwt_secrets *secrets, const struct bpg_strlist *issuers, long long now,
    struct bpg_why *why);

/* Makes an HS256 token of the JSON claims text (tests and admin tools). */
enum bpg_err bpg_jwt_sign_hs256(const char *claims_json, const char *secret, struct bpg_buf *out);

#endif
