/* bpg-fcgi: start-up, signals and the FastCGI accept loop of one worker. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcgiapp.h>
#include "bpg_csrf.h"
#include "bpg_fcgi.h"
#include "bpg_log.h"
#include "bpg_time.h"

#ifndef BPG_SQL_DIR_DEFAULT
#define BPG_SQL_DIR_DEFAULT "/usr/local/share/bpg/sql"
#endif

static volatile sig_atomic_t stop_requested;
/* The FastCGI listen socket and an fd of /dev/null that on_stop puts in its place. */
static int stop_listen_fd = -1, stop_devnull_fd = -1;

/*
 * SIGTERM/SIGINT: an idle worker leaves accept() at once, a busy one after its request.
 * FCGX_ShutdownPending() alone is not enough: a signal that lands between the loop's check
 * and accept() leaves the worker blocked there. So this process's copy of the listen socket
 * becomes /dev/null: the accept, restarted after this handler or entered later, fails with
 * ENOTSOCK and libfcgi, seeing the shutdown pending, returns. The other workers keep their
 * copies of the socket, and the request being served has its own fd.
 */
static void
on_stop(int sig)
{
	int saved = errno;

	(void)sig;
	stop_requested = 1;
	FCGX_ShutdownPending();
	if (stop_listen_fd >= 0 && stop_devnull_fd >= 0)
		(void)dup2(stop_devnull_fd, stop_listen_fd);
	errno = saved;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: bpg-fcgi [--config FILE] [--socket PATH] [--log FILE]\n"
	    "                                                 run a worker: FastCGI on stdin (as\n"
	    "                                                 spawn-fcgi passes it) or on PATH;\n"
	    "                                                 logs to stderr, or appended to FILE\n"
	    "                                                 (spawn-fcgi sends stderr to /dev/null)\n"
	    "       bpg-fcgi --check-config [FILE]            validate FILE, print OK or the errors\n"
	    "       bpg-fcgi --show-config [FILE]             print the effective settings\n"
	    "       bpg-fcgi --migrate [FILE] [--sql-dir DIR] apply the database migrations not yet\n"
	    "                                                 applied (DIR: $BPG_SQL_DIR, else\n"
	    "                                                 " BPG_SQL_DIR_DEFAULT "); as\n"
	    "                                                 $BPG_DB_ADMIN_USER with the password in\n"
	    "                                                 $BPG_DB_ADMIN_PASSWORD_FILE when set\n"
	    "       bpg-fcgi --queue-token QUEUE [--user U] [--ttl SECONDS] [--config FILE]\n"
	    "                                                 print a token for secure queue QUEUE,\n"
	    "                                                 signed with the first secret of\n"
	    "                                                 [auth] queue_token_secrets_file\n"
	    "                                                 (default TTL 3600 s)\n"
	    "       bpg-fcgi --version\n"
	    "The config: --config FILE, else the FILE given after the command, else $BPG_CONFIG,\n"
	    "else " BPG_CONFIG_DEFAULT_PATH ".\n");
}

/* Sets mode once; a second mode is a usage error (-1). */
static int
set_mode(struct bpg_cli *cli, enum bpg_cli_mode mode)
{
	if (cli->mode != BPG_CLI_SERVE)
		return -1;
	cli->mode = mode;
	return 0;
}

/* Fills cli from argv; 0, 1 for --help/--version (answered), -1 for a usage error. */
static int
parse_args(int argc, char **argv, struct bpg_cli *cli, const char **sock, const char **log)
{
	static const struct { const char *flag; enum bpg_cli_mode mode; } modes[] = {
		{ "--check-config", BPG_CLI_CHECK }, { "--show-config", BPG_CLI_SHOW },
		{ "--migrate", BPG_CLI_MIGRATE },
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t m;
		for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
			if (strcmp(a, modes[m].flag) == 0)
				break;
		if (strcmp(a, "--version") == 0) {
			printf("bpg-fcgi %s\n", BPG_VERSION);
			return 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 1;
		} else if (m < sizeof(modes) / sizeof(modes[0])) {
			if (set_mode(cli, modes[m].mode) != 0)
				return -1;
			if (v != NULL && v[0] != '-')
				cli->file = argv[++i];
			continue;
		} else if (v == NULL) {
			return -1;
		} else if (strcmp(a, "--queue-token") == 0) {
			if (set_mode(cli, BPG_CLI_QUEUE_TOKEN) != 0)
				return -1;
			cli->queue = v;
		} else if (strcmp(a, "--config") == 0) {
			cli->config = v;
		} else if (strcmp(a, "--sql-dir") == 0) {
			cli->sql_dir = v;
		} else if (strcmp(a, "--user") == 0) {
			cli->user = v;
		} else if (strcmp(a, "--ttl") == 0) {
			cli->ttl = v;
		} else if (strcmp(a, "--log") == 0) {
			*log = v;
		} else if (strcmp(a, "--socket") == 0) {
			*sock = v;
		} else {
			return -1;
		}
		i++;
	}
	return 0;
}

/*
 * A request under [livy] prefix: its route path becomes "/livy" and the rest, and its errors
 * Livy's. BPG_OK when it is one, BPG_ENOTFOUND when not, BPG_EINVAL when too long.
 */
static enum bpg_err
livy_path(const struct bpg_config *cfg, struct bpg_http_req *req)
{
	const char *p = cfg->livy.prefix;
	size_t n = p != NULL ? strlen(p) : 0;
	int len;

	if (!cfg->livy.enabled || n == 0 || strncmp(req->uri, p, n) != 0 ||
	    (req->uri[n] != '/' && req->uri[n] != '\0'))
		return BPG_ENOTFOUND;
	req->livy = 1;
	len = snprintf(req->path, sizeof(req->path), "/livy%s", req->uri + n);
	return len < 0 || (size_t)len >= sizeof(req->path) ? BPG_EINVAL : BPG_OK;
}

/* Takes a token from the user's budget for the route's class; sets the 429 when none is left. */
static enum bpg_err
take_token(struct bpg_app *app, struct bpg_http_req *req)
{
	const struct bpg_ratelimit_conf *rc = &app->cfg->ratelimit;
	enum bpg_route_class cls = req->match.route->cls;
	int retry = 1;

	if ((unsigned)cls >= BPG_CLASS_COUNT ||
	    bpg_ratelimit_take(app->ratelimit, req->user.name, (unsigned)cls, rc->rate[cls],
	    (double)rc->burst[cls], bpg_time_mono_us(), &retry) == BPG_OK)
		return BPG_OK;
	snprintf(req->err_headers, sizeof(req->err_headers), "Retry-After: %d\r\n", retry);
	return bpg_http_fail(req, BPG_ERATELIMIT, "too many %s requests from user %s: retry in "
	    "%d s", bpg_route_class_name(cls), req->user.name, retry);
}

/*
 * Refuses what a browser sent from another site (403) and a body of a type the route does
 * not read (415), before any handler acts: a cross-site form or no-cors fetch can send only
 * text/plain, form and multipart bodies, and carries Origin and Sec-Fetch-Site.
 */
static enum bpg_err
check_browser(const struct bpg_app *app, struct bpg_http_req *req)
{
	struct bpg_csrf_in in;
	enum bpg_media media;
	enum bpg_err err;
	char why[320];

	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		return BPG_OK;   /* no route reads a body or acts on these: no parameter scans */
	in.method = req->method;
	in.origin = bpg_http_param(req, "HTTP_ORIGIN");
	in.sec_fetch_site = bpg_http_param(req, "HTTP_SEC_FETCH_SITE");
	in.host = bpg_http_param(req, "HTTP_HOST");
	if ((err = bpg_csrf_check(&in, &app->cfg->gateway.allowed_origins, BPG_WHY(why))) !=
	    BPG_OK ||
	    (err = bpg_media_accept(req->match.route->body, bpg_http_param(req, "CONTENT_TYPE"),
	    &media, BPG_WHY(why))) != BPG_OK)
		return bpg_http_fail(req, err, "%s", why);
	return BPG_OK;
}

/* Finds req's route (base path or Livy prefix stripped): BPG_OK, or the error set. */
static enum bpg_err
route(const struct bpg_app *app, struct bpg_http_req *req)
{
	const char *prefixes[] = { app->cfg->gateway.base_path, "/skatev2" };
	enum bpg_err err = livy_path(app->cfg, req);

	if (err == BPG_ENOTFOUND)
		err = bpg_http_strip_base(req, prefixes, sizeof(prefixes) / sizeof(prefixes[0]));
	if (err == BPG_EINVAL)
		return bpg_http_fail(req, err, "path longer than %d bytes", BPG_PATH_MAX - 1);
	if (err != BPG_OK)
		return bpg_http_fail(req, err, "no route for %s %s", req->method, req->uri);
	err = bpg_dispatch(bpg_routes, bpg_n_routes, req->method, req->path, &req->match);
	if (err == BPG_EMETHOD) {
		snprintf(req->err_headers, sizeof(req->err_headers), "Allow: %s\r\n",
		    req->match.allow);
		return bpg_http_fail(req, err, "method %s not allowed on %s (allowed: %s)",
		    req->method, req->path, req->match.allow);
	}
	if (err == BPG_EINVAL)
		return bpg_http_fail(req, err, "path segment too long");
	if (err == BPG_OK && (strncmp(req->match.route->pattern, "/livy/", 6) == 0) != req->livy)
		err = BPG_ENOTFOUND;   /* the Livy API only under its prefix, and only it there */
	if (err != BPG_OK)
		return bpg_http_fail(req, err, "no route for %s %s", req->method, req->path);
	return BPG_OK;
}

/* Who the caller is, their budget and their right to the route: BPG_OK, or the error set. */
static enum bpg_err
authenticate(struct bpg_app *app, struct bpg_http_req *req)
{
	/* User-Account counts only from a trusted proxy's own TCP address, never from one
	 * a header named (nginx strips it too). nginx passes one only as its list decided:
	 * that list must be ours (nginx rendered from the same [auth] trusted_proxies) */
	int has_hu = req->header_user != NULL && req->header_user[0] != '\0';
	const char *hu = has_hu && bpg_auth_header_trusted(&app->cfg->auth, req->peer_addr) ?
	    req->header_user : NULL;

	if (req->match.route->access == BPG_ACCESS_PUBLIC)
		return BPG_OK;
	if (has_hu && !bpg_auth_trust_mode_same(&app->cfg->auth, req->trust_mode)) {
		bpg_log(BPG_LOG_ERROR, "main", "nginx and the workers disagree on trusted "
		    "proxies: render nginx from the same [auth] trusted_proxies", "nginx",
		    req->trust_mode ? req->trust_mode : "(none)", NULL);
		return bpg_http_fail(req, BPG_EINTERNAL, "gateway misconfigured: nginx and the "
		    "workers disagree on [auth] trusted_proxies");
	}
	if (bpg_auth_identify(&app->cfg->auth, hu != NULL ? NULL : req->remote_user,
	    hu, &req->user) != BPG_OK)
		return bpg_http_fail(req, BPG_EUNAUTH, "authentication required: unknown, blocked "
		    "or missing user");
	/* after authentication: only a verified user's own requests use its budget */
	if (take_token(app, req) != BPG_OK)
		return req->err;
	if (req->match.route->access == BPG_ACCESS_ADMIN && !req->user.admin)
		return bpg_http_fail(req, BPG_EFORBIDDEN, "user %s is not an admin", req->user.name);
	return BPG_OK;
}

/* Authenticates, dispatches and runs one request; every error reply is written here. */
static void
handle(struct bpg_app *app, struct bpg_http_req *req)
{
	bpg_handler h;
	enum bpg_err err;

	if (route(app, req) != BPG_OK || authenticate(app, req) != BPG_OK ||
	    check_browser(app, req) != BPG_OK)
		goto fail;
	h = *(const bpg_handler *)req->match.route->handler;
	err = h(app, req);
	if (req->status != 0)
		return;
	if (err == BPG_OK) {
		/* a handler that answered nothing is a bug; the client still gets an answer */
		bpg_log(BPG_LOG_ERROR, "main", "handler wrote no reply", "path", req->path, NULL);
		err = BPG_EINTERNAL;
	}
	if (req->err == BPG_OK)
		bpg_http_fail(req, err, "%s", bpg_err_str(err));
fail:
	if (req->status == 0)
		(void)bpg_http_reply_error(req);
}

/* Names the routes for /metrics and maps the shared metrics file (a warning if it fails). */
static int
init_metrics(struct bpg_app *app)
{
	static char names[BPG_METRICS_MAX_ROUTES][96];

	if (bpg_n_routes > BPG_METRICS_MAX_ROUTES) {
		bpg_log(BPG_LOG_ERROR, "main", "more routes than BPG_METRICS_MAX_ROUTES", NULL);
		return -1;
	}
	for (size_t i = 0; i < bpg_n_routes; i++) {
		snprintf(names[i], sizeof(names[i]), "%s %s", bpg_routes[i].method, bpg_routes[i].pattern);
		app->route_names[i] = names[i];
	}
	if (app->cfg->gateway.metrics_file != NULL &&
	    bpg_metrics_open(app->cfg->gateway.metrics_file, &app->metrics) == BPG_OK)
		bpg_metrics_attach(app->metrics);
	return 0;
}

/* Logs one access line per request (its numbers formatted without printf: every request). */
static void
log_access(const struct bpg_http_req *req, long long t0_us)
{
	char sbuf[24] = "", mbuf[32] = "", bbuf[24] = "", *status, *ms, *bytes;
	long long us = bpg_time_mono_us() - t0_us;

	status = bpg_buf_digits(sbuf + sizeof(sbuf) - 1,
	    (unsigned long long)(req->status > 0 ? req->status : 0));
	/* milliseconds with three decimals, as "%.3f" of the elapsed time */
	ms = mbuf + sizeof(mbuf) - 1;
	for (int i = 0; i < 3; i++, us /= 10)
		*--ms = (char)('0' + us % 10);
	*--ms = '.';
	ms = bpg_buf_digits(ms, (unsigned long long)us);
	bytes = bpg_buf_digits(bbuf + sizeof(bbuf) - 1, req->bytes_out);
	bpg_log(req->status >= 500 ? BPG_LOG_WARN : BPG_LOG_INFO, "http", "request",
	    "method", req->method, "path", req->uri, "user", req->user.name,
	    "status", status, "ms", ms, "bytes", bytes,
	    req->status >= 400 ? "error" : NULL, req->err_msg, NULL);
}

/* Counts a 401, 403 or 429 and logs who was refused: claimed user, address, request id. */
static void
note_denied(const struct bpg_app *app, const struct bpg_http_req *req)
{
	enum bpg_route_class cls = req->match.route ? req->match.route->cls : BPG_CLASS_OTHER;
	enum bpg_metrics_denial reason;
	const char *addr = bpg_http_param(req, "REMOTE_ADDR");
	/* the header counts only where bpg_auth_identify() would take it */
	const char *claimed = app->cfg->auth.trust_user_header && req->header_user &&
	    *req->header_user ? req->header_user : req->remote_user;

	if (req->status == 401)
		reason = BPG_DENIED_UNAUTH;
	else if (req->status == 403)
		reason = BPG_DENIED_FORBIDDEN;
	else if (req->status == 429)
		reason = BPG_DENIED_RATELIMIT;
	else
		return;
	bpg_metrics_denied(reason, cls);
	bpg_log(BPG_LOG_WARN, "http", "denied", "status", req->status == 401 ? "401" :
	    req->status == 403 ? "403" : "429", "class", bpg_route_class_name(cls),
	    "claimed_user", claimed, "user", req->user.name, "addr", addr,
	    "method", req->method, "path", req->uri, "error", req->err_msg, NULL);
}

/* The accept loop: one request at a time until SIGTERM or SIGINT. */
static int
serve(struct bpg_app *app, int listen_fd)
{
	FCGX_Request r;
	struct bpg_http_req req;
	long long t0;
	char pid[16];

	if (FCGX_InitRequest(&r, listen_fd, 0) != 0) {
		bpg_log(BPG_LOG_ERROR, "main", "FCGX_InitRequest failed", NULL);
		return 1;
	}
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	bpg_log(BPG_LOG_INFO, "main", "worker ready", "pid", pid, "version", BPG_VERSION,
	    "config", app->cfg->path, NULL);
	while (!stop_requested) {
		if (FCGX_Accept_r(&r) < 0) {
			if (stop_requested)
				break;
			if (errno == EINTR)
				continue;
			bpg_log(BPG_LOG_ERROR, "main", "accept failed", "error", strerror(errno), NULL);
			FCGX_Free(&r, 1);
			return 1;
		}
		t0 = bpg_time_mono_us();
		bpg_http_req_init(&req, &r);
		bpg_log_set_request(req.request_id);
		handle(app, &req);
		log_access(&req, t0);
		note_denied(app, &req);
		bpg_metrics_request(req.match.route ? (int)(req.match.route - bpg_routes) : -1,
		    req.status, (uint64_t)(bpg_time_mono_us() - t0));
		bpg_log_set_request(NULL);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	bpg_log(BPG_LOG_INFO, "main", "worker stopping", NULL);
	return 0;
}

/* Appends stderr to path (created 0640 if absent); returns 0 or -1 after saying why. */
static int
redirect_stderr(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0) {
		fprintf(stderr, "bpg-fcgi: cannot open log file '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (dup2(fd, STDERR_FILENO) < 0) {
		fprintf(stderr, "bpg-fcgi: dup2: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* SA_RESTART: a busy worker's reads and writes are not cut by the signal; on_stop makes
 * the accept fail instead. */
static int
install_signals(int listen_fd)
{
	struct sigaction sa;

	stop_listen_fd = listen_fd;
	stop_devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (stop_devnull_fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *log = NULL;
	struct bpg_cli cli;
	struct bpg_config *cfg = NULL;
	struct bpg_app app;
	int listen_fd = 0, rc = 1;

	memset(&app, 0, sizeof(app));
	bpg_buf_init(&app.health_body, 0);
	memset(&cli, 0, sizeof(cli));
	if ((rc = parse_args(argc, argv, &cli, &sock, &log)) != 0) {
		if (rc < 0)
			usage(stderr);
		return rc < 0 ? 2 : 0;
	}
	if (cli.mode != BPG_CLI_SERVE)
		return bpg_cli_run(&cli);
	rc = 1;
	if (log != NULL && redirect_stderr(log) != 0)
		return 1;
	if ((cfg = bpg_cli_load(bpg_config_path(cli.config, NULL))) == NULL)
		return 1;
	(void)bpg_log_set_level_name(cfg->gateway.log_level);
	app.cfg = cfg;
	if (FCGX_Init() != 0) {
		bpg_log(BPG_LOG_ERROR, "main", "start-up failed", NULL);
		goto out;
	}
	if (sock != NULL && (listen_fd = FCGX_OpenSocket(sock, 128)) < 0) {
		bpg_log(BPG_LOG_ERROR, "main", "cannot listen", "socket", sock, NULL);
		goto out;
	}
	if (install_signals(listen_fd) != 0) {
		bpg_log(BPG_LOG_ERROR, "main", "cannot install the signal handlers", "error",
		    strerror(errno), NULL);
		goto out;
	}
	if (init_metrics(&app) != 0)
		goto out;
	if (bpg_ratelimit_open(cfg->ratelimit.file, BPG_RATELIMIT_SLOTS, &app.ratelimit) != BPG_OK) {
		bpg_log(BPG_LOG_ERROR, "main", "[ratelimit] file cannot be mapped: each worker "
		    "limits on its own (budgets multiplied by the worker count)", NULL);
		if (bpg_ratelimit_open(NULL, BPG_RATELIMIT_SLOTS, &app.ratelimit) != BPG_OK)
			goto out;
	}
	if (cfg->auth.queue_token_secrets_file != NULL) {
		char why[256];
		if (bpg_jwt_secrets_load(cfg->auth.queue_token_secrets_file, &app.queue_secrets,
		    BPG_WHY(why)) != BPG_OK)
			bpg_log(BPG_LOG_ERROR, "main", "secure queues will refuse every token", "error",
			    why, NULL);
	}
	if (bpg_db_new(&cfg->database, &app.db) != BPG_OK ||
	    bpg_k8s_new(cfg, &app.k8s) != BPG_OK)
		goto out;
	bpg_db_enable_claims(app.db);   /* rows this worker handles name its live session */
	if (cfg->s3.bucket != NULL && (bpg_s3_new(&cfg->s3, &app.s3) != BPG_OK ||
	    bpg_s3up_pool_new(&cfg->s3, &app.s3up) != BPG_OK)) {
		bpg_log(BPG_LOG_ERROR, "main", "S3 is unusable: uploads and archived logs answer 503",
		    NULL);
		bpg_s3_free(app.s3);
		app.s3 = NULL;
	}
	rc = serve(&app, listen_fd);
out:
	bpg_s3up_pool_free(app.s3up);
	bpg_s3_free(app.s3);
	bpg_jwt_secrets_release(&app.queue_secrets);
	bpg_metrics_close(app.metrics);
	bpg_ratelimit_close(app.ratelimit);
	bpg_k8s_free(app.k8s);
	bpg_db_free(app.db);
	bpg_buf_release(&app.health_body);
	bpg_config_free(cfg);
	return rc;
}
