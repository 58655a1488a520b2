/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_BOOT_IMAGE_SRC_H
#define VIREO_VMM_BOOT_IMAGE_SRC_H

/*
 * Where a loader reads an image from: a buffer (unit tests, fuzz targets,
 * decompressed bzImage payloads) or an open file, whose bytes go straight
 * into guest RAM with pread (vireo's start: no heap copy of the kernel).
 * Loaders parse headers through image_src_read() either way, so the same
 * checks run on both.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/guest_mem.h"
#include "util/err.h"

/*
 * Whether a kernel's or initrd's pages in guest RAM are the file's own
 * (mapped copy-on-write: no allocation, zeroing or copy until the guest
 * writes a page, and shared by every VM booting the file) or copies.
 */
enum image_mapping {
	IMAGE_MAP_AUTO, /* mapped where the file cannot change, else copied */
	IMAGE_MAP_ALWAYS, /* --map-images: the user vouches for the file */
	IMAGE_MAP_NEVER, /* --copy-images */
};

/*
 * Why a file whose statx attributes (those known in mask) and whose
 * filesystem's magic (fstatfs f_type) are these cannot change while it is
 * mapped, as a phrase; NULL where it can. Mapped pages of a file that
 * changes are not the guest's own: a rewrite shows through pages the guest
 * has not written, a truncation takes even those it has.
 */
const char *image_fixed_why(uint64_t attributes, uint64_t mask,
			    uint64_t fs_magic);

/*
 * Why fd's pages are mapped under policy m, as a phrase; NULL: copied.
 * Under IMAGE_MAP_AUTO a file that can change is mapped when a read lease
 * can be had on it (*needs_lease set): the lease's break, before anyone
 * may write or truncate the file, is vireo's cue to copy the pages in
 * (vmm/mapped_images.c). The lease is only tried here; the machine takes
 * it once its own files are open, or one of them (a writable disk naming
 * the same file) would wait on vireo's own lease.
 */
const char *image_mapping_why(int fd, enum image_mapping m, bool *needs_lease);

/*
 * A kernel or initrd file as loaded. why: NULL when its bytes were copied
 * (the rest unset), else why its pages are the file's own; then fd stays
 * open while they are (the lease lives on it) and needs_lease says the
 * mapping is safe only under one.
 */
struct image_mapped {
	const char *why;
	int fd;
	bool needs_lease;
	bool leased; /* the machine holds the lease (vmm/mapped_images.c) */
};

/* Forgets the file: closes fd (and its lease), why becomes NULL. */
void image_mapped_close(struct image_mapped *im);

struct image_src {
	const uint8_t *data; /* NULL: read fd */
	int fd;
	uint64_t size;
	bool map; /* fd: map its pages into guest RAM (guest_mem_map_file) */
};

static inline struct image_src image_src_buf(const void *data, size_t size)
{
	return (struct image_src){ .data = data, .fd = -1, .size = size };
}

static inline struct image_src image_src_file(int fd, uint64_t size)
{
	return (struct image_src){ .data = NULL, .fd = fd, .size = size };
}

/* True when [off, off + len) lies inside the image. */
static inline int image_src_has(const struct image_src *s, uint64_t off,
				uint64_t len)
{
	return off <= s->size && len <= s->size - off;
}

/* Copies [off, off + len) of the image to dst; -1 outside it or on EIO. */
int image_src_read(const struct image_src *s, uint64_t off, void *dst,
		   size_t len);

/* Copies [off, off + len) of the image into guest RAM at gpa. */
int image_src_to_guest(const struct guest_mem *m, uint64_t gpa,
		       const struct image_src *s, uint64_t off, size_t len);

/*
 * Opens path read-only as a regular file of at most max bytes (a FIFO
 * would hang the start, a device has no size): the fd, its size in *size.
 */
int image_src_open(const char *path, const char *what, uint64_t max,
		   uint64_t *size, struct err *e);

#endif
