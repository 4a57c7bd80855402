/* bpg-monitor: reconciles application_submission with every cluster, level-triggered, singleton.
 * This file: the options and the loop; a run is run.c, the lister thread lister.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_k8s.h"
#include "bpg_reconcile.h"
#include "bpg_s3.h"
#include "monitor.h"

#define LOOP_MAX_S    86400

/* SIGTERM/SIGINT: the run in progress finishes (a run is bounded), then the monitor exits. */
static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- options, start-up ---- */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: bpg-monitor [--loop SECONDS] [--grace SECONDS] [--page-size N]\n"
	    "                   [--archive-max N] [--config CONFIG | CONFIG]\n"
	    "CONFIG: --config CONFIG, else the CONFIG argument, else $BPG_CONFIG, else\n"
	    BPG_CONFIG_DEFAULT_PATH ".\n"
	    "Reconciles the submission table with every cluster once (or every SECONDS with\n"
	    "--loop), then archives the logs of up to N (default 100, 0: none) ended apps to S3\n"
	    "when [s3] is configured. Exit 0: done (or another monitor holds the lock);\n"
	    "2: some clusters failed or some logs were not archived; 1: fatal (usage, config,\n"
	    "database). See monitor/README.md.\n");
}

/* Parses a decimal number in [min, max]; -1 when it is not one. */
static int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

struct opts {
	const char *config, *config_flag;
	long loop, grace, page, archive_max;
};

/* Fills o from argv; 0, 1 for --help, -1 for a usage error (said on stderr). */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long *dst = NULL, min = 0, max = 0;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strcmp(a, "--loop") == 0)
			dst = &o->loop, min = 1, max = LOOP_MAX_S;
		else if (strcmp(a, "--grace") == 0)
			dst = &o->grace, min = 0, max = LOOP_MAX_S;
		else if (strcmp(a, "--page-size") == 0)
			dst = &o->page, min = 1, max = MON_PAGE_MAX;
		else if (strcmp(a, "--archive-max") == 0)
			dst = &o->archive_max, min = 0, max = 256;
		if (strcmp(a, "--config") == 0) {
			if (v == NULL) {
				fprintf(stderr, "bpg-monitor: --config wants a FILE\n");
				return -1;
			}
			o->config_flag = v;
			i++;
		} else if (dst != NULL) {
			if (v == NULL || parse_num(v, min, max, dst) != 0) {
				fprintf(stderr, "bpg-monitor: %s wants a number in %ld..%ld\n", a, min, max);
				return -1;
			}
			i++;
		} else if (o->config == NULL && a[0] != '-') {
			o->config = a;
		} else {
			fprintf(stderr, "bpg-monitor: unexpected argument \"%s\"\n", a);
			return -1;
		}
	}
	o->config = bpg_config_path(o->config_flag, o->config);
	return 0;
}

static void
on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

int
main(int argc, char **argv)
{
	struct opts o = { NULL, NULL, 0, BPG_RECONCILE_GRACE_MS / 1000, MON_PAGE_DEFAULT, 100 };
	struct bpg_config *cfg = NULL;
	struct bpg_buf errors;
	struct monitor m;
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 1;
	}
	bpg_buf_init(&errors, 0);
	if (bpg_config_load(o.config, &cfg, &errors) != BPG_OK) {
		fprintf(stderr, "%s", errors.data ? errors.data : "bpg-monitor: invalid config\n");
		bpg_buf_release(&errors);
		return 1;
	}
	bpg_buf_release(&errors);
	on_signals();
	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.grace_ms = o.grace * 1000LL;
	m.page = o.page;
	m.archive_max = o.archive_max;
	rc = 1;
	if (bpg_db_new(&cfg->database, &m.db) != BPG_OK || bpg_k8s_new(cfg, &m.k8s) != BPG_OK ||
	    bpg_db_new(&cfg->database, &m.list_db) != BPG_OK ||
	    bpg_k8s_new(cfg, &m.list_k8s) != BPG_OK) {
		fprintf(stderr, "bpg-monitor: out of memory\n");
		goto out;
	}
	if ((cfg->s3.log_bucket != NULL || cfg->s3.bucket != NULL) &&
	    bpg_s3_new(&cfg->s3, &m.s3) != BPG_OK)
		fprintf(stderr, "bpg-monitor: S3 is unusable: logs are not archived\n");
	for (;;) {
		rc = mon_run_once(&m);
		if (o.loop == 0 || stop_requested)
			break;
		for (long s = 0; s < o.loop * 10 && !stop_requested; s++)
			(void)usleep(100000);
		if (stop_requested)
			break;
	}
out:
	bpg_s3_free(m.s3);
	bpg_k8s_free(m.list_k8s);
	bpg_k8s_free(m.k8s);
	bpg_db_free(m.list_db);
	bpg_db_free(m.db);
	bpg_config_free(cfg);
	return rc;
}
