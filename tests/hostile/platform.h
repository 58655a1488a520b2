/* SPDX-License-Identifier: MIT */
#ifndef HOSTILE_PLATFORM_H
#define HOSTILE_PLATFORM_H
/* Finding the machine: ACPI tables, PCI configuration space, interrupts. */
#include "hostile.h"

#define MAX_MMIO_DEVS 8

struct platform {
	u64 ecam; /* 0: none (no MCFG) */
	u64 dsdt;
	unsigned int nr_mmio;
	u64 mmio_base[MAX_MMIO_DEVS];
	u32 mmio_gsi[MAX_MMIO_DEVS];
	bool mmio_from_acpi;
	/* FADT RESET_REG (ACPI 5.2.9): space 0 memory, 1 I/O; 0xff none. */
	u8 reset_space, reset_value;
	u64 reset_addr;
};
extern struct platform plat;

void acpi_scan(void);
void mmio_scan_cmdline(const char *cmdline);

/* Type-1 (0xCF8/0xCFC) configuration access, bus 0 only. */
u32 pci_cf8_read(unsigned int dev, unsigned int fn, unsigned int off,
		 unsigned int len);
void pci_cf8_write(unsigned int dev, unsigned int fn, unsigned int off,
		   unsigned int len, u32 v);
/* ECAM (MCFG) access, when the firmware tables offer it. */
u32 pci_ecam_read(unsigned int dev, unsigned int fn, unsigned int off,
		  unsigned int len);
void pci_ecam_write(unsigned int dev, unsigned int fn, unsigned int off,
		    unsigned int len, u32 v);
/* ECAM when present, else 0xCF8: what a driver would use. */
u32 pci_read(unsigned int dev, unsigned int fn, unsigned int off,
	     unsigned int len);
void pci_write(unsigned int dev, unsigned int fn, unsigned int off,
	       unsigned int len, u32 v);
/* Offset of the first capability with id (after start, 0 = from the list). */
unsigned int pci_find_cap(unsigned int dev, unsigned int fn, u8 id,
			  unsigned int start);
u64 pci_bar_addr(unsigned int dev, unsigned int fn, unsigned int bar, bool *io);

/* Interrupts: IDT, LAPIC, IOAPIC. Counts per vector are observed. */
#define VEC_MSIX_BASE 0x40 /* one vector per (device, msix entry) */
#define VEC_IOAPIC_BASE 0x80 /* GSI 16-23 -> 0x80 + gsi */
extern volatile u32 irq_count[256];
void irq_init(void);
void irq_load_idt(void); /* on each CPU */
void ioapic_route(u32 gsi, u8 vector, bool masked);
static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}
/* Waits (interrupts on) up to ms for irq_count[vec] to exceed before. */
bool irq_wait(u8 vec, u32 before, u64 ms);
#endif
