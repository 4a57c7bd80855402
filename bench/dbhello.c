/*
 * bench/dbhello: the baseline of the irreducible work, a FastCGI responder behind the same
 * nginx that does only what a request must do and prints a fixed JSON body:
 *   GET .../status/{id}  the status's prepared primary-key SELECT (BPG_SUBDB_GET_ATTEMPTS_SQL)
 *   GET .../list         the list's prepared SELECT for REMOTE_USER, 20 rows (BPG_SUBDB_LIST_SQL)
 *   POST .../submit      INSERT (BPG_SUBDB_INSERT_SQL), the CR created on the cluster (libcurl,
 *                        one kept connection), UPDATE (BPG_SUBDB_SET_CREATED_SQL): two commits
 * The SQL is the gateway's own (lib/bpg_subdb.h). Rows are fetched into buffers allocated once.
 * Environment: DBH_HOST DBH_PORT DBH_USER DBH_PASSWORD_FILE DBH_DB, and for submit
 * DBH_K8S_URL (the namespace's sparkapplications URL), DBH_K8S_TOKEN_FILE, DBH_K8S_CA, and
 * DBH_CR_FILE (the object to create, see fill_template; else a small built-in one).
 * DBH_LIST_BODY_FILE, DBH_STATUS_BODY_FILE: the fixed body of a list or a status answer, read
 * once, the first time the file is there (bench/run writes the gateway's own answer to the
 * same request into it: the baseline sends as many bytes); {"status":"OK"} until then.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <fcgiapp.h>
#include <mysql.h>

#include "bpg_subdb.h"

#define NCOLS_MAX 40
#define COL_BUF 4096
#define LIST_LIMIT 20

static MYSQL *db;
static MYSQL_STMT *st_get, *st_list, *st_ins, *st_upd;
static char colbuf[NCOLS_MAX][COL_BUF];
static unsigned long collen[NCOLS_MAX];
static my_bool colnull[NCOLS_MAX];
static CURL *curl;
static struct curl_slist *hdrs;
static char k8s_url[512];

static MYSQL_STMT *
prepare(const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(db);

	if (st == NULL || mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		fprintf(stderr, "dbhello: prepare: %s\n", st ? mysql_stmt_error(st) : "no memory");
		exit(1);
	}
	return st;
}

static void
bind_str(MYSQL_BIND *b, const char *s)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = s ? MYSQL_TYPE_STRING : MYSQL_TYPE_NULL;
	b->buffer = (void *)(uintptr_t)s;   /* MariaDB reads an input buffer, never writes it */
	b->buffer_length = s ? (unsigned long)strlen(s) : 0;
}

static void
bind_int(MYSQL_BIND *b, long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = v ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_NULL;
	b->buffer = v;
}

/* Executes st with params, fetches every row as strings into colbuf; returns rows or -1. */
static int
run(MYSQL_STMT *st, MYSQL_BIND *params)
{
	MYSQL_BIND rb[NCOLS_MAX];
	unsigned n = mysql_stmt_field_count(st);
	int rows = 0, rc;

	if ((params && mysql_stmt_bind_param(st, params) != 0) || mysql_stmt_execute(st) != 0)
		return -1;
	if (n == 0)
		return 0;
	memset(rb, 0, sizeof(rb));
	for (unsigned i = 0; i < n && i < NCOLS_MAX; i++) {
		rb[i].buffer_type = MYSQL_TYPE_STRING;
		rb[i].buffer = colbuf[i];
		rb[i].buffer_length = COL_BUF;
		rb[i].length = &collen[i];
		rb[i].is_null = &colnull[i];
	}
	if (mysql_stmt_bind_result(st, rb) != 0)
		return -1;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		rows++;
	mysql_stmt_free_result(st);
	return rc == MYSQL_NO_DATA ? rows : -1;
}

static int
do_status(const char *id)
{
	MYSQL_BIND p[1];

	bind_str(&p[0], id);
	return run(st_get, p) == 1 ? 200 : 404;
}

static int
do_list(const char *user)
{
	MYSQL_BIND p[33];
	long long limit = LIST_LIMIT + 1;

	/* BPG_SUBDB_LIST_SQL: (the user, 14 filter parameters, the limit) twice, the limit */
	for (int i = 0; i < 33; i++)
		bind_str(&p[i], NULL);
	bind_str(&p[0], user);
	bind_int(&p[15], &limit);
	bind_str(&p[16], user);
	bind_int(&p[31], &limit);
	bind_int(&p[32], &limit);
	return run(st_list, p) >= 0 ? 200 : 500;
}

static size_t
discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

/*
 * DBH_CR_FILE: the SparkApplication the gateway creates for the benchmark's request, as read
 * back from the cluster (bench/run), with @ID@ for the submission id: the baseline creates
 * the same object, not a smaller one.
 */
#define CR_MAX 16384
static char cr_tmpl[CR_MAX];

static void
fill_template(char *out, size_t cap, const char *id)
{
	const char *p = cr_tmpl, *m;
	size_t n = 0, k, idn = strlen(id);

	while ((m = strstr(p, "@ID@")) != NULL && n + (size_t)(m - p) + idn < cap) {
		memcpy(out + n, p, (size_t)(m - p));
		n += (size_t)(m - p);
		memcpy(out + n, id, idn);
		n += idn;
		p = m + 4;
	}
	k = strlen(p);
	if (n + k >= cap)
		k = cap - n - 1;
	memcpy(out + n, p, k);
	out[n + k] = '\0';
}

static int
do_submit(const char *user)
{
	static const char cr[] = "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
	    "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":\"%s\",\"labels\":{"
	    "\"app.kubernetes.io/managed-by\":\"bpg\",\"proxyUser\":\"%s\"}},\"spec\":{"
	    "\"type\":\"Python\",\"mode\":\"cluster\",\"image\":\"apache/spark:3.5.1\","
	    "\"sparkVersion\":\"3.5\",\"mainApplicationFile\":\"s3a://bpg/uploaded/app.py\","
	    "\"restartPolicy\":{\"type\":\"Never\"},\"driver\":{\"cores\":1,\"coreLimit\":\"1000m\","
	    "\"memory\":\"1024m\"},\"executor\":{\"cores\":1,\"instances\":1,\"coreLimit\":\"1000m\","
	    "\"memory\":\"1024m\"}}}";
	static unsigned long seq;
	char id[64], body[CR_MAX + 1024];
	long long ints[6] = { 0, 1, 1024, 1, 1, 1024 }, now, zero = 0;
	MYSQL_BIND p[19];
	long code = 0;

	snprintf(id, sizeof(id), "c01-dbh%ld%lx%lu", (long)getpid(), (unsigned long)time(NULL), ++seq);
	if (cr_tmpl[0] != '\0')
		fill_template(body, sizeof(body), id);
	else
		snprintf(body, sizeof(body), cr, id, user);
	bind_str(&p[0], id);
	bind_str(&p[1], "c01");
	bind_str(&p[2], "spark-applications");
	bind_str(&p[3], user);
	bind_str(&p[4], user);
	bind_str(&p[5], "bench");
	bind_str(&p[6], "3.5");
	bind_str(&p[7], "poc");
	bind_str(&p[8], body);
	bind_str(&p[9], "{}");       /* summary_fields: what lists show of the request */
	bind_str(&p[10], NULL);
	ints[0] = 0;
	for (int i = 0; i < 6; i++)
		bind_int(&p[11 + i], &ints[i]);
	bind_int(&p[11], NULL);
	bind_str(&p[17], NULL);
	bind_str(&p[18], "dbhello");
	if (run(st_ins, p) < 0)
		return 500;
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(curl) != CURLE_OK ||
	    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 201)
		return 502;
	now = (long long)time(NULL) * 1000;
	bind_str(&p[0], NULL);
	bind_str(&p[1], NULL);
	bind_int(&p[2], &now);
	bind_int(&p[3], &zero);
	bind_int(&p[4], &zero);
	bind_str(&p[5], id);
	return run(st_upd, p) < 0 ? 500 : 200;
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	FILE *f = path ? fopen(path, "r") : NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return buf;
}

static void
setup(void)
{
	const char *pw = slurp(getenv("DBH_PASSWORD_FILE"));
	const char *port = getenv("DBH_PORT"), *tok;
	char auth[4200];

	if ((db = mysql_init(NULL)) == NULL || mysql_real_connect(db, getenv("DBH_HOST"),
	    getenv("DBH_USER"), pw, getenv("DBH_DB"), port ? (unsigned)atoi(port) : 0, NULL, 0) == NULL) {
		fprintf(stderr, "dbhello: connect: %s\n", db ? mysql_error(db) : "no memory");
		exit(1);
	}
	st_get = prepare(BPG_SUBDB_GET_ATTEMPTS_SQL);
	st_list = prepare(BPG_SUBDB_LIST_SQL);
	st_ins = prepare(BPG_SUBDB_INSERT_SQL);
	st_upd = prepare(BPG_SUBDB_SET_CREATED_SQL);
	if (getenv("DBH_K8S_URL") == NULL)
		return;
	if (getenv("DBH_CR_FILE") != NULL) {
		FILE *f = fopen(getenv("DBH_CR_FILE"), "r");
		size_t n = f ? fread(cr_tmpl, 1, sizeof(cr_tmpl) - 1, f) : 0;
		if (f == NULL || n == 0 || n == sizeof(cr_tmpl) - 1) {
			fprintf(stderr, "dbhello: cannot read DBH_CR_FILE\n");
			exit(1);
		}
		fclose(f);
		cr_tmpl[n] = '\0';
	}
	snprintf(k8s_url, sizeof(k8s_url), "%s", getenv("DBH_K8S_URL"));
	tok = slurp(getenv("DBH_K8S_TOKEN_FILE"));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok ? tok : "");
	hdrs = curl_slist_append(curl_slist_append(NULL, auth), "Content-Type: application/json");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, k8s_url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_CAINFO, getenv("DBH_K8S_CA"));
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
}

/* The fixed body named by the environment variable var (none: NULL), once its file is there. */
static const char *
fixed_body(const char *var, char **slot, size_t *len)
{
	static const char ok[] = "{\"status\":\"OK\"}";
	const char *path;
	FILE *f;
	long n;

	if (*slot == NULL && var != NULL && (path = getenv(var)) != NULL &&
	    (f = fopen(path, "r")) != NULL) {
		if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
		    (*slot = malloc((size_t)n)) != NULL && fread(*slot, 1, (size_t)n, f) == (size_t)n) {
			*len = (size_t)n;
		} else {
			free(*slot);
			*slot = NULL;
		}
		fclose(f);
	}
	if (*slot != NULL)
		return *slot;
	*len = sizeof(ok) - 1;
	return ok;
}

int
main(void)
{
	static char *list_body, *status_body, *none;
	static size_t list_len, status_len, none_len;
	FCGX_Request r;

	signal(SIGPIPE, SIG_IGN);
	setup();
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		const char *uri = FCGX_GetParam("DOCUMENT_URI", r.envp);
		const char *user = FCGX_GetParam("REMOTE_USER", r.envp);
		const char *s, *body = NULL;
		size_t len = 0;
		int code = 404;

		if (uri != NULL && (s = strstr(uri, "/status/")) != NULL) {
			code = do_status(s + 8);
			body = fixed_body("DBH_STATUS_BODY_FILE", &status_body, &status_len);
			len = status_len;
		} else if (uri != NULL && strstr(uri, "/list") != NULL) {
			code = do_list(user ? user : "");
			body = fixed_body("DBH_LIST_BODY_FILE", &list_body, &list_len);
			len = list_len;
		} else if (uri != NULL && strstr(uri, "/submit") != NULL && curl != NULL) {
			code = do_submit(user ? user : "");
		}
		if (body == NULL) {
			body = fixed_body(NULL, &none, &none_len);
			len = none_len;
		}
		FCGX_FPrintF(r.out, "Status: %d\r\nContent-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n", code, (int)len);
		FCGX_PutStr(body, (int)len, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
