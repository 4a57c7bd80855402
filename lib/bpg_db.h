/* bpg_db: the worker's one MySQL/MariaDB connection, opened lazily and reopened when lost. */
#ifndef BPG_DB_H
#define BPG_DB_H

#include "bpg_config.h"
#include "bpg_err.h"

struct bpg_db;

/* Allocates a handle for conf (kept by reference); does not connect. Free with bpg_db_free(). */
enum bpg_err bpg_db_new(const struct bpg_database_conf *conf, struct bpg_db **out);

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

#endif
