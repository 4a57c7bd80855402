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
bpg_auth_header_trusted(const struct bpg_auth_conf *auth, const char *peer_addr)
{
	if (!auth->trust_user_header || peer_addr == NULL)
		return 0;
	for (size_t i = 0; i < auth->trusted_proxies.n; i++) {
		int match = 0;
		if (bpg_config_cidr_match(auth->trusted_proxies.v[i], peer_addr, &match) == BPG_OK &&
		    match)
			return 1;
	}
	return 0;
}

int
bpg_auth_trust_mode_same(const struct bpg_auth_conf *auth, const char *mode)
{
	if (mode == NULL)
		return 0;
	if (!auth->trust_user_header)
		return strcmp(mode, "off") == 0;
	for (size_t i = 0; i < auth->trusted_proxies.n; i++) {
		size_t n = strlen(auth->trusted_proxies.v[i]);
		if (i > 0 && *mode++ != ',')
			return 0;
		if (strncmp(mode, auth->trusted_proxies.v[i], n) != 0)
			return 0;
		mode += n;
	}
	return *mode == '\0';
}
