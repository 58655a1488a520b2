/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_MMIO_MMIO_SPACE_H
#define VIREO_BUS_MMIO_MMIO_SPACE_H

/*
 * The one place that hands out guest-physical ranges in the 32-bit MMIO
 * hole and IOAPIC pins (GSIs) to devices, for every bus: the PCI host
 * takes its BAR window and ECAM window from here, each virtio-mmio device
 * its register page and interrupt pin. Ranges come out in allocation order,
 * naturally aligned, and never overlap; what was handed out is recorded so
 * the firmware tables (ACPI, e820) can describe it.
 */

#include <stdint.h>

#include "util/err.h"

#define MMIO_SPACE_MAX_RANGES 64

struct mmio_space_range {
	uint64_t base, size;
	const char *owner;
};

struct mmio_space {
	uint64_t next, end;
	uint32_t next_gsi, gsi_end;
	struct mmio_space_range ranges[MMIO_SPACE_MAX_RANGES];
	unsigned int nr;
};

/* [start, end) of guest-physical space, GSIs [gsi_first, gsi_end). */
void mmio_space_init(struct mmio_space *s, uint64_t start, uint64_t end,
		     uint32_t gsi_first, uint32_t gsi_end);
/* size a power of two; the range is aligned to align (a power of two). */
int mmio_space_alloc(struct mmio_space *s, uint64_t size, uint64_t align,
		     const char *owner, uint64_t *base, struct err *e);
int mmio_space_alloc_gsi(struct mmio_space *s, const char *owner, uint32_t *gsi,
			 struct err *e);

#endif
