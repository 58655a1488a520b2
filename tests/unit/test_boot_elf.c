// SPDX-License-Identifier: MIT
/* kernel_load() on synthetic ELF64 vmlinux images. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/boot.h"

#define ELFT_RAM_SIZE (32ULL << 20)
#define ELFT_POISON 0xaa

/* The synthetic image: two PT_LOADs (the second with bss) and a PT_NOTE. */
#define ELFT_TEXT_OFF 0x100
#define ELFT_TEXT_LEN 0x200
#define ELFT_TEXT_PADDR 0x1000000ULL
#define ELFT_TEXT_VADDR 0xffffffff81000000ULL
#define ELFT_DATA_OFF 0x300
#define ELFT_DATA_FILESZ 0x80
#define ELFT_DATA_MEMSZ 0x1000
#define ELFT_DATA_PADDR 0x1200000ULL
#define ELFT_DATA_VADDR 0xffffffff81200000ULL
#define ELFT_NOTE_OFF 0x380
#define ELFT_ENTRY 0x1000040ULL
#define ELFT_PVH 0x1000100ULL
#define ELFT_BUF 0x1000

struct elft_ctx {
	struct guest_mem m;
	uint8_t *ram;
	uint8_t img[ELFT_BUF];
	size_t size;
	struct kernel_info ki;
	struct err e;
};

static void elft_put_note(uint8_t *buf, size_t *off, const char *name,
			  uint32_t type, const void *desc, uint32_t descsz)
{
	Elf64_Nhdr nh = {
		.n_namesz = (uint32_t)strlen(name) + 1,
		.n_descsz = descsz,
		.n_type = type,
	};

	memcpy(buf + *off, &nh, sizeof(nh));
	*off += sizeof(nh);
	memcpy(buf + *off, name, nh.n_namesz);
	*off += (nh.n_namesz + 3) & ~3u;
	memcpy(buf + *off, desc, descsz);
	*off += (descsz + 3) & ~3u;
}

/* pvh_descsz: 0 for no Xen PVH note, else 4 or 8. */
static size_t elft_build(uint8_t *buf, uint32_t pvh_descsz)
{
	static const uint8_t build_id[20] = { 1, 2, 3, 4, 5 };
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = ELFT_ENTRY,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 3,
	};
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD,
		  .p_flags = PF_R | PF_X,
		  .p_offset = ELFT_TEXT_OFF,
		  .p_vaddr = ELFT_TEXT_VADDR,
		  .p_paddr = ELFT_TEXT_PADDR,
		  .p_filesz = ELFT_TEXT_LEN,
		  .p_memsz = ELFT_TEXT_LEN,
		  .p_align = 0x200000 },
		{ .p_type = PT_LOAD,
		  .p_flags = PF_R | PF_W,
		  .p_offset = ELFT_DATA_OFF,
		  .p_vaddr = ELFT_DATA_VADDR,
		  .p_paddr = ELFT_DATA_PADDR,
		  .p_filesz = ELFT_DATA_FILESZ,
		  .p_memsz = ELFT_DATA_MEMSZ,
		  .p_align = 0x200000 },
		{ .p_type = PT_NOTE, .p_offset = ELFT_NOTE_OFF, .p_align = 4 },
	};
	uint64_t pvh64 = ELFT_PVH;
	uint32_t pvh32 = (uint32_t)ELFT_PVH;
	size_t off = ELFT_NOTE_OFF, i;

	memset(buf, 0, ELFT_BUF);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	for (i = 0; i < ELFT_TEXT_LEN; i++)
		buf[ELFT_TEXT_OFF + i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < ELFT_DATA_FILESZ; i++)
		buf[ELFT_DATA_OFF + i] = (uint8_t)(0x5a ^ i);

	/* A non-matching note first, so the walk has to skip one. */
	elft_put_note(buf, &off, "GNU", NT_GNU_BUILD_ID, build_id,
		      sizeof(build_id));
	if (pvh_descsz == 8)
		elft_put_note(buf, &off, "Xen", 18, &pvh64, 8);
	else if (pvh_descsz == 4)
		elft_put_note(buf, &off, "Xen", 18, &pvh32, 4);
	ph[2].p_filesz = off - ELFT_NOTE_OFF;
	ph[2].p_memsz = ph[2].p_filesz;

	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + eh.e_phoff, ph, sizeof(ph));
	return off;
}

static void elft_init(struct elft_ctx *c, uint32_t pvh_descsz)
{
	memset(c, 0, sizeof(*c));
	/* 2 MiB-aligned, as guest_ram_create maps guest RAM. */
	c->ram = aligned_alloc(2u << 20, ELFT_RAM_SIZE);
	cr_assert(c->ram);
	/* Poison the kernel area so bss zeroing and stray writes show. */
	memset(c->ram, 0, ELFT_RAM_SIZE);
	memset(c->ram + ELFT_TEXT_PADDR, ELFT_POISON, 4 << 20);
	cr_assert_eq(guest_mem_add_region(&c->m, 0, ELFT_RAM_SIZE, c->ram), 0);
	c->size = elft_build(c->img, pvh_descsz);
}

static void elft_fini(struct elft_ctx *c)
{
	free(c->ram);
}

static int elft_load(struct elft_ctx *c)
{
	return kernel_load(&c->m, c->img, c->size, NULL, &c->ki, &c->e);
}

static Elf64_Phdr elft_ph(const struct elft_ctx *c, unsigned int i)
{
	Elf64_Phdr ph;

	memcpy(&ph, c->img + sizeof(Elf64_Ehdr) + i * sizeof(ph), sizeof(ph));
	return ph;
}

static void elft_set_ph(struct elft_ctx *c, unsigned int i,
			const Elf64_Phdr *ph)
{
	memcpy(c->img + sizeof(Elf64_Ehdr) + i * sizeof(*ph), ph, sizeof(*ph));
}

static Elf64_Ehdr elft_eh(const struct elft_ctx *c)
{
	Elf64_Ehdr eh;

	memcpy(&eh, c->img, sizeof(eh));
	return eh;
}

static void elft_set_eh(struct elft_ctx *c, const Elf64_Ehdr *eh)
{
	memcpy(c->img, eh, sizeof(*eh));
}

static bool elft_untouched(const struct elft_ctx *c, uint64_t gpa, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (c->ram[gpa + i] != ELFT_POISON)
			return false;
	return true;
}

/* Loading must fail with a message containing want. */
static void elft_expect_fail(struct elft_ctx *c, const char *want)
{
	int rc = elft_load(c);

	cr_assert_eq(rc, -1, "load unexpectedly succeeded");
	cr_assert(strstr(c->e.msg, want), "message '%s' lacks '%s'", c->e.msg,
		  want);
	cr_assert(elft_untouched(c, ELFT_TEXT_PADDR, ELFT_TEXT_LEN));
	cr_assert(elft_untouched(c, ELFT_DATA_PADDR, ELFT_DATA_MEMSZ));
}

Test(boot_elf, valid_image_lands_at_paddr)
{
	struct elft_ctx c;
	size_t i;

	elft_init(&c, 8);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.format, KERNEL_FORMAT_ELF);
	cr_assert_eq(c.ki.entry64, ELFT_ENTRY);
	cr_assert_eq(c.ki.load_start, ELFT_TEXT_PADDR);
	cr_assert_eq(c.ki.load_end, ELFT_DATA_PADDR + ELFT_DATA_MEMSZ);
	cr_assert_eq(memcmp(c.ram + ELFT_TEXT_PADDR, c.img + ELFT_TEXT_OFF,
			    ELFT_TEXT_LEN),
		     0);
	cr_assert_eq(memcmp(c.ram + ELFT_DATA_PADDR, c.img + ELFT_DATA_OFF,
			    ELFT_DATA_FILESZ),
		     0);
	for (i = ELFT_DATA_FILESZ; i < ELFT_DATA_MEMSZ; i++)
		cr_assert_eq(c.ram[ELFT_DATA_PADDR + i], 0,
			     "bss byte 0x%zx not zeroed", i);
	/* Nothing past the segments. */
	cr_assert(elft_untouched(&c, ELFT_TEXT_PADDR + ELFT_TEXT_LEN, 16));
	cr_assert(elft_untouched(&c, ELFT_DATA_PADDR + ELFT_DATA_MEMSZ, 16));
	elft_fini(&c);
}

Test(boot_elf, setup_header_defaults)
{
	struct elft_ctx c;

	elft_init(&c, 8);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.hdr.boot_flag, 0xaa55);
	cr_assert_eq(memcmp(&c.ki.hdr.header, "HdrS", 4), 0);
	cr_assert_geq(c.ki.hdr.version, 0x020c);
	cr_assert_eq(c.ki.hdr.type_of_loader, 0xff);
	cr_assert_eq(c.ki.hdr.kernel_alignment, 0x200000);
	cr_assert_eq(c.ki.hdr.cmdline_size, c.ki.cmdline_size);
	cr_assert_geq(c.ki.cmdline_size, 2047);
	cr_assert_eq(c.ki.initrd_addr_max, 0x7fffffffULL);
	elft_fini(&c);
}

Test(boot_elf, pvh_note_with_64bit_desc)
{
	struct elft_ctx c;

	elft_init(&c, 8);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.pvh_entry, ELFT_PVH);
	elft_fini(&c);
}

Test(boot_elf, pvh_note_with_32bit_desc)
{
	struct elft_ctx c;

	elft_init(&c, 4);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.pvh_entry, ELFT_PVH);
	elft_fini(&c);
}

Test(boot_elf, no_pvh_note_means_zero)
{
	struct elft_ctx c;

	elft_init(&c, 0);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.pvh_entry, 0);
	cr_assert_eq(c.ki.entry64, ELFT_ENTRY);
	elft_fini(&c);
}

/*
 * With p_align 8, a 12-byte descriptor is padded to 16, so the second note
 * starts at +32; a 4-byte walk would look for it at +28.
 */
Test(boot_elf, notes_in_8_byte_aligned_segment)
{
	Elf64_Nhdr gnu = { .n_namesz = 4, .n_descsz = 12, .n_type = 5 };
	Elf64_Nhdr xen = { .n_namesz = 4, .n_descsz = 8, .n_type = 18 };
	uint8_t *notes;
	uint64_t pvh = ELFT_PVH;
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 0);
	notes = c.img + ELFT_NOTE_OFF;
	memset(notes, 0xee, 56);
	memcpy(notes, &gnu, sizeof(gnu));
	memcpy(notes + 12, "GNU", 4);
	memset(notes + 16, 0, 16);
	memcpy(notes + 32, &xen, sizeof(xen));
	memcpy(notes + 44, "Xen", 4);
	memcpy(notes + 48, &pvh, sizeof(pvh));
	ph = elft_ph(&c, 2);
	ph.p_align = 8;
	ph.p_filesz = ph.p_memsz = 56;
	elft_set_ph(&c, 2, &ph);
	c.size = ELFT_NOTE_OFF + 56;

	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.pvh_entry, ELFT_PVH);
	elft_fini(&c);
}

Test(boot_elf, virtual_entry_is_translated)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_entry = ELFT_TEXT_VADDR + 0x40;
	elft_set_eh(&c, &eh);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ki.entry64, ELFT_TEXT_PADDR + 0x40);
	elft_fini(&c);
}

Test(boot_elf, virtual_entry_outside_segments)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_entry = ELFT_TEXT_VADDR + 0x100000;
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "entry point");
	elft_fini(&c);
}

Test(boot_elf, physical_entry_outside_segments)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_entry = ELFT_TEXT_PADDR + ELFT_TEXT_LEN;
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "entry point");
	elft_fini(&c);
}

Test(boot_elf, every_truncation_fails_cleanly)
{
	struct elft_ctx c;
	size_t full, sz;

	elft_init(&c, 8);
	full = c.size;
	for (sz = 0; sz < full; sz++) {
		c.size = sz;
		memset(&c.e, 0, sizeof(c.e));
		cr_assert_eq(elft_load(&c), -1, "size %zu accepted", sz);
		cr_assert_neq(c.e.msg[0], '\0', "size %zu: no message", sz);
		cr_assert_null(strchr(c.e.msg, '\n'));
		cr_assert(elft_untouched(&c, ELFT_TEXT_PADDR, ELFT_TEXT_LEN),
			  "size %zu wrote guest memory", sz);
		cr_assert(elft_untouched(&c, ELFT_DATA_PADDR, ELFT_DATA_MEMSZ),
			  "size %zu wrote guest memory", sz);
	}
	c.size = full;
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	elft_fini(&c);
}

Test(boot_elf, truncated_segment_message)
{
	struct elft_ctx c;

	elft_init(&c, 8);
	c.size = ELFT_DATA_OFF + 1;
	elft_expect_fail(&c, "program header 1 extends past end of file");
	elft_fini(&c);
}

Test(boot_elf, wrong_magic_is_unknown_format)
{
	struct elft_ctx c;

	elft_init(&c, 8);
	c.img[1] = 'X';
	elft_expect_fail(&c, "unknown kernel format");
	elft_fini(&c);
}

Test(boot_elf, empty_image)
{
	struct elft_ctx c;

	elft_init(&c, 8);
	c.size = 0;
	elft_expect_fail(&c, "empty");
	elft_fini(&c);
}

Test(boot_elf, elf32_rejected)
{
	struct elft_ctx c;

	elft_init(&c, 8);
	c.img[EI_CLASS] = ELFCLASS32;
	elft_expect_fail(&c, "not 64-bit");
	elft_fini(&c);
}

Test(boot_elf, big_endian_rejected)
{
	struct elft_ctx c;

	elft_init(&c, 8);
	c.img[EI_DATA] = ELFDATA2MSB;
	elft_expect_fail(&c, "little-endian");
	elft_fini(&c);
}

Test(boot_elf, wrong_machine_rejected)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_machine = EM_AARCH64;
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "not x86-64");
	elft_fini(&c);
}

Test(boot_elf, shared_object_rejected)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_type = ET_DYN;
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "not an executable");
	elft_fini(&c);
}

Test(boot_elf, no_program_headers)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_phnum = 0;
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "no program headers");
	elft_fini(&c);
}

Test(boot_elf, wrong_phentsize)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_phentsize = 32;
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "program header size");
	elft_fini(&c);
}

Test(boot_elf, too_many_program_headers)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_phnum = PN_XNUM;
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "program headers");
	elft_fini(&c);
}

Test(boot_elf, phdr_table_past_eof)
{
	struct elft_ctx c;
	Elf64_Ehdr eh;

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_phoff = UINT64_MAX - 8; /* also must not wrap */
	elft_set_eh(&c, &eh);
	elft_expect_fail(&c, "program header table");
	elft_fini(&c);
}

Test(boot_elf, overlapping_segments)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 1);
	ph.p_paddr = ELFT_TEXT_PADDR + ELFT_TEXT_LEN - 0x10;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "segments 0 and 1 overlap");
	elft_fini(&c);
}

Test(boot_elf, overlap_through_bss)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 0);
	ph.p_memsz = ELFT_DATA_PADDR - ELFT_TEXT_PADDR + 1;
	elft_set_ph(&c, 0, &ph);
	elft_expect_fail(&c, "overlap");
	elft_fini(&c);
}

Test(boot_elf, adjacent_segments_are_fine)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 0);
	ph.p_memsz = ELFT_DATA_PADDR - ELFT_TEXT_PADDR;
	elft_set_ph(&c, 0, &ph);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert_eq(c.ram[ELFT_DATA_PADDR - 1], 0, "text bss not zeroed");
	elft_fini(&c);
}

Test(boot_elf, segment_outside_guest_ram)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 1);
	ph.p_paddr = ELFT_RAM_SIZE + 0x100000;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "outside guest RAM");
	elft_fini(&c);
}

Test(boot_elf, bss_straddles_end_of_ram)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 1);
	ph.p_paddr = ELFT_RAM_SIZE - ELFT_DATA_FILESZ;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "outside guest RAM");
	elft_fini(&c);
}

Test(boot_elf, segment_below_1mib)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 1);
	ph.p_paddr = 0x8000;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "below 1 MiB");
	cr_assert_eq(c.ram[0x8000], 0);
	elft_fini(&c);
}

Test(boot_elf, segment_paddr_wraps)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 1);
	ph.p_paddr = UINT64_MAX - 0x10;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "wraps");
	elft_fini(&c);
}

Test(boot_elf, filesz_larger_than_memsz)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 1);
	ph.p_memsz = ph.p_filesz - 1;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "exceeds memory size");
	elft_fini(&c);
}

Test(boot_elf, segment_offset_wraps)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 1);
	ph.p_offset = UINT64_MAX - 0x10;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "program header 1 extends past end of file");
	elft_fini(&c);
}

Test(boot_elf, no_loadable_segments)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 0);
	ph.p_type = PT_NULL;
	elft_set_ph(&c, 0, &ph);
	ph = elft_ph(&c, 1);
	ph.p_type = PT_NULL;
	elft_set_ph(&c, 1, &ph);
	elft_expect_fail(&c, "no loadable segments");
	elft_fini(&c);
}

Test(boot_elf, note_desc_past_segment)
{
	struct elft_ctx c;
	Elf64_Nhdr nh;

	elft_init(&c, 8);
	memcpy(&nh, c.img + ELFT_NOTE_OFF, sizeof(nh));
	nh.n_descsz = 0xfffffff0;
	memcpy(c.img + ELFT_NOTE_OFF, &nh, sizeof(nh));
	elft_expect_fail(&c, "note");
	elft_fini(&c);
}

Test(boot_elf, note_segment_past_eof)
{
	struct elft_ctx c;
	Elf64_Phdr ph;

	elft_init(&c, 8);
	ph = elft_ph(&c, 2);
	ph.p_filesz = ELFT_BUF;
	elft_set_ph(&c, 2, &ph);
	elft_expect_fail(&c, "program header 2 extends past end of file");
	elft_fini(&c);
}

Test(boot_elf, pvh_note_bad_desc_size)
{
	struct elft_ctx c;
	size_t xen = ELFT_NOTE_OFF + 12 + 4 + 20; /* after the GNU note */
	Elf64_Nhdr nh;

	elft_init(&c, 8);
	memcpy(&nh, c.img + xen, sizeof(nh));
	cr_assert_eq(nh.n_type, 18);
	nh.n_descsz = 2;
	memcpy(c.img + xen, &nh, sizeof(nh));
	elft_expect_fail(&c, "expected 4 or 8");
	elft_fini(&c);
}

Test(boot_elf, pvh_entry_outside_segments)
{
	struct elft_ctx c;
	size_t desc = ELFT_NOTE_OFF + 12 + 4 + 20 + 12 + 4;
	uint64_t bad = 0x3000000;

	elft_init(&c, 8);
	memcpy(c.img + desc, &bad, sizeof(bad));
	elft_expect_fail(&c, "PVH entry point");
	elft_fini(&c);
}

Test(boot_elf, pvh_entry_above_4g)
{
	struct elft_ctx c;
	size_t desc = ELFT_NOTE_OFF + 12 + 4 + 20 + 12 + 4;
	uint64_t bad = 0x101000100ULL;

	elft_init(&c, 8);
	memcpy(c.img + desc, &bad, sizeof(bad));
	elft_expect_fail(&c, "above 4 GiB");
	elft_fini(&c);
}

/*
 * kernel_load_file() reads the same image from a file straight into guest
 * RAM: it must accept and refuse exactly what kernel_load() does, with the
 * same message, and leave guest RAM byte for byte the same.
 */
static void elft_file_agrees(struct elft_ctx *c, const char *what)
{
	/*
	 * One file-side RAM for every call: a fresh 32 MiB each time cost
	 * 8192 page faults per call, most of a test that calls it for every
	 * truncation of an image (156 s of the unit tests' 160 here).
	 */
	static uint8_t *file_ram;
	struct elft_ctx f = *c;
	char path[64];
	int fd, rc_buf, rc_file;

	if (!file_ram)
		file_ram = aligned_alloc(2u << 20, ELFT_RAM_SIZE);
	f.ram = file_ram;
	cr_assert(f.ram);
	memcpy(f.ram, c->ram, ELFT_RAM_SIZE);
	memset(&f.m, 0, sizeof(f.m));
	cr_assert_eq(guest_mem_add_region(&f.m, 0, ELFT_RAM_SIZE, f.ram), 0);
	fd = memfd_create("elft", MFD_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, c->img, c->size), (ssize_t)c->size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	memset(&c->e, 0, sizeof(c->e));
	rc_buf = elft_load(c);
	rc_file = kernel_load_file(&f.m, path, NULL, &f.ki, &f.e);
	cr_assert_eq(rc_file, rc_buf, "%s: buffer %d (%s), file %d (%s)", what,
		     rc_buf, c->e.msg, rc_file, f.e.msg);
	if (rc_buf < 0)
		cr_assert_str_eq(f.e.msg, c->e.msg, "%s", what);
	else {
		/* A memfd, unnamed: no lease, copied. */
		cr_assert_null(f.ki.mapped.why, "%s: mapped", what);
		f.ki.mapped = c->ki.mapped;
		cr_assert_eq(memcmp(&f.ki, &c->ki, sizeof(f.ki)), 0, "%s",
			     what);
	}
	cr_assert_eq(memcmp(f.ram, c->ram, ELFT_RAM_SIZE), 0,
		     "%s: guest RAM differs", what);
	close(fd);
}

Test(boot_elf, file_load_agrees_with_buffer_on_every_truncation)
{
	struct elft_ctx c;
	size_t full, sz;
	char what[32];

	elft_init(&c, 8);
	full = c.size;
	for (sz = 0; sz <= full; sz++) {
		c.size = sz;
		snprintf(what, sizeof(what), "size %zu", sz);
		elft_file_agrees(&c, what);
	}
	cr_assert_eq(c.ki.pvh_entry, ELFT_PVH);
	elft_fini(&c);
}

Test(boot_elf, file_load_agrees_with_buffer_on_corrupt_headers)
{
	struct elft_ctx c;
	Elf64_Phdr ph;
	Elf64_Ehdr eh;

	elft_init(&c, 4);
	elft_file_agrees(&c, "valid, 32-bit PVH note");
	ph = elft_ph(&c, 1);
	ph.p_paddr = ELFT_TEXT_PADDR + 0x100; /* overlaps the text */
	elft_set_ph(&c, 1, &ph);
	elft_file_agrees(&c, "overlap");
	elft_fini(&c);

	elft_init(&c, 8);
	ph = elft_ph(&c, 0);
	ph.p_paddr = ELFT_RAM_SIZE - 0x100; /* runs off guest RAM */
	elft_set_ph(&c, 0, &ph);
	elft_file_agrees(&c, "outside RAM");
	elft_fini(&c);

	elft_init(&c, 8);
	eh = elft_eh(&c);
	eh.e_phnum = 200;
	elft_set_eh(&c, &eh);
	elft_file_agrees(&c, "too many phdrs");
	elft_fini(&c);
}

Test(boot_elf, file_that_is_not_regular_is_refused)
{
	struct elft_ctx c;

	elft_init(&c, 0);
	cr_assert_eq(kernel_load_file(&c.m, "/dev/null", NULL, &c.ki, &c.e),
		     -1);
	cr_assert(strstr(c.e.msg, "not a regular file"), "%s", c.e.msg);
	cr_assert_eq(
	    kernel_load_file(&c.m, "/nonexistent/vmlinux", NULL, &c.ki, &c.e),
	    -1);
	cr_assert(strstr(c.e.msg, "cannot open kernel file"), "%s", c.e.msg);
	cr_assert(elft_untouched(&c, ELFT_TEXT_PADDR, ELFT_TEXT_LEN));
	elft_fini(&c);
}

/* Whether the mapping holding p is marked for huge pages (smaps "hg"). */
static bool elft_huge_advised(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	char line[512];
	bool in = false, hg = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			hg = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return hg;
}

/*
 * The span from the first segment to the last one's bss end is the
 * kernel's: its whole 2 MiB frames (here [16, 18) MiB, a gap included) are
 * advised as huge pages; RAM past the span is not.
 */
Test(boot_elf, image_span_is_advised_as_huge_pages)
{
	struct elft_ctx c;

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		cr_skip_test("the host kernel has no transparent huge pages");
	elft_init(&c, 8);
	cr_assert_eq(elft_load(&c), 0, "%s", c.e.msg);
	cr_assert(elft_huge_advised(c.ram + ELFT_TEXT_PADDR + (1u << 20)),
		  "the frame between the segments was not advised");
	cr_assert_not(elft_huge_advised(c.ram + ELFT_DATA_PADDR + (2u << 20)),
		      "RAM past the image was advised");
	cr_assert_not(elft_huge_advised(c.ram + ELFT_TEXT_PADDR - 4096),
		      "RAM below the image was advised");
	elft_fini(&c);
}
