/* bpg_confcheck: the configuration's rules: the raw file's pre-scan, the rules across sections. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_confcheck.h"
#include "bpg_config.h"
#include "bpg_json.h"
#include "bpg_k8sname.h"
#include "bpg_upname.h"

/* Returns 1 if s matches ^[a-z0-9]+$ and is at most max bytes. */
static int
is_lower_alnum(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
			return 0;
	return n > 0 && n <= max;
}

/* Returns 1 if s is a usable queue name: [a-z0-9_.-]+, at most 63 bytes. */
static int
is_queue_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		    *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

/* A section header or key seen by the pre-scan, for duplicate detection. */
struct seen {
	char name[128];
	unsigned line;
};

/* The pre-scan's state: the sections so far, the current section's keys. */
struct scan {
	struct seen *secs, *keys;
	size_t nsecs, nkeys;
	char cur[128];              /* the current section, lowercased; "" before the first */
	unsigned lineno;
};

/* Appends name at line to *arr; 0, or -1 (ld->nomem set). */
static int
seen_add(struct bpg_confload *ld, struct seen **arr, size_t *n, const char *name, unsigned line)
{
	struct seen *na = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (na == NULL) {
		ld->nomem = 1;
		return -1;
	}
	*arr = na;
	snprintf(na[*n].name, sizeof(na[*n].name), "%s", name);
	na[(*n)++].line = line;
	return 0;
}

/* A [cluster.ID] header's id, as written (iniparser lowercases it). */
static void
scan_cluster_id(struct bpg_confload *ld, const struct scan *sc)
{
	const char *id = sc->cur + 8;

	if (strchr(id, '-') != NULL) {
		ld->nerr++;
		bpg_buf_printf(ld->errors, "%s:%u: [%s]: cluster id '%s' contains '-': submission "
		    "ids are <clusterId>-<hex>, so a cluster id must not\n", ld->path, sc->lineno,
		    sc->cur, id);
	} else if (!is_lower_alnum(id, BPG_CLUSTER_ID_MAX)) {
		ld->nerr++;
		bpg_buf_printf(ld->errors, "%s:%u: [%s]: cluster id '%s' must be 1 to %d lowercase "
		    "letters and digits\n", ld->path, sc->lineno, sc->cur, id, BPG_CLUSTER_ID_MAX);
	}
}

/* A section header [s..e): its cluster id, a section given twice. 0, or -1 (no memory). */
static int
scan_section(struct bpg_confload *ld, struct scan *sc, const char *s, const char *e)
{
	const char *c = memchr(s, ']', (size_t)(e - s));
	size_t n;

	if (c == NULL)
		return 0;   /* iniparser reports the syntax error */
	n = (size_t)(c - s - 1);
	if (n >= sizeof(sc->cur))
		n = sizeof(sc->cur) - 1;
	memcpy(sc->cur, s + 1, n);
	sc->cur[n] = '\0';
	if (strncasecmp(sc->cur, "cluster.", 8) == 0)
		scan_cluster_id(ld, sc);
	for (char *q = sc->cur; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	for (size_t i = 0; i < sc->nsecs; i++) {
		if (strcmp(sc->secs[i].name, sc->cur) == 0) {
			ld->nerr++;
			bpg_buf_printf(ld->errors, "%s:%u: [%s]: section given twice (first at line "
			    "%u)%s\n", ld->path, sc->lineno, sc->cur, sc->secs[i].line,
			    strncmp(sc->cur, "cluster.", 8) == 0 ? ": duplicate cluster id" : "");
		}
	}
	sc->nkeys = 0;
	return seen_add(ld, &sc->secs, &sc->nsecs, sc->cur, sc->lineno);
}

/* A "key = value" line [s..e): outside a section, given twice. 0, or -1 (no memory). */
static int
scan_key(struct bpg_confload *ld, struct scan *sc, const char *s, const char *e)
{
	const char *eq = memchr(s, '=', (size_t)(e - s)), *ke;
	char key[128];
	size_t n;

	if (eq == NULL)
		return 0;   /* iniparser reports it */
	for (ke = eq; ke > s && isspace((unsigned char)ke[-1]); ke--)
		continue;
	n = (size_t)(ke - s) < sizeof(key) - 1 ? (size_t)(ke - s) : sizeof(key) - 1;
	for (size_t i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)s[i]);
	key[n] = '\0';
	if (sc->cur[0] == '\0') {
		ld->nerr++;
		bpg_buf_printf(ld->errors, "%s:%u: %s: key outside any section\n", ld->path,
		    sc->lineno, key);
		return 0;
	}
	for (size_t i = 0; i < sc->nkeys; i++) {
		if (strcmp(sc->keys[i].name, key) == 0) {
			ld->nerr++;
			bpg_buf_printf(ld->errors, "%s:%u: [%s] %s: key given twice (first at line "
			    "%u)\n", ld->path, sc->lineno, sc->cur, key, sc->keys[i].line);
		}
	}
	return seen_add(ld, &sc->keys, &sc->nkeys, key, sc->lineno);
}

/* The pre-scan (bpg_confcheck.h): line by line, blanks and comments skipped. */
void
bpg_confcheck_prescan(struct bpg_confload *ld, const char *text)
{
	struct scan sc = { NULL, NULL, 0, 0, "", 0 };
	const char *p = text;
	int rc = 0;

	while (*p && rc == 0) {
		const char *nl = strchr(p, '\n'), *s = p, *e;
		e = nl ? nl : p + strlen(p);
		p = nl ? nl + 1 : e;
		sc.lineno++;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == ';' || *s == '#')
			continue;
		rc = *s == '[' ? scan_section(ld, &sc, s, e) : scan_key(ld, &sc, s, e);
	}
	free(sc.secs);
	free(sc.keys);
}

/* Loads one Spark conf file if path is set. */
static void
load_sparkconf(struct bpg_confload *ld, const char *sec, const char *key, const char *path,
    struct bpg_sparkconf *out)
{
	struct bpg_buf errs;

	if (path == NULL)
		return;
	bpg_buf_init(&errs, 0);
	if (bpg_sparkconf_load(path, out, &errs) != BPG_OK) {
		/* each line already names the conf file and line */
		bpg_confcheck_error(ld, sec, key, "in the Spark conf file it names:\n%s",
		    errs.data ? errs.data : "");
		if (ld->errors->len > 0 && ld->errors->data[ld->errors->len - 1] == '\n' &&
		    ld->errors->len > 1 && ld->errors->data[ld->errors->len - 2] == '\n')
			ld->errors->data[--ld->errors->len] = '\0';
	}
	bpg_buf_release(&errs);
}

/* The top-level keys a cluster's spec_defaults JSON may hold. */
static const char *const spec_default_keys[] = { "volumes", "driver", "executor",
    "sparkUIOptions" };

/* Loads and checks the cluster's spec_defaults JSON file, if set. */
static void
load_spec_defaults(struct bpg_confload *ld, const char *sec, struct bpg_cluster *c)
{
	struct bpg_buf text;
	char why[160], chunk[8192];
	const cJSON *item;
	size_t n;
	FILE *fp;

	if (c->spec_defaults_file == NULL)
		return;
	bpg_buf_init(&text, BPG_CONFIG_MAX_FILE);
	if ((fp = fopen(c->spec_defaults_file, "r")) == NULL) {
		bpg_confcheck_error(ld, sec, "spec_defaults", "cannot open %s: %s", c->spec_defaults_file,
		    strerror(errno));
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (bpg_buf_append(&text, chunk, n) != BPG_OK) {
			bpg_confcheck_error(ld, sec, "spec_defaults", "%s: too large", c->spec_defaults_file);
			goto out;
		}
	}
	if (bpg_json_parse(text.data ? text.data : "", text.len, &c->spec_defaults,
	    BPG_WHY(why)) != BPG_OK) {
		bpg_confcheck_error(ld, sec, "spec_defaults", "%s: %s", c->spec_defaults_file, why);
		goto out;
	}
	if (!cJSON_IsObject(c->spec_defaults)) {
		bpg_confcheck_error(ld, sec, "spec_defaults", "%s: must hold a JSON object",
		    c->spec_defaults_file);
		goto out;
	}
	cJSON_ArrayForEach(item, c->spec_defaults) {
		size_t i;
		for (i = 0; i < sizeof(spec_default_keys) / sizeof(spec_default_keys[0]); i++)
			if (strcmp(item->string, spec_default_keys[i]) == 0)
				break;
		if (i == sizeof(spec_default_keys) / sizeof(spec_default_keys[0]))
			bpg_confcheck_error(ld, sec, "spec_defaults", "%s: unknown field '%s' (expected volumes, "
			    "driver, executor or sparkUIOptions)", c->spec_defaults_file, item->string);
	}
out:
	fclose(fp);
	bpg_buf_release(&text);
}

/* Returns 1 if some cluster serves queue q (or its parent, for "parent.child"). */
static int
queue_served(const struct bpg_config *cfg, const char *q)
{
	size_t plen = strcspn(q, ".");

	for (size_t i = 0; i < cfg->n_clusters; i++)
		for (size_t j = 0; j < cfg->clusters[i].queues.n; j++) {
			const char *cq = cfg->clusters[i].queues.v[j];
			if (strcasecmp(cq, q) == 0 ||
			    (strlen(cq) == plen && strncasecmp(cq, q, plen) == 0))
				return 1;
		}
	return 0;
}

/* A path prefix such as base_path: "/x[/y...]", letters, digits, '/', '_' and '-'. */
static void
check_prefix(struct bpg_confload *ld, const char *sec, const char *key, const char *bp)
{
	size_t n;
	int ok;

	if (bp == NULL)
		return;
	n = strlen(bp);
	ok = n >= 2 && bp[0] == '/' && bp[n - 1] != '/' && n < 64;
	for (const char *p = bp; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '/' || *p == '_' || *p == '-';
	if (!ok)
		bpg_confcheck_error(ld, sec, key, "'%s' must start with '/', not end with '/', and hold only "
		    "letters, digits, '/', '_' and '-'", bp);
}

/* The Livy prefix may not shadow the REST API's base paths. */
static void
check_livy(struct bpg_confload *ld, const struct bpg_config *cfg)
{
	const char *p = cfg->livy.prefix, *bp = cfg->gateway.base_path;

	check_prefix(ld, "livy", "prefix", p);
	if (p != NULL && bp != NULL && (strcmp(p, bp) == 0 || strcmp(p, "/skatev2") == 0))
		bpg_confcheck_error(ld, "livy", "prefix", "'%s' is a base path of the REST API already", p);
}

static void
check_gateway(struct bpg_confload *ld, struct bpg_config *cfg)
{
	check_prefix(ld, "gateway", "base_path", cfg->gateway.base_path);
	if (cfg->gateway.log_level != NULL &&
	    strcmp(cfg->gateway.log_level, "debug") != 0 && strcmp(cfg->gateway.log_level, "info") != 0 &&
	    strcmp(cfg->gateway.log_level, "warn") != 0 && strcmp(cfg->gateway.log_level, "error") != 0)
		bpg_confcheck_error(ld, "gateway", "log_level", "'%s' is not one of debug, info, warn, error",
		    cfg->gateway.log_level);
	if (cfg->gateway.default_queue != NULL &&
	    bpg_config_queue(cfg, cfg->gateway.default_queue) == NULL)
		bpg_confcheck_error(ld, "gateway", "default_queue", "queue '%s' has no [queue.%s] section",
		    cfg->gateway.default_queue, cfg->gateway.default_queue);
	if (cfg->database.password != NULL && cfg->database.password_file != NULL)
		bpg_confcheck_error(ld, "database", "password_file", "give password or password_file, "
		    "not both");
	for (size_t i = 0; i < cfg->auth.trusted_proxies.n; i++) {
		int match;
		if (bpg_config_cidr_match(cfg->auth.trusted_proxies.v[i], "127.0.0.1", &match) != BPG_OK)
			bpg_confcheck_error(ld, "auth", "trusted_proxies", "'%s' is not an address or CIDR "
			    "(like 10.0.0.0/8 or fd00::/8)", cfg->auth.trusted_proxies.v[i]);
	}
	if (cfg->auth.trust_user_header && cfg->auth.trusted_proxies.n == 0)
		bpg_confcheck_error(ld, "auth", "trusted_proxies", "trust_user_header needs the addresses of "
		    "the trusted proxies (a CIDR list)");
	load_sparkconf(ld, "gateway", "spark_conf_defaults", cfg->gateway.spark_conf_defaults_file,
	    &cfg->gateway.spark_conf_defaults);
	load_sparkconf(ld, "gateway", "spark_conf_fixed", cfg->gateway.spark_conf_fixed_file,
	    &cfg->gateway.spark_conf_fixed);
}

/*
 * Uploads may hold at most max_concurrent_uploads workers (0: half of them, at least one),
 * so that status, submit and health always find one free; a user at most
 * max_uploads_per_user of those (0: two, or fewer when the cap is lower).
 */
static void
check_uploads(struct bpg_confload *ld, struct bpg_config *cfg)
{
	struct bpg_s3_conf *s3 = &cfg->s3;
	long long most = cfg->gateway.workers > 1 ? cfg->gateway.workers - 1 : 1;

	if (s3->max_concurrent_uploads == 0)
		s3->max_concurrent_uploads = cfg->gateway.workers > 1 ? cfg->gateway.workers / 2 : 1;
	if (s3->max_uploads_per_user == 0)
		s3->max_uploads_per_user = s3->max_concurrent_uploads < 2 ?
		    s3->max_concurrent_uploads : 2;
	if (s3->max_concurrent_uploads > most)
		bpg_confcheck_error(ld, "s3", "max_concurrent_uploads", "%lld would let uploads hold every one "
		    "of the %lld workers: at most %lld", s3->max_concurrent_uploads,
		    cfg->gateway.workers, most);
	if (s3->max_uploads_per_user > s3->max_concurrent_uploads)
		bpg_confcheck_error(ld, "s3", "max_uploads_per_user", "%lld is above max_concurrent_uploads "
		    "%lld", s3->max_uploads_per_user, s3->max_concurrent_uploads);
}

static void
check_clusters(struct bpg_confload *ld, struct bpg_config *cfg)
{
	char sec[160];
	int routable = 0;

	if (cfg->n_clusters == 0)
		bpg_confcheck_error(ld, NULL, NULL, "no [cluster.ID] section: at least one cluster is needed");
	if (cfg->n_clusters > BPG_CONFIG_MAX_CLUSTERS)
		bpg_confcheck_error(ld, NULL, NULL, "more than %d clusters", BPG_CONFIG_MAX_CLUSTERS);
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		struct bpg_cluster *c = &cfg->clusters[i];
		snprintf(sec, sizeof(sec), "cluster.%s", c->id ? c->id : "");
		routable |= c->weight > 0;
		if (c->api_server != NULL && strncmp(c->api_server, "https://", 8) != 0)
			bpg_confcheck_error(ld, sec, "api_server", "'%s' must be an https:// URL",
			    c->api_server);
		if (c->spark_history_url != NULL && ((strncmp(c->spark_history_url, "https://", 8) != 0 &&
		    strncmp(c->spark_history_url, "http://", 7) != 0) ||
		    strstr(c->spark_history_url, "{appId}") == NULL))
			bpg_confcheck_error(ld, sec, "spark_history_url", "'%s' must be an http(s) URL holding "
			    "{appId}", c->spark_history_url);
		if (c->namespace != NULL && !bpg_k8sname_label(c->namespace, BPG_K8SNAME_LABEL_MAX))
			bpg_confcheck_error(ld, sec, "namespace", "'%s' is not a DNS-1123 label", c->namespace);
		for (size_t j = 0; j < c->queues.n; j++)
			if (bpg_config_queue(cfg, c->queues.v[j]) == NULL)
				bpg_confcheck_error(ld, sec, "queues", "queue '%s' has no [queue.%s] section",
				    c->queues.v[j], c->queues.v[j]);
		if (c->connect_timeout_ms == 0)
			c->connect_timeout_ms = cfg->gateway.connect_timeout_ms;
		if (c->timeout_ms == 0)
			c->timeout_ms = cfg->gateway.upstream_timeout_ms;
		load_sparkconf(ld, sec, "spark_conf", c->spark_conf_file, &c->spark_conf);
		load_spec_defaults(ld, sec, c);
	}
	if (cfg->n_clusters > 0 && !routable)
		bpg_confcheck_error(ld, "cluster.*", "weight", "no cluster has weight > 0: nothing can be "
		    "routed");
}

static void
check_queues(struct bpg_confload *ld, struct bpg_config *cfg)
{
	char sec[160];

	for (size_t i = 0; i < cfg->n_queues; i++) {
		const struct bpg_queue *q = &cfg->queues[i];
		snprintf(sec, sizeof(sec), "queue.%s", q->name ? q->name : "");
		if (q->name == NULL)
			continue;
		if (!is_queue_name(q->name))
			bpg_confcheck_error(ld, sec, NULL, "queue name '%s' must be lowercase letters, digits, "
			    "'_', '-' and '.', at most 63", q->name);
		if (!queue_served(cfg, q->name))
			bpg_confcheck_error(ld, sec, NULL, "no cluster serves queue '%s' (add it to some "
			    "cluster's queues)", q->name);
		if (q->min_cores > q->max_cores)
			bpg_confcheck_error(ld, sec, "min_cores", "%lld is above max_cores %lld",
			    q->min_cores, q->max_cores);
		if (q->min_memory_mb > q->max_memory_mb)
			bpg_confcheck_error(ld, sec, "min_memory_mb", "%lld is above max_memory_mb %lld",
			    q->min_memory_mb, q->max_memory_mb);
	}
}

/* Each [upload.NAME]: a well-formed folder, someone to grant it to, queues that exist. */
static void
check_grants(struct bpg_confload *ld, struct bpg_config *cfg)
{
	char sec[160], norm[BPG_UPNAME_FOLDER_MAX + 1], why[256];

	for (size_t i = 0; i < cfg->n_grants; i++) {
		const struct bpg_upload_grant *g = &cfg->grants[i];
		snprintf(sec, sizeof(sec), "upload.%s", g->name ? g->name : "");
		if (g->folder == NULL)
			continue;   /* reported as missing */
		if (bpg_upname_folder(g->folder, norm, BPG_WHY(why)) != BPG_OK)
			bpg_confcheck_error(ld, sec, "folder", "'%s': %s", g->folder, why);
		else if (norm[0] == '\0' || strcmp(norm, g->folder) != 0)
			bpg_confcheck_error(ld, sec, "folder", "'%s' must name a folder, without a trailing '/'",
			    g->folder);
		if (g->users.n == 0 && g->queues.n == 0)
			bpg_confcheck_error(ld, sec, NULL, "grants the folder to nobody: give users or queues");
		for (size_t j = 0; j < g->queues.n; j++)
			if (bpg_config_queue(cfg, g->queues.v[j]) == NULL)
				bpg_confcheck_error(ld, sec, "queues", "queue '%s' has no [queue.%s] section",
				    g->queues.v[j], g->queues.v[j]);
	}
}

/* The rules across sections, each reporting through bpg_confcheck_error(). */
void
bpg_confcheck_rules(struct bpg_confload *ld, struct bpg_config *cfg)
{
	check_gateway(ld, cfg);
	check_uploads(ld, cfg);
	check_livy(ld, cfg);
	check_clusters(ld, cfg);
	check_queues(ld, cfg);
	check_grants(ld, cfg);
}
