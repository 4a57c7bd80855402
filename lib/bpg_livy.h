/* bpg_livy: Apache Livy's batch API (0.8) mapped onto submissions. Pure: no I/O. */
#ifndef BPG_LIVY_H
#define BPG_LIVY_H

#include <stddef.h>
#include <cJSON.h>
#include "bpg_err.h"

#define BPG_LIVY_CSRF_MSG "Missing Required Header for CSRF protection."

/*
 * Turns a Livy CreateBatchRequest (file, className, args, jars, pyFiles, files, archives,
 * driverMemory, driverCores, executorMemory, executorCores, numExecutors, name, queue, conf,
 * proxyUser) into the SubmitApplicationRequest JSON it means (*req_out, cJSON_Delete), with
 * spark_version as its sparkVersion unless conf has spark.bpg.sparkVersion. *proxy_user_out
 * points into body (NULL when absent). BPG_EINVAL with why, as Livy words it, for what Livy
 * refuses: not an object, an unknown field, a wrong type, no file.
 */
enum bpg_err bpg_livy_request(const cJSON *body, const char *spark_version, cJSON **req_out,
    const char **proxy_user_out, struct bpg_why *why);

/*
 * Renames, in the error message in why (NUL-terminated, why->size bytes), every request field path
 * the pipeline named (mainApplicationFile, executor.instances, sparkConf.k, deps.jars[0], ...)
 * to the Livy field it came from (file, numExecutors, conf.k, jars[0], ...), so a Livy client
 * reads the names it sent. A path counts where it starts a word and ends at ':', '.', '[', ' '
 * or the end; a message that would no longer fit is left as it is.
 */
void bpg_livy_name_fields(struct bpg_why *why);

/*
 * The Livy state of a submission: status is the stored operator state (NULL before the
 * operator wrote one), final says it is final (bpg's definition), killed that it was deleted.
 * not_started, starting, running, success, dead, killed (the table in README.md).
 */
const char *bpg_livy_state(const char *status, int final, int killed);

/*
 * Parses a Livy paging parameter (from, size): a decimal number 0 to max; NULL keeps *out.
 * BPG_EINVAL otherwise.
 */
enum bpg_err bpg_livy_int_param(const char *s, long long max, long long *out);

#endif
