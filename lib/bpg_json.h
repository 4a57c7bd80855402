/* bpg_json: cJSON parsing with limits, printing into buffers, the error body. */
#ifndef BPG_JSON_H
#define BPG_JSON_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_buf.h"
#include "bpg_err.h"

#define BPG_JSON_MAX_DEPTH 32

/*
 * Parses len bytes of JSON (which need not be NUL-terminated) into *out, rejecting
 * invalid UTF-8, nesting deeper than BPG_JSON_MAX_DEPTH and trailing non-space bytes.
 * On BPG_EINVAL writes a short reason into why. Free *out with cJSON_Delete().
 */
enum bpg_err bpg_json_parse(const char *text, size_t len, cJSON **out, struct bpg_why *why);

/* Flags of bpg_json_parse_flags(). */
#define BPG_JSON_NO_NUL 0x1u    /* refuse \u0000 in strings (cJSON would cut the string there) */

/*
 * bpg_json_parse() with flags. Both refuse unescaped control characters in strings and \u
 * escapes without 4 hex digits (invalid JSON that cJSON would read as a NUL).
 */
enum bpg_err bpg_json_parse_flags(const char *text, size_t len, unsigned flags, cJSON **out,
    struct bpg_why *why);

/* Appends the compact text of j to out. */
enum bpg_err bpg_json_print(const cJSON *j, struct bpg_buf *out);

/*
 * Writers of compact JSON text straight into out, byte for byte what bpg_json_print() gives
 * for the same tree (for answers built without one): a member's separator pre (',' or '{',
 * or 0 for none) with its quoted key and ':'; a string; an integer (as the double nearest to
 * it prints: exact below 2^53).
 */
enum bpg_err bpg_json_put_key(struct bpg_buf *out, char pre, const char *key);
/* bpg_json_put_key for a key that needs no escaping (a literal of ours): copied as it is. */
enum bpg_err bpg_json_put_word(struct bpg_buf *out, char pre, const char *key);
enum bpg_err bpg_json_put_str(struct bpg_buf *out, const char *s);
enum bpg_err bpg_json_put_int(struct bpg_buf *out, long long v);
/* bpg_json_put_word then bpg_json_put_int, with one reservation (a summary has a dozen). */
enum bpg_err bpg_json_put_word_int(struct bpg_buf *out, char pre, const char *key, long long v);
/* A number as a cJSON number holding d prints. */
enum bpg_err bpg_json_put_num(struct bpg_buf *out, double d);

/* A value found by bpg_json_pick(): its raw text (p == NULL when absent). */
struct bpg_json_span {
	const char *p;
	size_t len;
};

/*
 * One pass over len bytes of JSON text, without building a tree: for each of the n paths
 * (object keys from the top, NULL-terminated) the raw text of the first value found there, in
 * spans[i] (with duplicate keys, cJSON's lookup may find none where this finds a later one). Text after the top value is
 * ignored, as cJSON_Parse() does. BPG_EINVAL (and every span empty) when the text is not
 * JSON or nests deeper than cJSON would parse, or for more than 32 paths.
 */
enum bpg_err bpg_json_pick(const char *text, size_t len, const char *const *const *paths,
    size_t n, struct bpg_json_span *spans);

/*
 * The string at span s (from bpg_json_pick) copied into out (cap bytes, NUL-terminated) when
 * it has nothing to unescape: 1. 0 when it is not a string, has an escape or does not fit
 * (the caller parses it then, or goes without).
 */
int bpg_json_span_plain(const struct bpg_json_span *s, char *out, size_t cap);

/*
 * Appends the error body {"code":status,"message":message} to out; with status 0, Apache
 * Livy's {"msg":message}.
 */
enum bpg_err bpg_json_error_body(int status, const char *message, struct bpg_buf *out);

/* Returns 1 if the n bytes at s are valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int bpg_json_utf8_valid(const char *s, size_t n);

#endif
