// SPDX-License-Identifier: MIT
#include "vmm/acpi/tables.h"

#include <stdlib.h>
#include <string.h>

#include "vmm/acpi/aml.h"

#define ACPI_HEADER_SIZE 36
#define RSDP_SIZE 36
#define FADT_SIZE 276 /* revision 6 */
#define FADT_REVISION 6
#define FADT_MINOR_VERSION 4
#define MADT_REVISION 5
#define DSDT_REVISION 2

/* FADT field offsets (ACPI 6.4, table 5.9). */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR 131
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL 244
#define FADT_SLEEP_STATUS 256
#define FADT_HYPERVISOR_ID 268

#define FADT_F_SLP_BUTTON (1u << 5)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define IAPC_BOOT_ARCH_8042 (1u << 1)
#define IAPC_BOOT_ARCH_NO_VGA (1u << 2)

#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

#define MADT_PCAT_COMPAT 1
#define MADT_LOCAL_APIC 0
#define MADT_IOAPIC 1
#define MADT_INT_OVERRIDE 2
#define MADT_LOCAL_APIC_NMI 4
#define MADT_ENABLED 1
#define MADT_ISA_IRQS 16
/*
 * The SCI is level-triggered, active high (as vireo drives the line);
 * without this Linux would take ISA's edge default from the entry.
 */
#define MADT_SCI_FLAGS 0x000d

/* Local APIC NMI flags: active high, edge. */
#define MADT_NMI_FLAGS 0x5

static const char oem_id[6] = { 'V', 'I', 'R', 'E', 'O', ' ' };

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

static void set_checksum(uint8_t *p, size_t len, size_t field)
{
	p[field] = 0;
	p[field] = (uint8_t)(0x100 - acpi_checksum(p, len));
}

static void align16(struct aml *a)
{
	static const uint8_t zero[16];

	aml_bytes(a, zero, (16 - (a->len & 15)) & 15);
}

/* Appends a header (length and checksum filled by table_end). */
static size_t table_begin(struct aml *a, struct acpi_blob *b, const char *sig,
			  uint8_t revision)
{
	uint8_t h[ACPI_HEADER_SIZE] = { 0 };
	size_t off;

	align16(a);
	off = a->len;
	memcpy(h, sig, 4);
	h[8] = revision;
	memcpy(h + 10, oem_id, 6);
	memcpy(h + 16, "VIREO   ", 8);
	memcpy(h + 16 + 5, sig, 3); /* OEM table ID "VIREOFAC" etc. */
	put_le(h + 24, 1, 4); /* OEM revision */
	memcpy(h + 28, "VIRO", 4); /* creator ID */
	put_le(h + 32, 1, 4); /* creator revision */
	aml_bytes(a, h, sizeof(h));
	if (b->nr < ACPI_MAX_TABLES) {
		memcpy(b->tables[b->nr].signature, sig, 4);
		b->tables[b->nr].offset = off;
		b->nr++;
	}
	return off;
}

/* Length and checksum of the table at off, which ends at end. */
static void table_seal(struct aml *a, struct acpi_blob *b, size_t off,
		       size_t end)
{
	unsigned int i;

	if (a->oom)
		return;
	put_le(a->buf + off + 4, end - off, 4);
	set_checksum(a->buf + off, end - off, 9);
	for (i = 0; i < b->nr; i++)
		if (b->tables[i].offset == off)
			b->tables[i].length = end - off;
}

static void table_end(struct aml *a, struct acpi_blob *b, size_t off)
{
	table_seal(a, b, off, a->len);
}

static void put_gas_io(uint8_t *p, uint16_t port, uint8_t bits, uint8_t access)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	put_le(p + 4, port, 8);
}

/* Name(_CRS, ResourceTemplate(){...}) from the descriptors in res. */
static void name_crs(struct aml *a, struct aml *res)
{
	aml_res_end(res);
	aml_name(a, "_CRS");
	aml_buffer(a, res->buf, res->len);
	a->oom |= res->oom;
	aml_free(res);
}

static void build_dsdt_body(struct aml *a, const struct acpi_config *c)
{
	struct aml res;
	unsigned int i;

	/* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved. */
	aml_name(a, "\\_S5_");
	aml_package_open(a, 4);
	aml_integer(a, ACPI_S5_SLEEP_TYPE);
	aml_integer(a, ACPI_S5_SLEEP_TYPE);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_close(a);

	aml_scope_open(a, "\\_SB_");

	aml_device_open(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_init(&res);
	aml_res_word_bus(&res, 0, 0);
	aml_res_io(&res, 0xcf8, 0xcf8, 1, 8);
	aml_res_word_io(&res, 0x0000, 0x0cf7);
	aml_res_word_io(&res, 0x0d00, 0xffff);
	aml_res_dword_memory(&res, c->pci_mem_base,
			     c->pci_mem_base + c->pci_mem_size - 1);
	name_crs(a, &res);
	aml_close(a);

	if (c->ecam_base) {
		/* Motherboard resources: Linux wants ECAM reserved here. */
		aml_device_open(a, "MRES");
		aml_name(a, "_HID");
		aml_eisaid(a, "PNP0C02");
		aml_name(a, "_UID");
		aml_integer(a, 0);
		aml_init(&res);
		aml_res_memory32_fixed(&res, (uint32_t)c->ecam_base, 0x100000,
				       true);
		name_crs(a, &res);
		aml_close(a);
	}

	for (i = 0; i < c->nr_mmio; i++) {
		char name[5];
		static const char hex[] = "0123456789ABCDEF";

		name[0] = 'V';
		name[1] = 'R';
		name[2] = hex[(i >> 4) & 0xf];
		name[3] = hex[i & 0xf];
		name[4] = 0;
		aml_device_open(a, name);
		aml_name(a, "_HID");
		aml_string(a, "LNRO0005");
		aml_name(a, "_UID");
		aml_integer(a, i);
		aml_init(&res);
		aml_res_memory32_fixed(&res, (uint32_t)c->mmio[i].base,
				       (uint32_t)c->mmio[i].size, true);
		aml_res_interrupt(&res, c->mmio[i].gsi, true, false);
		name_crs(a, &res);
		aml_close(a);
	}
	aml_close(a);
}

static void build_fadt(struct aml *a, struct acpi_blob *b,
		       const struct acpi_config *c, uint64_t dsdt_gpa,
		       uint64_t facs_gpa)
{
	uint8_t f[FADT_SIZE - ACPI_HEADER_SIZE] = { 0 };
	size_t off = table_begin(a, b, "FACP", FADT_REVISION);
	const size_t h = ACPI_HEADER_SIZE;

	put_le(f + FADT_DSDT - h, dsdt_gpa, 4);
	put_le(f + FADT_FIRMWARE_CTRL - h, facs_gpa, 4);
	put_le(f + FADT_X_FIRMWARE_CTRL - h, facs_gpa, 8);
	/* PM1 event and control blocks (SMI_CMD 0: always in ACPI mode). */
	put_le(f + FADT_SCI_INT - h, c->sci_irq, 2);
	put_le(f + FADT_PM1A_EVT_BLK - h, c->pm1_evt_port, 4);
	put_le(f + FADT_PM1A_CNT_BLK - h, c->pm1_cnt_port, 4);
	f[FADT_PM1_EVT_LEN - h] = 4;
	f[FADT_PM1_CNT_LEN - h] = 2;
	put_gas_io(f + FADT_X_PM1A_EVT_BLK - h, c->pm1_evt_port, 32, 0);
	put_gas_io(f + FADT_X_PM1A_CNT_BLK - h, c->pm1_cnt_port, 16, 0);
	put_le(f + FADT_IAPC_BOOT_ARCH - h,
	       IAPC_BOOT_ARCH_8042 | IAPC_BOOT_ARCH_NO_VGA, 2);
	/*
	 * Not hardware-reduced: a hardware-reduced x86 Linux drops the legacy
	 * PIC, so it maps no ISA IRQ to a fixed number and the 8250 on IRQ 4
	 * (ttyS0, found without ACPI) never gets its interrupt. The PM1
	 * blocks carry S5 instead; the sleep registers stay for reference.
	 */
	/*
	 * PWR_BUTTON clear: the power button is the fixed-feature one in the
	 * PM1 block (PWRBTN_STS), which vireo's control API presses.
	 */
	put_le(f + FADT_FLAGS - h, FADT_F_RESET_REG_SUP | FADT_F_SLP_BUTTON, 4);
	put_gas_io(f + FADT_RESET_REG - h, c->reset_port, 8, GAS_ACCESS_BYTE);
	f[FADT_RESET_VALUE - h] = c->reset_value;
	f[FADT_MINOR - h] = FADT_MINOR_VERSION;
	put_le(f + FADT_X_DSDT - h, dsdt_gpa, 8);
	put_gas_io(f + FADT_SLEEP_CONTROL - h, c->sleep_control_port, 8,
		   GAS_ACCESS_BYTE);
	put_gas_io(f + FADT_SLEEP_STATUS - h, c->sleep_status_port, 8,
		   GAS_ACCESS_BYTE);
	memcpy(f + FADT_HYPERVISOR_ID - h, "VIREOVMM", 8);
	aml_bytes(a, f, sizeof(f));
	table_end(a, b, off);
}

/* FACS: 64 bytes, 64-byte aligned, no checksum; nothing in it is used. */
static size_t build_facs(struct aml *a)
{
	static const uint8_t zero[64];
	uint8_t facs[64] = { 'F', 'A', 'C', 'S', 64 };
	size_t off;

	aml_bytes(a, zero, (64 - (a->len & 63)) & 63);
	off = a->len;
	facs[32] = 2; /* version */
	aml_bytes(a, facs, sizeof(facs));
	return off;
}

static void build_madt(struct aml *a, struct acpi_blob *b,
		       const struct acpi_config *c)
{
	size_t off = table_begin(a, b, "APIC", MADT_REVISION);
	uint8_t hdr[8], e[12];
	unsigned int i;

	put_le(hdr, c->lapic_addr, 4);
	put_le(hdr + 4, MADT_PCAT_COMPAT, 4);
	aml_bytes(a, hdr, sizeof(hdr));
	for (i = 0; i < c->nr_cpus; i++) {
		memset(e, 0, sizeof(e));
		e[0] = MADT_LOCAL_APIC;
		e[1] = 8;
		e[2] = (uint8_t)i; /* processor UID */
		e[3] = (uint8_t)i; /* APIC ID */
		put_le(e + 4, MADT_ENABLED, 4);
		aml_bytes(a, e, 8);
	}
	memset(e, 0, sizeof(e));
	e[0] = MADT_IOAPIC;
	e[1] = 12;
	e[2] = c->ioapic_id;
	put_le(e + 4, c->ioapic_addr, 4);
	put_le(e + 8, 0, 4); /* GSI base */
	aml_bytes(a, e, 12);
	/*
	 * ISA IRQs on the IOAPIC pins of the same number, as the MP table
	 * routes them (flags 0: the ISA bus defaults, edge/active high);
	 * Linux's default, spelled out.
	 */
	for (i = 0; i < MADT_ISA_IRQS; i++) {
		if (i == 2)
			continue; /* the PIC cascade: nothing behind it */
		memset(e, 0, sizeof(e));
		e[0] = MADT_INT_OVERRIDE;
		e[1] = 10;
		e[2] = 0; /* ISA */
		e[3] = (uint8_t)i; /* IRQ */
		put_le(e + 4, i, 4); /* GSI */
		put_le(e + 8, i == c->sci_irq ? MADT_SCI_FLAGS : 0, 2);
		aml_bytes(a, e, 10);
	}
	/* NMI on LINT1 of every local APIC. */
	memset(e, 0, sizeof(e));
	e[0] = MADT_LOCAL_APIC_NMI;
	e[1] = 6;
	e[2] = 0xff;
	put_le(e + 3, MADT_NMI_FLAGS, 2);
	e[5] = 1;
	aml_bytes(a, e, 6);
	table_end(a, b, off);
}

static void build_mcfg(struct aml *a, struct acpi_blob *b,
		       const struct acpi_config *c)
{
	size_t off = table_begin(a, b, "MCFG", 1);
	uint8_t e[8 + 16] = { 0 };

	put_le(e + 8, c->ecam_base, 8);
	put_le(e + 16, 0, 2); /* segment */
	e[18] = 0; /* start bus */
	e[19] = 0; /* end bus */
	aml_bytes(a, e, sizeof(e));
	table_end(a, b, off);
}

int acpi_tables_build(const struct acpi_config *c, uint64_t gpa,
		      struct acpi_blob *out, struct err *e)
{
	uint8_t rsdp[RSDP_SIZE] = { 0 };
	struct aml a;
	size_t xsdt, xsdt_end, dsdt, facs, fadt, madt, mcfg = 0, entries;
	unsigned int nr_entries = c->ecam_base ? 3 : 2;

	memset(out, 0, sizeof(*out));
	out->gpa = gpa;
	if (c->nr_cpus == 0 || c->nr_cpus > 255)
		return err_set(e, "ACPI: %u vCPUs, the MADT holds 1 to 255",
			       c->nr_cpus);
	if (c->nr_mmio > ACPI_MAX_MMIO_DEVICES)
		return err_set(e, "ACPI: too many virtio-mmio devices");
	aml_init(&a);

	/* RSDP first, so its address is the blob's base. */
	memcpy(out->tables[0].signature, "RSDP", 4);
	out->tables[0].length = RSDP_SIZE;
	out->nr = 1;
	aml_bytes(&a, rsdp, sizeof(rsdp));

	xsdt = table_begin(&a, out, "XSDT", 1);
	entries = a.len;
	for (unsigned int i = 0; i < nr_entries; i++)
		aml_bytes(&a, (uint8_t[8]){ 0 }, 8);
	xsdt_end = a.len;

	dsdt = table_begin(&a, out, "DSDT", DSDT_REVISION);
	build_dsdt_body(&a, c);
	table_end(&a, out, dsdt);
	facs = build_facs(&a);
	build_fadt(&a, out, c, gpa + dsdt, gpa + facs);
	fadt = out->tables[out->nr - 1].offset;
	build_madt(&a, out, c);
	madt = out->tables[out->nr - 1].offset;
	if (c->ecam_base) {
		build_mcfg(&a, out, c);
		mcfg = out->tables[out->nr - 1].offset;
	}
	if (a.oom) {
		aml_free(&a);
		return err_set(e, "ACPI: out of memory building the tables");
	}

	put_le(a.buf + entries, gpa + fadt, 8);
	put_le(a.buf + entries + 8, gpa + madt, 8);
	if (mcfg)
		put_le(a.buf + entries + 16, gpa + mcfg, 8);
	table_seal(&a, out, xsdt, xsdt_end);

	memcpy(a.buf, "RSD PTR ", 8);
	memcpy(a.buf + 9, oem_id, 6);
	a.buf[15] = 2; /* revision: ACPI 2.0+ */
	put_le(a.buf + 20, RSDP_SIZE, 4);
	put_le(a.buf + 24, gpa + xsdt, 8);
	set_checksum(a.buf, 20, 8);
	set_checksum(a.buf, RSDP_SIZE, 32);

	out->data = a.buf;
	out->len = a.len;
	return 0;
}

void acpi_blob_free(struct acpi_blob *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int acpi_tables_write(const struct guest_mem *m, const struct acpi_blob *b,
		      struct err *e)
{
	if (guest_mem_write(m, b->gpa, b->data, b->len))
		return err_set(e, "ACPI tables do not fit in guest RAM");
	return 0;
}
