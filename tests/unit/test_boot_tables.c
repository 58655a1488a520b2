// SPDX-License-Identifier: MIT
/*
 * Boot tables: E820, command line, zero page, PVH start info, MP table and
 * page tables. Structures are read back at the offsets their specs give,
 * not through the implementation's own struct definitions.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/layout.h"

#define TBT_RAM_SIZE (2ULL << 20)
#define TBT_FILL 0xcc
#define TBT_MIB (1ULL << 20)
#define TBT_GIB (1ULL << 30)

struct tbt_ctx {
	struct guest_mem m;
	uint8_t *ram;
	struct err e;
};

static void tbt_init(struct tbt_ctx *c, uint64_t size)
{
	memset(c, 0, sizeof(*c));
	c->ram = malloc(size);
	cr_assert(c->ram);
	/* Stale bytes everywhere, so that missing zeroing shows. */
	memset(c->ram, TBT_FILL, size);
	cr_assert_eq(guest_mem_add_region(&c->m, 0, size, c->ram), 0);
}

static void tbt_fini(struct tbt_ctx *c)
{
	free(c->ram);
}

static uint8_t tbt_u8(const struct tbt_ctx *c, uint64_t gpa)
{
	return c->ram[gpa];
}

static uint16_t tbt_u16(const struct tbt_ctx *c, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, c->ram + gpa, sizeof(v));
	return v;
}

static uint32_t tbt_u32(const struct tbt_ctx *c, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, c->ram + gpa, sizeof(v));
	return v;
}

static uint64_t tbt_u64(const struct tbt_ctx *c, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, c->ram + gpa, sizeof(v));
	return v;
}

static uint8_t tbt_sum(const struct tbt_ctx *c, uint64_t gpa, size_t len)
{
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += c->ram[gpa + i];
	return (uint8_t)(sum & 0xff);
}

static void tbt_assert_e820(const struct boot_e820_entry *ent, uint64_t addr,
			    uint64_t size, uint32_t type)
{
	cr_assert_eq(ent->addr, addr, "addr 0x%llx != 0x%llx",
		     (unsigned long long)ent->addr, (unsigned long long)addr);
	cr_assert_eq(ent->size, size, "size 0x%llx != 0x%llx",
		     (unsigned long long)ent->size, (unsigned long long)size);
	cr_assert_eq(ent->type, type);
}

/* ---- E820 ---- */

Test(boot_tables, e820_low_ram_only)
{
	struct boot_e820_entry map[8];
	int n = e820_build(512 * TBT_MIB, 0, map, 8);

	cr_assert_eq(n, 3);
	tbt_assert_e820(&map[0], 0, LAYOUT_EBDA_START, 1);
	tbt_assert_e820(&map[1], LAYOUT_EBDA_START, TBT_MIB - LAYOUT_EBDA_START,
			2);
	tbt_assert_e820(&map[2], TBT_MIB, 511 * TBT_MIB, 1);
}

Test(boot_tables, e820_with_high_ram)
{
	struct boot_e820_entry map[8];
	int n = e820_build(3 * TBT_GIB, 2 * TBT_GIB, map, 8);

	cr_assert_eq(n, 4);
	tbt_assert_e820(&map[2], TBT_MIB, 3 * TBT_GIB - TBT_MIB, 1);
	tbt_assert_e820(&map[3], 4 * TBT_GIB, 2 * TBT_GIB, 1);
}

Test(boot_tables, e820_sorted_and_disjoint)
{
	struct boot_e820_entry map[8];
	int n = e820_build(3 * TBT_GIB, TBT_GIB, map, 8), i;

	cr_assert_gt(n, 1);
	for (i = 1; i < n; i++)
		cr_assert_leq(map[i - 1].addr + map[i - 1].size, map[i].addr);
}

Test(boot_tables, e820_max_too_small)
{
	struct boot_e820_entry map[4];

	cr_assert_eq(e820_build(512 * TBT_MIB, 0, map, 2), -1);
	cr_assert_eq(e820_build(512 * TBT_MIB, TBT_GIB, map, 3), -1);
	cr_assert_eq(e820_build(512 * TBT_MIB, TBT_GIB, map, 4), 4);
}

Test(boot_tables, e820_tiny_guest_has_no_empty_entries)
{
	struct boot_e820_entry map[8];
	int n = e820_build(TBT_MIB, 0, map, 8), i;

	cr_assert_eq(n, 2);
	for (i = 0; i < n; i++)
		cr_assert_gt(map[i].size, 0);
}

/* ---- command line ---- */

Test(boot_tables, cmdline_written_with_nul)
{
	struct kernel_info ki = { .cmdline_size = 2047 };
	const char *line = "console=ttyS0 root=/dev/vda";
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(cmdline_write(&c.m, &ki, line, &c.e), 0, "%s", c.e.msg);
	cr_assert_str_eq((const char *)c.ram + LAYOUT_CMDLINE, line);
	tbt_fini(&c);
}

Test(boot_tables, cmdline_at_limit_accepted)
{
	struct kernel_info ki = { .cmdline_size = 100 };
	char line[101];
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	memset(line, 'x', 100);
	line[100] = '\0';
	cr_assert_eq(cmdline_write(&c.m, &ki, line, &c.e), 0, "%s", c.e.msg);
	cr_assert_eq(c.ram[LAYOUT_CMDLINE + 100], 0);
	tbt_fini(&c);
}

Test(boot_tables, cmdline_longer_than_kernel_accepts)
{
	struct kernel_info ki = { .cmdline_size = 100 };
	char line[102];
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	memset(line, 'x', 101);
	line[101] = '\0';
	cr_assert_eq(cmdline_write(&c.m, &ki, line, &c.e), -1);
	cr_assert(strstr(c.e.msg, "too long"), "%s", c.e.msg);
	cr_assert(strstr(c.e.msg, "101"), "%s", c.e.msg);
	cr_assert_eq(c.ram[LAYOUT_CMDLINE], TBT_FILL);
	tbt_fini(&c);
}

Test(boot_tables, cmdline_capped_by_layout)
{
	struct kernel_info ki = { .cmdline_size = 1u << 20 };
	size_t max = LAYOUT_CMDLINE_MAX - 1;
	char *line = malloc(max + 2);
	struct tbt_ctx c;

	cr_assert(line);
	tbt_init(&c, TBT_RAM_SIZE);
	memset(line, 'y', max + 1);
	line[max + 1] = '\0';
	cr_assert_eq(cmdline_write(&c.m, &ki, line, &c.e), -1);
	cr_assert(strstr(c.e.msg, "too long"), "%s", c.e.msg);
	line[max] = '\0';
	cr_assert_eq(cmdline_write(&c.m, &ki, line, &c.e), 0, "%s", c.e.msg);
	cr_assert_eq(c.ram[LAYOUT_CMDLINE + max], 0);
	free(line);
	tbt_fini(&c);
}

Test(boot_tables, cmdline_outside_ram)
{
	struct kernel_info ki = { .cmdline_size = 2047 };
	struct tbt_ctx c;

	tbt_init(&c, 0x10000);
	cr_assert_eq(cmdline_write(&c.m, &ki, "quiet", &c.e), -1);
	cr_assert_neq(c.e.msg[0], '\0');
	tbt_fini(&c);
}

/* ---- zero page ---- */

struct tbt_boot {
	struct kernel_info ki;
	struct boot_e820_entry e820[8];
	struct boot_tables t;
};

static void tbt_boot_init(struct tbt_boot *b)
{
	int n;

	memset(b, 0, sizeof(*b));
	b->ki.hdr.boot_flag = 0xaa55;
	b->ki.hdr.version = 0x020f;
	b->ki.hdr.init_size = 0x1234000;
	b->ki.hdr.loadflags = LOADED_HIGH | CAN_USE_HEAP | KEEP_SEGMENTS;
	b->ki.hdr.type_of_loader = 0x21;
	b->ki.cmdline_size = 2047;
	n = e820_build(TBT_RAM_SIZE, 0, b->e820, 8);
	cr_assert_eq(n, 3);
	b->t.e820 = b->e820;
	b->t.nr_e820 = (unsigned int)n;
	b->t.cmdline_gpa = LAYOUT_CMDLINE;
	b->t.cmdline_len = 12;
	b->t.initrd_gpa = 0x180000;
	b->t.initrd_size = 0x1800;
}

/* Offsets from Documentation/x86/zero-page.rst and boot.rst. */
#define ZP(off) (LAYOUT_ZERO_PAGE + (off))

Test(boot_tables, zero_page_fields)
{
	struct tbt_boot b;
	struct tbt_ctx c;
	unsigned int i;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), 0, "%s",
		     c.e.msg);
	cr_assert_eq(tbt_u16(&c, ZP(0x1fe)), 0xaa55);
	cr_assert_eq(tbt_u16(&c, ZP(0x206)), 0x020f);
	cr_assert_eq(tbt_u32(&c, ZP(0x260)), 0x1234000);
	cr_assert_eq(tbt_u8(&c, ZP(0x210)), 0xff, "type_of_loader");
	cr_assert_eq(tbt_u32(&c, ZP(0x228)), LAYOUT_CMDLINE, "cmd_line_ptr");
	cr_assert_eq(tbt_u32(&c, ZP(0x0c8)), 0, "ext_cmd_line_ptr");
	cr_assert_eq(tbt_u32(&c, ZP(0x218)), 0x180000, "ramdisk_image");
	cr_assert_eq(tbt_u32(&c, ZP(0x21c)), 0x1800, "ramdisk_size");
	cr_assert_eq(tbt_u32(&c, ZP(0x0c0)), 0, "ext_ramdisk_image");
	cr_assert_eq(tbt_u32(&c, ZP(0x0c4)), 0, "ext_ramdisk_size");
	cr_assert_eq(tbt_u8(&c, ZP(0x1e8)), 3, "e820_entries");
	for (i = 0; i < 3; i++) {
		uint64_t ent = ZP(0x2d0) + i * 20;

		cr_assert_eq(tbt_u64(&c, ent), b.e820[i].addr);
		cr_assert_eq(tbt_u64(&c, ent + 8), b.e820[i].size);
		cr_assert_eq(tbt_u32(&c, ent + 16), b.e820[i].type);
	}
	/* The rest of the page was cleared, not left stale. */
	cr_assert_eq(tbt_u8(&c, ZP(0x000)), 0);
	cr_assert_eq(tbt_u8(&c, ZP(0x1ef)), 0, "sentinel");
	cr_assert_eq(tbt_u8(&c, ZP(0x2d0 + 3 * 20)), 0);
	cr_assert_eq(tbt_u8(&c, ZP(0xfff)), 0);
	cr_assert_eq(tbt_u8(&c, ZP(0x1000)), TBT_FILL, "wrote past the page");
	tbt_fini(&c);
}

Test(boot_tables, zero_page_loadflags)
{
	struct tbt_boot b;
	struct tbt_ctx c;
	uint8_t lf;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), 0, "%s",
		     c.e.msg);
	lf = tbt_u8(&c, ZP(0x211));
	cr_assert(lf & LOADED_HIGH);
	cr_assert_eq(lf & CAN_USE_HEAP, 0);
	cr_assert_eq(lf & KEEP_SEGMENTS, 0);
	tbt_fini(&c);
}

Test(boot_tables, zero_page_no_initrd)
{
	struct tbt_boot b;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	b.t.initrd_size = 0;
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), 0, "%s",
		     c.e.msg);
	cr_assert_eq(tbt_u32(&c, ZP(0x218)), 0);
	cr_assert_eq(tbt_u32(&c, ZP(0x21c)), 0);
	tbt_fini(&c);
}

Test(boot_tables, zero_page_initrd_above_4g)
{
	static uint8_t high[0x4000];
	struct tbt_boot b;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(
	    guest_mem_add_region(&c.m, 4 * TBT_GIB, sizeof(high), high), 0);
	tbt_boot_init(&b);
	b.t.initrd_gpa = 4 * TBT_GIB + 0x1000;
	b.t.initrd_size = 0x2000;
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), 0, "%s",
		     c.e.msg);
	cr_assert_eq(tbt_u32(&c, ZP(0x218)), 0x1000);
	cr_assert_eq(tbt_u32(&c, ZP(0x0c0)), 1);
	cr_assert_eq(tbt_u32(&c, ZP(0x21c)), 0x2000);
	cr_assert_eq(tbt_u32(&c, ZP(0x0c4)), 0);
	tbt_fini(&c);
}

Test(boot_tables, zero_page_too_many_e820_entries)
{
	static struct boot_e820_entry big[E820_MAX_ENTRIES_ZEROPAGE + 1];
	struct tbt_boot b;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	b.t.e820 = big;
	b.t.nr_e820 = E820_MAX_ENTRIES_ZEROPAGE + 1;
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), -1);
	cr_assert(strstr(c.e.msg, "E820"), "%s", c.e.msg);
	cr_assert_eq(tbt_u8(&c, ZP(0)), TBT_FILL);
	b.t.nr_e820 = E820_MAX_ENTRIES_ZEROPAGE;
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), 0, "%s",
		     c.e.msg);
	cr_assert_eq(tbt_u8(&c, ZP(0x1e8)), E820_MAX_ENTRIES_ZEROPAGE);
	tbt_fini(&c);
}

Test(boot_tables, zero_page_empty_e820)
{
	struct tbt_boot b;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	b.t.nr_e820 = 0;
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), -1);
	tbt_fini(&c);
}

Test(boot_tables, zero_page_initrd_outside_ram)
{
	struct tbt_boot b;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	b.t.initrd_gpa = TBT_RAM_SIZE - 0x1000;
	cr_assert_eq(zero_page_write(&c.m, &b.ki, &b.t, &c.e), -1);
	cr_assert(strstr(c.e.msg, "initrd"), "%s", c.e.msg);
	tbt_fini(&c);
}

/* ---- PVH start info (Xen public/arch-x86/hvm/start_info.h) ---- */

#define SI(off) (LAYOUT_PVH_START_INFO + (off))

Test(boot_tables, pvh_start_info_fields)
{
	uint64_t memmap, modlist;
	struct tbt_boot b;
	struct tbt_ctx c;
	unsigned int i;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	cr_assert_eq(pvh_start_info_write(&c.m, &b.t, &c.e), 0, "%s", c.e.msg);
	cr_assert_eq(tbt_u32(&c, SI(0)), 0x336ec578, "magic");
	/* "xEn3" with the top bit of 'E' set. */
	cr_assert_eq(c.ram[SI(0)], 'x');
	cr_assert_eq(c.ram[SI(1)], 'E' | 0x80);
	cr_assert_eq(c.ram[SI(2)], 'n');
	cr_assert_eq(c.ram[SI(3)], '3');
	cr_assert_eq(tbt_u32(&c, SI(4)), 1, "version");
	cr_assert_eq(tbt_u32(&c, SI(8)), 0, "flags");
	cr_assert_eq(tbt_u32(&c, SI(12)), 1, "nr_modules");
	cr_assert_eq(tbt_u64(&c, SI(24)), LAYOUT_CMDLINE, "cmdline_paddr");
	cr_assert_eq(tbt_u64(&c, SI(32)), 0, "rsdp_paddr");
	cr_assert_eq(tbt_u32(&c, SI(48)), 3, "memmap_entries");
	cr_assert_eq(tbt_u32(&c, SI(52)), 0, "reserved");

	modlist = tbt_u64(&c, SI(16));
	cr_assert_geq(modlist, SI(56));
	cr_assert_eq(tbt_u64(&c, modlist), 0x180000);
	cr_assert_eq(tbt_u64(&c, modlist + 8), 0x1800);
	cr_assert_eq(tbt_u64(&c, modlist + 16), 0);
	cr_assert_eq(tbt_u64(&c, modlist + 24), 0);

	memmap = tbt_u64(&c, SI(40));
	cr_assert_geq(memmap, modlist + 32, "memmap overlaps modlist");
	cr_assert_leq(memmap + 3 * 24, LAYOUT_ZERO_PAGE);
	for (i = 0; i < 3; i++) {
		uint64_t ent = memmap + i * 24;

		cr_assert_eq(tbt_u64(&c, ent), b.e820[i].addr);
		cr_assert_eq(tbt_u64(&c, ent + 8), b.e820[i].size);
		cr_assert_eq(tbt_u32(&c, ent + 16), b.e820[i].type);
		cr_assert_eq(tbt_u32(&c, ent + 20), 0);
	}
	tbt_fini(&c);
}

Test(boot_tables, pvh_without_initrd_has_no_modules)
{
	struct tbt_boot b;
	struct tbt_ctx c;
	uint64_t memmap;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	b.t.initrd_size = 0;
	cr_assert_eq(pvh_start_info_write(&c.m, &b.t, &c.e), 0, "%s", c.e.msg);
	cr_assert_eq(tbt_u32(&c, SI(12)), 0);
	cr_assert_eq(tbt_u64(&c, SI(16)), 0);
	memmap = tbt_u64(&c, SI(40));
	cr_assert_eq(tbt_u64(&c, memmap + 24), b.e820[1].addr);
	tbt_fini(&c);
}

Test(boot_tables, pvh_memmap_must_fit_below_zero_page)
{
	static struct boot_e820_entry big[200];
	struct tbt_boot b;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	tbt_boot_init(&b);
	b.t.e820 = big;
	b.t.nr_e820 = 200;
	cr_assert_eq(pvh_start_info_write(&c.m, &b.t, &c.e), -1);
	cr_assert(strstr(c.e.msg, "too many"), "%s", c.e.msg);
	cr_assert_eq(tbt_u8(&c, ZP(0)), TBT_FILL, "zero page clobbered");
	cr_assert_eq(tbt_u8(&c, SI(0)), TBT_FILL);
	tbt_fini(&c);
}

/* ---- MP table (Intel MP spec 1.4) ---- */

struct tbt_mp_counts {
	unsigned int cpus, bsps, buses, ioapics, io_ints, local_ints;
};

/* Walks the base table, checking each entry as it goes. */
static struct tbt_mp_counts tbt_mp_walk(const struct tbt_ctx *c,
					unsigned int nr_cpus, uint8_t ioapic_id)
{
	struct tbt_mp_counts n = { 0 };
	uint64_t fp = LAYOUT_MPTABLE, ct, p, end;
	unsigned int i, count;

	cr_assert_eq(memcmp(c->ram + fp, "_MP_", 4), 0);
	cr_assert_eq(tbt_u8(c, fp + 8), 1, "length in paragraphs");
	cr_assert_eq(tbt_u8(c, fp + 9), 4, "spec rev");
	cr_assert_eq(tbt_sum(c, fp, 16), 0, "floating pointer checksum");
	cr_assert_eq(tbt_u8(c, fp + 11), 0, "config table present");

	ct = tbt_u32(c, fp + 4);
	cr_assert_geq(ct, fp + 16);
	cr_assert_eq(memcmp(c->ram + ct, "PCMP", 4), 0);
	cr_assert_eq(tbt_u8(c, ct + 6), 4, "spec rev");
	cr_assert_eq(memcmp(c->ram + ct + 8, "VIREO", 5), 0);
	cr_assert_eq(tbt_u32(c, ct + 36), 0xfee00000, "LAPIC address");
	end = ct + tbt_u16(c, ct + 4);
	cr_assert_leq(end, LAYOUT_HIGH_MEMORY);
	cr_assert_eq(tbt_sum(c, ct, end - ct), 0, "config table checksum");

	count = tbt_u16(c, ct + 34);
	p = ct + 44;
	for (i = 0; i < count; i++) {
		uint8_t type = tbt_u8(c, p);

		cr_assert_lt(p, end, "entry %u past table end", i);
		switch (type) {
		case 0:
			cr_assert_eq(tbt_u8(c, p + 1), n.cpus, "APIC ID");
			cr_assert_eq(tbt_u8(c, p + 2), 0x14);
			cr_assert(tbt_u8(c, p + 3) & 1, "CPU enabled");
			if (tbt_u8(c, p + 3) & 2) {
				cr_assert_eq(n.cpus, 0, "BSP flag on CPU %u",
					     n.cpus);
				n.bsps++;
			}
			n.cpus++;
			p += 20;
			continue;
		case 1:
			cr_assert_eq(tbt_u8(c, p + 1), n.buses);
			cr_assert_eq(memcmp(c->ram + p + 2,
					    n.buses ? "ISA   " : "PCI   ", 6),
				     0);
			n.buses++;
			break;
		case 2:
			cr_assert_eq(tbt_u8(c, p + 1), ioapic_id);
			cr_assert_eq(tbt_u8(c, p + 2), 0x11);
			cr_assert_eq(tbt_u8(c, p + 3) & 1, 1);
			cr_assert_eq(tbt_u32(c, p + 4), LAYOUT_IOAPIC_BASE);
			n.ioapics++;
			break;
		case 3:
			cr_assert_eq(tbt_u8(c, p + 1), 0, "INT");
			cr_assert_eq(tbt_u16(c, p + 2), 0, "conforming");
			/* ISA IRQs 0-15 and the virtio-mmio pins 16-23. */
			cr_assert_eq(tbt_u8(c, p + 4), 1, "ISA bus");
			cr_assert_eq(tbt_u8(c, p + 5), n.io_ints, "IRQ");
			cr_assert_eq(tbt_u8(c, p + 6), ioapic_id);
			cr_assert_eq(tbt_u8(c, p + 7), n.io_ints, "pin");
			n.io_ints++;
			break;
		case 4:
			/* ExtINT on LINT0, then NMI on LINT1. */
			cr_assert_eq(tbt_u8(c, p + 1), n.local_ints ? 1 : 3);
			cr_assert_eq(tbt_u8(c, p + 6), 0xff);
			cr_assert_eq(tbt_u8(c, p + 7), n.local_ints);
			n.local_ints++;
			break;
		default:
			cr_assert_fail("unknown entry type %u", type);
		}
		p += 8;
	}
	cr_assert_eq(p, end, "entries do not fill the base table");
	cr_assert_eq(n.io_ints, 24);
	cr_assert_eq(count, nr_cpus + 29);
	return n;
}

Test(boot_tables, mptable_four_cpus)
{
	struct tbt_mp_counts n;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(mptable_write(&c.m, 4, 4, &c.e), 0, "%s", c.e.msg);
	n = tbt_mp_walk(&c, 4, 4);
	cr_assert_eq(n.cpus, 4);
	cr_assert_eq(n.bsps, 1);
	cr_assert_eq(n.buses, 2);
	cr_assert_eq(n.ioapics, 1);
	cr_assert_eq(n.io_ints, 24);
	cr_assert_eq(n.local_ints, 2);
	tbt_fini(&c);
}

Test(boot_tables, mptable_one_cpu_is_bsp)
{
	struct tbt_mp_counts n;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(mptable_write(&c.m, 1, 1, &c.e), 0, "%s", c.e.msg);
	n = tbt_mp_walk(&c, 1, 1);
	cr_assert_eq(n.cpus, 1);
	cr_assert_eq(n.bsps, 1);
	tbt_fini(&c);
}

Test(boot_tables, mptable_max_cpus_fits_below_1mib)
{
	struct tbt_mp_counts n;
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(mptable_write(&c.m, 255, 0xfe, &c.e), 0, "%s", c.e.msg);
	n = tbt_mp_walk(&c, 255, 0xfe);
	cr_assert_eq(n.cpus, 255);
	cr_assert_eq(n.bsps, 1);
	tbt_fini(&c);
}

Test(boot_tables, mptable_rejects_zero_cpus)
{
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(mptable_write(&c.m, 0, 0, &c.e), -1);
	cr_assert(strstr(c.e.msg, "at least one"), "%s", c.e.msg);
	cr_assert_eq(tbt_u8(&c, LAYOUT_MPTABLE), TBT_FILL);
	tbt_fini(&c);
}

Test(boot_tables, mptable_rejects_256_cpus)
{
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(mptable_write(&c.m, 256, 0, &c.e), -1);
	cr_assert(strstr(c.e.msg, "255"), "%s", c.e.msg);
	cr_assert_eq(tbt_u8(&c, LAYOUT_MPTABLE), TBT_FILL);
	tbt_fini(&c);
}

Test(boot_tables, mptable_outside_ram)
{
	struct tbt_ctx c;

	tbt_init(&c, 0x80000);
	cr_assert_eq(mptable_write(&c.m, 2, 2, &c.e), -1);
	cr_assert_neq(c.e.msg[0], '\0');
	tbt_fini(&c);
}

/* ---- page tables and GDT ---- */

Test(boot_tables, pagetables_identity_map_4g)
{
	struct tbt_ctx c;
	unsigned int i;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(boot_pagetables_write(&c.m, &c.e), 0, "%s", c.e.msg);
	cr_assert_eq(tbt_u64(&c, LAYOUT_PML4), LAYOUT_PDPT | 3);
	for (i = 1; i < 512; i++)
		cr_assert_eq(tbt_u64(&c, LAYOUT_PML4 + i * 8), 0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(tbt_u64(&c, LAYOUT_PDPT + i * 8),
			     (LAYOUT_PD + i * 0x1000) | 3);
	for (i = 4; i < 512; i++)
		cr_assert_eq(tbt_u64(&c, LAYOUT_PDPT + i * 8), 0);
	/* The four PDs are contiguous: entry i maps [i * 2 MiB, +2 MiB). */
	for (i = 0; i < 4 * 512; i++)
		cr_assert_eq(tbt_u64(&c, LAYOUT_PD + i * 8),
			     ((uint64_t)i << 21) | 0x83, "PD entry %u", i);
	tbt_fini(&c);
}

/* A walk like the MMU's, for a few addresses. */
static uint64_t tbt_translate(const struct tbt_ctx *c, uint64_t va)
{
	uint64_t pml4e = tbt_u64(c, LAYOUT_PML4 + ((va >> 39) & 511) * 8);
	uint64_t pdpte, pde;

	cr_assert(pml4e & 1);
	pdpte = tbt_u64(c, (pml4e & ~0xfffULL) + ((va >> 30) & 511) * 8);
	cr_assert(pdpte & 1);
	cr_assert_eq(pdpte & 0x80, 0, "no 1 GiB pages");
	pde = tbt_u64(c, (pdpte & ~0xfffULL) + ((va >> 21) & 511) * 8);
	cr_assert(pde & 1);
	cr_assert(pde & 0x80);
	return (pde & ~0x1fffffULL) + (va & 0x1fffff);
}

Test(boot_tables, pagetables_translate_identity)
{
	static const uint64_t va[] = {
		0,	    LAYOUT_ZERO_PAGE,	LAYOUT_KERNEL_LOAD + 0x200,
		0x7fffffff, LAYOUT_IOAPIC_BASE, 0xffffffff,
	};
	struct tbt_ctx c;
	size_t i;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(boot_pagetables_write(&c.m, &c.e), 0, "%s", c.e.msg);
	for (i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		cr_assert_eq(tbt_translate(&c, va[i]), va[i]);
	tbt_fini(&c);
}

Test(boot_tables, gdt_descriptors)
{
	struct tbt_ctx c;

	tbt_init(&c, TBT_RAM_SIZE);
	cr_assert_eq(boot_pagetables_write(&c.m, &c.e), 0, "%s", c.e.msg);
	cr_assert_eq(tbt_u64(&c, LAYOUT_BOOT_GDT), 0);
	cr_assert_eq(tbt_u64(&c, LAYOUT_BOOT_GDT + 8), 0);
	cr_assert_eq(tbt_u64(&c, LAYOUT_BOOT_GDT + BOOT_GDT_CODE64),
		     BOOT_DESC_CODE64);
	cr_assert_eq(tbt_u64(&c, LAYOUT_BOOT_GDT + BOOT_GDT_DATA),
		     BOOT_DESC_DATA);
	cr_assert_eq(tbt_u64(&c, LAYOUT_BOOT_GDT + BOOT_GDT_TSS),
		     BOOT_DESC_TSS);
	cr_assert_eq(tbt_u64(&c, LAYOUT_BOOT_GDT + BOOT_GDT_CODE32),
		     BOOT_DESC_CODE32);
	/* The IDT must not have been written over the GDT. */
	cr_assert_geq(LAYOUT_BOOT_IDT, LAYOUT_BOOT_GDT + BOOT_GDT_ENTRIES * 8);
	cr_assert_eq(tbt_u64(&c, LAYOUT_BOOT_IDT), 0);
	tbt_fini(&c);
}

Test(boot_tables, gdt_code64_is_long_mode_flat)
{
	/* L=1, D=0, P=1, S=1, executable: what __BOOT_CS must be. */
	cr_assert_eq((BOOT_DESC_CODE64 >> 53) & 1, 1);
	cr_assert_eq((BOOT_DESC_CODE64 >> 54) & 1, 0);
	cr_assert_eq((BOOT_DESC_CODE64 >> 47) & 1, 1);
	cr_assert_eq((BOOT_DESC_CODE64 >> 43) & 1, 1);
	cr_assert_eq((BOOT_DESC_CODE32 >> 54) & 1, 1, "code32 is 32-bit");
}

Test(boot_tables, pagetables_outside_ram)
{
	struct tbt_ctx c;

	tbt_init(&c, 0xa000);
	cr_assert_eq(boot_pagetables_write(&c.m, &c.e), -1);
	cr_assert_neq(c.e.msg[0], '\0');
	tbt_fini(&c);
}
