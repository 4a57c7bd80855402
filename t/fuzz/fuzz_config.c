/* libFuzzer: arbitrary bytes as a bpg.ini (and as a Spark conf file) through the loaders. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "bpg_config.h"
#include "bpg_sparkconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/bpg-fuzz-ini-XXXXXX";
	struct bpg_config *cfg = NULL;
	struct bpg_sparkconf sc;
	struct bpg_buf errors;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	bpg_buf_init(&errors, 0);
	if (bpg_config_load(path, &cfg, &errors) == BPG_OK) {
		struct bpg_buf dump;
		bpg_buf_init(&dump, 0);
		(void)bpg_config_dump(cfg, &dump);
		bpg_buf_release(&dump);
		bpg_config_free(cfg);
	}
	bpg_buf_reset(&errors);
	if (bpg_sparkconf_parse("fuzz", (const char *)data, size, &sc, &errors) == BPG_OK)
		bpg_sparkconf_release(&sc);
	bpg_buf_release(&errors);
	unlink(path);
	return 0;
}
