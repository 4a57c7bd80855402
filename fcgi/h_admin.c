/* bpg-fcgi: GET /admin/version. */
#include <cJSON.h>
#include "bpg_fcgi.h"

#ifndef BPG_GIT_COMMIT
#define BPG_GIT_COMMIT "unknown"
#endif
#ifndef BPG_BUILD_TIME
#define BPG_BUILD_TIME "unknown"
#endif

/* GET /admin/version (admins): {"version","gitCommit","buildTime"}. */
enum bpg_err
h_admin_version(struct bpg_app *app, struct bpg_http_req *req)
{
	cJSON *j = cJSON_CreateObject();
	enum bpg_err err;

	(void)app;
	if (j == NULL || cJSON_AddStringToObject(j, "version", BPG_VERSION) == NULL ||
	    cJSON_AddStringToObject(j, "gitCommit", BPG_GIT_COMMIT) == NULL ||
	    cJSON_AddStringToObject(j, "buildTime", BPG_BUILD_TIME) == NULL) {
		cJSON_Delete(j);
		return bpg_http_fail(req, BPG_ENOMEM, "out of memory");
	}
	err = bpg_http_reply_json(req, 200, j);
	cJSON_Delete(j);
	return err;
}
