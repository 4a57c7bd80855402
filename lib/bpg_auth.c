/* bpg_auth: who the caller is (from nginx or a trusted sidecar) and what they may do. */
#include <string.h>
#include "bpg_auth.h"

/* A user name: 1..BPG_USER_MAX bytes, printable ASCII or UTF-8, no space or control. */
static int
auth_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BPG_USER_MAX)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

enum bpg_err
bpg_auth_identify(const struct bpg_auth_conf *auth, const char *remote_user,
    const char *header_user, struct bpg_principal *out)
{
	const char *name = remote_user;

	if (auth->trust_user_header && header_user != NULL && header_user[0] != '\0')
		name = header_user;
	if (name == NULL || !auth_name_ok(name))
		return BPG_EUNAUTH;
	if (bpg_strlist_has(&auth->blocked_users, name))
		return BPG_EUNAUTH;
	if (!bpg_strlist_has(&auth->allowed_users, "*") &&
	    !bpg_strlist_has(&auth->allowed_users, name))
		return BPG_EUNAUTH;
	memcpy(out->name, name, strlen(name) + 1);
	out->admin = bpg_strlist_has(&auth->admin_users, name);
	return BPG_OK;
}

int
bpg_auth_header_trusted(const struct bpg_auth_conf *auth, const char *remote_addr)
{
	if (!auth->trust_user_header || remote_addr == NULL)
		return 0;
	for (size_t i = 0; i < auth->trusted_proxies.n; i++) {
		int match = 0;
		if (bpg_config_cidr_match(auth->trusted_proxies.v[i], remote_addr, &match) == BPG_OK &&
		    match)
			return 1;
	}
	return 0;
}
