// SPDX-License-Identifier: MIT
/*
 * bzImage loader, Linux x86 boot protocol (Documentation/x86/boot.rst).
 * vireo never runs the real-mode setup code, so only the setup header is
 * taken from the setup sectors. When the payload (the compressed ELF
 * vmlinux) is in a format vireo can decompress, it is extracted on the
 * host and loaded as an ELF, entered at startup_64: the in-guest
 * decompressor runs at low identity-mapped addresses, which some KVM
 * implementations (PVM) can only emulate, instruction by instruction.
 * Otherwise vireo enters the protected-mode kernel's own decompressor at
 * its 64-bit entry (load + 0x200).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/boot/loader.h"
#include "vmm/layout.h"

#define BZ_HDR_OFFSET 0x1f1
#define BZ_BOOT_FLAG_OFFSET 0x1fe
#define BZ_JUMP_OFFSET 0x200
#define BZ_MAGIC_OFFSET 0x202
#define BZ_VERSION_OFFSET 0x206
#define BZ_BOOT_FLAG 0xaa55
#define BZ_HDRS_MAGIC "HdrS"
#define BZ_SECTOR 512
#define BZ_DEFAULT_SETUP_SECTS 4 /* what setup_sects == 0 means */
#define BZ_ENTRY64_OFFSET 0x200
/* Past the longest header the jump at 0x200 can declare (0x202 + 0xff). */
#define BZ_HEAD_MAX 0x302
/* Non-relocatable kernels are loaded at the traditional 1 MiB. */
#define BZ_FIXED_LOAD LAYOUT_HIGH_MEMORY

/*
 * 2.12 introduced xloadflags, the only way to know that the 64-bit entry
 * at 0x200 exists; it also guarantees the header covers init_size.
 */
#define BZ_MIN_VERSION 0x020c
#define BZ_HDR_END_MIN                                                         \
	(BZ_HDR_OFFSET + offsetof(struct setup_header, handover_offset))

bool bzimage_is_image(const void *image, size_t size)
{
	const uint8_t *p = image;
	uint16_t flag;

	if (size < BZ_MAGIC_OFFSET + 4)
		return false;
	memcpy(&flag, p + BZ_BOOT_FLAG_OFFSET, sizeof(flag));
	return flag == BZ_BOOT_FLAG &&
	       memcmp(p + BZ_MAGIC_OFFSET, BZ_HDRS_MAGIC, 4) == 0;
}

/*
 * The header is as long as the kernel says (the byte after the 0xeb jump
 * at 0x200 is its displacement); fields beyond it stay zero, as the
 * protocol requires for fields the kernel does not know.
 */
static int bz_read_header(const uint8_t *p, size_t size,
			  struct setup_header *hdr, struct err *e)
{
	uint16_t version;
	size_t end, len;

	if (size < BZ_VERSION_OFFSET + sizeof(version))
		return err_set(e, "kernel image truncated: bzImage setup "
				  "header extends past end of file");
	memcpy(&version, p + BZ_VERSION_OFFSET, sizeof(version));
	if (version < BZ_MIN_VERSION)
		return err_set(
		    e,
		    "bzImage boot protocol %u.%02u is too old: vireo needs "
		    "2.12 or later for the 64-bit entry point",
		    version >> 8, version & 0xff);

	end = BZ_MAGIC_OFFSET + (size_t)p[BZ_JUMP_OFFSET + 1];
	if (end < BZ_HDR_END_MIN)
		return err_set(e,
			       "bzImage setup header is %zu bytes, too short "
			       "for boot protocol %u.%02u",
			       end - BZ_HDR_OFFSET, version >> 8,
			       version & 0xff);
	if (end > size)
		return err_set(e, "kernel image truncated: bzImage setup "
				  "header extends past end of file");

	len = end - BZ_HDR_OFFSET;
	if (len > sizeof(*hdr))
		len = sizeof(*hdr);
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, p + BZ_HDR_OFFSET, len);
	return 0;
}

static int bz_load_addr(const struct setup_header *hdr, uint64_t *load,
			struct err *e)
{
	uint64_t align = hdr->kernel_alignment;

	if (!hdr->relocatable_kernel) {
		*load = BZ_FIXED_LOAD;
		return 0;
	}
	if (align == 0 || (align & (align - 1)))
		return err_set(e,
			       "bzImage kernel_alignment 0x%" PRIx64
			       " is not a power of two",
			       align);
	*load = (LAYOUT_KERNEL_LOAD + align - 1) & ~(align - 1);
	return 0;
}

/*
 * Loads the extracted vmlinux through the ELF loader. The zero page still
 * gets the bzImage's own header (version, limits, xloadflags), and the
 * kernel's range extends to init_size from its start, as a decompressing
 * boot would have claimed: the initrd stays clear of it either way.
 */
static int bz_load_extracted(const struct guest_mem *m,
			     const struct bz_payload *pl,
			     struct kernel_info *out, struct err *e)
{
	struct setup_header *hdr = &out->hdr;
	struct kernel_info elf;
	uint64_t end;

	if (!elf_is_image(pl->data, pl->size))
		return err_set(e,
			       "bzImage payload (%s, %zu bytes decompressed) "
			       "is not an ELF vmlinux",
			       pl->format, pl->size);
	if (elf_load(m, pl->data, pl->size, &elf, e))
		return err_prefix(e, "bzImage payload (%s)", pl->format);

	end = elf.load_start + hdr->init_size;
	if (end > elf.load_end) {
		if (end > LAYOUT_MMIO_HOLE_END ||
		    !guest_mem_range_ok(m, elf.load_start,
					end - elf.load_start))
			return err_set(e,
				       "guest RAM too small for the kernel: it "
				       "needs [0x%" PRIx64 ", 0x%" PRIx64 ")",
				       elf.load_start, end);
		elf.load_end = end;
	}

	hdr->code32_start = (uint32_t)elf.load_start;
	hdr->type_of_loader = 0xff;
	out->entry64 = elf.entry64;
	out->pvh_entry = elf.pvh_entry;
	out->load_start = elf.load_start;
	out->load_end = elf.load_end;
	out->initrd_addr_max = hdr->initrd_addr_max;
	out->cmdline_size = hdr->cmdline_size;
	out->host_decompressed = true;
	return 0;
}

int bzimage_load(const struct guest_mem *m, const void *image, size_t size,
		 bool guest_decompress, struct kernel_info *ki, struct err *e)
{
	struct image_src src = image_src_buf(image, size);

	return bzimage_load_src(m, &src, guest_decompress, ki, e);
}

int bzimage_load_src(const struct guest_mem *m, const struct image_src *src,
		     bool guest_decompress, struct kernel_info *ki,
		     struct err *e)
{
	uint8_t head[BZ_HEAD_MAX];
	struct kernel_info out = { .format = KERNEL_FORMAT_BZIMAGE };
	struct setup_header *hdr = &out.hdr;
	uint64_t setup_size, kernel_size, run, end, load = 0;
	uint64_t size = src->size;
	size_t head_len = size < sizeof(head) ? (size_t)size : sizeof(head);
	unsigned int setup_sects;

	if (image_src_read(src, 0, head, head_len) < 0)
		return err_set(e, "cannot read the bzImage setup header");
	if (bz_read_header(head, head_len, hdr, e))
		return -1;
	if (!(hdr->xloadflags & XLF_KERNEL_64))
		return err_set(e,
			       "bzImage has no 64-bit entry point "
			       "(XLF_KERNEL_64 not set): not a 64-bit kernel");
	if (!(hdr->loadflags & LOADED_HIGH))
		return err_set(
		    e, "bzImage must be loaded below 1 MiB (LOADED_HIGH not "
		       "set), which vireo does not support");

	setup_sects =
	    hdr->setup_sects ? hdr->setup_sects : BZ_DEFAULT_SETUP_SECTS;
	setup_size = (uint64_t)(setup_sects + 1) * BZ_SECTOR;
	if (setup_size >= size)
		return err_set(
		    e,
		    "kernel image truncated: bzImage setup code (%" PRIu64
		    " bytes) leaves no protected-mode kernel",
		    setup_size);
	kernel_size = size - setup_size;
	if (hdr->syssize == 0)
		return err_set(e, "bzImage header gives a zero kernel size");
	if ((uint64_t)hdr->syssize * 16 > kernel_size)
		return err_set(e,
			       "kernel image truncated: protected-mode kernel "
			       "needs %" PRIu64 " bytes, file has %" PRIu64,
			       (uint64_t)hdr->syssize * 16, kernel_size);

	/* Else the 64-bit entry would be past what the file gave us. */
	if (kernel_size <= BZ_ENTRY64_OFFSET)
		return err_set(e,
			       "kernel image truncated: protected-mode kernel "
			       "(%" PRIu64 " bytes) ends before its 64-bit "
			       "entry at offset 0x%x",
			       kernel_size, BZ_ENTRY64_OFFSET);

	if (bz_load_addr(hdr, &load, e))
		return -1;
	/*
	 * The decompressor needs init_size bytes from where the kernel runs:
	 * the load address if relocatable, else pref_address, to which it
	 * moves itself. Everything from the load address to the end of that
	 * is the kernel's, must be RAM, and is kept clear of the initrd.
	 */
	run = hdr->relocatable_kernel || !hdr->pref_address ? load
							    : hdr->pref_address;
	if (run < load || run > LAYOUT_MMIO_HOLE_END)
		return err_set(e,
			       "bzImage pref_address 0x%" PRIx64
			       " is outside the usable range",
			       run);
	end = load + kernel_size;
	if (run + hdr->init_size > end)
		end = run + hdr->init_size;
	/* The boot page tables identity-map only the low 4 GiB. */
	if (end > LAYOUT_MMIO_HOLE_END ||
	    !guest_mem_range_ok(m, load, end - load))
		return err_set(
		    e,
		    "guest RAM too small for the kernel: it needs [0x%" PRIx64
		    ", 0x%" PRIx64 ")",
		    load, end);

	if (!guest_decompress) {
		struct bz_payload pl;
		int ret = bz_payload_extract(src, hdr, &pl, e);

		if (ret < 0)
			return -1;
		if (ret == BZ_PAYLOAD_OK) {
			ret = bz_load_extracted(m, &pl, &out, e);
			free(pl.data);
			if (ret)
				return -1;
			*ki = out;
			return 0;
		}
	}

	if (image_src_to_guest(m, load, src, setup_size, kernel_size))
		return err_set(
		    e, "bzImage kernel could not be written to guest RAM");

	/* boot.rst: a loader that relocates the kernel must say where. */
	hdr->code32_start = (uint32_t)load;
	hdr->type_of_loader = 0xff;

	out.entry64 = load + BZ_ENTRY64_OFFSET;
	out.load_start = load;
	out.load_end = end;
	out.initrd_addr_max = hdr->initrd_addr_max;
	out.cmdline_size = hdr->cmdline_size;
	*ki = out;
	return 0;
}
