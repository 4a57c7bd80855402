/* bpg_csrf: requests a browser sent from another site, and bodies by their declared type. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "bpg_csrf.h"

/* 1 for the methods a browser may send cross-site without side effects of ours. */
static int
method_safe(const char *m)
{
	return m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "OPTIONS") == 0);
}

/*
 * The authority of "scheme://host[:port]" into *a, *alen, its default port (":443" for
 * https, ":80" for http) dropped; 0 when origin has another form (a path, no scheme).
 */
static int
origin_authority(const char *origin, const char **a, size_t *alen)
{
	const char *p = strstr(origin, "://"), *dflt;
	size_t n, dn;

	if (p == NULL || p == origin || strchr(p + 3, '/') != NULL || p[3] == '\0')
		return 0;
	dflt = (size_t)(p - origin) == 5 && strncasecmp(origin, "https", 5) == 0 ? ":443" :
	    (size_t)(p - origin) == 4 && strncasecmp(origin, "http", 4) == 0 ? ":80" : NULL;
	*a = p + 3;
	n = strlen(*a);
	dn = dflt != NULL ? strlen(dflt) : 0;
	if (dn > 0 && n > dn && strcmp(*a + n - dn, dflt) == 0)
		n -= dn;
	*alen = n;
	return 1;
}

/* 1 when host (a Host header) names the authority a (alen bytes), default ports aside. */
static int
host_is(const char *host, const char *a, size_t alen)
{
	size_t n = strlen(host);

	if (n == alen + 4 && (strcmp(host + alen, ":443") == 0))
		n = alen;
	else if (n == alen + 3 && strcmp(host + alen, ":80") == 0)
		n = alen;
	return n == alen && strncasecmp(host, a, alen) == 0;
}

enum bpg_err
bpg_csrf_check(const struct bpg_csrf_in *in, const struct bpg_strlist *trusted, struct bpg_why *why)
{
	const char *sfs = in->sec_fetch_site, *o = in->origin, *a;
	int origin_trusted = 0;
	size_t alen;

	if (method_safe(in->method))
		return BPG_OK;
	if (o != NULL && o[0] != '\0' && trusted != NULL) {
		for (size_t i = 0; i < trusted->n && !origin_trusted; i++)
			origin_trusted = strcasecmp(trusted->v[i], o) == 0;
	}
	if (sfs != NULL && sfs[0] != '\0' && strcmp(sfs, "same-origin") != 0 &&
	    strcmp(sfs, "none") != 0 && !origin_trusted)
		return bpg_why_set(why, BPG_EFORBIDDEN,
		    "cross-site request refused: the browser sent it from "
		    "another site (Sec-Fetch-Site: %.32s)", sfs);
	if (o == NULL || o[0] == '\0' || origin_trusted)
		return BPG_OK;
	if (in->host != NULL && origin_authority(o, &a, &alen) && host_is(in->host, a, alen))
		return BPG_OK;
	return bpg_why_set(why, BPG_EFORBIDDEN,
	    "cross-site request refused: Origin %.200s is not this gateway's "
	    "(add it to [gateway] allowed_origins to trust it)", o);
}

/* The media types by their essence; the first that matches wins. */
static const struct {
	const char *essence;
	enum bpg_media media;
} media_table[] = {
	{ "application/json", BPG_MEDIA_JSON },
	{ "application/yaml", BPG_MEDIA_YAML },
	{ "application/x-yaml", BPG_MEDIA_YAML },
	{ "text/yaml", BPG_MEDIA_YAML },
	{ "text/x-yaml", BPG_MEDIA_YAML },
	{ "multipart/form-data", BPG_MEDIA_MULTIPART },
	{ "application/octet-stream", BPG_MEDIA_OCTET },
	{ "application/x-www-form-urlencoded", BPG_MEDIA_FORM },
};

enum bpg_media
bpg_media_of(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return BPG_MEDIA_NONE;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 0)
		return BPG_MEDIA_NONE;
	for (size_t i = 0; i < sizeof(media_table) / sizeof(media_table[0]); i++) {
		if (strlen(media_table[i].essence) == n &&
		    strncasecmp(ct, media_table[i].essence, n) == 0)
			return media_table[i].media;
	}
	/* application/<anything>+json (problem+json, merge-patch+json): JSON too */
	if (n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
	    strncasecmp(ct + n - 5, "+json", 5) == 0 && memchr(ct + 12, '/', n - 12) == NULL)
		return BPG_MEDIA_JSON;
	return BPG_MEDIA_OTHER;
}

/* Bit masks of the media a body kind accepts, and what to tell a client who sent another. */
#define M(x) (1u << (x))
static const struct {
	unsigned accept;
	const char *takes;
} body_table[] = {
	[BPG_BODY_NONE] = { ~0u, "" },
	[BPG_BODY_SUBMIT] = { M(BPG_MEDIA_NONE) | M(BPG_MEDIA_JSON) | M(BPG_MEDIA_YAML),
	    "application/json or application/yaml" },
	[BPG_BODY_JSON] = { M(BPG_MEDIA_NONE) | M(BPG_MEDIA_JSON), "application/json" },
	/* an artifact is stored as sent whatever its type (a .json, a .py as text/plain): only
	 * multipart/form-data is read as an envelope; no type can make it act as anything else */
	[BPG_BODY_UPLOAD] = { ~0u, "" },
};
#undef M

enum bpg_err
bpg_media_accept(enum bpg_route_body body, const char *content_type,
    enum bpg_media *media_out, struct bpg_why *why)
{
	enum bpg_media m = bpg_media_of(content_type);

	if ((unsigned)body >= sizeof(body_table) / sizeof(body_table[0]) ||
	    (body_table[body].accept & (1u << m)) == 0)
		return bpg_why_set(why, BPG_EMEDIA,
		    "unsupported Content-Type '%.100s': this endpoint takes %s",
		    content_type != NULL ? content_type : "",
		    (unsigned)body < sizeof(body_table) / sizeof(body_table[0]) ?
		    body_table[body].takes : "no body");
	*media_out = m;
	return BPG_OK;
}
