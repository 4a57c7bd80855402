/* bpg_appstate: a SparkApplication's state as stored, and the status JSON built from it. */
#define _GNU_SOURCE   /* timegm */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpg_appstate.h"
#include "bpg_json.h"
#include "bpg_request.h"
#include "bpg_time.h"

long long
bpg_appstate_parse_time(const char *s)
{
	return bpg_time_parse_rfc3339(s);
}

#define FINAL_CMP_(p, s) || strcmp(p, #s) == 0

int
bpg_appstate_is_final_state(const char *state)
{
	return state != NULL && (0 BPG_APPSTATE_FINAL_STATES(FINAL_CMP_, state));
}

int
bpg_appstate_is_final(const char *status, int gateway_failed)
{
	return gateway_failed != 0 || bpg_appstate_is_final_state(status);
}

int
bpg_appstate_may_replace(const char *row_status, int gateway_failed, long long row_rv,
    const char *obs_status, long long obs_rv)
{
	if (gateway_failed)
		return 0;
	if (row_rv >= 0 && !(obs_rv >= 0 && obs_rv > row_rv))
		return 0;
	return !bpg_appstate_is_final_state(row_status) || bpg_appstate_is_final_state(obs_status);
}

long long
bpg_appstate_resource_version(const char *rv)
{
	long long v = 0;
	size_t i;

	if (rv == NULL || rv[0] == '\0' || strlen(rv) > 18)
		return -1;
	for (i = 0; rv[i] != '\0'; i++) {
		if (rv[i] < '0' || rv[i] > '9')
			return -1;
		v = v * 10 + (rv[i] - '0');
	}
	return v;
}

static const cJSON *
jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * The number o[k] when it is a count (0..2^53), else -1: a CR is untrusted, and a double
 * outside long long's range must not be converted.
 */
static long long
jcount(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0))
		return -1;
	return (long long)v->valuedouble;
}

/* Replaces *dst with a copy of s (NULL clears); 0, or -1 on ENOMEM. */
static int
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = NULL;
	return s == NULL || (*dst = strdup(s)) != NULL ? 0 : -1;
}

enum bpg_err
bpg_appstate_observe(const cJSON *cr, struct bpg_sub_row *obs)
{
	const cJSON *md = jget(cr, "metadata"), *st = jget(cr, "status"), *as, *di, *ex;
	const char *state = "UNKNOWN";   /* no status yet; "" (new) is passed through */
	const char *appid;
	char *dijson = NULL;
	int rc = 0;

	as = jget(st, "applicationState");
	if (jstr(as, "state") != NULL)
		state = jstr(as, "state");
	rc |= set_str(&obs->status, state);
	/* "" (PENDING_RERUN clears it): no current id yet; the row keeps the last one */
	appid = jstr(st, "sparkApplicationId");
	rc |= set_str(&obs->app_id, appid != NULL && appid[0] != '\0' ? appid : NULL);
	rc |= set_str(&obs->error_message, jstr(as, "errorMessage"));
	di = jget(st, "driverInfo");
	if (cJSON_IsObject(di) && (dijson = cJSON_PrintUnformatted(di)) == NULL)
		rc = -1;
	rc |= set_str(&obs->driver_info, dijson);
	cJSON_free(dijson);
	obs->execution_attempts = jcount(st, "executionAttempts");
	if (obs->execution_attempts < 0)   /* the Java gateway: 1 once there is a status */
		obs->execution_attempts = cJSON_IsObject(st) ? 1 : -1;
	ex = jget(st, "executorState");
	obs->executor_count = cJSON_IsObject(ex) ? cJSON_GetArraySize(ex) : -1;
	obs->cr_created_ms = bpg_appstate_parse_time(jstr(md, "creationTimestamp"));
	obs->resource_version = bpg_appstate_resource_version(jstr(md, "resourceVersion"));
	obs->submission_attempts = jcount(st, "submissionAttempts");
	obs->cr_execution_attempts = jcount(st, "executionAttempts");
	if (obs->cr_execution_attempts < 0)   /* omitempty: absent is 0 */
		obs->cr_execution_attempts = 0;
	obs->submit_ms = bpg_appstate_parse_time(jstr(st, "lastSubmissionAttemptTime"));
	obs->termination_ms = bpg_appstate_parse_time(jstr(st, "terminationTime"));
	obs->start_ms = obs->submit_ms;
	if (obs->start_ms < 0 && (strcmp(state, "RUNNING") == 0 ||
	    bpg_appstate_is_final_state(state)))
		obs->start_ms = obs->cr_created_ms;
	obs->finished_ms = bpg_appstate_is_final_state(state) ? obs->termination_ms : -1;
	return rc == 0 ? BPG_OK : BPG_ENOMEM;
}

/*
 * A gateway failure's message: its own prefix, so that it reads apart from the operator's
 * SUBMISSION_FAILED (whose message is the operator's errorMessage).
 */
static enum bpg_err
gateway_message(const struct bpg_sub_row *row, cJSON *j)
{
	const char *why = row->error_message ? row->error_message : row->last_error;
	struct bpg_buf b;
	enum bpg_err err;

	bpg_buf_init(&b, 0);
	err = bpg_buf_printf(&b, "%s%s%s", BPG_APPSTATE_GATEWAY_FAILED, why ? ": " : "",
	    why ? why : "");
	if (err == BPG_OK && cJSON_AddStringToObject(j, "applicationErrorMessage", b.data) == NULL)
		err = BPG_ENOMEM;
	bpg_buf_release(&b);
	return err;
}

/* The error message with the Java gateway's max-running notes (spec 3.2). */
static enum bpg_err
status_message(const struct bpg_sub_row *row, long long created, long long terminated,
    cJSON *j)
{
	char note[256] = "";
	const char *base = row->error_message;
	char *msg;
	size_t n;
	enum bpg_err err = BPG_OK;

	if (row->gateway_failed)
		return gateway_message(row, j);

	if (row->max_running_millis > BPG_DEFAULT_MAX_RUNNING_MS)
		snprintf(note, sizeof(note), "(warning: application is configured with custom max "
		    "running time: %lld millis, but might be still killed in certain situations like "
		    "maintenance)", row->max_running_millis);
	if (row->max_running_millis > 0 && row->status != NULL && strcmp(row->status, "FAILED") == 0 &&
	    created >= 0 && terminated >= 0 && terminated - created >= row->max_running_millis - 120000)
		snprintf(note, sizeof(note), "(application might be killed because of running too long)");
	if (base == NULL && note[0] == '\0')
		return BPG_OK;
	n = (base ? strlen(base) : 0) + strlen(note) + 2;
	if ((msg = malloc(n)) == NULL)
		return BPG_ENOMEM;
	snprintf(msg, n, "%s%s%s", base ? base : "", base && note[0] ? " " : "", note);
	if (cJSON_AddStringToObject(j, "applicationErrorMessage", msg) == NULL)
		err = BPG_ENOMEM;
	free(msg);
	return err;
}

/*
 * Where the fields of a status or a summary go: a cJSON object (j), or JSON text appended to
 * b (the first member opens the object). The first failure sticks in err.
 */
struct emit {
	cJSON *j;
	struct bpg_buf *b;
	int members;
	enum bpg_err err;
};

static void
em_str(struct emit *e, const char *k, const char *v)
{
	if (e->err != BPG_OK)
		return;
	if (e->j != NULL) {
		if (cJSON_AddStringToObject(e->j, k, v) == NULL)
			e->err = BPG_ENOMEM;
		return;
	}
	if ((e->err = bpg_json_put_word(e->b, e->members++ ? ',' : '{', k)) == BPG_OK)
		e->err = bpg_json_put_str(e->b, v);
}

static void
em_int(struct emit *e, const char *k, long long v)
{
	if (e->err != BPG_OK)
		return;
	if (e->j != NULL) {
		if (cJSON_AddNumberToObject(e->j, k, (double)v) == NULL)
			e->err = BPG_ENOMEM;
		return;
	}
	e->err = bpg_json_put_word_int(e->b, e->members++ ? ',' : '{', k, v);
}

/* Adds item (taken: added or freed) as k. */
static void
em_item(struct emit *e, const char *k, cJSON *item)
{
	if (e->err == BPG_OK && e->j != NULL) {
		if (cJSON_AddItemToObject(e->j, k, item))
			return;
		e->err = BPG_ENOMEM;
	} else if (e->err == BPG_OK &&
	    (e->err = bpg_json_put_word(e->b, e->members++ ? ',' : '{', k)) == BPG_OK) {
		e->err = bpg_json_print(item, e->b);
	}
	cJSON_Delete(item);
}

/*
 * JSON as bpg_json_print writes it, read without a copy: no whitespace outside strings, no
 * raw control or non-ASCII byte in one, only the escapes it writes, integers only (short of
 * 10^15). cm_value and cm_list advance *s (within end) past one value or one member list
 * and say whether it was one; deeper than 32 levels they say no (the caller's slower path
 * takes it). Text like that is copied into a page as it is; any other is printed again.
 */
static int cm_value(const char **s, const char *end, int depth);

static int
cm_string(const char **s, const char *end)
{
	const char *t = *s;

	if (t == end || *t != '"')
		return 0;
	for (t++; t < end && *t != '"'; t++) {
		unsigned char c = (unsigned char)*t;
		if (c < 0x20 || c >= 0x80)   /* non-ASCII: printed again */
			return 0;
		if (c != '\\')
			continue;
		if (++t == end)
			return 0;
		if (*t == 'u') {   /* only a control byte's, as \u00xx */
			if (end - t < 5 || t[1] != '0' || t[2] != '0' || (t[3] != '0' && t[3] != '1') ||
			    !strchr("0123456789abcdef", t[4]) || t[4] == '\0' ||
			    (t[3] == '0' && strchr("089acd", t[4])))
				return 0;   /* NUL ends a cJSON string; \b \t \n \f \r print short */
			t += 4;
		} else if (!strchr("\"\\bfnrt", *t) || *t == '\0') {
			return 0;
		}
	}
	if (t == end)
		return 0;
	*s = t + 1;
	return 1;
}

/* The members (obj) or items of a non-empty object or array, up to what closes it. */
static int
cm_list(const char **s, const char *end, int obj, int depth)
{
	for (;;) {
		if (obj && (!cm_string(s, end) || *s == end || *(*s)++ != ':'))
			return 0;
		if (!cm_value(s, end, depth))
			return 0;
		if (*s == end || **s != ',')
			return 1;
		(*s)++;
	}
}

/* An object or array at *s (cm_value's rules). */
static int
cm_container(const char **s, const char *end, int depth)
{
	char open = **s, close = open == '{' ? '}' : ']';

	if (depth >= 32)
		return 0;
	(*s)++;
	if (*s < end && **s != close && !cm_list(s, end, open == '{', depth + 1))
		return 0;   /* not empty, and not a list either */
	if (*s == end || **s != close)
		return 0;
	(*s)++;
	return 1;
}

/* true, false, null or an integer at *s (cm_value's rules). */
static int
cm_scalar(const char **s, const char *end)
{
	static const char *const words[] = { "true", "false", "null" };
	const char *t = *s;
	size_t n = (size_t)(end - t), d = 0, z = *t == '-';

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wn = strlen(words[i]);
		if (*t == words[i][0]) {
			if (n < wn || memcmp(t, words[i], wn) != 0)
				return 0;
			*s = t + wn;
			return 1;
		}
	}
	while (z + d < n && t[z + d] >= '0' && t[z + d] <= '9')
		d++;
	if (d == 0 || d > 15 || (d > 1 && t[z] == '0'))
		return 0;   /* what follows is checked by the caller: not '.' nor 'e' */
	*s = t + z + d;
	return 1;
}

static int
cm_value(const char **s, const char *end, int depth)
{
	if (*s == end)
		return 0;
	if (**s == '"')
		return cm_string(s, end);
	if (**s == '{' || **s == '[')
		return cm_container(s, end, depth);
	return cm_scalar(s, end);
}

/*
 * Adds members already rendered as JSON text ("k":v,... with no braces, written by this
 * file's own emitter). A row's text is checked, never trusted: 0, with nothing added, unless
 * '{' members '}' is one JSON object and nothing after it. Compact text is copied into a
 * page as it is; any other (not this file's) is parsed and printed again, so that the page
 * stays JSON and text and tree say the same.
 */
static int
em_members(struct emit *e, const char *members, size_t n)
{
	static const char *const whole[] = { NULL };
	static const char *const *const paths[] = { whole };
	struct bpg_json_span v;
	struct bpg_buf o;
	cJSON *t, *c;
	int ok = 0;

	if (e->err != BPG_OK)
		return 1;
	if (e->j == NULL && n > 0) {
		const char *s = members;
		if (cm_list(&s, members + n, 1, 0) && s == members + n) {
			/* what this file writes: copied as it is, without a copy to check it */
			if ((e->err = bpg_buf_append(e->b, e->members++ ? "," : "{", 1)) == BPG_OK)
				e->err = bpg_buf_append(e->b, members, n);
			return 1;
		}
	}
	bpg_buf_init(&o, 0);
	if (bpg_buf_append(&o, "{", 1) != BPG_OK || bpg_buf_append(&o, members, n) != BPG_OK ||
	    bpg_buf_append(&o, "}", 1) != BPG_OK) {
		e->err = BPG_ENOMEM;
		ok = 1;
	} else if (n > 0 && bpg_json_pick(o.data, o.len, paths, 1, &v) == BPG_OK &&
	    v.p == o.data && v.len == o.len) {
		ok = 1;
		if ((t = cJSON_ParseWithLength(o.data, o.len)) == NULL) {
			ok = 0;   /* what the lenient scan takes and cJSON does not ("a":-) */
		} else {
			while (e->err == BPG_OK && (c = t->child) != NULL) {
				cJSON_DetachItemViaPointer(t, c);
				if (e->j != NULL) {
					em_item(e, c->string, c);
					continue;
				}
				/* a key from a row: escaped, unlike em_item's literal ones */
				if ((e->err = bpg_json_put_key(e->b, e->members++ ? ',' : '{',
				    c->string)) == BPG_OK)
					e->err = bpg_json_print(c, e->b);
				cJSON_Delete(c);
			}
			cJSON_Delete(t);
		}
	}
	bpg_buf_release(&o);
	return ok;
}

/* sparkUIUrl of a finished app: the template with every {appId} replaced. */
static void
history_url(const char *tmpl, const char *app_id, struct emit *e)
{
	static const char mark[] = "{appId}";
	struct bpg_buf u;
	const char *p = tmpl, *m;
	enum bpg_err err = BPG_OK;

	bpg_buf_init(&u, 4096);
	while (err == BPG_OK && (m = strstr(p, mark)) != NULL) {
		if ((err = bpg_buf_append(&u, p, (size_t)(m - p))) == BPG_OK)
			err = bpg_buf_puts(&u, app_id);
		p = m + sizeof(mark) - 1;
	}
	if (err == BPG_OK)
		err = bpg_buf_puts(&u, p);
	if (err == BPG_OK)
		em_str(e, "sparkUIUrl", u.data);
	else if (e->err == BPG_OK)
		e->err = err;
	bpg_buf_release(&u);
}

/* The SubmissionStatus fields shared by status and summaries. */
static void
status_fields(const struct bpg_sub_row *row, const struct bpg_cluster *cluster, long long now,
    struct emit *e)
{
	long long created = row->cr_created_ms >= 0 ? row->cr_created_ms : row->created_ms;
	long long term = row->finished_ms, duration = 0;
	const char *state = row->status ? row->status : "UNKNOWN";

	if (row->gateway_failed)
		state = "SUBMISSION_FAILED";
	if (created >= 0) {
		if (term >= 0)
			duration = term - created;
		else if (strcmp(state, "RUNNING") == 0 || strcmp(state, "SUBMITTED") == 0)
			duration = now - created;
	}
	if (created >= 0)
		em_int(e, "creationTime", created);
	if (row->app_id)
		em_str(e, "sparkApplicationId", row->app_id);
	if (row->execution_attempts >= 0)
		em_int(e, "executionAttempts", row->execution_attempts);
	if (term >= 0)
		em_int(e, "terminationTime", term);
	em_int(e, "duration", duration > 0 ? duration : 0);
	em_str(e, "applicationState", state);
	if (cluster != NULL && cluster->spark_history_url != NULL && row->app_id != NULL &&
	    (strcmp(state, "COMPLETED") == 0 || strcmp(state, "FAILED") == 0)) {
		history_url(cluster->spark_history_url, row->app_id, e);
	} else if (cluster != NULL && cluster->spark_ui_url != NULL && strcmp(state, "RUNNING") == 0) {
		struct bpg_buf u;
		bpg_buf_init(&u, 4096);
		if (bpg_buf_printf(&u, "%s/%s/%s", cluster->spark_ui_url, cluster->namespace,
		    row->submission_id) == BPG_OK)
			em_str(e, "sparkUIUrl", u.data);
		else if (e->err == BPG_OK)
			e->err = BPG_ENOMEM;
		bpg_buf_release(&u);
	}
}

/*
 * Adds "attempts": the stored history (bpg_subdb's JSON array, oldest first), each with
 * submissionAttempt, executionAttempt, sparkApplicationId, state, submissionTime,
 * terminationTime (epoch ms) and errorMessage when known.
 */
static enum bpg_err
add_attempts(const char *json, cJSON *j)
{
	cJSON *a = cJSON_Parse(json), *e;

	if (!cJSON_IsArray(a)) {   /* unreadable history: none, never a failed status */
		cJSON_Delete(a);
		a = cJSON_CreateArray();
	}
	cJSON_ArrayForEach(e, a) {   /* unknown fields are left out, as everywhere in status */
		cJSON *f = e->child, *next;
		for (; f != NULL; f = next) {
			next = f->next;
			if (cJSON_IsNull(f))
				cJSON_DeleteItemFromObjectCaseSensitive(e, f->string);
		}
	}
	if (a == NULL || !cJSON_AddItemToObject(j, "attempts", a)) {
		cJSON_Delete(a);
		return BPG_ENOMEM;
	}
	return BPG_OK;
}

enum bpg_err
bpg_appstate_status_json(const struct bpg_sub_row *row, const struct bpg_cluster *cluster,
    long long now_ms, cJSON **out)
{
	cJSON *j = cJSON_CreateObject();
	long long created = row->cr_created_ms >= 0 ? row->cr_created_ms : row->created_ms;
	enum bpg_err err;

	struct emit e = { j, NULL, 0, BPG_OK };

	if (j == NULL)
		return BPG_ENOMEM;
	status_fields(row, cluster, now_ms, &e);
	err = e.err;
	if (err == BPG_OK)
		err = status_message(row, created, row->finished_ms, j);
	if (err == BPG_OK && row->attempts_json != NULL)
		err = add_attempts(row->attempts_json, j);
	if (err != BPG_OK) {
		cJSON_Delete(j);
		return err;
	}
	*out = j;
	return BPG_OK;
}

/*
 * dagName (the driver's dag_name label, normalized as in the CR; "" when none) and
 * applicationArguments (omitted when none) from the stored, masked request, found in one
 * pass over its text (bpg_json_pick): no tree of the whole request per listed row.
 */
static void
add_from_request(const char *body, struct emit *e)
{
	static const char *const dag_path[] = { "driver", "labels", "dag_name", NULL };
	static const char *const args_path[] = { "arguments", NULL };
	static const char *const *const paths[] = { dag_path, args_path };
	struct bpg_json_span v[2];
	cJSON *dag = NULL, *args = NULL;
	char label[64] = "", plain[256];

	if (body != NULL && body[0] == '"' && em_members(e, body, strlen(body)))
		return;   /* summary_fields as the list writes them */
	if (body != NULL && bpg_json_pick(body, strlen(body), paths, 2, v) == BPG_OK) {
		if (bpg_json_span_plain(&v[0], plain, sizeof(plain)))
			bpg_request_label_value(plain, label);
		else if (v[0].p != NULL && v[0].p[0] == '"')
			dag = cJSON_ParseWithLength(v[0].p, v[0].len);
		if (v[1].p != NULL && v[1].p[0] == '[')
			args = cJSON_ParseWithLength(v[1].p, v[1].len);
	}
	if (cJSON_IsString(dag))
		bpg_request_label_value(dag->valuestring, label);
	cJSON_Delete(dag);
	em_str(e, "dagName", label);
	if (cJSON_IsArray(args))
		em_item(e, "applicationArguments", args);
	else
		cJSON_Delete(args);
}

/* The fields of a SubmissionSummary, in the Java gateway's order. */
static enum bpg_err
summary(const struct bpg_sub_row *row, const struct bpg_cluster *cluster, long long now_ms,
    struct emit *e)
{
	long long dc = row->driver_core > 0 ? row->driver_core : 1;
	long long ei = row->number_executor >= 0 ? row->number_executor : 1;
	long long ec = row->executor_core > 0 ? row->executor_core : 1;
	long long dm = row->driver_memory_mb > 0 ? row->driver_memory_mb / 1024 : 0;
	long long em = row->executor_memory_mb > 0 ? row->executor_memory_mb / 1024 : 0;
	char queue[300] = "root.";
	size_t qn = row->queue ? strlen(row->queue) : 0;

	if (qn >= sizeof(queue) - 5)
		qn = sizeof(queue) - 6;   /* as snprintf into it cut it */
	memcpy(queue + 5, row->queue ? row->queue : "", qn);
	queue[5 + qn] = '\0';
	em_str(e, "submissionId", row->submission_id);
	if (row->user != NULL)
		em_str(e, "user", row->user);
	em_str(e, "queue", row->queue ? queue : "");
	add_from_request(row->request_body, e);
	em_int(e, "driverCores", dc);
	em_int(e, "driverMemoryGB", dm);
	em_int(e, "executorInstances", ei);
	em_int(e, "executorCores", ec);
	em_int(e, "totalCores", ei * ec + dc);
	em_int(e, "executorMemoryGB", em);
	em_int(e, "totalMemoryGB", ei * em + dm);
	if (row->spark_version != NULL)
		em_str(e, "sparkVersion", row->spark_version);
	if (row->app_name != NULL)
		em_str(e, "applicationName", row->app_name);
	if (row->cluster_id != NULL)
		em_str(e, "clusterId", row->cluster_id);
	status_fields(row, cluster, now_ms, e);
	return e->err;
}

char *
bpg_appstate_summary_fields(const cJSON *stored)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(stored, "arguments");
	const cJSON *dag = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(stored, "driver"), "labels"), "dag_name");
	cJSON *o = cJSON_CreateObject(), *labels;
	struct bpg_buf b, r;
	struct emit e = { NULL, &r, 0, BPG_OK };
	char *text = NULL;

	/* the values as they are, whatever their type, through the list's own reading of them */
	if (o == NULL || (args != NULL &&
	    !cJSON_AddItemToObject(o, "arguments", cJSON_Duplicate(args, 1))) ||
	    (dag != NULL && ((labels = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "driver"),
	    "labels")) == NULL || !cJSON_AddItemToObject(labels, "dag_name", cJSON_Duplicate(dag, 1))))) {
		cJSON_Delete(o);
		return NULL;
	}
	bpg_buf_init(&b, 0);
	bpg_buf_init(&r, 0);
	if (bpg_json_print(o, &b) == BPG_OK) {
		add_from_request(b.data, &e);   /* '{' then the members: always dagName */
		if (e.err == BPG_OK && r.len > 1 && r.data[0] == '{')
			text = strdup(r.data + 1);
	}
	bpg_buf_release(&b);
	bpg_buf_release(&r);
	cJSON_Delete(o);
	return text;
}

enum bpg_err
bpg_appstate_summary_write(const struct bpg_sub_row *row, const struct bpg_cluster *cluster,
    long long now_ms, struct bpg_buf *out)
{
	struct emit e = { NULL, out, 0, BPG_OK };
	size_t len = out->len;
	enum bpg_err err = summary(row, cluster, now_ms, &e);

	if (err == BPG_OK)
		err = bpg_buf_append(out, "}", 1);
	if (err != BPG_OK && out->data != NULL) {
		out->len = len;
		out->data[len] = '\0';
	}
	return err;
}

enum bpg_err
bpg_appstate_summary_json(const struct bpg_sub_row *row, const struct bpg_cluster *cluster,
    long long now_ms, cJSON **out)
{
	cJSON *j = cJSON_CreateObject();
	struct emit e = { j, NULL, 0, BPG_OK };

	if (j == NULL)
		return BPG_ENOMEM;
	if (summary(row, cluster, now_ms, &e) != BPG_OK) {
		cJSON_Delete(j);
		return BPG_ENOMEM;
	}
	*out = j;
	return BPG_OK;
}

const char *
bpg_appstate_log_container(const cJSON *pod, int executor)
{
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(pod, "spec"), "containers"), *c, *n;
	const char *want = executor ? BPG_APPSTATE_EXECUTOR_C : BPG_APPSTATE_DRIVER_C;

	if (cJSON_GetArraySize(cs) <= 1)
		return NULL;
	cJSON_ArrayForEach(c, cs) {
		n = cJSON_GetObjectItemCaseSensitive(c, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, want) == 0)
			return n->valuestring;
	}
	n = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cs, 0), "name");
	return cJSON_IsString(n) ? n->valuestring : NULL;
}
