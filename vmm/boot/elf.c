// SPDX-License-Identifier: MIT
/*
 * ELF64 x86-64 vmlinux loader. The file is untrusted input: every offset
 * and size is checked against the file and against guest RAM, with 64-bit
 * arithmetic arranged so that nothing can wrap, before a single byte of
 * guest memory is written.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/boot/image_src.h"
#include "vmm/boot/loader.h"
#include "vmm/layout.h"

/*
 * A vmlinux has about five program headers. The cap keeps the pairwise
 * overlap check cheap and the table on the stack.
 */
#define ELF_MAX_PHDRS 64

/*
 * Notes are read into a heap buffer when the image is a file; a vmlinux
 * has about a hundred bytes of them, so a larger note segment is corrupt.
 */
#define ELF_MAX_NOTES (1u << 20)

/* From Xen's public/elfnote.h: the 32-bit, paging-off PVH entry point. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* __START_KERNEL_map: an entry at or above it is a virtual address. */
#define ELF_KERNEL_VIRT_BASE 0xffffffff80000000ULL

/*
 * What arch/x86/boot/header.S would advertise for the same kernel:
 * COMMAND_LINE_SIZE - 1 (the kernel copies at most 2047 characters plus
 * NUL, so accepting more would silently truncate), and the 2 GiB initrd
 * limit it keeps "to avoid possible bootloader bugs" even though a 64-bit
 * kernel can reach anything. initrd_load() also caps at the end of low RAM.
 */
#define ELF_CMDLINE_SIZE 2047
#define ELF_INITRD_ADDR_MAX 0x7fffffffULL
#define ELF_KERNEL_ALIGN 0x200000 /* CONFIG_PHYSICAL_ALIGN default */
#define ELF_BOOT_PROTOCOL 0x020f
#define ELF_HDRS_MAGIC 0x53726448 /* "HdrS" */

struct elf_image {
	struct image_src src;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	unsigned int nr_ph;
};

bool elf_is_image(const void *image, size_t size)
{
	return size >= SELFMAG && memcmp(image, ELFMAG, SELFMAG) == 0;
}

static bool elf_in_file(const struct elf_image *img, uint64_t off, uint64_t len)
{
	return image_src_has(&img->src, off, len);
}

static bool elf_is_loaded(const Elf64_Phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz > 0;
}

/* Index of the loaded segment whose physical range holds paddr, or -1. */
static int elf_seg_at_paddr(const struct elf_image *img, uint64_t paddr)
{
	unsigned int i;

	for (i = 0; i < img->nr_ph; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (elf_is_loaded(ph) && paddr >= ph->p_paddr &&
		    paddr - ph->p_paddr < ph->p_memsz)
			return (int)i;
	}
	return -1;
}

static int elf_check_ehdr(struct elf_image *img, struct err *e)
{
	const Elf64_Ehdr *eh = &img->eh;

	if (img->src.size < sizeof(*eh))
		return err_set(e,
			       "kernel image truncated: ELF header needs %zu "
			       "bytes, file has %" PRIu64,
			       sizeof(*eh), img->src.size);
	/* A copy: the caller's buffer need not be aligned for Elf64_Ehdr. */
	if (image_src_read(&img->src, 0, &img->eh, sizeof(img->eh)))
		return err_set(e, "cannot read the ELF header");

	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return err_set(e, "ELF kernel is not 64-bit (ELF class %u)",
			       eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return err_set(e, "ELF kernel is not little-endian");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT)
		return err_set(e, "ELF kernel has unknown ELF version %u",
			       eh->e_ident[EI_VERSION]);
	if (eh->e_machine != EM_X86_64)
		return err_set(e, "ELF kernel is for machine %u, not x86-64",
			       eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return err_set(e,
			       "ELF kernel is not an executable (ELF type %u); "
			       "expected a vmlinux",
			       eh->e_type);
	return 0;
}

static int elf_read_phdrs(struct elf_image *img, struct err *e)
{
	const Elf64_Ehdr *eh = &img->eh;
	if (eh->e_phnum == 0)
		return err_set(e, "ELF kernel has no program headers");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return err_set(
		    e, "ELF kernel program header size is %u, expected %zu",
		    eh->e_phentsize, sizeof(Elf64_Phdr));
	/* Also rejects PN_XNUM, whose real count lives in section 0. */
	if (eh->e_phnum > ELF_MAX_PHDRS)
		return err_set(e,
			       "ELF kernel has %u program headers, at most %u "
			       "are supported",
			       eh->e_phnum, ELF_MAX_PHDRS);
	if (!elf_in_file(img, eh->e_phoff,
			 (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return err_set(e, "kernel image truncated: program header "
				  "table extends past end of file");

	img->nr_ph = eh->e_phnum;
	if (image_src_read(&img->src, eh->e_phoff, img->ph,
			   img->nr_ph * sizeof(Elf64_Phdr)))
		return err_set(e, "cannot read the ELF program headers");
	return 0;
}

static int elf_check_load(const struct guest_mem *m,
			  const struct elf_image *img, unsigned int i,
			  struct err *e)
{
	const Elf64_Phdr *ph = &img->ph[i];
	uint64_t start = ph->p_paddr, end;

	if (!elf_in_file(img, ph->p_offset, ph->p_filesz))
		return err_set(e,
			       "kernel image truncated: program header %u "
			       "extends past end of file",
			       i);
	if (ph->p_filesz > ph->p_memsz)
		return err_set(
		    e,
		    "ELF kernel program header %u is corrupt: file size "
		    "0x%" PRIx64 " exceeds memory size 0x%" PRIx64,
		    i, (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
	if (ph->p_memsz == 0)
		return 0;
	if (ph->p_memsz > UINT64_MAX - start)
		return err_set(
		    e, "ELF kernel segment %u wraps around the address space",
		    i);
	end = start + ph->p_memsz;
	/* Page tables, zero page, command line and MP table live there. */
	if (start < LAYOUT_HIGH_MEMORY)
		return err_set(
		    e,
		    "ELF kernel segment %u [0x%" PRIx64 ", 0x%" PRIx64
		    ") is below 1 MiB, where vireo keeps boot structures",
		    i, start, end);
	/* The boot page tables identity-map only the low 4 GiB. */
	if (end > LAYOUT_MMIO_HOLE_END ||
	    !guest_mem_range_ok(m, start, ph->p_memsz))
		return err_set(e,
			       "ELF kernel segment %u [0x%" PRIx64
			       ", 0x%" PRIx64 ") is outside guest RAM",
			       i, start, end);
	return 0;
}

/*
 * Two segments loaded over each other would make the result depend on the
 * copy order; no sane linker output does that, so it means corruption.
 */
static int elf_check_overlaps(const struct elf_image *img, struct err *e)
{
	unsigned int i, j;

	for (i = 0; i < img->nr_ph; i++) {
		const Elf64_Phdr *a = &img->ph[i];

		if (!elf_is_loaded(a))
			continue;
		for (j = i + 1; j < img->nr_ph; j++) {
			const Elf64_Phdr *b = &img->ph[j];

			if (!elf_is_loaded(b))
				continue;
			if (a->p_paddr < b->p_paddr + b->p_memsz &&
			    b->p_paddr < a->p_paddr + a->p_memsz)
				return err_set(
				    e, "ELF kernel segments %u and %u overlap",
				    i, j);
		}
	}
	return 0;
}

static uint64_t elf_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static int elf_pvh_from_desc(const struct elf_image *img, unsigned int i,
			     const uint8_t *desc, uint32_t descsz,
			     uint64_t *pvh, struct err *e)
{
	uint32_t v32;
	uint64_t v;

	if (descsz == sizeof(v32)) {
		memcpy(&v32, desc, sizeof(v32));
		v = v32;
	} else if (descsz == sizeof(v)) {
		memcpy(&v, desc, sizeof(v));
	} else {
		return err_set(e,
			       "ELF kernel PVH entry note in program header %u "
			       "has a %" PRIu32
			       "-byte address, expected 4 or 8",
			       i, descsz);
	}
	/* The PVH entry runs with paging off: it must be a 32-bit address. */
	if (v > UINT32_MAX)
		return err_set(e,
			       "ELF kernel PVH entry point 0x%" PRIx64
			       " is above 4 GiB",
			       v);
	if (elf_seg_at_paddr(img, v) < 0)
		return err_set(e,
			       "ELF kernel PVH entry point 0x%" PRIx64
			       " is not inside a loadable segment",
			       v);
	*pvh = v;
	return 0;
}

/*
 * Walks one PT_NOTE segment. Descriptor and next note start at multiples
 * of p_align from the note start when p_align is 8, of 4 otherwise: that
 * is what Linux's ELFNOTE() entries and 8-byte GNU property notes both
 * produce, and how binutils reads them.
 */
static int elf_scan_notes(const struct elf_image *img, unsigned int i,
			  const uint8_t *seg, uint64_t *pvh, struct err *e)
{
	const Elf64_Phdr *ph = &img->ph[i];
	uint64_t align = ph->p_align == 8 ? 8 : 4;
	uint64_t pos = 0;

	/* A tail shorter than a note header cannot hold a note: padding. */
	while (ph->p_filesz - pos >= sizeof(Elf64_Nhdr)) {
		uint64_t name_off, desc_off;
		Elf64_Nhdr nh;

		memcpy(&nh, seg + pos, sizeof(nh));
		name_off = pos + sizeof(nh);
		desc_off = pos + elf_align_up(sizeof(nh) + nh.n_namesz, align);
		if (desc_off > ph->p_filesz ||
		    nh.n_descsz > ph->p_filesz - desc_off)
			return err_set(
			    e,
			    "ELF kernel note at offset 0x%" PRIx64
			    " of program header %u extends past the segment",
			    pos, i);

		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(seg + name_off, "Xen", 4) == 0 && *pvh == 0) {
			if (elf_pvh_from_desc(img, i, seg + desc_off,
					      nh.n_descsz, pvh, e))
				return -1;
		}

		pos = desc_off + elf_align_up(nh.n_descsz, align);
		if (pos >= ph->p_filesz)
			break;
	}
	return 0;
}

/*
 * Linux links vmlinux with ENTRY(phys_startup_64), so e_entry is normally
 * physical already; a virtual one is translated through its segment.
 */
static int elf_entry(const struct elf_image *img, uint64_t *entry,
		     struct err *e)
{
	uint64_t v = img->eh.e_entry;
	unsigned int i;

	if (v < ELF_KERNEL_VIRT_BASE) {
		if (elf_seg_at_paddr(img, v) < 0)
			return err_set(e,
				       "ELF kernel entry point 0x%" PRIx64
				       " is not inside a loadable segment",
				       v);
		*entry = v;
		return 0;
	}
	for (i = 0; i < img->nr_ph; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (elf_is_loaded(ph) && v >= ph->p_vaddr &&
		    v - ph->p_vaddr < ph->p_memsz) {
			*entry = ph->p_paddr + (v - ph->p_vaddr);
			return 0;
		}
	}
	return err_set(e,
		       "ELF kernel entry point 0x%" PRIx64
		       " (virtual) is not inside a loadable segment",
		       v);
}

/* The segment's bytes, from the buffer or read from the file. */
static int elf_scan_note_segment(const struct elf_image *img, unsigned int i,
				 uint64_t *pvh, struct err *e)
{
	const Elf64_Phdr *ph = &img->ph[i];
	uint8_t *copy;
	int ret;

	if (img->src.data)
		return elf_scan_notes(img, i, img->src.data + ph->p_offset, pvh,
				      e);
	if (ph->p_filesz > ELF_MAX_NOTES)
		return err_set(e,
			       "ELF kernel note segment %u is 0x%" PRIx64
			       " bytes, more than any kernel has",
			       i, (uint64_t)ph->p_filesz);
	copy = malloc(ph->p_filesz ? ph->p_filesz : 1);
	if (!copy)
		return err_set(e, "out of memory");
	if (image_src_read(&img->src, ph->p_offset, copy, ph->p_filesz))
		ret = err_set(e, "cannot read ELF note segment %u", i);
	else
		ret = elf_scan_notes(img, i, copy, pvh, e);
	free(copy);
	return ret;
}

/*
 * The image's span, first segment to the end of the last one's bss: Linux
 * reserves and uses all of it (padding between segments included), so it
 * may be backed by huge pages whole, not only each segment's interior. Not
 * when the gaps outweigh the segments (no kernel is laid out so): the
 * gaps would be RAM the guest may never touch.
 */
static void elf_prefer_huge(const struct guest_mem *m,
			    const struct elf_image *img)
{
	uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
	unsigned int i;

	for (i = 0; i < img->nr_ph; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (!elf_is_loaded(ph))
			continue;
		if (ph->p_paddr < lo)
			lo = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > hi)
			hi = ph->p_paddr + ph->p_memsz;
		sum += ph->p_memsz;
	}
	if (hi > lo && hi - lo <= sum + (4u << 20))
		guest_mem_prefer_huge(m, lo, hi - lo);
}

static int elf_copy_segments(const struct guest_mem *m,
			     const struct elf_image *img, struct err *e)
{
	unsigned int i;

	elf_prefer_huge(m, img);
	for (i = 0; i < img->nr_ph; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (!elf_is_loaded(ph))
			continue;
		/* The bss tail may hold stale data from a previous boot. */
		if (image_src_to_guest(m, ph->p_paddr, &img->src, ph->p_offset,
				       ph->p_filesz) ||
		    guest_mem_fill(m, ph->p_paddr + ph->p_filesz, 0,
				   ph->p_memsz - ph->p_filesz))
			return err_set(e,
				       "ELF kernel segment %u could not be "
				       "written to guest RAM",
				       i);
	}
	return 0;
}

/*
 * A vmlinux carries no setup header, but startup_64 still reads a few
 * zero-page fields a boot loader normally copies from the bzImage.
 */
static void elf_default_hdr(struct setup_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->type_of_loader = 0xff;
	hdr->boot_flag = 0xaa55;
	hdr->header = ELF_HDRS_MAGIC;
	hdr->version = ELF_BOOT_PROTOCOL;
	hdr->loadflags = LOADED_HIGH;
	hdr->kernel_alignment = ELF_KERNEL_ALIGN;
	hdr->xloadflags = XLF_KERNEL_64;
	hdr->initrd_addr_max = (uint32_t)ELF_INITRD_ADDR_MAX;
	hdr->cmdline_size = ELF_CMDLINE_SIZE;
}

int elf_load(const struct guest_mem *m, const void *image, size_t size,
	     struct kernel_info *ki, struct err *e)
{
	struct image_src src = image_src_buf(image, size);

	return elf_load_src(m, &src, ki, e);
}

int elf_load_src(const struct guest_mem *m, const struct image_src *src,
		 struct kernel_info *ki, struct err *e)
{
	struct elf_image img = { .src = *src };
	struct kernel_info out = { .format = KERNEL_FORMAT_ELF };
	bool any = false;
	unsigned int i;

	if (elf_check_ehdr(&img, e) || elf_read_phdrs(&img, e))
		return -1;

	for (i = 0; i < img.nr_ph; i++) {
		const Elf64_Phdr *ph = &img.ph[i];

		if (ph->p_type == PT_NOTE &&
		    !elf_in_file(&img, ph->p_offset, ph->p_filesz))
			return err_set(e,
				       "kernel image truncated: program header "
				       "%u extends past end of file",
				       i);
		if (ph->p_type != PT_LOAD)
			continue;
		if (elf_check_load(m, &img, i, e))
			return -1;
		if (!ph->p_memsz)
			continue;
		if (!any || ph->p_paddr < out.load_start)
			out.load_start = ph->p_paddr;
		if (!any || ph->p_paddr + ph->p_memsz > out.load_end)
			out.load_end = ph->p_paddr + ph->p_memsz;
		any = true;
	}
	if (!any)
		return err_set(e, "ELF kernel has no loadable segments");
	if (elf_check_overlaps(&img, e) || elf_entry(&img, &out.entry64, e))
		return -1;
	for (i = 0; i < img.nr_ph; i++)
		if (img.ph[i].p_type == PT_NOTE &&
		    elf_scan_note_segment(&img, i, &out.pvh_entry, e))
			return -1;

	if (elf_copy_segments(m, &img, e))
		return -1;

	out.initrd_addr_max = ELF_INITRD_ADDR_MAX;
	out.cmdline_size = ELF_CMDLINE_SIZE;
	elf_default_hdr(&out.hdr);
	*ki = out;
	return 0;
}
