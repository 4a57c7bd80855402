/* bpg_shm: a file mapped shared by every worker, with a versioned header. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bpg_log.h"
#include "bpg_shm.h"

/* Lays out p when its header is not the expected one. */
static void
stamp(void *p, size_t size, uint64_t magic, uint64_t version,
    void (*init)(void *p, void *arg), void *arg)
{
	struct bpg_shm_header *h = p;

	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == magic && h->version == version &&
	    h->size == size)
		return;
	memset(p, 0, size);
	if (init != NULL)
		init(p, arg);
	h->version = version;
	h->size = size;
	__atomic_store_n(&h->magic, magic, __ATOMIC_RELEASE);
}

enum bpg_err
bpg_shm_map(const char *path, size_t size, uint64_t magic, uint64_t version,
    void (*init)(void *p, void *arg), void *arg, void **out)
{
	struct stat st;
	void *p = MAP_FAILED;
	int fd = -1;

	if (path == NULL) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			goto fail;
		stamp(p, size, magic, version, init, arg);
		*out = p;
		return BPG_OK;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0)
		goto fail;
	if ((size_t)st.st_size != size && ftruncate(fd, (off_t)size) != 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	stamp(p, size, magic, version, init, arg);
	(void)flock(fd, LOCK_UN);
	close(fd);
	*out = p;
	return BPG_OK;
fail:
	bpg_log(BPG_LOG_ERROR, "shm", "cannot map the shared file", "path",
	    path ? path : "(anonymous)", "error", strerror(errno), NULL);
	if (fd >= 0)
		close(fd);
	return BPG_EIO;
}

void
bpg_shm_unmap(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}
