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
#include "vmm/boot/image_src.h"

bool elf_is_image(const void *image, size_t size);
int elf_load(const struct guest_mem *m, const void *image, size_t size,
	     struct kernel_info *ki, struct err *e);

/* The same, reading the image from a buffer or straight from a file. */
int elf_load_src(const struct guest_mem *m, const struct image_src *src,
		 struct kernel_info *ki, struct err *e);

bool bzimage_is_image(const void *image, size_t size);
/* guest_decompress: never extract the payload on the host. */
int bzimage_load(const struct guest_mem *m, const void *image, size_t size,
		 bool guest_decompress, struct kernel_info *ki, struct err *e);
/*
 * The same from a file: the setup header is read alone, the compressed
 * payload streamed through the decompressor, and a protected-mode kernel
 * the guest decompresses goes straight into guest RAM.
 */
int bzimage_load_src(const struct guest_mem *m, const struct image_src *src,
		     bool guest_decompress, struct kernel_info *ki,
		     struct err *e);

/* Cap on a decompressed bzImage payload. */
#define BZ_PAYLOAD_MAX (512u << 20)

enum {
	BZ_PAYLOAD_OK = 0,
	/* No payload, or a format vireo cannot decompress: not an error. */
	BZ_PAYLOAD_UNSUPPORTED = 1,
};

struct bz_payload {
	void *data; /* malloc'd; the caller frees it */
	size_t size;
	const char *format; /* "gzip", "xz", "ELF", "lz4", "unknown", ... */
};

/*
 * Locates the payload of a bzImage whose setup header hdr has been read
 * and validated, and decompresses it (gzip, xz) or copies it (ELF) into
 * out->data. Returns BZ_PAYLOAD_OK, BZ_PAYLOAD_UNSUPPORTED (out->format
 * says what was found, out->data is NULL), or -1 with a one-line message
 * when the payload lies outside the file or its stream is corrupt,
 * truncated, decompresses to more than hdr->init_size (or BZ_PAYLOAD_MAX),
 * or (xz) needs more decoder memory than any kernel build uses.
 */
int bz_payload_extract(const struct image_src *src,
		       const struct setup_header *hdr, struct bz_payload *out,
		       struct err *e);

#endif
