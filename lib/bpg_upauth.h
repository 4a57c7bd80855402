/* bpg_upauth: who may write which upload (own folder, [upload.NAME] grants, admins, owners). */
#ifndef BPG_UPAUTH_H
#define BPG_UPAUTH_H

#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_err.h"

#define BPG_UPAUTH_OWNER_META "x-amz-meta-bpg-owner"   /* where an object's owner is kept */
#define BPG_UPAUTH_OWNER_MAX  (3 * 128)                /* an encoded owner, in bytes */

/* Why a caller may create objects in a folder; BPG_UPAUTH_DENIED (0) when not. */
enum bpg_upauth_why {
	BPG_UPAUTH_DENIED = 0,
	BPG_UPAUTH_OWN,       /* the folder's first segment is the caller's name */
	BPG_UPAUTH_GRANT,     /* an [upload.NAME] grant covers the folder and the caller */
	BPG_UPAUTH_ADMIN,     /* [auth] admin_users */
};

/*
 * May user (admin when [auth] admin_users holds it) create a new object in folder (checked
 * by bpg_upname_folder, without [s3] folder; "" is nobody's)? Names compare bytewise, whole
 * segments only: "demo/x" is demo's, not dem's nor Demo's.
 */
enum bpg_upauth_why bpg_upauth_folder(const struct bpg_config *cfg, const char *user, int admin,
    const char *folder);

/*
 * May user replace the existing object in folder whose recorded owner (as
 * bpg_upauth_owner_tag wrote it; "" when the object has none) is owner? Admins may; else
 * an object with an owner only by that owner; an object without one only by the owner of
 * its folder (its first segment), never through a grant.
 */
int bpg_upauth_replace(const char *user, int admin, const char *folder, const char *owner);

/*
 * Appends user as it is recorded on an object (the value of BPG_UPAUTH_OWNER_META):
 * percent-encoded like a URI component, so any name is a valid ASCII header value.
 */
enum bpg_err bpg_upauth_owner_tag(const char *user, struct bpg_buf *out);

#endif
