/* bpg_json: cJSON parsing with limits, printing into buffers, the error body. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
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

/* What one pass over JSON text finds, counting only outside strings for the depth. */
struct json_scan {
	int depth;            /* deepest nesting of arrays and objects */
	long bad_escape;      /* offset of the first \u not followed by 4 hex digits, or -1 */
	long control;         /* offset of the first raw control byte inside a string, or -1 */
	long nul;             /* offset of the first \u0000 inside a string, or -1 */
};

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Scans a string escape at s[i] == '\\'; returns the index of its last byte. */
static size_t
scan_escape(const char *s, size_t n, size_t i, struct json_scan *sc)
{
	if (i + 1 >= n || s[i + 1] != 'u')
		return i + 1;
	/* cJSON reads a bad \u escape as U+0000 and cuts the string there: refuse both */
	if (n - i < 6 || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) || !is_hex(s[i + 4]) ||
	    !is_hex(s[i + 5])) {
		if (sc->bad_escape < 0)
			sc->bad_escape = (long)i;
		return i + 1;
	}
	if (memcmp(s + i + 2, "0000", 4) == 0 && sc->nul < 0)
		sc->nul = (long)i;
	return i + 5;
}

static void
json_scan(const char *s, size_t n, struct json_scan *sc)
{
	int depth = 0, in_str = 0;

	sc->depth = 0;
	sc->bad_escape = sc->control = sc->nul = -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (in_str) {
			if (c == '\\')
				i = scan_escape(s, n, i, sc);
			else if (c == '"')
				in_str = 0;
			else if (c < 0x20 && sc->control < 0)
				sc->control = (long)i;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > sc->depth)
				sc->depth = depth;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
}

enum bpg_err
bpg_json_parse(const char *text, size_t len, cJSON **out, struct bpg_why *why)
{
	return bpg_json_parse_flags(text, len, 0, out, why);
}

enum bpg_err
bpg_json_parse_flags(const char *text, size_t len, unsigned flags, cJSON **out, struct bpg_why *why)
{
	const char *end = NULL;
	struct json_scan sc;
	cJSON *j;

	if (len == 0)
		return bpg_why_set(why, BPG_EINVAL, "empty body");
	if (memchr(text, '\0', len) != NULL)
		return bpg_why_set(why, BPG_EINVAL, "NUL byte in JSON");
	if (!bpg_json_utf8_valid(text, len))
		return bpg_why_set(why, BPG_EINVAL, "invalid UTF-8 in JSON");
	json_scan(text, len, &sc);
	if (sc.depth > BPG_JSON_MAX_DEPTH)
		return bpg_why_set(why, BPG_EINVAL, "JSON nested deeper than %d",
		    BPG_JSON_MAX_DEPTH);
	if (sc.control >= 0)
		return bpg_why_set(why, BPG_EINVAL,
		    "unescaped control character in a string at byte %ld",
		    sc.control);
	if (sc.bad_escape >= 0)
		return bpg_why_set(why, BPG_EINVAL, "malformed \\u escape at byte %ld",
		    sc.bad_escape);
	if ((flags & BPG_JSON_NO_NUL) && sc.nul >= 0)
		return bpg_why_set(why, BPG_EINVAL,
		    "NUL character (\\u0000) in a string at byte %ld", sc.nul);
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (j == NULL) {
		const char *at = cJSON_GetErrorPtr();
		long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
		return bpg_why_set(why, BPG_EINVAL, "malformed JSON near byte %ld", off);
	}
	for (; end != NULL && end < text + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
			cJSON_Delete(j);
			return bpg_why_set(why, BPG_EINVAL,
			    "trailing bytes after the JSON value at byte %ld",
			    (long)(end - text));
		}
	}
	*out = j;
	return BPG_OK;
}

/* True when one of the 8 bytes of w is below 0x20, '"' or '\\' (SWAR: a word at a time). */
static int
word_needs_escape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return (((w - ones * 0x20) | (q - ones) | (b - ones)) & ~w & high) != 0;
}

/* The bytes escaping adds to the n bytes at s. */
static size_t
escape_extra(const unsigned char *s, size_t n)
{
	size_t extra = 0, i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (!word_needs_escape(w))
			continue;
		for (size_t k = i; k < i + 8; k++)
			extra += s[k] == '"' || s[k] == '\\' || (s[k] < 0x20 && strchr("\b\f\n\r\t",
			    s[k]) != NULL) ? 1 : s[k] < 0x20 ? 5 : 0;
	}
	for (; i < n; i++)
		extra += s[i] == '"' || s[i] == '\\' || (s[i] < 0x20 && strchr("\b\f\n\r\t",
		    s[i]) != NULL) ? 1 : s[i] < 0x20 ? 5 : 0;
	return extra;
}

/* Writes the n bytes at s escaped as cJSON does to w; returns the end. */
static char *
escape_into(char *w, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c != '"' && c != '\\') {
			*w++ = (char)c;
			continue;
		}
		*w++ = '\\';
		switch (c) {
		case '"': case '\\': *w++ = (char)c; break;
		case '\b': *w++ = 'b'; break;
		case '\f': *w++ = 'f'; break;
		case '\n': *w++ = 'n'; break;
		case '\r': *w++ = 'r'; break;
		case '\t': *w++ = 't'; break;
		default:
			memcpy(w, "u00", 3);
			w[3] = hex[c >> 4];
			w[4] = hex[c & 15];
			w += 5;
		}
	}
	return w;
}

/*
 * A JSON string as cJSON prints it (only '"', '\\' and control characters escaped), with
 * the byte pre before it and post after it when not NUL: one reservation per string.
 */
static enum bpg_err
print_string(const char *str, char pre, char post, struct bpg_buf *out)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n = strlen((const char *)s), extra = escape_extra(s, n);
	enum bpg_err err;
	char *w;

	if ((err = bpg_buf_reserve(out, n + extra + 4)) != BPG_OK)
		return err;
	w = out->data + out->len;
	if (pre)
		*w++ = pre;
	*w++ = '"';
	if (extra == 0) {
		memcpy(w, s, n);
		w += n;
	} else {
		w = escape_into(w, s, n);
	}
	*w++ = '"';
	if (post)
		*w++ = post;
	*w = '\0';
	out->len = (size_t)(w - out->data);
	return BPG_OK;
}

/*
 * A number as cJSON prints it. Integers below 10^15 (epoch milliseconds, counts: nearly all
 * of ours) and numbers that are exactly the double nearest to k/10, k/100 or k/1000 with
 * |k| below 10^15 (latencies rounded to 0.1 ms) are written without printf: cJSON prints
 * those as %1.15g gives them, the same digits. cJSON runs printf twice and an sscanf per
 * number past INT_MAX; any other number still goes through cJSON itself.
 */
static enum bpg_err
print_number(const cJSON *j, struct bpg_buf *out)
{
	static const double scales[] = { 1, 10, 100, 1000 };
	double d = j->valuedouble, a = d < 0 ? -d : d;
	char digits[48], *end = digits + sizeof(digits), *p;
	enum bpg_err err;

	for (unsigned i = 0; i < 4 && a < 1e14 && !(d == 0 && signbit(d)); i++) {
		double m = a * scales[i];
		unsigned long long u = (unsigned long long)(m + 0.5);

		/* at most 15 significant digits, so that %1.15g gives them exactly */
		if (u >= 1000000000000000ULL || (i == 0 && m != (double)u) ||
		    (double)u / scales[i] != a || (i > 0 && u % 10 == 0))
			continue;
		p = end;
		if (i > 0) {
			/* the fraction: i digits, the last one non-zero */
			for (unsigned k = 0; k < i; k++, u /= 10)
				*--p = (char)('0' + u % 10);
			*--p = '.';
		}
		p = bpg_buf_digits(p, u);
		if (d < 0)
			*--p = '-';
		return bpg_buf_append(out, p, (size_t)(end - p));
	}
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d && !(d == 0 && signbit(d))) {
		p = bpg_buf_digits(end, (unsigned long long)a);
		if (d < 0)
			*--p = '-';
		return bpg_buf_append(out, p, (size_t)(end - p));
	}
	if ((p = cJSON_PrintUnformatted(j)) == NULL)
		return BPG_ENOMEM;
	err = bpg_buf_puts(out, p);
	cJSON_free(p);
	return err;
}

/* Appends j unformatted, byte for byte what cJSON_PrintUnformatted gives. */
static enum bpg_err
print_value(const cJSON *j, struct bpg_buf *out, int depth)
{
	const cJSON *c;
	enum bpg_err err = BPG_OK;
	int obj = cJSON_IsObject(j);

	if (depth > 1000)
		return BPG_EINVAL;
	if (cJSON_IsNull(j))
		return bpg_buf_append(out, "null", 4);
	if (cJSON_IsFalse(j))
		return bpg_buf_append(out, "false", 5);
	if (cJSON_IsTrue(j))
		return bpg_buf_append(out, "true", 4);
	if (cJSON_IsNumber(j))
		return print_number(j, out);
	if (cJSON_IsString(j))
		return print_string(j->valuestring, 0, 0, out);
	if (cJSON_IsRaw(j))
		return j->valuestring ? bpg_buf_puts(out, j->valuestring) : BPG_EINVAL;
	if (!obj && !cJSON_IsArray(j))
		return BPG_EINVAL;
	if (j->child == NULL || !obj)
		err = bpg_buf_append(out, obj ? "{" : "[", 1);
	for (c = j->child; c != NULL && err == BPG_OK; c = c->next) {
		/* an object's member: its separator, key and colon in one go */
		if (obj)
			err = print_string(c->string, c == j->child ? '{' : ',', ':', out);
		else if (c != j->child)
			err = bpg_buf_append(out, ",", 1);
		if (err == BPG_OK)
			err = print_value(c, out, depth + 1);
	}
	return err != BPG_OK ? err : bpg_buf_append(out, obj ? "}" : "]", 1);
}

enum bpg_err
bpg_json_put_key(struct bpg_buf *out, char pre, const char *key)
{
	return print_string(key, pre, ':', out);
}

enum bpg_err
bpg_json_put_word(struct bpg_buf *out, char pre, const char *key)
{
	size_t n = strlen(key);
	enum bpg_err err;
	char *p;

	if ((err = bpg_buf_reserve(out, n + 4)) != BPG_OK)
		return err;
	p = out->data + out->len;
	if (pre)
		*p++ = pre;
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	*p = '\0';
	out->len = (size_t)(p - out->data);
	return BPG_OK;
}

enum bpg_err
bpg_json_put_str(struct bpg_buf *out, const char *s)
{
	return print_string(s, 0, 0, out);
}

enum bpg_err
bpg_json_put_num(struct bpg_buf *out, double d)
{
	cJSON n;

	memset(&n, 0, sizeof(n));
	n.type = cJSON_Number;
	n.valuedouble = d;
	n.valueint = d != d ? 0 : d >= INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
	return print_number(&n, out);
}

enum bpg_err
bpg_json_put_int(struct bpg_buf *out, long long v)
{
	char digits[24], *end = digits + sizeof(digits), *p;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	if (u >= 1000000000000000ULL)   /* as cJSON prints a double this large */
		return bpg_json_put_num(out, (double)v);
	p = bpg_buf_digits(end, u);
	if (v < 0)
		*--p = '-';
	return bpg_buf_append(out, p, (size_t)(end - p));
}

enum bpg_err
bpg_json_put_word_int(struct bpg_buf *out, char pre, const char *key, long long v)
{
	char digits[24], *end = digits + sizeof(digits), *d;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = strlen(key), dn;
	enum bpg_err err;
	char *p;

	if (u >= 1000000000000000ULL) {   /* printed as a double: bpg_json_put_int's own path */
		if ((err = bpg_json_put_word(out, pre, key)) != BPG_OK)
			return err;
		return bpg_json_put_int(out, v);
	}
	d = bpg_buf_digits(end, u);
	if (v < 0)
		*--d = '-';
	dn = (size_t)(end - d);
	if ((err = bpg_buf_reserve(out, n + 4 + dn)) != BPG_OK)
		return err;
	p = out->data + out->len;
	if (pre)
		*p++ = pre;
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	memcpy(p, d, dn);
	p += dn;
	*p = '\0';
	out->len = (size_t)(p - out->data);
	return BPG_OK;
}

/* ---- bpg_json_pick: a validating scan that keeps the spans of wanted values ---- */

#define PICK_MAX_PATHS 32

struct pick {
	const char *s, *end;
	const char *const *const *paths;
	size_t n;
	struct bpg_json_span *spans;
};

/* Whitespace as cJSON skips it: any byte up to ' ' (so it takes what cJSON takes). */
static void
pick_space(struct pick *k)
{
	while (k->s < k->end && (unsigned char)*k->s <= ' ')
		k->s++;
}

/* The escape after a '\\' at s: the byte past it, or NULL when it is not one of JSON's. */
static const unsigned char *
pick_escape(const unsigned char *s, const unsigned char *end)
{
	if (s == end)
		return NULL;
	if (*s == 'u')
		return end - s >= 5 && is_hex((char)s[1]) && is_hex((char)s[2]) &&
		    is_hex((char)s[3]) && is_hex((char)s[4]) ? s + 5 : NULL;
	return *s != '\0' && strchr("\"\\/bfnrt", *s) != NULL ? s + 1 : NULL;
}

/* Skips a string at k->s == '"'; 0 when it is not one (unterminated, bad escape, raw control). */
static int
pick_string(struct pick *k)
{
	const unsigned char *s = (const unsigned char *)k->s + 1, *end = (const unsigned char *)k->end;

	for (;;) {
		const unsigned char *lim;
		uint64_t w;
		for (; end - s >= 8; s += 8) {   /* a word at a time to the next '"', '\\' or control */
			memcpy(&w, s, 8);
			if (word_needs_escape(w))
				break;
		}
		lim = end - s >= 8 ? s + 8 : end;
		while (s < lim && *s != '"' && *s != '\\' && *s >= 0x20)
			s++;
		if (s == lim && s != end)
			continue;   /* a word that only looked special */
		if (s == end || *s < 0x20)
			return 0;
		if (*s == '"')
			break;
		if ((s = pick_escape(s + 1, end)) == NULL)
			return 0;
	}
	k->s = (const char *)s + 1;
	return 1;
}

/*
 * The paths still wanted below a member named key (len bytes) at depth d, of those in live
 * (a bit per path): those whose d-th key it is and whose span is still empty.
 */
static unsigned
pick_narrow(const struct pick *k, unsigned live, int d, const char *key, size_t len)
{
	unsigned out = 0;

	for (size_t i = 0; i < k->n; i++) {
		const char *want;
		if (!(live & (1u << i)) || k->spans[i].p != NULL)
			continue;
		want = k->paths[i][d];
		if (want != NULL && strncmp(want, key, len) == 0 && want[len] == '\0')
			out |= 1u << i;
	}
	return out;
}

static int pick_value(struct pick *k, int d, unsigned live);

/* An object or array at k->s; live: the paths whose first d keys lead here. */
static int
pick_container(struct pick *k, int d, unsigned live)
{
	int obj = *k->s == '{', first = 1;
	char close = obj ? '}' : ']';

	if (d >= CJSON_NESTING_LIMIT)
		return 0;
	k->s++;
	for (;;) {
		unsigned below = 0;
		pick_space(k);
		if (k->s == k->end)
			return 0;
		if (*k->s == close && first)
			break;
		if (!first) {
			if (*k->s == close)
				break;
			if (*k->s != ',')
				return 0;
			k->s++;
			pick_space(k);
		}
		first = 0;
		if (obj) {
			const char *key = k->s + 1;
			if (k->s == k->end || *k->s != '"' || !pick_string(k))
				return 0;
			/* a key with escapes is on no wanted path (ours are plain) */
			if (live != 0 && memchr(key, '\\', (size_t)(k->s - 1 - key)) == NULL)
				below = pick_narrow(k, live, d, key, (size_t)(k->s - 1 - key));
			pick_space(k);
			if (k->s == k->end || *k->s != ':')
				return 0;
			k->s++;
		}
		/* array items are on no wanted path */
		if (!pick_value(k, d + 1, below))
			return 0;
	}
	k->s++;
	return 1;
}

/* A value at depth d; live: the wanted paths whose d keys lead here (one ends here: its span). */
static int
pick_value(struct pick *k, int d, unsigned live)
{
	const char *start;
	int ok;

	pick_space(k);
	if (k->s == k->end)
		return 0;
	start = k->s;
	switch (*k->s) {
	case '{': case '[':
		ok = pick_container(k, d, live);
		break;
	case '"':
		ok = pick_string(k);
		break;
	default:
		/* literals, and numbers as leniently as cJSON reads them */
		if ((size_t)(k->end - k->s) >= 4 && (memcmp(k->s, "null", 4) == 0 ||
		    memcmp(k->s, "true", 4) == 0)) {
			k->s += 4;
		} else if ((size_t)(k->end - k->s) >= 5 && memcmp(k->s, "false", 5) == 0) {
			k->s += 5;
		} else {
			while (k->s < k->end && ((*k->s >= '0' && *k->s <= '9') || *k->s == '-' ||
			    *k->s == '+' || *k->s == '.' || *k->s == 'e' || *k->s == 'E'))
				k->s++;
		}
		ok = k->s > start;
	}
	for (size_t i = 0; ok && live != 0 && i < k->n; i++)
		if ((live & (1u << i)) && k->paths[i][d] == NULL && k->spans[i].p == NULL) {
			k->spans[i].p = start;
			k->spans[i].len = (size_t)(k->s - start);
		}
	return ok;
}

enum bpg_err
bpg_json_pick(const char *text, size_t len, const char *const *const *paths, size_t n,
    struct bpg_json_span *spans)
{
	struct pick k;

	memset(spans, 0, n * sizeof(*spans));
	if (text == NULL || n > PICK_MAX_PATHS)
		return BPG_EINVAL;
	k.s = text;
	k.end = text + len;
	k.paths = paths;
	k.n = n;
	k.spans = spans;
	if (pick_value(&k, 0, n == PICK_MAX_PATHS ? ~0u : (1u << n) - 1))
		return BPG_OK;
	memset(spans, 0, n * sizeof(*spans));
	return BPG_EINVAL;
}

int
bpg_json_span_plain(const struct bpg_json_span *s, char *out, size_t cap)
{
	if (s->p == NULL || s->len < 2 || s->p[0] != '"' || s->len - 2 >= cap ||
	    memchr(s->p, '\\', s->len) != NULL)
		return 0;
	memcpy(out, s->p + 1, s->len - 2);
	out[s->len - 2] = '\0';
	return 1;
}

enum bpg_err
bpg_json_print(const cJSON *j, struct bpg_buf *out)
{
	size_t len = out->len;
	enum bpg_err err = j != NULL ? print_value(j, out, 0) : BPG_EINVAL;

	if (err != BPG_OK && out->data != NULL) {
		out->len = len;
		out->data[len] = '\0';
	}
	return err == BPG_EINVAL ? BPG_ENOMEM : err;
}

enum bpg_err
bpg_json_error_body(int status, const char *message, struct bpg_buf *out)
{
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err = BPG_ENOMEM;

	if (j == NULL)
		return BPG_ENOMEM;
	if ((status > 0 && cJSON_AddNumberToObject(j, "code", status) == NULL) ||
	    cJSON_AddStringToObject(j, status > 0 ? "message" : "msg", message ? message : "") == NULL)
		goto out;
	err = bpg_json_print(j, out);
out:
	cJSON_Delete(j);
	return err;
}
