/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_FDT_DTB_H
#define VIREO_VMM_FDT_DTB_H

/*
 * The flattened device tree (DTB) of a vireo machine, built with libfdt
 * from a plain description: no KVM, no guest memory, so it is unit-tested
 * by reading the blob back and meant to serve an arm64 port as well. The
 * x86 parts use the bindings Linux's arch/x86/kernel/devicetree.c reads.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define DTB_MAX_CPUS 256
#define DTB_MAX_MEM_RANGES 4
#define DTB_MAX_MMIO_DEVICES 32

/* Phandles the builder assigns; fixed so tests and callers can name them. */
#define DTB_PHANDLE_IOAPIC 1

/*
 * Second interrupt cell of "intel,ce4100-ioapic": an index into Linux's
 * of_ioapic_type[] table (arch/x86/kernel/devicetree.c), not an
 * IRQ_TYPE_* value: 0 edge falling, 1 level high, 2 level low, 3 edge
 * rising.
 */
#define DTB_IOAPIC_EDGE_RISING 3

struct dtb_mem_range {
	uint64_t base, size;
};

struct dtb_mmio_device {
	uint64_t base, size;
	uint32_t gsi; /* IOAPIC pin, edge-triggered */
};

struct dtb_uart {
	uint16_t port; /* I/O port base, 8 registers */
	uint32_t irq; /* IOAPIC pin */
	uint32_t clock_hz;
};

struct dtb_config {
	unsigned int nr_cpus; /* APIC IDs 0 .. nr_cpus-1, the first boots */
	struct dtb_mem_range mem[DTB_MAX_MEM_RANGES];
	unsigned int nr_mem;
	uint64_t lapic_addr, ioapic_addr;
	const struct dtb_uart *uart; /* NULL: no 8250 node */
	const struct dtb_mmio_device *mmio;
	unsigned int nr_mmio;
	const char *bootargs; /* NULL or "": no bootargs property */
};

/*
 * Builds the tree into a malloc'ed blob (*out, *len; free() it). A
 * description it cannot encode (no CPU, no memory, a range that wraps,
 * too many devices, a GSI the IOAPIC does not have) fails with one line.
 */
int dtb_build(const struct dtb_config *c, void **out, size_t *len,
	      struct err *e);

/* The path of the 8250's node, for stdout-path and readers; port given. */
int dtb_uart_path(uint16_t port, char *buf, size_t size);

#endif
