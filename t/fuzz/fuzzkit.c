/* fuzzkit: the libFuzzer targets' shared set-up (fuzzkit.h). */
#include <stdio.h>
#include <stdlib.h>
#include "fuzzkit.h"
#include "bpg_buf.h"

#define FUZZ_DEFAULT_CONFIG "t/fixtures/crd/crd.ini"

struct bpg_config *
fuzz_config_load(const char *target)
{
	const char *path = getenv("BPG_FUZZ_CONFIG");
	struct bpg_config *cfg = NULL;
	struct bpg_buf errors;

	bpg_buf_init(&errors, 0);
	if (bpg_config_load(path ? path : FUZZ_DEFAULT_CONFIG, &cfg, &errors) != BPG_OK) {
		fprintf(stderr, "%s: %s(run from the project root or set BPG_FUZZ_CONFIG)\n", target,
		    errors.data ? errors.data : "");
		exit(1);
	}
	bpg_buf_release(&errors);
	return cfg;
}
