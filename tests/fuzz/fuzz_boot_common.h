/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_FUZZ_BOOT_COMMON_H
#define VIREO_TESTS_FUZZ_BOOT_COMMON_H

/*
 * Shared by the kernel-image fuzz targets (fuzz_elf.c, fuzz_bzimage.c):
 * a small fake guest RAM made of two exactly-sized heap blocks, so ASan
 * flags any write a loader lets past the guest_mem bounds, and the boot
 * structures a real boot writes from the loaded kernel_info afterwards.
 *
 *   [0, 2 MiB)        boot structures and ELF segments above 1 MiB
 *   [16 MiB, 20 MiB)  the default bzImage load address and ELF segments
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/layout.h"

#define FZB_LOW_SIZE (2u << 20)
#define FZB_HIGH_GPA LAYOUT_KERNEL_LOAD
#define FZB_HIGH_SIZE (4u << 20)

struct fzb_ram {
	struct guest_mem m;
	uint8_t *low, *high;
};

static void fzb_check(int ok)
{
	if (!ok)
		abort();
}

/*
 * Allocated once: a few MiB calloc'd per input costs more than the loaders
 * themselves, and what the RAM holds never steers a loader.
 */
static struct fzb_ram *fzb_ram_get(void)
{
	static struct fzb_ram r;

	if (r.low)
		return &r;
	r.low = calloc(1, FZB_LOW_SIZE);
	r.high = calloc(1, FZB_HIGH_SIZE);
	fzb_check(r.low && r.high);
	fzb_check(guest_mem_add_region(&r.m, 0, FZB_LOW_SIZE, r.low) == 0);
	fzb_check(guest_mem_add_region(&r.m, FZB_HIGH_GPA, FZB_HIGH_SIZE,
				       r.high) == 0);
	return &r;
}

/*
 * What kernel_boot_setup() does with a loaded kernel_info: the kernel's
 * range must be RAM and hold its entry points, and the header-driven
 * limits (cmdline_size, initrd_addr_max) must yield errors, not writes.
 */
static void fzb_after_load(struct fzb_ram *r, const struct kernel_info *ki)
{
	static const uint8_t initrd[4096];
	struct boot_e820_entry e820[8];
	struct boot_tables t = { .e820 = e820, .cmdline_gpa = LAYOUT_CMDLINE };
	static const char cmdline[] = "console=ttyS0 reboot=k panic=-1";
	struct err e;
	int n;

	/* Both ends: an ELF may span the gap between the two blocks. */
	fzb_check(ki->load_start < ki->load_end);
	fzb_check(guest_mem_range_ok(&r->m, ki->load_start, 1) &&
		  guest_mem_range_ok(&r->m, ki->load_end - 1, 1));
	fzb_check(ki->entry64 >= ki->load_start && ki->entry64 < ki->load_end);
	if (ki->pvh_entry)
		fzb_check(ki->pvh_entry >= ki->load_start &&
			  ki->pvh_entry < ki->load_end);

	if (initrd_load(&r->m, ki, initrd, sizeof(initrd),
			FZB_HIGH_GPA + FZB_HIGH_SIZE, &t.initrd_gpa, &e) == 0) {
		fzb_check(t.initrd_gpa >= ki->load_end);
		t.initrd_size = sizeof(initrd);
	}
	n = e820_build(FZB_HIGH_GPA + FZB_HIGH_SIZE, 0, e820, 8);
	fzb_check(n > 0);
	t.nr_e820 = (unsigned int)n;
	t.cmdline_len = sizeof(cmdline) - 1;
	if (cmdline_write(&r->m, ki, cmdline, &e) == 0) {
		zero_page_write(&r->m, ki, &t, &e);
		pvh_start_info_write(&r->m, &t, &e);
	}
}

#endif
