/* bpg_s3up: one object written to S3 as a stream: a single PUT when small, else multipart. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_log.h"
#include "bpg_s3up.h"

/*
 * Two buffers of part_size: the caller fills one while a thread of ours uploads the other
 * as a part, so reading the body and sending it to S3 overlap. The S3 client (one curl
 * handle) is used by one side at a time: the thread only while a part is in flight, the
 * caller only when it is idle.
 */
struct bpg_s3up {
	struct bpg_s3 *s3;
	char *bucket;
	char *key;
	char *fill;               /* being filled: part_size bytes */
	char *spare;              /* the other buffer (NULL until a second part is needed) */
	size_t part_size, used;
	char upload_id[BPG_S3_UPLOAD_ID_MAX];   /* "" until the first part goes */
	char (*etags)[BPG_S3_ETAG_MAX];
	int n_parts, cap_parts;
	int done;
	unsigned long long total;
	/* the uploading thread */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *job;          /* the part in flight */
	size_t job_len;
	int job_no;
	int busy, quit;
	enum bpg_err bg_err;      /* the first failure of a part */
	char bg_why[256];
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
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		free(w);
		return BPG_EINTERNAL;
	}
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return BPG_EINTERNAL;
	}
	w->s3 = s;
	w->part_size = part_size;
	w->bucket = strdup(bucket);
	w->key = strdup(key);
	w->fill = malloc(part_size);
	if (w->bucket == NULL || w->key == NULL || w->fill == NULL) {
		bpg_s3up_free(w);
		return BPG_ENOMEM;
	}
	*out = w;
	return BPG_OK;
}

static void *
uploader(void *arg)
{
	struct bpg_s3up *w = arg;
	char etag[BPG_S3_ETAG_MAX], why[sizeof(w->bg_why)];
	enum bpg_err err;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy)
			break;   /* quit, nothing in flight */
		pthread_mutex_unlock(&w->mu);
		err = bpg_s3_mpu_part(w->s3, w->bucket, w->key, w->upload_id, w->job_no, w->job,
		    w->job_len, etag, why, sizeof(why));
		pthread_mutex_lock(&w->mu);
		if (err == BPG_OK) {
			memcpy(w->etags[w->job_no - 1], etag, sizeof(etag));
		} else if (w->bg_err == BPG_OK) {
			w->bg_err = err;
			memcpy(w->bg_why, why, sizeof(why));
		}
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits until no part is in flight; the first part's failure, if any. */
static enum bpg_err
s3up_idle(struct bpg_s3up *w, char *why, size_t whylen)
{
	enum bpg_err err;

	if (!w->started)
		return BPG_OK;
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	err = w->bg_err;
	if (err != BPG_OK)
		snprintf(why, whylen, "%s", w->bg_why);
	pthread_mutex_unlock(&w->mu);
	return err;
}

/* Room for one more part's ETag; only while no part is in flight. */
static enum bpg_err
s3up_reserve(struct bpg_s3up *w, char *why, size_t whylen)
{
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
	if (w->spare == NULL && (w->spare = malloc(w->part_size)) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

/* Hands the full buffer to the thread (created on the first part) and takes the other. */
static enum bpg_err
s3up_dispatch(struct bpg_s3up *w, char *why, size_t whylen)
{
	enum bpg_err err;
	char *sent;

	if ((err = s3up_idle(w, why, whylen)) != BPG_OK)
		return err;
	if (w->upload_id[0] == '\0' && (err = bpg_s3_mpu_create(w->s3, w->bucket, w->key,
	    NULL, w->upload_id, why, whylen)) != BPG_OK) {
		w->upload_id[0] = '\0';
		return err;
	}
	if ((err = s3up_reserve(w, why, whylen)) != BPG_OK)
		return err;
	if (!w->started) {
		if (pthread_create(&w->thread, NULL, uploader, w) != 0) {
			snprintf(why, whylen, "cannot start the upload thread");
			return BPG_EINTERNAL;
		}
		w->started = 1;
	}
	sent = w->fill;
	pthread_mutex_lock(&w->mu);
	w->job = sent;
	w->job_len = w->used;
	w->job_no = ++w->n_parts;
	w->busy = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->fill = w->spare;
	w->spare = sent;
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
		memcpy(w->fill + w->used, c, k);
		w->used += k;
		w->total += k;
		c += k;
		n -= k;
		if (w->used == w->part_size && (err = s3up_dispatch(w, why, whylen)) != BPG_OK)
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
		err = bpg_s3_put(w->s3, w->bucket, w->key, w->fill, w->used, NULL, why, whylen);
	} else {
		err = w->used > 0 ? s3up_dispatch(w, why, whylen) : BPG_OK;
		if (err == BPG_OK)
			err = s3up_idle(w, why, whylen);
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

void
bpg_s3up_free(struct bpg_s3up *w)
{
	char why[256];

	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->quit = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);   /* after the part in flight, if any */
	}
	if (!w->done && w->upload_id[0] != '\0' && bpg_s3_mpu_abort(w->s3, w->bucket, w->key,
	    w->upload_id, why, sizeof(why)) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "s3", "could not abort a multipart upload", "key", w->key,
		    "error", why, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->etags);
	free(w->spare);
	free(w->fill);
	free(w->bucket);
	free(w->key);
	free(w);
}
