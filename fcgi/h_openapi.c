/* bpg-fcgi: GET {base}/openapi.json, no authentication. */
#include <string.h>
#include "bpg_fcgi.h"

extern const char bpg_openapi_json[];

/* GET /openapi.json (public): the OpenAPI 3 document of this API (fcgi/openapi.json). */
enum bpg_err
h_openapi(struct bpg_app *app, struct bpg_http_req *req)
{
	(void)app;
	return bpg_http_reply(req, 200, "application/json", NULL, bpg_openapi_json,
	    strlen(bpg_openapi_json));
}
