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
 * On BPG_EINVAL writes a short reason into why (size whylen). Free *out with cJSON_Delete().
 */
enum bpg_err bpg_json_parse(const char *text, size_t len, cJSON **out, char *why, size_t whylen);

/* Flags of bpg_json_parse_flags(). */
#define BPG_JSON_NO_NUL 0x1u    /* refuse \u0000 in strings (cJSON would cut the string there) */

/*
 * bpg_json_parse() with flags. Both refuse unescaped control characters in strings and \u
 * escapes without 4 hex digits (invalid JSON that cJSON would read as a NUL).
 */
enum bpg_err bpg_json_parse_flags(const char *text, size_t len, unsigned flags, cJSON **out,
    char *why, size_t whylen);

/* Appends the compact text of j to out. */
enum bpg_err bpg_json_print(const cJSON *j, struct bpg_buf *out);

/*
 * Appends the error body {"code":status,"message":message} to out; with status 0, Apache
 * Livy's {"msg":message}.
 */
enum bpg_err bpg_json_error_body(int status, const char *message, struct bpg_buf *out);

/* Returns 1 if the n bytes at s are valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int bpg_json_utf8_valid(const char *s, size_t n);

#endif
