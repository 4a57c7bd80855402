/* Unit tests for bpg_upauth: who may create and replace uploads, with grants from an INI. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_upauth.h"
#include "testkit.h"

static const char ini[] =
	"[database]\nname = bpg\nuser = bpg\n"
	"[auth]\nallowed_users = *\nadmin_users = root\n"
	"[cluster.c01]\nweight = 1\napi_server = https://k\nnamespace = spark\nca_file = ca\n"
	"token_file = t\nspark_versions = 3.5\nqueues = etl, poc\n"
	"[queue.etl]\nusers = bot, Carol\n"
	"[queue.poc]\n"
	"[upload.team]\nfolder = team\nusers = alice\nqueues = etl\n"
	"[upload.deep]\nfolder = shared/x=1/y\nusers = bob, a@b.c\n"
	"[upload.open]\nfolder = pub\nqueues = poc\n";

static struct bpg_config *cfg;
static char path[64];

static void
setup(void)
{
	struct bpg_buf errors;
	int fd;

	snprintf(path, sizeof(path), "/tmp/bpg-upauth-XXXXXX");
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, ini, strlen(ini)), (int)strlen(ini));
	ck_assert_int_eq(close(fd), 0);
	bpg_buf_init(&errors, 0);
	ck_assert_msg(bpg_config_load(path, &cfg, &errors) == BPG_OK, "%s",
	    errors.data ? errors.data : "");
	bpg_buf_release(&errors);
}

static void
teardown(void)
{
	bpg_config_free(cfg);
	cfg = NULL;
	(void)unlink(path);
}

static const struct {
	const char *user;
	int admin;
	const char *folder;
	enum bpg_upauth_why want;
} folder_cases[] = {
	/* his own folder: the first segment, whole, bytewise */
	{ "alice", 0, "alice", BPG_UPAUTH_OWN }, { "alice", 0, "alice/x/y", BPG_UPAUTH_OWN },
	{ "alice", 0, "alic", BPG_UPAUTH_DENIED }, { "alice", 0, "alicex", BPG_UPAUTH_DENIED },
	{ "alic", 0, "alice", BPG_UPAUTH_DENIED }, { "alice", 0, "Alice", BPG_UPAUTH_DENIED },
	{ "alice", 0, "x/alice", BPG_UPAUTH_DENIED }, { "alice", 0, "", BPG_UPAUTH_DENIED },
	{ "bob", 0, "alice", BPG_UPAUTH_DENIED }, { "a@b.c", 0, "a@b.c/x", BPG_UPAUTH_OWN },
	{ "a/b", 0, "a/b", BPG_UPAUTH_DENIED }, { "", 0, "alice", BPG_UPAUTH_DENIED },
	/* grants: users, a queue's users (exact), the folder and below, whole segments */
	{ "alice", 0, "team", BPG_UPAUTH_GRANT }, { "alice", 0, "team/a/b", BPG_UPAUTH_GRANT },
	{ "alice", 0, "teamx", BPG_UPAUTH_DENIED }, { "alice", 0, "tea", BPG_UPAUTH_DENIED },
	{ "alice", 0, "Team", BPG_UPAUTH_DENIED }, { "bot", 0, "team/z", BPG_UPAUTH_GRANT },
	{ "Carol", 0, "team", BPG_UPAUTH_GRANT }, { "carol", 0, "team", BPG_UPAUTH_DENIED },
	{ "mallory", 0, "team", BPG_UPAUTH_DENIED }, { "bob", 0, "shared/x=1/y", BPG_UPAUTH_GRANT },
	{ "bob", 0, "shared/x=1/y/z", BPG_UPAUTH_GRANT }, { "bob", 0, "shared/x=1", BPG_UPAUTH_DENIED },
	{ "bob", 0, "shared/x=1/yy", BPG_UPAUTH_DENIED }, { "bob", 0, "shared", BPG_UPAUTH_DENIED },
	{ "a@b.c", 0, "shared/x=1/y", BPG_UPAUTH_GRANT }, { "alice", 0, "shared/x=1/y", BPG_UPAUTH_DENIED },
	/* a queue without users grants nobody */
	{ "alice", 0, "pub", BPG_UPAUTH_DENIED }, { "bob", 0, "pub/x", BPG_UPAUTH_DENIED },
	/* admins anywhere */
	{ "root", 1, "alice", BPG_UPAUTH_ADMIN }, { "root", 1, "anything/at/all", BPG_UPAUTH_ADMIN },
	{ "root", 1, "", BPG_UPAUTH_ADMIN },
};

START_TEST(test_folder)
{
	ck_assert_msg(bpg_upauth_folder(cfg, folder_cases[_i].user, folder_cases[_i].admin,
	    folder_cases[_i].folder) == folder_cases[_i].want, "%s in '%s'", folder_cases[_i].user,
	    folder_cases[_i].folder);
}
END_TEST

static const struct {
	const char *user;
	int admin;
	const char *folder, *owner;
	int want;
} replace_cases[] = {
	{ "alice", 0, "alice/x", "alice", 1 }, { "alice", 0, "alice/x", "bob", 0 },
	{ "alice", 0, "alice/x", "", 1 },        /* no recorded owner: the folder's owner */
	{ "bob", 0, "alice/x", "", 0 }, { "bob", 0, "team", "", 0 },   /* never through a grant */
	{ "bob", 0, "team", "bob", 1 }, { "alice", 0, "team", "bob", 0 },
	{ "root", 1, "team", "bob", 1 }, { "root", 1, "alice", "", 1 },
	{ "a@b.c", 0, "shared/x=1/y", "a%40b.c", 1 }, { "a@b.c", 0, "shared/x=1/y", "a@b.c", 0 },
	{ "alice", 0, "alice", "alice ", 0 }, { "alice", 0, "alice", "Alice", 0 },
	{ "alice", 0, "alice", NULL, 0 }, { NULL, 0, "alice", "alice", 0 },
};

START_TEST(test_replace)
{
	ck_assert_int_eq(bpg_upauth_replace(replace_cases[_i].user, replace_cases[_i].admin,
	    replace_cases[_i].folder, replace_cases[_i].owner), replace_cases[_i].want);
}
END_TEST

static const struct {
	const char *user;
	enum bpg_err err;
	const char *tag;
} tag_cases[] = {
	{ "demo", BPG_OK, "demo" }, { "etl-bot_1.x~", BPG_OK, "etl-bot_1.x~" },
	{ "a@b.c", BPG_OK, "a%40b.c" }, { "a b/c", BPG_OK, "a%20b%2Fc" },
	{ "caf\xc3\xa9", BPG_OK, "caf%C3%A9" }, { "x=1+2,3", BPG_OK, "x%3D1%2B2%2C3" },
	{ "", BPG_EINVAL, NULL }, { NULL, BPG_EINVAL, NULL },
};

START_TEST(test_owner_tag)
{
	struct bpg_buf b;

	bpg_buf_init(&b, BPG_UPAUTH_OWNER_MAX + 1);
	ck_assert_int_eq(bpg_upauth_owner_tag(tag_cases[_i].user, &b), tag_cases[_i].err);
	if (tag_cases[_i].tag != NULL)
		ck_assert_str_eq(b.data, tag_cases[_i].tag);
	bpg_buf_release(&b);
}
END_TEST

int
main(void)
{
	static const struct tk_opts opt = { setup, teardown, 0, 0 };
	const struct tk_test tests[] = {
		TK_LOOP(test_folder, folder_cases),
		TK_LOOP(test_replace, replace_cases),
		TK_LOOP(test_owner_tag, tag_cases),
	};

	return tk_run("bpg_upauth", tests, TK_LEN(tests), &opt);
}
