/* bpg_http: one FastCGI request in, one HTTP response out (the only user of fcgiapp.h). */
#ifndef BPG_HTTP_H
#define BPG_HTTP_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_auth.h"
#include "bpg_buf.h"
#include "bpg_dispatch.h"
#include "bpg_err.h"

struct FCGX_Request;

#define BPG_HTTP_MAX_ERROR 1024
/* The base path that answers as the Java BPG did (the configured base_path is stricter). */
#define BPG_HTTP_LEGACY_BASE "/skatev2"

struct bpg_http_req {
	struct FCGX_Request *fcgi;
	const char *method;        /* never NULL */
	const char *uri;           /* DOCUMENT_URI: decoded, normalized by nginx */
	const char *query;         /* QUERY_STRING, "" if none */
	const char *remote_user;   /* REMOTE_USER from nginx's Basic auth, or NULL */
	const char *header_user;   /* HTTP_USER_ACCOUNT, or NULL */
	const char *remote_addr;   /* REMOTE_ADDR (the client as nginx saw it), or NULL */
	const char *peer_addr;     /* BPG_PEER_ADDR: the TCP peer, before real-IP rewriting */
	const char *trust_mode;    /* BPG_TRUST_MODE: nginx's trusted proxies, or "off" */
	const char *request_id;    /* BPG_REQUEST_ID from nginx, or "-" */
	char path[BPG_PATH_MAX];   /* the route path, base path stripped */
	const char *base;          /* the base path stripped (one of the prefixes), or NULL */
	struct bpg_principal user;
	struct bpg_match match;
	/* the error slot: set where the cause is known, written by bpg_http_reply_error() */
	enum bpg_err err;
	char err_msg[BPG_HTTP_MAX_ERROR];
	char err_headers[128];     /* extra headers for the error reply, e.g. "Allow: GET\r\n" */
	int livy;                  /* a Livy API request: errors are {"msg": ...} */
	char warn_headers[640];    /* "Warning: ..." lines added to whichever reply is sent */
	int status;                /* the status written, 0 until a reply is sent */
	size_t bytes_out;
	unsigned long long bytes_in;   /* of a body read with bpg_http_read_some() */
};

/* Fills req from the FastCGI parameters of r; nothing is allocated. */
void bpg_http_req_init(struct bpg_http_req *req, struct FCGX_Request *r);

/* Returns the FastCGI parameter name (e.g. "HTTP_IF_MATCH"), or NULL. */
const char *bpg_http_param(const struct bpg_http_req *req, const char *name);

/*
 * Strips the first of the prefixes (each like "/apiv2") that uri starts with into req->path.
 * Returns BPG_OK, BPG_ENOTFOUND when none matches, BPG_EINVAL when too long.
 */
enum bpg_err bpg_http_strip_base(struct bpg_http_req *req, const char *const *prefixes,
    size_t n);

/* 1 when the request came in under BPG_HTTP_LEGACY_BASE (Java BPG semantics). */
int bpg_http_is_legacy(const struct bpg_http_req *req);

/*
 * Adds a "Warning: 299 bpg \"text\"" header (RFC 7234, as the Kubernetes API server warns)
 * to the reply, whichever it is; quotes and control bytes in text become '?'. Warnings that
 * no longer fit are dropped.
 */
void bpg_http_warn(struct bpg_http_req *req, const char *text);

/* Sets the error slot (the first cause wins) and returns err. */
enum bpg_err bpg_http_fail(struct bpg_http_req *req, enum bpg_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The request's CONTENT_LENGTH into *len_out: -1 when absent or empty (a chunked body).
 * BPG_EINVAL when it is not a whole number of at most 18 digits.
 */
enum bpg_err bpg_http_content_length(const struct bpg_http_req *req, long long *len_out);

/*
 * Reads the whole request body into out, at most limit bytes: BPG_ETOOLARGE past it (by
 * CONTENT_LENGTH before reading, or while reading), BPG_EINVAL for a bad CONTENT_LENGTH or
 * a body shorter than announced.
 */
enum bpg_err bpg_http_read_body(struct bpg_http_req *req, size_t limit, struct bpg_buf *out);

/*
 * Reads up to cap (> 0) bytes of the request body into p, as they arrive (for bodies
 * streamed through: nginx's fastcgi_request_buffering off): what has arrived, waiting only
 * when nothing has (a piece is about 8 KiB at most). *n_out is 0 at the end of the body.
 * BPG_EIO when the body was cut off (the client or nginx went away): the FastCGI stream
 * broke, or it ended before CONTENT_LENGTH bytes.
 */
enum bpg_err bpg_http_read_some(struct bpg_http_req *req, void *p, size_t cap, size_t *n_out);

/*
 * The slowest upload body accepted: a client trickling its body holds a worker all along,
 * so after grace_ms its average rate since start_ms must stay at min_bytes_s or above.
 */
struct bpg_http_pace {
	long long start_ms;             /* monotonic clock, when the body began */
	long long grace_ms;             /* no floor before this much time has passed */
	unsigned long long min_bytes_s; /* the floor; 0: none */
};

/* Starts the clock of pace now. */
void bpg_http_pace_start(struct bpg_http_pace *pace, long long grace_ms,
    unsigned long long min_bytes_s);

/*
 * bpg_http_read_some(), then BPG_ESLOW (408, the message set on req) when the body so far
 * came in below the pace's floor: the caller stops reading and stores nothing.
 */
enum bpg_err bpg_http_read_paced(struct bpg_http_req *req, const struct bpg_http_pace *pace,
    void *p, size_t cap, size_t *n_out);

/*
 * Starts a streamed response (no Content-Length: nginx chunks it). The status is final:
 * a failure after this can only cut the stream short.
 */
enum bpg_err bpg_http_stream_begin(struct bpg_http_req *req, int status,
    const char *content_type, const char *extra_headers);

/*
 * Writes n bytes of a streamed response, sent now when flush (a followed log), else when
 * the FastCGI buffer fills; BPG_EIO when the client is gone.
 */
enum bpg_err bpg_http_stream_write(struct bpg_http_req *req, const void *p, size_t n, int flush);

/* Writes a whole response; extra_headers is "Name: value\r\n"... or NULL. */
enum bpg_err bpg_http_reply(struct bpg_http_req *req, int status, const char *content_type,
    const char *extra_headers, const void *body, size_t len);

/* Writes j as an application/json response. */
enum bpg_err bpg_http_reply_json(struct bpg_http_req *req, int status, const cJSON *j);

/* Writes the error slot as {"code":N,"message":"..."} with its HTTP status. */
enum bpg_err bpg_http_reply_error(struct bpg_http_req *req);

/* Appends the error body req's API writes for status and message (see bpg_json_error_body). */
enum bpg_err bpg_http_error_body(const struct bpg_http_req *req, int status, const char *message,
    struct bpg_buf *out);

#endif
