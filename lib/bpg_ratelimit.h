/* bpg_ratelimit: token buckets per (verified user, class), shared by every worker. */
#ifndef BPG_RATELIMIT_H
#define BPG_RATELIMIT_H

#include <stddef.h>
#include "bpg_err.h"

#define BPG_RATELIMIT_SLOTS 8192   /* users x classes tracked at once (about 1 MiB) */
#define BPG_RATELIMIT_PROBE 16     /* slots looked at for one key */

/* One bucket: tokens left at last_us (0: never used, so full). */
struct bpg_rl_bucket {
	double tokens;
	long long last_us;
};

/*
 * The bucket math, pure: refills b at rate tokens a second up to burst for the time since
 * its last use (a clock that went back refills nothing), then takes one token. Returns 1
 * when granted; 0 when refused, with *retry_s_out (may be NULL) the whole seconds until a
 * token is there, at least 1. rate <= 0 or burst < 1 disables the limit: always granted.
 */
int bpg_rl_bucket_take(struct bpg_rl_bucket *b, double rate, double burst, long long now_us,
    int *retry_s_out);

struct bpg_ratelimit;

/*
 * Maps the table of slots buckets shared by every process mapping path (NULL: anonymous,
 * shared with children forked afterwards). The table is guarded by a robust process-shared
 * mutex: a worker killed while holding it does not block the others. Free with
 * bpg_ratelimit_close().
 */
enum bpg_err bpg_ratelimit_open(const char *path, size_t slots, struct bpg_ratelimit **out);
void bpg_ratelimit_close(struct bpg_ratelimit *rl);

/*
 * Takes one token from the bucket of (user, cls) at now_us (bpg_time_mono_us()).
 * BPG_OK when granted; BPG_ERATELIMIT when refused, *retry_s_out the seconds to wait
 * (at least 1). A full table reuses the probed slot whose bucket has refilled, else the
 * least recently used one (whose user then starts over with a full bucket).
 */
enum bpg_err bpg_ratelimit_take(struct bpg_ratelimit *rl, const char *user, unsigned cls,
    double rate, double burst, long long now_us, int *retry_s_out);

/* Slots in use (tests, diagnostics). */
size_t bpg_ratelimit_used(struct bpg_ratelimit *rl);


#endif
