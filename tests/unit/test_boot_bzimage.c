// SPDX-License-Identifier: MIT
/* kernel_load() on synthetic bzImages (Linux x86 boot protocol). */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/boot_file.h"
#include "vmm/boot/boot.h"
#include "vmm/layout.h"

#define BZT_RAM_SIZE (48ULL << 20)
#define BZT_POISON 0xaa
#define BZT_HDR 0x1f1
#define BZT_SETUP_SECTS 4
#define BZT_PAYLOAD 0x1000
#define BZT_INIT_SIZE 0x20000
#define BZT_BUF 0x4000

#define BZT_OFF(field) (BZT_HDR + offsetof(struct setup_header, field))

struct bzt_ctx {
	struct guest_mem m;
	uint8_t *ram;
	uint8_t img[BZT_BUF];
	size_t size;
	size_t setup_size;
	struct kernel_info ki;
	struct err e;
};

static void bzt_put(uint8_t *img, size_t off, uint64_t v, size_t len)
{
	memcpy(img + off, &v, len); /* little-endian host, like the format */
}

#define BZT_SET(img, field, v)                                                 \
	bzt_put(img, BZT_OFF(field), (v),                                      \
		sizeof(((struct setup_header *)0)->field))

/* A protocol 2.15 relocatable 64-bit bzImage, as a 6.x kernel has. */
static size_t bzt_build(uint8_t *img, unsigned int setup_sects)
{
	size_t setup = ((setup_sects ? setup_sects : 4) + 1) * 512, i;

	memset(img, 0, BZT_BUF);
	BZT_SET(img, setup_sects, setup_sects);
	BZT_SET(img, syssize, BZT_PAYLOAD / 16);
	BZT_SET(img, boot_flag, 0xaa55);
	/* jmp rel8 whose displacement says where the header ends. */
	img[0x200] = 0xeb;
	img[0x201] = (uint8_t)(BZT_HDR + sizeof(struct setup_header) - 0x202);
	memcpy(img + 0x202, "HdrS", 4);
	BZT_SET(img, version, 0x020f);
	BZT_SET(img, loadflags, LOADED_HIGH);
	BZT_SET(img, heap_end_ptr, 0xde00);
	BZT_SET(img, initrd_addr_max, 0x7fffffff);
	BZT_SET(img, kernel_alignment, 0x200000);
	BZT_SET(img, relocatable_kernel, 1);
	BZT_SET(img, min_alignment, 21);
	BZT_SET(img, xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	BZT_SET(img, cmdline_size, 2047);
	BZT_SET(img, pref_address, 0x1000000);
	BZT_SET(img, init_size, BZT_INIT_SIZE);
	for (i = 0; i < BZT_PAYLOAD; i++)
		img[setup + i] = (uint8_t)(i * 13 + 3);
	return setup + BZT_PAYLOAD;
}

static void bzt_init(struct bzt_ctx *c, unsigned int setup_sects)
{
	memset(c, 0, sizeof(*c));
	c->ram = malloc(BZT_RAM_SIZE);
	cr_assert(c->ram);
	memset(c->ram, BZT_POISON, BZT_RAM_SIZE);
	cr_assert_eq(guest_mem_add_region(&c->m, 0, BZT_RAM_SIZE, c->ram), 0);
	c->size = bzt_build(c->img, setup_sects);
	c->setup_size = ((setup_sects ? setup_sects : 4) + 1) * 512;
}

static void bzt_fini(struct bzt_ctx *c)
{
	free(c->ram);
}

static int bzt_load(struct bzt_ctx *c)
{
	return kernel_load(&c->m, c->img, c->size, NULL, &c->ki, &c->e);
}

static bool bzt_untouched(const struct bzt_ctx *c, uint64_t gpa, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (c->ram[gpa + i] != BZT_POISON)
			return false;
	return true;
}

static void bzt_expect_fail(struct bzt_ctx *c, const char *want)
{
	cr_assert_eq(bzt_load(c), -1, "load unexpectedly succeeded");
	cr_assert(strstr(c->e.msg, want), "message '%s' lacks '%s'", c->e.msg,
		  want);
	cr_assert(bzt_untouched(c, LAYOUT_KERNEL_LOAD, BZT_PAYLOAD));
	cr_assert(bzt_untouched(c, LAYOUT_HIGH_MEMORY, BZT_PAYLOAD));
}

/* Our offsets must be the ones in Documentation/x86/boot.rst. */
Test(boot_bzimage, header_offsets_match_boot_protocol)
{
	cr_assert_eq(BZT_OFF(setup_sects), 0x1f1);
	cr_assert_eq(BZT_OFF(syssize), 0x1f4);
	cr_assert_eq(BZT_OFF(boot_flag), 0x1fe);
	cr_assert_eq(BZT_OFF(header), 0x202);
	cr_assert_eq(BZT_OFF(version), 0x206);
	cr_assert_eq(BZT_OFF(loadflags), 0x211);
	cr_assert_eq(BZT_OFF(initrd_addr_max), 0x22c);
	cr_assert_eq(BZT_OFF(kernel_alignment), 0x230);
	cr_assert_eq(BZT_OFF(xloadflags), 0x236);
	cr_assert_eq(BZT_OFF(cmdline_size), 0x238);
	cr_assert_eq(BZT_OFF(init_size), 0x260);
}

Test(boot_bzimage, valid_image_loads_at_16mib)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.format, KERNEL_FORMAT_BZIMAGE);
	cr_assert_eq(c.ki.entry64, LAYOUT_KERNEL_LOAD + 0x200);
	cr_assert_eq(c.ki.pvh_entry, 0);
	cr_assert_eq(c.ki.load_start, LAYOUT_KERNEL_LOAD);
	/* init_size, not the file, bounds what the kernel will touch. */
	cr_assert_eq(c.ki.load_end, LAYOUT_KERNEL_LOAD + BZT_INIT_SIZE);
	cr_assert_eq(memcmp(c.ram + LAYOUT_KERNEL_LOAD, c.img + c.setup_size,
			    BZT_PAYLOAD),
		     0);
	cr_assert(bzt_untouched(&c, LAYOUT_KERNEL_LOAD + BZT_PAYLOAD, 16));
	/* The setup sectors are never loaded. */
	cr_assert(bzt_untouched(&c, 0x90000, 0x1000));
	bzt_fini(&c);
}

Test(boot_bzimage, header_copied_into_kernel_info)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.hdr.boot_flag, 0xaa55);
	cr_assert_eq(c.ki.hdr.version, 0x020f);
	cr_assert_eq(c.ki.hdr.setup_sects, BZT_SETUP_SECTS);
	cr_assert_eq(c.ki.hdr.init_size, BZT_INIT_SIZE);
	cr_assert_eq(c.ki.hdr.code32_start, LAYOUT_KERNEL_LOAD);
	cr_assert_eq(c.ki.hdr.type_of_loader, 0xff);
	cr_assert_eq(c.ki.cmdline_size, 2047);
	cr_assert_eq(c.ki.initrd_addr_max, 0x7fffffff);
	bzt_fini(&c);
}

Test(boot_bzimage, header_limits_come_from_image)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, cmdline_size, 4095);
	BZT_SET(c.img, initrd_addr_max, 0x37ffffff);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.cmdline_size, 4095);
	cr_assert_eq(c.ki.initrd_addr_max, 0x37ffffff);
	bzt_fini(&c);
}

/* Fields past the header end the kernel declares are not its own. */
Test(boot_bzimage, header_copy_stops_at_declared_end)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	c.img[0x201] = (uint8_t)(BZT_OFF(handover_offset) - 0x202);
	BZT_SET(c.img, handover_offset, 0x12345678);
	BZT_SET(c.img, kernel_info_offset, 0x9abcdef0);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.hdr.init_size, BZT_INIT_SIZE);
	cr_assert_eq(c.ki.hdr.handover_offset, 0);
	cr_assert_eq(c.ki.hdr.kernel_info_offset, 0);
	bzt_fini(&c);
}

Test(boot_bzimage, header_too_short_for_protocol)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	c.img[0x201] = 0x40;
	bzt_expect_fail(&c, "too short");
	bzt_fini(&c);
}

Test(boot_bzimage, setup_sects_zero_means_four)
{
	struct bzt_ctx c;

	bzt_init(&c, 0);
	cr_assert_eq(c.setup_size, 5 * 512);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(
	    memcmp(c.ram + LAYOUT_KERNEL_LOAD, c.img + 5 * 512, BZT_PAYLOAD),
	    0);
	bzt_fini(&c);
}

Test(boot_bzimage, setup_sects_honoured)
{
	struct bzt_ctx c;

	bzt_init(&c, 2);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(
	    memcmp(c.ram + LAYOUT_KERNEL_LOAD, c.img + 3 * 512, BZT_PAYLOAD),
	    0);
	bzt_fini(&c);
}

Test(boot_bzimage, kernel_alignment_respected)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, kernel_alignment, 0x2000000);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.load_start, 0x2000000);
	cr_assert_eq(c.ki.entry64, 0x2000200);
	cr_assert_eq(c.ki.hdr.code32_start, 0x2000000);
	cr_assert_eq(
	    memcmp(c.ram + 0x2000000, c.img + c.setup_size, BZT_PAYLOAD), 0);
	bzt_fini(&c);
}

Test(boot_bzimage, kernel_alignment_not_power_of_two)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, kernel_alignment, 0x300000);
	bzt_expect_fail(&c, "not a power of two");
	bzt_fini(&c);
}

Test(boot_bzimage, non_relocatable_loads_at_1mib)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, relocatable_kernel, 0);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.load_start, 0x100000);
	cr_assert_eq(c.ki.entry64, 0x100200);
	cr_assert_eq(
	    memcmp(c.ram + 0x100000, c.img + c.setup_size, BZT_PAYLOAD), 0);
	bzt_fini(&c);
}

/* It decompresses itself to pref_address, so the initrd must stay above. */
Test(boot_bzimage, non_relocatable_covers_runtime_range)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, relocatable_kernel, 0);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.load_start, 0x100000);
	cr_assert_eq(c.ki.load_end, 0x1000000 + BZT_INIT_SIZE);
	bzt_fini(&c);
}

Test(boot_bzimage, non_relocatable_pref_address_below_load)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, relocatable_kernel, 0);
	BZT_SET(c.img, pref_address, 0x10000);
	bzt_expect_fail(&c, "pref_address");
	bzt_fini(&c);
}

Test(boot_bzimage, non_relocatable_runtime_address_outside_ram)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, relocatable_kernel, 0);
	BZT_SET(c.img, pref_address, BZT_RAM_SIZE);
	bzt_expect_fail(&c, "too small");
	bzt_fini(&c);
}

Test(boot_bzimage, init_size_beyond_ram)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, init_size, BZT_RAM_SIZE);
	bzt_expect_fail(&c, "guest RAM too small");
	bzt_fini(&c);
}

Test(boot_bzimage, every_truncation_fails_cleanly)
{
	struct bzt_ctx c;
	size_t full, sz;

	bzt_init(&c, BZT_SETUP_SECTS);
	full = c.size;
	for (sz = 0; sz < full; sz++) {
		c.size = sz;
		memset(&c.e, 0, sizeof(c.e));
		cr_assert_eq(bzt_load(&c), -1, "size %zu accepted", sz);
		cr_assert_neq(c.e.msg[0], '\0', "size %zu: no message", sz);
		cr_assert_null(strchr(c.e.msg, '\n'));
		cr_assert(bzt_untouched(&c, LAYOUT_KERNEL_LOAD, BZT_PAYLOAD),
			  "size %zu wrote guest memory", sz);
	}
	c.size = full;
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	bzt_fini(&c);
}

Test(boot_bzimage, truncated_kernel_message)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	c.size -= 16;
	bzt_expect_fail(&c, "truncated");
	bzt_fini(&c);
}

Test(boot_bzimage, syssize_larger_than_file)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, syssize, 0xffffffff);
	bzt_expect_fail(&c, "truncated");
	bzt_fini(&c);
}

Test(boot_bzimage, zero_syssize)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, syssize, 0);
	bzt_expect_fail(&c, "zero kernel size");
	bzt_fini(&c);
}

Test(boot_bzimage, protocol_too_old)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, version, 0x020b);
	bzt_expect_fail(&c, "2.11 is too old");
	bzt_fini(&c);
}

Test(boot_bzimage, oldest_accepted_protocol)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, version, 0x020c);
	cr_assert_eq(bzt_load(&c), 0, "%s", c.e.msg);
	bzt_fini(&c);
}

Test(boot_bzimage, not_64bit)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, xloadflags, 0);
	bzt_expect_fail(&c, "64-bit");
	bzt_fini(&c);
}

Test(boot_bzimage, loaded_low_zimage)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, loadflags, 0);
	bzt_expect_fail(&c, "LOADED_HIGH");
	bzt_fini(&c);
}

Test(boot_bzimage, wrong_boot_flag_is_unknown)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	BZT_SET(c.img, boot_flag, 0x55aa);
	bzt_expect_fail(&c, "unknown kernel format");
	bzt_fini(&c);
}

Test(boot_bzimage, wrong_hdrs_magic_is_unknown)
{
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	memcpy(c.img + 0x202, "HdrZ", 4);
	bzt_expect_fail(&c, "unknown kernel format");
	bzt_fini(&c);
}

Test(boot_bzimage, random_bytes_are_unknown)
{
	struct bzt_ctx c;
	size_t i;

	bzt_init(&c, BZT_SETUP_SECTS);
	for (i = 0; i < c.size; i++)
		c.img[i] = (uint8_t)(i * 31 + 7);
	bzt_expect_fail(&c, "unknown kernel format");
	bzt_fini(&c);
}

/*
 * Found by fuzz_bzimage: a protected-mode kernel shorter than 0x200 bytes
 * was accepted and entered at load + 0x200, past everything it brought.
 */
Test(boot_bzimage, kernel_shorter_than_entry_offset)
{
	struct bzt_ctx c;

	bzt_init(&c, 4);
	c.size = 5 * 512 + 0x154;
	BZT_SET(c.img, syssize, 0x154 / 16);
	bzt_expect_fail(&c, "before its 64-bit entry");
	cr_assert(bzt_untouched(&c, LAYOUT_KERNEL_LOAD, 0x400));
	bzt_fini(&c);
}

/* What a relocatable load here may write; a fixed one goes to 1 MiB. */
static int bzt_file_agrees(struct boot_file_ram *r, const struct bzt_ctx *c,
			   const char *what)
{
	uint64_t gpa = LAYOUT_KERNEL_LOAD;

	if (!c->img[BZT_OFF(relocatable_kernel)])
		gpa = LAYOUT_HIGH_MEMORY;
	return boot_file_agrees(r, c->img, c->size, false, gpa, BZT_INIT_SIZE,
				what);
}

/* The file path reads the header alone: its cuts must fail the same. */
Test(boot_bzimage, file_load_agrees_with_buffer_on_every_truncation)
{
	struct boot_file_ram r;
	struct bzt_ctx c;
	size_t full, sz;
	char what[32];

	bzt_init(&c, BZT_SETUP_SECTS);
	boot_file_ram_init(&r, BZT_RAM_SIZE);
	full = c.size;
	for (sz = 0; sz <= full; sz++) {
		/* Past the header, every 31st cut and the edges suffice. */
		if (sz > 0x400 && sz % 31 &&
		    (sz + 2 < c.setup_size || sz > c.setup_size + 0x210) &&
		    sz + 2 < full)
			continue;
		c.size = sz;
		snprintf(what, sizeof(what), "size %zu", sz);
		cr_assert_eq(bzt_file_agrees(&r, &c, what), sz == full ? 0 : -1,
			     "%s", what);
	}
	boot_file_ram_fini(&r);
	bzt_fini(&c);
}

Test(boot_bzimage, file_load_agrees_with_buffer_on_corrupt_headers)
{
	struct boot_file_ram r;
	struct bzt_ctx c;

	bzt_init(&c, BZT_SETUP_SECTS);
	boot_file_ram_init(&r, BZT_RAM_SIZE);
	cr_assert_eq(bzt_file_agrees(&r, &c, "valid"), 0);
	BZT_SET(c.img, syssize, BZT_PAYLOAD);
	cr_assert_eq(bzt_file_agrees(&r, &c, "syssize past the file"), -1);
	BZT_SET(c.img, syssize, BZT_PAYLOAD / 16);
	BZT_SET(c.img, kernel_alignment, 0x300000);
	cr_assert_eq(bzt_file_agrees(&r, &c, "alignment"), -1);
	BZT_SET(c.img, kernel_alignment, 0x200000);
	BZT_SET(c.img, init_size, BZT_RAM_SIZE);
	cr_assert_eq(bzt_file_agrees(&r, &c, "init_size past RAM"), -1);
	BZT_SET(c.img, init_size, BZT_INIT_SIZE);
	BZT_SET(c.img, version, 0x020b);
	cr_assert_eq(bzt_file_agrees(&r, &c, "old protocol"), -1);
	BZT_SET(c.img, version, 0x020f);
	c.img[0x201] = 0x10;
	cr_assert_eq(bzt_file_agrees(&r, &c, "short header"), -1);
	c.img[0x201] = 0xff; /* the longest header a jump can declare */
	cr_assert_eq(bzt_file_agrees(&r, &c, "header up to 0x301"), 0);
	BZT_SET(c.img, relocatable_kernel, 0);
	cr_assert_eq(bzt_file_agrees(&r, &c, "non-relocatable, 1 MiB"), 0);
	boot_file_ram_fini(&r);
	bzt_fini(&c);
}
