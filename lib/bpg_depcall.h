/*
 * bpg_depcall: a finished call to a dependency (Kubernetes, MariaDB, S3), told to whoever
 * listens. The clients report here; the program decides who listens (bpg_metrics_attach sets
 * the metrics as the listener), so the clients need not know the metrics above them.
 */
#ifndef BPG_DEPCALL_H
#define BPG_DEPCALL_H

enum bpg_dep {
	BPG_DEP_K8S = 0,   /* slot: the cluster's index */
	BPG_DEP_DB,        /* slot 0 */
	BPG_DEP_S3,        /* slot 0 */
	BPG_DEP_COUNT
};

/* Told of one call: dep, slot, ok (0: failed), its duration in microseconds. */
typedef void (*bpg_depcall_listener)(enum bpg_dep dep, int slot, int ok, long long usec);

/* Sets the process's listener (NULL: nobody, the default). */
void bpg_depcall_listen(bpg_depcall_listener f);

/* Tells the listener of a call to dep on slot that began at bpg_time_mono_us() == t0_us. */
void bpg_depcall_done(enum bpg_dep dep, int slot, int ok, long long t0_us);

#endif
