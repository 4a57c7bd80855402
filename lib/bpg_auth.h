/* bpg_auth: who the caller is (from nginx or a trusted sidecar) and what they may do. */
#ifndef BPG_AUTH_H
#define BPG_AUTH_H

#include "bpg_config.h"
#include "bpg_err.h"

#define BPG_USER_MAX 128

struct bpg_principal {
	char name[BPG_USER_MAX + 1];
	int admin;
};

/*
 * Decides the caller from remote_user (set by nginx after Basic auth) or, only when
 * auth->trust_user_header is on, header_user (User-Account from a trusted sidecar, which
 * wins when present). Returns BPG_EUNAUTH when there is no usable name, the name is
 * blocked or not allowed, or it is empty, too long or holds control characters.
 */
enum bpg_err bpg_auth_identify(const struct bpg_auth_conf *auth, const char *remote_user,
    const char *header_user, struct bpg_principal *out);

/*
 * 1 when a User-Account header from peer_addr may be believed: trust_user_header is on and
 * the address is inside one of trusted_proxies. peer_addr is the TCP peer nginx saw
 * (BPG_PEER_ADDR, $realip_remote_addr), never an address a header claimed. Otherwise the
 * header must be ignored (nginx strips it too) and the Basic-auth user counts.
 */
int bpg_auth_header_trusted(const struct bpg_auth_conf *auth, const char *peer_addr);

/*
 * 1 when mode, nginx's BPG_TRUST_MODE ("off", or the trusted proxies joined by "," as
 * rendered from the same [auth] trusted_proxies), is this configuration's: nginx and the
 * workers then agree on whose User-Account counts. 0 when they differ or mode is NULL.
 */
int bpg_auth_trust_mode_same(const struct bpg_auth_conf *auth, const char *mode);

#endif
