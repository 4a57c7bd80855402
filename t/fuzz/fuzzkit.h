/* fuzzkit: what the libFuzzer targets share (linked into every build/fuzz/fuzz_* target). */
#ifndef BPG_FUZZKIT_H
#define BPG_FUZZKIT_H

#include "bpg_config.h"

/*
 * The configuration a target runs with: $BPG_FUZZ_CONFIG, else t/fixtures/crd/crd.ini (run
 * from the project root). When it does not load, prints the errors naming the target and
 * exits 1: a fuzz run without its configuration would test nothing. Never freed.
 */
struct bpg_config *fuzz_config_load(const char *target);

#endif
