/* bpg_upauth: who may write which upload (own folder, [upload.NAME] grants, admins, owners). */
#include <string.h>
#include "bpg_sigv4.h"
#include "bpg_upauth.h"
#include "bpg_upname.h"

/* 1 when grant g names user, directly or through one of its queues' users. */
static int
grant_names(const struct bpg_config *cfg, const struct bpg_upload_grant *g, const char *user)
{
	if (bpg_strlist_has(&g->users, user))
		return 1;
	for (size_t i = 0; i < g->queues.n; i++) {
		const struct bpg_queue *q = bpg_config_queue(cfg, g->queues.v[i]);
		if (q != NULL && bpg_strlist_has(&q->users, user))
			return 1;
	}
	return 0;
}

enum bpg_upauth_why
bpg_upauth_folder(const struct bpg_config *cfg, const char *user, int admin, const char *folder)
{
	if (admin)
		return BPG_UPAUTH_ADMIN;
	if (user == NULL || folder == NULL || *folder == '\0')
		return BPG_UPAUTH_DENIED;
	if (bpg_upname_first_is(folder, user))
		return BPG_UPAUTH_OWN;
	for (size_t i = 0; i < cfg->n_grants; i++)
		if (bpg_upname_within(folder, cfg->grants[i].folder) &&
		    grant_names(cfg, &cfg->grants[i], user))
			return BPG_UPAUTH_GRANT;
	return BPG_UPAUTH_DENIED;
}

int
bpg_upauth_replace(const char *user, int admin, const char *folder, const char *owner)
{
	struct bpg_buf tag;
	int ok;

	if (admin)
		return 1;
	if (user == NULL || owner == NULL)
		return 0;
	if (*owner == '\0')
		return bpg_upname_first_is(folder, user);
	bpg_buf_init(&tag, BPG_UPAUTH_OWNER_MAX + 1);
	ok = bpg_upauth_owner_tag(user, &tag) == BPG_OK && strcmp(tag.data, owner) == 0;
	bpg_buf_release(&tag);
	return ok;
}

enum bpg_err
bpg_upauth_owner_tag(const char *user, struct bpg_buf *out)
{
	enum bpg_err err;

	if (user == NULL || *user == '\0')
		return BPG_EINVAL;
	if ((err = bpg_sigv4_uri_encode(user, strlen(user), 0, out)) != BPG_OK)
		return err;
	return bpg_buf_append(out, "", 0);   /* data is a C string even when empty */
}
