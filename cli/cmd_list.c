/* cmd_list.c: bpg list: the user's submissions (--all-users: everyone's, for admins), one page
 * or (--all) every page by the `next` cursor, as an aligned table with relative times, JSON or
 * YAML. */
#define _XOPEN_SOURCE 700   /* strptime */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpg_time.h"
#include "cli.h"

int
cli_parse_since(const char *s, long long now_ms, long long *out)
{
	static const long long unit_ms[] = { 1000, 60000, 3600000, 86400000, 604800000 };
	static const char units[] = "smhdw";
	const char *rest;
	struct tm tm;
	char *end;
	long long n;

	n = strtoll(s, &end, 10);
	if (end != s && isdigit((unsigned char)s[0]) && end[0] != '\0' && end[1] == '\0' &&
	    strchr(units, end[0]) != NULL) {
		if (n > 100000)
			return -1;
		*out = now_ms - n * unit_ms[strchr(units, end[0]) - units];
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*rest == 'T' || *rest == ' ') {
		const char *hms = strptime(rest + 1, "%H:%M:%S", &tm);
		if ((rest = hms != NULL ? hms : strptime(rest + 1, "%H:%M", &tm)) == NULL)
			return -1;
	}
	if (*rest == 'Z')
		rest++;
	if (*rest != '\0')
		return -1;
	*out = (long long)timegm(&tm) * 1000;
	return 0;
}

/* Appends "?name=escaped value" to q, or "&name=..." when q has a query already. */
static int
add_param(struct cli *c, struct bpg_buf *q, const char *name, const char *v)
{
	char *e;
	enum bpg_err err;

	if (v == NULL)
		return 0;
	if ((e = cli_escape(c, v)) == NULL)
		return -1;
	err = bpg_buf_printf(q, "%s%s=%s", q->data != NULL && strchr(q->data, '?') != NULL ? "&" : "?", name, e);
	curl_free(e);
	return err == BPG_OK ? 0 : -1;
}

/* The query of every page from the filters; CLI_USAGE on a bad --since. */
static int
build_query(struct cli *c, struct bpg_buf *q)
{
	char num[32];
	long long since;

	if (c->o.since != NULL) {
		if (cli_parse_since(c->o.since, bpg_time_now_ms(), &since) != 0) {
			fprintf(stderr, "bpg: error: --since %s: give an age (90s, 30m, 2h, 7d, 1w) or a UTC "
			    "date (2026-12-01 or 2026-12-01T10:00:00Z)\n", c->o.since);
			return CLI_USAGE;
		}
		snprintf(num, sizeof(num), "%lld", since);
		if (add_param(c, q, "createdAfter", num) != 0)
			return CLI_SERVER;
	}
	if (c->o.limit > 0) {
		snprintf(num, sizeof(num), "%ld", c->o.limit);
		if (add_param(c, q, "limit", num) != 0)
			return CLI_SERVER;
	}
	if (add_param(c, q, "state", c->o.state) != 0 || add_param(c, q, "queue", c->o.queue) != 0 ||
	    add_param(c, q, "applicationName", c->o.name) != 0)
		return CLI_SERVER;
	return CLI_OK;
}

/* Fetches one page (after cursor, if any); its items moved into all, its cursor into next. */
static int
fetch_page(struct cli *c, const struct bpg_buf *q, const char *cursor, cJSON *all, char **next)
{
	struct bpg_buf path;
	cJSON *j = NULL, *subs, *it;
	const cJSON *nx;
	int ret = CLI_SERVER;

	bpg_buf_init(&path, 0);
	*next = NULL;
	if (bpg_buf_printf(&path, "%s%s", c->o.all_users ? "/admin/submissions" : "/spark/mySubmissions",
	    q->len ? q->data : "") != BPG_OK)
		goto out;
	if (cursor != NULL && add_param(c, &path, "next", cursor) != 0)
		goto out;
	if ((ret = cli_get_json(c, path.data, &j)) != CLI_OK)
		goto out;
	subs = cJSON_GetObjectItemCaseSensitive(j, "submissions");
	if (!cJSON_IsArray(subs)) {
		cli_error(c, "the list has no submissions array");
		ret = CLI_SERVER;
		goto out;
	}
	while ((it = cJSON_DetachItemFromArray(subs, 0)) != NULL)
		cJSON_AddItemToArray(all, it);
	nx = cJSON_GetObjectItemCaseSensitive(j, "next");
	if (cJSON_IsString(nx) && nx->valuestring[0] != '\0' && (*next = strdup(nx->valuestring)) == NULL)
		ret = CLI_SERVER;
out:
	cJSON_Delete(j);
	bpg_buf_release(&path);
	return ret;
}

static const char *
str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : "-";
}

static double
num_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The table's columns: a field shown as it is, or a time made human. */
enum list_kind { LIST_TEXT, LIST_AGO, LIST_DURATION };
static const struct {
	const char *head, *field;
	enum list_kind kind;
	int all_users;              /* only with --all-users */
} list_cols[] = {
	{ "SUBMISSION ID", "submissionId", LIST_TEXT, 0 },
	{ "USER", "user", LIST_TEXT, 1 },
	{ "NAME", "applicationName", LIST_TEXT, 0 },
	{ "STATE", "applicationState", LIST_TEXT, 0 },
	{ "QUEUE", "queue", LIST_TEXT, 0 },
	{ "CREATED", "creationTime", LIST_AGO, 0 },
	{ "DURATION", "duration", LIST_DURATION, 0 },
};
#define LIST_MAXCOL (sizeof(list_cols) / sizeof(list_cols[0]))

/* One cell (strdup'ed; NULL on ENOMEM). */
static char *
list_cell(const cJSON *it, size_t col, long long now)
{
	char t[64];

	switch (list_cols[col].kind) {
	case LIST_AGO:
		cli_fmt_ago((long long)num_of(it, list_cols[col].field), now, t, sizeof(t));
		return strdup(t);
	case LIST_DURATION:
		cli_fmt_duration((long long)num_of(it, list_cols[col].field), t, sizeof(t));
		return strdup(t);
	default:
		return strdup(str_of(it, list_cols[col].field));
	}
}

static int
print_list_table(struct cli *c, const cJSON *all)
{
	const char *head[LIST_MAXCOL];
	size_t n = (size_t)cJSON_GetArraySize(all), i = 0, ncol = 0;
	char **cells = calloc(n * LIST_MAXCOL + 1, sizeof(*cells));
	long long now = bpg_time_now_ms();
	const cJSON *it;
	int ret = CLI_SERVER;

	if (cells == NULL)
		return CLI_SERVER;
	for (size_t k = 0; k < LIST_MAXCOL; k++)
		if (!list_cols[k].all_users || c->o.all_users)
			head[ncol++] = list_cols[k].head;
	cJSON_ArrayForEach(it, all)
		for (size_t k = 0; k < LIST_MAXCOL; k++)
			if (!list_cols[k].all_users || c->o.all_users)
				cells[i++] = list_cell(it, k, now);
	for (i = 0; i < n * ncol; i++)
		if (cells[i] == NULL)
			goto out;
	ret = cli_print_table(c, head, (int)ncol, cells, n);
out:
	for (i = 0; i < n * ncol; i++)
		free(cells[i]);
	free(cells);
	return ret;
}

int
cmd_list(struct cli *c, int argc, char **argv)
{
	struct bpg_buf q;
	cJSON *all = cJSON_CreateArray();
	char *cursor = NULL, *next = NULL;
	int ret;

	(void)argv;
	bpg_buf_init(&q, 0);
	if (argc != 0) {
		fprintf(stderr, "bpg: error: usage: bpg list [--state S] [--queue Q] [--name N] [--since T] "
		    "[--limit N] [--all] [--all-users]\n");
		ret = CLI_USAGE;
		goto out;
	}
	if (all == NULL || (ret = build_query(c, &q)) != CLI_OK) {
		ret = all == NULL ? CLI_SERVER : ret;
		goto out;
	}
	for (;;) {
		if ((ret = fetch_page(c, &q, cursor, all, &next)) != CLI_OK || next == NULL)
			break;
		if (!c->o.all) {
			if (!c->o.quiet)
				fprintf(stderr, "bpg: more submissions: --all lists every page\n");
			break;
		}
		if (cursor != NULL && strcmp(cursor, next) == 0) {
			cli_error(c, "the gateway returned the same page cursor twice");
			ret = CLI_SERVER;
			break;
		}
		free(cursor);
		cursor = next;
		next = NULL;
	}
	if (ret != CLI_OK)
		goto out;
	if (c->o.output == CLI_OUT_JSON)
		ret = cli_print_json(c, all);
	else if (c->o.output == CLI_OUT_YAML)
		ret = cli_print_yaml(c, all);
	else if (cJSON_GetArraySize(all) > 0)
		ret = print_list_table(c, all);
	else if (!c->o.quiet)
		fprintf(stderr, "bpg: no submissions%s\n", q.len > 0 ? " match" : "");
out:
	free(cursor);
	free(next);
	cJSON_Delete(all);
	bpg_buf_release(&q);
	return ret;
}
