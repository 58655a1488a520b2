// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>

#include "vmm/boot/boot.h"
#include "vmm/boot/image_src.h"

#define INITRD_ALIGN 0x1000ULL

/*
 * As high as possible, like other boot loaders: the kernel's decompression
 * and early allocations grow upwards from its load address, so the top of
 * low RAM is the place least likely to be trampled before the kernel has
 * reserved the initrd.
 */
static int initrd_place(const struct kernel_info *ki, uint64_t size,
			uint64_t ram_end_below_4g, uint64_t *gpa_out,
			struct err *e)
{
	uint64_t last, gpa;

	if (size == 0)
		return err_set(e, "initrd is empty");
	if (ram_end_below_4g == 0)
		return err_set(e, "no guest RAM for the initrd");

	/* initrd_addr_max is the last usable byte, not one past it. */
	last = ram_end_below_4g - 1;
	if (ki->initrd_addr_max < last)
		last = ki->initrd_addr_max;
	gpa = size <= last + 1 ? (last + 1 - size) & ~(INITRD_ALIGN - 1) : 0;
	if (size > last + 1 || gpa < ki->load_end)
		return err_set(e,
			       "initrd too large: %zu bytes do not fit "
			       "page-aligned between the kernel end 0x%" PRIx64
			       " and 0x%" PRIx64,
			       (size_t)size, ki->load_end, last + 1);
	*gpa_out = gpa;
	return 0;
}

int initrd_load(const struct guest_mem *m, const struct kernel_info *ki,
		const void *data, size_t size, uint64_t ram_end_below_4g,
		uint64_t *gpa_out, struct err *e)
{
	struct image_src src = image_src_buf(data, size);
	uint64_t gpa;

	if (initrd_place(ki, size, ram_end_below_4g, &gpa, e) < 0)
		return -1;
	if (image_src_to_guest(m, gpa, &src, 0, size))
		return err_set(
		    e, "initrd does not fit in guest RAM at 0x%" PRIx64, gpa);
	*gpa_out = gpa;
	return 0;
}

int initrd_load_file(const struct guest_mem *m, const struct kernel_info *ki,
		     const char *path, uint64_t ram_end_below_4g,
		     enum image_mapping mapping, uint64_t *gpa_out,
		     uint64_t *size_out, struct image_mapped *mapped,
		     struct err *e)
{
	const char *why;
	uint64_t size, gpa;
	bool lease;
	int fd;

	fd = image_src_open(path, "initrd", INITRD_FILE_MAX, &size, e);
	if (fd < 0)
		return -1;
	why = image_mapping_why(fd, mapping, &lease);
	if (initrd_place(ki, size, ram_end_below_4g, &gpa, e) < 0) {
		close(fd);
		return -1;
	}
	if ((why ? guest_mem_map_file : guest_mem_pread)(m, gpa, fd, 0, size) <
	    0) {
		int ret =
		    err_errno(e, errno, "cannot read initrd file '%s'", path);

		close(fd);
		return ret;
	}
	*gpa_out = gpa;
	*size_out = size;
	*mapped = (struct image_mapped){ .why = why,
					 .fd = why ? fd : -1,
					 .needs_lease = lease };
	if (!why)
		close(fd);
	return 0;
}
