/* bpg_s3up: one object written to S3 as a stream: a single PUT when small, else multipart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_log.h"
#include "bpg_s3up.h"

struct bpg_s3up {
	struct bpg_s3 *s3;
	char *bucket;
	char *key;
	char *part;               /* part_size bytes */
	size_t part_size, used;
	char upload_id[BPG_S3_UPLOAD_ID_MAX];   /* "" until the first part goes */
	char (*etags)[BPG_S3_ETAG_MAX];
	int n_parts, cap_parts;
	int done;
	unsigned long long total;
};

enum bpg_err
bpg_s3up_new(struct bpg_s3 *s, const char *bucket, const char *key, size_t part_size,
    struct bpg_s3up **out)
{
	struct bpg_s3up *w;

	if (part_size < BPG_S3_MIN_PART)
		part_size = BPG_S3_MIN_PART;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return BPG_ENOMEM;
	w->s3 = s;
	w->part_size = part_size;
	w->bucket = strdup(bucket);
	w->key = strdup(key);
	w->part = malloc(part_size);
	if (w->bucket == NULL || w->key == NULL || w->part == NULL) {
		bpg_s3up_free(w);
		return BPG_ENOMEM;
	}
	*out = w;
	return BPG_OK;
}

/* Uploads the buffered bytes as the next part, creating the upload first if needed. */
static enum bpg_err
s3up_flush_part(struct bpg_s3up *w, char *why, size_t whylen)
{
	enum bpg_err err;

	if (w->upload_id[0] == '\0' && (err = bpg_s3_mpu_create(w->s3, w->bucket, w->key,
	    NULL, w->upload_id, why, whylen)) != BPG_OK) {
		w->upload_id[0] = '\0';
		return err;
	}
	if (w->n_parts == BPG_S3_MAX_PARTS) {
		snprintf(why, whylen, "object %s is larger than %d parts of %zu bytes", w->key,
		    BPG_S3_MAX_PARTS, w->part_size);
		return BPG_ETOOLARGE;
	}
	if (w->n_parts == w->cap_parts) {
		int cap = w->cap_parts ? w->cap_parts * 2 : 64;
		void *p = realloc(w->etags, (size_t)cap * sizeof(*w->etags));
		if (p == NULL)
			return BPG_ENOMEM;
		w->etags = p;
		w->cap_parts = cap;
	}
	err = bpg_s3_mpu_part(w->s3, w->bucket, w->key, w->upload_id, w->n_parts + 1, w->part,
	    w->used, w->etags[w->n_parts], why, whylen);
	if (err != BPG_OK)
		return err;
	w->n_parts++;
	w->used = 0;
	return BPG_OK;
}

enum bpg_err
bpg_s3up_write(struct bpg_s3up *w, const void *p, size_t n, char *why, size_t whylen)
{
	const char *c = p;
	enum bpg_err err;

	if (w->done)
		return BPG_EINTERNAL;
	while (n > 0) {
		size_t k = w->part_size - w->used;
		if (k > n)
			k = n;
		memcpy(w->part + w->used, c, k);
		w->used += k;
		w->total += k;
		c += k;
		n -= k;
		if (w->used == w->part_size && (err = s3up_flush_part(w, why, whylen)) != BPG_OK)
			return err;
	}
	return BPG_OK;
}

enum bpg_err
bpg_s3up_close(struct bpg_s3up *w, unsigned long long *size_out, char *why, size_t whylen)
{
	enum bpg_err err;

	if (w->done)
		return BPG_EINTERNAL;
	if (w->upload_id[0] == '\0') {
		err = bpg_s3_put(w->s3, w->bucket, w->key, w->part, w->used, NULL, why, whylen);
	} else {
		err = w->used > 0 ? s3up_flush_part(w, why, whylen) : BPG_OK;
		if (err == BPG_OK)
			err = bpg_s3_mpu_complete(w->s3, w->bucket, w->key, w->upload_id, w->etags,
			    w->n_parts, why, whylen);
	}
	if (err != BPG_OK)
		return err;   /* bpg_s3up_free() aborts the upload */
	w->done = 1;
	if (size_out != NULL)
		*size_out = w->total;
	return BPG_OK;
}

unsigned long long
bpg_s3up_size(const struct bpg_s3up *w)
{
	return w->total;
}

void
bpg_s3up_free(struct bpg_s3up *w)
{
	char why[256];

	if (w == NULL)
		return;
	if (!w->done && w->upload_id[0] != '\0' && bpg_s3_mpu_abort(w->s3, w->bucket, w->key,
	    w->upload_id, why, sizeof(why)) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "s3", "could not abort a multipart upload", "key", w->key,
		    "error", why, NULL);
	free(w->etags);
	free(w->part);
	free(w->bucket);
	free(w->key);
	free(w);
}
