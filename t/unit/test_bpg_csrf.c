/* Unit tests for bpg_csrf: cross-site requests refused, bodies read by their media type. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_csrf.h"
#include "testkit.h"

static char *trusted_v[] = { TK_STR("https://ui.example.com") };
static const struct bpg_strlist trusted = { trusted_v, 1 };

static const struct {
	const char *method, *origin, *sfs, *host;
	enum bpg_err want;
} csrf_cases[] = {
	/* not a browser: no Origin, no Sec-Fetch-Site (curl, the Java client, Airflow, bpg) */
	{ "POST", NULL, NULL, "gw:8443", BPG_OK },
	{ "DELETE", NULL, NULL, NULL, BPG_OK },
	{ "POST", "", "", "gw", BPG_OK },
	/* the gateway's own UI */
	{ "POST", "https://gw:8443", "same-origin", "gw:8443", BPG_OK },
	{ "DELETE", "https://GW:8443", NULL, "gw:8443", BPG_OK },
	{ "POST", "https://gw", NULL, "gw:443", BPG_OK },
	{ "POST", "https://gw:443", NULL, "gw", BPG_OK },
	{ "POST", "http://gw", NULL, "gw:80", BPG_OK },
	{ "POST", NULL, "none", "gw", BPG_OK },                 /* typed in the address bar */
	/* safe methods are never refused: no route acts on them */
	{ "GET", "https://evil.example", "cross-site", "gw", BPG_OK },
	{ "HEAD", "null", "cross-site", "gw", BPG_OK },
	{ "OPTIONS", "https://evil.example", "cross-site", "gw", BPG_OK },
	/* another site */
	{ "POST", "https://evil.example", "cross-site", "gw", BPG_EFORBIDDEN },
	{ "POST", "https://evil.example", NULL, "gw", BPG_EFORBIDDEN },     /* older browsers */
	{ "POST", NULL, "cross-site", "gw", BPG_EFORBIDDEN },
	{ "POST", NULL, "same-site", "gw", BPG_EFORBIDDEN },              /* a sibling host */
	{ "DELETE", "https://evil.example", "cross-site", "gw", BPG_EFORBIDDEN },
	{ "PUT", "https://evil.example", NULL, "gw", BPG_EFORBIDDEN },
	{ "POST", "null", NULL, "gw", BPG_EFORBIDDEN },         /* sandboxed frame, file:, data: */
	{ "POST", "https://gw.evil.example", NULL, "gw", BPG_EFORBIDDEN },
	{ "POST", "https://gw", NULL, "gw.evil.example", BPG_EFORBIDDEN },
	{ "POST", "https://gw:8443", NULL, "gw:9443", BPG_EFORBIDDEN },   /* another port */
	{ "POST", "https://gw:8443", NULL, "gw", BPG_EFORBIDDEN },
	{ "POST", "https://gw/", NULL, "gw", BPG_EFORBIDDEN },     /* not an origin's form */
	{ "POST", "gw", NULL, "gw", BPG_EFORBIDDEN },
	{ "POST", "https://", NULL, "", BPG_EFORBIDDEN },
	{ "POST", "https://gw", NULL, NULL, BPG_EFORBIDDEN },       /* no Host to compare */
	{ "POST", "https://gw", "same-origin-ish", "gw", BPG_EFORBIDDEN },  /* unknown value */
	{ "POST", "https://gw", "Same-Origin", "gw", BPG_EFORBIDDEN },      /* values are exact */
	/* an origin the config trusts */
	{ "POST", "https://ui.example.com", "cross-site", "gw", BPG_OK },
	{ "POST", "https://UI.example.com", "same-site", "gw", BPG_OK },
	{ "POST", "https://ui.example.com.evil", "cross-site", "gw", BPG_EFORBIDDEN },
};

START_TEST(test_csrf_table)
{
	const struct bpg_csrf_in in = { csrf_cases[_i].method, csrf_cases[_i].origin,
	    csrf_cases[_i].sfs, csrf_cases[_i].host };
	char why[320] = "";
	enum bpg_err err = bpg_csrf_check(&in, &trusted, BPG_WHY(why));

	ck_assert_msg(err == csrf_cases[_i].want, "case %d: %s origin=%s sfs=%s host=%s: %d (%s)",
	    _i, in.method, in.origin ? in.origin : "-", in.sec_fetch_site ? in.sec_fetch_site : "-",
	    in.host ? in.host : "-", (int)err, why);
	if (err != BPG_OK)
		ck_assert_ptr_nonnull(strstr(why, "cross-site request refused"));
}
END_TEST

/* Without a trusted list, only the gateway's own origin passes. */
START_TEST(test_csrf_no_trusted)
{
	const struct bpg_csrf_in in = { "POST", "https://ui.example.com", NULL, "gw" };
	char why[320];

	ck_assert_int_eq(bpg_csrf_check(&in, NULL, BPG_WHY(why)), BPG_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why, "https://ui.example.com"));
}
END_TEST

static const struct {
	const char *ct;
	enum bpg_media media;
} media_cases[] = {
	{ NULL, BPG_MEDIA_NONE },
	{ "", BPG_MEDIA_NONE },
	{ "  ; charset=utf-8", BPG_MEDIA_NONE },
	{ "application/json", BPG_MEDIA_JSON },
	{ "Application/JSON; charset=UTF-8", BPG_MEDIA_JSON },
	{ " application/json ;x=1", BPG_MEDIA_JSON },
	{ "application/merge-patch+json", BPG_MEDIA_JSON },
	{ "application/+json", BPG_MEDIA_OTHER },
	{ "application/a/b+json", BPG_MEDIA_OTHER },
	{ "text/json", BPG_MEDIA_OTHER },
	{ "application/jsonx", BPG_MEDIA_OTHER },
	{ "text/yaml", BPG_MEDIA_YAML },
	{ "application/yaml", BPG_MEDIA_YAML },
	{ "application/x-yaml; charset=utf-8", BPG_MEDIA_YAML },
	{ "text/x-yaml", BPG_MEDIA_YAML },
	/* the types a cross-site form or no-cors fetch can send */
	{ "text/plain", BPG_MEDIA_OTHER },
	{ "text/plain; charset=yaml", BPG_MEDIA_OTHER },        /* "yaml" in a parameter */
	{ "text/plain;application/json", BPG_MEDIA_OTHER },
	{ "application/x-www-form-urlencoded", BPG_MEDIA_FORM },
	{ "multipart/form-data; boundary=x", BPG_MEDIA_MULTIPART },
	{ "Multipart/Form-Data", BPG_MEDIA_MULTIPART },
	{ "application/octet-stream", BPG_MEDIA_OCTET },
	{ "application/zip", BPG_MEDIA_OTHER },
};

START_TEST(test_media_table)
{
	ck_assert_msg(bpg_media_of(media_cases[_i].ct) == media_cases[_i].media, "case %d: '%s'",
	    _i, media_cases[_i].ct ? media_cases[_i].ct : "(null)");
}
END_TEST

static const struct {
	enum bpg_route_body body;
	const char *ct;
	enum bpg_err want;
} accept_cases[] = {
	{ BPG_BODY_NONE, "text/plain", BPG_OK },
	{ BPG_BODY_SUBMIT, NULL, BPG_OK },
	{ BPG_BODY_SUBMIT, "application/json", BPG_OK },
	{ BPG_BODY_SUBMIT, "text/yaml", BPG_OK },
	{ BPG_BODY_SUBMIT, "text/plain", BPG_EMEDIA },
	{ BPG_BODY_SUBMIT, "application/x-www-form-urlencoded", BPG_EMEDIA },
	{ BPG_BODY_SUBMIT, "multipart/form-data; boundary=b", BPG_EMEDIA },
	{ BPG_BODY_SUBMIT, "application/octet-stream", BPG_EMEDIA },
	{ BPG_BODY_JSON, "application/json", BPG_OK },
	{ BPG_BODY_JSON, NULL, BPG_OK },
	{ BPG_BODY_JSON, "text/yaml", BPG_EMEDIA },
	{ BPG_BODY_JSON, "text/plain", BPG_EMEDIA },
	{ BPG_BODY_UPLOAD, NULL, BPG_OK },
	{ BPG_BODY_UPLOAD, "application/octet-stream", BPG_OK },
	{ BPG_BODY_UPLOAD, "application/x-www-form-urlencoded", BPG_OK },
	{ BPG_BODY_UPLOAD, "multipart/form-data; boundary=b", BPG_OK },
	{ BPG_BODY_UPLOAD, "text/plain", BPG_OK },
	{ BPG_BODY_UPLOAD, "application/json", BPG_OK },
	{ (enum bpg_route_body)99, NULL, BPG_EMEDIA },
};

START_TEST(test_accept_table)
{
	enum bpg_media m = (enum bpg_media)-1;
	char why[320] = "";
	enum bpg_err err = bpg_media_accept(accept_cases[_i].body, accept_cases[_i].ct, &m,
	    BPG_WHY(why));

	ck_assert_msg(err == accept_cases[_i].want, "case %d: %d (%s)", _i, (int)err, why);
	if (err == BPG_OK)
		ck_assert_int_eq(m, bpg_media_of(accept_cases[_i].ct));
	else
		ck_assert_ptr_nonnull(strstr(why, "unsupported Content-Type"));
}
END_TEST


int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_csrf_table, csrf_cases),
		TK_TEST(test_csrf_no_trusted),
		TK_LOOP(test_media_table, media_cases),
		TK_LOOP(test_accept_table, accept_cases),
	};

	return tk_run("bpg_csrf", tests, TK_LEN(tests), NULL);
}
