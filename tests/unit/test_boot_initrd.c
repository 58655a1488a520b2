// SPDX-License-Identifier: MIT
/* initrd_load(): placement below the limits and above the kernel. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/boot.h"

#define IRT_RAM_SIZE (64ULL << 20)
#define IRT_KERNEL_END 0x1200000ULL

struct irt_ctx {
	struct guest_mem m;
	uint8_t *ram;
	struct kernel_info ki;
	uint8_t data[0x1800];
	uint64_t gpa;
	struct err e;
};

static void irt_init(struct irt_ctx *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->ram = calloc(1, IRT_RAM_SIZE);
	cr_assert(c->ram);
	cr_assert_eq(guest_mem_add_region(&c->m, 0, IRT_RAM_SIZE, c->ram), 0);
	c->ki.load_start = 0x1000000;
	c->ki.load_end = IRT_KERNEL_END;
	c->ki.initrd_addr_max = 0x7fffffff;
	for (i = 0; i < sizeof(c->data); i++)
		c->data[i] = (uint8_t)(i * 5 + 9);
	c->gpa = 0xdead;
}

static void irt_fini(struct irt_ctx *c)
{
	free(c->ram);
}

static int irt_load(struct irt_ctx *c, size_t size, uint64_t ram_end)
{
	return initrd_load(&c->m, &c->ki, c->data, size, ram_end, &c->gpa,
			   &c->e);
}

Test(boot_initrd, placed_at_top_of_ram_page_aligned)
{
	struct irt_ctx c;

	irt_init(&c);
	cr_assert_eq(irt_load(&c, sizeof(c.data), IRT_RAM_SIZE), 0, "%s",
		     c.e.msg);
	cr_assert_eq(c.gpa, IRT_RAM_SIZE - 0x2000);
	cr_assert_eq(c.gpa & 0xfff, 0);
	cr_assert_eq(memcmp(c.ram + c.gpa, c.data, sizeof(c.data)), 0);
	irt_fini(&c);
}

Test(boot_initrd, respects_initrd_addr_max_inclusive)
{
	struct irt_ctx c;

	irt_init(&c);
	/* Last usable byte 0x2000fff: a 4 KiB initrd fits at 0x2000000. */
	c.ki.initrd_addr_max = 0x2000fff;
	cr_assert_eq(irt_load(&c, 0x1000, IRT_RAM_SIZE), 0, "%s", c.e.msg);
	cr_assert_eq(c.gpa, 0x2000000);
	cr_assert_leq(c.gpa + 0x1000 - 1, c.ki.initrd_addr_max);
	irt_fini(&c);
}

Test(boot_initrd, respects_ram_end)
{
	struct irt_ctx c;

	irt_init(&c);
	cr_assert_eq(irt_load(&c, 0x1000, 0x3000000), 0, "%s", c.e.msg);
	cr_assert_eq(c.gpa, 0x2fff000);
	irt_fini(&c);
}

Test(boot_initrd, exactly_fills_gap_above_kernel)
{
	struct irt_ctx c;

	irt_init(&c);
	cr_assert_eq(irt_load(&c, 0x1000, IRT_KERNEL_END + 0x1000), 0, "%s",
		     c.e.msg);
	cr_assert_eq(c.gpa, IRT_KERNEL_END);
	irt_fini(&c);
}

Test(boot_initrd, must_not_overlap_kernel)
{
	struct irt_ctx c;

	irt_init(&c);
	cr_assert_eq(irt_load(&c, 0x1001, IRT_KERNEL_END + 0x1000), -1);
	cr_assert(strstr(c.e.msg, "initrd too large"), "%s", c.e.msg);
	cr_assert_eq(c.gpa, 0xdead, "gpa written on failure");
	cr_assert_eq(c.ram[IRT_KERNEL_END], 0);
	irt_fini(&c);
}

Test(boot_initrd, larger_than_ram)
{
	struct irt_ctx c;

	irt_init(&c);
	cr_assert_eq(irt_load(&c, 0x1800, 0x1000), -1);
	cr_assert(strstr(c.e.msg, "initrd too large"), "%s", c.e.msg);
	irt_fini(&c);
}

Test(boot_initrd, empty_rejected)
{
	struct irt_ctx c;

	irt_init(&c);
	cr_assert_eq(irt_load(&c, 0, IRT_RAM_SIZE), -1);
	cr_assert(strstr(c.e.msg, "empty"), "%s", c.e.msg);
	irt_fini(&c);
}

Test(boot_initrd, limit_beyond_guest_ram_fails_cleanly)
{
	struct irt_ctx c;

	irt_init(&c);
	/* The caller claims more RAM than exists: no write out of bounds. */
	cr_assert_eq(irt_load(&c, 0x1000, IRT_RAM_SIZE * 2), -1);
	cr_assert(strstr(c.e.msg, "guest RAM"), "%s", c.e.msg);
	irt_fini(&c);
}

Test(boot_initrd, addr_max_just_below_ram_end_wins)
{
	struct irt_ctx c;

	irt_init(&c);
	/* The last byte of RAM is off limits, so the page below is used. */
	c.ki.initrd_addr_max = 0x2fffffe;
	cr_assert_eq(irt_load(&c, 0x1000, 0x3000000), 0, "%s", c.e.msg);
	cr_assert_eq(c.gpa, 0x2ffe000);
	irt_fini(&c);
}
