/* bpg_shm: a file mapped shared by every worker, with a versioned header. */
#ifndef BPG_SHM_H
#define BPG_SHM_H

#include <stddef.h>
#include <stdint.h>
#include "bpg_err.h"

/* Every shared layout starts with this header. */
struct bpg_shm_header {
	uint64_t magic;
	uint64_t version;
	uint64_t size;
};

/*
 * Maps size bytes of the file at path (created 0600) shared between processes. Under an
 * exclusive flock, a file whose header does not say magic, version and size (a new file,
 * or one of another layout) is zeroed, handed to init(p, arg) (init may be NULL) and
 * stamped; so the first process lays it out and the others find it ready. path NULL: an anonymous mapping,
 * shared only with children forked afterwards. BPG_EIO (logged) when it cannot be mapped.
 * Unmap with bpg_shm_unmap().
 */
enum bpg_err bpg_shm_map(const char *path, size_t size, uint64_t magic, uint64_t version,
    void (*init)(void *p, void *arg), void *arg, void **out);
void bpg_shm_unmap(void *p, size_t size);

#endif
