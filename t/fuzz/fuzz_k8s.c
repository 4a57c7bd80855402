/*
 * libFuzzer: arbitrary bytes as a Kubernetes answer: Status errors through bpg_k8s_check
 * (the error each status maps to, why buffers allocated to the byte), a SparkApplication
 * through bpg_appstate_observe and the status and summary JSON built from it, and a
 * SparkApplicationList as bpg-monitor reads a page: its continue token (escaped for the next
 * request), then every item through bpg_reconcile_is_ours, bpg_reconcile_observe, the stop
 * note kept, the change test and the run-time limit. The same object as a pod through
 * bpg_appstate_log_container. And the bytes scanned by bpg_json_pick (every value the
 * strict parser takes, it takes) and as a stored request behind a list row's summary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_appstate.h"
#include "bpg_json.h"
#include "bpg_k8s.h"
#include "bpg_reconcile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1795000000000LL   /* 2026-11-18 */

/* The error bpg_k8s.h promises for each status. */
static int
status_ok(long s, enum bpg_err err)
{
	if (s >= 200 && s < 300)
		return err == BPG_OK;
	if (s == 404)
		return err == BPG_ENOTFOUND;
	if (s == 409 || s == 410)
		return err == BPG_ECONFLICT;
	if (s == 400 || s == 422)
		return err == BPG_EINVAL;
	if (s == 429 || s >= 500)
		return err == BPG_EUNAVAIL;
	return err == BPG_EUPSTREAM;
}

static void
check_status(const struct bpg_cluster *c, const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 404, 409, 410, 422, 429, 500, 503 };
	struct bpg_k8s_resp r;
	size_t whylen = size > 0 ? 1 + (size_t)data[size - 1] * 2 : 512;   /* 1..511 */
	char *why = malloc(whylen);
	enum bpg_err err;
	long s;

	if (why == NULL)
		return;
	bpg_k8s_resp_init(&r);
	if (bpg_buf_append(&r.body, data, size) == BPG_OK) {
		s = r.status = statuses[size % (sizeof(statuses) / sizeof(statuses[0]))];
		memset(why, 'x', whylen);
		err = bpg_k8s_check(c, &r, BPG_WHY_BUF(why, whylen));
		if (!status_ok(s, err) || (err != BPG_OK && memchr(why, '\0', whylen) == NULL))
			abort();
	}
	bpg_k8s_resp_release(&r);
	free(why);
}

/* The continue token goes back escaped: unreserved bytes and %XX only. */
static void
check_continue(const cJSON *list)
{
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(list,
	    "metadata"), "continue");
	struct bpg_buf b;

	if (!cJSON_IsString(next))
		return;
	bpg_buf_init(&b, 0);
	if (bpg_k8s_query_escape(next->valuestring, &b) != BPG_OK)
		abort();
	for (size_t i = 0; i < b.len; i++) {
		unsigned char ch = (unsigned char)b.data[i];
		if (ch == '%') {
			if (i + 2 >= b.len)
				abort();
			i += 2;
		} else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~')) {
			abort();
		}
	}
	bpg_buf_release(&b);
}

/* One listed item as bpg-monitor's reconcile_item() takes it, against a RUNNING row. */
static void
reconcile_item(const cJSON *item)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(item, "metadata");
	const cJSON *lbl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(md,
	    "labels"), "maxRunningMillis");
	struct bpg_sub_row row, obs;
	long long max, ran;

	(void)bpg_reconcile_is_ours(item);
	bpg_sub_row_init(&row);
	bpg_sub_row_init(&obs);
	row.submission_id = strdup("c01-0123456789abcdef0123456789abcdef");
	row.status = strdup("RUNNING");
	row.last_error = strdup(BPG_RECONCILE_STOP_NOTE ": ran 12h, over its limit of 12h");
	row.created_ms = NOW_MS - 3600000;
	if (row.submission_id == NULL || row.status == NULL || row.last_error == NULL)
		goto out;
	if (bpg_reconcile_observe(item, NOW_MS, &obs) != BPG_OK)
		goto out;
	if ((obs.submission_id = strdup(row.submission_id)) == NULL ||
	    bpg_reconcile_keep_note(&row, &obs) != BPG_OK)
		goto out;
	if (obs.error_message == NULL ||
	    strncmp(obs.error_message, row.last_error, strlen(row.last_error)) != 0)
		abort();   /* the monitor's stop reason stays first */
	(void)bpg_reconcile_changed(&row, &obs);
	max = bpg_reconcile_max_running(0, cJSON_IsString(lbl) ? lbl->valuestring : NULL);
	if (max < 1 || max > BPG_RECONCILE_MAX_MS)
		abort();
	if (bpg_reconcile_overrunning(&obs, max, NOW_MS, &ran) && ran <= max)
		abort();
	(void)bpg_reconcile_missing(&row, NOW_MS, BPG_RECONCILE_GRACE_MS);
out:
	bpg_sub_row_release(&obs);
	bpg_sub_row_release(&row);
}

static int picked_ok;

/*
 * The bytes as an answer bpg_json_pick scans (a create's answer, a stored request): spans
 * inside the input; and as a list row's stored request, the summary written as text is the
 * summary tree printed.
 */
static void
check_pick(const uint8_t *data, size_t size)
{
	static const char *const p0[] = { "metadata", "creationTimestamp", NULL };
	static const char *const p1[] = { "driver", "labels", "dag_name", NULL };
	static const char *const p2[] = { "arguments", NULL };
	static const char *const p3[] = { NULL };
	static const char *const *const paths[] = { p0, p1, p2, p3 };
	struct bpg_json_span v[4];
	struct bpg_sub_row row;
	struct bpg_buf a, b;
	cJSON *t = NULL;
	char *text = malloc(size + 1);

	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	picked_ok = bpg_json_pick(text, size, paths, 4, v) == BPG_OK;
	for (int i = 0; i < 4; i++)
		if ((v[i].p != NULL && !picked_ok) || (v[i].p != NULL && (v[i].p < text ||
		    v[i].p + v[i].len > text + size || v[i].len == 0)))
			abort();
	bpg_sub_row_init(&row);
	row.submission_id = strdup("c01-x");
	row.request_body = text;   /* a NUL inside: the row's text ends there, as in the database */
	bpg_buf_init(&a, 0);
	bpg_buf_init(&b, 0);
	if (bpg_appstate_summary_json(&row, NULL, 1, &t) == BPG_OK &&
	    bpg_json_print(t, &a) == BPG_OK &&
	    bpg_appstate_summary_write(&row, NULL, 1, &b) == BPG_OK &&
	    strcmp(a.data, b.data) != 0)
		abort();
	cJSON_Delete(t);
	bpg_buf_release(&a);
	bpg_buf_release(&b);
	bpg_sub_row_release(&row);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char id[] = "c01", ns[] = "ns", ui[] = "https://ui";   /* the config's own strings */
	struct bpg_cluster c;
	struct bpg_sub_row row;
	char why[512];
	cJSON *j = NULL, *out = NULL;
	const cJSON *it;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.namespace = ns;
	c.spark_ui_url = ui;
	check_status(&c, data, size);
	check_pick(data, size);
	if (bpg_json_parse((const char *)data, size, &j, BPG_WHY(why)) != BPG_OK)
		return 0;
	if (!picked_ok)
		abort();   /* what the strict parser takes, the scan takes too */
	bpg_sub_row_init(&row);
	if (bpg_appstate_observe(j, &row) == BPG_OK) {
		row.submission_id = strdup("c01-x");
		if (bpg_appstate_status_json(&row, &c, 1, &out) == BPG_OK)
			cJSON_Delete(out);
		if (bpg_appstate_summary_json(&row, &c, 1, &out) == BPG_OK)
			cJSON_Delete(out);
	}
	bpg_sub_row_release(&row);
	/* a list page as the monitor reads it; a lone object as one item */
	check_continue(j);
	reconcile_item(j);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "items")) {
		bpg_sub_row_init(&row);
		(void)bpg_appstate_observe(it, &row);
		bpg_sub_row_release(&row);
		reconcile_item(it);
	}
	/* the object as a pod, for GET /log */
	(void)bpg_appstate_log_container(j, 0);
	(void)bpg_appstate_log_container(j, 1);
	cJSON_Delete(j);
	return 0;
}
