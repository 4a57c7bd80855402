/* bpg_podlogarchive: copies ended apps' pod logs to S3 and indexes them (what the monitor runs). */
#ifndef BPG_PODLOGARCHIVE_H
#define BPG_PODLOGARCHIVE_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_k8s.h"
#include "bpg_s3.h"

#define BPG_PODLOGARCHIVE_ATTEMPTS 5             /* tries per submission */
#define BPG_PODLOGARCHIVE_MAX_AGE_S (7 * 86400)  /* older ended apps are left alone */

struct bpg_podlogarchive_stats {
	long long apps;             /* submissions archived */
	long long failed;           /* submissions whose attempt failed (tried again later) */
	long long gone;             /* submissions whose CR or driver pod was gone already */
	long long objects;          /* containers' logs written */
	unsigned long long bytes;
};

/*
 * The key of a container's archived log:
 * "<prefix>/<yyyy>/<mm>/<dd>/<submission id>/<container id>.log", the date (UTC) when the
 * app ended (ms; now when < 0). The same app always gets the same key, so an archive cut
 * off and done again overwrites rather than duplicates.
 */
enum bpg_err bpg_podlogarchive_key(const char *prefix, long long ms, const char *sub_id,
    const char *container_id, struct bpg_buf *out);

/*
 * Archives the logs of up to max ended submissions not archived yet (see bpg_podlogdb_todo):
 * for each, the driver pod's log (and the executors' with [s3] archive_executor_logs)
 * streamed into s3://<log_bucket>/<key> and indexed in logindex as 'raw'; then the row is
 * marked. A failure counts an attempt and is appended to errs ("; "-separated); a CR or
 * driver pod already gone ends the tries quietly (there is nothing left to copy). Returns
 * BPG_OK unless the database failed.
 */
enum bpg_err bpg_podlogarchive_run(const struct bpg_config *cfg, struct bpg_db *db,
    struct bpg_k8s *k8s, struct bpg_s3 *s3, size_t max, struct bpg_podlogarchive_stats *st,
    struct bpg_buf *errs);

#endif
