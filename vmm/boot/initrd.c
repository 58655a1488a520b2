// SPDX-License-Identifier: MIT
#include <inttypes.h>

#include "vmm/boot/boot.h"

#define INITRD_ALIGN 0x1000ULL

/*
 * As high as possible, like other boot loaders: the kernel's decompression
 * and early allocations grow upwards from its load address, so the top of
 * low RAM is the place least likely to be trampled before the kernel has
 * reserved the initrd.
 */
int initrd_load(const struct guest_mem *m, const struct kernel_info *ki,
		const void *data, size_t size, uint64_t ram_end_below_4g,
		uint64_t *gpa_out, struct err *e)
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
			       size, ki->load_end, last + 1);
	if (guest_mem_write(m, gpa, data, size))
		return err_set(
		    e, "initrd does not fit in guest RAM at 0x%" PRIx64, gpa);
	*gpa_out = gpa;
	return 0;
}
