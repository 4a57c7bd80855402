/* bpg_depcall: a finished call to a dependency, told to the process's listener. */
#include <stddef.h>

#include "bpg_depcall.h"
#include "bpg_time.h"

static bpg_depcall_listener listener;

void
bpg_depcall_listen(bpg_depcall_listener f)
{
	listener = f;
}

void
bpg_depcall_done(enum bpg_dep dep, int slot, int ok, long long t0_us)
{
	if (listener != NULL)
		listener(dep, slot, ok, bpg_time_mono_us() - t0_us);
}
