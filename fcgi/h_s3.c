/* bpg-fcgi: POST /s3/{name}: an artifact streamed from the client through to S3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>
#include <openssl/rand.h>
#include "bpg_fcgi.h"
#include "bpg_log.h"
#include "bpg_multipart.h"
#include "bpg_query.h"
#include "bpg_s3up.h"

#define NAME_MAX_LEN    255
#define FOLDER_MAX_LEN  512
#define FOLDER_MAX_SEGS 16
#define CHUNK           65536
#define WHY             512

struct s3_in {
	const char *name;           /* the route parameter, checked */
	char folder[FOLDER_MAX_LEN + 1];   /* checked, trailing '/' stripped; "" for none */
	int overwrite;
	long long length;           /* declared length, -1 when unknown (chunked) */
};

/* A name or folder segment: [A-Za-z0-9._+=@,-], not "." or "..", no leading '.'. */
static int
s3_segment_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-' || c == '+' || c == '=' || c == '@' || c == ','))
			return 0;
	}
	return 1;
}

static enum bpg_err
s3_folder_parse(struct bpg_http_req *req, const char *f, struct s3_in *in)
{
	size_t n = strlen(f), segs = 0;
	const char *p = f;

	while (n > 0 && f[n - 1] == '/')
		n--;
	if (n > FOLDER_MAX_LEN)
		return bpg_http_fail(req, BPG_EINVAL, "folder: longer than %d bytes", FOLDER_MAX_LEN);
	if (f[0] == '/')
		return bpg_http_fail(req, BPG_EINVAL, "folder: must not start with '/'");
	while (p < f + n) {
		const char *e = memchr(p, '/', (size_t)(f + n - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(f + n - p);
		if (!s3_segment_ok(p, len) || ++segs > FOLDER_MAX_SEGS)
			return bpg_http_fail(req, BPG_EINVAL, "folder: each of at most %d '/'-separated "
			    "parts must be letters, digits and . _ - + = @ , (not starting with '.', "
			    "no '..', no empty part)", FOLDER_MAX_SEGS);
		p += len + 1;
	}
	memcpy(in->folder, f, n);
	in->folder[n] = '\0';
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
	return BPG_OK;
}

static enum bpg_err
s3_in_parse(struct bpg_app *app, struct bpg_http_req *req, struct s3_in *in)
{
	static const char *const names[] = { "folder", "overwrite", "content-length", NULL };
	struct bpg_query q;
	const char *f;
	char why[WHY];
	enum bpg_err err;

	in->name = req->match.params[0];
	if (strlen(in->name) > NAME_MAX_LEN || !s3_segment_ok(in->name, strlen(in->name)))
		return bpg_http_fail(req, BPG_EINVAL, "name: 1 to %d letters, digits and "
		    ". _ - + = @ , not starting with '.'", NAME_MAX_LEN);
	if (bpg_query_parse(req->query, &q, why, sizeof(why)) != BPG_OK ||
	    bpg_query_only(&q, names, why, sizeof(why)) != BPG_OK ||
	    bpg_query_bool(&q, "overwrite", bpg_http_is_legacy(req), &in->overwrite, why,
	    sizeof(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	f = bpg_query_get(&q, "folder");
	in->folder[0] = '\0';
	if (f != NULL && *f != '\0' && (err = s3_folder_parse(req, f, in)) != BPG_OK)
		return err;
	return s3_length_parse(app, req, &q, in);
}

/* <folder>/<folder param>/<name>, or <folder>/<yyyyMMdd>/<uuid>/<name> (the Java layout). */
static enum bpg_err
s3_key(const struct bpg_app *app, const struct s3_in *in, struct bpg_buf *key)
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
	return bpg_buf_printf(key, "%s%s%s/%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x/%s", top, sep, day, r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], in->name);
}

/* 409 when key exists and the caller did not ask to overwrite. */
static enum bpg_err
s3_check_absent(struct bpg_app *app, struct bpg_http_req *req, const struct s3_in *in,
    const char *key)
{
	char why[WHY];
	enum bpg_err err;

	if (in->overwrite)
		return BPG_OK;
	err = bpg_s3_head(app->s3, app->cfg->s3.bucket, key, NULL, why, sizeof(why));
	if (err == BPG_OK)
		return bpg_http_fail(req, BPG_ECONFLICT, "s3a://%s/%s already exists; add "
		    "overwrite=true to replace it", app->cfg->s3.bucket, key);
	if (err == BPG_ENOTFOUND)
		return BPG_OK;
	return bpg_http_fail(req, err, "%s", why);
}

#define DATA_BINARY_HINT "or send the file itself as the body: curl --data-binary @FILE " \
	"-H 'Content-Type: application/octet-stream' .../s3/NAME"

/* The file part of a multipart/form-data body goes to the upload as it is found. */
struct part_sink {
	struct bpg_s3up *w;
	enum bpg_err err;
	char why[WHY];
};

static int
part_write(void *ctx, const char *p, size_t n)
{
	struct part_sink *ps = ctx;

	ps->err = bpg_s3up_write(ps->w, p, n, ps->why, sizeof(ps->why));
	return ps->err != BPG_OK;
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
    struct bpg_s3up *w, struct bpg_multipart *mp, struct part_sink *ps)
{
	unsigned long long max = (unsigned long long)app->cfg->s3.max_upload_mb << 20;
	char *chunk = malloc(CHUNK), why[WHY];
	size_t n;
	enum bpg_err err = BPG_ENOMEM;

	if (chunk == NULL)
		return bpg_http_fail(req, err, "out of memory");
	for (;;) {
		if ((err = bpg_http_read_some(req, chunk, CHUNK, &n)) != BPG_OK) {
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
		} else if ((err = bpg_s3up_write(w, chunk, n, why, sizeof(why))) != BPG_OK) {
			bpg_http_fail(req, err, "%s", why);
			break;
		}
	}
	free(chunk);
	return err;
}

/*
 * POST /s3/{name}?folder=F[&overwrite=true][&content-length=N], any allowed user.
 * The body streams through to s3://<[s3] bucket>/<key> (the Java key layout), multipart
 * above [s3] part_size_mb; a chunked body (no length) works. A multipart/form-data body
 * (curl -F) stores only its one file part's bytes, never the envelope; the limits count the
 * body. 200 {"url":"s3a://b/k"}; 400 bad name/folder/length, a body cut off or a
 * multipart body that is not one file part (nothing is stored); 409 exists (on /skatev2
 * overwrite defaults to true: the Java gateway overwrote silently);
 * 413 over [s3] max_upload_mb; 502/503/504 S3.
 */
enum bpg_err
h_s3_upload(struct bpg_app *app, struct bpg_http_req *req)
{
	struct s3_in in;
	struct bpg_s3up *w = NULL;
	struct bpg_multipart *mp = NULL;
	struct part_sink ps = { NULL, BPG_OK, "" };   /* the part's bytes go to ps.w */
	const char *ct = bpg_http_param(req, "CONTENT_TYPE");
	struct bpg_buf key, url;
	cJSON *j = NULL;
	char why[WHY];
	enum bpg_err err;

	bpg_buf_init(&key, BPG_S3_KEY_MAX + 1);
	bpg_buf_init(&url, BPG_S3_KEY_MAX + 512);
	if ((err = s3_in_parse(app, req, &in)) != BPG_OK)
		goto out;
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
	if ((err = s3_key(app, &in, &key)) != BPG_OK) {
		bpg_http_fail(req, err, "the object key is too long");
		goto out;
	}
	if ((err = s3_check_absent(app, req, &in, key.data)) != BPG_OK)
		goto out;
	if ((err = bpg_s3up_new(app->s3, app->cfg->s3.bucket, key.data,
	    (size_t)app->cfg->s3.part_size_mb << 20, &w)) != BPG_OK) {
		bpg_http_fail(req, err, "out of memory");
		goto out;
	}
	ps.w = w;
	if ((err = s3_copy_body(app, req, &in, w, mp, &ps)) != BPG_OK)
		goto out;
	if (in.length >= 0 && req->bytes_in != (unsigned long long)in.length) {
		err = bpg_http_fail(req, BPG_EINVAL, "the body has %llu bytes, not the %lld declared: "
		    "nothing was stored", req->bytes_in, in.length);
		goto out;
	}
	if ((err = bpg_s3up_close(w, NULL, why, sizeof(why))) != BPG_OK) {
		bpg_http_fail(req, err, "%s", why);
		goto out;
	}
	bpg_log(BPG_LOG_INFO, "s3", "uploaded", "key", key.data, "user", req->user.name, NULL);
	if ((err = bpg_buf_printf(&url, "s3a://%s/%s", app->cfg->s3.bucket, key.data)) != BPG_OK ||
	    (j = cJSON_CreateObject()) == NULL || cJSON_AddStringToObject(j, "url", url.data) == NULL) {
		err = bpg_http_fail(req, BPG_ENOMEM, "out of memory");
		goto out;
	}
	err = bpg_http_reply_json(req, 200, j);
out:
	bpg_s3up_free(w);   /* aborts an unfinished multipart upload */
	free(mp);
	cJSON_Delete(j);
	bpg_buf_release(&url);
	bpg_buf_release(&key);
	return err;
}
