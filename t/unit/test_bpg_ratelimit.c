/* Unit tests for bpg_ratelimit: the bucket math and the table shared between processes. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bpg_ratelimit.h"
#include "bpg_time.h"
#include "testkit.h"

#define S 1000000LL   /* one second in microseconds */

/* One bucket, a sequence of takes: when, granted?, and the Retry-After of a refusal. */
static const struct {
	const char *name;
	double rate, burst;
	struct step {
		long long at_us;     /* 0 ends the sequence */
		int granted;
		int retry_s;         /* checked when refused */
	} steps[8];
} bucket_cases[] = {
	{ "a new bucket is full: burst takes at once, then refused", 1, 3,
	    { { S, 1, 0 }, { S, 1, 0 }, { S, 1, 0 }, { S, 0, 1 }, { 0, 0, 0 } } },
	{ "one token back after 1/rate", 2, 1,
	    { { S, 1, 0 }, { S + S / 4, 0, 1 }, { S + S / 2, 1, 0 }, { S + S / 2, 0, 1 }, { 0, 0, 0 } } },
	{ "refill is capped at burst", 10, 2,
	    { { S, 1, 0 }, { S, 1, 0 }, { 100 * S, 1, 0 }, { 100 * S, 1, 0 }, { 100 * S, 0, 1 },
	      { 0, 0, 0 } } },
	{ "a slow rate asks to wait whole seconds", 0.25, 1,
	    { { S, 1, 0 }, { S, 0, 4 }, { 2 * S, 0, 3 }, { 4 * S + S / 2, 0, 1 }, { 5 * S, 1, 0 },
	      { 0, 0, 0 } } },
	{ "Retry-After is at least 1 even when a token is near", 1000, 1,
	    { { S, 1, 0 }, { S + 10, 0, 1 }, { S + 1000, 1, 0 }, { 0, 0, 0 } } },
	{ "a clock that goes back refills nothing and does not lock out", 1, 1,
	    { { 10 * S, 1, 0 }, { 5 * S, 0, 1 }, { 6 * S, 1, 0 }, { 0, 0, 0 } } },
	{ "rate 0 disables the limit", 0, 1,
	    { { S, 1, 0 }, { S, 1, 0 }, { S, 1, 0 }, { S, 1, 0 }, { 0, 0, 0 } } },
	{ "a fractional rate accumulates", 0.5, 2,
	    { { S, 1, 0 }, { S, 1, 0 }, { S, 0, 2 }, { 2 * S, 0, 1 }, { 3 * S, 1, 0 },
	      { 0, 0, 0 } } },
};

START_TEST(test_bucket_table)
{
	struct bpg_rl_bucket b = { 0, 0 };

	for (size_t i = 0; bucket_cases[_i].steps[i].at_us != 0; i++) {
		const struct step *st = &bucket_cases[_i].steps[i];
		int retry = -1, got;
		got = bpg_rl_bucket_take(&b, bucket_cases[_i].rate, bucket_cases[_i].burst, st->at_us,
		    &retry);
		ck_assert_msg(got == st->granted, "%s: step %zu granted %d", bucket_cases[_i].name, i,
		    got);
		if (!got)
			ck_assert_msg(retry == st->retry_s, "%s: step %zu retry %d, want %d",
			    bucket_cases[_i].name, i, retry, st->retry_s);
	}
}
END_TEST

/* Takes until refused; returns how many were granted (at most cap). */
static int
drain(struct bpg_ratelimit *rl, const char *user, unsigned cls, double burst, long long now,
    int cap)
{
	int n = 0, retry;

	while (n < cap && bpg_ratelimit_take(rl, user, cls, 1, burst, now, &retry) == BPG_OK)
		n++;
	return n;
}

START_TEST(test_users_and_classes_apart)
{
	struct bpg_ratelimit *rl;
	int retry = 0;

	ck_assert_int_eq(bpg_ratelimit_open(NULL, 64, &rl), BPG_OK);
	ck_assert_int_eq(drain(rl, "demo", 1, 5, S, 100), 5);
	ck_assert_int_eq(bpg_ratelimit_take(rl, "demo", 1, 1, 5, S, &retry), BPG_ERATELIMIT);
	ck_assert_int_eq(retry, 1);
	/* another user, and the same user in another class, have their own buckets */
	ck_assert_int_eq(drain(rl, "other", 1, 5, S, 100), 5);
	ck_assert_int_eq(drain(rl, "demo", 3, 5, S, 100), 5);
	/* a second later one token is back */
	ck_assert_int_eq(drain(rl, "demo", 1, 5, 2 * S, 100), 1);
	ck_assert_uint_eq(bpg_ratelimit_used(rl), 3);
	/* rate 0: no limit, no slot */
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(bpg_ratelimit_take(rl, "x", 2, 0, 1, S, &retry), BPG_OK);
	ck_assert_uint_eq(bpg_ratelimit_used(rl), 3);
	bpg_ratelimit_close(rl);
}
END_TEST

START_TEST(test_long_names_differ)
{
	struct bpg_ratelimit *rl;
	char a[200], b[200];

	memset(a, 'u', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[150] = 'v';   /* same first 64 bytes */
	ck_assert_int_eq(bpg_ratelimit_open(NULL, 64, &rl), BPG_OK);
	ck_assert_int_eq(drain(rl, a, 0, 3, S, 100), 3);
	ck_assert_int_eq(drain(rl, b, 0, 3, S, 100), 3);
	ck_assert_int_eq(drain(rl, a, 0, 3, S, 100), 0);
	bpg_ratelimit_close(rl);
}
END_TEST

/* A full table still limits: refilled buckets are reused first, never a busy one needlessly. */
START_TEST(test_full_table)
{
	struct bpg_ratelimit *rl;
	char name[32];

	ck_assert_int_eq(bpg_ratelimit_open(NULL, 8, &rl), BPG_OK);
	/* the abuser empties its bucket */
	ck_assert_int_eq(drain(rl, "abuser", 0, 3, S, 100), 3);
	/* seven other users fill the table, all still drained (tokens used) */
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		ck_assert_int_eq(drain(rl, name, 0, 3, S + 10, 1), 1);
	}
	ck_assert_uint_eq(bpg_ratelimit_used(rl), 8);
	/* a new name while the table is full: it takes the least recently used slot */
	ck_assert_int_eq(drain(rl, "newcomer", 0, 3, S + 11, 100), 3);
	ck_assert_uint_eq(bpg_ratelimit_used(rl), 8);
	/* everyone else kept their slot: u6 has the 2 tokens it left */
	ck_assert_int_eq(drain(rl, "u6", 0, 3, S + 12, 100), 2);
	/* the abuser (least recently used) lost its slot and starts over */
	ck_assert_int_eq(drain(rl, "abuser", 0, 3, S + 13, 100), 3);
	/* hundreds of names later, the table is still 8 slots and still answers */
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		ck_assert_int_eq(drain(rl, name, 0, 3, 2 * S + i, 1), 1);
	}
	ck_assert_uint_eq(bpg_ratelimit_used(rl), 8);
	/* a user seen just now is not evicted by an idle, refilled one being reused */
	ck_assert_int_eq(drain(rl, "n499", 0, 3, 2 * S + 499, 100), 2);
	bpg_ratelimit_close(rl);
}
END_TEST

#define CHILDREN 6
#define TRIES    400

/* N processes mapping the same file share one bucket: the grants add up to the burst. */
START_TEST(test_processes_share_one_bucket)
{
	char path[] = "/tmp/bpg-rl-test-XXXXXX";
	int fd = mkstemp(path), fds[2], total = 0;
	pid_t pids[CHILDREN];
	long long now = bpg_time_mono_us();

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(pipe(fds), 0);
	for (int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		ck_assert_int_ge(pids[c], 0);
		if (pids[c] == 0) {
			struct bpg_ratelimit *rl;
			int n = 0, retry;
			close(fds[0]);
			if (bpg_ratelimit_open(path, 128, &rl) != BPG_OK)
				_exit(2);
			/* the same instant for everyone: no refill, only the burst is there */
			for (int i = 0; i < TRIES; i++)
				n += bpg_ratelimit_take(rl, "shared", 1, 1, 1000, now, &retry) == BPG_OK;
			if (write(fds[1], &n, sizeof(n)) != (ssize_t)sizeof(n))
				_exit(3);
			_exit(0);
		}
	}
	close(fds[1]);
	for (int c = 0; c < CHILDREN; c++) {
		int st, n;
		ck_assert_int_eq(waitpid(pids[c], &st, 0), pids[c]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		ck_assert_int_eq(read(fds[0], &n, sizeof(n)), (ssize_t)sizeof(n));
		total += n;
	}
	close(fds[0]);
	ck_assert_int_eq(total, 1000);
	unlink(path);
}
END_TEST

/* Workers SIGKILLed in the middle of taking tokens never leave the table locked. */
START_TEST(test_killed_holder_does_not_block)
{
	char path[] = "/tmp/bpg-rl-test-XXXXXX";
	int fd = mkstemp(path), retry;
	struct bpg_ratelimit *rl;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(bpg_ratelimit_open(path, 64, &rl), BPG_OK);
	for (int round = 0; round < 20; round++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct bpg_ratelimit *mine;
			if (bpg_ratelimit_open(path, 64, &mine) != BPG_OK)
				_exit(2);
			for (;;)
				(void)bpg_ratelimit_take(mine, "busy", 0, 1, 1, bpg_time_mono_us(), &retry);
		}
		usleep(2000 + round * 500);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
		/* the parent still gets through (CK's timeout would fail a hang) */
		(void)bpg_ratelimit_take(rl, "parent", 0, 1, 1, bpg_time_mono_us(), &retry);
	}
	ck_assert_uint_ge(bpg_ratelimit_used(rl), 1);
	bpg_ratelimit_close(rl);
	unlink(path);
}
END_TEST

START_TEST(test_bad_open)
{
	struct bpg_ratelimit *rl = NULL;

	ck_assert_int_eq(bpg_ratelimit_open(NULL, 0, &rl), BPG_EINVAL);
	ck_assert_int_eq(bpg_ratelimit_open("/nonexistent-dir/x", 16, &rl), BPG_EIO);
	ck_assert_ptr_null(rl);
	bpg_ratelimit_close(NULL);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_bucket_table, bucket_cases),
		TK_TEST(test_users_and_classes_apart),
		TK_TEST(test_long_names_differ),
		TK_TEST(test_full_table),
		TK_TEST(test_processes_share_one_bucket),
		TK_TEST(test_killed_holder_does_not_block),
		TK_TEST(test_bad_open),
	};

	return tk_run("bpg_ratelimit", tests, TK_LEN(tests), NULL);
}
