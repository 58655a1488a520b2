/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_PCI_PCI_H
#define VIREO_BUS_PCI_PCI_H

/*
 * A single PCI segment, bus 0: configuration mechanism #1 (ports
 * 0xCF8/0xCFC), 256-byte configuration spaces with per-bit write masks
 * (read-only, read/write, write-1-to-clear), BAR sizing and placement, and
 * dispatch of BAR accesses through the port and MMIO buses. Functions plug
 * in with a small ops table; the host bridge is 00:00.0.
 */

#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "util/err.h"

#define PCI_CFG_SIZE PCI_CFG_SPACE_SIZE
#define PCI_MAX_SLOTS 32
#define PCI_NR_BARS 6

#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc

/* Short names for the <linux/pci_regs.h> BAR fields used here. */
#define PCI_BAR0 PCI_BASE_ADDRESS_0
#define PCI_BAR_IO PCI_BASE_ADDRESS_SPACE_IO
#define PCI_BAR_MEM64 PCI_BASE_ADDRESS_MEM_TYPE_64
#define PCI_BAR_PREFETCH PCI_BASE_ADDRESS_MEM_PREFETCH

enum pci_bar_kind {
	PCI_BAR_NONE,
	PCI_BAR_KIND_IO,
	PCI_BAR_KIND_MEM32,
	PCI_BAR_KIND_MEM64, /* occupies two BAR slots */
};

struct pci_function;

struct pci_bar {
	enum pci_bar_kind kind;
	uint64_t size; /* power of two */
	uint64_t addr; /* current guest address, 0 = unassigned */
	bool mapped; /* registered on the port/MMIO bus */
	const struct bus_ops *ops; /* offset is relative to the BAR */
	void *opaque;
	/* Told when the BAR moves (ioeventfds follow it). */
	void (*moved)(struct pci_function *fn, int bar, uint64_t old_addr,
		      bool old_mapped);
};

struct pci_function {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	uint8_t w1cmask[PCI_CFG_SIZE];
	struct pci_bar bars[PCI_NR_BARS];
	uint8_t next_cap; /* where the next capability goes */
	uint8_t last_cap; /* offset of the last capability's next pointer */
	/* Called after a config write the function may need to act on. */
	void (*cfg_written)(struct pci_function *fn, uint32_t offset,
			    unsigned int len);
	void *opaque;
	struct pci_bus *bus;
	uint8_t slot;
	const char *name;
};

struct pci_bus {
	pthread_mutex_t lock; /* config space and BAR placement */
	struct bus *pio, *mmio;
	struct pci_function *slots[PCI_MAX_SLOTS];
	struct pci_function host_bridge;
	uint32_t config_address;
	uint64_t mmio_next, mmio_end, io_next, io_end;
	uint64_t ecam_base; /* 0: no ECAM window */
};

int pci_bus_init(struct pci_bus *pb, struct bus *pio, struct bus *mmio,
		 uint64_t mmio_start, uint64_t mmio_end, struct err *e);
void pci_bus_destroy(struct pci_bus *pb);
/*
 * PCIe enhanced configuration access (ECAM, the MCFG window) for bus 0 at
 * base: PCI_ECAM_BUS_SIZE bytes, 4 KiB per function, beside 0xCF8/0xCFC.
 */
#define PCI_ECAM_BUS_SIZE 0x100000
int pci_bus_enable_ecam(struct pci_bus *pb, uint64_t base, struct err *e);

/* Header type 0 with the given IDs; all registers read-only until set. */
void pci_function_init(struct pci_function *fn, const char *name,
		       uint16_t vendor, uint16_t device, uint32_t class_code,
		       uint8_t revision, uint16_t subsys_vendor,
		       uint16_t subsys_id);
/* Declares a BAR before the function is plugged. */
void pci_function_set_bar(struct pci_function *fn, int bar,
			  enum pci_bar_kind kind, uint64_t size,
			  const struct bus_ops *ops, void *opaque);
/* Appends a capability of len bytes; returns its offset (0 if no room). */
uint8_t pci_function_add_cap(struct pci_function *fn, uint8_t id, uint8_t len);
/* Places the BARs, maps them, and puts the function in the first free slot. */
int pci_bus_plug(struct pci_bus *pb, struct pci_function *fn, struct err *e);

/* Configuration space accessors honouring the masks (little endian). */
uint32_t pci_cfg_read(struct pci_function *fn, uint32_t offset,
		      unsigned int len);
void pci_cfg_write(struct pci_function *fn, uint32_t offset, uint32_t value,
		   unsigned int len);

/* Raw helpers for the function's own setup. */
void pci_cfg_set16(struct pci_function *fn, uint32_t offset, uint16_t v);
void pci_cfg_set32(struct pci_function *fn, uint32_t offset, uint32_t v);

#endif
