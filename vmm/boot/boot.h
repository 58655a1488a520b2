/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_BOOT_H
#define VIREO_VMM_BOOT_H

/*
 * Firmware-less boot of a Linux x86-64 kernel: image parsing and loading,
 * and the tables the kernel reads at entry. Everything here writes guest
 * memory through the guest_mem API only and touches no KVM state, so it is
 * unit-tested against a fake guest memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "kvm/guest_mem.h"
#include "util/err.h"
#include "vmm/boot/image_src.h"

/* Boot GDT (at LAYOUT_BOOT_GDT): selectors the entry code expects. */
#define BOOT_GDT_CODE64 0x10 /* __BOOT_CS */
#define BOOT_GDT_DATA 0x18 /* __BOOT_DS */
#define BOOT_GDT_TSS 0x20
#define BOOT_GDT_CODE32 0x28 /* PVH 32-bit entry */
#define BOOT_GDT_ENTRIES 6

/* Raw descriptor values, shared by the GDT writer and the vCPU sregs. */
#define BOOT_DESC_CODE64 0x00af9b000000ffffULL
#define BOOT_DESC_DATA 0x00cf93000000ffffULL
#define BOOT_DESC_TSS 0x00808b0000000000ULL
#define BOOT_DESC_CODE32 0x00cf9b000000ffffULL

enum kernel_format {
	KERNEL_FORMAT_ELF,
	KERNEL_FORMAT_BZIMAGE,
};

struct kernel_info {
	enum kernel_format format;
	/* Guest-physical 64-bit entry point; entered with RSI = zero page. */
	uint64_t entry64;
	/* Guest-physical PVH (32-bit, paging off) entry; 0 when absent. */
	uint64_t pvh_entry;
	/* Guest-physical range occupied by the loaded kernel. */
	uint64_t load_start, load_end;
	/*
	 * Highest address an initrd may end at (inclusive, per boot protocol).
	 */
	uint64_t initrd_addr_max;
	/* Max command line length the kernel accepts (excluding NUL). */
	uint32_t cmdline_size;
	/*
	 * bzImage: the setup header to place in the zero page (copied from
	 * the image). ELF: zero except for fields vireo fills with defaults.
	 */
	struct setup_header hdr;
	/*
	 * bzImage whose payload vireo decompressed itself and loaded as the
	 * ELF vmlinux inside: entry64 is startup_64, not the decompressor.
	 */
	bool host_decompressed;
	/*
	 * From a file, not decompressed by vireo: whether and why its pages
	 * are mapped over [load_start, load_end) (kernel_load_file).
	 */
	struct image_mapped mapped;
};

struct kernel_load_opts {
	/* bzImage: always run the kernel's own (in-guest) decompressor. */
	bool guest_decompress;
	/* A file's pages mapped copy-on-write (guest_mem_map_file) or copied.
	 */
	enum image_mapping mapping;
};

/*
 * Detects the format (ELF64 vmlinux or bzImage) by content, validates it
 * and copies it into guest memory. A truncated, corrupt or unknown image
 * (bad magic, segments outside the file or guest RAM, overlapping
 * segments, boot protocol too old for 64-bit entry, non-64-bit kernel)
 * fails with a one-line message and writes nothing outside the kernel's
 * range.
 */
/*
 * A bzImage with a gzip, xz or uncompressed ELF payload is extracted on the
 * host and loaded as that ELF (unless opts->guest_decompress); other
 * payloads enter the kernel's decompressor. opts may be NULL (defaults).
 */
int kernel_load(const struct guest_mem *m, const void *image, size_t size,
		const struct kernel_load_opts *opts, struct kernel_info *ki,
		struct err *e);

/* Largest kernel file accepted (a vmlinux with debug info is ~100 MiB). */
#define KERNEL_FILE_MAX (256u << 20)
#define INITRD_FILE_MAX (2048u << 20)

/*
 * kernel_load() on the file at path: a vmlinux goes from the file straight
 * into guest RAM (same checks, no heap copy); a bzImage is read first.
 * ki->mapped says whether its pages were mapped (image_src.h); the caller
 * then owns ki->mapped.fd (image_mapped_close).
 */
int kernel_load_file(const struct guest_mem *m, const char *path,
		     const struct kernel_load_opts *opts,
		     struct kernel_info *ki, struct err *e);

/*
 * Places the initrd page-aligned as high as possible below both
 * ki->initrd_addr_max and ram_end_below_4g, and above the kernel.
 */
int initrd_load(const struct guest_mem *m, const struct kernel_info *ki,
		const void *data, size_t size, uint64_t ram_end_below_4g,
		uint64_t *gpa_out, struct err *e);

/*
 * initrd_load() from the file at path, read straight into guest RAM or
 * mapped there (guest_mem_map_file) as mapping decides: *mapped says
 * whether and why (and holds the file open while it is mapped).
 */
int initrd_load_file(const struct guest_mem *m, const struct kernel_info *ki,
		     const char *path, uint64_t ram_end_below_4g,
		     enum image_mapping mapping, uint64_t *gpa_out,
		     uint64_t *size_out, struct image_mapped *mapped,
		     struct err *e);

/*
 * The E820 map of a guest with ram_low bytes of RAM below the MMIO hole
 * (starting at 0) and ram_high bytes from 4 GiB: usable low RAM up to the
 * EBDA, the legacy area reserved, usable RAM from 1 MiB. Returns the entry
 * count, or -1 when max is too small.
 */
int e820_build(uint64_t ram_low, uint64_t ram_high, struct boot_e820_entry *out,
	       unsigned int max);

/* Writes the NUL-terminated command line at LAYOUT_CMDLINE. */
int cmdline_write(const struct guest_mem *m, const struct kernel_info *ki,
		  const char *cmdline, struct err *e);

struct boot_tables {
	uint64_t cmdline_gpa;
	uint32_t cmdline_len; /* without NUL */
	uint64_t initrd_gpa, initrd_size; /* size 0: no initrd */
	const struct boot_e820_entry *e820;
	unsigned int nr_e820;
	uint64_t acpi_rsdp; /* 0: no ACPI (or let the kernel scan) */
	uint64_t setup_data; /* first struct setup_data; 0: none */
};

/* struct boot_params at LAYOUT_ZERO_PAGE, for the 64-bit entry. */
int zero_page_write(const struct guest_mem *m, const struct kernel_info *ki,
		    const struct boot_tables *t, struct err *e);

/* hvm_start_info (+ modlist, memmap) at LAYOUT_PVH_START_INFO, for PVH. */
int pvh_start_info_write(const struct guest_mem *m, const struct boot_tables *t,
			 struct err *e);

/*
 * MP floating pointer + configuration table at LAYOUT_MPTABLE: one
 * processor entry per vCPU (APIC ID = index, the first is the BSP), a PCI
 * bus 0 and an ISA bus, the IOAPIC (ID ioapic_id, at LAYOUT_IOAPIC_BASE),
 * ISA IRQs 0-15 routed to IOAPIC pins 0-15, ExtINT on LINT0 and NMI on LINT1.
 */
int mptable_write(const struct guest_mem *m, unsigned int nr_cpus,
		  uint8_t ioapic_id, struct err *e);

/*
 * Identity-maps 4 GiB with 2 MiB pages at LAYOUT_PML4 and writes the boot GDT.
 */
int boot_pagetables_write(const struct guest_mem *m, struct err *e);

#endif
