// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the ELF vmlinux loader (program headers, segments,
 * entry point, PVH note): the input is the kernel file the user gives
 * with --kernel. See fuzz_boot_common.h for the fake RAM.
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_boot_common.h"
#include "vmm/boot/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kernel_info ki;
	struct fzb_ram *r;
	struct err e;

	if (!elf_is_image(data, size))
		return -1; /* the bzImage target covers the rest */
	r = fzb_ram_get();
	if (kernel_load(&r->m, data, size, NULL, &ki, &e) == 0) {
		fzb_check(ki.format == KERNEL_FORMAT_ELF);
		fzb_after_load(r, &ki);
	} else {
		fzb_check(e.msg[0] && !strchr(e.msg, '\n'));
	}
	return 0;
}
