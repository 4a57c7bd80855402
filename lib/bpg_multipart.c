/* bpg_multipart: a streaming reader of a multipart/form-data body holding one file part. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "bpg_multipart.h"

enum {
	MP_PREAMBLE = 0,    /* before the first delimiter: discarded */
	MP_AFTER,           /* just after a delimiter: "--", or optional blanks then CRLF */
	MP_AFTER_DASH,      /* "-" read: a second one closes the body */
	MP_AFTER_LWSP,      /* blanks after the delimiter */
	MP_AFTER_CR,        /* CR read: LF begins a part */
	MP_HEADERS,         /* the part's header block, up to the empty line */
	MP_BODY,            /* the part's content, up to the next delimiter */
	MP_EPILOGUE,        /* after the closing delimiter: discarded */
	MP_ERROR
};

#define FAIL(...) do { m->state = MP_ERROR; \
	return bpg_why_set(why, BPG_EINVAL, __VA_ARGS__); } while (0)

int
bpg_multipart_is_form(const char *ct)
{
	size_t n = strlen("multipart/form-data");

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return strncasecmp(ct, "multipart/form-data", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/*
 * Finds parameter name (case-insensitive) in the ';'-separated parameters of value (quotes
 * respected); its value (unquoted, backslash escapes kept) into out. 1 when found.
 */
static int
param_get(const char *value, const char *name, char *out, size_t cap)
{
	const char *p = strchr(value, ';');
	size_t nlen = strlen(name);

	while (p != NULL && *p == ';') {
		size_t o = 0;
		int hit;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		hit = strncasecmp(p, name, nlen) == 0 && p[nlen] == '=';
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		if (*p == '=')
			p++;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (hit && o + 1 < cap)
					out[o++] = *p;
			}
			if (*p == '"')
				p++;
		}
		for (; *p != '\0' && *p != ';'; p++)
			if (hit && *p != ' ' && *p != '\t' && o + 1 < cap)
				out[o++] = *p;
		if (hit) {
			out[o] = '\0';
			return 1;
		}
	}
	return 0;
}

enum bpg_err
bpg_multipart_init(struct bpg_multipart *m, const char *ct, bpg_multipart_sink sink, void *ctx,
    struct bpg_why *why)
{
	char b[BPG_MULTIPART_BOUNDARY_MAX + 2];
	size_t n;

	memset(m, 0, sizeof(*m));
	m->sink = sink;
	m->ctx = ctx;
	if (ct == NULL || !param_get(ct, "boundary", b, sizeof(b)) || (n = strlen(b)) == 0)
		FAIL("multipart/form-data without a boundary parameter");
	if (n > BPG_MULTIPART_BOUNDARY_MAX)
		FAIL("multipart boundary longer than %d characters", BPG_MULTIPART_BOUNDARY_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || b[i] == 0x7f)
			FAIL("multipart boundary holds a control character");
	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, b, n);
	m->dlen = n + 4;
	m->state = MP_PREAMBLE;
	/* the body may open with "--boundary": read it as if a CRLF came before */
	return bpg_multipart_feed(m, "\r\n", 2, why);
}

/* Sends bytes of the part (nothing outside MP_BODY); -1 when the sink refused. */
static int
emit(struct bpg_multipart *m, const char *p, size_t n)
{
	if (m->state != MP_BODY || n == 0)
		return 0;
	m->size += n;
	return m->sink(m->ctx, p, n) != 0 ? -1 : 0;
}

/*
 * Scans p[0..n) for the delimiter, emitting what is not part of it. The bytes of a partial
 * match are held back (m->matched, possibly from an earlier chunk); when the match fails they
 * are emitted from delim (they equal it) and matching restarts at the current byte. No match
 * can begin inside the held bytes: CR is only delim[0] (the boundary has no control
 * characters), so the naive restart finds every delimiter. *used_out: bytes consumed;
 * returns 1 when a whole delimiter ended at p[*used_out - 1], 0 when the input ran out, -1
 * when the sink refused.
 */
static int
scan(struct bpg_multipart *m, const char *p, size_t n, size_t *used_out)
{
	size_t i, run = 0;
	int in_run = 0;

	for (i = 0; i < n; i++) {
		char c = p[i];
		if (m->matched > 0 && c != m->delim[m->matched]) {
			if (emit(m, m->delim, m->matched) != 0)
				return -1;
			m->matched = 0;
		}
		if (c != m->delim[m->matched]) {
			if (!in_run)
				run = i, in_run = 1;
			continue;
		}
		if (in_run && emit(m, p + run, i - run) != 0)
			return -1;
		in_run = 0;
		if (++m->matched == m->dlen) {
			m->matched = 0;
			*used_out = i + 1;
			return 1;
		}
	}
	*used_out = n;
	return in_run && emit(m, p + run, n - run) != 0 ? -1 : 0;
}

/* The part's headers: a Content-Disposition with a filename; no encoding but binary. */
static enum bpg_err
headers_check(struct bpg_multipart *m, struct bpg_why *why)
{
	char *line = m->headers, *end = m->headers + m->hlen, val[8];
	int file = 0;

	m->headers[m->hlen - 2] = '\0';   /* the block ends "\r\n\r\n" or is "\r\n" */
	while (line < end && *line != '\0') {
		char *eol = strstr(line, "\r\n"), *v;
		if (eol != NULL)
			*eol = '\0';
		v = strchr(line, ':');
		if (v != NULL) {
			for (v++; *v == ' ' || *v == '\t'; v++)
				;
			if (strncasecmp(line, "Content-Disposition:", 20) == 0)
				file = strncasecmp(v, "form-data", 9) == 0 &&
				    (param_get(v, "filename", val, sizeof(val)) ||
				    param_get(v, "filename*", val, sizeof(val)));
			else if (strncasecmp(line, "Content-Transfer-Encoding:", 26) == 0 &&
			    strcasecmp(v, "binary") != 0 && strcasecmp(v, "8bit") != 0 &&
			    strcasecmp(v, "7bit") != 0)
				FAIL("multipart part: Content-Transfer-Encoding %.32s is not supported", v);
		}
		if (eol == NULL)
			break;
		line = eol + 2;
	}
	if (!file)
		FAIL("multipart part is not a file: its Content-Disposition needs a filename "
		    "(curl -F 'file=@PATH')");
	return BPG_OK;
}

/* One byte of the lines around a delimiter or of the header block. */
static enum bpg_err
step(struct bpg_multipart *m, char c, struct bpg_why *why)
{
	switch (m->state) {
	case MP_AFTER:
		if (c == '-')
			m->state = MP_AFTER_DASH;
		else if (c == ' ' || c == '\t')
			m->state = MP_AFTER_LWSP;
		else if (c == '\r')
			m->state = MP_AFTER_CR;
		else
			FAIL("multipart body: a boundary line is followed by something else");
		return BPG_OK;
	case MP_AFTER_DASH:
		if (c != '-')
			FAIL("multipart body: a boundary line is followed by something else");
		if (m->parts == 0)
			FAIL("multipart body holds no part");
		m->state = MP_EPILOGUE;
		return BPG_OK;
	case MP_AFTER_LWSP:
		if (c == '\r')
			m->state = MP_AFTER_CR;
		else if (c != ' ' && c != '\t')
			FAIL("multipart body: a boundary line is followed by something else");
		return BPG_OK;
	case MP_AFTER_CR:
		if (c != '\n')
			FAIL("multipart body: a boundary line does not end with CRLF");
		if (++m->parts > 1)
			FAIL("multipart body holds more than one part: send exactly one file");
		m->state = MP_HEADERS;
		m->hlen = 0;
		return BPG_OK;
	default:   /* MP_HEADERS */
		if (m->hlen + 1 >= sizeof(m->headers))
			FAIL("multipart part headers longer than %d bytes", BPG_MULTIPART_HEADERS_MAX);
		m->headers[m->hlen++] = c;
		if ((m->hlen == 2 && memcmp(m->headers, "\r\n", 2) == 0) ||
		    (m->hlen >= 4 && memcmp(m->headers + m->hlen - 4, "\r\n\r\n", 4) == 0)) {
			if (headers_check(m, why) != BPG_OK)
				return BPG_EINVAL;
			m->state = MP_BODY;
			m->matched = 0;
		}
		return BPG_OK;
	}
}

enum bpg_err
bpg_multipart_feed(struct bpg_multipart *m, const char *p, size_t n, struct bpg_why *why)
{
	size_t i = 0;

	while (i < n) {
		size_t used;
		int r;
		switch (m->state) {
		case MP_ERROR:
			FAIL("multipart body: already failed");
		case MP_EPILOGUE:
			return BPG_OK;
		case MP_PREAMBLE:
		case MP_BODY:
			if ((r = scan(m, p + i, n - i, &used)) < 0) {
				bpg_why_set(why, BPG_EIO, "the upload could not be written");
				m->state = MP_ERROR;
				return BPG_EIO;
			}
			i += used;
			if (r == 1)
				m->state = MP_AFTER;
			break;
		default:
			if (step(m, p[i++], why) != BPG_OK)
				return BPG_EINVAL;
			break;
		}
	}
	return BPG_OK;
}

enum bpg_err
bpg_multipart_finish(const struct bpg_multipart *m, struct bpg_why *why)
{
	if (m->state == MP_EPILOGUE)
		return BPG_OK;
	if (m->state == MP_PREAMBLE)
		bpg_why_set(why, BPG_EINVAL, "multipart body without its boundary line");
	else if (m->state == MP_ERROR)
		bpg_why_set(why, BPG_EINVAL, "multipart body: already failed");
	else
		bpg_why_set(why, BPG_EINVAL,
		    "multipart body ended before its closing boundary: nothing "
		    "was stored");
	return BPG_EINVAL;
}
