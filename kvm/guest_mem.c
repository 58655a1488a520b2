// SPDX-License-Identifier: MIT
#include "kvm/guest_mem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

int guest_mem_add_region(struct guest_mem *m, uint64_t gpa, uint64_t size,
			 void *host)
{
	unsigned int i;

	if (m->nr_regions >= GUEST_MEM_MAX_REGIONS || size == 0 ||
	    gpa + size < gpa)
		return -1;
	for (i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -1;
	}
	m->regions[m->nr_regions++] = (struct guest_mem_region){
		.gpa = gpa,
		.size = size,
		.host = host,
	};
	return 0;
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	if (gpa + len < gpa)
		return NULL;
	for (i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

bool guest_mem_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(m, gpa, len) != NULL;
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst,
		   size_t len)
{
	const void *p = guest_mem_ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src,
		    size_t len)
{
	void *p = guest_mem_ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}

int guest_mem_fill(const struct guest_mem *m, uint64_t gpa, uint8_t byte,
		   size_t len)
{
	void *p = guest_mem_ptr(m, gpa, len);

	if (!p)
		return -1;
	memset(p, byte, len);
	return 0;
}

#define HUGE_FRAME ((uintptr_t)2 << 20)

static void advise_huge(uint8_t *p, size_t len)
{
	uintptr_t start = ((uintptr_t)p + HUGE_FRAME - 1) & ~(HUGE_FRAME - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(HUGE_FRAME - 1);

	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

void guest_mem_prefer_huge(const struct guest_mem *m, uint64_t gpa,
			   uint64_t len)
{
	uint8_t *p =
	    len <= SIZE_MAX ? guest_mem_ptr(m, gpa, (size_t)len) : NULL;

	if (p)
		advise_huge(p, (size_t)len);
}

/*
 * Fresh guest RAM faults in a page at a time as pread fills it (a trap, an
 * allocation and zeroing per 4 KiB: most of loading a kernel). One madvise
 * allocates the whole pages of the range in a batch instead; where the
 * kernel lacks it, pread faults them as before. The range is written in
 * full, so its whole 2 MiB frames are asked for as huge pages first: no
 * memory it would not use, and 4x less CPU to load a kernel here.
 */
static void populate_pages(uint8_t *p, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start =
	    ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~((uintptr_t)page - 1);

	if (page <= 0 || end <= start)
		return;
	advise_huge(p, len);
	(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

int guest_mem_pread(const struct guest_mem *m, uint64_t gpa, int fd,
		    uint64_t off, size_t len)
{
	uint8_t *p = guest_mem_ptr(m, gpa, len);
	size_t done = 0;

	if (!p) {
		errno = EFAULT;
		return -1;
	}
	populate_pages(p, len);
	while (done < len) {
		ssize_t n =
		    pread(fd, p + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int guest_mem_map_file(const struct guest_mem *m, uint64_t gpa, int fd,
		       uint64_t off, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uint8_t *p = guest_mem_ptr(m, gpa, len);
	size_t head, body, tail;
	struct stat st;

	/* A mapped page past the file's end would be a SIGBUS trap. */
	if (!p || page == 0 || ((uintptr_t)p - off) % page != 0 ||
	    fstat(fd, &st) < 0 || (uint64_t)st.st_size < off ||
	    (uint64_t)st.st_size - off < len)
		return guest_mem_pread(m, gpa, fd, off, len);
	head = (size_t)((page - (uintptr_t)p % page) % page);
	if (head >= len)
		return guest_mem_pread(m, gpa, fd, off, len);
	body = (len - head) & ~(page - 1);
	tail = len - head - body;
	if (body == 0 || mmap(p + head, body, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_FIXED, fd,
			      (off_t)(off + head)) == MAP_FAILED)
		return guest_mem_pread(m, gpa, fd, off, len);
	if ((head && guest_mem_pread(m, gpa, fd, off, head) < 0) ||
	    (tail && guest_mem_pread(m, gpa + head + body, fd,
				     off + head + body, tail) < 0)) {
		int saved = errno;

		/* Guest RAM again, as guest_ram_create made it. */
		mmap(p + head, body, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		     -1, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int guest_mem_privatize(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t start = gpa & ~(page - 1), end;
	uint8_t *p, *copy;
	size_t n;

	if (len == 0)
		return 0;
	if (gpa + len < gpa || gpa + len > UINT64_MAX - page) {
		errno = EFAULT;
		return -1;
	}
	end = (gpa + len + page - 1) & ~(page - 1);
	n = (size_t)(end - start);
	p = guest_mem_ptr(m, start, n);
	/* Regions start page-aligned in host and guest: so does p. */
	if (!p || (uintptr_t)p % page != 0) {
		errno = EFAULT;
		return -1;
	}
	copy = mmap(NULL, n, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (copy == MAP_FAILED)
		return -1;
	memcpy(copy, p, n);
	/* Replaces the old mapping in one step: never a hole in guest RAM. */
	if (mremap(copy, n, n, MREMAP_MAYMOVE | MREMAP_FIXED, p) != p) {
		int saved = errno;

		munmap(copy, n);
		errno = saved;
		return -1;
	}
	return 0;
}

uint64_t guest_mem_total(const struct guest_mem *m)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < m->nr_regions; i++)
		total += m->regions[i].size;
	return total;
}
