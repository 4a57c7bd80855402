/*
 * fuzz_setup.h: what the libFuzzer targets that need a configuration share. Included by one
 * target each (static functions): the config from $BPG_FUZZ_CONFIG, else
 * t/fixtures/crd/crd.ini (make fuzz runs from the project root).
 */
#ifndef FUZZ_SETUP_H
#define FUZZ_SETUP_H

#include <stdio.h>
#include <stdlib.h>
#include "bpg_config.h"

#define FUZZ_DEFAULT_CONFIG "t/fixtures/crd/crd.ini"

/* Loads the configuration into *cfg; exits naming the target (who) when it cannot. */
static void
fuzz_load_config(const char *who, struct bpg_config **cfg)
{
	const char *path = getenv("BPG_FUZZ_CONFIG");
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	if (bpg_config_load(path ? path : FUZZ_DEFAULT_CONFIG, cfg, &errors) != BPG_OK) {
		fprintf(stderr, "%s: %s(run from the project root or set BPG_FUZZ_CONFIG)\n", who,
		    errors.data ? errors.data : "");
		exit(1);
	}
	bpg_buf_release(&errors);
}

#endif
