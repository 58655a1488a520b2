/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_ACPI_TABLES_H
#define VIREO_VMM_ACPI_TABLES_H

/*
 * The ACPI tables of a vireo machine, built in a host buffer for a given
 * guest-physical base: RSDP (first, 16-byte aligned), XSDT, FADT (PM1a
 * blocks, sleep control/status and reset registers; not hardware-reduced,
 * see tables.c), FACS, DSDT
 * (\_S5, the PCI host bridge, one LNRO0005 device per virtio-mmio device),
 * MADT, and MCFG when there is an ECAM window. Pure code: no KVM, no guest
 * memory; acpi_tables_write() copies the result in.
 */

#include <stddef.h>
#include <stdint.h>

#include "kvm/guest_mem.h"
#include "util/err.h"

#define ACPI_MAX_MMIO_DEVICES 32
#define ACPI_MAX_TABLES 8
#define ACPI_S5_SLEEP_TYPE 5 /* SLP_TYP the DSDT's \_S5 names */
#define ACPI_SLEEP_TYPE_SHIFT 2
#define ACPI_SLEEP_TYPE_MASK 0x1c
#define ACPI_SLEEP_ENABLE 0x20
#define ACPI_WAKE_STATUS 0x80

struct acpi_mmio_device {
	uint64_t base, size;
	uint32_t gsi;
};

struct acpi_config {
	unsigned int nr_cpus;
	uint8_t ioapic_id;
	uint32_t ioapic_addr, lapic_addr;
	/* PCI host bridge: ECAM for bus 0 (0: no MCFG), BAR windows. */
	uint64_t ecam_base;
	uint32_t pci_mem_base, pci_mem_size;
	uint16_t pci_io_base, pci_io_end; /* inclusive end */
	uint16_t sleep_control_port, sleep_status_port;
	uint16_t pm1_evt_port, pm1_cnt_port; /* PM1a event (4), control (2) */
	uint8_t sci_irq;
	uint16_t reset_port;
	uint8_t reset_value;
	const struct acpi_mmio_device *mmio;
	unsigned int nr_mmio;
};

struct acpi_table_ref {
	char signature[5];
	size_t offset, length; /* in the blob */
};

struct acpi_blob {
	uint8_t *data;
	size_t len;
	uint64_t gpa; /* where data[0] (the RSDP) goes */
	struct acpi_table_ref tables[ACPI_MAX_TABLES]; /* RSDP first */
	unsigned int nr;
};

int acpi_tables_build(const struct acpi_config *c, uint64_t gpa,
		      struct acpi_blob *out, struct err *e);
void acpi_blob_free(struct acpi_blob *b);
/* Sum of bytes mod 256 (0 for a table with a right checksum). */
uint8_t acpi_checksum(const void *p, size_t len);
int acpi_tables_write(const struct guest_mem *m, const struct acpi_blob *b,
		      struct err *e);

#endif
