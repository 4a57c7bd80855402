/* bpg_mask: secrets masked in everything the gateway returns, stores or logs. */
#ifndef BPG_MASK_H
#define BPG_MASK_H

#include <cJSON.h>
#include "bpg_config.h"

#define BPG_MASK "***"

/*
 * True when a Spark conf key holds a secret: it contains a pattern (case-insensitive); a
 * pattern with '*' is a glob found anywhere in the key, '*' any run of characters.
 */
int bpg_mask_key_is_secret(const char *key, const struct bpg_strlist *patterns);

/*
 * Masks a SparkApplication in place: spec.sparkConf values of secret keys, and every
 * env[].value of spec.driver and spec.executor (valueFrom references are kept).
 */
void bpg_mask_app(cJSON *app, const struct bpg_strlist *patterns);

/* Masks a submit request in place: sparkConf, driver/executor env values, queueToken. */
void bpg_mask_request(cJSON *req, const struct bpg_strlist *patterns);

#endif
