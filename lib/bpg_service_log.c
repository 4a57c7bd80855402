/* bpg_service_log: a driver's or an executor's log, from its pod or else from S3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bpg_appstate.h"
#include "bpg_log.h"
#include "bpg_podlog.h"
#include "bpg_podlogdb.h"
#include "bpg_query.h"
#include "bpg_service.h"

#define WHY          512
#define TAIL_PROBE   ((long long)1 << 20)   /* bytes read from the end for a tail from S3 */

/* The sink bpg_k8s and bpg_podlog write to: the caller's. */
static int
out_sink(void *arg, const char *data, size_t len)
{
	struct bpg_svc_sink *o = arg;

	return o->write(o, data, len);
}

const char *
bpg_svc_log_pod(const cJSON *cr, const char *exec)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(cr, "status"), *e, *pn;
	const char *found = NULL;
	char suffix[BPG_SVC_EXEC_MAX + 8];
	size_t ns;

	if (exec[0] == '\0') {
		pn = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(st, "driverInfo"), "podName");
		return cJSON_IsString(pn) && pn->valuestring[0] ? pn->valuestring : NULL;
	}
	snprintf(suffix, sizeof(suffix), "exec-%.*s", BPG_SVC_EXEC_MAX, exec);
	ns = strlen(suffix);
	/* status.executorState: the last match */
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(st, "executorState")) {
		size_t n = e->string ? strlen(e->string) : 0;
		if (n >= ns && strcmp(e->string + n - ns, suffix) == 0)
			found = e->string;
	}
	return found;
}

/*
 * Streams the log from the live pod. BPG_ENOTFOUND when there is no pod to read (the
 * caller tries S3); BPG_OK once anything was sent. A container the caller named that the
 * pod lacks is a 400.
 */
static enum bpg_err
log_from_pod(struct bpg_svc *svc, const struct bpg_svc_sub *s, const struct bpg_svc_log_in *in,
    struct bpg_svc_sink *o)
{
	cJSON *cr = NULL, *pod = NULL;
	const cJSON *ph;
	const char *name;
	struct bpg_k8s_log_opts opts;
	char why[WHY];
	enum bpg_err err = BPG_ENOTFOUND;

	if (bpg_k8s_get_app(svc->k8s, s->cluster, s->id, &cr, BPG_WHY(why)) != BPG_OK ||
	    (name = bpg_svc_log_pod(cr, in->exec)) == NULL ||
	    bpg_k8s_get_pod(svc->k8s, s->cluster, name, &pod, BPG_WHY(why)) != BPG_OK)
		goto out;
	ph = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"),
	    "phase");
	if (!cJSON_IsString(ph) || strcasecmp(ph->valuestring, "Pending") == 0 ||
	    strcasecmp(ph->valuestring, "Unknown") == 0)
		goto out;
	/* the container asked for, else Spark's own in a pod of several */
	opts.container = in->container[0] != '\0' ? in->container :
	    bpg_appstate_log_container(pod, in->exec[0] != '\0');
	opts.tail_lines = in->tail_lines;
	opts.limit_bytes = in->limit_bytes;
	opts.follow = in->follow;
	opts.max_ms = in->follow ? svc->cfg->gateway.log_follow_max_ms :
	    svc->cfg->gateway.log_stream_max_ms;
	err = bpg_k8s_stream_log(svc->k8s, s->cluster, name, &opts, out_sink, o, BPG_WHY(why));
	if (o->begun || err == BPG_OK) {
		if (err != BPG_OK && !o->failed)
			bpg_log(BPG_LOG_WARN, "log", "pod log cut short", "pod", name, "error", why,
			    NULL);
		err = BPG_OK;
	} else if (err == BPG_EINVAL && in->container[0] != '\0') {
		bpg_svc_fail(svc, err, "%s", why);
	} else {
		err = BPG_ENOTFOUND;
	}
out:
	cJSON_Delete(pod);
	cJSON_Delete(cr);
	return err;
}

static int
fmt_sink(void *arg, const char *data, size_t len)
{
	return bpg_podlog_write(arg, data, len);
}

static int
buf_sink(void *arg, const char *data, size_t len)
{
	return bpg_buf_append(arg, data, len) != BPG_OK;
}

/*
 * tailLines of a raw archived log: the last TAIL_PROBE bytes of its last object are read
 * with a range; when they hold more than the lines asked for, they are the answer (not the
 * whole object). 1 when answered, 0 when the whole log has to be read.
 */
static int
tail_from_end(struct bpg_svc *svc, const char *bucket, const struct bpg_podlog_obj *last,
    struct bpg_podlog *f)
{
	struct bpg_buf b;
	long long lines = 0;
	char why[WHY];
	int done = 0;

	if (f->tail_lines == 0 || last->format != BPG_PODLOG_FORMAT_RAW || last->size <= TAIL_PROBE)
		return 0;
	bpg_buf_init(&b, (size_t)TAIL_PROBE + 1);
	if (bpg_s3_fetch(svc->s3, &(const struct bpg_s3_req){ .bucket = bucket, .key = last->key,
	    .offset = last->size - TAIL_PROBE, .length = TAIL_PROBE, .sink = buf_sink, .arg = &b },
	    BPG_WHY(why)) == BPG_OK && b.len > 0) {
		for (size_t i = 0; i + 1 < b.len; i++)   /* a final newline ends a line, starts none */
			lines += b.data[i] == '\n';
		if (lines > f->tail_lines) {   /* the first line may be cut: one more than asked */
			(void)bpg_podlog_write(f, b.data, b.len);
			done = 1;
		}
	}
	bpg_buf_release(&b);
	return done;
}

/* Reads the objects v[from..n) into f; how many could be read. */
static size_t
read_objects(struct bpg_svc *svc, const char *bucket, const struct bpg_podlog_obj *v,
    size_t from, size_t n, struct bpg_podlog *f, const struct bpg_svc_sink *o)
{
	size_t read = from;
	char why[WHY];

	for (size_t i = from; i < n && !f->limited && !f->stopped; i++) {
		bpg_podlog_set_fluentbit(f, v[i].format == BPG_PODLOG_FORMAT_FLUENTBIT);
		if (bpg_s3_fetch(svc->s3, &(const struct bpg_s3_req){ .bucket = bucket,
		    .key = v[i].key, .length = -1, .sink = fmt_sink, .arg = f }, BPG_WHY(why)) !=
		    BPG_OK && !f->limited && !f->stopped)
			bpg_log(BPG_LOG_WARN, "log", "archived object unreadable", "key", v[i].key,
			    "error", why, NULL);
		else
			read++;
		if (read > 0 || o->begun)   /* a missing first object adds no separator */
			(void)bpg_podlog_end_object(f);
	}
	return read;
}

/*
 * Streams the archived objects of container_id. BPG_ENOTFOUND when there are none, or when
 * not one of them could be read and nothing was sent (the index outlived the objects: a
 * bucket emptied, a lifecycle rule), so the caller answers the not-found text.
 */
static enum bpg_err
log_from_s3(struct bpg_svc *svc, const struct bpg_svc_log_in *in, const char *container_id,
    struct bpg_svc_sink *o)
{
	struct bpg_podlog_obj *v = NULL;
	struct bpg_podlog f;
	const char *bucket = svc->cfg->s3.log_bucket ? svc->cfg->s3.log_bucket :
	    svc->cfg->s3.bucket;
	size_t n = 0, read;
	enum bpg_err err;

	if (bpg_podlogdb_objects(svc->db, container_id, &v, &n) != BPG_OK || n == 0) {
		free(v);
		return BPG_ENOTFOUND;   /* the Java gateway too: index errors mean no keys */
	}
	if (svc->s3 == NULL || bucket == NULL) {
		free(v);
		return bpg_svc_fail(svc, BPG_EUNAVAIL, "the log is archived in S3, which is not "
		    "configured on this gateway");
	}
	if ((err = bpg_podlog_init(&f, 0, in->tail_lines, in->limit_bytes, out_sink, o)) != BPG_OK) {
		free(v);
		return bpg_svc_fail(svc, err, "out of memory");
	}
	/* the tail answered alone, or every object */
	read = tail_from_end(svc, bucket, &v[n - 1], &f) ? n : read_objects(svc, bucket, v, 0, n,
	    &f, o);
	if (read > 0 || o->begun)
		(void)bpg_podlog_finish(&f);
	bpg_podlog_release(&f);
	free(v);
	return read > 0 || o->begun ? BPG_OK : BPG_ENOTFOUND;
}

/* Resolves the submission (an appId through the database) and checks the caller may read it. */
static enum bpg_err
log_lookup(struct bpg_svc *svc, const struct bpg_svc_log_in *in, struct bpg_svc_sub *s)
{
	struct bpg_sub_row r;
	enum bpg_err err;

	if (in->sub_id[0] != '\0')
		return bpg_svc_lookup(svc, in->sub_id, 0, s);
	bpg_svc_sub_init(s);
	bpg_sub_row_init(&r);
	err = bpg_subdb_get(svc->db, in->app_id, 1, &r);
	if (err == BPG_ENOTFOUND)
		err = bpg_svc_fail(svc, BPG_EINVAL, "Could not find submissionId from the appId %s.",
		    in->app_id);
	else if (err != BPG_OK)
		err = bpg_svc_fail(svc, BPG_EUNAVAIL, "database unavailable: %s",
		    bpg_db_last_error(svc->db));
	else
		err = bpg_svc_lookup(svc, r.submission_id, 0, s);
	bpg_sub_row_release(&r);
	return err;
}

/* The live pod's log, else S3's; BPG_ENOTFOUND when neither has one. */
static enum bpg_err
log_read(struct bpg_svc *svc, const struct bpg_svc_sub *s, const struct bpg_svc_log_in *in,
    struct bpg_svc_sink *o)
{
	char cid[BPG_QUERY_MAX_VALUE + 32];
	enum bpg_err err = in->s3only ? BPG_ENOTFOUND : log_from_pod(svc, s, in, o);

	if (err != BPG_ENOTFOUND)
		return err;
	if (in->exec[0] == '\0')
		snprintf(cid, sizeof(cid), "%s-driver", s->id);
	else
		snprintf(cid, sizeof(cid), "%s-exec-%s", s->id, in->exec);
	return log_from_s3(svc, in, cid, o);
}

enum bpg_err
bpg_svc_log(struct bpg_svc *svc, const struct bpg_svc_log_in *in, struct bpg_svc_sink *out,
    int *found_out)
{
	struct bpg_svc_sub s;
	enum bpg_err err;

	*found_out = 1;
	if ((err = log_lookup(svc, in, &s)) == BPG_OK &&
	    (err = log_read(svc, &s, in, out)) == BPG_ENOTFOUND) {
		*found_out = 0;
		err = BPG_OK;
	}
	if (out->begun)
		err = BPG_OK;
	bpg_svc_sub_release(&s);
	return err;
}

/* A sink into a bounded buffer: what does not fit is dropped. */
struct buf_out {
	struct bpg_svc_sink sink;     /* first: the sink is the struct */
	struct bpg_buf *buf;
};

static int
buf_write(struct bpg_svc_sink *sink, const char *data, size_t len)
{
	struct buf_out *o = (struct buf_out *)sink;

	o->sink.begun = 1;
	if (bpg_buf_append(o->buf, data, len) != BPG_OK)
		o->sink.failed = 1;   /* past its limit: what came first is kept */
	return o->sink.failed;
}

enum bpg_err
bpg_svc_batch_log(struct bpg_svc *svc, const char *id, long long tail_lines,
    struct bpg_svc_batch *b, struct bpg_buf *out)
{
	struct bpg_svc_log_in in;
	struct buf_out o;
	enum bpg_err err;

	memset(&in, 0, sizeof(in));
	memset(&o, 0, sizeof(o));
	in.tail_lines = tail_lines;
	o.sink.write = buf_write;
	o.buf = out;
	if ((err = bpg_svc_batch_lookup(svc, id, 0, b)) != BPG_OK)
		return err;
	err = log_read(svc, &b->sub, &in, &o.sink);
	return err == BPG_ENOTFOUND ? BPG_OK : err;
}
