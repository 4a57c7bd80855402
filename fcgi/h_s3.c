/* bpg-fcgi: POST /s3/{name}: an artifact streamed from the client through to S3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "bpg_fcgi.h"
#include "bpg_idem.h"
#include "bpg_json.h"
#include "bpg_log.h"
#include "bpg_multipart.h"
#include "bpg_query.h"
#include "bpg_s3up.h"
#include "bpg_upauth.h"
#include "bpg_upname.h"

#define CHUNK           65536
#define WHY             512

struct s3_in {
	const char *name;           /* the route parameter, checked */
	char folder[BPG_UPNAME_FOLDER_MAX + 1];   /* checked, trailing '/' stripped; "" for none */
	int overwrite;
	long long length;           /* declared length, -1 when unknown (chunked) */
};

/*
 * A declared length of 0 is a 400 unless ?allowEmpty=true: `curl --data-binary @FILE` with a
 * FILE that is missing only warns and sends no bytes, which would store an empty object. On
 * /skatev2 allowEmpty defaults to true: the Java gateway stored empty bodies.
 */
static enum bpg_err
s3_empty_check(struct bpg_http_req *req, const struct bpg_query *q, const struct s3_in *in)
{
	char why[WHY];
	int allow;

	if (bpg_query_bool(q, "allowEmpty", bpg_http_is_legacy(req), &allow, why, sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	if (in->length == 0 && !allow)
		return bpg_http_fail(req, BPG_EINVAL, "empty upload: the body has no bytes (curl "
		    "--data-binary @FILE sends none when FILE is missing); add allowEmpty=true to "
		    "store an empty object");
	return BPG_OK;
}

/* The declared length: ?content-length= wins over the header; -1 when neither (chunked). */
static enum bpg_err
s3_length_parse(struct bpg_app *app, struct bpg_http_req *req, const struct bpg_query *q,
    struct s3_in *in)
{
	long long max = app->cfg->s3.max_upload_mb << 20, hdr;
	char why[WHY];

	if (bpg_http_content_length(req, &hdr) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "Please provide valid value for "
		    "content-length in http request header");
	if (bpg_query_long(q, "content-length", 0, (1LL << 62), hdr, &in->length, why,
	    sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	if (hdr >= 0 && in->length != hdr)
		return bpg_http_fail(req, BPG_EINVAL, "content-length %lld does not match the "
		    "Content-Length header %lld", in->length, hdr);
	if (in->length > max)
		return bpg_http_fail(req, BPG_ETOOLARGE, "upload of %lld bytes is over the limit of "
		    "%lld MiB", in->length, app->cfg->s3.max_upload_mb);
	return s3_empty_check(req, q, in);
}

/*
 * 403 unless the caller may create objects in the folder asked for (without one: his own
 * folder, where the key is made): bpg_upauth_folder.
 */
static enum bpg_err
s3_authorize(const struct bpg_app *app, struct bpg_http_req *req, const struct s3_in *in)
{
	const char *user = req->user.name;

	if (in->folder[0] == '\0' && !bpg_upname_segment_ok(user, strlen(user)))
		return bpg_http_fail(req, BPG_EFORBIDDEN, "without ?folder= an upload goes to your "
		    "own folder, but your user name cannot be one (letters, digits and . _ - + = @ , "
		    "only): give ?folder= a folder granted to you");
	if (bpg_upauth_folder(app->cfg, user, req->user.admin, in->folder[0] ? in->folder :
	    user) == BPG_UPAUTH_DENIED)
		return bpg_http_fail(req, BPG_EFORBIDDEN, "folder '%s' is not yours: upload under "
		    "your own folder (folder=%s or folder=%s/...), or a folder an [upload.NAME] "
		    "grant gives you; nothing was stored", in->folder, user, user);
	return BPG_OK;
}

static enum bpg_err
s3_in_parse(struct bpg_app *app, struct bpg_http_req *req, struct s3_in *in)
{
	static const char *const names[] = { "folder", "overwrite", "content-length", "allowEmpty",
	    NULL };
	struct bpg_query q;
	const char *f;
	char why[WHY];
	enum bpg_err err;

	in->name = req->match.params[0];
	if (strlen(in->name) > BPG_UPNAME_NAME_MAX ||
	    !bpg_upname_segment_ok(in->name, strlen(in->name)))
		return bpg_http_fail(req, BPG_EINVAL, "name: 1 to %d letters, digits and "
		    ". _ - + = @ , not starting with '.'", BPG_UPNAME_NAME_MAX);
	if (bpg_query_parse(req->query, &q, why, sizeof(why)) != BPG_OK ||
	    bpg_query_only(&q, names, why, sizeof(why)) != BPG_OK ||
	    bpg_query_bool(&q, "overwrite", bpg_http_is_legacy(req), &in->overwrite, why,
	    sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	f = bpg_query_get(&q, "folder");
	in->folder[0] = '\0';
	if (f != NULL && bpg_upname_folder(f, in->folder, why, sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	if ((err = s3_length_parse(app, req, &q, in)) != BPG_OK)
		return err;
	return s3_authorize(app, req, in);
}

/*
 * <[s3] folder>/<folder param>/<name>; without a folder <[s3] folder>/<user>/<yyyyMMdd>/
 * <uuid>/<name> (the Java layout, under the caller's own folder; admins' too).
 */
static enum bpg_err
s3_key(const struct bpg_app *app, const struct s3_in *in, const char *user,
    struct bpg_buf *key)
{
	const char *top = app->cfg->s3.folder ? app->cfg->s3.folder : "";
	const char *sep = *top ? "/" : "";
	unsigned char r[16];
	char day[16];
	time_t now = time(NULL);
	struct tm tm;

	if (in->folder[0] != '\0')
		return bpg_buf_printf(key, "%s%s%s/%s", top, sep, in->folder, in->name);
	if (RAND_bytes(r, sizeof(r)) != 1 || gmtime_r(&now, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y%m%d", &tm) == 0)
		return BPG_EINTERNAL;
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	return bpg_buf_printf(key, "%s%s%s/%s/%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x/%s", top, sep, user, day, r[0], r[1], r[2], r[3], r[4],
	    r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], in->name);
}

/*
 * When key exists: 403 unless the caller may replace it (bpg_upauth_replace: its recorded
 * owner, the owner of its folder when none is recorded, or an admin), else 409 unless the
 * caller asked to overwrite (on /skatev2 overwrite defaults to true, for his own objects).
 */
static enum bpg_err
s3_check_replace(struct bpg_app *app, struct bpg_http_req *req, const struct s3_in *in,
    const char *key)
{
	char why[WHY], owner[BPG_S3_OWNER_MAX + 1];
	const char *folder = in->folder[0] ? in->folder : req->user.name;
	enum bpg_err err;

	err = bpg_s3_head_owner(app->s3, app->cfg->s3.bucket, key, NULL, owner, why, sizeof(why));
	if (err == BPG_ENOTFOUND)
		return BPG_OK;
	if (err != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	if (!bpg_upauth_replace(req->user.name, req->user.admin, folder, owner))
		return bpg_http_fail(req, BPG_EFORBIDDEN, "s3a://%s/%s belongs to another user: "
		    "%s; nothing was stored", app->cfg->s3.bucket, key, owner[0] ?
		    "only its owner or an admin may replace it" : "it has no recorded owner, so "
		    "only the owner of its folder or an admin may replace it");
	if (!in->overwrite)
		return bpg_http_fail(req, BPG_ECONFLICT, "s3a://%s/%s already exists; add "
		    "overwrite=true to replace it", app->cfg->s3.bucket, key);
	return BPG_OK;
}

#define DATA_BINARY_HINT "or send the file itself as the body: curl --data-binary @FILE " \
	"-H 'Content-Type: application/octet-stream' .../s3/NAME"

/*
 * Where the object's bytes go: the upload (w; NULL when an Idempotency-Key replay only reads
 * the body), and the digest of an Idempotency-Key's fingerprint (md; NULL without a key).
 * A multipart/form-data body's file part goes here as it is found.
 */
struct part_sink {
	struct bpg_s3up *w;
	enum bpg_err err;
	char why[WHY];
	EVP_MD_CTX *md;
};

static enum bpg_err
sink_write(struct part_sink *ps, const char *p, size_t n)
{
	ps->err = BPG_OK;
	if (ps->md != NULL && EVP_DigestUpdate(ps->md, p, n) != 1) {
		snprintf(ps->why, sizeof(ps->why), "cannot hash the body");
		ps->err = BPG_EINTERNAL;
	} else if (ps->w != NULL) {
		ps->err = bpg_s3up_write(ps->w, p, n, ps->why, sizeof(ps->why));
	}
	return ps->err;
}

static int
part_write(void *ctx, const char *p, size_t n)
{
	return sink_write(ctx, p, n) != BPG_OK;
}

/* Feeds a piece of a multipart body (n == 0: its end); the error is set on req. */
static enum bpg_err
s3_feed_multipart(struct bpg_http_req *req, struct bpg_multipart *mp, struct part_sink *ps,
    const char *p, size_t n)
{
	char why[WHY];
	enum bpg_err err;

	err = n > 0 ? bpg_multipart_feed(mp, p, n, why, sizeof(why)) :
	    bpg_multipart_finish(mp, why, sizeof(why));
	if (err == BPG_EIO)
		return bpg_http_fail(req, ps->err, "%s", ps->why);
	if (err != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s; nothing was stored (a multipart/form-data "
		    "upload holds exactly one file: curl -F 'file=@FILE'), " DATA_BINARY_HINT, why);
	return BPG_OK;
}

/*
 * Copies the body to w, or only the file part's bytes of a multipart/form-data body (mp not
 * NULL); BPG_ETOOLARGE past the limit, BPG_EIO when the client went away.
 */
static enum bpg_err
s3_copy_body(struct bpg_app *app, struct bpg_http_req *req, const struct s3_in *in,
    struct bpg_multipart *mp, struct part_sink *ps)
{
	unsigned long long max = (unsigned long long)app->cfg->s3.max_upload_mb << 20;
	char *chunk = malloc(CHUNK);
	size_t n;
	struct bpg_http_pace pace;
	enum bpg_err err = BPG_ENOMEM;

	if (chunk == NULL)
		return bpg_http_fail(req, err, "out of memory");
	bpg_http_pace_start(&pace, app->cfg->s3.upload_grace_s * 1000,
	    (unsigned long long)app->cfg->s3.min_upload_kib_per_s << 10);
	for (;;) {
		/* too slow: 408, its message set (the one below is then not) */
		if ((err = bpg_http_read_paced(req, &pace, chunk, CHUNK, &n)) != BPG_OK) {
			bpg_http_fail(req, BPG_EINVAL, "the request body was cut off after %llu bytes: "
			    "nothing was stored", req->bytes_in);
			break;
		}
		if (n == 0) {
			if (mp != NULL)
				err = s3_feed_multipart(req, mp, ps, NULL, 0);
			break;
		}
		if (req->bytes_in > max || (in->length >= 0 &&
		    req->bytes_in > (unsigned long long)in->length)) {
			err = bpg_http_fail(req, BPG_ETOOLARGE, "upload is over %s", req->bytes_in > max ?
			    "the configured limit" : "its declared length");
			break;
		}
		if (mp != NULL) {
			if ((err = s3_feed_multipart(req, mp, ps, chunk, n)) != BPG_OK)
				break;
		} else if ((err = sink_write(ps, chunk, n)) != BPG_OK) {
			bpg_http_fail(req, err, "%s", ps->why);
			break;
		}
	}
	free(chunk);
	return err;
}

/* An upload's Idempotency-Key (see bpg_idem.h): its row and what this request does with it. */
struct upload_idem {
	const char *key;            /* NULL: no key */
	struct bpg_idem_req rec;
	int held;                   /* this request holds the key: it records the answer */
	int replay;                 /* the key was answered: read the body only, then replay */
};

/*
 * Looks the key up: a new key is claimed (held); an answered one turns the request into a
 * replay (the body is still read, to compare fingerprints); a live worker's is 409; a dead
 * worker's is taken over (held); an expired one is dropped and claimed anew. *done when
 * answered here.
 */
static enum bpg_err
upload_idem_begin(struct bpg_app *app, struct bpg_http_req *req, struct upload_idem *ui,
    int *done)
{
	const char *user = req->user.name, *claim = bpg_db_claim(app->db);
	long long ttl = app->cfg->gateway.idempotency_ttl_s * 1000LL;
	int alive = 0, tries = 0;
	enum bpg_err err;

	*done = 0;
	for (;;) {
		if ((err = bpg_subdb_idem_get(app->db, user, ui->key, &ui->rec)) != BPG_OK)
			break;
		if (ui->rec.found && bpg_now_ms() - ui->rec.created_ms >= ttl &&
		    (err = bpg_subdb_idem_forget(app->db, user, ui->key)) == BPG_OK)
			ui->rec.found = 0;
		if (err != BPG_OK)
			break;
		if (!ui->rec.found) {
			err = bpg_subdb_idem_begin(app->db, user, ui->key, "POST /s3", claim);
			if (err == BPG_ECONFLICT && tries++ == 0)
				continue;   /* a racing request claimed it first: act on its row */
			ui->held = err == BPG_OK;
			break;
		}
		if (ui->rec.status >= 100 && ui->rec.response != NULL) {
			ui->replay = 1;
			return BPG_OK;
		}
		if ((err = bpg_db_claim_alive(app->db, ui->rec.claim_owner, &alive)) != BPG_OK)
			break;
		if (!alive && bpg_subdb_idem_take_over(app->db, user, ui->key, ui->rec.claim_owner,
		    claim) == BPG_OK) {
			ui->held = 1;
			return BPG_OK;
		}
		err = BPG_ECONFLICT;
		break;
	}
	if (err == BPG_OK)
		return BPG_OK;
	*done = 1;
	if (err != BPG_ECONFLICT)
		return bpg_http_fail(req, BPG_EUNAVAIL, "database unavailable: nothing was stored");
	snprintf(req->err_headers, sizeof(req->err_headers), "Retry-After: 1\r\n");
	return bpg_http_fail(req, BPG_ECONFLICT, "an upload with this Idempotency-Key is still "
	    "being processed: retry later with the same key");
}

/* The fingerprint of an upload: the name, folder and overwrite asked for, the bytes' digest. */
static enum bpg_err
upload_fingerprint(struct bpg_http_req *req, const struct s3_in *in, EVP_MD_CTX *md,
    char fp[BPG_IDEM_FP_LEN + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned dn = 0;
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err = BPG_ENOMEM;

	if (j != NULL && EVP_DigestFinal_ex(md, d, &dn) == 1) {
		for (unsigned i = 0; i < dn; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		if (cJSON_AddStringToObject(j, "name", in->name) != NULL &&
		    cJSON_AddStringToObject(j, "folder", in->folder) != NULL &&
		    cJSON_AddBoolToObject(j, "overwrite", in->overwrite) != NULL &&
		    cJSON_AddStringToObject(j, "body", hex) != NULL)
			err = bpg_idem_fingerprint("POST /s3", req->user.name, req->user.name, j, fp);
	}
	cJSON_Delete(j);
	return err;
}

/* A replay: the same request gets the first answer; another request with the key, 422. */
static enum bpg_err
upload_replay(struct bpg_http_req *req, const struct upload_idem *ui, const char *fp)
{
	if (ui->rec.fingerprint != NULL && strcmp(ui->rec.fingerprint, fp) != 0)
		return bpg_http_fail(req, BPG_EMISMATCH, "Idempotency-Key was already used for a "
		    "different upload: nothing was stored; use a new key for a new upload");
	return bpg_http_reply(req, (int)ui->rec.status, "application/json",
	    "Idempotent-Replayed: true\r\n", ui->rec.response, strlen(ui->rec.response));
}

/*
 * Records what happened to a held key: a 2xx answer is kept for the retries; after a
 * failure the key is freed (nothing was stored, and a body cut short has no fingerprint).
 */
static void
upload_idem_end(struct bpg_app *app, const struct bpg_http_req *req, struct upload_idem *ui,
    const char *fp, const struct bpg_buf *answer)
{
	enum bpg_err err;

	if (!ui->held)
		return;
	if (req->status >= 200 && req->status < 300 && fp != NULL && answer->data != NULL)
		err = bpg_subdb_idem_finish(app->db, req->user.name, ui->key, fp, req->status,
		    answer->data);
	else
		err = bpg_subdb_idem_forget(app->db, req->user.name, ui->key);
	if (err != BPG_OK)
		bpg_log(BPG_LOG_WARN, "s3", "the Idempotency-Key's outcome was not recorded", NULL);
}

/*
 * POST /s3/{name}?folder=F[&overwrite=true][&content-length=N], any allowed user, in a
 * folder he may write (his own, an [upload.NAME] grant's, anywhere for admins: bpg_upauth).
 * The body streams through to s3://<[s3] bucket>/<key> (the Java key layout; without a
 * folder under the caller's own), multipart above [s3] part_size_mb, the caller recorded
 * as its owner (x-amz-meta-bpg-owner); a chunked body (no length) works. A multipart/form-data body
 * (curl -F) stores only its one file part's bytes, never the envelope; the limits count the
 * body. 200 {"url":"s3a://b/k"}; 400 bad name/folder/length, a body cut off or a
 * multipart body that is not one file part (nothing is stored); 408 a body slower than
 * [s3] min_upload_kib_per_s after upload_grace_s (nothing is stored); 403 a folder not his, or
 * an existing object he may not replace (another's: HEAD first; nothing is read or
 * stored); 409 exists (on /skatev2 overwrite defaults to true: the Java gateway overwrote
 * silently);
 * 413 over [s3] max_upload_mb; 502/503/504 S3.
 * Header Idempotency-Key: a retry with the same key and the same upload (name, folder,
 * overwrite and bytes) gets the first 2xx answer again (Idempotent-Replayed: true) and stores
 * nothing; with another upload 422; while the first is still running 409 (Retry-After); after
 * a failure the key is free. The body of a retry is read in full to be compared.
 */
enum bpg_err
h_s3_upload(struct bpg_app *app, struct bpg_http_req *req)
{
	struct s3_in in;
	struct bpg_s3up *w = NULL;
	struct bpg_multipart *mp = NULL;
	struct part_sink ps = { NULL, BPG_OK, "", NULL };   /* the part's bytes go to ps.w */
	struct upload_idem ui;
	const char *ct = bpg_http_param(req, "CONTENT_TYPE");
	struct bpg_buf key, url, answer, owner;
	cJSON *j = NULL;
	char why[WHY], fp[BPG_IDEM_FP_LEN + 1], *fpp = NULL;
	enum bpg_err err;
	int done = 0;

	memset(&ui, 0, sizeof(ui));
	bpg_buf_init(&key, BPG_S3_KEY_MAX + 1);
	bpg_buf_init(&url, BPG_S3_KEY_MAX + 512);
	bpg_buf_init(&answer, 0);
	bpg_buf_init(&owner, BPG_S3_OWNER_MAX);
	if ((err = s3_in_parse(app, req, &in)) != BPG_OK)
		goto out;
	if ((ui.key = bpg_http_param(req, "HTTP_IDEMPOTENCY_KEY")) != NULL &&
	    bpg_idem_key_check(ui.key, why, sizeof(why)) != BPG_OK) {
		err = bpg_http_fail(req, BPG_EINVAL, "%s", why);
		goto out;
	}
	if (bpg_multipart_is_form(ct)) {
		if ((mp = malloc(sizeof(*mp))) == NULL) {
			err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
			goto out;
		}
		if ((err = bpg_multipart_init(mp, ct, part_write, &ps, why, sizeof(why))) != BPG_OK) {
			bpg_http_fail(req, err, "%s; " DATA_BINARY_HINT, why);
			goto out;
		}
	}
	if (app->s3 == NULL) {
		err = bpg_http_fail(req, BPG_EUNAVAIL, "S3 is not configured on this gateway");
		goto out;
	}
	if (ui.key != NULL) {
		if ((ps.md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(ps.md, EVP_sha256(), NULL) != 1) {
			err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
			goto out;
		}
		if ((err = upload_idem_begin(app, req, &ui, &done)) != BPG_OK || done)
			goto out;
	}
	if (ui.replay) {
		/* read the body only, to compare it with the first request's */
		if ((err = s3_copy_body(app, req, &in, mp, &ps)) != BPG_OK)
			goto out;
		if ((err = upload_fingerprint(req, &in, ps.md, fp)) != BPG_OK) {
			bpg_http_fail(req, err, "out of memory");
			goto out;
		}
		err = upload_replay(req, &ui, fp);
		goto out;
	}
	if ((err = s3_key(app, &in, req->user.name, &key)) != BPG_OK) {
		bpg_http_fail(req, err, "the object key is too long");
		goto out;
	}
	if ((err = s3_check_replace(app, req, &in, key.data)) != BPG_OK)
		goto out;
	if ((err = bpg_upauth_owner_tag(req->user.name, &owner)) != BPG_OK ||
	    (err = bpg_s3up_new(app->s3, app->s3up, app->cfg->s3.bucket, key.data,
	    (size_t)app->cfg->s3.part_size_mb << 20, &w)) != BPG_OK ||
	    (err = bpg_s3up_set_owner(w, owner.data)) != BPG_OK) {
		bpg_http_fail(req, err, "out of memory");
		goto out;
	}
	ps.w = w;
	if ((err = s3_copy_body(app, req, &in, mp, &ps)) != BPG_OK)
		goto out;
	if (in.length >= 0 && req->bytes_in != (unsigned long long)in.length) {
		err = bpg_http_fail(req, BPG_EINVAL, "the body has %llu bytes, not the %lld declared: "
		    "nothing was stored", req->bytes_in, in.length);
		goto out;
	}
	if (ui.key != NULL && (err = upload_fingerprint(req, &in, ps.md, fp)) != BPG_OK) {
		bpg_http_fail(req, err, "out of memory");
		goto out;
	}
	if ((err = bpg_s3up_close(w, NULL, why, sizeof(why))) != BPG_OK) {
		bpg_http_fail(req, err, "%s", why);
		goto out;
	}
	bpg_log(BPG_LOG_INFO, "s3", "uploaded", "key", key.data, "user", req->user.name, NULL);
	if ((err = bpg_buf_printf(&url, "s3a://%s/%s", app->cfg->s3.bucket, key.data)) != BPG_OK ||
	    (j = cJSON_CreateObject()) == NULL || cJSON_AddStringToObject(j, "url", url.data) == NULL ||
	    bpg_json_print(j, &answer) != BPG_OK) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	fpp = ui.key != NULL ? fp : NULL;
	err = bpg_http_reply(req, 200, "application/json", NULL, answer.data, answer.len);
out:
	upload_idem_end(app, req, &ui, fpp, &answer);
	bpg_idem_req_release(&ui.rec);
	EVP_MD_CTX_free(ps.md);
	bpg_s3up_free(w);   /* aborts an unfinished multipart upload */
	free(mp);
	cJSON_Delete(j);
	bpg_buf_release(&owner);
	bpg_buf_release(&answer);
	bpg_buf_release(&url);
	bpg_buf_release(&key);
	return err;
}
