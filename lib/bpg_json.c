/* bpg_json: cJSON parsing with limits, printing into buffers, the error body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_json.h"

int
bpg_json_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + n;

	while (s < e) {
		unsigned c = *s;
		size_t k;
		unsigned cp;
		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(e - s) <= k)
			return 0;
		for (size_t i = 1; i <= k; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		s += k + 1;
	}
	return 1;
}

/* Returns the deepest nesting of arrays and objects in text, counting outside strings. */
static int
json_depth(const char *s, size_t n)
{
	int depth = 0, max = 0, in_str = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return max;
}

enum bpg_err
bpg_json_parse(const char *text, size_t len, cJSON **out, char *why, size_t whylen)
{
	const char *end = NULL;
	cJSON *j;

	if (len == 0) {
		snprintf(why, whylen, "empty body");
		return BPG_EINVAL;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(why, whylen, "NUL byte in JSON");
		return BPG_EINVAL;
	}
	if (!bpg_json_utf8_valid(text, len)) {
		snprintf(why, whylen, "invalid UTF-8 in JSON");
		return BPG_EINVAL;
	}
	if (json_depth(text, len) > BPG_JSON_MAX_DEPTH) {
		snprintf(why, whylen, "JSON nested deeper than %d", BPG_JSON_MAX_DEPTH);
		return BPG_EINVAL;
	}
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (j == NULL) {
		const char *at = cJSON_GetErrorPtr();
		long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
		snprintf(why, whylen, "malformed JSON near byte %ld", off);
		return BPG_EINVAL;
	}
	for (; end != NULL && end < text + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
			cJSON_Delete(j);
			snprintf(why, whylen, "trailing bytes after the JSON value at byte %ld",
			    (long)(end - text));
			return BPG_EINVAL;
		}
	}
	*out = j;
	return BPG_OK;
}

enum bpg_err
bpg_json_print(const cJSON *j, struct bpg_buf *out)
{
	char *s = cJSON_PrintUnformatted(j);
	enum bpg_err err;

	if (s == NULL)
		return BPG_ENOMEM;
	err = bpg_buf_puts(out, s);
	cJSON_free(s);
	return err;
}

enum bpg_err
bpg_json_error_body(int status, const char *message, struct bpg_buf *out)
{
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err = BPG_ENOMEM;

	if (j == NULL)
		return BPG_ENOMEM;
	if (cJSON_AddNumberToObject(j, "code", status) == NULL ||
	    cJSON_AddStringToObject(j, "message", message ? message : "") == NULL)
		goto out;
	err = bpg_json_print(j, out);
out:
	cJSON_Delete(j);
	return err;
}
