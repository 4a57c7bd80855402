/* bpg_db: the worker's one MySQL/MariaDB connection, opened lazily and reopened when lost. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mysql.h>
#include <openssl/rand.h>
#include "bpg_buf.h"
#include "bpg_db.h"
#include "bpg_log.h"
#include "bpg_depcall.h"
#include "bpg_time.h"

#define DB_PASSWORD_MAX 1024
#define DB_STMT_CACHE   48
#define DB_COL_INITIAL  512
#define DB_IDLE_CHECK_US 1000000   /* a write after this long idle pings first */
#define DB_COL_KEEP     (64 << 10)   /* a column buffer grown past this is freed after use */

struct db_stmt {
	const char *sql;     /* the caller's constant; the cache key */
	MYSQL_STMT *stmt;
};

struct bpg_db {
	const struct bpg_database_conf *conf;
	char *user;              /* account override (migrations), else conf->user */
	char *password_file;     /* with user: its password file, may be NULL */
	MYSQL *conn;      /* NULL while disconnected */
	struct db_stmt cache[DB_STMT_CACHE];
	char last_error[256];
	long long last_ok_us;    /* when a statement last succeeded on this connection */
	int claims;              /* hold a claim lock on every connection */
	char claim[48];          /* its name, "" when none is held */
	char *colbuf[BPG_DB_MAX_COLS];   /* result column buffers, kept from one call to the next */
	size_t colcap[BPG_DB_MAX_COLS];
};

enum bpg_err
bpg_db_new(const struct bpg_database_conf *conf, struct bpg_db **out)
{
	struct bpg_db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return BPG_ENOMEM;
	db->conf = conf;
	*out = db;
	return BPG_OK;
}

static void
db_close(struct bpg_db *db)
{
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		if (db->cache[i].stmt != NULL)
			mysql_stmt_close(db->cache[i].stmt);
		db->cache[i].stmt = NULL;
		db->cache[i].sql = NULL;
	}
	if (db->conn != NULL) {
		mysql_close(db->conn);
		db->conn = NULL;
	}
	db->claim[0] = '\0';
}

enum bpg_err
bpg_db_set_account(struct bpg_db *db, const char *user, const char *password_file)
{
	free(db->user);
	free(db->password_file);
	db->user = strdup(user);
	db->password_file = password_file ? strdup(password_file) : NULL;
	if (db->user == NULL || (password_file != NULL && db->password_file == NULL))
		return BPG_ENOMEM;
	return BPG_OK;
}

void
bpg_db_free(struct bpg_db *db)
{
	if (db == NULL)
		return;
	free(db->user);
	free(db->password_file);
	db_close(db);
	for (size_t i = 0; i < BPG_DB_MAX_COLS; i++)
		free(db->colbuf[i]);
	free(db);
}

/* Reads the password file into pw (wiped by the caller); strips one trailing newline. */
static enum bpg_err
db_read_password(struct bpg_db *db, struct bpg_buf *pw)
{
	char chunk[256];
	size_t n;
	FILE *fp = fopen(db->user ? db->password_file : db->conf->password_file, "r");

	if (fp == NULL) {
		snprintf(db->last_error, sizeof(db->last_error), "cannot open password_file: %s",
		    strerror(errno));
		return BPG_EUNAVAIL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (bpg_buf_append(pw, chunk, n) != BPG_OK) {
			fclose(fp);
			snprintf(db->last_error, sizeof(db->last_error), "password_file too large");
			return BPG_EUNAVAIL;
		}
	}
	fclose(fp);
	while (pw->len > 0 && (pw->data[pw->len - 1] == '\n' || pw->data[pw->len - 1] == '\r'))
		pw->data[--pw->len] = '\0';
	return BPG_OK;
}

static void db_take_claim(struct bpg_db *db);

static enum bpg_err
db_connect(struct bpg_db *db)
{
	const struct bpg_database_conf *c = db->conf;
	unsigned ct = (unsigned)c->connect_timeout_s, rt = (unsigned)c->read_timeout_s,
	    wt = (unsigned)c->write_timeout_s;
	struct bpg_buf pw;
	enum bpg_err err = BPG_EUNAVAIL;
	my_bool off = 0;

	bpg_buf_init(&pw, DB_PASSWORD_MAX);
	const char *user = db->user ? db->user : c->user;
	const char *pwfile = db->user ? db->password_file : c->password_file;
	const char *inline_pw = db->user ? NULL : c->password;

	if (pwfile != NULL && db_read_password(db, &pw) != BPG_OK)
		goto out;
	db->conn = mysql_init(NULL);
	if (db->conn == NULL) {
		err = BPG_ENOMEM;
		goto out;
	}
	if (mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct) != 0 ||
	    mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &rt) != 0 ||
	    mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &wt) != 0 ||
	    mysql_options(db->conn, MYSQL_OPT_RECONNECT, &off) != 0 ||
	    mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_options(db->conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'") != 0) {
		snprintf(db->last_error, sizeof(db->last_error), "mysql_options failed");
		goto out;
	}
	if (mysql_real_connect(db->conn, c->socket ? NULL : c->host, user,
	    pwfile ? (pw.data ? pw.data : "") : inline_pw, c->name,
	    (unsigned)c->port, c->socket, 0) == NULL) {
		snprintf(db->last_error, sizeof(db->last_error), "%s (errno %u)",
		    mysql_error(db->conn), mysql_errno(db->conn));
		bpg_log(BPG_LOG_WARN, "db", "connect failed", "error", db->last_error, NULL);
		goto out;
	}
	err = BPG_OK;
	if (db->claims)
		db_take_claim(db);
out:
	bpg_buf_wipe(&pw);
	if (err != BPG_OK)
		db_close(db);
	return err;
}

enum bpg_err
bpg_db_ping(struct bpg_db *db)
{
	db->last_error[0] = '\0';
	if (db->conn == NULL)
		return db_connect(db);
	if (mysql_ping(db->conn) == 0)
		return BPG_OK;
	bpg_log(BPG_LOG_INFO, "db", "connection lost, reconnecting", "error",
	    mysql_error(db->conn), NULL);
	db_close(db);
	return db_connect(db);
}

const char *
bpg_db_last_error(const struct bpg_db *db)
{
	return db->last_error;
}

struct bpg_db_val
bpg_db_str(const char *s)
{
	struct bpg_db_val v = { s ? BPG_DB_STR : BPG_DB_NULL, s, s ? strlen(s) : 0, 0 };

	return v;
}

struct bpg_db_val
bpg_db_int(long long i)
{
	struct bpg_db_val v = { BPG_DB_INT, NULL, 0, i };

	return v;
}

struct bpg_db_val
bpg_db_null(void)
{
	struct bpg_db_val v = { BPG_DB_NULL, NULL, 0, 0 };

	return v;
}

/* True for the client errors that mean the connection is gone. */
static int
db_conn_lost(unsigned e)
{
	return e == 2006 /* CR_SERVER_GONE_ERROR */ || e == 2013 /* CR_SERVER_LOST */ ||
	    e == 2055 /* CR_SERVER_LOST_EXTENDED */ || e == 2002 || e == 2003 ||
	    e == 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */ || e == 1927 /* ER_CONNECTION_KILLED */;
}

/* Returns the cached prepared statement for sql, preparing it if needed. */
static enum bpg_err
db_prepare(struct bpg_db *db, const char *sql, MYSQL_STMT **out, unsigned *errno_out)
{
	size_t slot = DB_STMT_CACHE;
	MYSQL_STMT *st;

	*errno_out = 0;
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		if (db->cache[i].sql == sql) {
			*out = db->cache[i].stmt;
			return BPG_OK;
		}
		if (db->cache[i].sql == NULL && slot == DB_STMT_CACHE)
			slot = i;
	}
	if ((st = mysql_stmt_init(db->conn)) == NULL)
		return BPG_ENOMEM;
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		*errno_out = mysql_stmt_errno(st);
		snprintf(db->last_error, sizeof(db->last_error), "prepare: %s (errno %u)",
		    mysql_stmt_error(st), *errno_out);
		mysql_stmt_close(st);
		return db_conn_lost(*errno_out) ? BPG_EUNAVAIL : BPG_EINTERNAL;
	}
	if (slot < DB_STMT_CACHE) {
		db->cache[slot].sql = sql;
		db->cache[slot].stmt = st;
	}
	*out = st;
	return BPG_OK;
}

/* Releases a statement that is not in the cache. */
static void
db_unprepare(struct bpg_db *db, MYSQL_STMT *st)
{
	for (size_t i = 0; i < DB_STMT_CACHE; i++)
		if (db->cache[i].stmt == st)
			return;
	mysql_stmt_close(st);
}

/* MySQL only reads a bound parameter's buffer: the one place its const is set aside. */
static void *
param_buf(const void *p)
{
	return (void *)(uintptr_t)p;
}

/* Binds params to st (their types and buffers into pb; SQL NULLs point at pnull). */
static int
bind_params(MYSQL_STMT *st, const struct bpg_db_val *params, unsigned nparams,
    MYSQL_BIND *pb, my_bool *pnull)
{
	memset(pb, 0, nparams * sizeof(*pb));
	for (unsigned i = 0; i < nparams; i++) {
		switch (params[i].type) {
		case BPG_DB_STR:
			pb[i].buffer_type = MYSQL_TYPE_STRING;
			pb[i].buffer = param_buf(params[i].s);
			pb[i].buffer_length = (unsigned long)params[i].len;
			break;
		case BPG_DB_INT:
			pb[i].buffer_type = MYSQL_TYPE_LONGLONG;
			pb[i].buffer = param_buf(&params[i].i);
			break;
		default:
			pb[i].buffer_type = MYSQL_TYPE_NULL;
			pb[i].is_null = pnull;
			break;
		}
	}
	return nparams > 0 && mysql_stmt_bind_param(st, pb) != 0 ? -1 : 0;
}

/* One statement's result: the column buffers bound (db->colbuf), what a row fetched. */
struct db_res {
	MYSQL_BIND rb[BPG_DB_MAX_COLS];
	unsigned long lens[BPG_DB_MAX_COLS];
	my_bool nulls[BPG_DB_MAX_COLS];
	const char *cols[BPG_DB_MAX_COLS];
	unsigned ncols;
};

/* Points the result binds at db's column buffers (allocated on first use). BPG_ENOMEM. */
static enum bpg_err
res_buffers(struct bpg_db *db, struct db_res *r)
{
	for (unsigned i = 0; i < r->ncols; i++) {
		if (db->colbuf[i] == NULL) {
			if ((db->colbuf[i] = malloc(DB_COL_INITIAL)) == NULL)
				return BPG_ENOMEM;
			db->colcap[i] = DB_COL_INITIAL;
		}
		r->rb[i].buffer_type = MYSQL_TYPE_STRING;
		r->rb[i].buffer = db->colbuf[i];
		r->rb[i].buffer_length = (unsigned long)db->colcap[i] - 1;
		r->rb[i].length = &r->lens[i];
		r->rb[i].is_null = &r->nulls[i];
	}
	return BPG_OK;
}

/*
 * Sets r->cols for the fetched row, fetching a truncated column again whole into its grown
 * buffer (*grown set). BPG_OK, BPG_ENOMEM, or BPG_EINTERNAL for a MySQL error (st says).
 */
static enum bpg_err
res_columns(struct bpg_db *db, MYSQL_STMT *st, struct db_res *r, int *grown)
{
	for (unsigned i = 0; i < r->ncols; i++) {
		unsigned long len = r->lens[i];
		if (r->nulls[i]) {
			r->cols[i] = NULL;
			continue;
		}
		if (len >= r->rb[i].buffer_length) {   /* truncated: fetch it whole */
			char *nb = realloc(db->colbuf[i], len + 1);
			if (nb == NULL)
				return BPG_ENOMEM;
			db->colbuf[i] = nb;
			db->colcap[i] = len + 1;
			*grown = 1;
			r->rb[i].buffer = nb;
			r->rb[i].buffer_length = len;
			if (mysql_stmt_fetch_column(st, &r->rb[i], i, 0) != 0)
				return BPG_EINTERNAL;
		}
		db->colbuf[i][len] = '\0';
		r->cols[i] = db->colbuf[i];
	}
	return BPG_OK;
}

/*
 * Fetches every row into fn (until it fails). *sqlerr set when MySQL failed (st says why).
 * Later rows are fetched into grown buffers: bound again only then.
 */
static enum bpg_err
res_fetch(struct bpg_db *db, MYSQL_STMT *st, struct db_res *r, bpg_db_row_fn fn, void *ctx,
    int *sqlerr)
{
	enum bpg_err err = BPG_OK;
	int rc;

	while (err == BPG_OK && (rc = mysql_stmt_fetch(st)) != MYSQL_NO_DATA) {
		int grown = 0;
		if (rc == 1 || (err = res_columns(db, st, r, &grown)) == BPG_EINTERNAL) {
			*sqlerr = 1;
			return BPG_EINTERNAL;
		}
		if (err != BPG_OK)
			return err;
		if (fn != NULL)
			err = fn(ctx, r->ncols, r->cols, r->lens);
		if (grown && res_buffers(db, r) == BPG_OK && mysql_stmt_bind_result(st, r->rb) != 0) {
			*sqlerr = 1;
			return BPG_EINTERNAL;
		}
	}
	return err;
}

/* The error of a failed MySQL call on st: duplicate key, connection lost, else logged. */
static enum bpg_err
stmt_error(struct bpg_db *db, MYSQL_STMT *st, unsigned *errno_out)
{
	*errno_out = mysql_stmt_errno(st);
	snprintf(db->last_error, sizeof(db->last_error), "%s (errno %u)", mysql_stmt_error(st),
	    *errno_out);
	if (*errno_out == 1062 /* ER_DUP_ENTRY */)
		return BPG_ECONFLICT;
	if (db_conn_lost(*errno_out))
		return BPG_EUNAVAIL;
	bpg_log(BPG_LOG_ERROR, "db", "statement failed", "error", db->last_error, NULL);
	return BPG_EINTERNAL;
}

/*
 * After a statement: rows left unread (a callback stopped early) are read off before the
 * next execute (no mysql_stmt_reset(): a round trip to the server nothing here needs), and
 * a big value's buffer is given back.
 */
static void
res_finish(struct bpg_db *db, MYSQL_STMT *st, unsigned ncols, enum bpg_err err)
{
	int rc;

	if (err != BPG_OK && ncols > 0)
		while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
			;
	(void)mysql_stmt_free_result(st);
	for (unsigned i = 0; i < ncols && i < BPG_DB_MAX_COLS; i++) {
		if (db->colcap[i] > DB_COL_KEEP) {
			free(db->colbuf[i]);
			db->colbuf[i] = NULL;
			db->colcap[i] = 0;
		}
	}
}

/* Executes st with params, each result row to fn; *errno_out: MySQL's errno on failure. */
static enum bpg_err
db_run(struct bpg_db *db, MYSQL_STMT *st, const struct bpg_db_val *params, unsigned nparams,
    bpg_db_row_fn fn, void *ctx, unsigned long long *affected_out, unsigned *errno_out)
{
	MYSQL_BIND pb[BPG_DB_MAX_PARAMS];
	my_bool pnull = 1;
	struct db_res r;
	enum bpg_err err = BPG_EINTERNAL;
	int sqlerr = 0;

	*errno_out = 0;
	if (nparams > BPG_DB_MAX_PARAMS || mysql_stmt_param_count(st) != nparams) {
		bpg_log(BPG_LOG_ERROR, "db", "parameter count mismatch", NULL);
		return BPG_EINTERNAL;
	}
	r.ncols = 0;
	if (bind_params(st, params, nparams, pb, &pnull) != 0 || mysql_stmt_execute(st) != 0) {
		sqlerr = 1;
		goto out;
	}
	if (affected_out != NULL)
		*affected_out = (unsigned long long)mysql_stmt_affected_rows(st);
	/* the column count, not mysql_stmt_result_metadata(): that copies every field's
	 * metadata into a new MYSQL_RES on each call */
	if ((r.ncols = mysql_stmt_field_count(st)) == 0) {
		err = BPG_OK;
		goto out;
	}
	if (r.ncols > BPG_DB_MAX_COLS) {
		bpg_log(BPG_LOG_ERROR, "db", "too many result columns", NULL);
		goto out;
	}
	memset(r.rb, 0, sizeof(r.rb));
	if ((err = res_buffers(db, &r)) != BPG_OK)
		goto out;
	if (mysql_stmt_bind_result(st, r.rb) != 0)
		sqlerr = 1;
	else
		err = res_fetch(db, st, &r, fn, ctx, &sqlerr);
out:
	if (sqlerr)
		err = stmt_error(db, st, errno_out);
	res_finish(db, st, r.ncols, err);
	return err;
}

/* True when sql only reads, so running it again after a lost connection is harmless. */
static int
db_is_read(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	return strncasecmp(sql, "SELECT", 6) == 0;
}

enum bpg_err
bpg_db_exec(struct bpg_db *db, const char *sql, const struct bpg_db_val *params,
    unsigned nparams, bpg_db_row_fn fn, void *ctx, unsigned long long *affected_out)
{
	enum bpg_err err = BPG_EUNAVAIL;
	long long t0 = bpg_time_mono_us();
	MYSQL_STMT *st;
	unsigned e;

	if (db->conn != NULL && !db_is_read(sql) && t0 - db->last_ok_us > DB_IDLE_CHECK_US &&
	    mysql_ping(db->conn) != 0) {
		/*
		 * A write cannot be sent again once its connection broke (it may have run), so an
		 * idle connection is checked first: after a server restart the first write of each
		 * worker then runs on a new session instead of failing.
		 */
		bpg_log(BPG_LOG_INFO, "db", "idle connection lost, reconnecting before a write",
		    "error", mysql_error(db->conn), NULL);
		db_close(db);
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		db->last_error[0] = '\0';
		if (db->conn == NULL && (err = db_connect(db)) != BPG_OK)
			return err;
		err = db_prepare(db, sql, &st, &e);
		if (err == BPG_OK) {
			err = db_run(db, st, params, nparams, fn, ctx, affected_out, &e);
			db_unprepare(db, st);
			if (err != BPG_EUNAVAIL || !db_is_read(sql))
				break;
		}
		if (err != BPG_EUNAVAIL)
			break;
		bpg_log(BPG_LOG_INFO, "db", "connection lost, reconnecting", "error", db->last_error,
		    NULL);
		db_close(db);
	}
	if (err == BPG_EUNAVAIL)
		db_close(db);
	else
		db->last_ok_us = t0;
	bpg_depcall_done(BPG_DEP_DB, 0, err == BPG_OK || err == BPG_ECONFLICT ||
	    err == BPG_ENOTFOUND, t0);
	return err;
}

/* Reads one integer column of the first row into *(long long *)ctx (-1 for NULL). */
static enum bpg_err
db_first_int(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	(void)lens;
	*(long long *)ctx = ncols > 0 && cols[0] != NULL ? strtoll(cols[0], NULL, 10) : -1;
	return BPG_OK;
}

enum bpg_err
bpg_db_lock(struct bpg_db *db, const char *name, int timeout_s)
{
	static const char get_sql[] = "SELECT GET_LOCK(?, ?)";
	static const char rel_sql[] = "SELECT RELEASE_LOCK(?)";
	struct bpg_db_val p[2] = { bpg_db_str(name), bpg_db_int(timeout_s) };
	long long got = -1;
	enum bpg_err err;

	if (timeout_s > 0)
		err = bpg_db_exec(db, get_sql, p, 2, db_first_int, &got, NULL);
	else
		err = bpg_db_exec(db, rel_sql, p, 1, db_first_int, &got, NULL);
	if (err != BPG_OK)
		return err;
	return got == 1 ? BPG_OK : BPG_ECONFLICT;
}

enum bpg_err
bpg_db_exec_one(struct bpg_db *db, const char *sql, const struct bpg_db_val *params,
    unsigned nparams)
{
	unsigned long long affected = 0;
	enum bpg_err err = bpg_db_exec(db, sql, params, nparams, NULL, NULL, &affected);

	if (err != BPG_OK)
		return err;
	return affected == 1 ? BPG_OK : BPG_ECONFLICT;
}

enum bpg_err
bpg_db_exec_once(struct bpg_db *db, const char *sql, const struct bpg_db_val *params,
    unsigned nparams, bpg_db_row_fn fn, void *ctx)
{
	MYSQL_STMT *st;
	enum bpg_err err;
	unsigned e;

	if (db->conn == NULL && (err = db_connect(db)) != BPG_OK)
		return err;
	if ((st = mysql_stmt_init(db->conn)) == NULL)
		return BPG_ENOMEM;
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		snprintf(db->last_error, sizeof(db->last_error), "%s (errno %u)", mysql_stmt_error(st),
		    mysql_stmt_errno(st));
		mysql_stmt_close(st);
		return BPG_EINTERNAL;
	}
	err = db_run(db, st, params, nparams, fn, ctx, NULL, &e);
	mysql_stmt_close(st);
	return err;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the NNNN_*.sql names in dir, sorted; free each and the array. */
static enum bpg_err
migration_files(const char *dir, char ***out, size_t *n_out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;

	if (d == NULL)
		return BPG_EIO;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 9 || strspn(de->d_name, "0123456789") != 4 || de->d_name[4] != '_' ||
		    strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL ||
		    (nv[n] = strdup(de->d_name)) == NULL) {
			if (nv != NULL)
				v = nv;
			closedir(d);
			for (size_t i = 0; i < n; i++)
				free(v[i]);
			free(v);
			return BPG_ENOMEM;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	*n_out = n;
	return BPG_OK;
}

static enum bpg_err
count_row(void *ctx, unsigned ncols, const char *const *cols, const unsigned long *lens)
{
	(void)ncols;
	(void)cols;
	(void)lens;
	(*(int *)ctx)++;
	return BPG_OK;
}

/* Runs each statement of text (split at ';' that ends a line, "--" comments kept). */
static enum bpg_err
migrate_text(struct bpg_db *db, const char *name, char *text)
{
	char *p = text, *end;
	enum bpg_err err;

	while (*p) {
		char *s;
		end = strstr(p, ";\n");
		if (end == NULL)
			end = p + strlen(p);
		else
			*end++ = '\0';
		s = p;
		p = *end ? end + 1 : end;
		/* skip statements that are only white space and comments */
		{
			const char *q = s;
			int real = 0;
			while (*q) {
				if (q[0] == '-' && q[1] == '-') {
					q = strchr(q, '\n');
					if (q == NULL)
						break;
				} else if (*q != ' ' && *q != '\n' && *q != '\t' && *q != '\r' && *q != ';') {
					real = 1;
					break;
				}
				q++;
			}
			if (!real)
				continue;
		}
		if ((err = bpg_db_exec_once(db, s, NULL, 0, NULL, NULL)) != BPG_OK) {
			fprintf(stderr, "%s: %s\n", name, db->last_error);
			return err;
		}
	}
	return BPG_OK;
}

enum bpg_err
bpg_db_migrate(struct bpg_db *db, const char *dir, int *applied_out)
{
	static const char create[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version VARCHAR(64) NOT NULL PRIMARY KEY, "
	    "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)";
	static const char probe[] = "SELECT 1 FROM schema_migrations LIMIT 1";
	static const char seen_sql[] = "SELECT 1 FROM schema_migrations WHERE version = ?";
	static const char record_sql[] = "INSERT INTO schema_migrations (version) VALUES (?)";
	struct bpg_buf path, text;
	char **files = NULL, version[64];
	size_t n = 0;
	enum bpg_err err;

	*applied_out = 0;
	bpg_buf_init(&path, 4096);
	bpg_buf_init(&text, (size_t)4 << 20);
	/* a migrate with nothing to apply needs only SELECT: CREATE only when the table is missing */
	if (bpg_db_exec_once(db, probe, NULL, 0, NULL, NULL) != BPG_OK &&
	    (err = bpg_db_exec_once(db, create, NULL, 0, NULL, NULL)) != BPG_OK) {
		fprintf(stderr, "schema_migrations: %s\n", db->last_error);
		goto out;
	}
	if ((err = migration_files(dir, &files, &n)) != BPG_OK) {
		fprintf(stderr, "%s: cannot list migrations\n", dir);
		goto out;
	}
	for (size_t i = 0; i < n && err == BPG_OK; i++) {
		struct bpg_db_val v;
		char chunk[8192];
		size_t got;
		int seen = 0;
		FILE *fp;

		snprintf(version, sizeof(version), "%.*s", (int)(strlen(files[i]) - 4), files[i]);
		v = bpg_db_str(version);
		if ((err = bpg_db_exec_once(db, seen_sql, &v, 1, count_row, &seen)) != BPG_OK || seen)
			continue;
		bpg_buf_reset(&path);
		bpg_buf_reset(&text);
		if ((err = bpg_buf_printf(&path, "%s/%s", dir, files[i])) != BPG_OK)
			break;
		if ((fp = fopen(path.data, "r")) == NULL) {
			err = BPG_EIO;
			break;
		}
		while (err == BPG_OK && (got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			err = bpg_buf_append(&text, chunk, got);
		fclose(fp);
		if (err != BPG_OK || (text.data != NULL &&
		    (err = migrate_text(db, files[i], text.data)) != BPG_OK))
			break;
		if ((err = bpg_db_exec_once(db, record_sql, &v, 1, NULL, NULL)) != BPG_OK)
			break;
		printf("applied %s\n", version);
		(*applied_out)++;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	bpg_buf_release(&path);
	bpg_buf_release(&text);
	return err;
}

/* ---- claims: a named lock this session holds while it lives ---- */

/*
 * Takes a fresh named lock for this connection. Its name is random, so a lock left by a
 * session that ended (worker killed, connection lost, server restarted) is never taken again:
 * a free claim means its holder is gone. On failure no claim is held (logged).
 */
static void
db_take_claim(struct bpg_db *db)
{
	static const char sql[] = "SELECT GET_LOCK(?, 0)";
	unsigned char b[12];
	char name[sizeof(db->claim)];
	struct bpg_db_val p[1];
	long long got = -1;
	size_t n;

	db->claim[0] = '\0';
	if (RAND_bytes(b, sizeof(b)) != 1) {
		bpg_log(BPG_LOG_WARN, "db", "no random bytes for a claim", NULL);
		return;
	}
	n = (size_t)snprintf(name, sizeof(name), "bpg.claim.");
	for (size_t i = 0; i < sizeof(b) && n + 2 < sizeof(name); i++)
		n += (size_t)snprintf(name + n, sizeof(name) - n, "%02x", b[i]);
	p[0] = bpg_db_str(name);
	if (bpg_db_exec_once(db, sql, p, 1, db_first_int, &got) != BPG_OK || got != 1) {
		bpg_log(BPG_LOG_WARN, "db", "cannot take the session's claim lock", NULL);
		return;
	}
	memcpy(db->claim, name, n + 1);
}

void
bpg_db_enable_claims(struct bpg_db *db)
{
	db->claims = 1;
	if (db->conn != NULL && db->claim[0] == '\0')
		db_take_claim(db);
}

const char *
bpg_db_claim(struct bpg_db *db)
{
	if (!db->claims)
		return NULL;
	if (db->conn == NULL && db_connect(db) != BPG_OK)
		return NULL;
	return db->claim[0] != '\0' ? db->claim : NULL;
}

enum bpg_err
bpg_db_claim_alive(struct bpg_db *db, const char *name, int *alive_out)
{
	static const char sql[] = "SELECT IS_USED_LOCK(?)";
	struct bpg_db_val p[1] = { bpg_db_str(name) };
	long long holder = -1;
	enum bpg_err err;

	if (name == NULL || name[0] == '\0') {
		*alive_out = 0;
		return BPG_OK;
	}
	if ((err = bpg_db_exec(db, sql, p, 1, db_first_int, &holder, NULL)) != BPG_OK)
		return err;
	*alive_out = holder >= 0;
	return BPG_OK;
}
