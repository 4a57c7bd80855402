/* bpg-fcgi: what a client learns of the API: {base}/openapi.json and .yaml, the UI's config. */
#include <string.h>
#include <cJSON.h>
#include "bpg_fcgi.h"
#include "bpg_yaml.h"

extern const char bpg_openapi_json[];

#define SKATE_DESCRIPTION "Submit, examine and delete Spark applications on Kubernetes, as " \
	"Apple's Batch Processing Gateway (the Java gateway) answers under /skatev2: request " \
	"bodies may be YAML, GET /log follows and uploads overwrite by default, lists without " \
	"limit stream every row; every error is {\"code\":N,\"message\":\"...\"}. The same " \
	"operations with stricter defaults are served under the configured base path."

/*
 * The OpenAPI document the request's base path answers with, parsed: fcgi/openapi.json, or
 * under /skatev2 that document with /skatev2 as its server and its own description (one
 * source: the operations are the same). Returns NULL when out of memory or the built-in
 * document does not parse. Release with cJSON_Delete().
 */
static cJSON *
doc_for(const struct bpg_http_req *req)
{
	cJSON *doc = cJSON_Parse(bpg_openapi_json), *servers = NULL, *server = NULL, *text = NULL;
	cJSON *info;

	if (doc == NULL || !bpg_http_is_legacy(req))
		return doc;
	info = cJSON_GetObjectItemCaseSensitive(doc, "info");
	if (!cJSON_IsObject(info) || (servers = cJSON_CreateArray()) == NULL ||
	    (text = cJSON_CreateString(SKATE_DESCRIPTION)) == NULL ||
	    (server = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(server, "url", BPG_HTTP_LEGACY_BASE) == NULL ||
	    !cJSON_AddItemToArray(servers, server))
		goto fail;
	server = NULL;   /* servers holds it */
	if (!cJSON_ReplaceItemInObjectCaseSensitive(doc, "servers", servers))
		goto fail;
	servers = NULL;  /* doc holds it */
	if (!cJSON_ReplaceItemInObjectCaseSensitive(info, "description", text))
		goto fail;
	return doc;
fail:
	cJSON_Delete(server);
	cJSON_Delete(servers);
	cJSON_Delete(text);
	cJSON_Delete(doc);
	return NULL;
}

/* GET /openapi.json (public): the OpenAPI 3 document of this API (fcgi/openapi.json). */
enum bpg_err
h_openapi(struct bpg_app *app, struct bpg_http_req *req)
{
	cJSON *doc;
	enum bpg_err err;

	(void)app;
	if (!bpg_http_is_legacy(req))
		return bpg_http_reply(req, 200, "application/json", NULL, bpg_openapi_json,
		    strlen(bpg_openapi_json));
	if ((doc = doc_for(req)) == NULL)
		return bpg_http_fail(req, BPG_EINTERNAL, "the built-in OpenAPI document does not parse");
	err = bpg_http_reply_json(req, 200, doc);
	cJSON_Delete(doc);
	return err;
}

/* GET /openapi.yaml (public): the same document written as YAML (bpg_yaml_emit). */
enum bpg_err
h_openapi_yaml(struct bpg_app *app, struct bpg_http_req *req)
{
	cJSON *doc = doc_for(req);
	struct bpg_buf b;
	enum bpg_err err;

	(void)app;
	if (doc == NULL)
		return bpg_http_fail(req, BPG_EINTERNAL, "the built-in OpenAPI document does not parse");
	bpg_buf_init(&b, 0);
	err = bpg_yaml_emit(doc, &b);
	cJSON_Delete(doc);
	if (err == BPG_OK)
		err = bpg_http_reply(req, 200, "application/yaml", NULL, b.data, b.len);
	else
		bpg_http_fail(req, err, "out of memory");
	bpg_buf_release(&b);
	return err;
}

/*
 * GET /ui/config.json (any allowed user): what the web UI needs, {"apiBase": base path}.
 * A worker answers it so the UI is behind the API's own authentication: nginx asks it
 * (auth_request) before it serves any file of the UI, and a blocked user gets 401.
 */
enum bpg_err
h_ui_config(struct bpg_app *app, struct bpg_http_req *req)
{
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err;

	if (j == NULL || cJSON_AddStringToObject(j, "apiBase", app->cfg->gateway.base_path) == NULL) {
		cJSON_Delete(j);
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	}
	err = bpg_http_reply_json(req, 200, j);
	cJSON_Delete(j);
	return err;
}
