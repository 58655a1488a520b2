/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_UNIT_BOOT_FILE_H
#define VIREO_TESTS_UNIT_BOOT_FILE_H

/*
 * kernel_load_file() reads an image from its file (pread into guest RAM, a
 * streamed bzImage payload) where kernel_load() has it in a buffer: for
 * the boot_* suites, both must accept and refuse exactly the same images,
 * with the same message and kernel_info, and leave guest RAM the same.
 */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/boot/boot.h"

#define BOOT_FILE_POISON 0xaa

/* One guest RAM for each way of loading, reused across loads. */
struct boot_file_ram {
	struct guest_mem mb, mf;
	uint8_t *rb, *rf;
};

static inline void boot_file_ram_init(struct boot_file_ram *r, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->rb = malloc(size);
	r->rf = malloc(size);
	cr_assert(r->rb && r->rf);
	cr_assert_eq(guest_mem_add_region(&r->mb, 0, size, r->rb), 0);
	cr_assert_eq(guest_mem_add_region(&r->mf, 0, size, r->rf), 0);
}

static inline void boot_file_ram_fini(struct boot_file_ram *r)
{
	free(r->rb);
	free(r->rf);
}

/*
 * Loads img both ways, each into its guest RAM poisoned over [gpa, gpa +
 * len), the range any load of img may write, and compares them there;
 * returns what kernel_load() returned.
 */
static inline int boot_file_agrees(struct boot_file_ram *r, const void *img,
				   size_t size, bool guest_decompress,
				   uint64_t gpa, size_t len, const char *what)
{
	struct kernel_load_opts opts = { .guest_decompress = guest_decompress };
	struct kernel_info kb, kf;
	struct err eb = { { 0 } }, ef = { { 0 } };
	char path[64];
	int fd, rc_buf, rc_file;

	memset(r->rb + gpa, BOOT_FILE_POISON, len);
	memset(r->rf + gpa, BOOT_FILE_POISON, len);
	fd = memfd_create("boot_file", MFD_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, img, size), (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	memset(&kb, 0, sizeof(kb));
	memset(&kf, 0, sizeof(kf));
	rc_buf = kernel_load(&r->mb, img, size, &opts, &kb, &eb);
	rc_file = kernel_load_file(&r->mf, path, &opts, &kf, &ef);
	cr_assert_eq(rc_file, rc_buf, "%s: buffer %d (%s), file %d (%s)", what,
		     rc_buf, eb.msg, rc_file, ef.msg);
	if (rc_buf < 0)
		cr_assert_str_eq(ef.msg, eb.msg, "%s", what);
	else {
		/* A memfd, unnamed: no lease, copied. */
		cr_assert_null(kf.mapped.why, "%s: mapped", what);
		kf.mapped = kb.mapped;
		cr_assert_eq(memcmp(&kf, &kb, sizeof(kf)), 0, "%s", what);
	}
	cr_assert_eq(memcmp(r->rf + gpa, r->rb + gpa, len), 0,
		     "%s: guest RAM differs", what);
	close(fd);
	return rc_buf;
}

#endif
