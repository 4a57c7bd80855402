/* bpg_dispatch: matches a method and path against a route table. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "bpg_dispatch.h"

/* Matches path against pattern segment by segment, capturing {x} segments into m. */
static enum bpg_err
match_pattern(const char *pattern, const char *path, struct bpg_match *m)
{
	const char *p = pattern, *s = path;

	m->nparams = 0;
	while (*p == '/' && *s == '/') {
		const char *pe, *se;
		p++;
		s++;
		pe = strchr(p, '/');
		se = strchr(s, '/');
		if (pe == NULL)
			pe = p + strlen(p);
		if (se == NULL)
			se = s + strlen(s);
		if (*p == '{') {
			size_t n = (size_t)(se - s);
			if (n == 0)
				return BPG_ENOTFOUND;
			if (m->nparams >= BPG_ROUTE_MAX_PARAMS)
				return BPG_ENOTFOUND;
			if (n >= sizeof(m->params[0]))
				return BPG_EINVAL;
			memcpy(m->params[m->nparams], s, n);
			m->params[m->nparams++][n] = '\0';
		} else if (pe - p != se - s || memcmp(p, s, (size_t)(pe - p)) != 0) {
			return BPG_ENOTFOUND;
		}
		p = pe;
		s = se;
	}
	return *p == '\0' && *s == '\0' ? BPG_OK : BPG_ENOTFOUND;
}

enum bpg_err
bpg_dispatch(const struct bpg_route *routes, size_t n, const char *method,
    const char *path, struct bpg_match *out)
{
	char norm[BPG_PATH_MAX];
	struct bpg_match m;
	size_t len = strlen(path), alen = 0, level = SIZE_MAX;
	enum bpg_err err;

	if (len == 0 || path[0] != '/')
		return BPG_ENOTFOUND;
	if (len >= sizeof(norm))
		return BPG_EINVAL;
	memcpy(norm, path, len + 1);
	if (len > 1 && norm[len - 1] == '/')
		norm[len - 1] = '\0';
	out->allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		err = match_pattern(routes[i].pattern, norm, &m);
		if (err == BPG_EINVAL)
			return err;
		/* a route with fewer captures (listed first) owns the path: /spark/mySubmissions
		 * is not /spark/{id}, for dispatch and for Allow alike */
		if (err != BPG_OK || m.nparams > level)
			continue;
		if (m.nparams < level) {
			level = m.nparams;
			out->allow[0] = '\0';
			alen = 0;
		}
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			memcpy(out->params, m.params, sizeof(m.params));
			out->nparams = m.nparams;
			out->route = &routes[i];
			return BPG_OK;
		}
		if (strstr(out->allow, routes[i].method) == NULL) {
			int w = snprintf(out->allow + alen, sizeof(out->allow) - alen, "%s%s",
			    alen ? ", " : "", routes[i].method);
			if (w > 0 && (size_t)w < sizeof(out->allow) - alen)
				alen += (size_t)w;
		}
	}
	return level != SIZE_MAX ? BPG_EMETHOD : BPG_ENOTFOUND;
}

const char *
bpg_route_class_name(enum bpg_route_class cls)
{
	static const char *const names[BPG_CLASS_COUNT] = {
		[BPG_CLASS_OTHER] = "other",
		[BPG_CLASS_SUBMIT] = "submit",
		[BPG_CLASS_LIST] = "list",
		[BPG_CLASS_POLL] = "poll",
	};

	return (unsigned)cls < BPG_CLASS_COUNT ? names[cls] : names[BPG_CLASS_OTHER];
}
