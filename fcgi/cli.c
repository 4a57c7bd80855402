/* bpg-fcgi's one-shot commands: --check-config, --show-config, --migrate, --queue-token. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>
#include "bpg_fcgi.h"
#include "bpg_time.h"

#ifndef BPG_SQL_DIR_DEFAULT
#define BPG_SQL_DIR_DEFAULT "/usr/local/share/bpg/sql"
#endif

#define TOKEN_TTL_DEFAULT 3600L
#define TOKEN_TTL_MAX     (366L * 24 * 3600)

struct bpg_config *
bpg_cli_load(const char *path)
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

/* --check-config, --show-config. */
static int
check_or_show(const char *path, int show)
{
	struct bpg_config *cfg = bpg_cli_load(path);
	struct bpg_buf dump;
	int rc = 0;

	if (cfg == NULL)
		return 1;
	bpg_buf_init(&dump, 0);
	if (!show)
		puts("OK");
	else if (bpg_config_dump(cfg, &dump) == BPG_OK)
		fputs(dump.data ? dump.data : "", stdout);
	else
		rc = 1;
	bpg_buf_release(&dump);
	bpg_config_free(cfg);
	return rc;
}

/* The database to migrate, as the config's account or the admin's; NULL on failure. */
static struct bpg_db *
migrate_db(const struct bpg_config *cfg)
{
	const char *admin = getenv("BPG_DB_ADMIN_USER");
	struct bpg_db *db = NULL;

	if (bpg_db_new(&cfg->database, &db) != BPG_OK)
		return NULL;
	if (admin != NULL && *admin != '\0' &&
	    bpg_db_set_account(db, admin, getenv("BPG_DB_ADMIN_PASSWORD_FILE")) != BPG_OK) {
		bpg_db_free(db);
		return NULL;
	}
	if (bpg_db_ping(db) != BPG_OK) {
		fprintf(stderr, "bpg-fcgi: database unavailable: %s\n", bpg_db_last_error(db));
		bpg_db_free(db);
		return NULL;
	}
	return db;
}

/* --migrate: applies sql/ migrations with the config's database (or an admin account). */
static int
migrate(const char *path, const char *sql_dir)
{
	struct bpg_config *cfg = bpg_cli_load(path);
	struct bpg_db *db;
	int applied = 0, rc = 1;

	if (cfg == NULL)
		return 1;
	if (sql_dir == NULL || *sql_dir == '\0')
		sql_dir = getenv("BPG_SQL_DIR");
	if (sql_dir == NULL || *sql_dir == '\0')
		sql_dir = BPG_SQL_DIR_DEFAULT;
	db = migrate_db(cfg);
	if (db != NULL && bpg_db_migrate(db, sql_dir, &applied) == BPG_OK) {
		printf("migrations: %d applied, schema up to date\n", applied);
		rc = 0;
	} else if (db != NULL) {
		fprintf(stderr, "bpg-fcgi: migration failed (%d applied before it)\n", applied);
	}
	bpg_db_free(db);
	bpg_config_free(cfg);
	return rc;
}

/* The claims of a queue token: {"iss","allowedQueues":[queue],"iat","exp"[,"sub"]}. */
static char *
token_claims(const struct bpg_config *cfg, const char *queue, const char *user, long ttl)
{
	cJSON *c = cJSON_CreateObject(), *q = cJSON_CreateArray();
	long long now = bpg_time_now_ms() / 1000;
	char *text = NULL;

	if (c == NULL || q == NULL || !cJSON_AddItemToObject(c, "allowedQueues", q)) {
		cJSON_Delete(q);
		goto out;
	}
	if (cJSON_AddStringToObject(c, "iss", cfg->auth.queue_token_issuers.n > 0 ?
	    cfg->auth.queue_token_issuers.v[0] : "admin") == NULL ||
	    !cJSON_AddItemToArray(q, cJSON_CreateString(queue)) ||
	    cJSON_AddNumberToObject(c, "iat", (double)now) == NULL ||
	    cJSON_AddNumberToObject(c, "exp", (double)(now + ttl)) == NULL ||
	    (user != NULL && cJSON_AddStringToObject(c, "sub", user) == NULL))
		goto out;
	text = cJSON_PrintUnformatted(c);
out:
	cJSON_Delete(c);
	return text;
}

/* --queue-token QUEUE: prints an HS256 token for QUEUE signed with the first secret. */
static int
queue_token(const char *path, const char *queue, const char *user, long ttl)
{
	struct bpg_config *cfg = bpg_cli_load(path);
	struct bpg_jwt_secrets secrets = { { NULL }, 0 };
	const struct bpg_queue *q;
	struct bpg_buf tok;
	char why[256] = "", *claims = NULL;
	int rc = 1;

	bpg_buf_init(&tok, BPG_JWT_MAX);
	if (cfg == NULL)
		goto out;
	if ((q = bpg_config_queue(cfg, queue)) == NULL) {
		fprintf(stderr, "bpg-fcgi: %s: no [queue.%s] in the config\n", path, queue);
		goto out;
	}
	if (!q->secure)
		fprintf(stderr, "bpg-fcgi: note: queue %s is not secure; it needs no token\n", queue);
	if (cfg->auth.queue_token_secrets_file == NULL) {
		fprintf(stderr, "bpg-fcgi: %s: [auth] queue_token_secrets_file is not set\n", path);
		goto out;
	}
	if (bpg_jwt_secrets_load(cfg->auth.queue_token_secrets_file, &secrets, why,
	    sizeof(why)) != BPG_OK || secrets.n == 0) {
		fprintf(stderr, "bpg-fcgi: %s\n", secrets.n == 0 && why[0] == '\0' ?
		    "queue token secrets: the file holds none" : why);
		goto out;
	}
	if ((claims = token_claims(cfg, q->name, user, ttl)) == NULL ||
	    bpg_jwt_sign_hs256(claims, secrets.v[0], &tok) != BPG_OK) {
		fprintf(stderr, "bpg-fcgi: cannot make the token\n");
		goto out;
	}
	printf("%.*s\n", (int)tok.len, tok.data);
	rc = 0;
out:
	free(claims);
	bpg_buf_release(&tok);
	bpg_jwt_secrets_release(&secrets);
	bpg_config_free(cfg);
	return rc;
}

static int
parse_ttl(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > TOKEN_TTL_MAX)
		return -1;
	*out = v;
	return 0;
}

int
bpg_cli_run(const struct bpg_cli *cli)
{
	const char *path = bpg_config_path(cli->config, cli->file);
	long ttl = TOKEN_TTL_DEFAULT;

	switch (cli->mode) {
	case BPG_CLI_CHECK:
		return check_or_show(path, 0);
	case BPG_CLI_SHOW:
		return check_or_show(path, 1);
	case BPG_CLI_MIGRATE:
		return migrate(path, cli->sql_dir);
	case BPG_CLI_QUEUE_TOKEN:
		if (cli->ttl != NULL && parse_ttl(cli->ttl, &ttl) != 0) {
			fprintf(stderr, "bpg-fcgi: --ttl wants seconds in 1..%ld\n", TOKEN_TTL_MAX);
			return 2;
		}
		return queue_token(path, cli->queue, cli->user, ttl);
	case BPG_CLI_SERVE:
		break;
	}
	return 2;
}
