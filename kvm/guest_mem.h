/* SPDX-License-Identifier: MIT */
#ifndef VIREO_KVM_GUEST_MEM_H
#define VIREO_KVM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The one gate to guest-physical memory. Every access by a loader or a
 * device goes through these bounds-checked helpers; nothing else turns a
 * guest-physical address into a host pointer. The structure is plain data
 * (no ioctls), so unit tests build a fake guest memory from a malloc'd
 * buffer.
 */

#define GUEST_MEM_MAX_REGIONS 4

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nr_regions;
};

/* Regions must not overlap; returns -1 when full or overlapping. */
int guest_mem_add_region(struct guest_mem *m, uint64_t gpa, uint64_t size,
			 void *host);

/*
 * Host pointer for [gpa, gpa + len) when the whole range lies inside one
 * region, else NULL. len == 0 is valid when gpa is inside (or at the end
 * of) a region. Overflow of gpa + len is rejected.
 */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

bool guest_mem_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* 0 on success, -1 when any byte of the range is outside guest RAM. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *dst,
		   size_t len);
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *src,
		    size_t len);
int guest_mem_fill(const struct guest_mem *m, uint64_t gpa, uint8_t byte,
		   size_t len);

/*
 * Asks the host to back the whole 2 MiB frames inside [gpa, gpa + len) with
 * huge pages (MADV_HUGEPAGE; a hint, ignored where THP is off). For a
 * range the guest will use in full, as a kernel image: one allocation and
 * one fast clear per frame instead of 512, and KVM can map it whole.
 * Nothing outside the range changes.
 */
void guest_mem_prefer_huge(const struct guest_mem *m, uint64_t gpa,
			   uint64_t len);

/*
 * Reads len bytes of fd at offset off straight into guest RAM at gpa (no
 * bounce buffer: the kernel and initrd loaders use it to avoid a copy of
 * the image). 0 on success; -1 when the range is outside guest RAM, with
 * errno EFAULT, or when the file ends early (errno EIO) or read fails.
 */
int guest_mem_pread(const struct guest_mem *m, uint64_t gpa, int fd,
		    uint64_t off, size_t len);

/*
 * As guest_mem_pread, but the whole pages of the range are the file's own
 * page-cache pages mapped copy-on-write (MAP_PRIVATE | MAP_FIXED): no
 * allocation, zeroing or copy until the guest writes a page, and one copy
 * of the file in host memory for every VM that maps it. The file must then
 * not change while the VM runs: a truncated one raises SIGBUS in whoever
 * touches a page past its end. Partial pages at either end, and a range
 * whose offset is not page-aligned like gpa, are read as with
 * guest_mem_pread.
 */
int guest_mem_map_file(const struct guest_mem *m, uint64_t gpa, int fd,
		       uint64_t off, size_t len);

/*
 * Makes the pages covering [gpa, gpa + len) anonymous guest RAM holding
 * what they hold now, whatever guest_mem_map_file put there: the file can
 * then change or shrink without the guest seeing it. A copy swapped in with
 * one mremap; a write to the range between the copy and the swap would be
 * lost, so the caller stops every writer first (vCPUs, device threads and
 * their I/O). The range must lie in one region. 0, or -1 with errno.
 */
int guest_mem_privatize(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Total bytes of guest RAM across regions. */
uint64_t guest_mem_total(const struct guest_mem *m);

#endif
