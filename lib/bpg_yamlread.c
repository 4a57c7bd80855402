/* bpg_yamlread: reads one YAML document (a request body) into the cJSON tree JSON would give. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "bpg_json.h"
#include "bpg_yamlread.h"

#define TAG_STR "tag:yaml.org,2002:str"
#define TAG_MAP "tag:yaml.org,2002:map"
#define TAG_SEQ "tag:yaml.org,2002:seq"

/* One open mapping or sequence; key is the pending key of a mapping (NULL: a key comes next). */
struct frame {
	cJSON *node;
	char *key;
};

struct yr {
	yaml_parser_t parser;
	struct frame stack[BPG_YAMLREAD_MAX_DEPTH];
	size_t depth;
	size_t nodes;
	int docs;
	cJSON *root;
	struct bpg_why *why;
	enum bpg_err err;
};

static int fail_at(struct yr *y, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error at mark m ("line L, column C: ..."); returns -1. */
static int
fail_at(struct yr *y, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (y->err != BPG_OK)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bpg_why_set(y->why, BPG_EINVAL, "line %zu, column %zu: %s", m->line + 1, m->column + 1,
	    msg);
	y->err = BPG_EINVAL;
	return -1;
}

/* Matches s against a list of words; 1 if it is one of them. */
static int
one_of(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

/* 1 when s is n digits of the given base (n >= 1), nothing else. */
static int
all_digits(const char *s, int base)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		int c = (unsigned char)*s;
		if (!((c >= '0' && c <= '9' && c - '0' < base) ||
		    (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))))
			return 0;
	}
	return 1;
}

/* The YAML 1.2 core schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
core_float(const char *s)
{
	size_t before = 0, after = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		before++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			after++;
	if (before == 0 && after == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		return all_digits(s, 10);
	}
	return *s == '\0';
}

/*
 * A plain scalar by the core schema: null, bool, int or float, else a string. A number
 * keeps its text in valuestring (cJSON_Delete frees it). NULL when out of memory.
 */
static cJSON *
plain_scalar(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	const char *u = (*s == '-' || *s == '+') ? s + 1 : s;
	cJSON *n;
	double v;

	if (one_of(s, nulls))
		return cJSON_CreateNull();
	if (one_of(s, trues) || one_of(s, falses))
		return cJSON_CreateBool(one_of(s, trues));
	if (strncmp(s, "0o", 2) == 0 && all_digits(s + 2, 8))
		v = (double)strtoull(s + 2, NULL, 8);
	else if (strncmp(s, "0x", 2) == 0 && all_digits(s + 2, 16))
		v = (double)strtoull(s + 2, NULL, 16);
	else if (all_digits(u, 10) || core_float(s))
		v = strtod(s, NULL);
	else
		return cJSON_CreateString(s);
	if ((n = cJSON_CreateNumber(v)) != NULL && (n->valuestring = strdup(s)) == NULL) {
		cJSON_Delete(n);
		return NULL;
	}
	return n;
}

/* A scalar event to its node: typed when plain and untagged, else a string. */
static cJSON *
scalar_node(struct yr *y, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t n = ev->data.scalar.length;

	if (tag != NULL && strcmp(tag, TAG_STR) != 0 && strcmp(tag, "!") != 0) {
		fail_at(y, &ev->start_mark, "the tag %.64s is not supported (only !!str)", tag);
		return NULL;
	}
	if (strlen(v) != n || !bpg_json_utf8_valid(v, n)) {
		fail_at(y, &ev->start_mark, "a NUL character or invalid UTF-8 in a scalar");
		return NULL;
	}
	if (tag == NULL && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		return plain_scalar(v);
	return cJSON_CreateString(v);
}

/* Adds node to the open collection (or makes it the root); takes node. 0 or -1. */
static int
attach(struct yr *y, cJSON *node, const yaml_mark_t *m)
{
	struct frame *f = y->depth ? &y->stack[y->depth - 1] : NULL;

	if (node == NULL) {
		if (y->err == BPG_OK)
			y->err = BPG_ENOMEM;
		return -1;
	}
	if (++y->nodes > BPG_YAMLREAD_MAX_NODES) {
		cJSON_Delete(node);
		return fail_at(y, m, "more than %d values", BPG_YAMLREAD_MAX_NODES);
	}
	if (f == NULL) {
		y->root = node;
		return 0;
	}
	if (cJSON_IsArray(f->node)) {
		if (!cJSON_AddItemToArray(f->node, node))
			goto nomem;
		return 0;
	}
	if (!cJSON_AddItemToObject(f->node, f->key, node))
		goto nomem;
	free(f->key);
	f->key = NULL;
	return 0;
nomem:
	cJSON_Delete(node);
	y->err = BPG_ENOMEM;
	return -1;
}

/* Mapping keys are scalars, kept as their text. */
static int
take_key(struct yr *y, const yaml_event_t *ev, struct frame *f)
{
	const char *k = (const char *)ev->data.scalar.value;

	if (ev->type != YAML_SCALAR_EVENT)
		return fail_at(y, &ev->start_mark, "a mapping key must be a plain string");
	if (strlen(k) != ev->data.scalar.length || !bpg_json_utf8_valid(k, strlen(k)))
		return fail_at(y, &ev->start_mark, "a NUL character or invalid UTF-8 in a key");
	if ((f->key = strdup(k)) == NULL) {
		y->err = BPG_ENOMEM;
		return -1;
	}
	return 0;
}

/* A node-starting event: refuses anchors and collection tags, opens collections. */
static int
start_node(struct yr *y, const yaml_event_t *ev)
{
	struct frame *f = y->depth ? &y->stack[y->depth - 1] : NULL;
	const char *anchor, *tag;
	cJSON *node;

	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = (const char *)ev->data.scalar.anchor;
		tag = NULL;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = (const char *)ev->data.sequence_start.anchor;
		tag = (const char *)ev->data.sequence_start.tag;
	} else {
		anchor = (const char *)ev->data.mapping_start.anchor;
		tag = (const char *)ev->data.mapping_start.tag;
	}
	if (anchor != NULL)
		return fail_at(y, &ev->start_mark, "anchors and aliases are not supported");
	if (tag != NULL && strcmp(tag, TAG_MAP) != 0 && strcmp(tag, TAG_SEQ) != 0 &&
	    strcmp(tag, "!") != 0)
		return fail_at(y, &ev->start_mark, "the tag %.64s is not supported", tag);
	if (f != NULL && cJSON_IsObject(f->node) && f->key == NULL)
		return take_key(y, ev, f);
	if (ev->type == YAML_SCALAR_EVENT)
		return attach(y, scalar_node(y, ev), &ev->start_mark);
	if (y->depth >= BPG_YAMLREAD_MAX_DEPTH)
		return fail_at(y, &ev->start_mark, "nested deeper than %d", BPG_YAMLREAD_MAX_DEPTH);
	node = ev->type == YAML_SEQUENCE_START_EVENT ? cJSON_CreateArray() : cJSON_CreateObject();
	if (attach(y, node, &ev->start_mark) != 0)
		return -1;
	y->stack[y->depth].node = node;
	y->stack[y->depth].key = NULL;
	y->depth++;
	return 0;
}

/* One event; 1 at the end of the stream, 0 to go on, -1 on error. */
static int
on_event(struct yr *y, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++y->docs > 1)
			return fail_at(y, &ev->start_mark, "only one document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail_at(y, &ev->start_mark, "anchors and aliases are not supported");
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return start_node(y, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (y->depth > 0) {
			y->depth--;
			free(y->stack[y->depth].key);
			y->stack[y->depth].key = NULL;
		}
		return 0;
	default:
		return 0;
	}
}

/* Turns libyaml's own error into why. */
static void
parser_error(struct yr *y)
{
	const yaml_parser_t *p = &y->parser;

	if (p->error == YAML_MEMORY_ERROR) {
		y->err = BPG_ENOMEM;
		return;
	}
	if (p->context != NULL)
		fail_at(y, &p->problem_mark, "%s %s", p->problem ? p->problem : "invalid YAML",
		    p->context);
	else
		fail_at(y, &p->problem_mark, "%s", p->problem ? p->problem : "invalid YAML");
}

enum bpg_err
bpg_yamlread_parse(const char *text, size_t len, cJSON **out, struct bpg_why *why)
{
	struct yr y;
	yaml_event_t ev;
	int rc = 0;

	memset(&y, 0, sizeof(y));
	y.why = why;
	if (!yaml_parser_initialize(&y.parser))
		return BPG_ENOMEM;
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&y.parser, &ev)) {
			parser_error(&y);
			break;
		}
		rc = on_event(&y, &ev);
		yaml_event_delete(&ev);
	}
	for (size_t i = 0; i < BPG_YAMLREAD_MAX_DEPTH; i++)
		free(y.stack[i].key);
	yaml_parser_delete(&y.parser);
	if (y.err == BPG_OK && rc == 1) {
		*out = y.root != NULL ? y.root : cJSON_CreateNull();
		return *out != NULL ? BPG_OK : BPG_ENOMEM;
	}
	cJSON_Delete(y.root);
	return y.err != BPG_OK ? y.err : BPG_EINVAL;
}
