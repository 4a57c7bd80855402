/* bpg_query: the query string of a request, decoded and bounded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_json.h"
#include "bpg_query.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes [s,e) into out (size cap incl. NUL); -1 on a bad escape, control byte or overflow. */
static int
decode(const char *s, const char *e, char *out, size_t cap)
{
	size_t o = 0;

	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '%') {
			int hi, lo;
			if (e - s < 3 || (hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			s += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= cap)
			return -2;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return bpg_json_utf8_valid(out, o) ? 0 : -1;
}

enum bpg_err
bpg_query_parse(const char *qs, struct bpg_query *out, struct bpg_why *why)
{
	const char *p = qs ? qs : "", *amp, *eq;

	out->n = 0;
	if (strlen(p) > BPG_QUERY_MAX_LEN)
		return bpg_why_set(why, BPG_EINVAL, "query string longer than %d bytes",
		    BPG_QUERY_MAX_LEN);
	while (*p) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		if (amp == p) {
			p++;
			continue;
		}
		if (out->n >= BPG_QUERY_MAX_PARAMS)
			return bpg_why_set(why, BPG_EINVAL, "more than %d query parameters",
			    BPG_QUERY_MAX_PARAMS);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (decode(p, eq ? eq : amp, out->p[out->n].name, sizeof(out->p[0].name)) != 0 ||
		    out->p[out->n].name[0] == '\0')
			return bpg_why_set(why, BPG_EINVAL, "malformed query parameter name");
		switch (decode(eq ? eq + 1 : amp, amp, out->p[out->n].value,
		    sizeof(out->p[0].value))) {
		case 0:
			break;
		case -2:
			return bpg_why_set(why, BPG_EINVAL, "%s: longer than %d bytes",
			    out->p[out->n].name,
			    BPG_QUERY_MAX_VALUE);
		default:
			return bpg_why_set(why, BPG_EINVAL,
			    "%s: malformed value (bad escape, control character or "
			    "invalid UTF-8)", out->p[out->n].name);
		}
		if (bpg_query_get(out, out->p[out->n].name) != NULL)
			return bpg_why_set(why, BPG_EINVAL, "%s: given twice", out->p[out->n].name);
		out->n++;
		p = *amp ? amp + 1 : amp;
	}
	return BPG_OK;
}

const char *
bpg_query_get(const struct bpg_query *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->p[i].name, name) == 0)
			return q->p[i].value;
	return NULL;
}

enum bpg_err
bpg_query_only(const struct bpg_query *q, const char *const *names, struct bpg_why *why)
{
	for (size_t i = 0; i < q->n; i++) {
		const char *const *n;
		for (n = names; *n != NULL; n++)
			if (strcmp(*n, q->p[i].name) == 0)
				break;
		if (*n == NULL)
			return bpg_why_set(why, BPG_EINVAL, "%s: unknown query parameter",
			    q->p[i].name);
	}
	return BPG_OK;
}

enum bpg_err
bpg_query_long(const struct bpg_query *q, const char *name, long long min, long long max,
    long long def, long long *out, struct bpg_why *why)
{
	const char *v = bpg_query_get(q, name);
	char *end;
	long long n;

	if (v == NULL) {
		*out = def;
		return BPG_OK;
	}
	/* strtoll would also take leading spaces and a '+': only digits, maybe after a '-' */
	if (!((v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9')))
		return bpg_why_set(why, BPG_EINVAL, "%s: must be a whole number from %lld to %lld",
		    name, min, max);
	errno = 0;
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || errno == ERANGE || n < min || n > max)
		return bpg_why_set(why, BPG_EINVAL, "%s: must be a whole number from %lld to %lld",
		    name, min, max);
	*out = n;
	return BPG_OK;
}

enum bpg_err
bpg_query_bool(const struct bpg_query *q, const char *name, int def, int *out, struct bpg_why *why)
{
	const char *v = bpg_query_get(q, name);

	if (v == NULL) {
		*out = def;
	} else if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "") == 0) {
		*out = 1;
	} else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = 0;
	} else {
		return bpg_why_set(why, BPG_EINVAL, "%s: must be true or false", name);
	}
	return BPG_OK;
}
