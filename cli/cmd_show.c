/* cmd_show.c: the commands about one application (status, wait, spec, describe, driver,
 * delete) and about the server (health, version). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "bpg_time.h"
#include "cli.h"

/* Exactly one ID argument; CLI_USAGE with a message otherwise. */
static int
one_id(int argc, char **argv, const char *cmd, const char **id)
{
	if (argc != 1 || argv[0][0] == '\0') {
		fprintf(stderr, "bpg: error: usage: bpg %s ID\n", cmd);
		return CLI_USAGE;
	}
	*id = argv[0];
	return CLI_OK;
}

/* "/spark/<escaped id><suffix>" into out. */
static int
id_path(struct cli *c, const char *id, const char *suffix, char *out, size_t outlen)
{
	char *e = cli_escape(c, id);
	int n;

	if (e == NULL)
		return CLI_SERVER;
	n = snprintf(out, outlen, "/spark/%s%s", e, suffix);
	curl_free(e);
	if (n < 0 || (size_t)n >= outlen) {
		fprintf(stderr, "bpg: error: %s: the id is too long\n", id);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* "2026-12-04 17:30:00 UTC (5m ago)" */
static void
fmt_time(long long ms, char *out, size_t outlen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char ago[32], when[32];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		snprintf(out, outlen, "-");
		return;
	}
	cli_fmt_ago(ms, bpg_time_now_ms(), ago, sizeof(ago));
	snprintf(out, outlen, "%s (%s)", when, ago);
}

/* Key: value lines for an object, in the order of fields[] (JSON name, label, kind). */
struct field {
	const char *json, *label;
	char kind;   /* 's' string, 't' epoch ms, 'd' duration ms, 'n' number */
};

static int
print_fields(struct cli *c, const cJSON *j, const struct field *f, size_t n)
{
	char val[256], line[300];

	for (size_t i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, f[i].json);
		if (v == NULL || cJSON_IsNull(v))
			continue;
		if (f[i].kind == 't' && cJSON_IsNumber(v))
			fmt_time((long long)v->valuedouble, val, sizeof(val));
		else if (f[i].kind == 'd' && cJSON_IsNumber(v))
			cli_fmt_duration((long long)v->valuedouble, val, sizeof(val));
		else if (cJSON_IsNumber(v))
			snprintf(val, sizeof(val), "%.0f", v->valuedouble);
		else if (cJSON_IsString(v))
			snprintf(val, sizeof(val), "%s", v->valuestring[0] ? v->valuestring : "-");
		else
			continue;
		snprintf(line, sizeof(line), "%-12s %s\n", f[i].label, val);
		if (cli_write(c, line, strlen(line)) != CLI_OK)
			return CLI_SERVER;
	}
	return CLI_OK;
}

/* Prints j as the output format says; table through fields (or YAML when fields is NULL). */
static int
print_as(struct cli *c, const cJSON *j, enum cli_output dflt, const struct field *f, size_t n)
{
	enum cli_output o = c->o.output != CLI_OUT_DEFAULT ? c->o.output : dflt;

	if (o == CLI_OUT_JSON)
		return cli_print_json(c, j);
	if (o == CLI_OUT_YAML || f == NULL)
		return cli_print_yaml(c, j);
	return print_fields(c, j, f, n);
}

static const struct field status_fields[] = {
	{ "applicationState", "STATE:", 's' },
	{ "sparkApplicationId", "APP ID:", 's' },
	{ "creationTime", "CREATED:", 't' },
	{ "terminationTime", "ENDED:", 't' },
	{ "duration", "DURATION:", 'd' },
	{ "executionAttempts", "ATTEMPTS:", 'n' },
	{ "applicationErrorMessage", "ERROR:", 's' },
	{ "sparkUIUrl", "SPARK UI:", 's' },
};

/* GET suffix of the application; printed as the format says (a table starts with the id). */
static int
show(struct cli *c, const char *id, const char *suffix, enum cli_output dflt,
    const struct field *f, size_t n)
{
	char path[512];
	cJSON *j = NULL;
	int ret;

	if ((ret = id_path(c, id, suffix, path, sizeof(path))) != CLI_OK ||
	    (ret = cli_get_json(c, path, &j)) != CLI_OK)
		return ret;
	if (f != NULL && (c->o.output == CLI_OUT_TABLE || (c->o.output == CLI_OUT_DEFAULT && dflt == CLI_OUT_TABLE)))
		printf("%-12s %s\n", "ID:", id);
	ret = print_as(c, j, dflt, f, n);
	cJSON_Delete(j);
	return ret;
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	const char *id;
	int ret, final = CLI_OK;

	if ((ret = one_id(argc, argv, "status", &id)) != CLI_OK)
		return ret;
	if (c->o.wait && (final = cli_wait(c, id, 0)) != CLI_OK && final != CLI_FAILED)
		return final;
	ret = show(c, id, "/status", CLI_OUT_TABLE, status_fields,
	    sizeof(status_fields) / sizeof(status_fields[0]));
	return ret != CLI_OK ? ret : final;
}

int
cmd_wait(struct cli *c, int argc, char **argv)
{
	const char *id;
	int ret;

	if ((ret = one_id(argc, argv, "wait", &id)) != CLI_OK)
		return ret;
	return cli_wait(c, id, c->o.follow);
}

int
cmd_spec(struct cli *c, int argc, char **argv)
{
	const char *id;
	int ret;

	if ((ret = one_id(argc, argv, "spec", &id)) != CLI_OK)
		return ret;
	return show(c, id, "/spec", CLI_OUT_YAML, NULL, 0);
}

int
cmd_driver(struct cli *c, int argc, char **argv)
{
	static const struct field f[] = { { "podName", "POD:", 's' }, { "startTime", "STARTED:", 't' } };
	const char *id;
	int ret;

	if ((ret = one_id(argc, argv, "driver", &id)) != CLI_OK)
		return ret;
	return show(c, id, "/driver", CLI_OUT_TABLE, f, sizeof(f) / sizeof(f[0]));
}

int
cmd_describe(struct cli *c, int argc, char **argv)
{
	struct cli_req rq = { .method = "GET", .stream = 1 };
	struct cli_resp resp;
	char path[512];
	const char *id;
	int ret;

	if ((ret = one_id(argc, argv, "describe", &id)) != CLI_OK ||
	    (ret = id_path(c, id, "/describe", path, sizeof(path))) != CLI_OK)
		return ret;
	rq.path = path;
	ret = cli_http(c, &rq, &resp);
	cli_resp_release(&resp);
	return ret;
}

int
cmd_delete(struct cli *c, int argc, char **argv)
{
	struct cli_req rq = { .method = "DELETE" };
	struct cli_resp resp;
	char path[512];
	const char *id;
	cJSON *j;
	int ret;

	if ((ret = one_id(argc, argv, "delete", &id)) != CLI_OK ||
	    (ret = id_path(c, id, "", path, sizeof(path))) != CLI_OK)
		return ret;
	rq.path = path;
	if ((ret = cli_http(c, &rq, &resp)) == CLI_OK) {
		if (c->o.output == CLI_OUT_JSON || c->o.output == CLI_OUT_YAML) {
			j = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len);
			ret = j == NULL ? CLI_SERVER : c->o.output == CLI_OUT_JSON ? cli_print_json(c, j)
			    : cli_print_yaml(c, j);
			cJSON_Delete(j);
		} else if (!c->o.quiet) {
			printf("deleted %s\n", id);
		}
	}
	cli_resp_release(&resp);
	return ret;
}

/* One line of the health table: name, reachable, latency, error. */
static void
health_row(const char *name, const cJSON *v)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "reachable");
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(v, "latencyMs");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(v, "error");
	char lat[32] = "-";

	if (cJSON_IsNumber(l))
		snprintf(lat, sizeof(lat), "%.1f ms", l->valuedouble);
	printf("%-16s %-12s %9s%s%s\n", name, cJSON_IsTrue(r) ? "reachable" : "UNREACHABLE", lat,
	    cJSON_IsString(e) ? "  " : "", cJSON_IsString(e) ? e->valuestring : "");
}

int
cmd_health(struct cli *c, int argc, char **argv)
{
	const cJSON *st, *cl, *it;
	cJSON *j = NULL;
	int ret;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "bpg: error: usage: bpg health\n");
		return CLI_USAGE;
	}
	if ((ret = cli_get_json(c, "/healthcheck/status", &j)) != CLI_OK)
		return ret;
	st = cJSON_GetObjectItemCaseSensitive(j, "status");
	if (c->o.output == CLI_OUT_JSON || c->o.output == CLI_OUT_YAML) {
		ret = c->o.output == CLI_OUT_JSON ? cli_print_json(c, j) : cli_print_yaml(c, j);
	} else {
		printf("status: %s\n", cJSON_IsString(st) ? st->valuestring : "?");
		if ((it = cJSON_GetObjectItemCaseSensitive(j, "database")) != NULL)
			health_row("database", it);
		cl = cJSON_GetObjectItemCaseSensitive(j, "clusters");
		cJSON_ArrayForEach(it, cl) {
			char name[80];
			snprintf(name, sizeof(name), "cluster %s", it->string);
			health_row(name, it);
		}
		if ((it = cJSON_GetObjectItemCaseSensitive(j, "s3")) != NULL)
			health_row("s3", it);
	}
	if (ret == CLI_OK && !(cJSON_IsString(st) && strcmp(st->valuestring, "OK") == 0))
		ret = CLI_SERVER;
	cJSON_Delete(j);
	return ret;
}

int
cmd_version(struct cli *c, int argc, char **argv)
{
	const cJSON *v = NULL;
	cJSON *j = NULL, *out;
	int ret = CLI_OK;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "bpg: error: usage: bpg version [--client]\n");
		return CLI_USAGE;
	}
	if (!c->o.client_only && (ret = cli_get_json(c, "/healthcheck/status", &j)) == CLI_OK)
		v = cJSON_GetObjectItemCaseSensitive(j, "version");
	if (c->o.output == CLI_OUT_JSON || c->o.output == CLI_OUT_YAML) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "client", CLI_VERSION);
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(out, "server", v->valuestring);
		if (c->o.output == CLI_OUT_JSON)
			(void)cli_print_json(c, out);
		else
			(void)cli_print_yaml(c, out);
		cJSON_Delete(out);
	} else {
		printf("client: bpg %s\n", CLI_VERSION);
		if (cJSON_IsString(v))
			printf("server: %s (%s)\n", v->valuestring, c->conf.url);
	}
	cJSON_Delete(j);
	return ret;
}
