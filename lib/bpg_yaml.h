/* bpg_yaml: writes a cJSON tree as block-style YAML (for /describe); no parsing. */
#ifndef BPG_YAML_H
#define BPG_YAML_H

#include <cJSON.h>
#include "bpg_buf.h"
#include "bpg_err.h"

/*
 * Appends j as YAML: block mappings and sequences indented by two spaces, no "---" marker,
 * strings quoted (JSON-style, which YAML reads the same) only when a plain scalar would be
 * read differently. Ends with a newline.
 */
enum bpg_err bpg_yaml_emit(const cJSON *j, struct bpg_buf *out);

#endif
