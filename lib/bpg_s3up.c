/* bpg_s3up: one object written to S3 as a stream: a single PUT when small, else multipart. */
#define _GNU_SOURCE   /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "bpg_crc32.h"
#include "bpg_log.h"
#include "bpg_s3up.h"

#define S3UP_WHY 256

/*
 * The part slots of the ring. The caller fills one slot at a time (FILLING), then queues it
 * (QUEUED); a thread takes the queued part with the lowest number (SENDING) and frees the
 * slot when S3 answered. With a pool the slots are regions of one unlinked spool file (slot
 * i at i x part_size); without, part_size buffers in memory.
 */
enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_SENDING };

struct s3up_slot {
	enum slot_state state;
	int part_no;
	size_t len;
	char *mem;                             /* without a pool: part_size bytes, once used */
	char sha[BPG_S3_SHA256_HEX + 1];       /* with a pool: the part's SHA-256 */
	char crc[BPG_S3_CRC32_B64 + 1];        /* and its CRC-32, which S3 checks */
};

struct bpg_s3up_pool {
	struct bpg_s3 **clients;
	int n;
	char *spool_dir;
};

struct bpg_s3up {
	struct bpg_s3 *s3;                     /* the caller's: PUT, create, complete, abort */
	struct bpg_s3 **clients;               /* thread i uses clients[i] */
	int max_threads;
	const char *spool_dir;                 /* NULL: the slots are in memory */
	char *bucket;
	char *key;
	char *owner;                           /* kept on the object; NULL: none */
	size_t part_size;
	int fd;                                /* the spool file; -1 until the first byte */
	struct s3up_slot *slots;
	int n_slots;
	int fill;                              /* the slot being filled; -1: none */
	size_t used;                           /* bytes in it */
	EVP_MD_CTX *md;                        /* its SHA-256 so far (with a spool file) */
	uint32_t crc;                          /* and its CRC-32 */
	unsigned long long total;
	char upload_id[BPG_S3_UPLOAD_ID_MAX];  /* "" until the first part goes */
	int n_parts;                           /* parts queued so far */
	int done;
	/* shared with the threads, under mu */
	pthread_mutex_t mu;
	pthread_cond_t work;                   /* a part was queued, or quit */
	pthread_cond_t freed;                  /* a slot was freed, or a part failed */
	pthread_t *threads;
	int n_threads, idle, quit;
	int cancel;                            /* also read atomically by the transfers */
	char (*etags)[BPG_S3_ETAG_MAX];        /* etags[part_no - 1] */
	char (*crcs)[BPG_S3_CRC32_B64 + 1];    /* with a spool file: the parts' CRC-32s */
	int cap_parts;
	enum bpg_err bg_err;                   /* the first failure of a part */
	char bg_why[S3UP_WHY + 32];
};

/* --- the pool --- */

enum bpg_err
bpg_s3up_pool_new(const struct bpg_s3_conf *conf, struct bpg_s3up_pool **out)
{
	const char *dir = conf->upload_spool_dir ? conf->upload_spool_dir : getenv("TMPDIR");
	struct bpg_s3up_pool *p;
	enum bpg_err err = BPG_ENOMEM;
	int n = conf->upload_concurrency > 0 ? (int)conf->upload_concurrency : 1, fd;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return BPG_ENOMEM;
	if (dir == NULL || *dir == '\0')
		dir = "/var/tmp";
	if ((p->spool_dir = strdup(dir)) == NULL ||
	    (p->clients = calloc((size_t)n, sizeof(*p->clients))) == NULL)
		goto out;
	for (; p->n < n; p->n++)
		if ((err = bpg_s3_new(conf, &p->clients[p->n])) != BPG_OK)
			goto out;
	/* a spool folder that does not work is said now, not only at the first upload */
	if ((fd = open(p->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0 &&
	    errno != EOPNOTSUPP && errno != EISDIR)
		bpg_log(BPG_LOG_ERROR, "s3", "uploads cannot spool: large uploads will fail",
		    "dir", p->spool_dir, "error", strerror(errno), NULL);
	if (fd >= 0)
		close(fd);
	*out = p;
	return BPG_OK;
out:
	bpg_s3up_pool_free(p);
	return err;
}

void
bpg_s3up_pool_free(struct bpg_s3up_pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->n; i++)
		bpg_s3_free(p->clients[i]);
	free(p->clients);
	free(p->spool_dir);
	free(p);
}

/* --- the writer --- */

enum bpg_err
bpg_s3up_set_owner(struct bpg_s3up *w, const char *owner)
{
	char *o;

	if (w->total > 0 || w->upload_id[0] != '\0')
		return BPG_EINVAL;
	if ((o = strdup(owner)) == NULL)
		return BPG_ENOMEM;
	free(w->owner);
	w->owner = o;
	return BPG_OK;
}

enum bpg_err
bpg_s3up_new(struct bpg_s3 *s, struct bpg_s3up_pool *pool, const char *bucket,
    const char *key, size_t part_size, struct bpg_s3up **out)
{
	struct bpg_s3up *w;

	if (part_size < BPG_S3_MIN_PART)
		part_size = BPG_S3_MIN_PART;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return BPG_ENOMEM;
	w->fd = -1;
	w->fill = -1;
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		free(w);
		return BPG_EINTERNAL;
	}
	if (pthread_cond_init(&w->work, NULL) != 0 || pthread_cond_init(&w->freed, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);   /* a cond that did init holds nothing on Linux */
		return BPG_EINTERNAL;
	}
	w->s3 = s;
	w->clients = pool ? pool->clients : &w->s3;
	w->max_threads = pool ? pool->n : 1;
	w->spool_dir = pool ? pool->spool_dir : NULL;
	w->part_size = part_size;
	w->n_slots = w->max_threads + 1;
	w->bucket = strdup(bucket);
	w->key = strdup(key);
	w->slots = calloc((size_t)w->n_slots, sizeof(*w->slots));
	w->threads = calloc((size_t)w->max_threads, sizeof(*w->threads));
	if (w->bucket == NULL || w->key == NULL || w->slots == NULL || w->threads == NULL ||
	    (pool != NULL && (w->md = EVP_MD_CTX_new()) == NULL)) {
		bpg_s3up_free(w);
		return BPG_ENOMEM;
	}
	*out = w;
	return BPG_OK;
}

/* The queued part with the lowest number (parts go in order), or NULL; under mu. */
static struct s3up_slot *
s3up_pick(struct bpg_s3up *w)
{
	struct s3up_slot *best = NULL;

	if (w->cancel)
		return NULL;
	for (int i = 0; i < w->n_slots; i++)
		if (w->slots[i].state == SLOT_QUEUED &&
		    (best == NULL || w->slots[i].part_no < best->part_no))
			best = &w->slots[i];
	return best;
}

/* Sends one part from its slot through c; etag gets its ETag. */
static enum bpg_err
s3up_send(struct bpg_s3up *w, struct bpg_s3 *c, const struct s3up_slot *sl,
    char etag[BPG_S3_ETAG_MAX], struct bpg_why *why)
{
	struct bpg_s3_file_body f;
	struct bpg_s3_req q = { .bucket = w->bucket, .key = w->key, .upload_id = w->upload_id,
	    .part_no = sl->part_no, .data = sl->mem, .len = sl->len };

	if (w->fd < 0)
		return bpg_s3_mpu_part(c, &q, etag, why);
	f.fd = w->fd;
	f.off = (long long)(sl - w->slots) * (long long)w->part_size;
	f.len = sl->len;
	memcpy(f.sha256_hex, sl->sha, sizeof(f.sha256_hex));
	memcpy(f.crc32_b64, sl->crc, sizeof(f.crc32_b64));
	f.cancel = &w->cancel;
	q.file = &f;
	return bpg_s3_mpu_part(c, &q, etag, why);
}

/* Thread i: sends queued parts through clients[i] until told to quit. */
struct s3up_thread_arg {
	struct bpg_s3up *w;
	int i;
};

static void *
s3up_thread(void *arg)
{
	struct bpg_s3up *w = ((struct s3up_thread_arg *)arg)->w;
	struct bpg_s3 *c = w->clients[((struct s3up_thread_arg *)arg)->i];
	char etag[BPG_S3_ETAG_MAX], why[S3UP_WHY];
	struct s3up_slot *sl;
	enum bpg_err err;

	free(arg);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while ((sl = s3up_pick(w)) == NULL && !w->quit) {
			w->idle++;
			pthread_cond_wait(&w->work, &w->mu);
			w->idle--;
		}
		if (sl == NULL)
			break;
		sl->state = SLOT_SENDING;
		pthread_mutex_unlock(&w->mu);
		err = s3up_send(w, c, sl, etag, BPG_WHY(why));
		pthread_mutex_lock(&w->mu);
		if (err == BPG_OK) {
			memcpy(w->etags[sl->part_no - 1], etag, sizeof(etag));
		} else if (w->bg_err == BPG_OK) {
			w->bg_err = err;
			bpg_why_set(BPG_WHY(w->bg_why), err, "part %d: %s", sl->part_no, why);
			__atomic_store_n(&w->cancel, 1, __ATOMIC_RELAXED);   /* the others stop too */
		}
		sl->state = SLOT_FREE;
		pthread_cond_broadcast(&w->freed);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Starts thread number n_threads, with every signal blocked (the main thread takes them). */
static enum bpg_err
s3up_spawn(struct bpg_s3up *w)
{
	struct s3up_thread_arg *a = malloc(sizeof(*a));
	sigset_t all, old;
	int rc;

	if (a == NULL)
		return BPG_ENOMEM;
	a->w = w;
	a->i = w->n_threads;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->threads[w->n_threads], NULL, s3up_thread, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(a);
		return BPG_EINTERNAL;
	}
	w->n_threads++;
	return BPG_OK;
}

/* The first failure of a part, with its reason; under mu. */
static enum bpg_err
s3up_failed(const struct bpg_s3up *w, struct bpg_why *why)
{
	if (w->bg_err != BPG_OK)
		bpg_why_set(why, w->bg_err, "%s", w->bg_why);
	return w->bg_err;
}

/* Opens the spool file: unlinked from the start (O_TMPFILE), else made and unlinked at once. */
static enum bpg_err
s3up_spool_open(struct bpg_s3up *w, struct bpg_why *why)
{
	char path[4096];
	int n;

	w->fd = open(w->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		n = snprintf(path, sizeof(path), "%s/bpg-upload-XXXXXX", w->spool_dir);
		if (n > 0 && (size_t)n < sizeof(path) && (w->fd = mkostemp(path, O_CLOEXEC)) >= 0)
			(void)unlink(path);
	}
	if (w->fd >= 0)
		return BPG_OK;
	bpg_why_set(why, BPG_EINTERNAL, "cannot spool the upload in %s ([s3] upload_spool_dir): %s",
	    w->spool_dir, strerror(errno));
	bpg_log(BPG_LOG_ERROR, "s3", "cannot spool an upload", "dir", w->spool_dir, "error",
	    strerror(errno), NULL);
	return BPG_EINTERNAL;
}

/* Takes a free slot to fill, waiting while every slot is queued or in flight. */
static enum bpg_err
s3up_take(struct bpg_s3up *w, struct bpg_why *why)
{
	struct s3up_slot *sl = NULL;
	enum bpg_err err;

	if (w->spool_dir != NULL && w->fd < 0 && (err = s3up_spool_open(w, why)) != BPG_OK)
		return err;
	pthread_mutex_lock(&w->mu);
	while ((err = s3up_failed(w, why)) == BPG_OK) {
		for (int i = 0; i < w->n_slots && sl == NULL; i++)
			if (w->slots[i].state == SLOT_FREE)
				sl = &w->slots[i];
		if (sl != NULL)
			break;
		pthread_cond_wait(&w->freed, &w->mu);
	}
	if (sl != NULL)
		sl->state = SLOT_FILLING;
	pthread_mutex_unlock(&w->mu);
	if (err != BPG_OK)
		return err;
	w->fill = (int)(sl - w->slots);
	w->used = 0;
	if (w->fd < 0 && sl->mem == NULL && (sl->mem = malloc(w->part_size)) == NULL)
		return BPG_ENOMEM;
	if (w->md != NULL && EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
		return BPG_EINTERNAL;
	w->crc = 0;
	return BPG_OK;
}

/* Appends n bytes to the slot being filled (it has room for them). */
static enum bpg_err
s3up_store(struct bpg_s3up *w, const char *p, size_t n, struct bpg_why *why)
{
	struct s3up_slot *sl = &w->slots[w->fill];
	off_t off = (off_t)w->fill * (off_t)w->part_size + (off_t)w->used;
	ssize_t k;

	if (w->fd < 0) {
		memcpy(sl->mem + w->used, p, n);
		return BPG_OK;
	}
	if (EVP_DigestUpdate(w->md, p, n) != 1)
		return BPG_EINTERNAL;
	w->crc = bpg_crc32(w->crc, p, n);
	while (n > 0) {
		if ((k = pwrite(w->fd, p, n, off)) < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			bpg_why_set(why, BPG_EIO, "cannot spool the upload in %s: %s", w->spool_dir,
			    k < 0 ? strerror(errno) : "no progress");
			bpg_log(BPG_LOG_ERROR, "s3", "cannot write the spool file", "dir",
			    w->spool_dir, "error", k < 0 ? strerror(errno) : "short write", NULL);
			return k < 0 && errno == ENOSPC ? BPG_EUNAVAIL : BPG_EIO;
		}
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return BPG_OK;
}

/* Ends the slot being filled: its length and (spooled) its SHA-256 in hex. */
static enum bpg_err
s3up_seal(struct bpg_s3up *w)
{
	struct s3up_slot *sl = &w->slots[w->fill];
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;

	sl->len = w->used;
	if (w->md == NULL)
		return BPG_OK;
	if (EVP_DigestFinal_ex(w->md, d, &dn) != 1 || dn * 2 != BPG_S3_SHA256_HEX)
		return BPG_EINTERNAL;
	for (unsigned i = 0; i < dn; i++)
		snprintf(sl->sha + 2 * i, 3, "%02x", d[i]);
	bpg_crc32_b64(w->crc, sl->crc);
	return BPG_OK;
}

/* Room for one more part's ETag; under mu (the threads write into the array). */
static enum bpg_err
s3up_reserve(struct bpg_s3up *w, struct bpg_why *why)
{
	if (w->n_parts == BPG_S3_MAX_PARTS)
		return bpg_why_set(why, BPG_ETOOLARGE,
		    "object %s is larger than %d parts of %zu bytes", w->key,
		    BPG_S3_MAX_PARTS, w->part_size);
	if (w->n_parts == w->cap_parts) {
		int cap = w->cap_parts ? w->cap_parts * 2 : 64;
		void *p = realloc(w->etags, (size_t)cap * sizeof(*w->etags));
		if (p == NULL)
			return BPG_ENOMEM;
		w->etags = p;
		if (w->md != NULL) {
			if ((p = realloc(w->crcs, (size_t)cap * sizeof(*w->crcs))) == NULL)
				return BPG_ENOMEM;
			w->crcs = p;
		}
		w->cap_parts = cap;
	}
	return BPG_OK;
}

/* Queues the slot being filled as the next part, starting a thread when none is idle. */
static enum bpg_err
s3up_dispatch(struct bpg_s3up *w, struct bpg_why *why)
{
	struct s3up_slot *sl = &w->slots[w->fill];
	/* spooled parts carry their CRC-32, as the AWS CLI's do: S3 checks each one */
	struct bpg_s3_req q = { .bucket = w->bucket, .key = w->key, .owner = w->owner,
	    .crc32 = w->md != NULL };
	enum bpg_err err;

	if ((err = s3up_seal(w)) != BPG_OK)
		return err;
	if (w->upload_id[0] == '\0' &&
	    (err = bpg_s3_mpu_create(w->s3, &q, w->upload_id, why)) != BPG_OK) {
		w->upload_id[0] = '\0';
		return err;
	}
	pthread_mutex_lock(&w->mu);
	if ((err = s3up_failed(w, why)) == BPG_OK &&
	    (err = s3up_reserve(w, why)) == BPG_OK &&
	    (w->idle > 0 || w->n_threads == w->max_threads || (err = s3up_spawn(w)) == BPG_OK)) {
		sl->part_no = ++w->n_parts;
		w->etags[sl->part_no - 1][0] = '\0';
		if (w->md != NULL)
			memcpy(w->crcs[sl->part_no - 1], sl->crc, sizeof(sl->crc));
		sl->state = SLOT_QUEUED;
		pthread_cond_signal(&w->work);
	} else if (err == BPG_EINTERNAL) {
		bpg_why_set(why, err, "cannot start an upload thread");
	}
	pthread_mutex_unlock(&w->mu);
	if (err != BPG_OK)
		return err;
	w->fill = -1;
	w->used = 0;
	return BPG_OK;
}

enum bpg_err
bpg_s3up_write(struct bpg_s3up *w, const void *p, size_t n, struct bpg_why *why)
{
	const char *c = p;
	enum bpg_err err;

	if (w->done)
		return BPG_EINTERNAL;
	if (__atomic_load_n(&w->cancel, __ATOMIC_RELAXED)) {   /* a part failed: say so now */
		pthread_mutex_lock(&w->mu);
		err = s3up_failed(w, why);
		pthread_mutex_unlock(&w->mu);
		if (err != BPG_OK)
			return err;
	}
	while (n > 0) {
		size_t k;
		if (w->fill < 0 && (err = s3up_take(w, why)) != BPG_OK)
			return err;
		k = w->part_size - w->used;
		if (k > n)
			k = n;
		if ((err = s3up_store(w, c, k, why)) != BPG_OK)
			return err;
		w->used += k;
		w->total += k;
		c += k;
		n -= k;
		if (w->used == w->part_size && (err = s3up_dispatch(w, why)) != BPG_OK)
			return err;
	}
	return BPG_OK;
}

/* Waits until every queued part was sent; the first part's failure, if any. */
static enum bpg_err
s3up_drain(struct bpg_s3up *w, struct bpg_why *why)
{
	enum bpg_err err;
	int busy;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		busy = 0;
		for (int i = 0; i < w->n_slots; i++)
			busy |= w->slots[i].state == SLOT_QUEUED || w->slots[i].state == SLOT_SENDING;
		if ((err = s3up_failed(w, why)) != BPG_OK || !busy)
			break;
		pthread_cond_wait(&w->freed, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return err;
}

/* The whole object in one PUT from the one slot filled (or nothing). */
static enum bpg_err
s3up_put_one(struct bpg_s3up *w, struct bpg_why *why)
{
	struct bpg_s3_file_body f = { .fd = w->fd, .cancel = &w->cancel };
	struct bpg_s3_req q = { .bucket = w->bucket, .key = w->key, .owner = w->owner };
	struct s3up_slot *sl;
	enum bpg_err err;

	if (w->fill < 0)
		return bpg_s3_put(w->s3, &q, why);
	sl = &w->slots[w->fill];
	q.data = sl->mem;
	q.len = w->used;
	if (w->fd < 0)
		return bpg_s3_put(w->s3, &q, why);
	if ((err = s3up_seal(w)) != BPG_OK)
		return err;
	f.off = (long long)w->fill * (long long)w->part_size;
	f.len = sl->len;
	memcpy(f.sha256_hex, sl->sha, sizeof(f.sha256_hex));
	q.file = &f;
	return bpg_s3_put(w->s3, &q, why);
}

/* Completes the multipart upload with the parts sent. */
static enum bpg_err
s3up_complete(struct bpg_s3up *w, struct bpg_why *why)
{
	struct bpg_s3_req q = { .bucket = w->bucket, .key = w->key, .upload_id = w->upload_id };
	struct bpg_s3_parts parts = { w->etags, w->md != NULL ? w->crcs : NULL, w->n_parts };

	return bpg_s3_mpu_complete(w->s3, &q, &parts, why);
}

enum bpg_err
bpg_s3up_close(struct bpg_s3up *w, unsigned long long *size_out, struct bpg_why *why)
{
	enum bpg_err err;

	if (w->done)
		return BPG_EINTERNAL;
	if (w->upload_id[0] == '\0') {
		err = s3up_put_one(w, why);
	} else {
		err = w->fill >= 0 && w->used > 0 ? s3up_dispatch(w, why) : BPG_OK;
		if (err == BPG_OK)
			err = s3up_drain(w, why);
		if (err == BPG_OK)
			err = s3up_complete(w, why);
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
	char why[S3UP_WHY];

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	__atomic_store_n(&w->cancel, 1, __ATOMIC_RELAXED);   /* parts in flight stop */
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	if (!w->done && w->upload_id[0] != '\0' && bpg_s3_mpu_abort(w->s3, w->bucket, w->key,
	    w->upload_id, BPG_WHY(why)) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "s3", "could not abort a multipart upload", "key", w->key,
		    "error", why, NULL);
	if (w->fd >= 0)
		close(w->fd);   /* unlinked: its blocks go back now */
	for (int i = 0; w->slots != NULL && i < w->n_slots; i++)
		free(w->slots[i].mem);
	pthread_cond_destroy(&w->freed);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	EVP_MD_CTX_free(w->md);
	free(w->owner);
	free(w->etags);
	free(w->crcs);
	free(w->slots);
	free(w->threads);
	free(w->bucket);
	free(w->key);
	free(w);
}
