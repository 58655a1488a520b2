// SPDX-License-Identifier: MIT
/*
 * The PCI bus (bus/pci/pci.c) driven the way Linux drives it: type 1
 * configuration cycles through ports 0xCF8/0xCFC on a port bus, BAR sizing
 * and placement, command register decode, capability walking. A fake
 * function records the BAR accesses that reach it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bus/pci/pci.h"

#define PCT_MMIO_START 0xe0000000ULL
#define PCT_MMIO_END 0xf0000000ULL
#define PCT_SLOT 1 /* first slot after the host bridge */

#define PCT_IO_SIZE 0x40
#define PCT_M32_SIZE 0x1000
#define PCT_M64_SIZE 0x4000
/* Where pci_bus_plug() places them: I/O from 0xc000, MMIO in order. */
#define PCT_IO_ADDR 0xc000ULL
#define PCT_M32_ADDR PCT_MMIO_START
#define PCT_M64_ADDR (PCT_MMIO_START + PCT_M64_SIZE)

struct pct_bar_dev {
	unsigned int reads, writes;
	uint64_t last_offset;
};

struct pct_moved {
	int bar;
	uint64_t old_addr;
	bool old_mapped;
};

static struct {
	struct bus pio, mmio;
	struct pci_bus pb;
	struct pci_function fn;
	struct pct_bar_dev io, m32, m64;
	unsigned int nr_moved;
	struct pct_moved moved[16];
	unsigned int nr_cfg_written;
} pct;

static void pct_bar_read(void *opaque, uint64_t offset, void *data,
			 unsigned int len)
{
	struct pct_bar_dev *d = opaque;

	d->reads++;
	d->last_offset = offset;
	memset(data, 0x5a, len);
}

static void pct_bar_write(void *opaque, uint64_t offset, const void *data,
			  unsigned int len)
{
	struct pct_bar_dev *d = opaque;

	(void)data;
	(void)len;
	d->writes++;
	d->last_offset = offset;
}

static const struct bus_ops pct_bar_ops = {
	.read = pct_bar_read,
	.write = pct_bar_write,
};

static void pct_bar_moved(struct pci_function *fn, int bar, uint64_t old_addr,
			  bool old_mapped)
{
	cr_assert_eq(fn, &pct.fn);
	if (pct.nr_moved < sizeof(pct.moved) / sizeof(pct.moved[0]))
		pct.moved[pct.nr_moved] = (struct pct_moved){
			.bar = bar,
			.old_addr = old_addr,
			.old_mapped = old_mapped,
		};
	pct.nr_moved++;
}

static void pct_cfg_written(struct pci_function *fn, uint32_t offset,
			    unsigned int len)
{
	(void)fn;
	(void)offset;
	(void)len;
	pct.nr_cfg_written++;
}

static void pct_setup(void)
{
	struct err e;

	memset(&pct, 0, sizeof(pct));
	cr_assert_eq(bus_init(&pct.pio, "port"), 0);
	cr_assert_eq(bus_init(&pct.mmio, "mmio"), 0);
	cr_assert_eq(pci_bus_init(&pct.pb, &pct.pio, &pct.mmio, PCT_MMIO_START,
				  PCT_MMIO_END, &e),
		     0, "%s", e.msg);
}

static void pct_teardown(void)
{
	pci_bus_destroy(&pct.pb);
	bus_destroy(&pct.pio);
	bus_destroy(&pct.mmio);
}

/* A function with an I/O BAR 0, MEM32 BAR 1 and MEM64 BAR 2-3. */
static void pct_init_fn(void)
{
	pci_function_init(&pct.fn, "fake", 0x1af4, 0x1041, 0x020000, 0x01,
			  0x1af4, 0x0001);
	pci_function_set_bar(&pct.fn, 0, PCI_BAR_KIND_IO, PCT_IO_SIZE,
			     &pct_bar_ops, &pct.io);
	pci_function_set_bar(&pct.fn, 1, PCI_BAR_KIND_MEM32, PCT_M32_SIZE,
			     &pct_bar_ops, &pct.m32);
	pci_function_set_bar(&pct.fn, 2, PCI_BAR_KIND_MEM64, PCT_M64_SIZE,
			     &pct_bar_ops, &pct.m64);
	pct.fn.bars[0].moved = pct_bar_moved;
	pct.fn.bars[1].moved = pct_bar_moved;
	pct.fn.bars[2].moved = pct_bar_moved;
	pct.fn.cfg_written = pct_cfg_written;
}

static void pct_plug(void)
{
	struct err e;

	cr_assert_eq(pci_bus_plug(&pct.pb, &pct.fn, &e), 0, "%s", e.msg);
	cr_assert_eq(pct.fn.slot, PCT_SLOT);
	pct.nr_moved = 0;
	pct.nr_cfg_written = 0;
}

static void pct_setup_fn(void)
{
	pct_setup();
	pct_init_fn();
	pct_plug();
}

/* --- configuration mechanism #1, as arch/x86/pci/direct.c does it -------- */

static void pct_cf8(uint32_t v)
{
	cr_assert(bus_write(&pct.pio, PCI_CONFIG_ADDRESS_PORT, &v, 4));
}

static uint32_t pct_address(unsigned int bus, unsigned int slot,
			    unsigned int func, unsigned int reg)
{
	return 0x80000000u | bus << 16 | slot << 11 | func << 8 | (reg & 0xfc);
}

static uint32_t pct_read_bdf(unsigned int bus, unsigned int slot,
			     unsigned int func, unsigned int reg,
			     unsigned int len)
{
	uint32_t v = 0;

	pct_cf8(pct_address(bus, slot, func, reg));
	cr_assert(
	    bus_read(&pct.pio, PCI_CONFIG_DATA_PORT + (reg & 3), &v, len));
	return v;
}

static uint32_t pct_read(unsigned int slot, unsigned int reg, unsigned int len)
{
	return pct_read_bdf(0, slot, 0, reg, len);
}

static void pct_write(unsigned int slot, unsigned int reg, uint32_t v,
		      unsigned int len)
{
	pct_cf8(pct_address(0, slot, 0, reg));
	cr_assert(
	    bus_write(&pct.pio, PCI_CONFIG_DATA_PORT + (reg & 3), &v, len));
}

static bool pct_mmio_hits(uint64_t addr, struct pct_bar_dev *d, uint64_t offset)
{
	unsigned int before = d->reads;
	uint32_t v = 0;

	if (!bus_read(&pct.mmio, addr, &v, 4))
		return false;
	cr_assert_eq(d->reads, before + 1, "%#llx reached another device",
		     (unsigned long long)addr);
	cr_assert_eq(d->last_offset, offset);
	cr_assert_eq(v, 0x5a5a5a5a);
	return true;
}

static bool pct_pio_hits(uint64_t port, struct pct_bar_dev *d, uint64_t offset)
{
	unsigned int before = d->writes;
	uint8_t v = 0;

	if (!bus_write(&pct.pio, port, &v, 1))
		return false;
	cr_assert_eq(d->writes, before + 1);
	cr_assert_eq(d->last_offset, offset);
	return true;
}

TestSuite(pci, .init = pct_setup, .fini = pct_teardown, .timeout = 5);
TestSuite(pci_fn, .init = pct_setup_fn, .fini = pct_teardown, .timeout = 5);

/* --- host bridge and the config ports ------------------------------------ */

Test(pci, host_bridge_ids_through_ports)
{
	cr_assert_eq(pct_read(0, PCI_VENDOR_ID, 4), 0x00081b36);
	cr_assert_eq(pct_read(0, PCI_VENDOR_ID, 2), 0x1b36);
	cr_assert_eq(pct_read(0, PCI_DEVICE_ID, 2), 0x0008);
	cr_assert_eq(pct_read(0, 0, 1), 0x36);
	cr_assert_eq(pct_read(0, 1, 1), 0x1b);
	cr_assert_eq(pct_read(0, 2, 1), 0x08);
	cr_assert_eq(pct_read(0, 3, 1), 0x00);
	/* Class 06 (bridge) / 00 (host) / prog-if 00, revision 0. */
	cr_assert_eq(pct_read(0, PCI_REVISION_ID, 4), 0x06000000);
	cr_assert_eq(pct_read(0, PCI_CLASS_DEVICE, 2), 0x0600);
	cr_assert_eq(pct_read(0, 0x0b, 1), 0x06);
	cr_assert_eq(pct_read(0, 0x0a, 1), 0x00);
	cr_assert_eq(pct_read(0, PCI_HEADER_TYPE, 1), 0x00);
}

Test(pci, config_address_reads_back_for_type1_probe)
{
	uint32_t v = 0;

	/* pci_check_type1(): outl(0x80000000, 0xCF8); inl(0xCF8) == same. */
	pct_cf8(0x80000000u);
	cr_assert(bus_read(&pct.pio, PCI_CONFIG_ADDRESS_PORT, &v, 4));
	cr_assert_eq(v, 0x80000000u);
	/* Reserved low bits read as zero. */
	pct_cf8(0x80000803u);
	cr_assert(bus_read(&pct.pio, PCI_CONFIG_ADDRESS_PORT, &v, 4));
	cr_assert_eq(v, 0x80000800u);
}

Test(pci, absent_functions_read_all_ones)
{
	cr_assert_eq(pct_read(5, PCI_VENDOR_ID, 4), 0xffffffffu);
	cr_assert_eq(pct_read(5, PCI_VENDOR_ID, 2), 0xffff);
	cr_assert_eq(pct_read(5, 2, 1), 0xff);
	cr_assert_eq(pct_read(31, PCI_CLASS_DEVICE, 2), 0xffff);
	/* Function 1 of the host bridge, and bus 1, do not exist either. */
	cr_assert_eq(pct_read_bdf(0, 0, 1, 0, 4), 0xffffffffu);
	cr_assert_eq(pct_read_bdf(1, 0, 0, 0, 4), 0xffffffffu);
	/* Writing there goes nowhere and breaks nothing. */
	pct_write(5, PCI_COMMAND, 0xffff, 2);
	cr_assert_eq(pct_read(5, PCI_COMMAND, 2), 0xffff);
	cr_assert_eq(pct_read(0, PCI_VENDOR_ID, 2), 0x1b36);
}

Test(pci, config_data_needs_enable_bit)
{
	uint32_t v = 0;

	pct_cf8(0x00000000u);
	cr_assert(bus_read(&pct.pio, PCI_CONFIG_DATA_PORT, &v, 4));
	cr_assert_eq(v, 0xffffffffu);
}

Test(pci, config_data_access_must_fit_the_dword)
{
	uint32_t v = 0;

	pct_cf8(pct_address(0, 0, 0, 0));
	cr_assert(bus_read(&pct.pio, PCI_CONFIG_DATA_PORT + 2, &v, 4));
	cr_assert_eq(v, 0xffffffffu);
	cr_assert(bus_read(&pct.pio, PCI_CONFIG_DATA_PORT + 3, &v, 2));
	cr_assert_eq(v & 0xffff, 0xffff);
}

Test(pci, reset_port_cf9_is_not_pci)
{
	uint8_t b = 0x06;
	uint32_t v = 0;

	cr_assert_not(bus_write(&pct.pio, 0xcf9, &b, 1),
		      "PCI claimed the reset control port");
	cr_assert_not(bus_read(&pct.pio, 0xcf9, &b, 1));
	cr_assert_not(bus_write(&pct.pio, 0xcfa, &b, 1));
	cr_assert_not(bus_write(&pct.pio, 0xcfb, &b, 1));
	/* A byte write to 0xCF8 does not change CONFIG_ADDRESS. */
	pct_cf8(0x80000000u);
	b = 0x00;
	bus_write(&pct.pio, PCI_CONFIG_ADDRESS_PORT, &b, 1);
	cr_assert(bus_read(&pct.pio, PCI_CONFIG_ADDRESS_PORT, &v, 4));
	cr_assert_eq(v, 0x80000000u);
}

/* --- a plugged function -------------------------------------------------- */

Test(pci_fn, ids_and_placement)
{
	cr_assert_eq(pct_read(PCT_SLOT, PCI_VENDOR_ID, 4), 0x10411af4);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_REVISION_ID, 4), 0x02000001);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_SUBSYSTEM_VENDOR_ID, 4),
		     0x00011af4);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0, 4), PCT_IO_ADDR | PCI_BAR_IO);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0 + 4, 4), PCT_M32_ADDR);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0 + 8, 4),
		     PCT_M64_ADDR | PCI_BAR_MEM64);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0 + 12, 4), 0);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0 + 16, 4), 0);
	/* Decoding, as firmware leaves it. */
	cr_assert_eq(pct_read(PCT_SLOT, PCI_COMMAND, 2) &
			 (PCI_COMMAND_IO | PCI_COMMAND_MEMORY),
		     PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	cr_assert(pct_pio_hits(PCT_IO_ADDR + 3, &pct.io, 3));
	cr_assert(pct_mmio_hits(PCT_M32_ADDR + 0x10, &pct.m32, 0x10));
	cr_assert(pct_mmio_hits(PCT_M64_ADDR + PCT_M64_SIZE - 4, &pct.m64,
				PCT_M64_SIZE - 4));
	cr_assert_not(bus_read(&pct.mmio, PCT_M32_ADDR + PCT_M32_SIZE,
			       &(uint32_t){ 0 }, 4));
}

Test(pci_fn, second_function_gets_next_slot)
{
	static struct pci_function fn2;
	struct err e;

	pci_function_init(&fn2, "fake2", 0x1af4, 0x1044, 0xff0000, 0, 0, 0);
	cr_assert_eq(pci_bus_plug(&pct.pb, &fn2, &e), 0, "%s", e.msg);
	cr_assert_eq(fn2.slot, PCT_SLOT + 1);
	cr_assert_eq(pct_read(PCT_SLOT + 1, PCI_DEVICE_ID, 2), 0x1044);
}

/*
 * __pci_read_base(): decode off, save, write ~0, read the size mask,
 * restore, decode back on.
 */
static uint32_t pct_size_bar(unsigned int reg, bool decode_off)
{
	uint16_t cmd = (uint16_t)pct_read(PCT_SLOT, PCI_COMMAND, 2);
	uint32_t saved, sz;

	if (decode_off)
		pct_write(PCT_SLOT, PCI_COMMAND,
			  cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY), 2);
	saved = pct_read(PCT_SLOT, reg, 4);
	pct_write(PCT_SLOT, reg, 0xffffffffu, 4);
	sz = pct_read(PCT_SLOT, reg, 4);
	pct_write(PCT_SLOT, reg, saved, 4);
	cr_assert_eq(pct_read(PCT_SLOT, reg, 4), saved, "BAR not restored");
	if (decode_off)
		pct_write(PCT_SLOT, PCI_COMMAND, cmd, 2);
	return sz;
}

Test(pci_fn, size_io_bar)
{
	cr_assert_eq(pct_size_bar(PCI_BAR0, true),
		     ~(uint32_t)(PCT_IO_SIZE - 1) | PCI_BAR_IO);
	cr_assert(pct_pio_hits(PCT_IO_ADDR + 1, &pct.io, 1));
	/* Decode left on: sizing never maps the BAR at 0xffffffc0. */
	cr_assert_eq(pct_size_bar(PCI_BAR0, false),
		     ~(uint32_t)(PCT_IO_SIZE - 1) | PCI_BAR_IO);
	cr_assert(pct_pio_hits(PCT_IO_ADDR + 1, &pct.io, 1));
}

Test(pci_fn, size_io_bar_unmapped_while_sizing)
{
	pct_write(PCT_SLOT, PCI_BAR0, 0xffffffffu, 4);
	cr_assert_not(pct_pio_hits(PCT_IO_ADDR, &pct.io, 0));
	pct_write(PCT_SLOT, PCI_BAR0, (uint32_t)PCT_IO_ADDR, 4);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0, 4), PCT_IO_ADDR | PCI_BAR_IO,
		     "flag bit is read-only");
	cr_assert(pct_pio_hits(PCT_IO_ADDR, &pct.io, 0));
}

Test(pci_fn, size_mem32_bar)
{
	cr_assert_eq(pct_size_bar(PCI_BAR0 + 4, true),
		     ~(uint32_t)(PCT_M32_SIZE - 1));
	cr_assert(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));
	cr_assert_eq(pct_size_bar(PCI_BAR0 + 4, false),
		     ~(uint32_t)(PCT_M32_SIZE - 1));
	cr_assert(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));
}

Test(pci_fn, size_mem64_bar)
{
	uint16_t cmd = (uint16_t)pct_read(PCT_SLOT, PCI_COMMAND, 2);
	uint32_t lo, hi, szlo, szhi;

	pct_write(PCT_SLOT, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2);
	lo = pct_read(PCT_SLOT, PCI_BAR0 + 8, 4);
	hi = pct_read(PCT_SLOT, PCI_BAR0 + 12, 4);
	cr_assert_eq(lo, PCT_M64_ADDR | PCI_BAR_MEM64);
	cr_assert_eq(hi, 0);
	pct_write(PCT_SLOT, PCI_BAR0 + 8, 0xffffffffu, 4);
	pct_write(PCT_SLOT, PCI_BAR0 + 12, 0xffffffffu, 4);
	szlo = pct_read(PCT_SLOT, PCI_BAR0 + 8, 4);
	szhi = pct_read(PCT_SLOT, PCI_BAR0 + 12, 4);
	cr_assert_eq(szlo, ~(uint32_t)(PCT_M64_SIZE - 1) | PCI_BAR_MEM64);
	cr_assert_eq(szhi, 0xffffffffu);
	pct_write(PCT_SLOT, PCI_BAR0 + 8, lo, 4);
	pct_write(PCT_SLOT, PCI_BAR0 + 12, hi, 4);
	pct_write(PCT_SLOT, PCI_COMMAND, cmd, 2);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0 + 8, 4), lo);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0 + 12, 4), hi);
	cr_assert(pct_mmio_hits(PCT_M64_ADDR + 8, &pct.m64, 8));
	/* The other BARs did not move. */
	cr_assert(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));
}

Test(pci_fn, mem64_bar_above_4g)
{
	uint64_t addr = 0x800000000ULL + 0x4000;

	pct_write(PCT_SLOT, PCI_BAR0 + 12, (uint32_t)(addr >> 32), 4);
	pct_write(PCT_SLOT, PCI_BAR0 + 8, (uint32_t)addr, 4);
	cr_assert(pct_mmio_hits(addr + 0x10, &pct.m64, 0x10));
	cr_assert_not(bus_read(&pct.mmio, PCT_M64_ADDR, &(uint32_t){ 0 }, 4));
	cr_assert_eq(pct.fn.bars[2].addr, addr);
}

Test(pci_fn, read_only_registers_ignore_writes)
{
	static const unsigned int ro[] = {
		PCI_VENDOR_ID,
		PCI_REVISION_ID,
		PCI_HEADER_TYPE & ~3u,
		PCI_SUBSYSTEM_VENDOR_ID,
		PCI_CAPABILITY_LIST,
		0x30 /* ROM BAR */,
		0x40,
	};
	uint32_t before[sizeof(ro) / sizeof(ro[0])];
	size_t i;

	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		before[i] = pct_read(PCT_SLOT, ro[i], 4);
		pct_write(PCT_SLOT, ro[i], 0xffffffffu, 4);
		pct_write(PCT_SLOT, ro[i], 0, 4);
		pct_write(PCT_SLOT, ro[i] + 1, 0x5a, 1);
		pct_write(PCT_SLOT, ro[i] + 2, 0xa5a5, 2);
		cr_assert_eq(pct_read(PCT_SLOT, ro[i], 4), before[i],
			     "register %#x changed", ro[i]);
	}
	cr_assert_eq(pct_read(PCT_SLOT, PCI_VENDOR_ID, 4), 0x10411af4);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_REVISION_ID, 4), 0x02000001);
	/* Interrupt pin is read-only, interrupt line is scratch. */
	pct_write(PCT_SLOT, PCI_INTERRUPT_PIN, 0x4, 1);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_INTERRUPT_PIN, 1), 0);
	pct_write(PCT_SLOT, PCI_INTERRUPT_LINE, 0x0b, 1);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_INTERRUPT_LINE, 1), 0x0b);
	/* The host bridge too. */
	pct_write(0, PCI_VENDOR_ID, 0, 4);
	pct_write(0, PCI_REVISION_ID, 0, 4);
	cr_assert_eq(pct_read(0, PCI_VENDOR_ID, 4), 0x00081b36);
	cr_assert_eq(pct_read(0, PCI_REVISION_ID, 4), 0x06000000);
}

Test(pci_fn, command_register_writable_bits)
{
	pct_write(PCT_SLOT, PCI_COMMAND, 0xffff, 2);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_COMMAND, 2),
		     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_INTX_DISABLE);
	pct_write(PCT_SLOT, PCI_COMMAND, 0, 2);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_COMMAND, 2), 0);
	cr_assert_gt(pct.nr_cfg_written, 0, "cfg_written not called");
}

Test(pci_fn, status_write_one_to_clear)
{
	/* The device latched errors: parity, both aborts, SERR. */
	pct.fn.cfg[PCI_STATUS + 1] = 0xf9;
	pct.fn.cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	/* Writing 0 clears nothing, including via a dword command write. */
	pct_write(PCT_SLOT, PCI_STATUS, 0, 2);
	pct_write(PCT_SLOT, PCI_COMMAND,
		  PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 4);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_STATUS, 2), 0xf910);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_COMMAND, 2),
		     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* Write 1 clears exactly that bit. */
	pct_write(PCT_SLOT, PCI_STATUS, 0x0100, 2);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_STATUS, 2), 0xf810);
	pct_write(PCT_SLOT, PCI_STATUS + 1, 0x80, 1);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_STATUS, 2), 0x7810);
	/* All ones: every error bit clears, CAP_LIST (read-only) stays. */
	pct_write(PCT_SLOT, PCI_STATUS, 0xffff, 2);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_STATUS, 2), 0x0010);
	/* Status bits cannot be set by the guest. */
	pct.fn.cfg[PCI_STATUS + 1] = 0;
	pct_write(PCT_SLOT, PCI_COMMAND, 0xffff0000u | PCI_COMMAND_MEMORY, 4);
	cr_assert_eq(pct_read(PCT_SLOT, PCI_STATUS, 2), 0x0010);
}

Test(pci_fn, memory_decode_off_unmaps_mem_bars)
{
	pct_write(PCT_SLOT, PCI_COMMAND, PCI_COMMAND_IO, 2);
	cr_assert_not(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0),
		      "MEM32 BAR still decoded");
	cr_assert_not(pct_mmio_hits(PCT_M64_ADDR, &pct.m64, 0),
		      "MEM64 BAR still decoded");
	cr_assert(pct_pio_hits(PCT_IO_ADDR, &pct.io, 0), "I/O BAR lost");
	cr_assert_eq(pct.m32.reads + pct.m64.reads, 0);
	cr_assert_not(pct.fn.bars[1].mapped);
	/* The registers keep their values. */
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0 + 4, 4), PCT_M32_ADDR);

	pct_write(PCT_SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cr_assert_not(pct_pio_hits(PCT_IO_ADDR, &pct.io, 0),
		      "I/O BAR still decoded");
	cr_assert(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));
	cr_assert(pct_mmio_hits(PCT_M64_ADDR, &pct.m64, 0));
}

static const struct pct_moved *pct_last_moved(int bar)
{
	for (unsigned int i = pct.nr_moved; i-- > 0;)
		if (pct.moved[i].bar == bar)
			return &pct.moved[i];
	return NULL;
}

Test(pci_fn, bar_move_remaps_and_notifies)
{
	const uint64_t new_addr = PCT_MMIO_START + 0x100000;
	const struct pct_moved *m;

	/* Decode off: unmapped, moved() told it was mapped at the old place. */
	pct_write(PCT_SLOT, PCI_COMMAND, PCI_COMMAND_IO, 2);
	m = pct_last_moved(1);
	cr_assert_not_null(m, "moved() not called on unmap");
	cr_assert_eq(m->old_addr, PCT_M32_ADDR);
	cr_assert(m->old_mapped);

	/* New address while off: still not decoded anywhere. */
	pct_write(PCT_SLOT, PCI_BAR0 + 4, (uint32_t)new_addr, 4);
	cr_assert_not(pct_mmio_hits(new_addr, &pct.m32, 0));
	cr_assert_not(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));

	/* Decode on: mapped at the new address only. */
	pct.nr_moved = 0;
	pct_write(PCT_SLOT, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY,
		  2);
	cr_assert(pct_mmio_hits(new_addr + 0x20, &pct.m32, 0x20));
	cr_assert_not(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));
	cr_assert_eq(pct.fn.bars[1].addr, new_addr);
	cr_assert(pct.fn.bars[1].mapped);
	m = pct_last_moved(1);
	cr_assert_not_null(m, "moved() not called on remap");
	cr_assert_not(m->old_mapped);
	/* BARs that did not change are not reported. */
	cr_assert_null(pct_last_moved(0));

	/* Moving while decoded: old address released in the same step. */
	pct.nr_moved = 0;
	pct_write(PCT_SLOT, PCI_BAR0 + 4, (uint32_t)PCT_M32_ADDR, 4);
	cr_assert(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));
	cr_assert_not(pct_mmio_hits(new_addr, &pct.m32, 0));
	m = pct_last_moved(1);
	cr_assert_not_null(m);
	cr_assert_eq(m->old_addr, new_addr);
	cr_assert(m->old_mapped);
}

Test(pci_fn, io_decode_off_unmaps_io_bar)
{
	pct_write(PCT_SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	cr_assert_not(pct_pio_hits(PCT_IO_ADDR, &pct.io, 0));
	pct_write(PCT_SLOT, PCI_BAR0, 0xd000, 4);
	pct_write(PCT_SLOT, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO,
		  2);
	cr_assert(pct_pio_hits(0xd000 + 2, &pct.io, 2));
	cr_assert_not(pct_pio_hits(PCT_IO_ADDR, &pct.io, 0));
	/* The config ports themselves are untouched. */
	cr_assert_eq(pct_read(PCT_SLOT, PCI_BAR0, 4), 0xd000 | PCI_BAR_IO);
}

Test(pci_fn, bar_overlapping_another_bar_is_not_mapped)
{
	/* Put BAR 1 on top of BAR 2: the second mapping is refused. */
	pct_write(PCT_SLOT, PCI_BAR0 + 4, (uint32_t)PCT_M64_ADDR, 4);
	cr_assert_not(pct.fn.bars[1].mapped);
	cr_assert(pct_mmio_hits(PCT_M64_ADDR, &pct.m64, 0));
	/* And moving it back maps it again. */
	pct_write(PCT_SLOT, PCI_BAR0 + 4, (uint32_t)PCT_M32_ADDR, 4);
	cr_assert(pct.fn.bars[1].mapped);
	cr_assert(pct_mmio_hits(PCT_M32_ADDR, &pct.m32, 0));
}

/* --- capabilities -------------------------------------------------------- */

/* Walks the list as pci_find_capability() does; returns the count. */
static unsigned int pct_walk_caps(unsigned int slot, uint8_t *ids,
				  uint8_t *offs, unsigned int max)
{
	unsigned int n = 0, ttl = 48;
	uint8_t pos;

	cr_assert(pct_read(slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	pos = (uint8_t)pct_read(slot, PCI_CAPABILITY_LIST, 1);
	while (pos && ttl--) {
		cr_assert_geq(pos, 0x40, "capability inside the header");
		cr_assert_eq(pos & 3, 0, "capability %#x misaligned", pos);
		cr_assert_lt(n, max);
		ids[n] = (uint8_t)pct_read(slot, pos, 1);
		offs[n] = pos;
		n++;
		pos = (uint8_t)pct_read(slot, pos + 1, 1);
	}
	cr_assert_gt(ttl, 0, "capability loop");
	return n;
}

Test(pci, capability_list_well_formed)
{
	uint8_t ids[8], offs[8], o1, o2, o3;
	unsigned int n;

	pct_init_fn();
	cr_assert_eq(pct.fn.cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST, 0);
	cr_assert_eq(pct.fn.cfg[PCI_CAPABILITY_LIST], 0);
	o1 = pci_function_add_cap(&pct.fn, 0x11, 12); /* MSI-X */
	o2 = pci_function_add_cap(&pct.fn, 0x09, 17); /* vendor, odd length */
	o3 = pci_function_add_cap(&pct.fn, 0x09, 16);
	cr_assert_eq(o1, 0x40);
	cr_assert_geq(o2, o1 + 12);
	cr_assert_geq(o3, o2 + 17);
	pct.fn.cfg[o2 + 2] = 17; /* the device fills its own body */
	pct_plug();

	n = pct_walk_caps(PCT_SLOT, ids, offs, 8);
	cr_assert_eq(n, 3);
	cr_assert_eq(ids[0], 0x11);
	cr_assert_eq(ids[1], 0x09);
	cr_assert_eq(ids[2], 0x09);
	cr_assert_eq(offs[0], o1);
	cr_assert_eq(offs[1], o2);
	cr_assert_eq(offs[2], o3);
	cr_assert_eq(pct_read(PCT_SLOT, o2 + 2, 1), 17);
	/* The chain is read-only to the guest. */
	pct_write(PCT_SLOT, PCI_CAPABILITY_LIST, 0x80, 1);
	pct_write(PCT_SLOT, o1, 0xffffffffu, 4);
	n = pct_walk_caps(PCT_SLOT, ids, offs, 8);
	cr_assert_eq(n, 3);
	cr_assert_eq(ids[0], 0x11);
}

Test(pci, capability_space_runs_out)
{
	uint8_t ids[8], offs[8];

	pct_init_fn();
	cr_assert_eq(pci_function_add_cap(&pct.fn, 0x09, 0xbc), 0x40);
	/* Exactly fills the space up to 0x100. */
	cr_assert_eq(pci_function_add_cap(&pct.fn, 0x05, 4), 0xfc);
	cr_assert_eq(pci_function_add_cap(&pct.fn, 0x09, 4), 0, "past 256");
	cr_assert_eq(pci_function_add_cap(&pct.fn, 0x09, 1), 0, "past 256");
	pct_plug();
	cr_assert_eq(pct_walk_caps(PCT_SLOT, ids, offs, 8), 2);
	cr_assert_eq(ids[1], 0x05);
}

Test(pci, capability_too_big_is_refused)
{
	pct_init_fn();
	cr_assert_eq(pci_function_add_cap(&pct.fn, 0x09, 0xc4), 0);
	cr_assert_eq(pct.fn.cfg[PCI_CAPABILITY_LIST], 0);
	cr_assert_eq(pci_function_add_cap(&pct.fn, 0x09, 0x10), 0x40);
}

/* --- accessor bounds ------------------------------------------------------ */

Test(pci_fn, config_access_beyond_256_bytes)
{
	uint8_t snapshot[PCI_CFG_SIZE];

	cr_assert_eq(pci_cfg_read(&pct.fn, 0xfc, 4),
		     pct_read(PCT_SLOT, 0xfc, 4));
	cr_assert_eq(pci_cfg_read(&pct.fn, 0xff, 1), 0);
	cr_assert_eq(pci_cfg_read(&pct.fn, 0x100, 1), 0xffffffffu);
	cr_assert_eq(pci_cfg_read(&pct.fn, 0x100, 4), 0xffffffffu);
	cr_assert_eq(pci_cfg_read(&pct.fn, 0xfe, 4), 0xffffffffu);
	cr_assert_eq(pci_cfg_read(&pct.fn, 0xfff, 4), 0xffffffffu);
	/* offset + len wraps around 32 bits: still out of range. */
	cr_assert_eq(pci_cfg_read(&pct.fn, 0xfffffffeu, 4), 0xffffffffu);
	cr_assert_eq(pci_cfg_read(&pct.fn, 0xffffffffu, 2), 0xffffffffu);

	memcpy(snapshot, pct.fn.cfg, sizeof(snapshot));
	pci_cfg_write(&pct.fn, 0x100, 0xffffffffu, 4);
	pci_cfg_write(&pct.fn, 0xfe, 0xffffffffu, 4);
	pci_cfg_write(&pct.fn, 0xfffffffeu, 0xffffffffu, 4);
	cr_assert_eq(memcmp(snapshot, pct.fn.cfg, sizeof(snapshot)), 0);
}

/* --- ECAM (the MCFG window) ---------------------------------------------- */

#define PCT_ECAM 0xd0000000ULL

static uint32_t pct_ecam_read(unsigned int slot, unsigned int func,
			      uint32_t reg, unsigned int len)
{
	uint32_t v = 0;

	cr_assert(bus_read(
	    &pct.mmio, PCT_ECAM + ((uint64_t)slot << 15) + (func << 12) + reg,
	    &v, len));
	return v;
}

Test(pci_fn, ecam_reads_and_writes_the_same_config_space)
{
	struct err e;
	uint32_t v = PCI_COMMAND_MEMORY;

	cr_assert_eq(pci_bus_enable_ecam(&pct.pb, PCT_ECAM, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(pct.pb.ecam_base, PCT_ECAM);
	cr_assert_eq(pct_ecam_read(0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	cr_assert_eq(pct_ecam_read(0, 0, PCI_DEVICE_ID, 2), 0x0008);
	cr_assert_eq(pct_ecam_read(PCT_SLOT, 0, PCI_VENDOR_ID, 4),
		     pct_read(PCT_SLOT, PCI_VENDOR_ID, 4));
	/* Absent slots and functions read all ones; extended space zero. */
	cr_assert_eq(pct_ecam_read(7, 0, PCI_VENDOR_ID, 4), 0xffffffffu);
	cr_assert_eq(pct_ecam_read(0, 1, PCI_VENDOR_ID, 2), 0xffff);
	cr_assert_eq(pct_ecam_read(0, 0, 0x100, 4), 0);
	/* A write through ECAM is seen through 0xCF8/0xCFC. */
	cr_assert(bus_write(&pct.mmio,
			    PCT_ECAM + ((uint64_t)PCT_SLOT << 15) + PCI_COMMAND,
			    &v, 2));
	cr_assert_eq(pct_read(PCT_SLOT, PCI_COMMAND, 2) & 0x7,
		     PCI_COMMAND_MEMORY);
}

/* Defect 4: the upper half of an 8-byte ECAM read was stale host data. */
Test(pci_fn, ecam_8_byte_read_is_two_dwords)
{
	struct err e;
	uint64_t v;
	uint32_t lo, hi;

	cr_assert_eq(pci_bus_enable_ecam(&pct.pb, PCT_ECAM, &e), 0, "%s",
		     e.msg);
	for (unsigned int slot = 0; slot < 3; slot++) {
		uint64_t base = PCT_ECAM + ((uint64_t)slot << 15);

		memset(&v, 0xa5, sizeof(v));
		cr_assert(bus_read(&pct.mmio, base, &v, 8));
		lo = pct_ecam_read(slot, 0, 0, 4);
		hi = pct_ecam_read(slot, 0, 4, 4);
		cr_assert_eq(v, lo | (uint64_t)hi << 32,
			     "slot %u: %#llx, dwords %#x %#x", slot,
			     (unsigned long long)v, lo, hi);
	}
	/* Extended space reads zero, all eight bytes of it. */
	memset(&v, 0xa5, sizeof(v));
	cr_assert(bus_read(&pct.mmio, PCT_ECAM + 0x100, &v, 8));
	cr_assert_eq(v, 0);
	/* An 8-byte write is two dword writes. */
	v = PCI_COMMAND_MEMORY;
	cr_assert(bus_write(&pct.mmio,
			    PCT_ECAM + ((uint64_t)PCT_SLOT << 15) + PCI_COMMAND,
			    &v, 8));
	cr_assert_eq(pct_read(PCT_SLOT, PCI_COMMAND, 2) & 0x7,
		     PCI_COMMAND_MEMORY);
}
