// SPDX-License-Identifier: MIT
#include "vmm/boot/boot.h"
#include "vmm/boot/loader.h"

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
