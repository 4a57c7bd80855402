/* Unit tests for bpg_k8s: how cluster answers map to the gateway's errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_k8s.h"
#include "testkit.h"

static const struct tk_resp_case cases[] = {
	{ 200, "{}", BPG_OK, "" },
	{ 201, "{}", BPG_OK, "" },
	{ 404, "{\"kind\":\"Status\",\"message\":\"sparkapplications.sparkoperator.k8s.io \\\"x\\\" not found\",\"reason\":\"NotFound\",\"code\":404}",
	  BPG_ENOTFOUND, "\"x\" not found" },
	{ 409, "{\"kind\":\"Status\",\"message\":\"already exists\",\"code\":409}", BPG_ECONFLICT, "already exists" },
	{ 410, "{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"too old\",\"code\":410}", BPG_ECONFLICT, "too old" },
	{ 422, "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"is invalid\",\"details\":{\"causes\":["
	       "{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: \\\"two\\\"\",\"field\":\"spec.executor.instances\"},"
	       "{\"field\":\"metadata.name\",\"message\":\"too long\"}]},\"code\":422}",
	  BPG_EINVAL, "cluster c01 refused the object: spec.executor.instances: Invalid value: \"two\"; metadata.name: too long" },
	{ 401, "{\"kind\":\"Status\",\"message\":\"Unauthorized\",\"code\":401}", BPG_EUPSTREAM,
	  "cluster c01 rejected the gateway's credentials (HTTP 401)" },
	{ 403, "{}", BPG_EUPSTREAM, "cluster c01 rejected the gateway's credentials (HTTP 403)" },
	{ 429, "{\"kind\":\"Status\",\"message\":\"Too many requests, please try again later.\",\"code\":429}",
	  BPG_EUNAVAIL, "cluster c01 is unavailable (HTTP 429): Too many requests" },
	{ 500, "not json", BPG_EUNAVAIL, "cluster c01 is unavailable (HTTP 500): HTTP 500" },
	{ 503, "", BPG_EUNAVAIL, "cluster c01 is unavailable (HTTP 503)" },
	{ 302, "", BPG_EUPSTREAM, "HTTP 302" },
};

START_TEST(test_check_table)
{
	struct bpg_cluster c;
	struct bpg_k8s_resp r;
	char why[512] = "";

	memset(&c, 0, sizeof(c));
	c.id = TK_STR("c01");
	bpg_k8s_resp_init(&r);
	r.status = cases[_i].status;
	ck_assert_int_eq(bpg_buf_puts(&r.body, cases[_i].body), BPG_OK);
	ck_assert_int_eq(bpg_k8s_check(&c, &r, BPG_WHY(why)), cases[_i].err);
	ck_assert_msg(strstr(why, cases[_i].why) != NULL, "'%s' lacks '%s'", why, cases[_i].why);
	bpg_k8s_resp_release(&r);
}
END_TEST

START_TEST(test_query_escape)
{
	struct bpg_buf b;

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_k8s_query_escape("app.kubernetes.io/managed-by=bpg,queue in (a b)", &b),
	    BPG_OK);
	ck_assert_str_eq(b.data, "app.kubernetes.io%2Fmanaged-by%3Dbpg%2Cqueue%20in%20%28a%20b%29");
	bpg_buf_reset(&b);
	ck_assert_int_eq(bpg_k8s_query_escape("\xc3\xa9&#?", &b), BPG_OK);
	ck_assert_str_eq(b.data, "%C3%A9%26%23%3F");
	bpg_buf_release(&b);
}
END_TEST

/* A cluster that refuses connections is BPG_EUNAVAIL naming it, and no crash. */
START_TEST(test_unreachable_cluster)
{
	struct bpg_config cfg;
	struct bpg_cluster c;
	struct bpg_k8s *k = NULL;
	char tok[] = "/tmp/bpg-k8s-tok-XXXXXX", why[512];
	int fd = mkstemp(tok);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "secret-token\n", 13), 13);
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	memset(&c, 0, sizeof(c));
	c.id = TK_STR("c09");
	c.api_server = TK_STR("https://127.0.0.1:1");
	c.namespace = TK_STR("ns");
	c.ca_file = TK_STR("/etc/ssl/certs/ca-certificates.crt");
	c.token_file = tok;
	c.connect_timeout_ms = 500;
	c.timeout_ms = 1000;
	cfg.clusters = &c;
	cfg.n_clusters = 1;
	ck_assert_int_eq(bpg_k8s_new(&cfg, &k), BPG_OK);
	ck_assert_int_eq(bpg_k8s_ping(k, &c, BPG_WHY(why)), BPG_EUNAVAIL);
	ck_assert_ptr_nonnull(strstr(why, "cluster c09 is unavailable"));
	ck_assert_ptr_null(strstr(why, "secret-token"));
	c.token_file = TK_STR("/nonexistent/token");
	ck_assert_int_eq(bpg_k8s_ping(k, &c, BPG_WHY(why)), BPG_EUNAVAIL);
	ck_assert_ptr_nonnull(strstr(why, "cluster c09: cannot read its token file"));
	bpg_k8s_free(k);
	unlink(tok);
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_check_table, cases),
		TK_TEST(test_query_escape),
		TK_TEST(test_unreachable_cluster),
	};

	return tk_run("bpg_k8s", tests, TK_LEN(tests), NULL);
}
