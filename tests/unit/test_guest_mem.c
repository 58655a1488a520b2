// SPDX-License-Identifier: MIT
/*
 * guest_mem_map_file() (--map-images): the file's bytes land where
 * guest_mem_pread would put them, whole pages are the file's own pages
 * mapped copy-on-write (the guest's writes never reach the file), partial
 * pages and misaligned ranges are read, nothing outside the range changes;
 * guest_mem_privatize() makes such pages the guest's own.
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

/*
 * The file shrinks and is rewritten after guest_mem_privatize(): the guest
 * keeps the file's old bytes where it had not written and its own where it
 * had, nothing around the range changes, and no page is the file's any
 * more (a truncation would have taken even the written ones: SIGBUS).
 */
Test(guest_mem, privatized_pages_outlive_the_file)
{
	uint64_t gpa = 0x40000 + 0x80;
	size_t len = GMT_FILE - 0x80;
	uint8_t expect[GMT_FILE], junk[GMT_FILE];

	cr_assert_eq(guest_mem_map_file(&gmt.m, gpa, gmt.fd, 0x80, len), 0);
	cr_assert(gmt_file_backed(0x41000));
	memcpy(expect, gmt.data + 0x80, len);
	/* The guest wrote one mapped page, partly. */
	memset(gmt.ram + 0x42000, 0x5a, 100);
	memset(expect + (0x42000 - gpa), 0x5a, 100);

	cr_assert_eq(guest_mem_privatize(&gmt.m, gpa, len), 0);
	cr_assert_not(gmt_file_backed(0x41000));
	cr_assert_not(gmt_file_backed(0x42000));
	memset(junk, 0x11, sizeof(junk));
	cr_assert_eq(ftruncate(gmt.fd, 0), 0);
	cr_assert_eq(pwrite(gmt.fd, junk, 4096, 0), 4096);
	cr_assert_eq(memcmp(gmt.ram + gpa, expect, len), 0);
	gmt_assert_around(gpa, len);
	/* Still guest RAM: writable, and the range's ends as before. */
	gmt.ram[0x41000] = 1;
	cr_assert_eq(guest_mem_privatize(&gmt.m, gpa, 0), 0);
	errno = 0;
	cr_assert_eq(guest_mem_privatize(&gmt.m, GMT_RAM - 0x1000, 0x2000), -1);
	cr_assert_eq(errno, EFAULT);
}

/*
 * guest_mem_pread() into fresh, untouched guest RAM: a range spanning whole
 * 2 MiB frames (asked for as huge pages) and partial ones at both ends
 * lands byte for byte, and no page outside the range becomes resident.
 */
#define GML_RAM (12u << 20)
#define GML_LEN ((5u << 20) + 300)

static bool gml_resident(const uint8_t *ram, uint64_t gpa)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec = 0;
	uintptr_t a = (uintptr_t)(ram + gpa) & ~((uintptr_t)page - 1);

	cr_assert_eq(mincore((void *)a, (size_t)page, &vec), 0);
	return vec & 1;
}

Test(guest_mem_load, pread_over_huge_frames_lands_and_touches_only_its_range)
{
	const uint64_t gpa = (2u << 20) - 4096 + 17;
	char path[] = "/tmp/vireo-gml-XXXXXX";
	struct guest_mem m = { 0 };
	uint8_t *raw, *ram, *data;
	size_t i;
	int fd;

	/* 2 MiB-aligned, as guest_ram_create maps guest RAM. */
	raw = mmap(NULL, GML_RAM + (2u << 20), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(raw, MAP_FAILED);
	ram = (uint8_t *)(((uintptr_t)raw + (2u << 20) - 1) &
			  ~(uintptr_t)((2u << 20) - 1));
	cr_assert_eq(guest_mem_add_region(&m, 0, GML_RAM, ram), 0);
	data = malloc(GML_LEN);
	cr_assert(data);
	for (i = 0; i < GML_LEN; i++)
		data[i] = (uint8_t)(i * 13 + i / 4096);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	cr_assert_eq(write(fd, data, GML_LEN), (ssize_t)GML_LEN);

	cr_assert_eq(guest_mem_pread(&m, gpa, fd, 0, GML_LEN), 0);
	cr_assert_eq(memcmp(ram + gpa, data, GML_LEN), 0);
	cr_assert(gml_resident(ram, gpa));
	cr_assert(gml_resident(ram, gpa + GML_LEN - 1));
	cr_assert_not(gml_resident(ram, gpa - 4096),
		      "the page before the range was populated");
	cr_assert_not(gml_resident(ram, gpa + GML_LEN + 4096),
		      "the page after the range was populated");
	cr_assert_not(gml_resident(ram, 0), "RAM below the range was touched");
	cr_assert_not(gml_resident(ram, GML_RAM - 4096),
		      "RAM above the range was touched");
	cr_assert_eq(ram[gpa - 1], 0);
	cr_assert_eq(ram[gpa + GML_LEN], 0);
	close(fd);
	free(data);
	munmap(raw, GML_RAM + (2u << 20));
}
