/* wait.c: --wait and --follow: poll the status with backoff until a final state, one live line
 * on a terminal (a line per change otherwise); Ctrl-C leaves the application running. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

#define WAIT_FIRST_MS      500
#define WAIT_MAX_MS        5000
#define WAIT_MAX_FAILURES  6     /* network or 5xx answers in a row before giving up */
#define WAIT_SUBFAIL_POLLS 2     /* SUBMISSION_FAILED this many polls in a row is final */
#define WAIT_EXEC_S        30.0  /* logs -f --exec: how long a running application may lack it */

struct waiter {
	const char *id;
	char state[64];
	char error[512];
	int subfail;     /* polls in a row that said SUBMISSION_FAILED */
	int failures;    /* failed polls in a row */
	int followed;
	double start_s;
};

static int
interrupted(const struct cli *c, const char *id)
{
	cli_term_clear(c);
	fprintf(stderr, "bpg: interrupted: %s keeps running (bpg status %s; bpg delete %s stops it)\n",
	    id, id, id);
	return CLI_INTERRUPTED;
}

/*
 * Streams path (a /log query with follow=true) until the server ends it. *none: the answer
 * was the gateway's no-log text (nothing written). CLI_OK, CLI_INTERRUPTED or the failure,
 * its message printed as an error (as a warning with warn).
 */
static int
stream_log(struct cli *c, const char *path, int warn, int *none)
{
	struct cli_req rq = { .method = "GET", .path = path, .stream = 1, .follow = 1, .keep_errors = 1,
	    .sniff = CLI_LOG_NOT_FOUND };
	struct cli_resp resp;
	int ret;

	cli_term_clear(c);
	fflush(stdout);
	ret = cli_http(c, &rq, &resp);
	fflush(stdout);
	*none = resp.sniffed;
	if (ret != CLI_OK && ret != CLI_INTERRUPTED)
		fprintf(stderr, "bpg: %s: the log: %s\n", warn ? "warning" : "error", resp.err);
	cli_resp_release(&resp);
	return ret;
}

/* Streams the driver log (follow=true) until the server ends it. Failures only warn. */
static int
follow_log(struct cli *c, const char *id, int *none)
{
	char path[512];
	char *e = cli_escape(c, id);
	int ret;

	*none = 0;
	if (e == NULL)
		return CLI_SERVER;
	snprintf(path, sizeof(path), "/log?subId=%s&follow=true", e);
	curl_free(e);
	ret = stream_log(c, path, 1, none);
	return ret == CLI_INTERRUPTED ? ret : CLI_OK;
}

/* One poll: the state into w. CLI_OK, or the exit status to stop with. */
static int
poll_once(struct cli *c, struct waiter *w)
{
	char path[512];
	char *e = cli_escape(c, w->id);
	struct cli_req rq = { .method = "GET", .path = path, .keep_errors = 1 };
	struct cli_resp resp;
	cJSON *j = NULL;
	const cJSON *s, *m;
	int ret;

	if (e == NULL)
		return CLI_SERVER;
	snprintf(path, sizeof(path), "/spark/%s/status", e);
	curl_free(e);
	ret = cli_http(c, &rq, &resp);
	if (ret == CLI_OK && (j = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len)) == NULL) {
		snprintf(resp.err, sizeof(resp.err), "the status of %s is not JSON", w->id);
		ret = CLI_SERVER;
	}
	if (ret == CLI_SERVER && ++w->failures < WAIT_MAX_FAILURES) {
		cli_term_line(c, "%s  retrying: %s", w->id, resp.err);
		if (!c->tty && !c->o.quiet)
			fprintf(stderr, "%s: retrying: %s\n", w->id, resp.err);
		ret = CLI_OK;
		goto out;
	}
	if (ret != CLI_OK) {
		if (ret != CLI_INTERRUPTED)
			cli_error(c, "%s", resp.err);
		goto out;
	}
	w->failures = 0;
	s = cJSON_GetObjectItemCaseSensitive(j, "applicationState");
	m = cJSON_GetObjectItemCaseSensitive(j, "applicationErrorMessage");
	snprintf(w->state, sizeof(w->state), "%s", cJSON_IsString(s) && s->valuestring[0] ? s->valuestring : "UNKNOWN");
	snprintf(w->error, sizeof(w->error), "%s", cJSON_IsString(m) ? m->valuestring : "");
out:
	cJSON_Delete(j);
	cli_resp_release(&resp);
	return ret;
}

/* The state is COMPLETED or FAILED. */
static int
is_done(const char *state)
{
	return strcmp(state, "COMPLETED") == 0 || strcmp(state, "FAILED") == 0;
}

/* The exit status of a final state, or -1 while the application is not done. */
static int
final_exit(struct waiter *w)
{
	if (strcmp(w->state, "COMPLETED") == 0)
		return CLI_OK;
	if (strcmp(w->state, "FAILED") == 0)
		return CLI_FAILED;
	if (strcmp(w->state, "SUBMISSION_FAILED") != 0) {
		w->subfail = 0;
		return -1;
	}
	return ++w->subfail >= WAIT_SUBFAIL_POLLS ? CLI_FAILED : -1;
}

/* The driver has a log from RUNNING on. */
static int
has_log(const char *state)
{
	static const char *const states[] = { "RUNNING", "SUCCEEDING", "FAILING", "COMPLETED", "FAILED" };

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i]) == 0)
			return 1;
	return 0;
}

int
cli_wait(struct cli *c, const char *id, int follow)
{
	struct waiter w = { .id = id, .start_s = cli_now_s() };
	char prev[64] = "", el[32];
	long delay = WAIT_FIRST_MS;
	int ret;

	for (;;) {
		if ((ret = poll_once(c, &w)) != CLI_OK)
			return ret == CLI_INTERRUPTED ? interrupted(c, id) : ret;
		if (w.failures > 0)
			goto sleep;
		if (strcmp(prev, w.state) != 0) {
			if (!c->tty && !c->o.quiet)
				fprintf(stderr, "%s: %s\n", id, w.state);
			snprintf(prev, sizeof(prev), "%s", w.state);
			delay = WAIT_FIRST_MS;
		}
		if (follow && !w.followed && has_log(w.state)) {
			int none;
			if (follow_log(c, id, &none) == CLI_INTERRUPTED)
				return interrupted(c, id);
			if (!none) {
				w.followed = 1;
				continue;
			}
		}
		cli_fmt_duration((long long)((cli_now_s() - w.start_s) * 1000), el, sizeof(el));
		if ((ret = final_exit(&w)) >= 0) {
			cli_term_clear(c);
			/* without a terminal the change was printed already; the error was not */
			if (!c->o.quiet && (c->tty || w.error[0]))
				fprintf(stderr, "%s: %s%s%s\n", id, w.state, w.error[0] ? ": " : "", w.error);
			return ret;
		}
		if (!(follow && w.followed))
			cli_term_line(c, "%s  %s  (waiting %s; Ctrl-C leaves it running)", id, w.state, el);
sleep:
		if (cli_sleep_ms(delay))
			return interrupted(c, id);
		delay = delay * 3 / 2 > WAIT_MAX_MS ? WAIT_MAX_MS : delay * 3 / 2;
	}
}

/* The message and exit of a log that is not there (state: the application's). */
static int
no_log(const struct cli *c, const char *id, const char *state, int exec)
{
	cli_term_clear(c);
	if (exec)
		cli_error(c, "%s: no such executor (the application is %s)", id, state);
	else
		cli_error(c, "%s: no driver log (the application is %s)", id, state);
	return CLI_NOTFOUND;
}

int
cli_wait_log(struct cli *c, const char *id, const char *path, int exec)
{
	struct waiter w = { .id = id, .start_s = cli_now_s() };
	double running_s = 0;   /* when the state first said the pod has a log */
	char el[32];
	long delay = WAIT_FIRST_MS;
	int ret, none;

	for (;;) {
		if ((ret = poll_once(c, &w)) != CLI_OK)
			return ret == CLI_INTERRUPTED ? interrupted(c, id) : ret;
		if (w.failures > 0)
			goto sleep;
		if (has_log(w.state)) {
			if ((ret = stream_log(c, path, 0, &none)) == CLI_INTERRUPTED)
				return interrupted(c, id);
			if (ret != CLI_OK || !none)
				return ret;
			if (running_s == 0)
				running_s = cli_now_s();
			if (is_done(w.state) || (exec && cli_now_s() - running_s >= WAIT_EXEC_S))
				return no_log(c, id, w.state, exec);
		} else if (final_exit(&w) >= 0) {
			return no_log(c, id, w.state, exec);
		}
		cli_fmt_duration((long long)((cli_now_s() - w.start_s) * 1000), el, sizeof(el));
		cli_term_line(c, "%s  %s  (waiting for the %s's log %s; Ctrl-C leaves it running)", id,
		    w.state, exec ? "executor" : "driver", el);
sleep:
		if (cli_sleep_ms(delay))
			return interrupted(c, id);
		delay = delay * 3 / 2 > WAIT_MAX_MS ? WAIT_MAX_MS : delay * 3 / 2;
	}
}
