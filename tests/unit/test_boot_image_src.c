// SPDX-License-Identifier: MIT
/*
 * vmm/boot/image_src: which kernel and initrd files are mapped into guest
 * RAM by default (those that cannot change: fs-verity, immutable, on a
 * filesystem with no write path; and those vireo can hold a read lease
 * on) and which are copied, and that --map-images and --copy-images
 * override the choice.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/boot.h"
#include "vmm/boot/image_src.h"

#define ALL_ATTRS (STATX_ATTR_VERITY | STATX_ATTR_IMMUTABLE)

Test(image_src, files_that_cannot_change_say_why)
{
	const char *why;

	why = image_fixed_why(STATX_ATTR_VERITY, ALL_ATTRS, EXT4_SUPER_MAGIC);
	cr_assert(why && strstr(why, "fs-verity"), "%s", why ?: "NULL");
	why =
	    image_fixed_why(STATX_ATTR_IMMUTABLE, ALL_ATTRS, EXT4_SUPER_MAGIC);
	cr_assert(why && strstr(why, "immutable"), "%s", why ?: "NULL");
	why = image_fixed_why(0, ALL_ATTRS, SQUASHFS_MAGIC);
	cr_assert(why && strstr(why, "squashfs"), "%s", why ?: "NULL");
	why = image_fixed_why(0, 0, EROFS_SUPER_MAGIC_V1);
	cr_assert(why && strstr(why, "erofs"), "%s", why ?: "NULL");
}

Test(image_src, files_that_can_change_are_copied)
{
	cr_assert_null(image_fixed_why(0, ALL_ATTRS, EXT4_SUPER_MAGIC));
	cr_assert_null(image_fixed_why(0, ALL_ATTRS, TMPFS_MAGIC));
	/* An attribute the filesystem does not vouch for (not in the mask). */
	cr_assert_null(image_fixed_why(ALL_ATTRS, 0, EXT4_SUPER_MAGIC));
	/* Append-only, compressed, ...: still changeable. */
	cr_assert_null(
	    image_fixed_why(STATX_ATTR_APPEND | STATX_ATTR_COMPRESSED, ~0ULL,
			    EXT4_SUPER_MAGIC));
}

/*
 * An unnamed file on /var/tmp (ext4 on our machines) holding len bytes of
 * data, immutable when asked: setting the flag needs root and a filesystem
 * that keeps it, and the test fails saying so where it cannot.
 */
static int is_file(const void *data, size_t len, bool immutable)
{
	int fd = open("/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int flags = 0;

	cr_assert_geq(fd, 0, "O_TMPFILE on /var/tmp: %s", strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	if (!immutable)
		return fd;
	cr_assert_eq(ioctl(fd, FS_IOC_GETFLAGS, &flags), 0, "%s",
		     strerror(errno));
	flags |= FS_IMMUTABLE_FL;
	cr_assert_eq(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0,
		     "chattr +i on /var/tmp (needs root): %s", strerror(errno));
	return fd;
}

/* A named file on /var/tmp holding data, opened read-only; its path in path. */
static int ro_file(const void *data, size_t len, char *path)
{
	int fd;

	strcpy(path, "/var/tmp/vireo-image-src-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	return fd;
}

Test(image_src, the_policy_decides_for_a_real_file)
{
	static const char data[] = "vmlinux";
	char path[64];
	int fixed = is_file(data, sizeof(data), true);
	int plain = ro_file(data, sizeof(data), path);
	bool lease = true;
	const char *why = image_mapping_why(fixed, IMAGE_MAP_AUTO, &lease);
	int writer;

	cr_assert(why && strstr(why, "immutable"), "%s", why ?: "NULL");
	cr_assert_not(lease, "an immutable file needs no lease");
	/* A file vireo may lease is mapped under one, taken later. */
	why = image_mapping_why(plain, IMAGE_MAP_AUTO, &lease);
	cr_assert(why && strstr(why, "lease"), "%s", why ?: "NULL");
	cr_assert(lease);
	cr_assert_eq(fcntl(plain, F_GETLEASE), F_UNLCK, "the probe kept it");
	/* Someone has it open for writing: no lease, so copied. */
	writer = open(path, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(writer, 0);
	cr_assert_null(image_mapping_why(plain, IMAGE_MAP_AUTO, &lease));
	unlink(path);
	cr_assert_null(image_mapping_why(fixed, IMAGE_MAP_NEVER, &lease));
	close(writer);
	/*
	 * A memfd's writers are not counted, so a lease on it would not see
	 * them: one opened read-only through /proc is still copied.
	 */
	writer = memfd_create("vmlinux", MFD_CLOEXEC);
	cr_assert_geq(writer, 0);
	cr_assert_eq(write(writer, data, sizeof(data)), (ssize_t)sizeof(data));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", writer);
	{
		int ro = open(path, O_RDONLY | O_CLOEXEC);

		cr_assert_geq(ro, 0);
		cr_assert_null(image_mapping_why(ro, IMAGE_MAP_AUTO, &lease));
		close(ro);
	}
	cr_assert_str_eq(image_mapping_why(plain, IMAGE_MAP_ALWAYS, &lease),
			 "--map-images");
	cr_assert_not(lease);
	close(writer);
	close(plain);
	close(fixed);
}

/*
 * The initrd loader maps an immutable file by default and says so: the
 * guest sees the file's bytes, and its writes stay its own.
 */
Test(image_src, an_immutable_initrd_is_mapped_and_stays_private)
{
	enum { RAM = 32 << 20, PAGE = 4096 };
	static uint8_t data[4 * PAGE];
	struct kernel_info ki = { .load_start = 0x100000,
				  .load_end = 0x200000,
				  .initrd_addr_max = RAM - 1 };
	struct guest_mem m = { 0 };
	uint64_t gpa = 0, size = 0;
	struct image_mapped mapped = { 0 };
	char path[64], back;
	struct err e;
	uint8_t *ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd;

	cr_assert_neq(ram, MAP_FAILED);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	fd = is_file(data, sizeof(data), true);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	cr_assert_eq(guest_mem_add_region(&m, 0, RAM, ram), 0);
	cr_assert_eq(initrd_load_file(&m, &ki, path, RAM, IMAGE_MAP_AUTO, &gpa,
				      &size, &mapped, &e),
		     0, "%s", e.msg);
	cr_assert(mapped.why && strstr(mapped.why, "immutable"),
		  "copied, not mapped");
	cr_assert_not(mapped.needs_lease);
	cr_assert_eq(size, sizeof(data));
	cr_assert_arr_eq(ram + gpa, data, sizeof(data));
	ram[gpa + PAGE] = 0xee;
	cr_assert_eq(pread(fd, &back, 1, PAGE), 1);
	cr_assert_eq((uint8_t)back, data[PAGE], "the guest wrote the file");
	cr_assert_eq(ram[gpa + PAGE], 0xee);
	munmap(ram, RAM);
	image_mapped_close(&mapped);
	close(fd);
}
