/* bpg_upload: an artifact's upload: authorize, key, replace check, stream to S3, idempotency. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "bpg_idem.h"
#include "bpg_idemkey.h"
#include "bpg_json.h"
#include "bpg_log.h"
#include "bpg_multipart.h"
#include "bpg_s3.h"
#include "bpg_upauth.h"
#include "bpg_upload.h"
#include "bpg_time.h"

#define CHUNK           65536
#define ROUTE           "POST /s3"
#define DATA_BINARY_HINT "or send the file itself as the body: curl --data-binary @FILE " \
	"-H 'Content-Type: application/octet-stream' .../s3/NAME"

/* One upload under way; released by upload_release(). */
struct upload {
	const struct bpg_upload_env *env;
	const struct bpg_upload_in *in;
	struct bpg_upload_out *out;
	bpg_upload_read rd;
	void *rd_arg;
	unsigned long long bytes;   /* of the body, read so far */
	struct bpg_multipart *mp;   /* a multipart/form-data body's parser, or NULL */
	struct bpg_s3up *w;         /* the object being written; NULL while replaying */
	EVP_MD_CTX *md;             /* the bytes' digest, with an Idempotency-Key */
	enum bpg_err part_err;      /* what writing the file part's bytes met */
	char part_why[BPG_UPLOAD_WHY];
	struct bpg_idemkey key;
	int keyed;
	struct bpg_buf s3key;
};

/* Sets the failure's message; returns err. */
static enum bpg_err __attribute__((format(printf, 3, 4)))
fail(struct upload *u, enum bpg_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = bpg_why_vset(BPG_WHY(u->out->why), err, fmt, ap);
	va_end(ap);
	return err;
}

void
bpg_upload_out_init(struct bpg_upload_out *out)
{
	memset(out, 0, sizeof(*out));
	bpg_buf_init(&out->body, 0);
}

void
bpg_upload_out_release(struct bpg_upload_out *out)
{
	bpg_buf_release(&out->body);
}

/* 403 unless the caller may create objects in the folder asked for (none: his own). */
static enum bpg_err
upload_authorize(struct upload *u)
{
	const struct bpg_upload_in *in = u->in;

	if (in->folder[0] == '\0' && !bpg_upname_segment_ok(in->user, strlen(in->user)))
		return fail(u, BPG_EFORBIDDEN, "without ?folder= an upload goes to your own folder, "
		    "but your user name cannot be one (letters, digits and . _ - + = @ , only): give "
		    "?folder= a folder granted to you");
	if (bpg_upauth_folder(u->env->cfg, in->user, in->admin, in->folder[0] ? in->folder :
	    in->user) == BPG_UPAUTH_DENIED)
		return fail(u, BPG_EFORBIDDEN, "folder '%s' is not yours: upload under your own "
		    "folder (folder=%s or folder=%s/...), or a folder an [upload.NAME] grant gives "
		    "you; nothing was stored", in->folder, in->user, in->user);
	return BPG_OK;
}

/* The bytes of the body (or of its file part) to the digest and to the object. */
static enum bpg_err
sink_write(struct upload *u, const char *p, size_t n)
{
	u->part_err = BPG_OK;
	if (u->md != NULL && EVP_DigestUpdate(u->md, p, n) != 1) {
		u->part_err = bpg_why_set(BPG_WHY(u->part_why), BPG_EINTERNAL,
		    "cannot hash the body");
	} else if (u->w != NULL) {
		u->part_err = bpg_s3up_write(u->w, p, n, BPG_WHY(u->part_why));
	}
	return u->part_err;
}

static int
part_write(void *ctx, const char *p, size_t n)
{
	return sink_write(ctx, p, n) != BPG_OK;
}

/* Checks the key and sets up the multipart parser and the digest; nothing is touched yet. */
static enum bpg_err
upload_prepare(struct upload *u)
{
	char why[BPG_UPLOAD_WHY];
	enum bpg_err err;

	if ((err = upload_authorize(u)) != BPG_OK)
		return err;
	if (u->in->idem_key != NULL &&
	    bpg_idem_key_check(u->in->idem_key, BPG_WHY(why)) != BPG_OK)
		return fail(u, BPG_EINVAL, "%s", why);
	if (bpg_multipart_is_form(u->in->content_type)) {
		if ((u->mp = malloc(sizeof(*u->mp))) == NULL)
			return fail(u, BPG_ENOMEM, "out of memory");
		if ((err = bpg_multipart_init(u->mp, u->in->content_type, part_write, u,
		    BPG_WHY(why))) != BPG_OK)
			return fail(u, err, "%s; " DATA_BINARY_HINT, why);
	}
	if (u->env->s3 == NULL)
		return fail(u, BPG_EUNAVAIL, "S3 is not configured on this gateway");
	if (u->in->idem_key != NULL && ((u->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1))
		return fail(u, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

/* Feeds a piece of a multipart body (n == 0: its end). */
static enum bpg_err
feed_multipart(struct upload *u, const char *p, size_t n)
{
	char why[BPG_UPLOAD_WHY];
	enum bpg_err err;

	err = n > 0 ? bpg_multipart_feed(u->mp, p, n, BPG_WHY(why)) :
	    bpg_multipart_finish(u->mp, BPG_WHY(why));
	if (err == BPG_EIO)
		return fail(u, u->part_err, "%s", u->part_why);
	if (err != BPG_OK)
		return fail(u, BPG_EINVAL, "%s; nothing was stored (a multipart/form-data upload "
		    "holds exactly one file: curl -F 'file=@FILE'), " DATA_BINARY_HINT, why);
	return BPG_OK;
}

/* Takes one chunk of n bytes: the limits, then the parser or the sink. */
static enum bpg_err
take_chunk(struct upload *u, const char *chunk, size_t n)
{
	unsigned long long max = (unsigned long long)u->env->cfg->s3.max_upload_mb << 20;
	long long length = u->in->length;
	enum bpg_err err;

	u->bytes += n;
	if (u->bytes > max || (length >= 0 && u->bytes > (unsigned long long)length))
		return fail(u, BPG_ETOOLARGE, "upload is over %s", u->bytes > max ?
		    "the configured limit" : "its declared length");
	if (u->mp != NULL)
		return feed_multipart(u, chunk, n);
	if ((err = sink_write(u, chunk, n)) != BPG_OK)
		return fail(u, err, "%s", u->part_why);
	return BPG_OK;
}

/*
 * Copies the body to the sink (only the file part's bytes of a multipart body); BPG_ETOOLARGE
 * past the limit, BPG_EINVAL when the reader fails (the body cut off).
 */
static enum bpg_err
copy_body(struct upload *u)
{
	char *chunk = malloc(CHUNK);
	size_t n;
	enum bpg_err err;

	if (chunk == NULL)
		return fail(u, BPG_ENOMEM, "out of memory");
	for (;;) {
		if (u->rd(u->rd_arg, chunk, CHUNK, &n) != BPG_OK) {
			err = fail(u, BPG_EINVAL, "the request body was cut off after %llu bytes: "
			    "nothing was stored", u->bytes);
			break;
		}
		if (n == 0) {
			err = u->mp != NULL ? feed_multipart(u, NULL, 0) : BPG_OK;
			break;
		}
		if ((err = take_chunk(u, chunk, n)) != BPG_OK)
			break;
	}
	free(chunk);
	return err;
}

/* The fingerprint of an upload: the name, folder and overwrite asked for, the bytes' digest. */
static enum bpg_err
upload_fingerprint(struct upload *u, char fp[BPG_IDEM_FP_LEN + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned dn = 0;
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err = BPG_ENOMEM;

	if (j != NULL && EVP_DigestFinal_ex(u->md, d, &dn) == 1) {
		for (unsigned i = 0; i < dn; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		if (cJSON_AddStringToObject(j, "name", u->in->name) != NULL &&
		    cJSON_AddStringToObject(j, "folder", u->in->folder) != NULL &&
		    cJSON_AddBoolToObject(j, "overwrite", u->in->overwrite) != NULL &&
		    cJSON_AddStringToObject(j, "body", hex) != NULL)
			err = bpg_idem_fingerprint(ROUTE, u->in->user, u->in->user, j, fp);
	}
	cJSON_Delete(j);
	return err != BPG_OK ? fail(u, err, "out of memory") : BPG_OK;
}

/* A replay: the body is read only to be compared; the same upload gets the first answer. */
static enum bpg_err
upload_replay(struct upload *u)
{
	char fp[BPG_IDEM_FP_LEN + 1];
	enum bpg_err err;

	if ((err = copy_body(u)) != BPG_OK || (err = upload_fingerprint(u, fp)) != BPG_OK)
		return err;
	if (bpg_idemkey_verify(&u->key, fp) == BPG_IDEMKEY_MISMATCH)
		return fail(u, BPG_EMISMATCH, "Idempotency-Key was already used for a different "
		    "upload: nothing was stored; use a new key for a new upload");
	u->out->status = (int)u->key.row.status;
	u->out->replayed = 1;
	return bpg_buf_puts(&u->out->body, u->key.row.response) != BPG_OK ?
	    fail(u, BPG_ENOMEM, "out of memory") : BPG_OK;
}

/*
 * Looks the Idempotency-Key up (bpg_idemkey): *go when the upload runs (the key held by this
 * request); else it was answered here (a replay, 409, 422, or the database down).
 */
static enum bpg_err
upload_idem_begin(struct upload *u, int *go)
{
	const struct bpg_idemdb_key who = { u->in->user, u->in->idem_key, ROUTE, NULL, NULL };
	enum bpg_idemkey_decision d;
	enum bpg_err err;

	*go = 0;
	bpg_idemkey_init(&u->key, &bpg_idemdb_requests, u->env->db, &who,
	    bpg_db_claim(u->env->db), u->env->cfg->gateway.idempotency_ttl_s * 1000LL);
	u->keyed = 1;
	if (bpg_idemkey_begin(&u->key, u->in->now_ms, &d) != BPG_OK)
		return fail(u, BPG_EUNAVAIL, "database unavailable: nothing was stored");
	if (d == BPG_IDEMKEY_TAKE_OVER && (err = bpg_idemkey_take_over(&u->key)) != BPG_OK)
		d = BPG_IDEMKEY_BUSY;   /* a racing retry took it over first */
	if (d == BPG_IDEMKEY_VERIFY || d == BPG_IDEMKEY_REPLAY)
		return upload_replay(u);
	if (d == BPG_IDEMKEY_MISMATCH)
		return fail(u, BPG_EMISMATCH, "Idempotency-Key was already used for a different "
		    "upload: nothing was stored; use a new key for a new upload");
	if (d == BPG_IDEMKEY_RUN || d == BPG_IDEMKEY_TAKE_OVER) {
		*go = 1;
		return BPG_OK;
	}
	u->out->retry_after = 1;
	return fail(u, BPG_ECONFLICT, "an upload with this Idempotency-Key is still being "
	    "processed: retry later with the same key");
}

/*
 * <[s3] folder>/<folder param>/<name>; without a folder <[s3] folder>/<user>/<yyyyMMdd>/
 * <uuid>/<name> (the Java layout, under the caller's own folder; admins' too).
 */
static enum bpg_err
upload_key(const struct upload *u, struct bpg_buf *key)
{
	const char *top = u->env->cfg->s3.folder ? u->env->cfg->s3.folder : "";
	const char *sep = *top ? "/" : "", *user = u->in->user;
	unsigned char r[16];
	char day[16];
	time_t now = (time_t)(bpg_time_now_ms() / 1000);
	struct tm tm;

	if (u->in->folder[0] != '\0')
		return bpg_buf_printf(key, "%s%s%s/%s", top, sep, u->in->folder, u->in->name);
	if (RAND_bytes(r, sizeof(r)) != 1 || gmtime_r(&now, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y%m%d", &tm) == 0)
		return BPG_EINTERNAL;
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	return bpg_buf_printf(key, "%s%s%s/%s/%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x/%s", top, sep, user, day, r[0], r[1], r[2], r[3], r[4],
	    r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], u->in->name);
}

/*
 * When the key exists: 403 unless the caller may replace it (bpg_upauth_replace), else 409
 * unless he asked to overwrite.
 */
static enum bpg_err
check_replace(struct upload *u)
{
	const struct bpg_upload_in *in = u->in;
	const char *bucket = u->env->cfg->s3.bucket, *key = u->s3key.data;
	char why[BPG_UPLOAD_WHY], owner[BPG_S3_OWNER_MAX + 1];
	enum bpg_err err;

	err = bpg_s3_head_owner(u->env->s3, bucket, key, NULL, owner, BPG_WHY(why));
	if (err == BPG_ENOTFOUND)
		return BPG_OK;
	if (err != BPG_OK)
		return fail(u, err, "%s", why);
	if (!bpg_upauth_replace(in->user, in->admin, in->folder[0] ? in->folder : in->user,
	    owner))
		return fail(u, BPG_EFORBIDDEN, "s3a://%s/%s belongs to another user: %s; nothing "
		    "was stored", bucket, key, owner[0] ? "only its owner or an admin may replace "
		    "it" : "it has no recorded owner, so only the owner of its folder or an admin "
		    "may replace it");
	if (!in->overwrite)
		return fail(u, BPG_ECONFLICT, "s3a://%s/%s already exists; add overwrite=true to "
		    "replace it", bucket, key);
	return BPG_OK;
}

/* Opens the object's writer with the caller as its owner. */
static enum bpg_err
open_writer(struct upload *u)
{
	const struct bpg_s3_conf *c = &u->env->cfg->s3;
	struct bpg_buf owner;
	enum bpg_err err;

	bpg_buf_init(&owner, BPG_S3_OWNER_MAX);
	if ((err = bpg_upauth_owner_tag(u->in->user, &owner)) != BPG_OK ||
	    (err = bpg_s3up_new(u->env->s3, u->env->pool, c->bucket, u->s3key.data,
	    (size_t)c->part_size_mb << 20, &u->w)) != BPG_OK ||
	    (err = bpg_s3up_set_owner(u->w, owner.data)) != BPG_OK)
		(void)fail(u, err, "out of memory");
	bpg_buf_release(&owner);
	return err;
}

/* The answer: {"url":"s3a://bucket/key"}. */
static enum bpg_err
answer(struct upload *u)
{
	cJSON *j = cJSON_CreateObject();
	struct bpg_buf url;
	enum bpg_err err = BPG_ENOMEM;

	bpg_buf_init(&url, BPG_S3_KEY_MAX + 512);
	if (j != NULL && bpg_buf_printf(&url, "s3a://%s/%s", u->env->cfg->s3.bucket,
	    u->s3key.data) == BPG_OK && cJSON_AddStringToObject(j, "url", url.data) != NULL &&
	    bpg_json_print(j, &u->out->body) == BPG_OK)
		err = BPG_OK;
	cJSON_Delete(j);
	bpg_buf_release(&url);
	u->out->status = 200;
	return err != BPG_OK ? fail(u, err, "out of memory") : BPG_OK;
}

/* Stores the object: key, replace check, the body streamed, the writer closed. */
static enum bpg_err
upload_store(struct upload *u)
{
	char why[BPG_UPLOAD_WHY], fp[BPG_IDEM_FP_LEN + 1];
	enum bpg_err err;

	if ((err = upload_key(u, &u->s3key)) != BPG_OK)
		return fail(u, err, "the object key is too long");
	if ((err = check_replace(u)) != BPG_OK || (err = open_writer(u)) != BPG_OK ||
	    (err = copy_body(u)) != BPG_OK)
		return err;
	if (u->in->length >= 0 && u->bytes != (unsigned long long)u->in->length)
		return fail(u, BPG_EINVAL, "the body has %llu bytes, not the %lld declared: nothing "
		    "was stored", u->bytes, u->in->length);
	if (u->md != NULL) {
		if ((err = upload_fingerprint(u, fp)) != BPG_OK)
			return err;
		bpg_idemkey_set_fp(&u->key, fp);
	}
	if ((err = bpg_s3up_close(u->w, NULL, BPG_WHY(why))) != BPG_OK)
		return fail(u, err, "%s", why);
	bpg_log(BPG_LOG_INFO, "s3", "uploaded", "key", u->s3key.data, "user", u->in->user, NULL);
	return answer(u);
}

enum bpg_err
bpg_upload_run(const struct bpg_upload_env *env, const struct bpg_upload_in *in,
    bpg_upload_read rd, void *rd_arg, struct bpg_upload_out *out)
{
	struct upload u = { .env = env, .in = in, .out = out, .rd = rd, .rd_arg = rd_arg };
	enum bpg_err err;
	int go = 1;

	bpg_buf_init(&u.s3key, BPG_S3_KEY_MAX + 1);
	if ((err = upload_prepare(&u)) == BPG_OK && in->idem_key != NULL)
		err = upload_idem_begin(&u, &go);
	if (err == BPG_OK && go)
		err = upload_store(&u);
	/* a 2xx is kept for the retries; after a failure the key is free */
	if (u.keyed && bpg_idemkey_finish(&u.key, err == BPG_OK ? out->status : 500,
	    err == BPG_OK ? out->body.data : NULL) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "s3", "the Idempotency-Key's outcome was not recorded", NULL);
	if (u.keyed)
		bpg_idemkey_release(&u.key);
	EVP_MD_CTX_free(u.md);
	bpg_s3up_free(u.w);   /* aborts an unfinished multipart upload */
	free(u.mp);
	bpg_buf_release(&u.s3key);
	return err;
}
