/* bpg_sigv4: AWS Signature Version 4 (pure: no I/O), with OpenSSL's SHA-256 and HMAC. */
#ifndef BPG_SIGV4_H
#define BPG_SIGV4_H

#include <stddef.h>
#include <time.h>
#include "bpg_buf.h"
#include "bpg_err.h"

#define BPG_SIGV4_HEX_LEN     64          /* a SHA-256 in lowercase hex */
#define BPG_SIGV4_DATE_LEN    16          /* "20261130T041308Z" */
#define BPG_SIGV4_AUTH_MAX    1024        /* the Authorization header value */
#define BPG_SIGV4_MAX_HEADERS 16
#define BPG_SIGV4_MAX_PARAMS  16
#define BPG_SIGV4_UNSIGNED    "UNSIGNED-PAYLOAD"

/* A query parameter or a header, unencoded; value may be "" (never NULL). */
struct bpg_sigv4_pair {
	const char *name;
	const char *value;
};

struct bpg_sigv4_input {
	const char *method;                     /* "PUT" */
	const char *host;                       /* the Host header as sent: "h:9000" when not default */
	const char *path;                       /* unencoded, starts with '/': "/bucket/a b/ü.txt" */
	const struct bpg_sigv4_pair *params;    /* query, any order, unencoded */
	size_t n_params;
	const struct bpg_sigv4_pair *headers;   /* more headers to sign (content-type, ...), any case */
	size_t n_headers;
	const char *payload_sha256;             /* lowercase hex, or BPG_SIGV4_UNSIGNED */
	const char *region;                     /* "us-east-1" */
	const char *service;                    /* "s3" */
	const char *access_key;
	const char *secret_key;
	const char *session_token;              /* NULL: none (else signed as x-amz-security-token) */
	time_t now;
};

/*
 * Percent-encodes n bytes of s the SigV4 way (RFC 3986: A-Z a-z 0-9 - _ . ~ kept, every other
 * byte %XX in uppercase hex; '/' kept when keep_slash), appending to out.
 */
enum bpg_err bpg_sigv4_uri_encode(const char *s, size_t n, int keep_slash, struct bpg_buf *out);

/*
 * Appends the canonical URI of path (unencoded, starting with '/'): every byte but '/' encoded
 * once, as S3 wants (no double encoding, no "."/".." or "//" normalisation). BPG_EINVAL when
 * path does not start with '/'. It is also the path to send.
 */
enum bpg_err bpg_sigv4_canonical_uri(const char *path, struct bpg_buf *out);

/*
 * Appends the canonical query "a=1&b=": each name and value encoded (keep_slash 0), then
 * sorted bytewise by encoded name, then by encoded value. BPG_EINVAL past
 * BPG_SIGV4_MAX_PARAMS or on a NULL name or value.
 */
enum bpg_err bpg_sigv4_canonical_query(const struct bpg_sigv4_pair *params, size_t n,
    struct bpg_buf *out);

/* Writes the lowercase hex SHA-256 of n bytes of p into hex (BPG_SIGV4_HEX_LEN + 1 bytes). */
void bpg_sigv4_sha256_hex(const void *p, size_t n, char hex[BPG_SIGV4_HEX_LEN + 1]);

/*
 * Signs in. Writes the Authorization header value into auth (authlen bytes) and the
 * x-amz-date value into amz_date. The signed headers are host, x-amz-content-sha256,
 * x-amz-date, x-amz-security-token (when given) and in->headers (names lowercased, values
 * trimmed, inner runs of spaces folded). When canonical_out is not NULL the canonical request
 * is appended to it (for tests and debugging). BPG_EINVAL on a NULL field, too many headers
 * or params, a header name or value with CR/LF/NUL; BPG_ETOOLARGE when auth is too short.
 */
enum bpg_err bpg_sigv4_sign(const struct bpg_sigv4_input *in, struct bpg_buf *canonical_out,
    char *auth, size_t authlen, char amz_date[BPG_SIGV4_DATE_LEN + 1]);

#endif
