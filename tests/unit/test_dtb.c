// SPDX-License-Identifier: MIT
/*
 * The device tree builder (vmm/fdt/dtb.c), its setup_data hand-off and the
 * --dtb configuration check (vmm/fdt/dtb_boot.c): every tree is read back
 * node by node with libfdt (1 and 4 CPUs, 0-8 virtio-mmio devices, with and
 * without the 8250), and `dtc` (device-tree-compiler; missing dtc fails)
 * decompiles it with no warning and recompiles it to the same tree.
 */
#include <criterion/criterion.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "vmm/boot/boot.h"
#include "vmm/fdt/dtb.h"
#include "vmm/fdt/dtb_boot.h"
#include "vmm/layout.h"

#define TDT_MMIO_BASE 0xe0000000ull
#define TDT_BOOTARGS "console=ttyS0 reboot=k panic=-1"

static const struct dtb_uart tdt_uart = {
	.port = 0x3f8,
	.irq = 4,
	.clock_hz = 1843200,
};

struct tdt_machine {
	struct dtb_config c;
	struct dtb_mmio_device mmio[DTB_MAX_MMIO_DEVICES];
};

static void tdt_machine(struct tdt_machine *t, unsigned int cpus,
			unsigned int nr_mmio, bool uart)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->c.nr_cpus = cpus;
	t->c.mem[0] = (struct dtb_mem_range){ 0, 3ull << 30 };
	t->c.mem[1] = (struct dtb_mem_range){ 1ull << 32, 1ull << 30 };
	t->c.nr_mem = 2;
	t->c.lapic_addr = LAYOUT_LAPIC_BASE;
	t->c.ioapic_addr = LAYOUT_IOAPIC_BASE;
	t->c.uart = uart ? &tdt_uart : NULL;
	t->c.bootargs = TDT_BOOTARGS;
	for (i = 0; i < nr_mmio; i++)
		t->mmio[i] = (struct dtb_mmio_device){
			.base = TDT_MMIO_BASE + i * 0x1000ull,
			.size = 0x1000,
			.gsi = 16 + i % 8,
		};
	t->c.mmio = t->mmio;
	t->c.nr_mmio = nr_mmio;
}

static void *tdt_build(const struct dtb_config *c, size_t *len)
{
	struct err e = { "" };
	void *blob = NULL;

	cr_assert_eq(dtb_build(c, &blob, len, &e), 0, "%s", e.msg);
	cr_assert_eq(fdt_check_header(blob), 0);
	cr_assert_eq(fdt_totalsize(blob), *len);
	return blob;
}

/* The property as big-endian cells; asserts its exact cell count. */
static void tdt_cells(const void *fdt, int node, const char *name,
		      uint32_t *out, int n)
{
	int len = -1, i;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	cr_assert(p, "%s: no property %s", fdt_get_name(fdt, node, NULL), name);
	cr_assert_eq(len, n * 4, "%s/%s: %d bytes, expected %d",
		     fdt_get_name(fdt, node, NULL), name, len, n * 4);
	for (i = 0; i < n; i++)
		out[i] = fdt32_to_cpu(p[i]);
}

static uint32_t tdt_u32(const void *fdt, int node, const char *name)
{
	uint32_t v;

	tdt_cells(fdt, node, name, &v, 1);
	return v;
}

static const char *tdt_str(const void *fdt, int node, const char *name)
{
	int len = -1;
	const char *s = fdt_getprop(fdt, node, name, &len);

	cr_assert(s, "no property %s", name);
	cr_assert(len > 0 && s[len - 1] == 0, "%s is not a string", name);
	return s;
}

static int tdt_node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	cr_assert_geq(off, 0, "no node %s", path);
	return off;
}

static void tdt_reg64(const void *fdt, int node, uint64_t base, uint64_t size)
{
	uint32_t r[4];

	tdt_cells(fdt, node, "reg", r, 4);
	cr_assert_eq(((uint64_t)r[0] << 32) | r[1], base);
	cr_assert_eq(((uint64_t)r[2] << 32) | r[3], size);
}

static void tdt_check_tree(const void *fdt, unsigned int cpus,
			   unsigned int nr_mmio, bool uart)
{
	uint32_t cells[3];
	int root = tdt_node(fdt, "/"), off, ioapic, n;
	unsigned int i;
	char path[64];

	cr_assert_eq(tdt_u32(fdt, root, "#address-cells"), 2);
	cr_assert_eq(tdt_u32(fdt, root, "#size-cells"), 2);
	cr_assert_eq(tdt_u32(fdt, root, "interrupt-parent"),
		     DTB_PHANDLE_IOAPIC);

	off = tdt_node(fdt, "/chosen");
	cr_assert_str_eq(tdt_str(fdt, off, "bootargs"), TDT_BOOTARGS);
	if (uart) {
		cr_assert_str_eq(tdt_str(fdt, off, "stdout-path"),
				 "serial0:115200n8");
		cr_assert_str_eq(fdt_get_alias(fdt, "serial0"),
				 "/isa/serial@i3f8");
	} else {
		cr_assert_null(fdt_getprop(fdt, off, "stdout-path", NULL));
		cr_assert_null(fdt_get_alias(fdt, "serial0"));
	}

	off = tdt_node(fdt, "/memory@0");
	cr_assert_str_eq(tdt_str(fdt, off, "device_type"), "memory");
	tdt_reg64(fdt, off, 0, 3ull << 30);
	tdt_reg64(fdt, tdt_node(fdt, "/memory@100000000"), 1ull << 32,
		  1ull << 30);

	off = tdt_node(fdt, "/cpus");
	cr_assert_eq(tdt_u32(fdt, off, "#address-cells"), 1);
	cr_assert_eq(tdt_u32(fdt, off, "#size-cells"), 0);
	n = 0;
	fdt_for_each_subnode(off, fdt, tdt_node(fdt, "/cpus"))
	{
		cr_assert_str_eq(tdt_str(fdt, off, "device_type"), "cpu");
		/* reg is the APIC ID; CPUs come in APIC ID order. */
		cr_assert_eq(tdt_u32(fdt, off, "reg"), (uint32_t)n);
		n++;
	}
	cr_assert_eq(n, (int)cpus);

	off = fdt_node_offset_by_compatible(fdt, -1, "intel,ce4100-lapic");
	cr_assert_geq(off, 0);
	tdt_reg64(fdt, off, LAYOUT_LAPIC_BASE, 0x1000);
	cr_assert_lt(
	    fdt_node_offset_by_compatible(fdt, off, "intel,ce4100-lapic"), 0,
	    "a second local APIC node");

	ioapic = fdt_node_offset_by_compatible(fdt, -1, "intel,ce4100-ioapic");
	cr_assert_geq(ioapic, 0);
	tdt_reg64(fdt, ioapic, LAYOUT_IOAPIC_BASE, 0x1000);
	cr_assert_not_null(
	    fdt_getprop(fdt, ioapic, "interrupt-controller", NULL));
	cr_assert_eq(tdt_u32(fdt, ioapic, "#interrupt-cells"), 2);
	cr_assert_eq(fdt_get_phandle(fdt, ioapic), DTB_PHANDLE_IOAPIC);
	cr_assert_eq(fdt_node_offset_by_phandle(fdt, DTB_PHANDLE_IOAPIC),
		     ioapic);

	off = fdt_path_offset(fdt, "/isa/serial@i3f8");
	if (uart) {
		cr_assert_geq(off, 0);
		cr_assert_str_eq(tdt_str(fdt, off, "compatible"), "ns16550a");
		tdt_cells(fdt, off, "reg", cells, 3);
		cr_assert_eq(cells[0], 1, "not in ISA I/O space");
		cr_assert_eq(cells[1], 0x3f8);
		cr_assert_eq(cells[2], 8);
		tdt_cells(fdt, off, "interrupts", cells, 2);
		cr_assert_eq(cells[0], 4);
		cr_assert_eq(cells[1], DTB_IOAPIC_EDGE_RISING);
		cr_assert_eq(tdt_u32(fdt, off, "clock-frequency"), 1843200);
		off = tdt_node(fdt, "/isa");
		cr_assert_eq(tdt_u32(fdt, off, "#address-cells"), 2);
		cr_assert_eq(tdt_u32(fdt, off, "#size-cells"), 1);
	} else {
		cr_assert_lt(off, 0);
		cr_assert_lt(fdt_path_offset(fdt, "/isa"), 0);
	}

	n = 0;
	fdt_for_each_subnode(off, fdt, root)
	{
		if (fdt_node_check_compatible(fdt, off, "virtio,mmio"))
			continue;
		snprintf(path, sizeof(path), "virtio@%llx",
			 TDT_MMIO_BASE + n * 0x1000ull);
		cr_assert_str_eq(fdt_get_name(fdt, off, NULL), path);
		tdt_reg64(fdt, off, TDT_MMIO_BASE + n * 0x1000ull, 0x1000);
		tdt_cells(fdt, off, "interrupts", cells, 2);
		cr_assert_eq(cells[0], 16u + (unsigned int)n % 8);
		cr_assert_eq(cells[1], DTB_IOAPIC_EDGE_RISING);
		cr_assert_not_null(fdt_getprop(fdt, off, "dma-coherent", NULL));
		n++;
	}
	cr_assert_eq(n, (int)nr_mmio);
	for (i = 0; i < nr_mmio; i++) {
		snprintf(path, sizeof(path), "/virtio@%llx",
			 TDT_MMIO_BASE + i * 0x1000ull);
		/* Interrupts resolve to the IOAPIC through the root. */
		off = tdt_node(fdt, path);
		cr_assert_null(fdt_getprop(fdt, off, "interrupt-parent", NULL));
	}
}

Test(dtb, read_back_node_by_node)
{
	static const unsigned int cpus[] = { 1, 4 };
	unsigned int c, nr_mmio, uart;

	for (c = 0; c < 2; c++)
		for (nr_mmio = 0; nr_mmio <= 8; nr_mmio++)
			for (uart = 0; uart < 2; uart++) {
				struct tdt_machine t;
				size_t len;
				void *fdt;

				tdt_machine(&t, cpus[c], nr_mmio, uart);
				fdt = tdt_build(&t.c, &len);
				tdt_check_tree(fdt, cpus[c], nr_mmio, uart);
				free(fdt);
			}
}

Test(dtb, max_cpus_and_devices)
{
	struct tdt_machine t;
	size_t len;
	void *fdt;
	int off, n = 0;

	tdt_machine(&t, DTB_MAX_CPUS, DTB_MAX_MMIO_DEVICES, true);
	fdt = tdt_build(&t.c, &len);
	fdt_for_each_subnode(off, fdt, tdt_node(fdt, "/cpus"))
	{
		cr_assert_eq(tdt_u32(fdt, off, "reg"), (uint32_t)n);
		n++;
	}
	cr_assert_eq(n, DTB_MAX_CPUS);
	free(fdt);
}

Test(dtb, no_bootargs_no_property)
{
	struct tdt_machine t;
	size_t len;
	void *fdt;

	tdt_machine(&t, 1, 0, false);
	t.c.bootargs = NULL;
	fdt = tdt_build(&t.c, &len);
	cr_assert_null(
	    fdt_getprop(fdt, tdt_node(fdt, "/chosen"), "bootargs", NULL));
	free(fdt);
}

static void tdt_refused(const struct dtb_config *c, const char *needle)
{
	struct err e = { "" };
	void *blob = (void *)1;
	size_t len = 0;

	cr_assert_eq(dtb_build(c, &blob, &len, &e), -1);
	cr_assert(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg,
		  needle);
	cr_assert_eq(blob, (void *)1, "output touched on failure");
}

Test(dtb, refuses_what_it_cannot_encode)
{
	struct tdt_machine t;

	tdt_machine(&t, 0, 0, true);
	tdt_refused(&t.c, "0 CPUs");
	tdt_machine(&t, DTB_MAX_CPUS + 1, 0, true);
	tdt_refused(&t.c, "CPUs");
	tdt_machine(&t, 1, 0, true);
	t.c.nr_mem = 0;
	tdt_refused(&t.c, "memory ranges");
	tdt_machine(&t, 1, 0, true);
	t.c.mem[1].base = UINT64_MAX - 10;
	tdt_refused(&t.c, "wraps");
	tdt_machine(&t, 1, 2, true);
	t.mmio[1].gsi = 24;
	tdt_refused(&t.c, "GSI 24");
	tdt_machine(&t, 1, 1, true);
	t.c.nr_mmio = DTB_MAX_MMIO_DEVICES + 1;
	tdt_refused(&t.c, "virtio-mmio devices");
	tdt_machine(&t, 1, 1, true);
	t.mmio[0].size = 0;
	tdt_refused(&t.c, "empty or wrapping");
}

/* Runs cmd; returns its exit status, output in out (NUL-terminated). */
static int tdt_run(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	cr_assert(f, "popen %s", cmd);
	n = fread(out, 1, size - 1, f);
	out[n] = 0;
	return pclose(f);
}

static void tdt_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/*
 * dtc's own checks (node names vs reg, cell counts, interrupt providers,
 * phandles) see the tree; any warning fails. DTS -> DTB -> DTS must give
 * the same source.
 */
Test(dtb, dtc_round_trip_without_warnings)
{
	static const unsigned int cases[][3] = {
		{ 1, 0, 0 }, { 1, 1, 1 }, { 4, 3, 1 }, { 4, 8, 1 }, { 4, 8, 0 },
	};
	char dir[] = "/tmp/vireo-dtb-XXXXXX", cmd[512], *dts1, *dts2;
	size_t i;

	cr_assert_eq(system("command -v dtc >/dev/null 2>&1"), 0,
		     "dtc not found: install device-tree-compiler (make deps)");
	cr_assert(mkdtemp(dir));
	dts1 = malloc(65536);
	dts2 = malloc(65536);
	cr_assert(dts1 && dts2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tdt_machine t;
		char path[64];
		size_t len;
		void *fdt;

		tdt_machine(&t, cases[i][0], cases[i][1], cases[i][2]);
		fdt = tdt_build(&t.c, &len);
		snprintf(path, sizeof(path), "%s/a.dtb", dir);
		tdt_write(path, fdt, len);
		free(fdt);

		/* stderr only: any output at all is a warning. */
		snprintf(cmd, sizeof(cmd),
			 "dtc -I dtb -O dts -o %s/a.dts %s/a.dtb 2>&1", dir,
			 dir);
		cr_assert_eq(tdt_run(cmd, dts1, 65536), 0, "dtc: %s", dts1);
		cr_assert_str_empty(dts1, "dtc warned: %s", dts1);
		snprintf(cmd, sizeof(cmd),
			 "dtc -I dts -O dtb -o %s/b.dtb %s/a.dts 2>&1", dir,
			 dir);
		cr_assert_eq(tdt_run(cmd, dts1, 65536), 0, "dtc: %s", dts1);
		cr_assert_str_empty(dts1, "dtc warned on its own source: %s",
				    dts1);
		snprintf(cmd, sizeof(cmd), "cat %s/a.dts", dir);
		cr_assert_eq(tdt_run(cmd, dts1, 65536), 0);
		snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s/b.dtb", dir);
		cr_assert_eq(tdt_run(cmd, dts2, 65536), 0);
		cr_assert_str_eq(dts1, dts2);
		cr_assert(strstr(dts1, "compatible = \"intel,ce4100-ioapic\""));
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	free(dts1);
	free(dts2);
}

#define TDT_RAM (1ull << 20)

Test(dtb_boot, setup_data_header_then_blob)
{
	struct guest_mem m = { 0 };
	uint8_t *ram = malloc(TDT_RAM), blob[100];
	struct err e = { "" };
	uint64_t next;
	uint32_t type, len;

	cr_assert(ram);
	memset(ram, 0xcc, TDT_RAM);
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	cr_assert_eq(guest_mem_add_region(&m, 0, TDT_RAM, ram), 0);
	cr_assert_eq(dtb_setup_data_write(&m, LAYOUT_SETUP_DATA,
					  LAYOUT_SETUP_DATA_MAX, blob,
					  sizeof(blob), &e),
		     0, "%s", e.msg);
	/* struct setup_data: u64 next, u32 type, u32 len, then data. */
	memcpy(&next, ram + LAYOUT_SETUP_DATA, 8);
	memcpy(&type, ram + LAYOUT_SETUP_DATA + 8, 4);
	memcpy(&len, ram + LAYOUT_SETUP_DATA + 12, 4);
	cr_assert_eq(next, 0);
	cr_assert_eq(type, 2, "SETUP_DTB is 2");
	cr_assert_eq(len, sizeof(blob));
	cr_assert_eq(memcmp(ram + LAYOUT_SETUP_DATA + 16, blob, sizeof(blob)),
		     0);
	cr_assert_eq(ram[LAYOUT_SETUP_DATA + 16 + sizeof(blob)], 0xcc);

	/* Too big for its window, or outside RAM: refused, nothing written. */
	memset(ram, 0xcc, TDT_RAM);
	cr_assert_eq(
	    dtb_setup_data_write(&m, 0x1000, 16 + 99, blob, sizeof(blob), &e),
	    -1);
	cr_assert(strstr(e.msg, "does not fit"), "%s", e.msg);
	cr_assert_eq(ram[0x1000], 0xcc);
	cr_assert_eq(dtb_setup_data_write(&m, TDT_RAM - 64, 4096, blob,
					  sizeof(blob), &e),
		     -1);
	cr_assert(strstr(e.msg, "outside guest RAM"), "%s", e.msg);
	free(ram);
}

/* hdr.setup_data is at 0x250 in struct boot_params (boot protocol 2.09+). */
Test(dtb_boot, zero_page_points_at_setup_data)
{
	struct guest_mem m = { 0 };
	uint8_t *ram = calloc(1, TDT_RAM);
	struct boot_e820_entry e820 = { .addr = 0, .size = TDT_RAM, .type = 1 };
	struct boot_tables t = { .e820 = &e820, .nr_e820 = 1 };
	struct kernel_info ki = { 0 };
	struct err e = { "" };
	uint64_t v;

	cr_assert(ram);
	cr_assert_eq(guest_mem_add_region(&m, 0, TDT_RAM, ram), 0);
	cr_assert_eq(zero_page_write(&m, &ki, &t, &e), 0, "%s", e.msg);
	memcpy(&v, ram + LAYOUT_ZERO_PAGE + 0x250, 8);
	cr_assert_eq(v, 0);
	t.setup_data = LAYOUT_SETUP_DATA;
	cr_assert_eq(zero_page_write(&m, &ki, &t, &e), 0, "%s", e.msg);
	memcpy(&v, ram + LAYOUT_ZERO_PAGE + 0x250, 8);
	cr_assert_eq(v, LAYOUT_SETUP_DATA);
	free(ram);
}

static struct vm_config tdt_cfg(void)
{
	return (struct vm_config){ .nr_cpus = 1,
				   .transport = VM_TRANSPORT_MMIO,
				   .dtb = true };
}

Test(dtb_boot, config_check_refuses_pci_devices_and_pvh)
{
	struct vm_config cfg = tdt_cfg();
	struct err e = { "" };

	cfg.rng = true;
	cfg.nr_disks = 1;
	cfg.console = VM_CONSOLE_VIRTIO;
	cr_assert_eq(dtb_config_check(&cfg, &e), 0, "%s", e.msg);
	cfg.transport = VM_TRANSPORT_MMIO_LEGACY;
	cr_assert_eq(dtb_config_check(&cfg, &e), 0, "%s", e.msg);

	/* No virtio device at all: the default PCI transport is moot. */
	cfg = tdt_cfg();
	cfg.transport = VM_TRANSPORT_PCI;
	cr_assert_eq(dtb_config_check(&cfg, &e), 0, "%s", e.msg);

	cfg.rng = true;
	cr_assert_eq(dtb_config_check(&cfg, &e), -1);
	cr_assert(strstr(e.msg, "virtio rng device is on PCI"), "%s", e.msg);
	cr_assert(strstr(e.msg, "no PCI host bridge node"), "%s", e.msg);

	cfg.transport_overrides[0] =
	    (struct vm_transport_override){ "rng", VM_TRANSPORT_MMIO };
	cfg.nr_transport_overrides = 1;
	cr_assert_eq(dtb_config_check(&cfg, &e), 0, "%s", e.msg);
	cfg.nr_nets = 1;
	cr_assert_eq(dtb_config_check(&cfg, &e), -1);
	cr_assert(strstr(e.msg, "virtio net device"), "%s", e.msg);

	cfg = tdt_cfg();
	cfg.pvh_entry = true;
	cr_assert_eq(dtb_config_check(&cfg, &e), -1);
	cr_assert(strstr(e.msg, "--pvh"), "%s", e.msg);
}

Test(dtb_cli, dtb_and_dump_dtb_replace_acpi)
{
	char *dtb[] = { "vireo", "run", "--kernel", "k", "--dtb", NULL };
	char *dump[] = { "vireo",      "run",	       "--kernel", "k",
			 "--dump-dtb", "/tmp/out.dtb", NULL };
	char *plain[] = { "vireo", "run", "--kernel", "k", NULL };
	enum cli_action action;
	struct vm_config cfg;
	struct err e = { "" };

	cr_assert_eq(cli_parse(4, plain, &cfg, &action, &e), 0, "%s", e.msg);
	cr_assert(cfg.acpi);
	cr_assert_not(cfg.dtb);
	cr_assert_null(cfg.dump_dtb_path);

	cr_assert_eq(cli_parse(5, dtb, &cfg, &action, &e), 0, "%s", e.msg);
	cr_assert(cfg.dtb);
	cr_assert_not(cfg.acpi, "ACPI and the tree would both list the CPUs");
	cr_assert_null(cfg.dump_dtb_path);

	cr_assert_eq(cli_parse(6, dump, &cfg, &action, &e), 0, "%s", e.msg);
	cr_assert(cfg.dtb);
	cr_assert_not(cfg.acpi);
	cr_assert_str_eq(cfg.dump_dtb_path, "/tmp/out.dtb");
}
