/* bpg-fcgi: GET {base}/openapi.json and /openapi.yaml, no authentication. */
#include <string.h>
#include <cJSON.h>
#include "bpg_fcgi.h"
#include "bpg_yaml.h"

extern const char bpg_openapi_json[];

/* GET /openapi.json (public): the OpenAPI 3 document of this API (fcgi/openapi.json). */
enum bpg_err
h_openapi(struct bpg_app *app, struct bpg_http_req *req)
{
	(void)app;
	return bpg_http_reply(req, 200, "application/json", NULL, bpg_openapi_json,
	    strlen(bpg_openapi_json));
}

/* GET /openapi.yaml (public): the same document written as YAML (bpg_yaml_emit). */
enum bpg_err
h_openapi_yaml(struct bpg_app *app, struct bpg_http_req *req)
{
	cJSON *doc = cJSON_Parse(bpg_openapi_json);
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
