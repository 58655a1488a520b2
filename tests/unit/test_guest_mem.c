// SPDX-License-Identifier: MIT
/*
 * guest_mem_map_file() (--map-images): the file's bytes land where
 * guest_mem_pread would put them, whole pages are the file's own pages
 * mapped copy-on-write (the guest's writes never reach the file), partial
 * pages and misaligned ranges are read, nothing outside the range changes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/guest_mem.h"

#define GMT_RAM (1u << 20)
#define GMT_FILE (3 * 4096 + 100)

static struct {
	struct guest_mem m;
	uint8_t *ram;
	uint8_t data[GMT_FILE];
	char path[64];
	int fd;
} gmt;

static void gmt_setup(void)
{
	size_t i;

	memset(&gmt, 0, sizeof(gmt));
	gmt.ram = mmap(NULL, GMT_RAM, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(gmt.ram, MAP_FAILED);
	memset(gmt.ram, 0xee, GMT_RAM);
	cr_assert_eq(guest_mem_add_region(&gmt.m, 0, GMT_RAM, gmt.ram), 0);
	for (i = 0; i < sizeof(gmt.data); i++)
		gmt.data[i] = (uint8_t)(i * 7 + 3);
	strcpy(gmt.path, "/tmp/vireo-gmt-XXXXXX");
	gmt.fd = mkstemp(gmt.path);
	cr_assert_geq(gmt.fd, 0);
	cr_assert_eq(write(gmt.fd, gmt.data, sizeof(gmt.data)),
		     (ssize_t)sizeof(gmt.data));
}

static void gmt_teardown(void)
{
	close(gmt.fd);
	unlink(gmt.path);
	munmap(gmt.ram, GMT_RAM);
}

TestSuite(guest_mem, .init = gmt_setup, .fini = gmt_teardown, .timeout = 10);

/* Whether the host page holding gpa is a file mapping (in /proc/self/maps). */
static bool gmt_file_backed(uint64_t gpa)
{
	uintptr_t a = (uintptr_t)(gmt.ram + gpa);
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		char dev[16];

		if (sscanf(line, "%lx-%lx %*s %*s %15s %lu", &lo, &hi, dev,
			   &ino) == 4 &&
		    a >= lo && a < hi) {
			found = ino != 0;
			break;
		}
	}
	fclose(f);
	return found;
}

static void gmt_assert_around(uint64_t gpa, size_t len)
{
	cr_assert_eq(gmt.ram[gpa - 1], 0xee, "byte before the range changed");
	cr_assert_eq(gmt.ram[gpa + len], 0xee, "byte after the range changed");
}

Test(guest_mem, map_file_lands_as_pread_does_and_stays_private)
{
	/* gpa and offset agree modulo the page: head, 2 pages, tail. */
	uint64_t gpa = 0x10000 + 0x80;
	uint8_t back[GMT_FILE];

	cr_assert_eq(
	    guest_mem_map_file(&gmt.m, gpa, gmt.fd, 0x80, GMT_FILE - 0x80), 0);
	cr_assert_eq(memcmp(gmt.ram + gpa, gmt.data + 0x80, GMT_FILE - 0x80),
		     0);
	gmt_assert_around(gpa, GMT_FILE - 0x80);
	cr_assert(gmt_file_backed(0x11000), "the whole page was not mapped");
	cr_assert_not(gmt_file_backed(0x10000), "the partial head was mapped");
	/* The guest's writes are its own. */
	memset(gmt.ram + 0x11000, 0x5a, 4096);
	cr_assert_eq(pread(gmt.fd, back, sizeof(back), 0),
		     (ssize_t)sizeof(back));
	cr_assert_eq(memcmp(back, gmt.data, sizeof(back)), 0);
}

Test(guest_mem, misaligned_offset_is_read_instead)
{
	uint64_t gpa = 0x20000;

	cr_assert_eq(
	    guest_mem_map_file(&gmt.m, gpa, gmt.fd, 0x80, GMT_FILE - 0x80), 0);
	cr_assert_eq(memcmp(gmt.ram + gpa, gmt.data + 0x80, GMT_FILE - 0x80),
		     0);
	gmt_assert_around(gpa, GMT_FILE - 0x80);
	cr_assert_not(gmt_file_backed(gpa + 0x1000));
}

Test(guest_mem, map_file_bounds_and_short_file)
{
	errno = 0;
	cr_assert_eq(
	    guest_mem_map_file(&gmt.m, GMT_RAM - 0x1000, gmt.fd, 0, GMT_FILE),
	    -1);
	cr_assert_eq(errno, EFAULT);
	cr_assert_eq(
	    guest_mem_map_file(&gmt.m, UINT64_MAX - 0x10, gmt.fd, 0, 0x100),
	    -1);
	/* Past the file's end: the tail read comes up short. */
	errno = 0;
	cr_assert_eq(
	    guest_mem_map_file(&gmt.m, 0x30000, gmt.fd, 0, GMT_FILE + 0x1000),
	    -1);
	cr_assert_eq(errno, EIO);
}
