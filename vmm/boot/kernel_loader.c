// SPDX-License-Identifier: MIT
#include "vmm/boot/boot.h"
#include "vmm/boot/loader.h"

#include <unistd.h>

/* Enough of the file's start to tell an ELF from a bzImage. */
#define KERNEL_HEAD 0x206

/*
 * The format is decided by content, never by file name: the user may point
 * at either a vmlinux or a bzImage, and a wrong guess would only surface as
 * a confusing validation error from the other loader.
 */
static int kernel_load_src(const struct guest_mem *m,
			   const struct image_src *src,
			   const struct kernel_load_opts *opts,
			   struct kernel_info *ki, struct err *e)
{
	bool guest_decompress = opts && opts->guest_decompress;
	uint8_t head[KERNEL_HEAD];
	size_t len =
	    src->size < sizeof(head) ? (size_t)src->size : sizeof(head);

	if (src->size == 0)
		return err_set(e, "kernel image is empty");
	if (image_src_read(src, 0, head, len) < 0)
		return err_set(e, "cannot read the kernel image");
	if (elf_is_image(head, len))
		return elf_load_src(m, src, ki, e);
	if (bzimage_is_image(head, len))
		return bzimage_load_src(m, src, guest_decompress, ki, e);
	return err_set(
	    e, "unknown kernel format: neither an ELF vmlinux nor a bzImage");
}

int kernel_load(const struct guest_mem *m, const void *image, size_t size,
		const struct kernel_load_opts *opts, struct kernel_info *ki,
		struct err *e)
{
	struct image_src src = image_src_buf(image, size);

	if (!image)
		return err_set(e, "kernel image is empty");
	return kernel_load_src(m, &src, opts, ki, e);
}

/*
 * Neither format is read whole into the heap: a vmlinux goes segment by
 * segment from the file into guest RAM, a bzImage's payload is streamed
 * through its decompressor (the start's largest cost was once reading the
 * kernel into a heap buffer and copying that).
 */
int kernel_load_file(const struct guest_mem *m, const char *path,
		     const struct kernel_load_opts *opts,
		     struct kernel_info *ki, struct err *e)
{
	struct image_src src;
	bool lease;
	const char *why;
	uint64_t size;
	int fd, ret;

	fd = image_src_open(path, "kernel", KERNEL_FILE_MAX, &size, e);
	if (fd < 0)
		return -1;
	src = image_src_file(fd, size);
	why = image_mapping_why(fd, opts ? opts->mapping : IMAGE_MAP_AUTO,
				&lease);
	src.map = why != NULL;
	ret = kernel_load_src(m, &src, opts, ki, e);
	/*
	 * A payload vireo decompressed went into guest RAM from the heap; a
	 * vmlinux, or a bzImage left to decompress itself, went from the file.
	 */
	if (ret == 0 && why && !ki->host_decompressed) {
		ki->mapped = (struct image_mapped){ .why = why,
						    .fd = fd,
						    .needs_lease = lease };
		return 0;
	}
	close(fd);
	if (ret == 0)
		ki->mapped = (struct image_mapped){ .fd = -1 };
	return ret;
}
