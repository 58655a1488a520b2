// SPDX-License-Identifier: MIT
/* initrd_load(), initrd_load_file(): placement below the limits and above the
 * kernel. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* A memfd holding the first size bytes of c->data; its /proc path. */
static int irt_file(struct irt_ctx *c, size_t size, char *path, size_t len)
{
	int fd = memfd_create("irt", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, c->data, size), (ssize_t)size);
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

Test(boot_initrd, file_lands_where_the_buffer_does)
{
	struct irt_ctx c;
	uint64_t gpa_buf, size = 0;
	struct image_mapped mapped = { .why = "unset" };
	char path[64];
	int fd;

	irt_init(&c);
	cr_assert_eq(irt_load(&c, sizeof(c.data), IRT_RAM_SIZE), 0, "%s",
		     c.e.msg);
	gpa_buf = c.gpa;
	memset(c.ram + gpa_buf, 0, sizeof(c.data));
	fd = irt_file(&c, sizeof(c.data), path, sizeof(path));
	cr_assert_eq(initrd_load_file(&c.m, &c.ki, path, IRT_RAM_SIZE,
				      IMAGE_MAP_AUTO, &c.gpa, &size, &mapped,
				      &c.e),
		     0, "%s", c.e.msg);
	cr_assert_eq(c.gpa, gpa_buf);
	cr_assert_eq(size, sizeof(c.data));
	/* A memfd, unnamed: no lease, so copied. */
	cr_assert_null(mapped.why, "mapped: %s", mapped.why);
	cr_assert_eq(memcmp(c.ram + c.gpa, c.data, sizeof(c.data)), 0);
	close(fd);
	irt_fini(&c);
}

Test(boot_initrd, file_empty_too_large_or_not_regular_fails)
{
	struct irt_ctx c;
	uint64_t size = 0;
	struct image_mapped mapped;
	char path[64];
	int fd;

	irt_init(&c);
	fd = irt_file(&c, 0, path, sizeof(path));
	cr_assert_eq(initrd_load_file(&c.m, &c.ki, path, IRT_RAM_SIZE,
				      IMAGE_MAP_AUTO, &c.gpa, &size, &mapped,
				      &c.e),
		     -1);
	cr_assert(strstr(c.e.msg, "initrd is empty"), "%s", c.e.msg);
	close(fd);
	fd = irt_file(&c, sizeof(c.data), path, sizeof(path));
	/* Only 4 KiB between the kernel's end and the end of RAM. */
	cr_assert_eq(initrd_load_file(&c.m, &c.ki, path,
				      IRT_KERNEL_END + 0x1000, IMAGE_MAP_AUTO,
				      &c.gpa, &size, &mapped, &c.e),
		     -1);
	cr_assert(strstr(c.e.msg, "initrd too large"), "%s", c.e.msg);
	close(fd);
	cr_assert_eq(initrd_load_file(&c.m, &c.ki, "/dev/zero", IRT_RAM_SIZE,
				      IMAGE_MAP_AUTO, &c.gpa, &size, &mapped,
				      &c.e),
		     -1);
	cr_assert(strstr(c.e.msg, "not a regular file"), "%s", c.e.msg);
	cr_assert_eq(c.gpa, 0xdead, "gpa written on failure");
	irt_fini(&c);
}

/* The gate itself: nothing outside guest RAM, nothing past the file. */
Test(boot_initrd, guest_mem_pread_bounds_and_short_file)
{
	struct irt_ctx c;
	char path[64];
	int fd;

	irt_init(&c);
	fd = irt_file(&c, 0x100, path, sizeof(path));
	errno = 0;
	cr_assert_eq(guest_mem_pread(&c.m, IRT_RAM_SIZE - 0x80, fd, 0, 0x100),
		     -1);
	cr_assert_eq(errno, EFAULT);
	cr_assert_eq(guest_mem_pread(&c.m, UINT64_MAX - 0x10, fd, 0, 0x100),
		     -1);
	errno = 0;
	cr_assert_eq(guest_mem_pread(&c.m, 0x1000, fd, 0x80, 0x100), -1);
	cr_assert_eq(errno, EIO);
	cr_assert_eq(guest_mem_pread(&c.m, 0x1000, fd, 0x80, 0x80), 0);
	cr_assert_eq(memcmp(c.ram + 0x1000, c.data + 0x80, 0x80), 0);
	close(fd);
	irt_fini(&c);
}
