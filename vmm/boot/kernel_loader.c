// SPDX-License-Identifier: MIT
#include "vmm/boot/boot.h"
#include "vmm/boot/loader.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * The format is decided by content, never by file name: the user may point
 * at either a vmlinux or a bzImage, and a wrong guess would only surface as
 * a confusing validation error from the other loader.
 */
int kernel_load(const struct guest_mem *m, const void *image, size_t size,
		const struct kernel_load_opts *opts, struct kernel_info *ki,
		struct err *e)
{
	bool guest_decompress = opts && opts->guest_decompress;

	if (!image || size == 0)
		return err_set(e, "kernel image is empty");
	if (elf_is_image(image, size))
		return elf_load(m, image, size, ki, e);
	if (bzimage_is_image(image, size))
		return bzimage_load(m, image, size, guest_decompress, ki, e);
	return err_set(
	    e, "unknown kernel format: neither an ELF vmlinux nor a bzImage");
}

/*
 * A vmlinux is loaded segment by segment from the file straight into guest
 * RAM (the start's largest cost was reading it into a heap buffer and
 * copying that); a bzImage is read whole, as its payload is decompressed
 * from memory anyway.
 */
int kernel_load_file(const struct guest_mem *m, const char *path,
		     const struct kernel_load_opts *opts,
		     struct kernel_info *ki, struct err *e)
{
	uint8_t head[SELFMAG];
	struct image_src src;
	uint64_t size;
	void *image;
	int fd, ret;

	fd = image_src_open(path, "kernel", KERNEL_FILE_MAX, &size, e);
	if (fd < 0)
		return -1;
	src = image_src_file(fd, size);
	if (size >= sizeof(head) &&
	    image_src_read(&src, 0, head, sizeof(head)) == 0 &&
	    elf_is_image(head, sizeof(head))) {
		ret = elf_load_src(m, &src, ki, e);
		close(fd);
		return ret;
	}
	image = malloc(size ? size : 1);
	if (!image) {
		close(fd);
		return err_set(e, "out of memory reading kernel file '%s'",
			       path);
	}
	if (image_src_read(&src, 0, image, size) < 0)
		ret = err_errno(e, errno ? errno : EIO,
				"cannot read kernel file '%s'", path);
	else
		ret = kernel_load(m, image, size, opts, ki, e);
	free(image);
	close(fd);
	return ret;
}
