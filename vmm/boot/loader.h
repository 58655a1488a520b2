/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_BOOT_LOADER_H
#define VIREO_VMM_BOOT_LOADER_H

/*
 * Private to vmm/boot: the per-format loaders kernel_load() dispatches to.
 * Each validates the whole image before writing any guest memory, and fills
 * *ki only on success.
 */

#include <stdbool.h>
#include <stddef.h>

#include "vmm/boot/boot.h"

bool elf_is_image(const void *image, size_t size);
int elf_load(const struct guest_mem *m, const void *image, size_t size,
	     struct kernel_info *ki, struct err *e);

bool bzimage_is_image(const void *image, size_t size);
int bzimage_load(const struct guest_mem *m, const void *image, size_t size,
		 struct kernel_info *ki, struct err *e);

#endif
