/* cli.h: the bpg command-line client; one header, its sections one file each. */
#ifndef BPG_CLI_H
#define BPG_CLI_H

#include <signal.h>
#include <stdio.h>
#include <cJSON.h>
#include <curl/curl.h>
#include "bpg_buf.h"

#define CLI_VERSION "0.1.0"

/* Exit statuses (documented in bpg.1 and README.md). */
enum cli_exit {
	CLI_OK = 0,            /* done; the application COMPLETED */
	CLI_FAILED = 1,        /* the application FAILED (or stayed SUBMISSION_FAILED) */
	CLI_USAGE = 2,         /* bad usage, bad input, 400, 409, 413 */
	CLI_SERVER = 3,        /* network failure, 5xx, anything unexpected */
	CLI_NOTFOUND = 4,      /* 404 */
	CLI_FORBIDDEN = 5,     /* 401, 403 */
	CLI_INTERRUPTED = 130  /* Ctrl-C during --wait, --follow or an upload */
};

enum cli_output { CLI_OUT_DEFAULT = 0, CLI_OUT_JSON, CLI_OUT_YAML, CLI_OUT_TABLE };

#define CLI_MAX_LIST 256        /* --conf or --arg given at most this often */

/* Every option of every command; commands read the ones they take. */
struct cli_opts {
	/* global */
	const char *url, *user, *cacert, *profile, *config;
	enum cli_output output;
	int quiet;
	/* submit */
	const char *queue, *spark_version, *main_class, *main_file, *name, *image, *idem_key;
	const char *driver_memory, *executor_memory;
	long driver_cores, executor_cores, executors;  /* -1 when not given */
	const char *conf[CLI_MAX_LIST];
	int nconf;
	const char *args[CLI_MAX_LIST];
	int nargs;
	int dry_run, wait, follow;
	/* list */
	const char *state, *since;
	long limit;                 /* -1 when not given */
	int all, all_users;
	/* logs */
	long tail, exec;            /* -1 when not given */
	const char *container;
	/* upload */
	const char *folder;
	int overwrite;
	/* version */
	int client_only;
};

/* The resolved connection settings (conf.c). */
struct cli_conf {
	char *url;          /* base URL without a trailing '/' */
	char *user;
	char *password;     /* NULL when none was found; wiped on release */
	char *cacert;       /* NULL: the system's CAs */
	char *profile;
	const char *password_from;   /* "BPG_PASSWORD", "password_command", "~/.netrc" or NULL */
};

struct cli {
	struct cli_opts o;
	struct cli_conf conf;
	CURL *curl;
	int tty;            /* stderr is a terminal and not --quiet: live lines allowed */
	int stdout_broken;  /* a write to stdout failed (EPIPE): stop quietly */
};

/* A request (http.c). */
struct cli_req {
	const char *method;
	const char *path;           /* below the base URL, query included, already escaped */
	const char *ctype;          /* of the body */
	const char *body;           /* in-memory body, or NULL */
	size_t len;
	FILE *upload;               /* streamed body (with upload_size), or NULL */
	curl_off_t upload_size;
	const char *idem_key;       /* Idempotency-Key header, or NULL */
	int stream;                 /* write a 2xx body to stdout as it arrives */
	int follow;                 /* no total timeout (log follow) */
	int progress;               /* draw the upload progress bar */
	int keep_errors;            /* do not print the error: the caller decides */
	const char *sniff;          /* a 2xx body exactly this text is not written: resp->sniffed */
};

struct cli_resp {
	long status;                /* 0 when no answer came */
	struct bpg_buf body;        /* the body (error bodies too, when streaming) */
	char err[512];              /* one line: what went wrong, when the result is not CLI_OK */
	int sniffed;                /* the 2xx body was rq->sniff exactly (nothing written) */
};

/* http.c */
int cli_http_init(struct cli *c);
void cli_http_release(struct cli *c);
/* Performs rq; fills resp (release with cli_resp_release()). Returns CLI_OK on 2xx, else the
 * exit status for the failure, with resp->err set and printed unless rq->keep_errors. */
int cli_http(struct cli *c, const struct cli_req *rq, struct cli_resp *resp);
void cli_resp_release(struct cli_resp *resp);
/* GET path, the answer parsed as JSON into *out (cJSON_Delete it). Errors printed. */
int cli_get_json(struct cli *c, const char *path, cJSON **out);
/* Escapes s for a URL path segment or query value; free with curl_free(). NULL on ENOMEM. */
char *cli_escape(struct cli *c, const char *s);

/* conf.c */
/* Resolves url, user, password, cacert: flags > environment > profile (> netrc). */
int cli_conf_load(const struct cli_opts *o, struct cli_conf *out);
void cli_conf_release(struct cli_conf *conf);
/*
 * The password of the first netrc entry for host ("machine host" or "default") whose login is
 * *user, or any login when *user is NULL (which then receives the entry's login, strdup'ed).
 * text (NUL-terminated) is cut into tokens in place. Returns a strdup'ed password or NULL.
 */
char *cli_netrc_find(char *text, const char *host, char **user);

/* term.c */
extern volatile sig_atomic_t cli_interrupted;
void cli_term_init(struct cli *c);
/* Sleeps ms milliseconds or until Ctrl-C; returns 1 if interrupted. */
int cli_sleep_ms(long ms);
/* Redraws the one live line on stderr (terminal only). */
void cli_term_line(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the live line (clears it) so other output can follow. */
void cli_term_clear(const struct cli *c);
/* Upload progress: done of total bytes, since the start at start_s (monotonic seconds). */
void cli_term_progress(const struct cli *c, double done, double total, double start_s);
/* Now on the monotonic clock in seconds (bpg_time_mono_us(): the one clock). */
double cli_now_s(void);
/* Human formats into out: "12.3 MiB", "1h02m", "5m ago". */
void cli_fmt_bytes(double n, char *out, size_t outlen);
void cli_fmt_duration(long long ms, char *out, size_t outlen);
void cli_fmt_ago(long long epoch_ms, long long now_ms, char *out, size_t outlen);
/* Prints "bpg: error: ..." on stderr (after clearing the live line). */
void cli_error(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* out.c */
/* Prints j as JSON (two-space indent) or YAML; CLI_SERVER if stdout fails. */
int cli_print_json(struct cli *c, const cJSON *j);
int cli_print_yaml(struct cli *c, const cJSON *j);
/* Prints rows of cells (ncol per row, NULL cells empty) as an aligned table with a header. */
int cli_print_table(struct cli *c, const char *const *head, int ncol, char **cells, size_t nrows);
int cli_write(struct cli *c, const char *s, size_t n);

/* Commands: cmd_*.c; argv holds the positional arguments after the command's name. */
int cmd_submit(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_wait(struct cli *c, int argc, char **argv);
int cmd_spec(struct cli *c, int argc, char **argv);
int cmd_describe(struct cli *c, int argc, char **argv);
int cmd_driver(struct cli *c, int argc, char **argv);
int cmd_delete(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_logs(struct cli *c, int argc, char **argv);
int cmd_upload(struct cli *c, int argc, char **argv);
int cmd_health(struct cli *c, int argc, char **argv);
int cmd_version(struct cli *c, int argc, char **argv);
int cmd_completion(struct cli *c, int argc, char **argv);
/* --since of bpg list: "90s", "30m", "2h", "7d", "1w" before now_ms, or a UTC date
 * "2026-12-01[T10:00[:00]][Z]"; epoch ms into *out. -1 if unreadable (nothing printed). */
int cli_parse_since(const char *s, long long now_ms, long long *out);

/* The gateway's 200 answer to /log when there is no log to read (the Java gateway's text). */
#define CLI_LOG_NOT_FOUND "Cannot find matched log files. Please try again in 5 minutes if " \
    "this is a new job which was just started within 5 minutes."

/* wait.c: polls /status until a final state; the exit status of that state. */
int cli_wait(struct cli *c, const char *id, int follow);
/*
 * bpg logs -f: polls /status (the live line on a terminal) until the application's pod has a
 * log, then streams path (a /log query with follow=true) to stdout. exec: the log is an
 * executor's, which may never exist. CLI_NOTFOUND (with a message) when there is no such log.
 */
int cli_wait_log(struct cli *c, const char *id, const char *path, int exec);

#endif
