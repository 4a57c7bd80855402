/* bpg-fcgi: POST /s3/{name}: the wire of an upload (query, paced body, answer); its lifecycle
 * is lib/bpg_upload's. */
#include <stdio.h>
#include <string.h>
#include "bpg_fcgi.h"
#include "bpg_query.h"
#include "bpg_upload.h"
#include "bpg_upname.h"
#include "bpg_time.h"

#define WHY             512

/*
 * A declared length of 0 is a 400 unless ?allowEmpty=true: `curl --data-binary @FILE` with a
 * FILE that is missing only warns and sends no bytes, which would store an empty object. On
 * /skatev2 allowEmpty defaults to true: the Java gateway stored empty bodies.
 */
static enum bpg_err
s3_empty_check(struct bpg_http_req *req, const struct bpg_query *q,
    const struct bpg_upload_in *in)
{
	char why[WHY];
	int allow;

	if (bpg_query_bool(q, "allowEmpty", bpg_http_is_legacy(req), &allow,
	    BPG_WHY(why)) != BPG_OK)
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
    struct bpg_upload_in *in)
{
	long long max = app->cfg->s3.max_upload_mb << 20, hdr;
	char why[WHY];

	if (bpg_http_content_length(req, &hdr) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "Please provide valid value for "
		    "content-length in http request header");
	if (bpg_query_long(q, "content-length", 0, (1LL << 62), hdr, &in->length,
	    BPG_WHY(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	if (hdr >= 0 && in->length != hdr)
		return bpg_http_fail(req, BPG_EINVAL, "content-length %lld does not match the "
		    "Content-Length header %lld", in->length, hdr);
	if (in->length > max)
		return bpg_http_fail(req, BPG_ETOOLARGE, "upload of %lld bytes is over the limit of "
		    "%lld MiB", in->length, app->cfg->s3.max_upload_mb);
	return s3_empty_check(req, q, in);
}

static enum bpg_err
s3_in_parse(struct bpg_app *app, struct bpg_http_req *req, struct bpg_upload_in *in)
{
	static const char *const names[] = { "folder", "overwrite", "content-length", "allowEmpty",
	    NULL };
	struct bpg_query q;
	const char *f;
	char why[WHY];

	in->name = req->match.params[0];
	if (strlen(in->name) > BPG_UPNAME_NAME_MAX ||
	    !bpg_upname_segment_ok(in->name, strlen(in->name)))
		return bpg_http_fail(req, BPG_EINVAL, "name: 1 to %d letters, digits and "
		    ". _ - + = @ , not starting with '.'", BPG_UPNAME_NAME_MAX);
	if (bpg_query_parse(req->query, &q, BPG_WHY(why)) != BPG_OK ||
	    bpg_query_only(&q, names, BPG_WHY(why)) != BPG_OK ||
	    bpg_query_bool(&q, "overwrite", bpg_http_is_legacy(req), &in->overwrite,
	    BPG_WHY(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	f = bpg_query_get(&q, "folder");
	in->folder[0] = '\0';
	if (f != NULL && bpg_upname_folder(f, in->folder, BPG_WHY(why)) != BPG_OK)
		return bpg_http_fail(req, BPG_EINVAL, "%s", why);
	return s3_length_parse(app, req, &q, in);
}

/* The body, read as it arrives, paced: too slow is 408 (its message set on req). */
struct s3_reader {
	struct bpg_app *app;
	struct bpg_http_req *req;
	struct bpg_http_pace pace;
	int started;
};

static enum bpg_err
s3_read(void *arg, char *buf, size_t cap, size_t *n_out)
{
	struct s3_reader *r = arg;
	const struct bpg_s3_conf *c = &r->app->cfg->s3;

	if (!r->started) {
		bpg_http_pace_start(&r->pace, c->upload_grace_s * 1000,
		    (unsigned long long)c->min_upload_kib_per_s << 10);
		r->started = 1;
	}
	return bpg_http_read_paced(r->req, &r->pace, buf, cap, n_out);
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
	struct bpg_upload_env env = { app->cfg, app->db, app->s3, app->s3up };
	struct bpg_upload_in in;
	struct bpg_upload_out out;
	struct s3_reader rd = { app, req, { 0 }, 0 };
	enum bpg_err err;

	memset(&in, 0, sizeof(in));
	if ((err = s3_in_parse(app, req, &in)) != BPG_OK)
		return err;
	in.user = req->user.name;
	in.admin = req->user.admin;
	in.content_type = bpg_http_param(req, "CONTENT_TYPE");
	in.idem_key = bpg_http_param(req, "HTTP_IDEMPOTENCY_KEY");
	in.now_ms = bpg_time_now_ms();
	bpg_upload_out_init(&out);
	if ((err = bpg_upload_run(&env, &in, s3_read, &rd, &out)) != BPG_OK) {
		if (out.retry_after > 0)
			snprintf(req->err_headers, sizeof(req->err_headers), "Retry-After: %d\r\n",
			    out.retry_after);
		err = bpg_http_fail(req, err, "%s", out.why);
	} else {
		err = bpg_http_reply(req, out.status, "application/json", out.replayed ?
		    "Idempotent-Replayed: true\r\n" : NULL, out.body.data, out.body.len);
	}
	bpg_upload_out_release(&out);
	return err;
}
