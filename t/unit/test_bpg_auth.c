/* Unit tests for bpg_auth: who the caller is and whether they may come in. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_auth.h"
#include "testkit.h"

/* The lists the configurations use (static: the strlists point into them). */
static char *all[] = { TK_STR("*") };
static char *listed[] = { TK_STR("alice"), TK_STR("bob"), TK_STR("admin"), TK_STR("eve") };
static char *blocked[] = { TK_STR("mallory"), TK_STR("eve") };
static char *admins[] = { TK_STR("admin"), TK_STR("root") };
#define LIST(a) ((struct bpg_strlist){ (a), sizeof(a) / sizeof((a)[0]) })
#define EMPTY ((struct bpg_strlist){ NULL, 0 })

enum conf_kind { ALL, LISTED, ALL_TRUSTED };

/* Three configurations the cases run against. */
static struct bpg_auth_conf
conf_of(enum conf_kind kind)
{
	struct bpg_auth_conf a;

	memset(&a, 0, sizeof(a));
	a.blocked_users = LIST(blocked);
	a.admin_users = LIST(admins);
	a.allowed_users = kind == LISTED ? LIST(listed) : LIST(all);
	a.trust_user_header = kind == ALL_TRUSTED;
	return a;
}

static const struct {
	enum conf_kind conf;
	const char *remote;
	const char *header;
	enum bpg_err err;
	const char *name;
	int admin;
} cases[] = {
	/* "*" lets every valid name in */
	{ ALL, "alice", NULL, BPG_OK, "alice", 0 },
	{ ALL, "zed", NULL, BPG_OK, "zed", 0 },
	{ ALL, "admin", NULL, BPG_OK, "admin", 1 },
	{ ALL, "root", NULL, BPG_OK, "root", 1 },
	{ ALL, "Admin", NULL, BPG_OK, "Admin", 0 },      /* names are case-sensitive */
	{ ALL, "jos\xc3\xa9", NULL, BPG_OK, "jos\xc3\xa9", 0 },
	{ ALL, "a.b-c_d@corp", NULL, BPG_OK, "a.b-c_d@corp", 0 },
	/* blocked wins over "*" and over an explicit list */
	{ ALL, "mallory", NULL, BPG_EUNAUTH, NULL, 0 },
	{ LISTED, "eve", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "Mallory", NULL, BPG_OK, "Mallory", 0 },
	/* explicit list */
	{ LISTED, "alice", NULL, BPG_OK, "alice", 0 },
	{ LISTED, "admin", NULL, BPG_OK, "admin", 1 },
	{ LISTED, "zed", NULL, BPG_EUNAUTH, NULL, 0 },
	{ LISTED, "ALICE", NULL, BPG_EUNAUTH, NULL, 0 },
	{ LISTED, "root", NULL, BPG_EUNAUTH, NULL, 0 },   /* admin but not allowed */
	{ LISTED, "*", NULL, BPG_EUNAUTH, NULL, 0 },
	/* header ignored unless trusted */
	{ ALL, "alice", "bob", BPG_OK, "alice", 0 },
	{ ALL, NULL, "bob", BPG_EUNAUTH, NULL, 0 },
	{ ALL, "alice", "admin", BPG_OK, "alice", 0 },
	/* trusted header wins when present, remote_user otherwise */
	{ ALL_TRUSTED, "alice", "bob", BPG_OK, "bob", 0 },
	{ ALL_TRUSTED, NULL, "bob", BPG_OK, "bob", 0 },
	{ ALL_TRUSTED, "alice", "", BPG_OK, "alice", 0 },
	{ ALL_TRUSTED, "alice", NULL, BPG_OK, "alice", 0 },
	{ ALL_TRUSTED, "bob", "admin", BPG_OK, "admin", 1 },
	{ ALL_TRUSTED, "alice", "mallory", BPG_EUNAUTH, NULL, 0 },
	{ ALL_TRUSTED, "alice", "bad name", BPG_EUNAUTH, NULL, 0 },
	{ ALL_TRUSTED, NULL, NULL, BPG_EUNAUTH, NULL, 0 },
	/* unusable names */
	{ ALL, NULL, NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "a b", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, " alice", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "alice\n", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "ali\rce", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "a\tb", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "a\x01", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "a\x1b[31m", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "a\x7f", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "a\"b", NULL, BPG_EUNAUTH, NULL, 0 },
	{ ALL, "a\\b", NULL, BPG_EUNAUTH, NULL, 0 },
};

START_TEST(test_identify_table)
{
	struct bpg_auth_conf a = conf_of(cases[_i].conf);
	struct bpg_principal p;
	enum bpg_err err;

	memset(&p, 0x5a, sizeof(p));
	err = bpg_auth_identify(&a, cases[_i].remote, cases[_i].header, &p);
	ck_assert_msg(err == cases[_i].err, "case %d: got %d", _i, err);
	if (err == BPG_OK) {
		ck_assert_str_eq(p.name, cases[_i].name);
		ck_assert_int_eq(p.admin, cases[_i].admin);
	} else {
		ck_assert_int_eq((unsigned char)p.name[0], 0x5a);   /* out untouched */
	}
}
END_TEST

/* BPG_USER_MAX bytes is the longest name. */
START_TEST(test_name_length)
{
	struct bpg_auth_conf a = conf_of(ALL);
	struct bpg_principal p;
	char name[BPG_USER_MAX + 2];

	memset(name, 'u', sizeof(name));
	name[BPG_USER_MAX] = '\0';
	ck_assert_int_eq(bpg_auth_identify(&a, name, NULL, &p), BPG_OK);
	ck_assert_uint_eq(strlen(p.name), BPG_USER_MAX);
	ck_assert_str_eq(p.name, name);
	name[BPG_USER_MAX] = 'u';
	name[BPG_USER_MAX + 1] = '\0';
	ck_assert_int_eq(bpg_auth_identify(&a, name, NULL, &p), BPG_EUNAUTH);
	a.trust_user_header = 1;
	ck_assert_int_eq(bpg_auth_identify(&a, "alice", name, &p), BPG_EUNAUTH);
}
END_TEST

/* With nobody allowed, nobody comes in, admins included. */
START_TEST(test_empty_allowed)
{
	struct bpg_auth_conf a = conf_of(ALL);
	struct bpg_principal p;

	a.allowed_users = EMPTY;
	ck_assert_int_eq(bpg_auth_identify(&a, "alice", NULL, &p), BPG_EUNAUTH);
	ck_assert_int_eq(bpg_auth_identify(&a, "admin", NULL, &p), BPG_EUNAUTH);
	a.blocked_users = EMPTY;
	a.allowed_users = LIST(all);
	ck_assert_int_eq(bpg_auth_identify(&a, "mallory", NULL, &p), BPG_OK);
	ck_assert_str_eq(p.name, "mallory");
}
END_TEST

/* CIDR matching of REMOTE_ADDR, IPv4 and IPv6. */
START_TEST(test_cidr_match)
{
	static const struct { const char *cidr, *addr; int match; } ok[] = {
		{ "127.0.0.1", "127.0.0.1", 1 }, { "127.0.0.1", "127.0.0.2", 0 },
		{ "127.0.0.0/8", "127.255.0.9", 1 }, { "10.0.0.0/8", "11.0.0.1", 0 },
		{ "10.1.2.0/23", "10.1.3.255", 1 }, { "10.1.2.0/23", "10.1.4.0", 0 },
		{ "0.0.0.0/0", "192.0.2.1", 1 }, { "0.0.0.0/0", "::1", 0 },
		{ "192.0.2.7/32", "192.0.2.7", 1 }, { "fd00::/8", "fd12::1", 1 },
		{ "fd00::/8", "fe80::1", 0 }, { "::1", "::1", 1 }, { "::/0", "2001:db8::1", 1 },
		{ "::1/128", "127.0.0.1", 0 }, { "10.0.0.0/8", NULL, 0 }, { "10.0.0.0/8", "nope", 0 },
		{ "10.0.0.0/8", "10.0.0.1 ", 0 },
	};
	static const char *const bad[] = { "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
	    "10.0.0.0/8x", "10.0.0/8", "::1/129", "host.example", "10.0.0.0/ 8", "10.0.0.0/+8" };
	int m;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		m = -1;
		ck_assert_int_eq(bpg_config_cidr_match(ok[i].cidr, ok[i].addr, &m), BPG_OK);
		ck_assert_msg(m == ok[i].match, "%s ~ %s: %d", ok[i].cidr, ok[i].addr ? ok[i].addr : "NULL", m);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpg_config_cidr_match(bad[i], "10.0.0.1", &m) == BPG_EINVAL, "%s", bad[i]);
}
END_TEST

/* The header counts only with trust_user_header on and from a trusted address. */
START_TEST(test_header_trusted)
{
	char *proxies[] = { TK_STR("10.0.0.0/8"), TK_STR("127.0.0.3") };
	struct bpg_auth_conf a = conf_of(ALL_TRUSTED);

	a.trusted_proxies = LIST(proxies);
	ck_assert(bpg_auth_header_trusted(&a, "10.2.3.4"));
	ck_assert(bpg_auth_header_trusted(&a, "127.0.0.3"));
	ck_assert(!bpg_auth_header_trusted(&a, "127.0.0.1"));
	ck_assert(!bpg_auth_header_trusted(&a, NULL));
	a.trust_user_header = 0;
	ck_assert(!bpg_auth_header_trusted(&a, "10.2.3.4"));
	a.trust_user_header = 1;
	a.trusted_proxies = EMPTY;
	ck_assert(!bpg_auth_header_trusted(&a, "10.2.3.4"));
}
END_TEST

/* nginx's BPG_TRUST_MODE against the workers' [auth]: the same list, in order, or "off". */
static const struct {
	int trust;          /* trust_user_header */
	const char *mode;   /* BPG_TRUST_MODE */
	int same;
} modes[] = {
	{ 1, "10.0.0.0/8,127.0.0.3", 1 },
	{ 1, "10.0.0.0/8", 0 },
	{ 1, "10.0.0.0/8,127.0.0.3,", 0 },
	{ 1, "10.0.0.0/8,127.0.0.4", 0 },
	{ 1, "10.0.0.0/8, 127.0.0.3", 0 },
	{ 1, "127.0.0.3,10.0.0.0/8", 0 },
	{ 1, "off", 0 },
	{ 1, "", 0 },
	{ 1, NULL, 0 },
	{ 0, "off", 1 },
	{ 0, "10.0.0.0/8,127.0.0.3", 0 },
	{ 0, NULL, 0 },
};

START_TEST(test_trust_mode_same)
{
	char *proxies[] = { TK_STR("10.0.0.0/8"), TK_STR("127.0.0.3") };
	struct bpg_auth_conf a = conf_of(ALL_TRUSTED);

	a.trusted_proxies = LIST(proxies);
	a.trust_user_header = modes[_i].trust;
	ck_assert_msg(bpg_auth_trust_mode_same(&a, modes[_i].mode) == modes[_i].same, "%d %s",
	    modes[_i].trust, modes[_i].mode ? modes[_i].mode : "(null)");
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_identify_table, cases),
		TK_TEST(test_name_length),
		TK_TEST(test_empty_allowed),
		TK_TEST(test_cidr_match),
		TK_TEST(test_header_trusted),
		TK_LOOP(test_trust_mode_same, modes),
	};

	return tk_run("bpg_auth", tests, TK_LEN(tests), NULL);
}
