/* bpg_s3: the S3 client: construction and the operations (objects, listings, multipart). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "bpg_log.h"
#include "bpg_s3.h"
#include "bpg_s3http.h"
#include "bpg_s3xml.h"

#define S3_MAX_PAGE       1000                   /* S3's own max-keys and max-uploads */

static int curl_ready;

/* Returns 1 if host is a plausible host[:port]: letters, digits, '.', '-', ':', '[', ']'. */
static int
is_host(const char *h, size_t n)
{
	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(h[i] >= 'a' && h[i] <= 'z') && !(h[i] >= 'A' && h[i] <= 'Z') &&
		    !(h[i] >= '0' && h[i] <= '9') && strchr(".-:[]_", h[i]) == NULL)
			return 0;
	return 1;
}

/* Sets scheme and host from "http(s)://host[:port][/]" or the AWS default for the region. */
static enum bpg_err
parse_endpoint(struct bpg_s3 *s, const char *ep, struct bpg_why *why)
{
	struct bpg_buf b;
	const char *h;
	size_t n;

	bpg_buf_init(&b, 0);
	if (ep == NULL) {
		s->scheme = "https";
		if (bpg_buf_printf(&b, "s3.%s.amazonaws.com", s->region) != BPG_OK ||
		    bpg_buf_detach(&b, &s->host) != BPG_OK)
			return BPG_ENOMEM;
		return BPG_OK;
	}
	if (strncmp(ep, "https://", 8) == 0) {
		s->scheme = "https";
		h = ep + 8;
	} else if (strncmp(ep, "http://", 7) == 0) {
		s->scheme = "http";
		h = ep + 7;
	} else {
		h = NULL;
	}
	n = h ? strcspn(h, "/") : 0;
	if (h == NULL || !is_host(h, n) || (h[n] != '\0' && strcmp(h + n, "/") != 0))
		return bpg_why_set(why, BPG_ECONFIG,
		    "[s3] endpoint '%s' is not an http(s)://host[:port] URL", ep);
	if ((s->host = strndup(h, n)) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

/* Returns 1 if r is a plausible region name: [a-z0-9-]+. */
static int
is_region(const char *r)
{
	if (*r == '\0' || strlen(r) > 64)
		return 0;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return 0;
	return 1;
}

enum bpg_err
bpg_s3_new(const struct bpg_s3_conf *conf, struct bpg_s3 **out)
{
	char why[512] = "";
	struct bpg_s3 *s;
	enum bpg_err err = BPG_ENOMEM;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return BPG_EINTERNAL;
		curl_ready = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return BPG_ENOMEM;
	s->path_style = conf->path_style;
	s->connect_timeout_ms = conf->connect_timeout_ms > 0 ? (long)conf->connect_timeout_ms : 3000;
	s->timeout_ms = conf->timeout_ms > 0 ? (long)conf->timeout_ms : 30000;
	s->page_size = S3_MAX_PAGE;
	if ((s->region = strdup(conf->region ? conf->region : "us-east-1")) == NULL ||
	    (conf->ca_file != NULL && (s->ca_file = strdup(conf->ca_file)) == NULL))
		goto out;
	err = BPG_ECONFIG;
	if (!is_region(s->region)) {
		bpg_why_set(BPG_WHY(why), err, "[s3] region '%s' is not a region name", s->region);
		goto out;
	}
	if ((err = parse_endpoint(s, conf->endpoint, BPG_WHY(why))) != BPG_OK ||
	    (err = bpg_s3cred_init(&s->cred, conf, BPG_WHY(why))) != BPG_OK)
		goto out;
	err = BPG_ENOMEM;
	if ((s->curl = curl_easy_init()) == NULL)
		goto out;
	*out = s;
	return BPG_OK;
out:
	if (why[0] != '\0')
		bpg_log(BPG_LOG_ERROR, "s3", "cannot make the S3 client", "error", why, NULL);
	bpg_s3_free(s);
	return err;
}

void
bpg_s3_free(struct bpg_s3 *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	bpg_s3cred_release(&s->cred);
	free(s->host);
	free(s->region);
	free(s->ca_file);
	free(s);
}

void
bpg_s3_set_page_size(struct bpg_s3 *s, int n)
{
	s->page_size = n < 1 ? 1 : n > S3_MAX_PAGE ? S3_MAX_PAGE : n;
}

const char *
bpg_s3_host(const struct bpg_s3 *s)
{
	return s->host;
}

/* --- the operations --- */

/* Checks a bucket name and a key (key NULL: not needed); BPG_EINVAL with a reason. */
static enum bpg_err
check_target(const char *bucket, const char *key, struct bpg_why *why)
{
	size_t n = bucket ? strlen(bucket) : 0;

	if (n == 0 || n > 255 || strspn(bucket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != n)
		return bpg_why_set(why, BPG_EINVAL, "'%s' is not an S3 bucket name",
		    bucket ? bucket : "");
	if (key != NULL && (key[0] == '\0' || strlen(key) > BPG_S3_KEY_MAX))
		return bpg_why_set(why, BPG_EINVAL,
		    "S3 key in bucket %s is empty or longer than %d bytes", bucket,
		    BPG_S3_KEY_MAX);
	if (key == NULL)
		bpg_why_set(why, BPG_OK, "%s", "");
	return BPG_OK;
}

/* Checks an upload id (it goes into the query). */
static enum bpg_err
check_upload_id(const char *id, struct bpg_why *why)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n >= BPG_S3_UPLOAD_ID_MAX)
		return bpg_why_set(why, BPG_EINVAL, "invalid multipart upload id");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return bpg_why_set(why, BPG_EINVAL, "invalid multipart upload id");
	return BPG_OK;
}

/* Checks op's target and sends it; nothing of the answer but its outcome is kept. */
static enum bpg_err
s3_simple(struct bpg_s3 *s, const struct bpg_s3_op *op, struct bpg_why *why)
{
	struct bpg_s3_resp r;
	enum bpg_err err;

	if ((err = check_target(op->bucket, op->key, why)) != BPG_OK)
		return err;
	bpg_s3http_resp_init(&r);
	err = bpg_s3http_call(s, op, &r, why);
	bpg_buf_release(&r.body);
	return err;
}

/* The body of r (in memory or a file) into op. */
static void
op_body(struct bpg_s3_op *op, const struct bpg_s3_req *r)
{
	op->file = r->file;
	op->body = r->file != NULL ? NULL : r->data ? r->data : "";
	op->len = r->file != NULL ? r->file->len : r->data ? r->len : 0;
}

enum bpg_err
bpg_s3_put(struct bpg_s3 *s, const struct bpg_s3_req *r, struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "PUT", .bucket = r->bucket, .key = r->key,
	    .content_type = r->content_type ? r->content_type : "application/octet-stream",
	    .owner = r->owner };

	op_body(&op, r);
	return s3_simple(s, &op, why);
}

enum bpg_err
bpg_s3_head(struct bpg_s3 *s, const char *bucket, const char *key, long long *size_out,
    struct bpg_why *why)
{
	return bpg_s3_head_owner(s, bucket, key, size_out, NULL, why);
}

enum bpg_err
bpg_s3_head_owner(struct bpg_s3 *s, const char *bucket, const char *key, long long *size_out,
    char owner_out[BPG_S3_OWNER_MAX + 1], struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "HEAD", .bucket = bucket, .key = key, .idempotent = 1 };
	struct bpg_s3_resp r;
	enum bpg_err err;

	if ((err = check_target(bucket, key, why)) != BPG_OK)
		return err;
	bpg_s3http_resp_init(&r);
	if ((err = bpg_s3http_call(s, &op, &r, why)) != BPG_OK)
		goto out;
	if (r.content_length < 0) {
		bpg_why_set(why, BPG_EUPSTREAM, "HEAD %s/%s: S3 sent no Content-Length", bucket,
		    key);
		bpg_log(BPG_LOG_WARN, "s3", "no content-length", "bucket", bucket, "key", key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	if (r.owner_bad) {
		bpg_why_set(why, BPG_EUPSTREAM, "HEAD %s/%s: S3 sent an unusable %s", bucket, key,
		    BPG_S3HTTP_OWNER_HDR);
		bpg_log(BPG_LOG_WARN, "s3", "bad owner metadata", "bucket", bucket, "key", key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	if (size_out != NULL)
		*size_out = r.content_length;
	if (owner_out != NULL)
		memcpy(owner_out, r.owner, strlen(r.owner) + 1);
out:
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_fetch(struct bpg_s3 *s, const struct bpg_s3_req *q, struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "GET", .bucket = q->bucket, .key = q->key,
	    .idempotent = 1, .sink = q->sink, .arg = q->arg, .offset = q->offset,
	    .length = q->length, .ranged = q->offset > 0 || q->length >= 0 };
	struct bpg_s3_resp r;
	enum bpg_err err;

	if ((err = check_target(q->bucket, q->key, why)) != BPG_OK)
		return err;
	if (q->offset < 0 || q->sink == NULL ||
	    (q->length >= 0 && q->offset > LLONG_MAX - q->length))
		return bpg_why_set(why, BPG_EINVAL, "GET %s/%s: invalid range", q->bucket, q->key);
	if (q->length == 0)
		return BPG_OK;
	bpg_s3http_resp_init(&r);
	err = bpg_s3http_call(s, &op, &r, why);
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_delete(struct bpg_s3 *s, const char *bucket, const char *key, struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "DELETE", .bucket = bucket, .key = key, .idempotent = 1 };

	return s3_simple(s, &op, why);
}

/* Runs the paged GET op until the listing ends or the callback stops it. */
static enum bpg_err
list_pages(struct bpg_s3 *s, struct bpg_s3_op *op, const struct bpg_s3xml_lister *l,
    struct bpg_why *why)
{
	char next[2][BPG_S3XML_VALUE_MAX], cur[2][BPG_S3XML_VALUE_MAX] = { "", "" };
	struct bpg_s3_resp r;
	enum bpg_err err;
	int rc;

	bpg_s3http_resp_init(&r);
	for (;;) {
		if ((err = bpg_s3http_call(s, op, &r, why)) != BPG_OK)
			goto out;
		err = BPG_EUPSTREAM;
		if ((rc = bpg_s3xml_list_page(l, &r.body, next)) < 0 ||
		    (rc == 0 && next[0][0] != '\0' && strcmp(next[0], cur[0]) == 0 &&
		    (l->n_next < 2 || strcmp(next[1], cur[1]) == 0))) {
			bpg_why_set(why, err, "list %s: S3 sent a listing that cannot be read",
			    op->bucket);
			bpg_log(BPG_LOG_WARN, "s3", "bad listing", "bucket", op->bucket, NULL);
			goto out;
		}
		if (rc == 1 || next[0][0] == '\0')
			break;
		for (size_t i = 0; i < l->n_next; i++) {
			memcpy(cur[i], next[i], sizeof(cur[i]));
			op->params[l->next_param[i]].value = cur[i];
			if (op->n_params <= l->next_param[i])
				op->n_params = l->next_param[i] + 1;
		}
	}
	err = BPG_OK;
out:
	bpg_buf_release(&r.body);
	return err;
}

/*
 * Checks a listing's bucket and prefix, sets its page size and runs it: op's params are
 * { kind, prefix, max } then the markers' (empty at first).
 */
static enum bpg_err
list_run(struct bpg_s3 *s, struct bpg_s3_op *op, const struct bpg_s3xml_lister *l,
    const char *what, struct bpg_why *why)
{
	const char *prefix = op->params[1].value;
	char max[16];
	enum bpg_err err;

	if ((err = check_target(op->bucket, NULL, why)) != BPG_OK)
		return err;
	if ((l->each_object == NULL && l->each_upload == NULL) || strlen(prefix) > BPG_S3_KEY_MAX)
		return bpg_why_set(why, BPG_EINVAL, "%s %s: prefix longer than %d bytes", what,
		    op->bucket,
		    BPG_S3_KEY_MAX);
	(void)snprintf(max, sizeof(max), "%d", s->page_size);
	op->params[2].value = max;
	return list_pages(s, op, l, why);
}

enum bpg_err
bpg_s3_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_object each, void *arg, struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "GET", .bucket = bucket, .idempotent = 1, .n_params = 3,
	    .params = { { "list-type", "2" }, { "prefix", prefix ? prefix : "" },
	    { "max-keys", "" }, { "continuation-token", "" } } };
	struct bpg_s3xml_lister l = { .item = "Contents", .each_object = each, .arg = arg,
	    .next_tag = { "NextContinuationToken" }, .next_param = { 3 }, .n_next = 1 };

	return list_run(s, &op, &l, "list", why);
}

enum bpg_err
bpg_s3_mpu_list(struct bpg_s3 *s, const char *bucket, const char *prefix,
    bpg_s3_each_upload each, void *arg, struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "GET", .bucket = bucket, .idempotent = 1, .n_params = 3,
	    .params = { { "uploads", "" }, { "prefix", prefix ? prefix : "" },
	    { "max-uploads", "" }, { "key-marker", "" }, { "upload-id-marker", "" } } };
	struct bpg_s3xml_lister l = { .item = "Upload", .each_upload = each, .arg = arg,
	    .next_tag = { "NextKeyMarker", "NextUploadIdMarker" }, .next_param = { 3, 4 },
	    .n_next = 2 };

	return list_run(s, &op, &l, "list uploads", why);
}

enum bpg_err
bpg_s3_mpu_create(struct bpg_s3 *s, const struct bpg_s3_req *q,
    char upload_id[BPG_S3_UPLOAD_ID_MAX], struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "POST", .bucket = q->bucket, .key = q->key,
	    .n_params = 1, .params = { { "uploads", "" } }, .content_type = q->content_type ?
	    q->content_type : "application/octet-stream", .checksum_hdr = q->crc32 ?
	    "x-amz-checksum-algorithm" : NULL, .checksum_val = "CRC32", .owner = q->owner };
	char id[BPG_S3_UPLOAD_ID_MAX];
	struct bpg_s3_resp r;
	enum bpg_err err;

	if ((err = check_target(q->bucket, q->key, why)) != BPG_OK)
		return err;
	bpg_s3http_resp_init(&r);
	if ((err = bpg_s3http_call(s, &op, &r, why)) != BPG_OK)
		goto out;
	if (r.body.data == NULL ||
	    !bpg_s3xml_get(r.body.data, r.body.data + r.body.len, "UploadId", id, sizeof(id)) ||
	    check_upload_id(id, NULL) != BPG_OK) {
		bpg_why_set(why, BPG_EUPSTREAM, "POST %s/%s?uploads: S3 sent no usable UploadId",
		    q->bucket,
		    q->key);
		bpg_log(BPG_LOG_WARN, "s3", "no upload id", "bucket", q->bucket, "key", q->key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	memcpy(upload_id, id, strlen(id) + 1);
out:
	bpg_buf_release(&r.body);
	return err;
}

/* Checks a multipart call's bucket, key and upload id. */
static enum bpg_err
check_mpu(const struct bpg_s3_req *q, struct bpg_why *why)
{
	enum bpg_err err = check_target(q->bucket, q->key, why);

	return err != BPG_OK ? err : check_upload_id(q->upload_id, why);
}

enum bpg_err
bpg_s3_mpu_part(struct bpg_s3 *s, const struct bpg_s3_req *q, char etag[BPG_S3_ETAG_MAX],
    struct bpg_why *why)
{
	char num[16];
	struct bpg_s3_op op = { .method = "PUT", .bucket = q->bucket, .key = q->key,
	    .n_params = 2, .params = { { "partNumber", num }, { "uploadId", q->upload_id } },
	    .idempotent = 1, .content_type = "application/octet-stream" };
	struct bpg_s3_resp r;
	enum bpg_err err;

	op_body(&op, q);
	if (q->file != NULL && q->file->crc32_b64[0] != '\0') {
		op.checksum_hdr = "x-amz-checksum-crc32";
		op.checksum_val = q->file->crc32_b64;
	}
	if ((err = check_mpu(q, why)) != BPG_OK)
		return err;
	if (q->part_no < 1 || q->part_no > BPG_S3_MAX_PARTS)
		return bpg_why_set(why, BPG_EINVAL, "PUT %s/%s: part number %d not in 1..%d",
		    q->bucket, q->key,
		    q->part_no, BPG_S3_MAX_PARTS);
	(void)snprintf(num, sizeof(num), "%d", q->part_no);
	bpg_s3http_resp_init(&r);
	if ((err = bpg_s3http_call(s, &op, &r, why)) != BPG_OK)
		goto out;
	if (r.etag[0] == '\0' || r.etag_bad) {
		bpg_why_set(why, BPG_EUPSTREAM, "PUT %s/%s part %d: S3 sent no usable ETag",
		    q->bucket,
		    q->key, q->part_no);
		bpg_log(BPG_LOG_WARN, "s3", "no etag", "bucket", q->bucket, "key", q->key, NULL);
		err = BPG_EUPSTREAM;
		goto out;
	}
	memcpy(etag, r.etag, sizeof(r.etag));
out:
	bpg_buf_release(&r.body);
	return err;
}

enum bpg_err
bpg_s3_mpu_complete(struct bpg_s3 *s, const struct bpg_s3_req *q,
    const struct bpg_s3_parts *parts, struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "POST", .bucket = q->bucket, .key = q->key,
	    .n_params = 1, .params = { { "uploadId", q->upload_id } },
	    .content_type = "application/xml" };
	struct bpg_buf doc;
	struct bpg_s3_resp r;
	enum bpg_err err;

	if ((err = check_mpu(q, why)) != BPG_OK)
		return err;
	if (parts->n < 1 || parts->n > BPG_S3_MAX_PARTS || parts->etags == NULL)
		return bpg_why_set(why, BPG_EINVAL, "complete %s/%s: %d parts not in 1..%d",
		    q->bucket, q->key,
		    parts->n, BPG_S3_MAX_PARTS);
	bpg_buf_init(&doc, 0);
	bpg_s3http_resp_init(&r);
	if ((err = bpg_s3xml_complete_doc(parts, &doc)) != BPG_OK) {
		bpg_why_set(why, err, "complete %s/%s: an ETag or checksum is empty or too long",
		    q->bucket, q->key);
		goto out;
	}
	op.body = doc.data;
	op.len = doc.len;
	err = bpg_s3http_call(s, &op, &r, why);
out:
	bpg_buf_release(&r.body);
	bpg_buf_release(&doc);
	return err;
}

enum bpg_err
bpg_s3_mpu_abort(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *upload_id, struct bpg_why *why)
{
	struct bpg_s3_op op = { .method = "DELETE", .bucket = bucket, .key = key, .n_params = 1,
	    .params = { { "uploadId", upload_id } }, .idempotent = 1 };
	enum bpg_err err;

	if ((err = check_upload_id(upload_id, why)) != BPG_OK)
		return err;
	err = s3_simple(s, &op, why);
	return err == BPG_ENOTFOUND ? BPG_OK : err;   /* already gone: what the caller wanted */
}