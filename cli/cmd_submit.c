/* cmd_submit.c: bpg submit: a request from a JSON or YAML file (or stdin) and/or flags,
 * validated here as the gateway validates it (JSON), sent, then optionally waited for. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_json.h"
#include "bpg_request.h"
#include "cli.h"

#define SUBMIT_MAX_BYTES ((size_t)4 << 20)

/* Reads the whole of path ("-": stdin) into b; CLI_USAGE with a message on failure. */
static int
read_input(const char *path, struct bpg_buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char chunk[65536];
	size_t n;
	int ret = CLI_OK;

	if (f == NULL) {
		fprintf(stderr, "bpg: error: %s: %s\n", path, strerror(errno));
		return CLI_USAGE;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (bpg_buf_append(b, chunk, n) != BPG_OK) {
			fprintf(stderr, "bpg: error: %s: larger than %zu bytes\n", path, SUBMIT_MAX_BYTES);
			ret = CLI_USAGE;
			break;
		}
	if (ret == CLI_OK && ferror(f)) {
		fprintf(stderr, "bpg: error: %s: %s\n", path, strerror(errno));
		ret = CLI_USAGE;
	}
	if (f != stdin)
		fclose(f);
	return ret;
}

/* YAML if the name says so, else if the text does not start like JSON. */
static int
is_yaml(const char *path, const struct bpg_buf *b)
{
	size_t n = strlen(path);
	const char *p = b->data != NULL ? b->data : "";

	if ((n > 5 && strcmp(path + n - 5, ".yaml") == 0) || (n > 4 && strcmp(path + n - 4, ".yml") == 0))
		return 1;
	if (n > 5 && strcmp(path + n - 5, ".json") == 0)
		return 0;
	p += strspn(p, " \t\r\n");
	return *p != '{' && *p != '\0';
}

static int
has_field_flags(const struct cli_opts *o)
{
	return o->queue || o->spark_version || o->main_class || o->main_file || o->name || o->image ||
	    o->driver_memory || o->executor_memory || o->driver_cores >= 0 || o->executor_cores >= 0 ||
	    o->executors >= 0 || o->nconf > 0 || o->nargs > 0;
}

/* obj[key], an object, created if missing; NULL if it is something else or on ENOMEM. */
static cJSON *
child(cJSON *obj, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL)
		v = cJSON_AddObjectToObject(obj, key);
	return cJSON_IsObject(v) ? v : NULL;
}

static int
set(cJSON *obj, const char *key, cJSON *v)
{
	if (obj == NULL || v == NULL) {
		cJSON_Delete(v);
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	return cJSON_AddItemToObject(obj, key, v) ? 0 : -1;
}

/* The flags written over the request's fields; -1 with a message on a bad flag. */
static int
apply_flags(const struct cli_opts *o, cJSON *r)
{
	const struct { const char *v, *key; } strs[] = {
		{ o->queue, "queue" }, { o->spark_version, "sparkVersion" },
		{ o->main_class, "mainClass" }, { o->main_file, "mainApplicationFile" },
		{ o->name, "applicationName" }, { o->image, "image" },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i].v != NULL)
			bad |= set(r, strs[i].key, cJSON_CreateString(strs[i].v));
	if (o->driver_memory)
		bad |= set(child(r, "driver"), "memory", cJSON_CreateString(o->driver_memory));
	if (o->executor_memory)
		bad |= set(child(r, "executor"), "memory", cJSON_CreateString(o->executor_memory));
	if (o->driver_cores >= 0)
		bad |= set(child(r, "driver"), "cores", cJSON_CreateNumber((double)o->driver_cores));
	if (o->executor_cores >= 0)
		bad |= set(child(r, "executor"), "cores", cJSON_CreateNumber((double)o->executor_cores));
	if (o->executors >= 0)
		bad |= set(child(r, "executor"), "instances", cJSON_CreateNumber((double)o->executors));
	for (int i = 0; i < o->nconf; i++) {
		const char *eq = strchr(o->conf[i], '=');
		char key[BPG_REQ_MAX_KEY + 1];
		if (eq == NULL || eq == o->conf[i] || (size_t)(eq - o->conf[i]) > BPG_REQ_MAX_KEY) {
			fprintf(stderr, "bpg: error: --conf %s: must be key=value\n", o->conf[i]);
			return -1;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - o->conf[i]), o->conf[i]);
		bad |= set(child(r, "sparkConf"), key, cJSON_CreateString(eq + 1));
	}
	if (o->nargs > 0)
		bad |= set(r, "arguments", cJSON_CreateStringArray(o->args, o->nargs));
	if (bad)
		fprintf(stderr, "bpg: error: the flags do not fit the request (driver, executor or "
		    "sparkConf is not an object?)\n");
	return bad ? -1 : 0;
}

/* The JSON body from the input and flags, validated; CLI_USAGE with a message if invalid. */
static int
build_json(const struct cli_opts *o, const struct bpg_buf *in, const char *src, char **body_out)
{
	struct bpg_submit_req *req = NULL;
	cJSON *r = NULL;
	char why[512];
	int ret = CLI_USAGE;

	if (in->len > 0) {
		if (bpg_json_parse(in->data, in->len, &r, BPG_WHY(why)) != BPG_OK) {
			fprintf(stderr, "bpg: error: %s: not valid JSON: %s\n", src, why);
			goto out;
		}
		if (!cJSON_IsObject(r)) {
			fprintf(stderr, "bpg: error: %s: the request must be a JSON object\n", src);
			goto out;
		}
	} else if ((r = cJSON_CreateObject()) == NULL) {
		goto out;
	}
	if (apply_flags(o, r) != 0 || (*body_out = cJSON_PrintUnformatted(r)) == NULL)
		goto out;
	if (bpg_request_parse(*body_out, strlen(*body_out), &req, BPG_WHY(why)) != BPG_OK) {
		fprintf(stderr, "bpg: error: invalid request: %s\n", why);
		free(*body_out);
		*body_out = NULL;
		goto out;
	}
	ret = CLI_OK;
out:
	bpg_request_free(req);
	cJSON_Delete(r);
	return ret;
}

/* Prints the dry run's SparkApplication or the new id; the id into id_out (64 bytes). */
static int
print_answer(struct cli *c, const struct cli_resp *resp, char *id_out, size_t idlen)
{
	cJSON *j = cJSON_ParseWithLength(resp->body.data ? resp->body.data : "", resp->body.len);
	const cJSON *id;
	int ret = CLI_SERVER;

	if (j == NULL) {
		cli_error(c, "the gateway's answer is not JSON");
		return CLI_SERVER;
	}
	if (c->o.dry_run) {
		ret = c->o.output == CLI_OUT_JSON ? cli_print_json(c, j) : cli_print_yaml(c, j);
		goto out;
	}
	id = cJSON_GetObjectItemCaseSensitive(j, "submissionId");
	if (!cJSON_IsString(id) || strlen(id->valuestring) >= idlen) {
		cli_error(c, "the gateway's answer has no submissionId");
		goto out;
	}
	snprintf(id_out, idlen, "%s", id->valuestring);
	if (c->o.output == CLI_OUT_JSON)
		ret = cli_print_json(c, j);
	else if (c->o.output == CLI_OUT_YAML)
		ret = cli_print_yaml(c, j);
	else
		ret = printf("%s\n", id_out) < 0 ? CLI_SERVER : CLI_OK;
	fflush(stdout);
out:
	cJSON_Delete(j);
	return ret;
}

/* The Idempotency-Key the gateway takes: 1-255 printable ASCII without spaces (no header
 * injection either). */
static int
check_idem_key(const char *k)
{
	size_t n = strlen(k);

	for (const char *p = k; *p; p++)
		if (*p <= ' ' || *p > '~')
			n = 0;
	if (n == 0 || n > 255) {
		fprintf(stderr, "bpg: error: --idempotency-key: 1 to 255 printable ASCII characters, no spaces\n");
		return CLI_USAGE;
	}
	return CLI_OK;
}

int
cmd_submit(struct cli *c, int argc, char **argv)
{
	struct cli_req rq = { .method = "POST", .idem_key = c->o.idem_key };
	struct cli_resp resp = { 0 };
	struct bpg_buf in;
	const char *src = argc == 1 ? argv[0] : NULL;
	char *body = NULL, id[128];
	int ret = CLI_USAGE, yaml = 0;

	bpg_buf_init(&in, SUBMIT_MAX_BYTES);
	bpg_buf_init(&resp.body, 0);
	if (argc > 1 || (src == NULL && !has_field_flags(&c->o))) {
		fprintf(stderr, "bpg: error: usage: bpg submit FILE|- [flags], or flags alone "
		    "(--spark-version, --main-file, ...)\n");
		goto out;
	}
	if (c->o.idem_key != NULL && check_idem_key(c->o.idem_key) != CLI_OK)
		goto out;
	if (src != NULL && (ret = read_input(src, &in)) != CLI_OK)
		goto out;
	ret = CLI_USAGE;
	if (src != NULL && (yaml = is_yaml(src, &in)) && has_field_flags(&c->o)) {
		fprintf(stderr, "bpg: error: %s: flags cannot change a YAML request; edit the file or use JSON\n", src);
		goto out;
	}
	if (yaml) {
		rq.body = in.data;
		rq.len = in.len;
		rq.ctype = "application/yaml";
	} else {
		if ((ret = build_json(&c->o, &in, src != NULL ? src : "flags", &body)) != CLI_OK)
			goto out;
		rq.body = body;
		rq.len = strlen(body);
		rq.ctype = "application/json";
	}
	rq.path = c->o.dry_run ? "/spark?dryRun=true" : "/spark";
	if ((ret = cli_http(c, &rq, &resp)) != CLI_OK)
		goto out;
	if ((ret = print_answer(c, &resp, id, sizeof(id))) != CLI_OK || c->o.dry_run)
		goto out;
	if (c->o.wait || c->o.follow)
		ret = cli_wait(c, id, c->o.follow);
out:
	free(body);
	cli_resp_release(&resp);
	bpg_buf_release(&in);
	return ret;
}
