/*
 * observe-tool: feeds one SparkApplication (JSON on stdin) to the real write paths of an
 * observation, so integration tests can replay the operator's status objects in any order
 * (an older observation arriving after a newer one) against the stack's MariaDB.
 *   observe-tool CONFIG gateway ID   bpg_appstate_observe + bpg_subdb_observe (/status)
 *   observe-tool CONFIG monitor ID   bpg_reconcile_observe + a batch of one (bpg-monitor)
 * Prints "applied=N" (rows that took it). Exit 0, or 1 with the reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_reconcile.h"
#include "bpg_recstore.h"
#include "bpg_subdb.h"

#define CR_MAX (1 << 20)

/* Reads stdin (at most CR_MAX bytes) as JSON; NULL on failure. */
static cJSON *
read_cr(void)
{
	static char buf[CR_MAX + 1];
	size_t n = fread(buf, 1, CR_MAX, stdin);

	if (ferror(stdin) || n == CR_MAX)
		return NULL;
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

/* Writes cr for row id the way mode's writer does; *applied_out: rows that took it. */
static enum bpg_err
observe(struct bpg_db *db, const char *mode, const char *id, const cJSON *cr,
    unsigned long long *applied_out)
{
	struct bpg_sub_row obs;
	struct bpg_reconcile_batch b;
	int applied = 0;
	enum bpg_err err;

	bpg_sub_row_init(&obs);
	bpg_reconcile_batch_init(&b);
	if (strcmp(mode, "gateway") == 0) {
		err = bpg_appstate_observe(cr, &obs);
		if (err == BPG_OK && (obs.submission_id = strdup(id)) == NULL)
			err = BPG_ENOMEM;
		if (err == BPG_OK && (err = bpg_subdb_observe(db, &obs, &applied)) == BPG_OK)
			*applied_out = (unsigned long long)applied;
	} else {
		err = bpg_reconcile_observe(cr, (long long)time(NULL) * 1000, &obs);
		if (err == BPG_OK && (obs.submission_id = strdup(id)) == NULL)
			err = BPG_ENOMEM;
		if (err == BPG_OK)
			err = bpg_reconcile_batch_add(&b, &obs);
		if (err == BPG_OK)
			err = bpg_recstore_batch_write(db, &b, applied_out);
	}
	bpg_reconcile_batch_release(&b);
	bpg_sub_row_release(&obs);
	return err;
}

int
main(int argc, char **argv)
{
	struct bpg_config *cfg = NULL;
	struct bpg_db *db = NULL;
	struct bpg_buf errors;
	cJSON *cr = NULL;
	unsigned long long applied = 0;
	enum bpg_err err;
	int rc = 1;

	if (argc != 4 || (strcmp(argv[2], "gateway") != 0 && strcmp(argv[2], "monitor") != 0)) {
		fprintf(stderr, "usage: observe-tool CONFIG gateway|monitor ID < CR.json\n");
		return 1;
	}
	bpg_buf_init(&errors, 0);
	if (bpg_config_load(argv[1], &cfg, &errors) != BPG_OK) {
		fprintf(stderr, "%s", errors.data ? errors.data : "invalid config\n");
		goto out;
	}
	if ((cr = read_cr()) == NULL) {
		fprintf(stderr, "observe-tool: stdin is not a JSON object\n");
		goto out;
	}
	if (bpg_db_new(&cfg->database, &db) != BPG_OK) {
		fprintf(stderr, "observe-tool: out of memory\n");
		goto out;
	}
	if ((err = observe(db, argv[2], argv[3], cr, &applied)) != BPG_OK) {
		fprintf(stderr, "observe-tool: %s (%s)\n", bpg_err_str(err), bpg_db_last_error(db));
		goto out;
	}
	printf("applied=%llu\n", applied);
	rc = 0;
out:
	cJSON_Delete(cr);
	bpg_db_free(db);
	bpg_config_free(cfg);
	bpg_buf_release(&errors);
	return rc;
}
