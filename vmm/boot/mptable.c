// SPDX-License-Identifier: MIT
/*
 * Intel MultiProcessor Specification 1.4 tables. Without ACPI this is how
 * Linux learns about the vCPUs, the IOAPIC and the ISA interrupt routing.
 * The floating pointer sits at the start of the EBDA, one of the places
 * the kernel scans, and the configuration table follows it directly.
 */
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/layout.h"

#define MP_SPEC_REV 4 /* 1.4 */
#define MP_APIC_VERSION 0x14 /* integrated xAPIC */
#define MP_IOAPIC_VERSION 0x11
/* APIC ID 0xff is the broadcast ID, so 255 vCPUs (IDs 0-254) at most. */
#define MP_MAX_CPUS 255
#define MP_ISA_IRQS 16
/*
 * Pins 16-23 carry virtio-mmio devices (edge, active high, like ISA);
 * listing them is what makes Linux allocate their IRQs in MP-table mode.
 */
#define MP_IO_INTS LAYOUT_MMIO_GSI_END

#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS 1
#define MP_ENTRY_IOAPIC 2
#define MP_ENTRY_IO_INT 3
#define MP_ENTRY_LOCAL_INT 4

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01

#define MP_INT_INT 0
#define MP_INT_NMI 1
#define MP_INT_EXTINT 3
#define MP_IRQ_CONFORMING 0 /* polarity and trigger as the bus defines */

#define MP_BUS_PCI 0
#define MP_BUS_ISA 1
#define MP_ALL_LAPICS 0xff

/* Family 6, with FPU and APIC in the feature flags: a generic modern CPU. */
#define MP_CPU_SIGNATURE 0x600
#define MP_CPU_FEATURES ((1u << 0) | (1u << 9))

struct mp_floating_pointer {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5]; /* all 0: config table present, no IMCR */
} __attribute__((packed));

struct mp_config_table {
	char signature[4]; /* "PCMP" */
	uint16_t length; /* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t cpu_flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type;
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type;
	uint8_t id;
	uint8_t version;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

/* I/O (type 3) and local (type 4) interrupt entries share this layout. */
struct mp_interrupt {
	uint8_t type;
	uint8_t int_type;
	uint16_t flags;
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin;
} __attribute__((packed));

_Static_assert(sizeof(struct mp_floating_pointer) == 16, "MP spec 4.1");
_Static_assert(sizeof(struct mp_config_table) == 44, "MP spec 4.2");
_Static_assert(sizeof(struct mp_processor) == 20, "MP spec 4.3.1");
_Static_assert(sizeof(struct mp_bus) == 8, "MP spec 4.3.2");
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP spec 4.3.3");
_Static_assert(sizeof(struct mp_interrupt) == 8, "MP spec 4.3.4");

#define MP_FIXED_ENTRIES (2 + 1 + MP_IO_INTS + 2)
#define MP_SIZE(cpus)                                                          \
	(sizeof(struct mp_floating_pointer) + sizeof(struct mp_config_table) + \
	 (cpus) * sizeof(struct mp_processor) + 2 * sizeof(struct mp_bus) +    \
	 sizeof(struct mp_ioapic) +                                            \
	 (MP_IO_INTS + 2) * sizeof(struct mp_interrupt))

_Static_assert(MP_SIZE(MP_MAX_CPUS) <= LAYOUT_HIGH_MEMORY - LAYOUT_MPTABLE,
	       "the MP table for the maximum vCPU count must fit below 1 MiB");

/* Both structures must sum to zero, checksum byte included. */
static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)(0x100 - (sum & 0xff));
}

/* Appends one entry to the table being built. */
static void mp_put(uint8_t *buf, size_t *off, const void *ent, size_t len)
{
	memcpy(buf + *off, ent, len);
	*off += len;
}

static void mp_put_int(uint8_t *buf, size_t *off, uint8_t type,
		       uint8_t int_type, uint8_t src_bus, uint8_t src_irq,
		       uint8_t dst_apic, uint8_t dst_pin)
{
	struct mp_interrupt ent = {
		.type = type,
		.int_type = int_type,
		.flags = MP_IRQ_CONFORMING,
		.src_bus = src_bus,
		.src_irq = src_irq,
		.dst_apic = dst_apic,
		.dst_pin = dst_pin,
	};

	mp_put(buf, off, &ent, sizeof(ent));
}

static size_t mp_put_entries(uint8_t *buf, size_t off, unsigned int nr_cpus,
			     uint8_t ioapic_id)
{
	struct mp_bus pci = { .type = MP_ENTRY_BUS, .bus_id = MP_BUS_PCI };
	struct mp_bus isa = { .type = MP_ENTRY_BUS, .bus_id = MP_BUS_ISA };
	struct mp_ioapic ioapic = {
		.type = MP_ENTRY_IOAPIC,
		.id = ioapic_id,
		.version = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED,
		.addr = (uint32_t)LAYOUT_IOAPIC_BASE,
	};
	unsigned int i;

	/* memcpy: these fields are space-padded, not NUL-terminated. */
	memcpy(pci.bus_type, "PCI   ", sizeof(pci.bus_type));
	memcpy(isa.bus_type, "ISA   ", sizeof(isa.bus_type));
	for (i = 0; i < nr_cpus; i++) {
		struct mp_processor cpu = {
			.type = MP_ENTRY_PROCESSOR,
			.apic_id = (uint8_t)i,
			.apic_version = MP_APIC_VERSION,
			.cpu_flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.signature = MP_CPU_SIGNATURE,
			.features = MP_CPU_FEATURES,
		};

		mp_put(buf, &off, &cpu, sizeof(cpu));
	}
	mp_put(buf, &off, &pci, sizeof(pci));
	mp_put(buf, &off, &isa, sizeof(isa));
	mp_put(buf, &off, &ioapic, sizeof(ioapic));
	for (i = 0; i < MP_IO_INTS; i++)
		mp_put_int(buf, &off, MP_ENTRY_IO_INT, MP_INT_INT, MP_BUS_ISA,
			   (uint8_t)i, ioapic_id, (uint8_t)i);
	/* Virtual-wire mode: the PIC on LINT0 until the IOAPIC takes over. */
	mp_put_int(buf, &off, MP_ENTRY_LOCAL_INT, MP_INT_EXTINT, MP_BUS_ISA, 0,
		   MP_ALL_LAPICS, 0);
	mp_put_int(buf, &off, MP_ENTRY_LOCAL_INT, MP_INT_NMI, MP_BUS_ISA, 0,
		   MP_ALL_LAPICS, 1);
	return off;
}

int mptable_write(const struct guest_mem *m, unsigned int nr_cpus,
		  uint8_t ioapic_id, struct err *e)
{
	/* The largest table is a few KiB, so it is built on the stack. */
	uint8_t buf[MP_SIZE(MP_MAX_CPUS)];
	const size_t fp_len = sizeof(struct mp_floating_pointer);
	struct mp_floating_pointer fp = {
		.physptr = (uint32_t)(LAYOUT_MPTABLE + fp_len),
		.length = 1,
		.spec_rev = MP_SPEC_REV,
	};
	struct mp_config_table ct = {
		.spec_rev = MP_SPEC_REV,
		.lapic_addr = (uint32_t)LAYOUT_LAPIC_BASE,
	};
	size_t end;

	if (nr_cpus == 0)
		return err_set(e, "MP table needs at least one vCPU");
	if (nr_cpus > MP_MAX_CPUS)
		return err_set(
		    e, "%u vCPUs requested, the MP table supports at most %u",
		    nr_cpus, MP_MAX_CPUS);

	memcpy(fp.signature, "_MP_", sizeof(fp.signature));
	memcpy(ct.signature, "PCMP", sizeof(ct.signature));
	memcpy(ct.oem_id, "VIREO   ", sizeof(ct.oem_id));
	memcpy(ct.product_id, "VIREO VMM   ", sizeof(ct.product_id));

	memset(buf, 0, sizeof(buf));
	end = mp_put_entries(buf, fp_len + sizeof(ct), nr_cpus, ioapic_id);
	if (end > LAYOUT_HIGH_MEMORY - LAYOUT_MPTABLE)
		return err_set(e,
			       "MP table for %u vCPUs does not fit below 1 MiB",
			       nr_cpus);

	ct.length = (uint16_t)(end - fp_len);
	ct.entry_count = (uint16_t)(nr_cpus + MP_FIXED_ENTRIES);
	memcpy(buf + fp_len, &ct, sizeof(ct));
	buf[fp_len + offsetof(struct mp_config_table, checksum)] =
	    mp_checksum(buf + fp_len, ct.length);

	fp.checksum = mp_checksum((const uint8_t *)&fp, sizeof(fp));
	memcpy(buf, &fp, sizeof(fp));

	if (guest_mem_write(m, LAYOUT_MPTABLE, buf, end))
		return err_set(e, "MP table does not fit in guest RAM");
	return 0;
}
