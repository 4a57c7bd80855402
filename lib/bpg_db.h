/* bpg_db: the worker's one MySQL/MariaDB connection, opened lazily and reopened when lost. */
#ifndef BPG_DB_H
#define BPG_DB_H

#include "bpg_config.h"
#include "bpg_err.h"

struct bpg_db;

/* Allocates a handle for conf (kept by reference); does not connect. Free with bpg_db_free(). */
enum bpg_err bpg_db_new(const struct bpg_database_conf *conf, struct bpg_db **out);

/*
 * Connects as another account than the config's (migrations): user, and the password read
 * from password_file (NULL: none). Both are copied. Call before the first statement.
 */
enum bpg_err bpg_db_set_account(struct bpg_db *db, const char *user, const char *password_file);

/* Closes the connection and frees the handle; NULL is a no-op. */
void bpg_db_free(struct bpg_db *db);

/*
 * Makes sure the connection is up: connects if needed, pings, and reconnects once if the
 * ping finds it lost. Returns BPG_OK or BPG_EUNAVAIL; on failure the reason (MySQL's
 * message, never a password) is in bpg_db_last_error().
 */
enum bpg_err bpg_db_ping(struct bpg_db *db);

/* The last connection error text, "" if none. Valid until the next call on db. */
const char *bpg_db_last_error(const struct bpg_db *db);

/* A statement parameter. */
enum bpg_db_type { BPG_DB_NULL = 0, BPG_DB_STR, BPG_DB_INT };
struct bpg_db_val {
	enum bpg_db_type type;
	const char *s;        /* BPG_DB_STR: bytes (need not be NUL-terminated) */
	size_t len;
	long long i;          /* BPG_DB_INT */
};

/* A NULL s becomes SQL NULL. */
struct bpg_db_val bpg_db_str(const char *s);
struct bpg_db_val bpg_db_int(long long i);
struct bpg_db_val bpg_db_null(void);

/*
 * Called once per result row: cols[i] is the column as text (NUL-terminated) or NULL for SQL
 * NULL. Return BPG_OK to go on; any other code stops and is returned by bpg_db_exec.
 */
typedef enum bpg_err (*bpg_db_row_fn)(void *ctx, unsigned ncols, const char *const *cols,
    const unsigned long *lens);

#define BPG_DB_MAX_PARAMS 40
#define BPG_DB_MAX_COLS   48

/*
 * Runs sql (a string constant: prepared statements are cached per connection by its
 * address) with params, calling fn for each row when fn is not NULL. Connects if needed and,
 * when the connection turns out lost before the statement ran, reconnects once.
 * Returns BPG_OK; BPG_ECONFLICT for a duplicate key; BPG_EUNAVAIL when the database is
 * down; BPG_EINTERNAL for an SQL error (logged with MySQL's errno). *affected_out (may be
 * NULL) gets the affected row count of a write.
 */
enum bpg_err bpg_db_exec(struct bpg_db *db, const char *sql, const struct bpg_db_val *params,
    unsigned nparams, bpg_db_row_fn fn, void *ctx, unsigned long long *affected_out);

/* bpg_db_exec of a write that must change exactly one row: BPG_ECONFLICT when it changed none. */
enum bpg_err bpg_db_exec_one(struct bpg_db *db, const char *sql, const struct bpg_db_val *params,
    unsigned nparams);

/*
 * Like bpg_db_exec for a statement that is not a constant (migrations): prepared,
 * executed once and closed, never cached. No reconnect.
 */
enum bpg_err bpg_db_exec_once(struct bpg_db *db, const char *sql, const struct bpg_db_val *params,
    unsigned nparams, bpg_db_row_fn fn, void *ctx);

/*
 * Applies every "NNNN_name.sql" file of dir not yet recorded in schema_migrations (created
 * if absent), in name order, each statement (split at ';' ending a line) prepared and run,
 * then records it. Prints one line per applied file to stdout. Needs DDL rights.
 */
enum bpg_err bpg_db_migrate(struct bpg_db *db, const char *dir, int *applied_out);

/*
 * Takes (timeout_s > 0) or releases (timeout_s == 0) the MySQL named lock name on this
 * connection. Returns BPG_OK when taken/released, BPG_ECONFLICT when another holds it.
 */
enum bpg_err bpg_db_lock(struct bpg_db *db, const char *name, int timeout_s);

/*
 * Claims. A worker enables them once: from then on every connection (and every reconnect)
 * takes a named lock with a new random name that it holds while the session lives. A row
 * records the claim of the worker handling it (bpg_db_claim); anyone can later ask whether
 * that worker is still there (bpg_db_claim_alive), without any timing guess: a killed worker's
 * session ends and its lock is freed at once.
 */
void bpg_db_enable_claims(struct bpg_db *db);

/* The current session's claim name, connecting first if needed; NULL when none is held. */
const char *bpg_db_claim(struct bpg_db *db);

/* *alive_out = 1 when some session holds the claim name (NULL or "": 0). BPG_EUNAVAIL. */
enum bpg_err bpg_db_claim_alive(struct bpg_db *db, const char *name, int *alive_out);

#endif
