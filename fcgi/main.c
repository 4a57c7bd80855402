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
#include "bpg_fcgi.h"
#include "bpg_log.h"

#ifndef BPG_SQL_DIR_DEFAULT
#define BPG_SQL_DIR_DEFAULT "/usr/local/share/bpg/sql"
#endif

static volatile sig_atomic_t stop_requested;
/* The FastCGI listen socket and an fd of /dev/null that on_stop puts in its place. */
static int stop_listen_fd = -1, stop_devnull_fd = -1;

long long
bpg_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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
	    "       bpg-fcgi --check-config FILE              validate FILE, print OK or the errors\n"
	    "       bpg-fcgi --show-config FILE               print the effective settings\n"
	    "       bpg-fcgi --migrate FILE [--sql-dir DIR]   apply the database migrations not yet\n"
	    "                                                 applied (DIR: $BPG_SQL_DIR, else\n"
	    "                                                 " BPG_SQL_DIR_DEFAULT "); as\n"
	    "                                                 $BPG_DB_ADMIN_USER with the password in\n"
	    "                                                 $BPG_DB_ADMIN_PASSWORD_FILE when set\n"
	    "       bpg-fcgi --version\n"
	    "FILE defaults to $BPG_CONFIG, then /etc/bpg/bpg.ini.\n");
}

/* Loads path or prints every error to stderr; returns NULL on failure. */
static struct bpg_config *
load_or_report(const char *path)
{
	struct bpg_config *cfg = NULL;
	struct bpg_buf errors;
	enum bpg_err err;

	bpg_buf_init(&errors, 0);
	err = bpg_config_load(path, &cfg, &errors);
	if (err != BPG_OK) {
		if (errors.len > 0)
			fputs(errors.data, stderr);
		else
			fprintf(stderr, "%s: %s\n", path, bpg_err_str(err));
	}
	bpg_buf_release(&errors);
	return cfg;
}

/* Authenticates, dispatches and runs one request; every error reply is written here. */
static void
handle(struct bpg_app *app, struct bpg_http_req *req)
{
	const char *prefixes[] = { app->cfg->gateway.base_path, "/skatev2" };
	bpg_handler h;
	enum bpg_err err;

	err = bpg_http_strip_base(req, prefixes, sizeof(prefixes) / sizeof(prefixes[0]));
	if (err == BPG_EINVAL) {
		bpg_http_fail(req, err, "path longer than %d bytes", BPG_PATH_MAX - 1);
		goto fail;
	}
	if (err != BPG_OK) {
		bpg_http_fail(req, err, "no route for %s %s", req->method, req->uri);
		goto fail;
	}
	err = bpg_dispatch(bpg_routes, bpg_n_routes, req->method, req->path, &req->match);
	if (err == BPG_EMETHOD) {
		snprintf(req->err_headers, sizeof(req->err_headers), "Allow: %s\r\n",
		    req->match.allow);
		bpg_http_fail(req, err, "method %s not allowed on %s (allowed: %s)", req->method,
		    req->path, req->match.allow);
		goto fail;
	}
	if (err == BPG_EINVAL) {
		bpg_http_fail(req, err, "path segment too long");
		goto fail;
	}
	if (err != BPG_OK) {
		bpg_http_fail(req, err, "no route for %s %s", req->method, req->path);
		goto fail;
	}
	if (req->match.route->access != BPG_ACCESS_PUBLIC) {
		if (bpg_auth_identify(&app->cfg->auth, req->remote_user, req->header_user,
		    &req->user) != BPG_OK) {
			bpg_http_fail(req, BPG_EUNAUTH, "authentication required: unknown, blocked "
			    "or missing user");
			goto fail;
		}
		if (req->match.route->access == BPG_ACCESS_ADMIN && !req->user.admin) {
			bpg_http_fail(req, BPG_EFORBIDDEN, "user %s is not an admin", req->user.name);
			goto fail;
		}
	}
	h = (bpg_handler)req->match.route->handler;
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

static long long
elapsed_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long long)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* Logs one access line per request. */
static void
log_access(const struct bpg_http_req *req, const struct timespec *t0)
{
	char status[8], ms[32], bytes[24];
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	snprintf(status, sizeof(status), "%d", req->status);
	snprintf(ms, sizeof(ms), "%.3f", (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6);
	snprintf(bytes, sizeof(bytes), "%zu", req->bytes_out);
	bpg_log(req->status >= 500 ? BPG_LOG_WARN : BPG_LOG_INFO, "http", "request",
	    "method", req->method, "path", req->uri, "user", req->user.name,
	    "status", status, "ms", ms, "bytes", bytes,
	    req->status >= 400 ? "error" : NULL, req->err_msg, NULL);
}

/* The accept loop: one request at a time until SIGTERM or SIGINT. */
static int
serve(struct bpg_app *app, int listen_fd)
{
	FCGX_Request r;
	struct bpg_http_req req;
	struct timespec t0;
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
		clock_gettime(CLOCK_MONOTONIC, &t0);
		bpg_http_req_init(&req, &r);
		bpg_log_set_request(req.request_id);
		handle(app, &req);
		log_access(&req, &t0);
		bpg_metrics_request(req.match.route ? (int)(req.match.route - bpg_routes) : -1,
		    req.status, (uint64_t)elapsed_us(&t0));
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

/* --migrate: applies sql/ migrations with the config's database (or an admin account). */
static int
migrate(const char *config, const char *sql_dir)
{
	struct bpg_config *cfg = load_or_report(config);
	const char *admin = getenv("BPG_DB_ADMIN_USER");
	struct bpg_db *db = NULL;
	int applied = 0, rc = 1;

	if (cfg == NULL)
		return 1;
	if (sql_dir == NULL)
		sql_dir = getenv("BPG_SQL_DIR");
	if (sql_dir == NULL)
		sql_dir = BPG_SQL_DIR_DEFAULT;
	if (bpg_db_new(&cfg->database, &db) != BPG_OK)
		goto out;
	if (admin != NULL && *admin != '\0' &&
	    bpg_db_set_account(db, admin, getenv("BPG_DB_ADMIN_PASSWORD_FILE")) != BPG_OK)
		goto out;
	if (bpg_db_ping(db) != BPG_OK) {
		fprintf(stderr, "bpg-fcgi: database unavailable: %s\n", bpg_db_last_error(db));
		goto out;
	}
	if (bpg_db_migrate(db, sql_dir, &applied) != BPG_OK) {
		fprintf(stderr, "bpg-fcgi: migration failed (%d applied before it)\n", applied);
		goto out;
	}
	printf("migrations: %d applied, schema up to date\n", applied);
	rc = 0;
out:
	bpg_db_free(db);
	bpg_config_free(cfg);
	return rc;
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
	const char *config = getenv("BPG_CONFIG"), *sock = NULL, *migrate_config = NULL;
	const char *sql_dir = NULL;
	struct bpg_config *cfg = NULL;
	struct bpg_app app;
	int listen_fd = 0, rc = 1;

	memset(&app, 0, sizeof(app));
	if (config == NULL || *config == '\0')
		config = "/etc/bpg/bpg.ini";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0) {
			printf("bpg-fcgi %s\n", BPG_VERSION);
			return 0;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if ((strcmp(a, "--check-config") == 0 || strcmp(a, "--show-config") == 0) &&
		    i + 1 < argc) {
			struct bpg_buf dump;
			cfg = load_or_report(argv[i + 1]);
			if (cfg == NULL)
				return 1;
			bpg_buf_init(&dump, 0);
			if (a[2] == 'c')
				puts("OK");
			else if (bpg_config_dump(cfg, &dump) == BPG_OK)
				fputs(dump.data ? dump.data : "", stdout);
			bpg_buf_release(&dump);
			bpg_config_free(cfg);
			return 0;
		} else if (strcmp(a, "--migrate") == 0 && i + 1 < argc) {
			migrate_config = argv[++i];
		} else if (strcmp(a, "--sql-dir") == 0 && i + 1 < argc) {
			sql_dir = argv[++i];
		} else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(a, "--log") == 0 && i + 1 < argc) {
			if (redirect_stderr(argv[++i]) != 0)
				return 1;
		} else if (strcmp(a, "--socket") == 0 && i + 1 < argc) {
			sock = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (migrate_config != NULL)
		return migrate(migrate_config, sql_dir);
	if ((cfg = load_or_report(config)) == NULL)
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
	if (cfg->auth.queue_token_secrets_file != NULL) {
		char why[256];
		if (bpg_jwt_secrets_load(cfg->auth.queue_token_secrets_file, &app.queue_secrets, why,
		    sizeof(why)) != BPG_OK)
			bpg_log(BPG_LOG_ERROR, "main", "secure queues will refuse every token", "error",
			    why, NULL);
	}
	if (bpg_db_new(&cfg->database, &app.db) != BPG_OK ||
	    bpg_k8s_new(cfg, &app.k8s) != BPG_OK)
		goto out;
	if (cfg->s3.bucket != NULL && bpg_s3_new(&cfg->s3, &app.s3) != BPG_OK)
		bpg_log(BPG_LOG_ERROR, "main", "S3 is unusable: uploads and archived logs answer 503",
		    NULL);
	rc = serve(&app, listen_fd);
out:
	bpg_s3_free(app.s3);
	bpg_jwt_secrets_release(&app.queue_secrets);
	bpg_metrics_close(app.metrics);
	bpg_k8s_free(app.k8s);
	bpg_db_free(app.db);
	bpg_config_free(cfg);
	return rc;
}
