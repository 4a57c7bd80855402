/* bpg_db: the worker's one MySQL/MariaDB connection, opened lazily and reopened when lost. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>
#include "bpg_buf.h"
#include "bpg_db.h"
#include "bpg_log.h"

#define DB_PASSWORD_MAX 1024

struct bpg_db {
	const struct bpg_database_conf *conf;
	MYSQL *conn;      /* NULL while disconnected */
	char last_error[256];
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
	if (db->conn != NULL) {
		mysql_close(db->conn);
		db->conn = NULL;
	}
}

void
bpg_db_free(struct bpg_db *db)
{
	if (db == NULL)
		return;
	db_close(db);
	free(db);
}

/* Reads the password file into pw (wiped by the caller); strips one trailing newline. */
static enum bpg_err
db_read_password(struct bpg_db *db, struct bpg_buf *pw)
{
	char chunk[256];
	size_t n;
	FILE *fp = fopen(db->conf->password_file, "r");

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
	if (c->password_file != NULL && db_read_password(db, &pw) != BPG_OK)
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
	    mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0) {
		snprintf(db->last_error, sizeof(db->last_error), "mysql_options failed");
		goto out;
	}
	if (mysql_real_connect(db->conn, c->socket ? NULL : c->host, c->user,
	    c->password_file ? (pw.data ? pw.data : "") : c->password, c->name,
	    (unsigned)c->port, c->socket, 0) == NULL) {
		snprintf(db->last_error, sizeof(db->last_error), "%s (errno %u)",
		    mysql_error(db->conn), mysql_errno(db->conn));
		bpg_log(BPG_LOG_WARN, "db", "connect failed", "error", db->last_error, NULL);
		goto out;
	}
	err = BPG_OK;
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
