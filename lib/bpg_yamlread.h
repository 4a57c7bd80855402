/* bpg_yamlread: reads one YAML document (a request body) into the cJSON tree JSON would give. */
#ifndef BPG_YAMLREAD_H
#define BPG_YAMLREAD_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_err.h"

/* Limits on hostile input, checked while the events arrive (nothing is expanded). */
#define BPG_YAMLREAD_MAX_DEPTH 32        /* nested mappings and sequences, as BPG_JSON_MAX_DEPTH */
#define BPG_YAMLREAD_MAX_NODES 100000    /* scalars, mappings and sequences in the document */

/*
 * Parses len bytes of YAML (libyaml; need not be NUL-terminated) into *out. Free *out with
 * cJSON_Delete(). Scalars are typed by the YAML 1.2 core schema, and only when plain
 * (unquoted): ~, null, Null, NULL and the empty scalar are null; true/True/TRUE and
 * false/False/FALSE are booleans (YAML 1.1's yes/no/on/off stay strings); decimal, 0o octal
 * and 0x hex integers and decimal floats are numbers; everything else, every quoted or block
 * scalar and every scalar tagged !!str or ! is a string (.inf and .nan too: JSON has no such
 * number). A number keeps its text as written in valuestring, so a field that wants a string
 * takes "3.10", not the double's "3.1".
 *
 * Refused with BPG_EINVAL and why naming line and column (1-based) of the fault: invalid
 * YAML, anchors and aliases (no expansion ever happens: a billion-laughs body fails at its
 * first anchor), tags other than !!str and !, non-scalar mapping keys, more than one
 * document, nesting deeper than BPG_YAMLREAD_MAX_DEPTH and more than BPG_YAMLREAD_MAX_NODES
 * nodes. BPG_ENOMEM when out of memory.
 */
enum bpg_err bpg_yamlread_parse(const char *text, size_t len, cJSON **out, struct bpg_why *why);

#endif
