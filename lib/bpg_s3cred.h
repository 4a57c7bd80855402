/* bpg_s3cred: the S3 client's credentials: from the configuration, the environment or a shared
 * credentials file, read again when their files change (rotation); wiped when released. */
#ifndef BPG_S3CRED_H
#define BPG_S3CRED_H

#include <stddef.h>
#include <sys/stat.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_err.h"

enum bpg_s3cred_src { BPG_S3CRED_CONF, BPG_S3CRED_ENV, BPG_S3CRED_SHARED };

/* A file credentials come from, read again when it changes. */
struct bpg_s3cred_file {
	char *path;               /* NULL: not used */
	struct stat st;
	int loaded;
};

/* The key id, secret and session token (token.len 0: none) a request is signed with. */
struct bpg_s3cred {
	enum bpg_s3cred_src src;
	struct bpg_buf akid, secret, token;
	struct bpg_s3cred_file secret_f, token_f, shared_f;
	char *profile;
};

/*
 * Picks where the credentials come from: the configured access_key_id with
 * secret_access_key_file (and session_token_file); else the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); else the credentials_file (or
 * AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/credentials) section credentials_profile; and loads
 * them once. BPG_ECONFIG (why says why) when none can be found or read, BPG_ENOMEM.
 * Release with bpg_s3cred_release() whatever it returns.
 */
enum bpg_err bpg_s3cred_init(struct bpg_s3cred *c, const struct bpg_s3_conf *conf,
    struct bpg_why *why);

/* Reads again the files that changed since the last call; BPG_EIO (why names the file). */
enum bpg_err bpg_s3cred_refresh(struct bpg_s3cred *c, struct bpg_why *why);

/* Wipes the secrets and frees what c holds (c itself is the caller's). */
void bpg_s3cred_release(struct bpg_s3cred *c);

#endif
