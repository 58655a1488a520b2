// SPDX-License-Identifier: MIT
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/layout.h"

_Static_assert(sizeof(struct boot_params) == 4096,
	       "struct boot_params must be exactly the 4 KiB zero page");

static uint32_t zp_lo(uint64_t v)
{
	return (uint32_t)v;
}

static uint32_t zp_hi(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

/*
 * Zeroing first matters: the kernel treats unknown non-zero fields as
 * loader-provided data, and a stale sentinel makes it wipe parts of the
 * page. Addresses are split into the legacy 32-bit field and its ext_
 * upper half (protocol 2.12+, which bzimage.c requires).
 */
int zero_page_write(const struct guest_mem *m, const struct kernel_info *ki,
		    const struct boot_tables *t, struct err *e)
{
	struct boot_params bp;

	if (t->nr_e820 == 0 || !t->e820)
		return err_set(e, "E820 map is empty");
	if (t->nr_e820 > E820_MAX_ENTRIES_ZEROPAGE)
		return err_set(
		    e,
		    "E820 map has %u entries, the zero page holds at most %u",
		    t->nr_e820, E820_MAX_ENTRIES_ZEROPAGE);
	if (t->cmdline_gpa && !guest_mem_range_ok(m, t->cmdline_gpa,
						  (uint64_t)t->cmdline_len + 1))
		return err_set(e, "kernel command line is outside guest RAM");
	if (t->initrd_size &&
	    !guest_mem_range_ok(m, t->initrd_gpa, t->initrd_size))
		return err_set(e, "initrd is outside guest RAM");

	memset(&bp, 0, sizeof(bp));
	bp.hdr = ki->hdr;
	bp.hdr.type_of_loader = 0xff;
	/*
	 * heap_end_ptr and CAN_USE_HEAP only matter to the real-mode setup
	 * code, which the 64-bit entry skips, so the flag stays clear rather
	 * than vouching for a heap nobody set up. KEEP_SEGMENTS is obsolete
	 * and KASLR_FLAG is the kernel's own output.
	 */
	bp.hdr.loadflags = LOADED_HIGH;
	bp.hdr.heap_end_ptr = 0;

	if (t->cmdline_gpa) {
		bp.hdr.cmd_line_ptr = zp_lo(t->cmdline_gpa);
		bp.ext_cmd_line_ptr = zp_hi(t->cmdline_gpa);
	}
	if (t->initrd_size) {
		bp.hdr.ramdisk_image = zp_lo(t->initrd_gpa);
		bp.ext_ramdisk_image = zp_hi(t->initrd_gpa);
		bp.hdr.ramdisk_size = zp_lo(t->initrd_size);
		bp.ext_ramdisk_size = zp_hi(t->initrd_size);
	}
	bp.acpi_rsdp_addr = t->acpi_rsdp;
	bp.hdr.setup_data = t->setup_data;
	memcpy(bp.e820_table, t->e820, t->nr_e820 * sizeof(bp.e820_table[0]));
	bp.e820_entries = (uint8_t)t->nr_e820;

	if (guest_mem_write(m, LAYOUT_ZERO_PAGE, &bp, sizeof(bp)))
		return err_set(e, "zero page does not fit in guest RAM");
	return 0;
}
