/* bpg_ratelimit: token buckets per (verified user, class), shared by every worker. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpg_log.h"
#include "bpg_ratelimit.h"
#include "bpg_shm.h"
#include "bpg_time.h"

#define RL_MAGIC   0x6270677261746531ULL   /* "bpgrate1" */
#define RL_VERSION 1
#define RL_KEY_MAX 64                      /* class byte + user name, truncated */

struct slot {
	uint64_t hash;              /* 0: free */
	char key[RL_KEY_MAX];       /* the key's first bytes, to tell hash collisions apart */
	double rate, burst;         /* as last used: to see whether an idle bucket is full */
	struct bpg_rl_bucket b;
};

struct table {
	struct bpg_shm_header hdr;
	uint64_t nslots;
	pthread_mutex_t lock;
	struct slot slots[];
};

struct bpg_ratelimit {
	struct table *t;
	size_t size;
};

int
bpg_rl_bucket_take(struct bpg_rl_bucket *b, double rate, double burst, long long now_us,
    int *retry_s_out)
{
	double need;

	if (rate <= 0 || burst < 1)
		return 1;
	if (b->last_us == 0) {
		b->tokens = burst;
	} else if (now_us > b->last_us) {
		b->tokens += rate * (double)(now_us - b->last_us) / 1e6;
	}
	if (b->tokens > burst)
		b->tokens = burst;
	b->last_us = now_us;
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 1;
	}
	need = ceil((1 - b->tokens) / rate);
	if (retry_s_out != NULL)
		*retry_s_out = need < 1 ? 1 : need > 86400 ? 86400 : (int)need;
	return 0;
}

/* Lays out a new table (bpg_shm_map() zeroed it); arg is the slot count. */
static void
init_table(void *p, void *arg)
{
	struct table *t = p;
	pthread_mutexattr_t a;

	t->nslots = *(const size_t *)arg;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&t->lock, &a);
	pthread_mutexattr_destroy(&a);
}

enum bpg_err
bpg_ratelimit_open(const char *path, size_t slots, struct bpg_ratelimit **out)
{
	struct bpg_ratelimit *rl;
	size_t size;
	void *p;

	if (slots < 1 || slots > (1u << 24))
		return BPG_EINVAL;
	size = sizeof(struct table) + slots * sizeof(struct slot);
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return BPG_ENOMEM;
	/* the size is in the header: another slot count is another layout, reset */
	if (bpg_shm_map(path, size, RL_MAGIC, RL_VERSION, init_table, &slots, &p) != BPG_OK) {
		free(rl);
		return BPG_EIO;
	}
	rl->t = p;
	rl->size = size;
	*out = rl;
	return BPG_OK;
}

void
bpg_ratelimit_close(struct bpg_ratelimit *rl)
{
	if (rl == NULL)
		return;
	bpg_shm_unmap(rl->t, rl->size);
	free(rl);
}

/* Locks the table; recovers it from a holder that died. Returns 0, or -1 (logged). */
static int
lock(struct table *t)
{
	int rc = pthread_mutex_lock(&t->lock);

	if (rc == EOWNERDEAD) {
		/* the dead holder left at most one slot half-updated: a bucket, not the layout */
		bpg_log(BPG_LOG_WARN, "ratelimit", "a worker died holding the table lock: "
		    "recovered", NULL);
		rc = pthread_mutex_consistent(&t->lock);
	}
	if (rc != 0) {
		bpg_log(BPG_LOG_ERROR, "ratelimit", "cannot lock the table: not limiting",
		    "error", strerror(rc), NULL);
		return -1;
	}
	return 0;
}

/* FNV-1a over the class byte and the whole user name; never 0 (0 marks a free slot). */
static uint64_t
hash_key(char cls, const char *user, size_t n)
{
	uint64_t h = (0xcbf29ce484222325ULL ^ (unsigned char)cls) * 0x100000001b3ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)user[i];
		h *= 0x100000001b3ULL;
	}
	return h | 1;
}

/* 1 if s's bucket has refilled by now: forgetting it loses nothing. */
static int
refilled(const struct slot *s, long long now_us)
{
	return s->rate > 0 && s->b.tokens + s->rate * (double)(now_us - s->b.last_us) / 1e6 >= s->burst;
}

/* The slot of key: its own, else a free one, else a refilled one, else the least recently used. */
static struct slot *
find_slot(struct table *t, uint64_t h, const char *key, long long now_us)
{
	size_t n = t->nslots, probe = n < BPG_RATELIMIT_PROBE ? n : BPG_RATELIMIT_PROBE;
	struct slot *free_s = NULL, *idle = NULL, *lru = NULL;

	for (size_t i = 0; i < probe; i++) {
		struct slot *s = &t->slots[(h + i) % n];
		if (s->hash == h && strncmp(s->key, key, RL_KEY_MAX) == 0)
			return s;
		if (s->hash == 0) {
			if (free_s == NULL)
				free_s = s;
		} else if (idle == NULL && refilled(s, now_us)) {
			idle = s;
		} else if (lru == NULL || s->b.last_us < lru->b.last_us) {
			lru = s;
		}
	}
	return free_s ? free_s : idle ? idle : lru;
}

enum bpg_err
bpg_ratelimit_take(struct bpg_ratelimit *rl, const char *user, unsigned cls, double rate,
    double burst, long long now_us, int *retry_s_out)
{
	char key[RL_KEY_MAX];
	size_t n;
	struct slot *s;
	uint64_t h;
	int ok, retry = 1;

	if (rate <= 0 || burst < 1 || rl == NULL)
		return BPG_OK;
	n = strlen(user);
	memset(key, 0, sizeof(key));
	key[0] = (char)('0' + (cls & 0x3f));
	memcpy(key + 1, user, n < RL_KEY_MAX - 1 ? n : RL_KEY_MAX - 1);
	/* the hash covers the whole name: long names that share a prefix still differ */
	h = hash_key(key[0], user, n);
	if (lock(rl->t) != 0)
		return BPG_OK;
	s = find_slot(rl->t, h, key, now_us);
	if (s->hash != h || strncmp(s->key, key, RL_KEY_MAX) != 0) {
		memcpy(s->key, key, RL_KEY_MAX);
		s->b.tokens = 0;
		s->b.last_us = 0;
		s->hash = h;
	}
	s->rate = rate;
	s->burst = burst;
	ok = bpg_rl_bucket_take(&s->b, rate, burst, now_us, &retry);
	pthread_mutex_unlock(&rl->t->lock);
	if (ok)
		return BPG_OK;
	if (retry_s_out != NULL)
		*retry_s_out = retry;
	return BPG_ERATELIMIT;
}

size_t
bpg_ratelimit_used(struct bpg_ratelimit *rl)
{
	size_t used = 0;

	if (lock(rl->t) != 0)
		return 0;
	for (size_t i = 0; i < rl->t->nslots; i++)
		used += rl->t->slots[i].hash != 0;
	pthread_mutex_unlock(&rl->t->lock);
	return used;
}
