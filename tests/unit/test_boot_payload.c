// SPDX-License-Identifier: MIT
/*
 * kernel_load() on synthetic bzImages whose payload (payload_offset,
 * payload_length) is a gzip'ed, xz'ed or plain ELF vmlinux: host-side
 * extraction, fallback to the in-guest decompressor, corrupt streams.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <lzma.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/boot_file.h"
#include "vmm/boot/boot.h"
#include "vmm/boot/loader.h"
#include "vmm/layout.h"

#define PLT_RAM_SIZE (48ULL << 20)
#define PLT_POISON 0xaa
#define PLT_HDR 0x1f1
#define PLT_SETUP_SECTS 4
#define PLT_SETUP_SIZE ((PLT_SETUP_SECTS + 1) * 512)
/* Decompressor code before the payload in the protected-mode kernel. */
#define PLT_HEAD 0x300
#define PLT_INIT_SIZE 0x400000

/* The vmlinux: text at 16 MiB, data + bss at 18 MiB, relocs after it. */
#define PLT_TEXT_OFF 0x1000
#define PLT_TEXT_LEN 0x3000
#define PLT_TEXT_PADDR 0x1000000ULL
#define PLT_TEXT_VADDR 0xffffffff81000000ULL
#define PLT_DATA_OFF 0x4000
#define PLT_DATA_FILESZ 0x800
#define PLT_DATA_MEMSZ 0x2000
#define PLT_DATA_PADDR 0x1200000ULL
#define PLT_DATA_VADDR 0xffffffff81200000ULL
#define PLT_ENTRY 0x1000000ULL /* startup_64 = _text */
#define PLT_RELOCS 0x100
#define PLT_ELF_SIZE (PLT_DATA_OFF + PLT_DATA_FILESZ + PLT_RELOCS)

#define PLT_OFF(field) (PLT_HDR + offsetof(struct setup_header, field))

struct plt_ctx {
	struct guest_mem m;
	uint8_t *ram;
	uint8_t elf[PLT_ELF_SIZE];
	uint8_t *img;
	size_t size;
	struct kernel_info ki;
	struct err e;
};

static void plt_put(uint8_t *img, size_t off, uint64_t v, size_t len)
{
	memcpy(img + off, &v, len); /* little-endian host, like the format */
}

#define PLT_SET(img, field, v)                                                 \
	plt_put(img, PLT_OFF(field), (v),                                      \
		sizeof(((struct setup_header *)0)->field))

static void plt_build_elf(uint8_t *buf)
{
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = PLT_ENTRY,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 2,
	};
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_LOAD,
		  .p_flags = PF_R | PF_X,
		  .p_offset = PLT_TEXT_OFF,
		  .p_vaddr = PLT_TEXT_VADDR,
		  .p_paddr = PLT_TEXT_PADDR,
		  .p_filesz = PLT_TEXT_LEN,
		  .p_memsz = PLT_TEXT_LEN,
		  .p_align = 0x200000 },
		{ .p_type = PT_LOAD,
		  .p_flags = PF_R | PF_W,
		  .p_offset = PLT_DATA_OFF,
		  .p_vaddr = PLT_DATA_VADDR,
		  .p_paddr = PLT_DATA_PADDR,
		  .p_filesz = PLT_DATA_FILESZ,
		  .p_memsz = PLT_DATA_MEMSZ,
		  .p_align = 0x200000 },
	};
	size_t i;

	memset(buf, 0, PLT_ELF_SIZE);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + eh.e_phoff, ph, sizeof(ph));
	/* Compressible but not trivial, so streams have some length. */
	for (i = 0; i < PLT_TEXT_LEN; i++)
		buf[PLT_TEXT_OFF + i] = (uint8_t)((i * 7 + 1) ^ (i >> 5));
	for (i = 0; i < PLT_DATA_FILESZ; i++)
		buf[PLT_DATA_OFF + i] = (uint8_t)(0x5a ^ (i * 3));
	for (i = 0; i < PLT_RELOCS; i++)
		buf[PLT_DATA_OFF + PLT_DATA_FILESZ + i] = (uint8_t)i;
}

static size_t plt_gzip(const uint8_t *in, size_t len, uint8_t **out)
{
	z_stream zs;
	size_t cap;

	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
				  Z_DEFAULT_STRATEGY),
		     Z_OK);
	cap = deflateBound(&zs, len);
	*out = malloc(cap);
	cr_assert(*out);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = *out;
	zs.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	cap = zs.total_out;
	deflateEnd(&zs);
	return cap;
}

/* Like scripts/xz_wrap.sh (x86 BCJ + LZMA2, CRC32), plus the size. */
static size_t plt_xz(const uint8_t *in, size_t len, uint8_t **out,
		     size_t *stream_len)
{
	lzma_options_lzma opt;
	lzma_filter filters[] = {
		{ .id = LZMA_FILTER_X86, .options = NULL },
		{ .id = LZMA_FILTER_LZMA2, .options = &opt },
		{ .id = LZMA_VLI_UNKNOWN, .options = NULL },
	};
	size_t cap = lzma_stream_buffer_bound(len) + 4, pos = 0;
	uint32_t sz = (uint32_t)len;

	cr_assert_eq(lzma_lzma_preset(&opt, 6), 0);
	/*
	 * The decoder allocates the dictionary the stream asks for on every
	 * load: preset 6's 8 MiB made the tests that load a stream once per
	 * byte take two minutes under ASan. The kernel's 32 MiB is tested on
	 * its own (xz_64mib_dictionary_accepted).
	 */
	opt.dict_size = 64u << 10;
	*out = malloc(cap);
	cr_assert(*out);
	cr_assert_eq(lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL,
					       in, len, *out, &pos, cap),
		     LZMA_OK);
	*stream_len = pos;
	memcpy(*out + pos, &sz, sizeof(sz));
	return pos + sizeof(sz);
}

/* A protocol 2.15 relocatable 64-bit bzImage around the given payload. */
static void plt_build(struct plt_ctx *c, const uint8_t *payload, size_t len)
{
	size_t kernel = (PLT_HEAD + len + 4 + 15) & ~(size_t)15, i;
	uint8_t *img;

	free(c->img);
	c->size = PLT_SETUP_SIZE + kernel;
	img = c->img = calloc(1, c->size);
	cr_assert(img);
	PLT_SET(img, setup_sects, PLT_SETUP_SECTS);
	PLT_SET(img, syssize, kernel / 16);
	PLT_SET(img, boot_flag, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = (uint8_t)(PLT_HDR + sizeof(struct setup_header) - 0x202);
	memcpy(img + 0x202, "HdrS", 4);
	PLT_SET(img, version, 0x020f);
	PLT_SET(img, loadflags, LOADED_HIGH);
	PLT_SET(img, initrd_addr_max, 0x7fffffff);
	PLT_SET(img, kernel_alignment, 0x200000);
	PLT_SET(img, relocatable_kernel, 1);
	PLT_SET(img, min_alignment, 21);
	PLT_SET(img, xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	PLT_SET(img, cmdline_size, 2047);
	PLT_SET(img, payload_offset, PLT_HEAD);
	PLT_SET(img, payload_length, len);
	PLT_SET(img, pref_address, 0x1000000);
	PLT_SET(img, init_size, PLT_INIT_SIZE);
	for (i = 0; i < PLT_HEAD; i++)
		img[PLT_SETUP_SIZE + i] = (uint8_t)(i * 13 + 3);
	memcpy(img + PLT_SETUP_SIZE + PLT_HEAD, payload, len);
	memset(img + PLT_SETUP_SIZE + PLT_HEAD + len, 0xee, 4);
}

static void plt_init(struct plt_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->ram = malloc(PLT_RAM_SIZE);
	cr_assert(c->ram);
	memset(c->ram, PLT_POISON, PLT_RAM_SIZE);
	cr_assert_eq(guest_mem_add_region(&c->m, 0, PLT_RAM_SIZE, c->ram), 0);
	plt_build_elf(c->elf);
}

static void plt_init_gzip(struct plt_ctx *c)
{
	uint8_t *gz;
	size_t len;

	plt_init(c);
	len = plt_gzip(c->elf, PLT_ELF_SIZE, &gz);
	plt_build(c, gz, len);
	free(gz);
}

static void plt_fini(struct plt_ctx *c)
{
	free(c->img);
	free(c->ram);
}

static int plt_load_opts(struct plt_ctx *c, bool guest_decompress)
{
	struct kernel_load_opts opts = { .guest_decompress = guest_decompress };

	memset(&c->e, 0, sizeof(c->e));
	return kernel_load(&c->m, c->img, c->size, &opts, &c->ki, &c->e);
}

static int plt_load(struct plt_ctx *c)
{
	return plt_load_opts(c, false);
}

static bool plt_untouched(const struct plt_ctx *c, uint64_t gpa, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (c->ram[gpa + i] != PLT_POISON)
			return false;
	return true;
}

static uint8_t *plt_payload(const struct plt_ctx *c)
{
	return c->img + PLT_SETUP_SIZE + PLT_HEAD;
}

/* What a successful host extraction must have produced. */
static void plt_expect_extracted(const struct plt_ctx *c)
{
	size_t i;

	cr_assert_eq(c->ki.format, KERNEL_FORMAT_BZIMAGE);
	cr_assert(c->ki.host_decompressed);
	cr_assert_eq(c->ki.entry64, PLT_ENTRY);
	cr_assert_eq(memcmp(c->ram + PLT_TEXT_PADDR, c->elf + PLT_TEXT_OFF,
			    PLT_TEXT_LEN),
		     0);
	cr_assert_eq(memcmp(c->ram + PLT_DATA_PADDR, c->elf + PLT_DATA_OFF,
			    PLT_DATA_FILESZ),
		     0);
	for (i = PLT_DATA_FILESZ; i < PLT_DATA_MEMSZ; i++)
		cr_assert_eq(c->ram[PLT_DATA_PADDR + i], 0, "bss byte %zu", i);
	cr_assert(plt_untouched(c, PLT_DATA_PADDR + PLT_DATA_MEMSZ, 64));
	/* The bzImage's header, not the ELF loader's defaults. */
	cr_assert_eq(c->ki.hdr.version, 0x020f);
	cr_assert_eq(c->ki.hdr.setup_sects, PLT_SETUP_SECTS);
	cr_assert_eq(c->ki.hdr.init_size, PLT_INIT_SIZE);
	cr_assert_eq(c->ki.hdr.payload_offset, PLT_HEAD);
	cr_assert_eq(c->ki.hdr.xloadflags,
		     XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	cr_assert_eq(c->ki.hdr.type_of_loader, 0xff);
	cr_assert_eq(c->ki.cmdline_size, 2047);
	cr_assert_eq(c->ki.initrd_addr_max, 0x7fffffff);
	cr_assert_eq(c->ki.load_start, PLT_TEXT_PADDR);
}

/* The in-guest decompressor path, exactly as without a payload. */
static void plt_expect_fallback(const struct plt_ctx *c)
{
	size_t kernel = c->size - PLT_SETUP_SIZE;

	cr_assert_eq(c->ki.format, KERNEL_FORMAT_BZIMAGE);
	cr_assert_not(c->ki.host_decompressed);
	cr_assert_eq(c->ki.entry64, LAYOUT_KERNEL_LOAD + 0x200);
	cr_assert_eq(c->ki.load_start, LAYOUT_KERNEL_LOAD);
	cr_assert_eq(c->ki.load_end, LAYOUT_KERNEL_LOAD + PLT_INIT_SIZE);
	cr_assert_eq(memcmp(c->ram + LAYOUT_KERNEL_LOAD,
			    c->img + PLT_SETUP_SIZE, kernel),
		     0);
}

static void plt_expect_fail(struct plt_ctx *c, const char *want)
{
	cr_assert_eq(plt_load(c), -1, "load unexpectedly succeeded");
	cr_assert(strstr(c->e.msg, want), "message '%s' lacks '%s'", c->e.msg,
		  want);
	cr_assert_null(strchr(c->e.msg, '\n'));
}

Test(boot_payload, header_offsets_match_boot_protocol)
{
	cr_assert_eq(PLT_OFF(payload_offset), 0x248);
	cr_assert_eq(PLT_OFF(payload_length), 0x24c);
}

Test(boot_payload, gzip_payload_loaded_as_elf)
{
	struct plt_ctx c;

	plt_init_gzip(&c);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_expect_extracted(&c);
	/* init_size reaches past _end: reserved, as a decompressing boot. */
	cr_assert_eq(c.ki.load_end, PLT_TEXT_PADDR + PLT_INIT_SIZE);
	/* The decompressor itself is not loaded. */
	cr_assert(plt_untouched(&c, PLT_TEXT_PADDR + PLT_TEXT_LEN, 0x1000));
	plt_fini(&c);
}

Test(boot_payload, load_end_is_elf_end_when_init_size_is_smaller)
{
	struct plt_ctx c;

	plt_init_gzip(&c);
	PLT_SET(c.img, init_size, 0x10000);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	cr_assert(c.ki.host_decompressed);
	cr_assert_eq(c.ki.load_end, PLT_DATA_PADDR + PLT_DATA_MEMSZ);
	plt_fini(&c);
}

Test(boot_payload, xz_payload_loaded_as_elf)
{
	struct plt_ctx c;
	uint8_t *xz;
	size_t len, stream;

	plt_init(&c);
	len = plt_xz(c.elf, PLT_ELF_SIZE, &xz, &stream);
	plt_build(&c, xz, len);
	free(xz);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_expect_extracted(&c);
	plt_fini(&c);
}

Test(boot_payload, uncompressed_elf_payload)
{
	struct plt_ctx c;

	plt_init(&c);
	plt_build(&c, c.elf, PLT_ELF_SIZE);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_expect_extracted(&c);
	plt_fini(&c);
}

Test(boot_payload, extract_reports_format_and_size)
{
	struct plt_ctx c;
	struct setup_header hdr;
	struct bz_payload pl;
	struct image_src src;

	plt_init_gzip(&c);
	memcpy(&hdr, c.img + PLT_HDR, sizeof(hdr));
	src = image_src_buf(c.img, c.size);
	cr_assert_eq(bz_payload_extract(&src, &hdr, &pl, &c.e), BZ_PAYLOAD_OK,
		     "%s", c.e.msg);
	cr_assert_str_eq(pl.format, "gzip");
	cr_assert_eq(pl.size, PLT_ELF_SIZE);
	cr_assert_eq(memcmp(pl.data, c.elf, PLT_ELF_SIZE), 0);
	free(pl.data);
	plt_fini(&c);
}

Test(boot_payload, guest_decompress_forces_fallback)
{
	struct plt_ctx c;

	plt_init_gzip(&c);
	cr_assert_eq(plt_load_opts(&c, true), 0, "%s", c.e.msg);
	plt_expect_fallback(&c);
	plt_fini(&c);
}

Test(boot_payload, unsupported_formats_fall_back)
{
	static const struct {
		const char *name;
		const char *magic;
		size_t len;
	} fmts[] = {
		{ "lz4", "\x02\x21\x4c\x18", 4 },
		{ "zstd", "\x28\xb5\x2f\xfd", 4 },
		{ "bzip2", "\x42\x5a\x68", 3 },
		{ "lzma", "\x5d\x00\x00", 3 },
		{ "lzo", "\x89\x4c\x5a\x4f", 4 },
		{ "unknown", "\x12\x34\x56\x78", 4 },
	};
	uint8_t payload[256];
	struct setup_header hdr;
	struct bz_payload pl;
	struct image_src src;
	struct plt_ctx c;
	size_t i;

	plt_init(&c);
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(payload, 0x77, sizeof(payload));
		memcpy(payload, fmts[i].magic, fmts[i].len);
		plt_build(&c, payload, sizeof(payload));
		memcpy(&hdr, c.img + PLT_HDR, sizeof(hdr));
		src = image_src_buf(c.img, c.size);
		cr_assert_eq(bz_payload_extract(&src, &hdr, &pl, &c.e),
			     BZ_PAYLOAD_UNSUPPORTED, "%s", fmts[i].name);
		cr_assert_str_eq(pl.format, fmts[i].name);
		cr_assert_null(pl.data);
		cr_assert_eq(plt_load(&c), 0, "%s: %s", fmts[i].name, c.e.msg);
		plt_expect_fallback(&c);
	}
	plt_fini(&c);
}

/* Protocol < 2.08 images and headers that stop short have no payload. */
Test(boot_payload, zero_payload_length_falls_back)
{
	struct plt_ctx c;

	plt_init_gzip(&c);
	PLT_SET(c.img, payload_length, 0);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_expect_fallback(&c);
	plt_fini(&c);
}

Test(boot_payload, payload_offset_out_of_bounds)
{
	struct plt_ctx c;

	plt_init_gzip(&c);
	PLT_SET(c.img, payload_offset, c.size);
	plt_expect_fail(&c, "extends past the end");
	PLT_SET(c.img, payload_offset, 0xffffffff);
	plt_expect_fail(&c, "extends past the end");
	cr_assert(plt_untouched(&c, LAYOUT_KERNEL_LOAD, 0x10000));
	plt_fini(&c);
}

Test(boot_payload, payload_length_out_of_bounds)
{
	struct plt_ctx c;
	size_t room = 0;

	plt_init_gzip(&c);
	room = c.size - PLT_SETUP_SIZE - PLT_HEAD;
	PLT_SET(c.img, payload_length, room + 1);
	plt_expect_fail(&c, "extends past the end");
	PLT_SET(c.img, payload_length, 0xffffffff);
	plt_expect_fail(&c, "extends past the end");
	cr_assert(plt_untouched(&c, LAYOUT_KERNEL_LOAD, 0x10000));
	plt_fini(&c);
}

/* Every cut of the gzip stream, header and trailer included, fails. */
Test(boot_payload, gzip_truncated_at_every_point)
{
	struct plt_ctx c;
	uint32_t full, len;

	plt_init_gzip(&c);
	memcpy(&full, c.img + PLT_OFF(payload_length), sizeof(full));
	for (len = 2; len < full; len++) {
		PLT_SET(c.img, payload_length, len);
		cr_assert_eq(plt_load(&c), -1, "length %u accepted", len);
		cr_assert(strstr(c.e.msg, "truncated") ||
			      strstr(c.e.msg, "corrupt"),
			  "length %u: '%s'", len, c.e.msg);
		cr_assert_null(strchr(c.e.msg, '\n'));
		cr_assert(plt_untouched(&c, PLT_TEXT_PADDR, 0x100),
			  "length %u wrote the kernel", len);
	}
	PLT_SET(c.img, payload_length, full);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_fini(&c);
}

Test(boot_payload, gzip_truncated_message)
{
	struct plt_ctx c;
	uint32_t full;

	plt_init_gzip(&c);
	memcpy(&full, c.img + PLT_OFF(payload_length), sizeof(full));
	PLT_SET(c.img, payload_length, full / 2);
	plt_expect_fail(&c, "bzImage payload (gzip) is truncated");
	plt_fini(&c);
}

Test(boot_payload, xz_truncated_at_every_point)
{
	struct plt_ctx c;
	uint8_t *xz;
	size_t len, stream, cut;

	plt_init(&c);
	len = plt_xz(c.elf, PLT_ELF_SIZE, &xz, &stream);
	plt_build(&c, xz, len);
	free(xz);
	for (cut = 6; cut < stream; cut++) {
		PLT_SET(c.img, payload_length, cut);
		cr_assert_eq(plt_load(&c), -1, "length %zu accepted", cut);
		cr_assert(strstr(c.e.msg, "truncated") ||
			      strstr(c.e.msg, "corrupt"),
			  "length %zu: '%s'", cut, c.e.msg);
		cr_assert(plt_untouched(&c, PLT_TEXT_PADDR, 0x100));
	}
	/* The stream is complete without the kernel's appended size. */
	PLT_SET(c.img, payload_length, stream);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_fini(&c);
}

/*
 * A flipped byte is caught by the deflate decoder or by the CRC32/ISIZE
 * trailer; only the gzip header's MTIME/XFL/OS and unused padding bits
 * may change without consequence, and then the result must be intact.
 */
Test(boot_payload, gzip_corrupt_bytes_never_crash)
{
	struct plt_ctx c;
	uint32_t full, i;
	unsigned int failed = 0;

	plt_init_gzip(&c);
	memcpy(&full, c.img + PLT_OFF(payload_length), sizeof(full));
	for (i = 2; i < full; i++) {
		uint8_t *b = plt_payload(&c) + i;

		*b ^= 0x5a;
		if (plt_load(&c) == 0) {
			plt_expect_extracted(&c);
		} else {
			cr_assert_neq(c.e.msg[0], '\0');
			cr_assert_null(strchr(c.e.msg, '\n'));
			failed++;
		}
		*b ^= 0x5a;
	}
	cr_assert_gt(failed, full / 2);
	plt_fini(&c);
}

Test(boot_payload, gzip_corrupt_deflate_message)
{
	struct plt_ctx c;

	plt_init_gzip(&c);
	/* Just after the 10-byte header: block type 3 is invalid. */
	plt_payload(&c)[10] |= 0x06;
	plt_expect_fail(&c, "bzImage payload (gzip) is corrupt");
	plt_fini(&c);
}

Test(boot_payload, gzip_crc_mismatch)
{
	struct plt_ctx c;
	uint32_t full;

	plt_init_gzip(&c);
	memcpy(&full, c.img + PLT_OFF(payload_length), sizeof(full));
	plt_payload(&c)[full - 8] ^= 1;
	plt_expect_fail(&c, "corrupt");
	plt_fini(&c);
}

Test(boot_payload, xz_corrupt_bytes_never_crash)
{
	struct plt_ctx c;
	uint8_t *xz;
	size_t len, stream, i;

	plt_init(&c);
	len = plt_xz(c.elf, PLT_ELF_SIZE, &xz, &stream);
	plt_build(&c, xz, len);
	free(xz);
	for (i = 6; i < stream; i++) {
		uint8_t *b = plt_payload(&c) + i;

		*b ^= 0x21;
		if (plt_load(&c) == 0) {
			plt_expect_extracted(&c);
		} else {
			cr_assert_neq(c.e.msg[0], '\0');
			cr_assert_null(strchr(c.e.msg, '\n'));
		}
		*b ^= 0x21;
	}
	plt_fini(&c);
}

Test(boot_payload, payload_not_elf)
{
	struct plt_ctx c;
	uint8_t junk[4096], *gz;
	size_t len;

	plt_init(&c);
	memset(junk, 0x42, sizeof(junk));
	len = plt_gzip(junk, sizeof(junk), &gz);
	plt_build(&c, gz, len);
	free(gz);
	plt_expect_fail(&c, "is not an ELF vmlinux");
	cr_assert(plt_untouched(&c, LAYOUT_KERNEL_LOAD, 0x10000));
	plt_fini(&c);
}

Test(boot_payload, invalid_elf_in_payload)
{
	struct plt_ctx c;
	uint8_t *gz;
	size_t len;
	Elf64_Half machine = EM_386;

	plt_init(&c);
	memcpy(c.elf + offsetof(Elf64_Ehdr, e_machine), &machine,
	       sizeof(machine));
	len = plt_gzip(c.elf, PLT_ELF_SIZE, &gz);
	plt_build(&c, gz, len);
	free(gz);
	plt_expect_fail(&c,
			"bzImage payload (gzip): ELF kernel is for machine");
	plt_fini(&c);
}

Test(boot_payload, every_file_truncation_fails_cleanly)
{
	struct plt_ctx c;
	size_t full, sz;

	plt_init_gzip(&c);
	full = c.size;
	for (sz = 0; sz < full; sz += 7) {
		c.size = sz;
		cr_assert_eq(plt_load(&c), -1, "size %zu accepted", sz);
		cr_assert_neq(c.e.msg[0], '\0', "size %zu: no message", sz);
		cr_assert(plt_untouched(&c, LAYOUT_KERNEL_LOAD, 0x1000),
			  "size %zu wrote guest memory", sz);
	}
	c.size = full;
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_fini(&c);
}

/*
 * Rewrites the LZMA2 dictionary-size byte of the first block header of
 * the xz stream at xz (x86 BCJ + LZMA2, as plt_xz makes it) and the
 * header's CRC32: a valid stream that asks for another dictionary.
 */
static void plt_xz_set_dict(uint8_t *xz, uint8_t dict_byte)
{
	const size_t block = LZMA_STREAM_HEADER_SIZE;
	size_t hsize = lzma_block_header_size_decode(xz[block]), i;
	uint32_t crc;

	for (i = block + 2; i + 2 < block + hsize - 4; i++)
		if (xz[i] == 0x21 && xz[i + 1] == 0x01)
			break;
	cr_assert(i + 2 < block + hsize - 4, "no LZMA2 filter flags found");
	xz[i + 2] = dict_byte;
	crc = lzma_crc32(xz + block, hsize - 4, 0);
	memcpy(xz + block + hsize - 4, &crc, sizeof(crc));
}

/*
 * Dictionary byte 40 is 4 GiB - 1: liblzma without a memory limit
 * allocates it before decoding anything. The stream is otherwise valid
 * (the old decoder accepted it), so only the limit can refuse it.
 */
Test(boot_payload, xz_huge_dictionary_refused_before_allocating)
{
	struct plt_ctx c;
	uint8_t *xz;
	size_t len, stream;

	plt_init(&c);
	len = plt_xz(c.elf, PLT_ELF_SIZE, &xz, &stream);
	plt_xz_set_dict(xz, 40);
	plt_build(&c, xz, len);
	free(xz);
	plt_expect_fail(&c, "MiB of decoder memory");
	cr_assert(strstr(c.e.msg, "4097 MiB"), "'%s'", c.e.msg);
	cr_assert(plt_untouched(&c, PLT_TEXT_PADDR, 0x100));
	plt_fini(&c);
}

/* 64 MiB, xz -9's dictionary: the largest the usual tools make. */
Test(boot_payload, xz_64mib_dictionary_accepted)
{
	struct plt_ctx c;
	uint8_t *xz;
	size_t len, stream;

	plt_init(&c);
	len = plt_xz(c.elf, PLT_ELF_SIZE, &xz, &stream);
	plt_xz_set_dict(xz, 28); /* 2 << (28 / 2 + 11) = 64 MiB */
	plt_build(&c, xz, len);
	free(xz);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_expect_extracted(&c);
	plt_fini(&c);
}

/*
 * init_size covers the decompressed kernel (arch/x86/boot/header.S), so a
 * payload that inflates past it is refused as soon as it does, whatever
 * it would have decompressed to.
 */
Test(boot_payload, gzip_output_bounded_by_init_size)
{
	struct plt_ctx c;

	plt_init_gzip(&c);
	PLT_SET(c.img, init_size, PLT_ELF_SIZE - 1);
	plt_expect_fail(&c, "init_size");
	cr_assert(plt_untouched(&c, PLT_TEXT_PADDR, 0x100));
	PLT_SET(c.img, init_size, PLT_ELF_SIZE);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_fini(&c);
}

Test(boot_payload, xz_output_bounded_by_init_size)
{
	struct plt_ctx c;
	uint8_t *xz;
	size_t len, stream;

	plt_init(&c);
	len = plt_xz(c.elf, PLT_ELF_SIZE, &xz, &stream);
	plt_build(&c, xz, len);
	free(xz);
	PLT_SET(c.img, init_size, PLT_ELF_SIZE - 1);
	plt_expect_fail(&c, "init_size");
	PLT_SET(c.img, init_size, PLT_ELF_SIZE);
	cr_assert_eq(plt_load(&c), 0, "%s", c.e.msg);
	plt_fini(&c);
}

/* 256 MiB of zeros is a ~250 KiB gzip stream: stopped at init_size. */
Test(boot_payload, gzip_bomb_stops_at_init_size)
{
	const size_t bomb = 256u << 20, chunk = 1u << 20;
	uint8_t *zeros = calloc(1, chunk), *gz;
	struct plt_ctx c;
	z_stream zs;
	size_t cap, i;

	cr_assert(zeros);
	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
				  Z_DEFAULT_STRATEGY),
		     Z_OK);
	cap = deflateBound(&zs, bomb);
	gz = malloc(cap);
	cr_assert(gz);
	zs.next_out = gz;
	zs.avail_out = (uInt)cap;
	for (i = 0; i < bomb / chunk; i++) {
		zs.next_in = zeros;
		zs.avail_in = (uInt)chunk;
		cr_assert_neq(
		    deflate(&zs, i + 1 == bomb / chunk ? Z_FINISH : Z_NO_FLUSH),
		    Z_STREAM_ERROR);
	}
	cr_assert_lt(zs.total_out, 1u << 20);
	plt_init(&c);
	plt_build(&c, gz, zs.total_out);
	deflateEnd(&zs);
	free(gz);
	free(zeros);
	plt_expect_fail(&c, "init_size");
	cr_assert(strstr(c.e.msg, "4194304 bytes"), "'%s'", c.e.msg);
	plt_fini(&c);
}

/*
 * The file path streams the payload to the decoder in 64 KiB chunks: a
 * payload of several chunks (the ELF, then incompressible bytes the ELF
 * loader ignores) must decode, fail and report byte offsets exactly as
 * from a buffer, cut or corrupted on either side of a chunk boundary.
 */
#define PLT_BIG (200u << 10)
#define PLT_CHUNK (64u << 10)

static uint8_t *plt_big_elf(const struct plt_ctx *c)
{
	uint8_t *big = malloc(PLT_ELF_SIZE + PLT_BIG);
	uint32_t x = 12345;
	size_t i;

	cr_assert(big);
	memcpy(big, c->elf, PLT_ELF_SIZE);
	for (i = 0; i < PLT_BIG; i++) {
		x = x * 1103515245u + 12345u;
		big[PLT_ELF_SIZE + i] = (uint8_t)(x >> 16);
	}
	return big;
}

/* The ELF's text to the end of its bss: all a load here may write. */
#define PLT_WINDOW (PLT_DATA_PADDR + PLT_DATA_MEMSZ - PLT_TEXT_PADDR)

static int plt_file_agrees(struct boot_file_ram *r, const struct plt_ctx *c,
			   bool guest_decompress, const char *what)
{
	return boot_file_agrees(r, c->img, c->size, guest_decompress,
				PLT_TEXT_PADDR, PLT_WINDOW, what);
}

static void plt_big_agrees(bool xz)
{
	static const size_t edges[] = { PLT_CHUNK - 1, PLT_CHUNK, PLT_CHUNK + 1,
					2 * PLT_CHUNK, 3 * PLT_CHUNK + 7 };
	const char *fmt = xz ? "xz" : "gzip";
	struct boot_file_ram r;
	struct plt_ctx c;
	uint8_t *big, *packed;
	size_t len, stream;
	uint32_t full;
	char what[64];
	size_t i;

	plt_init(&c);
	boot_file_ram_init(&r, PLT_RAM_SIZE);
	big = plt_big_elf(&c);
	len = xz ? plt_xz(big, PLT_ELF_SIZE + PLT_BIG, &packed, &stream)
		 : plt_gzip(big, PLT_ELF_SIZE + PLT_BIG, &packed);
	plt_build(&c, packed, len);
	memcpy(&full, c.img + PLT_OFF(payload_length), sizeof(full));
	cr_assert_gt(full, 3 * PLT_CHUNK + 8, "%s: %u bytes", fmt, full);
	cr_assert_eq(plt_file_agrees(&r, &c, false, fmt), 0);
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		uint8_t *p = plt_payload(&c) + edges[i];

		PLT_SET(c.img, payload_length, edges[i]);
		snprintf(what, sizeof(what), "%s cut at %zu", fmt, edges[i]);
		cr_assert_eq(plt_file_agrees(&r, &c, false, what), -1, "%s",
			     what);
		PLT_SET(c.img, payload_length, full);
		*p ^= 0x5a;
		snprintf(what, sizeof(what), "%s byte %zu flipped", fmt,
			 edges[i]);
		cr_assert_eq(plt_file_agrees(&r, &c, false, what), -1, "%s",
			     what);
		*p ^= 0x5a;
	}
	free(packed);
	free(big);
	boot_file_ram_fini(&r);
	plt_fini(&c);
}

Test(boot_payload, file_load_agrees_with_buffer_across_gzip_chunks)
{
	plt_big_agrees(false);
}

Test(boot_payload, file_load_agrees_with_buffer_across_xz_chunks)
{
	plt_big_agrees(true);
}

Test(boot_payload, file_load_agrees_with_buffer_on_every_gzip_truncation)
{
	struct boot_file_ram r;
	struct plt_ctx c;
	uint32_t full, len;
	char what[32];

	plt_init_gzip(&c);
	boot_file_ram_init(&r, PLT_RAM_SIZE);
	memcpy(&full, c.img + PLT_OFF(payload_length), sizeof(full));
	for (len = 0; len <= full; len++) {
		PLT_SET(c.img, payload_length, len);
		snprintf(what, sizeof(what), "length %u", len);
		plt_file_agrees(&r, &c, false, what);
	}
	/* A payload of the ELF itself, and one the guest decompresses. */
	plt_build(&c, c.elf, PLT_ELF_SIZE);
	cr_assert_eq(plt_file_agrees(&r, &c, false, "ELF payload"), 0);
	cr_assert_eq(plt_file_agrees(&r, &c, true, "guest decompress"), 0);
	boot_file_ram_fini(&r);
	plt_fini(&c);
}
