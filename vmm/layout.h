/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_LAYOUT_H
#define VIREO_VMM_LAYOUT_H

/*
 * Guest-physical memory map of a vireo x86-64 machine. Boot structures live
 * in low memory below 640 KiB; RAM above 3 GiB moves above 4 GiB so that
 * [3 GiB, 4 GiB) is free for PCI BARs, virtio-mmio, IOAPIC and LAPIC.
 */

#define LAYOUT_BOOT_GDT 0x500ULL
#define LAYOUT_BOOT_IDT 0x530ULL /* after the 6-entry GDT */
#define LAYOUT_PVH_START_INFO 0x6000ULL /* hvm_start_info + memmap */
#define LAYOUT_ZERO_PAGE 0x7000ULL /* struct boot_params */
#define LAYOUT_PML4 0x9000ULL
#define LAYOUT_PDPT 0xa000ULL
#define LAYOUT_PD 0xb000ULL /* 4 pages: identity map of 4 GiB */
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 0x10000ULL
#define LAYOUT_BOOT_STACK 0x8ff0ULL
/* --dtb: struct setup_data + the DTB, chained from the zero page. */
#define LAYOUT_SETUP_DATA 0x30000ULL
#define LAYOUT_SETUP_DATA_MAX 0x10000ULL

/* Legacy area: EBDA/VGA/BIOS are reported reserved; the MP table sits there. */
#define LAYOUT_EBDA_START 0x9fc00ULL
#define LAYOUT_MPTABLE 0x9fc00ULL
#define LAYOUT_HIGH_MEMORY 0x100000ULL /* 1 MiB */

/* Default load address of a relocatable bzImage's protected-mode kernel. */
#define LAYOUT_KERNEL_LOAD 0x1000000ULL /* 16 MiB */

#define LAYOUT_MMIO_HOLE_START 0xc0000000ULL /* 3 GiB */
#define LAYOUT_MMIO_HOLE_END 0x100000000ULL /* 4 GiB */
#define LAYOUT_IOAPIC_BASE 0xfec00000ULL
#define LAYOUT_LAPIC_BASE 0xfee00000ULL

/* Where the PCI/virtio-mmio allocator hands out 32-bit MMIO windows. */
#define LAYOUT_MMIO32_START 0xc0000000ULL
#define LAYOUT_MMIO32_END 0xfec00000ULL
/*
 * Carved from it in this order by bus/mmio/mmio_space.c (vmm/virtio_devices.c).
 */
#define LAYOUT_PCI_MEM_SIZE 0x20000000ULL /* PCI BAR window, 512 MiB */
#define LAYOUT_PCI_ECAM_SIZE 0x100000ULL /* ECAM for bus 0 */
/* IOAPIC pins for virtio-mmio devices (edge-triggered, one per device). */
#define LAYOUT_MMIO_GSI_FIRST 16
#define LAYOUT_MMIO_GSI_END 24

/* ACPI tables in the BIOS area the kernel scans for the RSDP (reserved in
 * e820). */
#define LAYOUT_ACPI_START 0xe0000ULL
#define LAYOUT_ACPI_END 0x100000ULL
/* ACPI sleep control/status registers and PM1a blocks (I/O ports). */
#define LAYOUT_ACPI_SLEEP_CONTROL_PORT 0x600
#define LAYOUT_ACPI_SLEEP_STATUS_PORT 0x601
#define LAYOUT_ACPI_PM1_EVT_PORT 0x604
#define LAYOUT_ACPI_PM1_CNT_PORT 0x608
#define LAYOUT_ACPI_SCI_IRQ 9

#endif
