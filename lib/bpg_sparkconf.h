/* bpg_sparkconf: case-preserving Spark conf files (spark-defaults.conf format). */
#ifndef BPG_SPARKCONF_H
#define BPG_SPARKCONF_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_err.h"

#define BPG_SPARKCONF_MAX_FILE  (1u << 20)   /* bytes */
#define BPG_SPARKCONF_MAX_LINE  8192
#define BPG_SPARKCONF_MAX_ITEMS 4096

struct bpg_kv {
	char *key;
	char *value;
};

/* An ordered list of Spark conf entries; keys keep their case and are unique. */
struct bpg_sparkconf {
	struct bpg_kv *items;
	size_t n;
};

/*
 * Parses text in spark-defaults.conf format: one "key value" or "key=value" per line, '#'
 * comments, blank lines ignored, the key and value trimmed. name is used in messages.
 * On failure appends "name:line: message" lines to errors and returns BPG_ECONFIG.
 * The result is released with bpg_sparkconf_release().
 */
enum bpg_err bpg_sparkconf_parse(const char *name, const char *text, size_t len,
    struct bpg_sparkconf *out, struct bpg_buf *errors);

/* Reads and parses the file at path (at most BPG_SPARKCONF_MAX_FILE bytes). */
enum bpg_err bpg_sparkconf_load(const char *path, struct bpg_sparkconf *out,
    struct bpg_buf *errors);

/* Returns the value for key (exact, case-sensitive), or NULL. */
const char *bpg_sparkconf_get(const struct bpg_sparkconf *conf, const char *key);

/* Frees every entry; conf is empty afterwards. */
void bpg_sparkconf_release(struct bpg_sparkconf *conf);

#endif
