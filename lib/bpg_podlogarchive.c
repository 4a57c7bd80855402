/* bpg_podlogarchive: copies ended apps' pod logs to S3 and indexes them (what the monitor runs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cJSON.h>
#include "bpg_appstate.h"
#include "bpg_log.h"
#include "bpg_podlogarchive.h"
#include "bpg_podlogdb.h"
#include "bpg_s3up.h"
#include "bpg_time.h"

#define WHY        512
#define BATCH_MAX  256

enum bpg_err
bpg_podlogarchive_key(const char *prefix, long long ms, const char *sub_id,
    const char *container_id, struct bpg_buf *out)
{
	time_t t = ms >= 0 ? (time_t)(ms / 1000) : (time_t)(bpg_time_now_ms() / 1000);
	struct tm tm;
	char day[16];

	if (gmtime_r(&t, &tm) == NULL || strftime(day, sizeof(day), "%Y/%m/%d", &tm) == 0)
		return BPG_EINTERNAL;
	return bpg_buf_printf(out, "%s%s%s/%s/%s.log", prefix ? prefix : "",
	    prefix && *prefix ? "/" : "", day, sub_id, container_id);
}

/* One archiving job: where the bytes go and what went wrong. */
struct job {
	const struct bpg_config *cfg;
	struct bpg_db *db;
	struct bpg_k8s *k8s;
	struct bpg_s3 *s3;
	const struct bpg_podlogdb_todo *t;
	const struct bpg_cluster *cluster;
	struct bpg_podlogarchive_stats *st;
	struct bpg_s3up *w;
	enum bpg_err werr;
	char why[WHY];
};

static int
job_sink(void *arg, const char *data, size_t len)
{
	struct job *j = arg;

	j->werr = bpg_s3up_write(j->w, data, len, j->why, sizeof(j->why));
	return j->werr != BPG_OK;
}

/* Streams one pod's log into S3 and indexes it. BPG_ENOTFOUND when the pod is gone. */
static enum bpg_err
archive_pod(struct job *j, const char *pod_name, const char *container_id, int executor)
{
	const char *bucket = j->cfg->s3.log_bucket ? j->cfg->s3.log_bucket : j->cfg->s3.bucket;
	struct bpg_k8s_log_opts opts = { NULL, 0, 0, 0, 0 };
	struct bpg_buf key;
	cJSON *pod = NULL;
	unsigned long long size = 0;
	enum bpg_err err;

	bpg_buf_init(&key, BPG_S3_KEY_MAX + 1);
	j->w = NULL;
	j->werr = BPG_OK;
	if ((err = bpg_k8s_get_pod(j->k8s, j->cluster, pod_name, &pod, j->why,
	    sizeof(j->why))) != BPG_OK)
		goto out;
	if ((err = bpg_podlogarchive_key(j->cfg->s3.log_prefix, j->t->finished_ms, j->t->id,
	    container_id, &key)) != BPG_OK ||
	    (err = bpg_s3up_new(j->s3, NULL, bucket, key.data, (size_t)j->cfg->s3.part_size_mb << 20,
	    &j->w)) != BPG_OK)
		goto out;
	opts.container = bpg_appstate_log_container(pod, executor);
	opts.max_ms = j->cfg->gateway.log_stream_max_ms;
	err = bpg_k8s_stream_log(j->k8s, j->cluster, pod_name, &opts, job_sink, j, j->why,
	    sizeof(j->why));
	if (err == BPG_EIO && j->werr != BPG_OK)
		err = j->werr;   /* S3 failed; why says how */
	if (err == BPG_OK)
		err = bpg_s3up_close(j->w, &size, j->why, sizeof(j->why));
	if (err == BPG_OK && (err = bpg_podlogdb_add(j->db, key.data, container_id, j->t->finished_ms,
	    BPG_PODLOG_FORMAT_RAW, (long long)size)) != BPG_OK)
		snprintf(j->why, sizeof(j->why), "database: logindex not written");
	if (err == BPG_OK) {
		j->st->objects++;
		j->st->bytes += size;
	}
out:
	bpg_s3up_free(j->w);   /* aborts what did not complete */
	j->w = NULL;
	cJSON_Delete(pod);
	bpg_buf_release(&key);
	return err;
}

/* The executors' pods of status.executorState, each "<...>-exec-N". */
static enum bpg_err
archive_executors(struct job *j, const cJSON *status)
{
	const cJSON *e;
	char cid[320];

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(status, "executorState")) {
		const char *n = e->string ? strstr(e->string, "-exec-") : NULL;
		enum bpg_err err;
		if (n == NULL || strspn(n + 6, "0123456789") != strlen(n + 6) || n[6] == '\0')
			continue;
		snprintf(cid, sizeof(cid), "%s%s", j->t->id, n);
		err = archive_pod(j, e->string, cid, 1);
		if (err != BPG_OK && err != BPG_ENOTFOUND)
			return err;   /* a pod gone is a log lost, not a reason to try again */
	}
	return BPG_OK;
}

/* Archives one submission's logs; why says what failed. */
static enum bpg_err
archive_one(struct job *j)
{
	cJSON *cr = NULL;
	const cJSON *status, *pn;
	char cid[320];
	enum bpg_err err;

	if ((j->cluster = bpg_config_cluster(j->cfg, j->t->cluster_id)) == NULL) {
		snprintf(j->why, sizeof(j->why), "cluster %s is not configured", j->t->cluster_id);
		return BPG_ENOTFOUND;
	}
	if ((err = bpg_k8s_get_app(j->k8s, j->cluster, j->t->id, &cr, j->why,
	    sizeof(j->why))) != BPG_OK)
		return err;
	status = cJSON_GetObjectItemCaseSensitive(cr, "status");
	pn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(status,
	    "driverInfo"), "podName");
	if (!cJSON_IsString(pn)) {
		snprintf(j->why, sizeof(j->why), "no driver pod recorded");
		err = BPG_ENOTFOUND;
		goto out;
	}
	snprintf(cid, sizeof(cid), "%s-driver", j->t->id);
	if ((err = archive_pod(j, pn->valuestring, cid, 0)) == BPG_OK &&
	    j->cfg->s3.archive_executor_logs)
		err = archive_executors(j, status);
out:
	cJSON_Delete(cr);
	return err;
}

enum bpg_err
bpg_podlogarchive_run(const struct bpg_config *cfg, struct bpg_db *db, struct bpg_k8s *k8s,
    struct bpg_s3 *s3, size_t max, struct bpg_podlogarchive_stats *st, struct bpg_buf *errs)
{
	struct bpg_podlogdb_todo *todo;
	size_t n = 0;
	enum bpg_err err;

	if (max > BATCH_MAX)
		max = BATCH_MAX;
	if ((todo = calloc(max ? max : 1, sizeof(*todo))) == NULL)
		return BPG_ENOMEM;
	err = bpg_podlogdb_todo(db, BPG_PODLOGARCHIVE_ATTEMPTS, BPG_PODLOGARCHIVE_MAX_AGE_S, todo, max, &n);
	for (size_t i = 0; i < n && err == BPG_OK; i++) {
		struct job j = { cfg, db, k8s, s3, &todo[i], NULL, st, NULL, BPG_OK, "" };
		enum bpg_err aerr = archive_one(&j);
		enum bpg_podlogdb_outcome o = aerr == BPG_OK ? BPG_PODLOGDB_DONE :
		    aerr == BPG_ENOTFOUND ? BPG_PODLOGDB_GIVE_UP : BPG_PODLOGDB_RETRY;
		if (o == BPG_PODLOGDB_DONE) {
			st->apps++;
		} else if (o == BPG_PODLOGDB_GIVE_UP) {
			st->gone++;
			bpg_log(BPG_LOG_DEBUG, "archive", "no logs left to archive", "id", todo[i].id,
			    "why", j.why, NULL);
		} else {
			st->failed++;
			(void)bpg_buf_printf(errs, "%slogs of %s not archived: %s", errs->len ? "; " : "",
			    todo[i].id, j.why);
			bpg_log(BPG_LOG_WARN, "archive", "logs not archived", "id", todo[i].id, "error",
			    j.why, NULL);
		}
		err = bpg_podlogdb_archived(db, todo[i].id, o, BPG_PODLOGARCHIVE_ATTEMPTS);
	}
	free(todo);
	return err;
}
