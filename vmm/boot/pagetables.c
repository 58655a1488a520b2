// SPDX-License-Identifier: MIT
/*
 * The 64-bit boot protocol enters the kernel in long mode, so paging must
 * already be on: an identity map of the low 4 GiB covers the kernel, the
 * zero page, the command line and the initrd wherever they were placed.
 */
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/layout.h"

#define PT_PRESENT (1ULL << 0)
#define PT_WRITE (1ULL << 1)
#define PT_PS (1ULL << 7) /* in a PD entry: this maps a 2 MiB page */
#define PT_ENTRIES 512
#define PT_PAGE 0x1000ULL
#define PT_2M (1ULL << 21)
#define PT_NR_PD 4 /* one PD maps 1 GiB */

/*
 * One zeroed gate: the kernel installs its own IDT early, and until then a
 * stray exception ends in a triple fault instead of a jump through garbage.
 */
#define BOOT_IDT_SIZE 8

_Static_assert(LAYOUT_BOOT_IDT >= LAYOUT_BOOT_GDT + BOOT_GDT_ENTRIES * 8,
	       "the boot IDT must not overlap the boot GDT");
_Static_assert(LAYOUT_PDPT >= LAYOUT_PML4 + PT_PAGE &&
		   LAYOUT_PD >= LAYOUT_PDPT + PT_PAGE,
	       "paging structures must not overlap");

static int pt_write_page(const struct guest_mem *m, uint64_t gpa,
			 const uint64_t *page, struct err *e)
{
	if (guest_mem_write(m, gpa, page, PT_PAGE))
		return err_set(e, "boot page tables do not fit in guest RAM");
	return 0;
}

static int pt_write_gdt(const struct guest_mem *m, struct err *e)
{
	uint64_t gdt[BOOT_GDT_ENTRIES] = { 0 };
	uint64_t idt[BOOT_IDT_SIZE / 8] = { 0 };

	/* Entry 1 stays null: Linux's __BOOT_CS is 0x10, not 0x08. */
	gdt[BOOT_GDT_CODE64 / 8] = BOOT_DESC_CODE64;
	gdt[BOOT_GDT_DATA / 8] = BOOT_DESC_DATA;
	gdt[BOOT_GDT_TSS / 8] = BOOT_DESC_TSS;
	gdt[BOOT_GDT_CODE32 / 8] = BOOT_DESC_CODE32;
	if (guest_mem_write(m, LAYOUT_BOOT_GDT, gdt, sizeof(gdt)) ||
	    guest_mem_write(m, LAYOUT_BOOT_IDT, idt, sizeof(idt)))
		return err_set(e, "boot GDT does not fit in guest RAM");
	return 0;
}

int boot_pagetables_write(const struct guest_mem *m, struct err *e)
{
	uint64_t page[PT_ENTRIES];
	unsigned int i, j;

	memset(page, 0, sizeof(page));
	page[0] = LAYOUT_PDPT | PT_PRESENT | PT_WRITE;
	if (pt_write_page(m, LAYOUT_PML4, page, e))
		return -1;

	memset(page, 0, sizeof(page));
	for (i = 0; i < PT_NR_PD; i++)
		page[i] = (LAYOUT_PD + i * PT_PAGE) | PT_PRESENT | PT_WRITE;
	if (pt_write_page(m, LAYOUT_PDPT, page, e))
		return -1;

	for (i = 0; i < PT_NR_PD; i++) {
		for (j = 0; j < PT_ENTRIES; j++)
			page[j] = ((uint64_t)(i * PT_ENTRIES + j) * PT_2M) |
				  PT_PRESENT | PT_WRITE | PT_PS;
		if (pt_write_page(m, LAYOUT_PD + i * PT_PAGE, page, e))
			return -1;
	}
	return pt_write_gdt(m, e);
}
