/* bpg_yaml: writes a cJSON tree as block-style YAML (for /describe); no parsing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_json.h"
#include "bpg_yaml.h"

/* True if s must be quoted to stay a string in YAML. */
static int
needs_quotes(const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "null",
	    "y", "n", "~" };
	size_t n = strlen(s);
	char *end;

	if (n == 0 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		return 1;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) != NULL)
		return 1;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	(void)strtod(s, &end);
	if (*end == '\0')
		return 1;   /* looks like a number */
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || (c == ':' && (p[1] == ' ' || p[1] == '\0')) ||
		    (c == '#' && p > s && p[-1] == ' '))
			return 1;
	}
	return 0;
}

/* A string as it is, or double-quoted (JSON's escapes) when YAML would read it otherwise. */
static enum bpg_err
emit_str(const char *s, struct bpg_buf *out)
{
	enum bpg_err err;
	cJSON *tmp;

	if (!needs_quotes(s))
		return bpg_buf_puts(out, s);
	if ((tmp = cJSON_CreateString(s)) == NULL)
		return BPG_ENOMEM;
	err = bpg_json_print(tmp, out);
	cJSON_Delete(tmp);
	return err;
}

static enum bpg_err
emit_scalar(const cJSON *j, struct bpg_buf *out)
{
	if (cJSON_IsString(j))
		return emit_str(j->valuestring, out);
	if (cJSON_IsNull(j))
		return bpg_buf_puts(out, "null");
	if (cJSON_IsObject(j))
		return bpg_buf_puts(out, "{}");
	if (cJSON_IsArray(j))
		return bpg_buf_puts(out, "[]");
	return bpg_json_print(j, out);   /* numbers and booleans */
}

/* True if j is written on its own lines (a non-empty object or array). */
static int
is_block(const cJSON *j)
{
	return (cJSON_IsObject(j) || cJSON_IsArray(j)) && j->child != NULL;
}

static enum bpg_err
emit(const cJSON *j, int indent, int depth, struct bpg_buf *out)
{
	enum bpg_err err = BPG_OK;
	const cJSON *c;

	if (depth > BPG_JSON_MAX_DEPTH + 2)
		return BPG_EINVAL;
	cJSON_ArrayForEach(c, j) {
		if ((err = bpg_buf_printf(out, "%*s", indent, "")) != BPG_OK)
			return err;
		if (cJSON_IsObject(j)) {
			if ((err = emit_str(c->string, out)) != BPG_OK ||
			    (err = bpg_buf_puts(out, is_block(c) ? ":\n" : ": ")) != BPG_OK)
				return err;
			if (is_block(c))
				err = emit(c, indent + 2, depth + 1, out);
			else if ((err = emit_scalar(c, out)) == BPG_OK)
				err = bpg_buf_puts(out, "\n");
		} else {
			if ((err = bpg_buf_puts(out, is_block(c) ? "-\n" : "- ")) != BPG_OK)
				return err;
			if (is_block(c))
				err = emit(c, indent + 2, depth + 1, out);
			else if ((err = emit_scalar(c, out)) == BPG_OK)
				err = bpg_buf_puts(out, "\n");
		}
		if (err != BPG_OK)
			return err;
	}
	return err;
}

enum bpg_err
bpg_yaml_emit(const cJSON *j, struct bpg_buf *out)
{
	enum bpg_err err;

	if (!is_block(j)) {
		if ((err = emit_scalar(j, out)) != BPG_OK)
			return err;
		return bpg_buf_puts(out, "\n");
	}
	return emit(j, 0, 0, out);
}
