// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the bzImage loader: the setup header, the payload
 * (gzip, xz, plain ELF, or the in-guest decompressor fallback) and the
 * ELF vmlinux extracted from it. The input is the --kernel file. Payloads
 * that inflate without bound or xz streams that ask for a huge dictionary
 * show up as libFuzzer's -malloc_limit_mb/-rss_limit_mb reports.
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_boot_common.h"
#include "vmm/boot/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kernel_load_opts opts = { .guest_decompress = false };
	struct kernel_info ki;
	struct fzb_ram *r;
	struct err e;

	if (!bzimage_is_image(data, size))
		return -1;
	r = fzb_ram_get();
	if (kernel_load(&r->m, data, size, &opts, &ki, &e) == 0) {
		fzb_check(ki.format == KERNEL_FORMAT_BZIMAGE);
		fzb_after_load(r, &ki);
	} else {
		fzb_check(e.msg[0] && !strchr(e.msg, '\n'));
	}
	return 0;
}
