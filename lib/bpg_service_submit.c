/* bpg_service_submit: the submit: Idempotency-Key, take-over, record, create, failover. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpg_appstate.h"
#include "bpg_idem.h"
#include "bpg_idemkey.h"
#include "bpg_json.h"
#include "bpg_log.h"
#include "bpg_mask.h"
#include "bpg_service.h"
#include "bpg_submit.h"

#define WHY 1024
#define BUSY_MSG "a request with this Idempotency-Key is still being processed"
#define DB_DOWN_MSG "database unavailable: nothing was submitted"

/* Everything one submit works on; released by submit_release(). */
struct submit {
	const struct bpg_svc_submit_in *in;
	struct bpg_svc_submit_out *out;
	const char *idem;             /* in->idem, or NULL for a dry run */
	char *stored;                 /* masked request JSON for the row */
	char *summary;                /* what lists show of it (the row's summary_fields) */
	const char *tried[2];         /* clusters already tried (failover) */
	size_t ntried;
	struct bpg_submit_plan plan;  /* queue, cluster, id and CR (bpg_submit) */
	char fp[BPG_IDEM_FP_LEN + 1];  /* the keyed request's fingerprint */
	struct bpg_idemkey ik;        /* the Idempotency-Key (bpg_idemkey), when idem != NULL */
	int takeover;                 /* id and cluster are those of a row a dead worker left */
	int done;                     /* answered by the Idempotency-Key's row */
};

static void
submit_release(struct submit *s)
{
	free(s->stored);
	free(s->summary);
	if (s->idem != NULL)
		bpg_idemkey_release(&s->ik);
	bpg_submit_plan_release(&s->plan);
}

void
bpg_svc_submit_out_init(struct bpg_svc_submit_out *o)
{
	memset(o, 0, sizeof(*o));
	o->batch_id = -1;
	bpg_sub_row_init(&o->row);
}

void
bpg_svc_submit_out_release(struct bpg_svc_submit_out *o)
{
	cJSON_Delete(o->cr);
	free(o->body);
	bpg_sub_row_release(&o->row);
	bpg_svc_submit_out_init(o);
}

/* The pipeline's input for this request (bpg_submit). */
static void
submit_in(const struct bpg_svc *svc, const struct submit *s, struct bpg_submit_in *in)
{
	memset(in, 0, sizeof(*in));
	in->cfg = svc->cfg;
	in->req = s->in->req;
	in->user = svc->user->name;
	in->owner = s->in->owner;
	in->admin = svc->user->admin;
	in->queue_secrets = svc->queue_secrets;
	in->now_s = svc->now_ms() / 1000;
	in->exclude = s->tried;
	in->n_exclude = s->ntried;
	in->zone_counter = *svc->zone_counter;
}

/* Resolves the queue, checks its token and the queue-dependent rules (bpg_submit_queue). */
static enum bpg_err
submit_queue(struct bpg_svc *svc, struct submit *s)
{
	struct bpg_submit_in in;
	char why[WHY];
	enum bpg_err err;

	submit_in(svc, s, &in);
	if ((err = bpg_submit_queue(&in, &s->plan, BPG_WHY(why))) != BPG_OK)
		/* a queue token: 403; the Java gateway said 400 (/skatev2) */
		return bpg_svc_fail(svc, err == BPG_EFORBIDDEN && svc->legacy &&
		    s->plan.qconf != NULL && s->plan.qconf->secure ? BPG_EINVAL : err, "%s", why);
	return BPG_OK;
}

/* Routes (excluding clusters tried), makes the id and builds the CR (bpg_submit_build). */
static enum bpg_err
submit_build(struct bpg_svc *svc, struct submit *s)
{
	struct bpg_submit_in in;
	char why[WHY];
	enum bpg_err err;

	submit_in(svc, s, &in);
	(*svc->zone_counter)++;
	if (!s->takeover)
		s->plan.cluster = NULL;   /* a new pick (failover); a take-over keeps its own */
	if ((err = bpg_submit_build(&in, &s->plan, BPG_WHY(why))) != BPG_OK)
		return bpg_svc_fail(svc, err, "%s", why);
	return BPG_OK;
}

/* A row's strings are char * (a loaded row owns them); a row to insert only points. */
static char *
borrow(const char *s)
{
	union { const char *c; char *p; } u = { s };

	return u.p;
}

void
bpg_svc_submit_row(const struct bpg_submit_req *req, const struct bpg_queue *q,
    struct bpg_sub_row *row)
{
	row->app_name = borrow(req->app_name);
	row->spark_version = borrow(req->spark_version);
	row->max_running_millis = req->max_running_ms > 0 ? req->max_running_ms :
	    q->max_running_millis;
	row->driver_core = req->driver.cores > 0 ? req->driver.cores : 1;
	row->driver_memory_mb = req->driver.memory_mb > 0 ? req->driver.memory_mb : 1024;
	row->number_executor = req->executor.instances >= 0 ? req->executor.instances : 1;
	row->executor_core = req->executor.cores > 0 ? req->executor.cores : 1;
	row->executor_memory_mb = req->executor.memory_mb > 0 ? req->executor.memory_mb : 1024;
}

/* The masked request and its summary, for the row (once: a failover records them again). */
static enum bpg_err
submit_stored(struct bpg_svc *svc, struct submit *s)
{
	cJSON *stored;

	if (s->stored != NULL)
		return BPG_OK;
	if ((stored = bpg_request_to_json(s->in->req)) == NULL)
		return bpg_svc_fail(svc, BPG_ENOMEM, "out of memory");
	bpg_mask_request(stored, &svc->cfg->gateway.mask_patterns);
	s->stored = cJSON_PrintUnformatted(stored);
	s->summary = bpg_appstate_summary_fields(stored);
	cJSON_Delete(stored);
	if (s->stored == NULL || s->summary == NULL)
		return bpg_svc_fail(svc, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

/*
 * Inserts the row, claimed by this worker. BPG_ECONFLICT, with no error set, when a racing
 * request inserted the same Idempotency-Key first.
 */
static enum bpg_err
submit_record(struct bpg_svc *svc, struct submit *s)
{
	struct bpg_sub_row row;
	enum bpg_err err;

	if ((err = submit_stored(svc, s)) != BPG_OK)
		return err;
	bpg_sub_row_init(&row);
	bpg_svc_submit_row(s->in->req, s->plan.qconf, &row);
	row.submission_id = s->plan.id;
	row.cluster_id = borrow(s->plan.cluster->id);
	row.namespace = s->plan.cluster->namespace;
	row.user = borrow(s->in->owner);
	row.original_user = borrow(svc->user->name);
	row.queue = s->plan.queue;
	row.request_body = s->stored;
	row.summary_fields = s->summary;
	row.idempotency_key = borrow(s->idem);
	row.idem_fingerprint = s->idem != NULL ? s->fp : NULL;
	row.claim_owner = borrow(bpg_db_claim(svc->db));
	err = bpg_subdb_insert(svc->db, &row);
	if (err == BPG_ECONFLICT && s->idem != NULL)
		return BPG_ECONFLICT;
	if (err == BPG_EUNAVAIL)
		return bpg_svc_fail(svc, err, DB_DOWN_MSG);
	if (err != BPG_OK)
		return bpg_svc_fail(svc, BPG_EINTERNAL, "cannot record the submission");
	if (s->idem != NULL)
		bpg_idemkey_hold(&s->ik, s->plan.id);   /* the row's insert claimed the key */
	return BPG_OK;
}

/*
 * Records a create the cluster refused for good (a 4xx, or credentials): the row is
 * SUBMISSION_FAILED. A keyed request's answer is kept for its retries when it is a 4xx (the
 * same request would fail the same way); after a 5xx the key is freed, so a retry runs again.
 */
static void
record_refusal(struct bpg_svc *svc, struct submit *s, enum bpg_err err, const char *note)
{
	int status = bpg_err_http_status(err);
	struct bpg_buf b;

	if (s->idem != NULL) {
		bpg_buf_init(&b, 0);
		if (status >= 500 || bpg_json_error_body(svc->livy ? 0 : status, note, &b) != BPG_OK)
			bpg_buf_release(&b);    /* no body: the key is freed */
		if (bpg_idemkey_finish(&s->ik, status, b.data) != BPG_OK)
			bpg_log(BPG_LOG_WARN, "submit", "the refusal's Idempotency-Key was not recorded",
			    "id", s->plan.id, NULL);
		bpg_buf_release(&b);
	}
	if (bpg_subdb_set_created(svc->db, s->plan.id, "SUBMISSION_FAILED", note, -1) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "submit", "the failed create was not recorded", "id", s->plan.id,
		    NULL);
}

/* The create landed: the row says when, the metrics count it. */
static void
record_created(struct bpg_svc *svc, const struct submit *s, const char *created)
{
	long long cts = bpg_appstate_parse_time(created[0] ? created : NULL);

	if (cts < 0)
		cts = svc->now_ms();
	if (bpg_subdb_set_created(svc->db, s->plan.id, NULL, NULL, cts) != BPG_OK)
		bpg_log(BPG_LOG_WARN, "submit", "created, but the row was not updated (the monitor "
		    "will)", "id", s->plan.id, NULL);
	if (svc->count_submission != NULL)
		svc->count_submission((int)(s->plan.cluster - svc->cfg->clusters),
		    (int)(s->plan.qconf - svc->cfg->queues));
}

/* Creates the CR; returns BPG_EUNAVAIL when another cluster is worth a try. */
static enum bpg_err
submit_create(struct bpg_svc *svc, struct submit *s)
{
	char why[WHY], note[WHY + 64], created[64];
	enum bpg_err err;

	err = bpg_k8s_create_app(svc->k8s, s->plan.cluster, s->plan.cr, created, sizeof(created),
	    BPG_WHY(why));
	if (err == BPG_ECONFLICT && s->takeover) {
		/* the name is this submission's own: the worker that died created it after all */
		bpg_log(BPG_LOG_INFO, "submit", "taken-over submission was created already", "id",
		    s->plan.id, NULL);
		created[0] = '\0';
		err = BPG_OK;
	}
	if (err == BPG_OK) {
		record_created(svc, s, created);
		return BPG_OK;
	}
	snprintf(note, sizeof(note), "create failed on cluster %s: %s", s->plan.cluster->id, why);
	bpg_log(BPG_LOG_WARN, "submit", "create failed", "id", s->plan.id, "cluster",
	    s->plan.cluster->id, "error", why, NULL);
	if (err == BPG_EUNAVAIL) {
		/*
		 * The create may have landed before the connection broke, or may still land (a
		 * timeout): take it back now, and mark the row abandoned so that the monitor
		 * deletes the CR if it shows up later.
		 */
		(void)bpg_k8s_delete_app(svc->k8s, s->plan.cluster, s->plan.id, NULL, BPG_WHY(why));
		if (bpg_subdb_abandon(svc->db, s->plan.id, note) != BPG_OK)
			bpg_log(BPG_LOG_WARN, "submit", "the abandoned create was not recorded", "id",
			    s->plan.id, NULL);
	} else {
		record_refusal(svc, s, err, note);
	}
	return bpg_svc_fail(svc, err, "%s", note);
}

/* Computes the fingerprint of a keyed request (bpg_idem_fingerprint). */
static enum bpg_err
submit_fingerprint(struct bpg_svc *svc, struct submit *s)
{
	cJSON *j = bpg_request_to_json(s->in->req);
	enum bpg_err err = j != NULL ? bpg_idem_fingerprint(s->in->route, svc->user->name,
	    s->in->owner, j, s->fp) : BPG_ENOMEM;

	cJSON_Delete(j);
	return err == BPG_OK ? BPG_OK : bpg_svc_fail(svc, err, "cannot fingerprint the request");
}

/* 409: the key's first request is still being processed (id, when known). */
static enum bpg_err
fail_busy(struct bpg_svc *svc, const char *id)
{
	svc->e.retry_after = svc->e.err == BPG_OK ? 1 : svc->e.retry_after;
	if (id == NULL)
		return bpg_svc_fail(svc, BPG_ECONFLICT, BUSY_MSG ": retry later with the same key");
	return bpg_svc_fail(svc, BPG_ECONFLICT, BUSY_MSG " (submission %s): retry later with the "
	    "same key", id);
}

/* The key's row is this submission's: created (its id), or replayed as first answered. */
static enum bpg_err
answer_known(struct submit *s, int created)
{
	struct bpg_svc_submit_out *o = s->out;

	if (created) {
		o->outcome = BPG_SVC_CREATED;
		o->replayed = 1;
		snprintf(o->id, sizeof(o->id), "%s", s->ik.row.id);
		return BPG_OK;
	}
	o->outcome = BPG_SVC_REPLAY;
	o->status = (int)s->ik.row.status;
	o->body = s->ik.row.response;
	s->ik.row.response = NULL;
	return BPG_OK;
}

/* The take-over of the row a dead worker left: its id and cluster. */
static enum bpg_err
take_row(struct bpg_svc *svc, struct submit *s)
{
	const struct bpg_idemdb_row *row = &s->ik.row;

	s->plan.cluster = bpg_config_cluster(svc->cfg, row->cluster_id ? row->cluster_id : "");
	if (s->plan.cluster == NULL) {
		s->done = 1;
		return bpg_svc_fail(svc, BPG_EUNAVAIL, "submission %s was for cluster %s, which is no "
		    "longer configured", row->id, row->cluster_id ? row->cluster_id : "?");
	}
	snprintf(s->plan.id, sizeof(s->plan.id), "%s", row->id);
	s->takeover = 1;
	return BPG_OK;
}

/*
 * A keyed request: looks its key up (bpg_idemkey_begin) and acts on the decision. s->done
 * when the request is answered (a replay, created, 409, 422, or an error); else it goes on as
 * a new submission, or, with s->takeover set, as the take-over of the row a dead worker left.
 */
static enum bpg_err
idem_begin(struct bpg_svc *svc, struct submit *s)
{
	enum bpg_idemkey_decision d;

	s->done = 1;
	if (bpg_idemkey_begin(&s->ik, svc->now_ms(), &d) != BPG_OK)
		return bpg_svc_fail(svc, BPG_EUNAVAIL, DB_DOWN_MSG);
	switch (d) {
	case BPG_IDEMKEY_RUN:
		s->done = 0;
		return BPG_OK;
	case BPG_IDEMKEY_MISMATCH:
		return bpg_svc_fail(svc, BPG_EMISMATCH, "Idempotency-Key was already used for a "
		    "different request (submission %s): nothing was submitted; use a new key for a "
		    "new request", s->ik.row.id);
	case BPG_IDEMKEY_REPLAY:
		return answer_known(s, 0);
	case BPG_IDEMKEY_CREATED:
		return answer_known(s, 1);
	case BPG_IDEMKEY_BUSY:
		return fail_busy(svc, s->ik.row.id);
	case BPG_IDEMKEY_TAKE_OVER:
		s->done = 0;
		return take_row(svc, s);
	case BPG_IDEMKEY_VERIFY:
		break;   /* the fingerprint is set before begin: not reached */
	}
	return bpg_svc_fail(svc, BPG_EINTERNAL, "unknown Idempotency-Key decision");
}

/* Sets the key of a keyed request up (its fingerprint computed) and begins it. */
static enum bpg_err
idem_start(struct bpg_svc *svc, struct submit *s)
{
	const struct bpg_idemdb_key who = { svc->user->name, s->idem, s->in->route, NULL, NULL };
	enum bpg_err err;

	bpg_idemkey_init(&s->ik, &bpg_idemdb_submissions, svc->db, &who, bpg_db_claim(svc->db),
	    svc->cfg->gateway.idempotency_ttl_s * 1000LL);
	if ((err = submit_fingerprint(svc, s)) != BPG_OK)
		return err;
	bpg_idemkey_set_fp(&s->ik, s->fp);
	return idem_begin(svc, s);
}

/*
 * Takes the row a dead worker left over, just before creating its SparkApplication; a
 * racing retry that won it first gets 409 (it will create it).
 */
static enum bpg_err
submit_take_over(struct bpg_svc *svc, struct submit *s)
{
	enum bpg_err err = bpg_idemkey_take_over(&s->ik);

	if (err == BPG_ECONFLICT)
		return fail_busy(svc, s->plan.id);
	if (err != BPG_OK)
		return bpg_svc_fail(svc, BPG_EUNAVAIL, DB_DOWN_MSG);
	bpg_log(BPG_LOG_INFO, "submit", "taking over a submission whose worker died", "id",
	    s->plan.id, NULL);
	return BPG_OK;
}

/*
 * The row of this submission: recorded anew, or taken over. A racing request with the same
 * key that inserted first is acted on (its row looked up, once): s->done when that answered;
 * else BPG_ECONFLICT with no error set: build again (as the row a dead worker left, or anew).
 */
static enum bpg_err
submit_row(struct bpg_svc *svc, struct submit *s, int *raced)
{
	enum bpg_err err;

	if (s->takeover)
		return submit_take_over(svc, s);
	if ((err = submit_record(svc, s)) != BPG_ECONFLICT)
		return err;
	if ((*raced)++)
		return fail_busy(svc, NULL);
	if ((err = idem_begin(svc, s)) != BPG_OK || s->done)
		return err;
	return BPG_ECONFLICT;
}

/* The Livy batch of a created submission: its id and its row as stored. */
static enum bpg_err
submit_batch(struct bpg_svc *svc, struct bpg_svc_submit_out *o)
{
	if (bpg_subdb_livy_id(svc->db, o->id, &o->batch_id) != BPG_OK ||
	    bpg_subdb_get(svc->db, o->id, 0, &o->row) != BPG_OK)
		/* created, but its batch id is unknown: the client can only find it by listing */
		return bpg_svc_fail(svc, BPG_EUNAVAIL, "submission %s was created, but the database "
		    "failed before its batch id was recorded: retry with the same Idempotency-Key",
		    o->id);
	return BPG_OK;
}

/* A failover's end: with nowhere else to go, the first cluster's failure is the answer. */
static enum bpg_err
first_failure(struct bpg_svc *svc, const struct bpg_svc_err *first)
{
	svc->e = *first;
	return first->err;
}

/* Builds, records and creates, failing over once to another eligible cluster. */
static enum bpg_err
submit_place(struct bpg_svc *svc, struct submit *s)
{
	struct bpg_svc_err first;
	enum bpg_err err;
	int raced = 0;

	for (;;) {
		if ((err = submit_build(svc, s)) != BPG_OK)
			return s->ntried > 0 ? first_failure(svc, &first) : err;
		if (s->in->dry_run) {
			bpg_mask_app(s->plan.cr, &svc->cfg->gateway.mask_patterns);
			s->out->outcome = BPG_SVC_DRY_RUN;
			s->out->cr = s->plan.cr;
			s->plan.cr = NULL;
			return BPG_OK;
		}
		err = submit_row(svc, s, &raced);
		if (err == BPG_ECONFLICT && svc->e.err == BPG_OK)
			continue;
		if (err != BPG_OK || s->done)
			return err;
		err = submit_create(svc, s);
		if (err != BPG_EUNAVAIL || s->ntried >= 1 || s->in->req->cluster_id != NULL)
			break;
		/* fail over once to another eligible cluster, under a new id */
		s->tried[s->ntried++] = s->plan.cluster->id;
		s->takeover = 0;
		first = svc->e;
		bpg_svc_clear(svc);
	}
	if (err == BPG_OK) {
		s->out->outcome = BPG_SVC_CREATED;
		snprintf(s->out->id, sizeof(s->out->id), "%s", s->plan.id);
	}
	return err;
}

/*
 * The submit, for POST /spark (any allowed user) and the Livy batch API.
 * Idempotency-Key (bpg_idem.h): a retry with the same request gets the first answer (the
 * same id once the SparkApplication exists, or the stored 4xx), replayed; the same key with
 * another request is 422; while the first request is still being processed, 409 with
 * Retry-After; when the worker that handled it died before creating the SparkApplication,
 * the retry takes the row over and creates it (same id, same cluster). After a 5xx the key
 * is free: a retry runs the request again. A dry run creates nothing (and keys nothing).
 * Created only once the SparkApplication exists. 400 invalid (field and rule named), 403
 * privileges or queue token, 409, 422, 502 cluster credentials, 503 database or every
 * eligible cluster down.
 * Order: resolve the queue, route, insert the row (claimed by this worker), create the CR,
 * update the row. A create that fails with a connection error, timeout or 5xx is retried
 * once on another eligible cluster under a new id; the first row is marked
 * SUBMISSION_FAILED with the reason and abandoned (the monitor deletes the CR should it land
 * late). With no other cluster, the answer is the first cluster's error. With the database
 * down nothing is created anywhere. A row whose worker died is taken over by a retry, or
 * failed by the monitor (bpg_subdb_fail_orphan).
 */
enum bpg_err
bpg_svc_submit(struct bpg_svc *svc, const struct bpg_svc_submit_in *in,
    struct bpg_svc_submit_out *out)
{
	struct submit s;
	enum bpg_err err;

	memset(&s, 0, sizeof(s));
	bpg_submit_plan_init(&s.plan);
	bpg_svc_submit_out_init(out);
	s.in = in;
	s.out = out;
	s.idem = in->dry_run ? NULL : in->idem;   /* a dry run: there is nothing to replay */
	if (s.idem != NULL && (err = idem_start(svc, &s)) != BPG_OK)
		goto out;
	/* not answered by the key's row: run it (anew, or as the take-over) */
	if (!s.done && ((err = submit_queue(svc, &s)) != BPG_OK ||
	    (err = submit_place(svc, &s)) != BPG_OK))
		goto out;
	if (in->batch && out->outcome == BPG_SVC_CREATED)
		err = submit_batch(svc, out);
out:
	submit_release(&s);
	bpg_request_free(in->req);
	return err;
}
