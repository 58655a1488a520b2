// SPDX-License-Identifier: MIT
/*
 * ACPI tables (vmm/acpi/tables.c) and the AML emitter (vmm/acpi/aml.c):
 * emitter output against hand-checked bytes, every table's length and
 * checksum, the fields Linux relies on, and `iasl -d` disassembling each
 * table with no error or warning (acpica-tools; missing iasl fails).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/acpi/aml.h"
#include "vmm/acpi/tables.h"

#define GPA 0xe0000ull

static void assert_bytes(const struct aml *a, const uint8_t *want, size_t n)
{
	size_t i;

	cr_assert_not(a->oom);
	cr_assert_eq(a->len, n, "length %zu, expected %zu", a->len, n);
	for (i = 0; i < n; i++)
		cr_assert_eq(a->buf[i], want[i], "byte %zu: %#x, expected %#x",
			     i, a->buf[i], want[i]);
}

Test(aml, integers_use_the_smallest_encoding)
{
	static const uint8_t want[] = {
		0x00, 0x01, 0xff, 0x0a, 0x05, 0x0b, 0x34, 0x12,
		0x0c, 0x78, 0x56, 0x34, 0x12, 0x0e, 0x01, 0,
		0,    0,    1,	  0,	0,    0,
	};
	struct aml a;

	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, UINT64_MAX);
	aml_integer(&a, 5);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x100000001ull);
	assert_bytes(&a, want, sizeof(want));
	aml_free(&a);
}

Test(aml, names_and_strings)
{
	static const uint8_t want[] = {
		0x08, '_',  'H', 'I', 'D', 0x0d, 'L',  'N',
		'R',  'O',  '0', '0', '0', '5',	 0x00, /* Name(_HID, ...) */
		'\\', 0x2e, '_', 'S', 'B', '_',	 'P',  'C',
		'I',  '0',  '^', 'A', 'B', '_',	 '_', /* padded */
		'\\', 0x2f, 3,	 'A', '_', '_',	 '_',  'B',
		'_',  '_',  '_', 'C', '_', '_',	 '_',
	};
	struct aml a;

	aml_init(&a);
	aml_name(&a, "_HID");
	aml_string(&a, "LNRO0005");
	aml_namestring(&a, "\\_SB_.PCI0");
	aml_namestring(&a, "^AB");
	aml_namestring(&a, "\\A.B.C");
	assert_bytes(&a, want, sizeof(want));
	aml_free(&a);
}

Test(aml, eisaid)
{
	cr_assert_eq(aml_eisaid_value("PNP0A08"), 0x080ad041);
	cr_assert_eq(aml_eisaid_value("PNP0A03"), 0x030ad041);
	cr_assert_eq(aml_eisaid_value("PNP0C02"), 0x020cd041);
}

Test(aml, pkglength_encodings)
{
	uint8_t pl[4];

	cr_assert_eq(aml_pkglength(0, pl), 1);
	cr_assert_eq(pl[0], 1);
	cr_assert_eq(aml_pkglength(62, pl), 1);
	cr_assert_eq(pl[0], 63);
	/* 63 + 2 = 65 = 0x41: two bytes, low nibble 1, then 0x04. */
	cr_assert_eq(aml_pkglength(63, pl), 2);
	cr_assert_eq(pl[0], 0x41);
	cr_assert_eq(pl[1], 0x04);
	/* 4094 + 2 = 0xfff still fits two bytes; 4095 needs three. */
	cr_assert_eq(aml_pkglength(4093, pl), 2);
	cr_assert_eq(aml_pkglength(4094, pl), 3);
	cr_assert_eq(pl[0], 0x80 | 1);
	cr_assert_eq(pl[1], 0x00);
	cr_assert_eq(pl[2], 0x01);
}

Test(aml, package_scope_device_and_buffer)
{
	static const uint8_t want[] = {
		0x12,
		0x05,
		0x02,
		0x0a,
		0x05,
		0x00, /* Package(2){5, 0} */
		0x10,
		0x15,
		'_',
		'S',
		'B',
		'_', /* Scope(_SB_) */
		0x5b,
		0x82,
		0x0e,
		'D',
		'E',
		'V',
		'0', /* Device(DEV0) */
		/* Name(BUF_, Buffer(One){0x79}) */
		0x08,
		'B',
		'U',
		'F',
		'_',
		0x11,
		0x03,
		0x01,
		0x79,
	};
	struct aml a;
	uint8_t b = 0x79;

	aml_init(&a);
	aml_package_open(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_close(&a);
	aml_scope_open(&a, "_SB_");
	aml_device_open(&a, "DEV0");
	aml_name(&a, "BUF");
	aml_buffer(&a, &b, 1);
	aml_close(&a);
	aml_close(&a);
	assert_bytes(&a, want, sizeof(want));
	aml_free(&a);
}

Test(aml, long_bodies_get_multibyte_pkglength)
{
	uint8_t zero[100] = { 0 };
	struct aml a;

	aml_init(&a);
	aml_buffer(&a, zero, sizeof(zero));
	/* 0x11, PkgLength(2 + 2 + 100 = 0x68), 0x0a 0x64, data. */
	cr_assert_eq(a.len, 1 + 2 + 2 + 100);
	cr_assert_eq(a.buf[1], 0x48);
	cr_assert_eq(a.buf[2], 0x06);
	cr_assert_eq(a.buf[3], 0x0a);
	cr_assert_eq(a.buf[4], 100);
	aml_free(&a);
}

Test(aml, resource_descriptors)
{
	static const uint8_t want[] = {
		/* Memory32Fixed(ReadWrite, 0xd0000000, 0x1000) */
		0x86,
		0x09,
		0x00,
		0x01,
		0x00,
		0x00,
		0x00,
		0xd0,
		0x00,
		0x10,
		0x00,
		0x00,
		/*
		 * Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive){16}
		 */
		0x89,
		0x06,
		0x00,
		0x03,
		0x01,
		0x10,
		0x00,
		0x00,
		0x00,
		/* IO(Decode16, 0xcf8, 0xcf8, 1, 8) */
		0x47,
		0x01,
		0xf8,
		0x0c,
		0xf8,
		0x0c,
		0x01,
		0x08,
		/* WordBusNumber 0-0 */
		0x88,
		0x0d,
		0x00,
		0x02,
		0x0c,
		0x00,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0x01,
		0x00,
		/* DWordMemory 0xc0000000-0xdfffffff */
		0x87,
		0x17,
		0x00,
		0x00,
		0x0c,
		0x01,
		0,
		0,
		0,
		0,
		0x00,
		0x00,
		0x00,
		0xc0,
		0xff,
		0xff,
		0xff,
		0xdf,
		0,
		0,
		0,
		0,
		0x00,
		0x00,
		0x00,
		0x20,
		0x79,
		0x00,
	};
	struct aml a;

	aml_init(&a);
	aml_res_memory32_fixed(&a, 0xd0000000, 0x1000, true);
	aml_res_interrupt(&a, 16, true, false);
	aml_res_io(&a, 0xcf8, 0xcf8, 1, 8);
	aml_res_word_bus(&a, 0, 0);
	aml_res_dword_memory(&a, 0xc0000000, 0xdfffffff);
	aml_res_end(&a);
	assert_bytes(&a, want, sizeof(want));
	aml_free(&a);
}

/* ---- tables ---------------------------------------------------------- */

static const struct acpi_mmio_device mmio_devs[] = {
	{ 0xe0100000, 0x1000, 16 },
	{ 0xe0101000, 0x1000, 17 },
	{ 0xe0102000, 0x1000, 18 },
};

static struct acpi_config test_config(unsigned int cpus, bool ecam)
{
	return (struct acpi_config){
		.nr_cpus = cpus,
		.ioapic_id = (uint8_t)cpus,
		.ioapic_addr = 0xfec00000,
		.lapic_addr = 0xfee00000,
		.ecam_base = ecam ? 0xe0000000 : 0,
		.pci_mem_base = 0xc0000000,
		.pci_mem_size = 0x20000000,
		.pci_io_base = 0xc000,
		.pci_io_end = 0xffff,
		.sleep_control_port = 0x600,
		.sleep_status_port = 0x601,
		.pm1_evt_port = 0x604,
		.pm1_cnt_port = 0x608,
		.sci_irq = 9,
		.reset_port = 0xcf9,
		.reset_value = 6,
		.mmio = mmio_devs,
		.nr_mmio = 3,
	};
}

static const struct acpi_table_ref *find(const struct acpi_blob *b,
					 const char *sig)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		if (!strcmp(b->tables[i].signature, sig))
			return &b->tables[i];
	return NULL;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void build(struct acpi_blob *b, unsigned int cpus, bool ecam)
{
	struct acpi_config c = test_config(cpus, ecam);
	struct err e;

	cr_assert_eq(acpi_tables_build(&c, GPA, b, &e), 0, "%s", e.msg);
}

Test(acpi_tables, every_table_length_and_checksum)
{
	static const char *const sigs[] = { "XSDT", "DSDT", "FACP", "APIC",
					    "MCFG" };
	struct acpi_blob b;
	size_t i;

	build(&b, 2, true);
	cr_assert_eq(b.nr, 6);
	cr_assert_str_eq(b.tables[0].signature, "RSDP");
	cr_assert_eq(memcmp(b.data, "RSD PTR ", 8), 0);
	cr_assert_eq(acpi_checksum(b.data, 20), 0, "RSDP v1 checksum");
	cr_assert_eq(acpi_checksum(b.data, 36), 0, "RSDP extended checksum");
	cr_assert_eq(b.data[15], 2);
	cr_assert_eq(le32(b.data + 20), 36);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const struct acpi_table_ref *t = find(&b, sigs[i]);
		const uint8_t *p;

		cr_assert(t, "%s missing", sigs[i]);
		p = b.data + t->offset;
		cr_assert_eq(memcmp(p, sigs[i], 4), 0);
		cr_assert_eq(le32(p + 4), t->length, "%s length", sigs[i]);
		cr_assert_eq(acpi_checksum(p, t->length), 0, "%s checksum",
			     sigs[i]);
		cr_assert_eq(t->offset % 16, 0, "%s alignment", sigs[i]);
		cr_assert_leq(t->offset + t->length, b.len);
	}
	cr_assert_eq(find(&b, "FACP")->length, 276);
	cr_assert_eq(find(&b, "MCFG")->length, 36 + 8 + 16);
	/* MADT: header, 8, 2 CPUs x 8, IOAPIC 12, 15 ISOs x 10, NMI 6. */
	cr_assert_eq(find(&b, "APIC")->length, 36 + 8 + 16 + 12 + 150 + 6);
	acpi_blob_free(&b);
}

Test(acpi_tables, pointers_chain_rsdp_xsdt_fadt_dsdt)
{
	struct acpi_blob b;
	const uint8_t *xsdt, *fadt;
	unsigned int i;

	build(&b, 1, true);
	cr_assert_eq(le64(b.data + 24), GPA + find(&b, "XSDT")->offset);
	xsdt = b.data + find(&b, "XSDT")->offset;
	cr_assert_eq(le32(xsdt + 4), 36 + 3 * 8);
	cr_assert_eq(le64(xsdt + 36), GPA + find(&b, "FACP")->offset);
	cr_assert_eq(le64(xsdt + 44), GPA + find(&b, "APIC")->offset);
	cr_assert_eq(le64(xsdt + 52), GPA + find(&b, "MCFG")->offset);
	fadt = b.data + find(&b, "FACP")->offset;
	cr_assert_eq(le64(fadt + 140), GPA + find(&b, "DSDT")->offset);
	cr_assert_eq(le32(fadt + 40), GPA + find(&b, "DSDT")->offset);
	/* Not hardware-reduced (legacy PIC kept), reset register supported. */
	cr_assert_not(le32(fadt + 112) & (1u << 20));
	cr_assert(le32(fadt + 112) & (1u << 10));
	/* PWR_BUTTON clear: the fixed power button of the control API. */
	cr_assert_not(le32(fadt + 112) & (1u << 4));
	/* PM1a event/control blocks, SCI 9, FACS 64-byte aligned. */
	cr_assert_eq(fadt[46], 9);
	cr_assert_eq(le32(fadt + 56), 0x604);
	cr_assert_eq(le32(fadt + 64), 0x608);
	cr_assert_eq(fadt[88], 4);
	cr_assert_eq(fadt[89], 2);
	cr_assert_eq(le32(fadt + 36) % 64, 0);
	cr_assert_eq(le64(fadt + 132), le32(fadt + 36));
	cr_assert_eq(memcmp(b.data + le32(fadt + 36) - GPA, "FACS", 4), 0);
	/* RESET_REG: system I/O 0xcf9, value 6; sleep control/status. */
	cr_assert_eq(fadt[116], 1);
	cr_assert_eq(le64(fadt + 120), 0xcf9);
	cr_assert_eq(fadt[128], 6);
	cr_assert_eq(fadt[244], 1);
	cr_assert_eq(le64(fadt + 248), 0x600);
	cr_assert_eq(le64(fadt + 260), 0x601);
	for (i = 0; i < b.nr; i++)
		cr_assert_str_neq(b.tables[i].signature, "");
	acpi_blob_free(&b);
}

Test(acpi_tables, no_ecam_no_mcfg)
{
	struct acpi_blob b;

	build(&b, 1, false);
	cr_assert_null(find(&b, "MCFG"));
	cr_assert_eq(find(&b, "XSDT")->length, 36 + 2 * 8);
	acpi_blob_free(&b);
}

Test(acpi_tables, madt_lists_every_cpu)
{
	struct acpi_blob b;
	const uint8_t *madt;
	unsigned int i;

	build(&b, 255, true);
	madt = b.data + find(&b, "APIC")->offset;
	cr_assert_eq(le32(madt + 36), 0xfee00000);
	for (i = 0; i < 255; i++) {
		const uint8_t *e = madt + 44 + 8 * i;

		cr_assert_eq(e[0], 0);
		cr_assert_eq(e[1], 8);
		cr_assert_eq(e[3], i);
		cr_assert_eq(le32(e + 4), 1);
	}
	cr_assert_eq(madt[44 + 8 * 255], 1); /* IOAPIC */
	cr_assert_eq(madt[44 + 8 * 255 + 2], 255);
	cr_assert_eq(le32(madt + 44 + 8 * 255 + 4), 0xfec00000);
	/* ISA IRQs 0, 1, 3-15 overridden onto the same-numbered pins. */
	for (i = 0; i < 15; i++) {
		const uint8_t *e = madt + 44 + 8 * 255 + 12 + 10 * i;
		unsigned int irq = i < 2 ? i : i + 1;

		cr_assert_eq(e[0], 2);
		cr_assert_eq(e[1], 10);
		cr_assert_eq(e[2], 0);
		cr_assert_eq(e[3], irq);
		cr_assert_eq(le32(e + 4), irq);
		/* The SCI: level, active high, as vireo drives it. */
		cr_assert_eq(e[8] | e[9] << 8, irq == 9 ? 0x0d : 0);
	}
	acpi_blob_free(&b);
}

Test(acpi_tables, rejects_bad_cpu_counts)
{
	struct acpi_config c = test_config(0, true);
	struct acpi_blob b;
	struct err e;

	cr_assert_eq(acpi_tables_build(&c, GPA, &b, &e), -1);
	c.nr_cpus = 256;
	cr_assert_eq(acpi_tables_build(&c, GPA, &b, &e), -1);
}

/* Does the DSDT contain this byte string? */
static bool dsdt_has(const struct acpi_blob *b, const void *s, size_t n)
{
	const struct acpi_table_ref *t = find(b, "DSDT");
	size_t i;

	for (i = 0; i + n <= t->length; i++)
		if (!memcmp(b->data + t->offset + i, s, n))
			return true;
	return false;
}

Test(acpi_tables, dsdt_devices)
{
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12 };
	static const uint8_t mem2[] = { 0x86, 0x09, 0x00, 0x01,
					0x00, 0x20, 0x10, 0xe0 };
	static const uint8_t irq2[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 18 };
	struct acpi_blob b;

	build(&b, 1, true);
	cr_assert(dsdt_has(&b, s5, sizeof(s5)));
	cr_assert(dsdt_has(&b, "LNRO0005", 8));
	cr_assert(dsdt_has(&b, "VR02", 4));
	cr_assert(dsdt_has(&b, mem2, sizeof(mem2)));
	cr_assert(dsdt_has(&b, irq2, sizeof(irq2)));
	cr_assert(dsdt_has(&b, "PCI0", 4));
	acpi_blob_free(&b);
}

/*
 * `iasl -d` of each table: exit 0, and no error or warning anywhere. The
 * RSDP has no table header, which iasl -d does not take from a file; its
 * checksums and fields are checked above.
 */
Test(acpi_tables, iasl_disassembles_every_table_cleanly)
{
	char dir[] = "/tmp/vireo-acpi-XXXXXX";
	struct acpi_blob b;
	unsigned int i;

	cr_assert_eq(system("command -v iasl >/dev/null 2>&1"), 0,
		     "iasl not found: install acpica-tools (make deps)");
	cr_assert_not_null(mkdtemp(dir));
	build(&b, 2, true);
	for (i = 0; i < b.nr; i++) {
		const struct acpi_table_ref *t = &b.tables[i];
		char path[128], cmd[512], line[512];
		FILE *f;
		int bad = 0;

		if (!strcmp(t->signature, "RSDP"))
			continue;
		snprintf(path, sizeof(path), "%s/%s.dat", dir, t->signature);
		f = fopen(path, "wb");
		cr_assert_not_null(f);
		cr_assert_eq(fwrite(b.data + t->offset, 1, t->length, f),
			     t->length);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "cd %s && iasl -d %s.dat 2>&1 && cat %s.dsl", dir,
			 t->signature, t->signature);
		f = popen(cmd, "r");
		cr_assert_not_null(f);
		while (fgets(line, sizeof(line), f)) {
			if (strcasestr(line, "error") ||
			    strcasestr(line, "warning") ||
			    strcasestr(line, "invalid") ||
			    strcasestr(line, "incorrect") ||
			    strcasestr(line, "terminates")) {
				cr_log_info("iasl %s: %s", t->signature, line);
				bad++;
			}
		}
		cr_assert_eq(pclose(f), 0, "iasl -d %s failed", t->signature);
		cr_assert_eq(bad, 0, "iasl complained about %s", t->signature);
	}
	acpi_blob_free(&b);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_assert_eq(system(cmd), 0);
	}
}
