/*
 * bpg_confcheck: the rules of a configuration being loaded: the raw file's pre-scan (what
 * iniparser hides) and the rules across sections. bpg_config's helpers: no other caller.
 */
#ifndef BPG_CONFCHECK_H
#define BPG_CONFCHECK_H

#include <iniparser.h>
#include "bpg_buf.h"
#include "bpg_config.h"

/* The state of one load: where messages go and what is being read. */
struct bpg_confload {
	const char *path;
	char *dir;                 /* folder of the INI, for relative paths */
	const dictionary *ini;
	struct bpg_buf *errors;
	int nerr;
	int nomem;
};

/* Records one problem in ld->errors: "FILE: [SECTION] KEY: message" (sec, key may be NULL). */
void bpg_confcheck_error(struct bpg_confload *ld, const char *sec, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Reads the raw file once for what iniparser hides: sections and keys given twice, keys
 * outside a section, cluster ids with capitals or '-'. Reports "FILE:LINE: ..." (ld->nerr
 * counts them); ld->nomem on a failed allocation.
 */
void bpg_confcheck_prescan(struct bpg_confload *ld, const char *text);

/* The rules across sections of the loaded cfg (prefixes, clusters, queues, uploads, grants). */
void bpg_confcheck_rules(struct bpg_confload *ld, struct bpg_config *cfg);

#endif
