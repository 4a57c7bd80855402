/*
 * libFuzzer: arbitrary bytes as an S3 answer body: through bpg_s3_check under every status
 * class (the <Error> document, its Code and Message, entities), into why buffers of several
 * sizes allocated to the byte, and through bpg_s3_list_page as a ListObjectsV2 and as a
 * ListMultipartUploads page. No network: the parsers only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every listed object: a key of S3's size, a size that parsed, an ETag that fits. */
static int
on_object(void *arg, const struct bpg_s3_object *o)
{
	size_t *n = arg;

	if (o->key == NULL || strlen(o->key) > BPG_S3_KEY_MAX || o->size < 0 || o->etag == NULL ||
	    strlen(o->etag) >= BPG_S3_ETAG_MAX)
		abort();
	return ++*n >= 1000;   /* the caller may stop a listing: exercise that too */
}

static int
on_upload(void *arg, const char *key, const char *upload_id, long long initiated_ms)
{
	size_t *n = arg;

	(void)initiated_ms;
	if (key == NULL || strlen(key) > BPG_S3_KEY_MAX || upload_id == NULL ||
	    strlen(upload_id) >= BPG_S3_UPLOAD_ID_MAX)
		abort();
	return ++*n >= 1000;
}

/* The error a status maps to when the body says nothing (bpg_s3.h). */
static int
status_ok(long status, enum bpg_err err)
{
	switch (status) {
	case 403: return err == BPG_EUPSTREAM;
	case 404: return err == BPG_ENOTFOUND;
	case 409: case 412: return err == BPG_ECONFLICT;
	case 416: return err == BPG_EINVAL;
	case 500: case 503: return err == BPG_EUNAVAIL;
	default: return err == BPG_EUPSTREAM;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 204, 206, 301, 400, 403, 404, 409, 412, 416, 500,
	    503 };
	static const size_t whylens[] = { 1, 9, 64, 512 };
	const char *body = (const char *)data;
	size_t n;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		size_t wl = whylens[(size + i) % (sizeof(whylens) / sizeof(whylens[0]))];
		char *why = malloc(wl);
		enum bpg_err err;

		if (why == NULL)
			return 0;
		memset(why, 'x', wl);
		err = bpg_s3_check(statuses[i], body, size, "GET b/k", BPG_WHY_BUF(why, wl));
		if (statuses[i] >= 300 && !status_ok(statuses[i], err))
			abort();
		if (statuses[i] < 300 && err != BPG_OK && err != BPG_EUPSTREAM &&
		    err != BPG_ENOTFOUND && err != BPG_ECONFLICT && err != BPG_EUNAVAIL)
			abort();
		if (err != BPG_OK && memchr(why, '\0', wl) == NULL)
			abort();   /* why is always terminated */
		free(why);
	}
	/* a 2xx is OK exactly when the body is no <Error> document: the same answer as 200 */
	if ((bpg_s3_check(200, body, size, "GET b/k", NULL) == BPG_OK) !=
	    (bpg_s3_check(204, body, size, "GET b/k", NULL) == BPG_OK))
		abort();
	n = 0;
	(void)bpg_s3_list_page(body, size, 0, on_object, NULL, &n);
	n = 0;
	(void)bpg_s3_list_page(body, size, 1, NULL, on_upload, &n);
	return 0;
}
