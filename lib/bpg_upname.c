/* bpg_upname: what an upload's name and folder may be, and how folders nest (pure). */
#include <stdio.h>
#include <string.h>
#include "bpg_upname.h"

int
bpg_upname_segment_ok(const char *s, size_t n)
{
	if (s == NULL || n == 0 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-' || c == '+' || c == '=' || c == '@' || c == ','))
			return 0;
	}
	return 1;
}

enum bpg_err
bpg_upname_folder(const char *f, char out[BPG_UPNAME_FOLDER_MAX + 1], struct bpg_why *why)
{
	size_t n = strlen(f), segs = 0;
	const char *p = f;

	while (n > 0 && f[n - 1] == '/')
		n--;
	if (n > BPG_UPNAME_FOLDER_MAX)
		return bpg_why_set(why, BPG_EINVAL, "folder: longer than %d bytes",
		    BPG_UPNAME_FOLDER_MAX);
	if (f[0] == '/')
		return bpg_why_set(why, BPG_EINVAL, "folder: must not start with '/'");
	while (p < f + n) {
		const char *e = memchr(p, '/', (size_t)(f + n - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(f + n - p);
		if (!bpg_upname_segment_ok(p, len) || ++segs > BPG_UPNAME_FOLDER_SEGS)
			return bpg_why_set(why, BPG_EINVAL,
			    "folder: each of at most %d '/'-separated parts must be "
			    "letters, digits and . _ - + = @ , (not starting with '.', no '..', no empty "
			    "part)", BPG_UPNAME_FOLDER_SEGS);
		p += len + 1;
	}
	memcpy(out, f, n);
	out[n] = '\0';
	return BPG_OK;
}

int
bpg_upname_within(const char *folder, const char *prefix)
{
	size_t n = strlen(prefix);

	return n > 0 && strncmp(folder, prefix, n) == 0 && (folder[n] == '\0' || folder[n] == '/');
}

int
bpg_upname_first_is(const char *folder, const char *user)
{
	return user != NULL && *user != '\0' && strchr(user, '/') == NULL &&
	    bpg_upname_within(folder, user);
}
