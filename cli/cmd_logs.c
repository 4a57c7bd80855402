/* cmd_logs.c: bpg logs (the driver's or an executor's log, streamed to stdout, followed with
 * -f) and bpg upload (a file streamed from disk to S3 through the gateway). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

/* Appends "&name=value" (value escaped) to path; -1 if it does not fit. */
static int
add(struct cli *c, char *path, size_t len, const char *name, const char *v)
{
	size_t n = strlen(path);
	char *e;
	int w;

	if (v == NULL)
		return 0;
	if ((e = cli_escape(c, v)) == NULL)
		return -1;
	w = snprintf(path + n, len - n, "%s%s=%s", strchr(path, '?') ? "&" : "?", name, e);
	curl_free(e);
	return w < 0 || (size_t)w >= len - n ? -1 : 0;
}

static int
add_num(struct cli *c, char *path, size_t len, const char *name, long v)
{
	char num[32];

	if (v < 0)
		return 0;
	snprintf(num, sizeof(num), "%ld", v);
	return add(c, path, len, name, num);
}

int
cmd_logs(struct cli *c, int argc, char **argv)
{
	struct cli_req rq = { .method = "GET", .stream = 1, .sniff = CLI_LOG_NOT_FOUND };
	struct cli_resp resp;
	char path[1024] = "/log";
	int app_id, ret;

	if (argc != 1) {
		fprintf(stderr, "bpg: error: usage: bpg logs ID [-f] [--tail N] [--exec N] [--container C]\n");
		return CLI_USAGE;
	}
	app_id = strncmp(argv[0], "spark-", 6) == 0;
	if (add(c, path, sizeof(path), app_id ? "appId" : "subId", argv[0]) ||
	    add_num(c, path, sizeof(path), "execId", c->o.exec) ||
	    add_num(c, path, sizeof(path), "tailLines", c->o.tail) ||
	    add(c, path, sizeof(path), "container", c->o.container) ||
	    add(c, path, sizeof(path), "follow", c->o.follow ? "true" : NULL)) {
		fprintf(stderr, "bpg: error: the arguments are too long\n");
		return CLI_USAGE;
	}
	/* a submission's state tells when its pod has a log; an appId's pod exists already */
	if (c->o.follow && !app_id)
		return cli_wait_log(c, argv[0], path, c->o.exec >= 0);
	rq.path = path;
	rq.follow = c->o.follow;
	ret = cli_http(c, &rq, &resp);
	if (ret == CLI_OK && resp.sniffed) {
		if (c->o.exec >= 0)
			cli_error(c, "%s: no executor %ld log found", argv[0], c->o.exec);
		else
			cli_error(c, "%s: no driver log found%s", argv[0],
			    c->o.follow ? "" : " (not started yet? bpg logs -f waits for it)");
		ret = CLI_NOTFOUND;
	}
	cli_resp_release(&resp);
	if (ret == CLI_INTERRUPTED) {
		fflush(stdout);
		fprintf(stderr, "bpg: interrupted: stopped following; %s keeps running\n", argv[0]);
	}
	return ret;
}

/* The last path component. */
static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s != NULL ? s + 1 : p;
}

int
cmd_upload(struct cli *c, int argc, char **argv)
{
	struct cli_req rq = { .method = "POST", .ctype = "application/octet-stream" };
	struct cli_resp resp = { 0 };
	char path[2048] = "/s3/";
	const char *name;
	struct stat st;
	FILE *f = NULL;
	cJSON *j = NULL;
	const cJSON *url;
	char *e;
	int ret = CLI_USAGE;

	if (argc != 1) {
		fprintf(stderr, "bpg: error: usage: bpg upload FILE [--folder F] [--name N] [--overwrite]\n");
		return CLI_USAGE;
	}
	if ((f = fopen(argv[0], "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "bpg: error: %s: %s\n", argv[0], strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "bpg: error: %s: not a regular file\n", argv[0]);
		goto out;
	}
	name = c->o.name != NULL ? c->o.name : base_name(argv[0]);
	if ((e = cli_escape(c, name)) == NULL) {
		ret = CLI_SERVER;
		goto out;
	}
	snprintf(path + 4, sizeof(path) - 4, "%s", e);
	curl_free(e);
	if (add(c, path, sizeof(path), "folder", c->o.folder) ||
	    add(c, path, sizeof(path), "overwrite", c->o.overwrite ? "true" : NULL) ||
	    add(c, path, sizeof(path), "allowEmpty", st.st_size == 0 ? "true" : NULL)) {
		fprintf(stderr, "bpg: error: the name or folder is too long\n");
		goto out;
	}
	rq.path = path;
	rq.upload = f;
	rq.upload_size = (curl_off_t)st.st_size;
	rq.progress = 1;
	rq.keep_errors = 1;
	if ((ret = cli_http(c, &rq, &resp)) != CLI_OK) {
		if (resp.status == 409)   /* the server's "add overwrite=true" is the API's word */
			cli_error(c, "%.*s: bpg upload --overwrite replaces it", (int)strcspn(resp.err, ";"), resp.err);
		else if (ret != CLI_INTERRUPTED)
			cli_error(c, "%s", resp.err);
		if (ret == CLI_INTERRUPTED)
			fprintf(stderr, "bpg: interrupted: the upload of %s was abandoned (nothing stored)\n", argv[0]);
		goto out;
	}
	j = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len);
	url = cJSON_GetObjectItemCaseSensitive(j, "url");
	if (!cJSON_IsString(url)) {
		cli_error(c, "the gateway's answer has no url");
		ret = CLI_SERVER;
	} else if (c->o.output == CLI_OUT_JSON || c->o.output == CLI_OUT_YAML) {
		ret = c->o.output == CLI_OUT_JSON ? cli_print_json(c, j) : cli_print_yaml(c, j);
	} else {
		ret = printf("%s\n", url->valuestring) < 0 ? CLI_SERVER : CLI_OK;
	}
out:
	cJSON_Delete(j);
	cli_resp_release(&resp);
	if (f != NULL)
		fclose(f);
	return ret;
}
