// SPDX-License-Identifier: MIT
#include "vmm/boot/boot.h"
#include "vmm/layout.h"

#define E820_RAM 1
#define E820_RESERVED 2

static int e820_add(struct boot_e820_entry *out, unsigned int max,
		    unsigned int *n, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	if (size == 0)
		return 0;
	if (*n >= max)
		return -1;
	out[(*n)++] = (struct boot_e820_entry){
		.addr = addr,
		.size = size,
		.type = type,
	};
	return 0;
}

/*
 * The legacy hole is reported reserved even though guest RAM backs it, so
 * the kernel keeps its hands off the MP table placed at the EBDA. ram_low
 * is trusted to stop at the MMIO hole; the caller sizes it.
 */
int e820_build(uint64_t ram_low, uint64_t ram_high, struct boot_e820_entry *out,
	       unsigned int max)
{
	uint64_t base_end =
	    ram_low < LAYOUT_EBDA_START ? ram_low : LAYOUT_EBDA_START;
	unsigned int n = 0;

	if (ram_high > UINT64_MAX - LAYOUT_MMIO_HOLE_END)
		return -1;
	if (e820_add(out, max, &n, 0, base_end, E820_RAM) ||
	    e820_add(out, max, &n, LAYOUT_EBDA_START,
		     LAYOUT_HIGH_MEMORY - LAYOUT_EBDA_START, E820_RESERVED))
		return -1;
	if (ram_low > LAYOUT_HIGH_MEMORY &&
	    e820_add(out, max, &n, LAYOUT_HIGH_MEMORY,
		     ram_low - LAYOUT_HIGH_MEMORY, E820_RAM))
		return -1;
	if (e820_add(out, max, &n, LAYOUT_MMIO_HOLE_END, ram_high, E820_RAM))
		return -1;
	return (int)n;
}
