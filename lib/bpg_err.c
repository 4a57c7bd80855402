/* bpg_err: one table from error code to name and HTTP status. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include "bpg_err.h"

static const struct {
	int status;
	const char *name;
} err_table[BPG_ERR_COUNT] = {
	[BPG_OK]         = { 200, "ok" },
	[BPG_EINVAL]     = { 400, "invalid request" },
	[BPG_EUNAUTH]    = { 401, "unauthenticated" },
	[BPG_EFORBIDDEN] = { 403, "forbidden" },
	[BPG_ENOTFOUND]  = { 404, "not found" },
	[BPG_EMETHOD]    = { 405, "method not allowed" },
	[BPG_ECONFLICT]  = { 409, "conflict" },
	[BPG_ETOOLARGE]  = { 413, "too large" },
	[BPG_ERATELIMIT] = { 429, "too many requests" },
	[BPG_EINTERNAL]  = { 500, "internal error" },
	[BPG_ENOMEM]     = { 500, "out of memory" },
	[BPG_EUPSTREAM]  = { 502, "bad upstream answer" },
	[BPG_EUNAVAIL]   = { 503, "unavailable" },
	[BPG_ETIMEOUT]   = { 504, "timed out" },
	[BPG_ECONFIG]    = { 500, "invalid configuration" },
	[BPG_EIO]        = { 500, "i/o error" },
	[BPG_EMISMATCH]  = { 422, "unprocessable" },
	[BPG_EMEDIA]     = { 415, "unsupported media type" },
	[BPG_ESLOW]      = { 408, "too slow" },
};

int
bpg_err_http_status(enum bpg_err err)
{
	if ((unsigned)err >= BPG_ERR_COUNT || err_table[err].status == 0)
		return 500;
	return err_table[err].status;
}

const char *
bpg_err_str(enum bpg_err err)
{
	if ((unsigned)err >= BPG_ERR_COUNT || err_table[err].name == NULL)
		return "unknown error";
	return err_table[err].name;
}

const char *
bpg_err_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default:  return "Unknown";
	}
}

enum bpg_err
bpg_why_vset(struct bpg_why *w, enum bpg_err err, const char *fmt, va_list ap)
{
	if (w == NULL || w->text == NULL || w->size == 0)
		return err;
	if (vsnprintf(w->text, w->size, fmt, ap) < 0)
		w->text[0] = '\0';
	return err;
}

enum bpg_err
bpg_why_set(struct bpg_why *w, enum bpg_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = bpg_why_vset(w, err, fmt, ap);
	va_end(ap);
	return err;
}

const char *
bpg_why_text(const struct bpg_why *w)
{
	return w != NULL && w->text != NULL && w->size > 0 ? w->text : "";
}
