// SPDX-License-Identifier: MIT
/*
 * PVH boot: the kernel's 32-bit entry (XEN_ELFNOTE_PHYS32_ENTRY) finds
 * everything through one hvm_start_info, passed in EBX.
 */
#include <stddef.h>
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/layout.h"

/*
 * Layouts from Xen's public/arch-x86/hvm/start_info.h (an ABI, mirrored by
 * Linux's include/xen/interface/hvm/start_info.h). Version 1 adds the
 * memory map, which Linux uses instead of asking a hypervisor for it.
 */
#define HVM_START_MAGIC 0x336ec578 /* "xEn3" with the 0x80 bit of "E" set */
#define HVM_START_VERSION 1

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr; /* 0: the kernel scans for ACPI itself */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
} __attribute__((packed));

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
} __attribute__((packed));

/* Type values are the E820 ones (1 RAM, 2 reserved), copied through. */
struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info ABI");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist ABI");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap ABI");

int pvh_start_info_write(const struct guest_mem *m, const struct boot_tables *t,
			 struct err *e)
{
	const uint64_t modlist =
	    LAYOUT_PVH_START_INFO + sizeof(struct hvm_start_info);
	unsigned int nr_mods = t->initrd_size ? 1 : 0;
	uint64_t memmap = modlist + nr_mods * sizeof(struct hvm_modlist_entry);
	uint64_t end = memmap + (uint64_t)t->nr_e820 *
				    sizeof(struct hvm_memmap_table_entry);
	struct hvm_start_info si;
	unsigned int i;

	if (t->nr_e820 == 0 || !t->e820)
		return err_set(e, "E820 map is empty");
	/* Everything lives in the page below the zero page. */
	if (end > LAYOUT_ZERO_PAGE)
		return err_set(e,
			       "E820 map has %u entries, too many for the PVH "
			       "start info page",
			       t->nr_e820);
	if (!guest_mem_range_ok(m, LAYOUT_PVH_START_INFO,
				end - LAYOUT_PVH_START_INFO))
		return err_set(e, "PVH start info does not fit in guest RAM");
	if (t->cmdline_gpa && !guest_mem_range_ok(m, t->cmdline_gpa,
						  (uint64_t)t->cmdline_len + 1))
		return err_set(e, "kernel command line is outside guest RAM");
	if (t->initrd_size &&
	    !guest_mem_range_ok(m, t->initrd_gpa, t->initrd_size))
		return err_set(e, "initrd is outside guest RAM");

	memset(&si, 0, sizeof(si));
	si.magic = HVM_START_MAGIC;
	si.version = HVM_START_VERSION;
	si.nr_modules = nr_mods;
	si.modlist_paddr = nr_mods ? modlist : 0;
	si.cmdline_paddr = t->cmdline_gpa;
	si.memmap_paddr = memmap;
	si.memmap_entries = t->nr_e820;
	si.rsdp_paddr = t->acpi_rsdp;
	if (guest_mem_write(m, LAYOUT_PVH_START_INFO, &si, sizeof(si)))
		return err_set(e, "PVH start info does not fit in guest RAM");

	if (nr_mods) {
		struct hvm_modlist_entry mod = {
			.paddr = t->initrd_gpa,
			.size = t->initrd_size,
		};

		if (guest_mem_write(m, modlist, &mod, sizeof(mod)))
			return err_set(
			    e, "PVH module list does not fit in guest RAM");
	}
	for (i = 0; i < t->nr_e820; i++) {
		struct hvm_memmap_table_entry ent = {
			.addr = t->e820[i].addr,
			.size = t->e820[i].size,
			.type = t->e820[i].type,
		};

		if (guest_mem_write(m, memmap + i * sizeof(ent), &ent,
				    sizeof(ent)))
			return err_set(
			    e, "PVH memory map does not fit in guest RAM");
	}
	return 0;
}
