/* bpg_log: one logfmt line per event on stderr. */
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "bpg_log.h"
#include "bpg_time.h"

#define LOG_LINE_MAX 4096
#define LOG_VALUE_MAX 1024

static enum bpg_log_level log_level = BPG_LOG_INFO;
static FILE *log_stream;
static char log_req[64];

static const char *const level_names[] = {
	[BPG_LOG_DEBUG] = "debug",
	[BPG_LOG_INFO] = "info",
	[BPG_LOG_WARN] = "warn",
	[BPG_LOG_ERROR] = "error",
};

int
bpg_log_set_level_name(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			log_level = (enum bpg_log_level)i;
			return 0;
		}
	}
	return -1;
}

void
bpg_log_set_level(enum bpg_log_level level)
{
	log_level = level;
}

void
bpg_log_set_stream(FILE *fp)
{
	log_stream = fp;
}

void
bpg_log_set_request(const char *req_id)
{
	size_t n;

	if (req_id == NULL) {
		log_req[0] = '\0';
		return;
	}
	/* stored raw: log_field() escapes it when the line is written */
	n = strnlen(req_id, sizeof(log_req) - 1);
	memcpy(log_req, req_id, n);
	log_req[n] = '\0';
}

/* The bytes a bare value may hold: printable ASCII but space, quote, '=' and '\' (not NUL). */
static const unsigned char log_bare_byte[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1,
	['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1,
	['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	[':'] = 1, [';'] = 1, ['<'] = 1, ['>'] = 1, ['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1,
	['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
	['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,
	['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,
	['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
	['|'] = 1, ['}'] = 1, ['~'] = 1,
};

/*
 * The length of s when it can be written bare (non-empty, only log_bare_byte bytes: one
 * table look-up a byte, every request's access line has a dozen values), else 0.
 */
static size_t
log_bare_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (log_bare_byte[*p])
		p++;
	return *p == '\0' ? (size_t)(p - (const unsigned char *)s) : 0;
}

/* bpg_log_escape, returning the length written (the NUL not counted). */
static size_t
log_escape(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, len;
	int bare;

	if (n == 0)
		return 0;
	if (s == NULL)
		s = "";
	len = log_bare_len(s);
	bare = len > 0;
	if (bare) {   /* nothing to escape: copied whole when it fits as the loop would */
		if (len + 4 < n) {
			memcpy(out, s, len + 1);
			return len;
		}
	}
	if (!bare && o + 1 < n)
		out[o++] = '"';
	for (; *s && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c < 0x20 || c >= 0x7f) {   /* also bytes >= 0x80: logs stay ASCII */
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		} else {
			out[o++] = (char)c;
		}
	}
	if (*s && o + 4 < n) {
		/* truncated: mark it */
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	if (!bare && o + 1 < n)
		out[o++] = '"';
	out[o] = '\0';
	return o;
}

char *
bpg_log_escape(const char *s, char *out, size_t n)
{
	(void)log_escape(s, out, n);
	return out;
}

/* Appends " key=value" to line at *off, never past LOG_LINE_MAX. */
static void
log_field(char *line, size_t *off, const char *key, const char *value)
{
	size_t room;

	/* escaped straight into the line: no temporary copies, no printf */
	if (*off >= LOG_LINE_MAX - 2)
		return;
	line[(*off)++] = ' ';
	room = LOG_LINE_MAX - *off;
	*off += log_escape(key, line + *off, room < 64 ? room : 64);
	if (*off >= LOG_LINE_MAX - 2)
		return;
	line[(*off)++] = '=';
	room = LOG_LINE_MAX - *off;
	*off += log_escape(value, line + *off, room < LOG_VALUE_MAX ? room : LOG_VALUE_MAX);
}

void
bpg_log(enum bpg_log_level level, const char *mod, const char *msg, ...)
{
	static char ts[32];
	static time_t ts_sec;
	char line[LOG_LINE_MAX];
	FILE *fp = log_stream ? log_stream : stderr;
	size_t off = 0;
	long long now_ms;
	time_t sec;
	struct tm tm;
	const char *k;
	va_list ap;
	size_t n;
	long ms;

	if (level < log_level)
		return;
	now_ms = bpg_time_now_ms();
	sec = (time_t)(now_ms / 1000);
	if (sec != ts_sec || ts[0] == '\0') {   /* formatted once a second */
		gmtime_r(&sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		ts_sec = sec;
	}
	/* ts=<ts>.<ms>Z level=<level>, without printf: every request logs a line */
	ms = (long)(now_ms % 1000);
	memcpy(line, "ts=", 3);
	n = strlen(ts);
	memcpy(line + 3, ts, n);
	off = 3 + n;
	line[off++] = '.';
	line[off++] = (char)('0' + ms / 100);
	line[off++] = (char)('0' + ms / 10 % 10);
	line[off++] = (char)('0' + ms % 10);
	memcpy(line + off, "Z level=", 8);
	off += 8;
	n = strlen(level_names[level]);
	memcpy(line + off, level_names[level], n);
	off += n;
	if (log_req[0] != '\0')
		log_field(line, &off, "req", log_req);
	log_field(line, &off, "mod", mod);
	log_field(line, &off, "msg", msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL)
		log_field(line, &off, k, va_arg(ap, const char *));
	va_end(ap);
	line[off] = '\n';
	/* one write per line so lines from concurrent workers do not interleave */
	(void)fwrite(line, 1, off + 1, fp);
	(void)fflush(fp);
}
