// SPDX-License-Identifier: MIT
/*
 * Host-side extraction of a bzImage's payload (boot protocol 2.08+:
 * payload_offset/payload_length), the compressed ELF vmlinux that the
 * in-guest decompressor would otherwise unpack. The payload is untrusted:
 * bounds are checked before it is read, the output is capped, and a
 * corrupt or truncated stream ends in a one-line error.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <lzma.h>
#include <zlib.h>

#include "vmm/boot/loader.h"

#define BZ_SECTOR 512
#define BZ_DEFAULT_SETUP_SECTS 4
#define PL_MIN_VERSION 0x0208 /* payload_offset/payload_length */
#define PL_MIN_BUF (64u << 10)
/* A decompressed x86-64 vmlinux is tens of MiB; a trailing size is a hint. */
#define PL_HINT_RATIO 16
/*
 * liblzma's decoder allocates the dictionary size the stream header asks
 * for (up to 4 GiB) before it decodes a byte. The kernel's own build
 * (scripts/xz_wrap.sh) uses a 32 MiB dictionary, and xz's largest preset
 * (-9) 64 MiB, which needs about 65 MiB to decode: 128 MiB admits every
 * kernel built by the usual tools and refuses a stream that only wants to
 * make vireo allocate gigabytes.
 */
#define PL_XZ_MEMLIMIT (128u << 20)

struct pl_magic {
	const char *name;
	const uint8_t *bytes;
	size_t len;
	bool supported;
};

static const struct pl_magic pl_magics[] = {
	{ "gzip", (const uint8_t *)"\x1f\x8b", 2, true },
	{ "xz", (const uint8_t *)"\xfd\x37\x7a\x58\x5a\x00", 6, true },
	{ "ELF", (const uint8_t *)"\x7f\x45\x4c\x46", 4, true },
	{ "lz4", (const uint8_t *)"\x02\x21\x4c\x18", 4, false },
	{ "zstd", (const uint8_t *)"\x28\xb5\x2f\xfd", 4, false },
	{ "bzip2", (const uint8_t *)"\x42\x5a\x68", 3, false },
	{ "lzma", (const uint8_t *)"\x5d\x00\x00", 3, false },
	{ "lzo", (const uint8_t *)"\x89\x4c\x5a\x4f", 4, false },
};

static const struct pl_magic *pl_detect(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(pl_magics) / sizeof(pl_magics[0]); i++)
		if (len >= pl_magics[i].len &&
		    memcmp(p, pl_magics[i].bytes, pl_magics[i].len) == 0)
			return &pl_magics[i];
	return NULL;
}

/*
 * The compressed payload reaches the decoder a chunk at a time, so a
 * bzImage file is never held in memory beside what it decompresses to; a
 * buffer is handed over whole.
 */
#define PL_CHUNK (64u << 10)

struct pl_in {
	const struct image_src *src;
	uint64_t off; /* next byte of the image to feed */
	size_t left; /* payload bytes not yet fed */
	size_t len; /* the whole payload */
	uint8_t *chunk; /* file sources only */
};

/* Next piece of input into *p, *n; -1 (with a message) on a read error. */
static int pl_in_next(struct pl_in *in, const uint8_t **p, size_t *n,
		      struct err *e)
{
	size_t len = in->left;

	if (in->src->data) {
		*p = in->src->data + in->off;
	} else {
		if (len > PL_CHUNK)
			len = PL_CHUNK;
		if (image_src_read(in->src, in->off, in->chunk, len) < 0)
			return err_set(e,
				       "cannot read the bzImage payload at "
				       "offset %" PRIu64,
				       in->off);
		*p = in->chunk;
	}
	*n = len;
	in->off += len;
	in->left -= len;
	return 0;
}

/* Bytes the decoder has taken, for error messages. */
static size_t pl_in_used(const struct pl_in *in, size_t avail)
{
	return in->len - in->left - avail;
}

/*
 * The kernel's build appends the uncompressed size as 32-bit LE to most
 * formats, and gzip ends with it anyway; only trusted as a first guess.
 */
static size_t pl_first_cap(const struct pl_in *in, size_t limit)
{
	size_t len = in->len;
	uint32_t tail = 0;
	size_t cap;

	if (len >= sizeof(tail) &&
	    image_src_read(in->src, in->off + len - sizeof(tail), &tail,
			   sizeof(tail)) < 0)
		tail = 0;
	if (tail && len <= BZ_PAYLOAD_MAX / PL_HINT_RATIO &&
	    tail <= len * PL_HINT_RATIO)
		cap = tail;
	else
		cap = len <= BZ_PAYLOAD_MAX / 4 ? len * 4 : BZ_PAYLOAD_MAX;
	if (cap < PL_MIN_BUF)
		cap = PL_MIN_BUF;
	return cap < limit ? cap : limit;
}

/* Doubles the output buffer; fails past limit. */
static int pl_grow(uint8_t **buf, size_t *cap, size_t limit, const char *fmt,
		   struct err *e)
{
	size_t ncap = *cap >= limit / 2 ? limit : *cap * 2;
	uint8_t *nbuf;

	if (*cap >= limit)
		return err_set(e,
			       "bzImage payload (%s) decompresses to more than "
			       "the %zu bytes the setup header's init_size "
			       "allows",
			       fmt, limit);
	nbuf = realloc(*buf, ncap);
	if (!nbuf)
		return err_set(e,
			       "out of memory decompressing the bzImage "
			       "payload (%zu bytes)",
			       ncap);
	*buf = nbuf;
	*cap = ncap;
	return 0;
}

static int pl_gunzip(struct pl_in *in, size_t limit, struct bz_payload *out,
		     struct err *e)
{
	z_stream zs;
	size_t cap = pl_first_cap(in, limit), used = 0, len = in->len, n;
	const uint8_t *next;
	uint8_t *buf;
	int ret;

	/* avail_in/avail_out are uInt; kernel files are far smaller. */
	if (len > UINT_MAX || BZ_PAYLOAD_MAX > UINT_MAX)
		return err_set(e, "bzImage payload (gzip) is too large");
	buf = malloc(cap);
	if (!buf)
		return err_set(
		    e, "out of memory decompressing the bzImage payload");
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return err_set(e, "cannot initialise zlib");
	}
	for (;;) {
		if (!zs.avail_in && in->left) {
			if (pl_in_next(in, &next, &n, e) < 0)
				goto fail;
			zs.next_in = next;
			zs.avail_in = (uInt)n;
		}
		if (used == cap && pl_grow(&buf, &cap, limit, "gzip", e))
			goto fail;
		zs.next_out = buf + used;
		zs.avail_out = (uInt)(cap - used);
		ret = inflate(&zs, Z_NO_FLUSH);
		used = cap - zs.avail_out;
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_OK ||
		    (ret == Z_BUF_ERROR && (!zs.avail_out || in->left)))
			continue;
		if (ret == Z_BUF_ERROR)
			err_set(
			    e,
			    "bzImage payload (gzip) is truncated: the stream "
			    "ends after %zu of %zu bytes without its trailer",
			    pl_in_used(in, zs.avail_in), len);
		else if (ret == Z_MEM_ERROR)
			err_set(
			    e,
			    "out of memory decompressing the bzImage payload");
		else
			err_set(
			    e,
			    "bzImage payload (gzip) is corrupt at byte %zu: %s",
			    pl_in_used(in, zs.avail_in),
			    zs.msg ? zs.msg : "invalid data");
		goto fail;
	}
	inflateEnd(&zs);
	out->data = buf;
	out->size = used;
	return 0;
fail:
	inflateEnd(&zs);
	free(buf);
	return -1;
}

static const char *pl_lzma_strerror(lzma_ret ret)
{
	switch (ret) {
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "memory limit reached";
	case LZMA_FORMAT_ERROR:
		return "not an xz stream";
	case LZMA_OPTIONS_ERROR:
		return "unsupported compression options";
	case LZMA_DATA_ERROR:
		return "invalid data";
	case LZMA_UNSUPPORTED_CHECK:
		return "unsupported integrity check";
	default:
		return "decoder error";
	}
}

static int pl_unxz(struct pl_in *in, size_t limit, struct bz_payload *out,
		   struct err *e)
{
	lzma_stream xs = LZMA_STREAM_INIT;
	size_t cap = pl_first_cap(in, limit), used = 0, len = in->len;
	uint8_t *buf;
	lzma_ret ret;

	buf = malloc(cap);
	if (!buf)
		return err_set(
		    e, "out of memory decompressing the bzImage payload");
	/*
	 * Not LZMA_CONCATENATED: the kernel build appends a 4-byte size
	 * after the stream, which the decoder must not read as padding.
	 */
	if (lzma_stream_decoder(&xs, PL_XZ_MEMLIMIT, 0) != LZMA_OK) {
		free(buf);
		return err_set(e, "cannot initialise liblzma");
	}
	for (;;) {
		if (!xs.avail_in && in->left &&
		    pl_in_next(in, &xs.next_in, &xs.avail_in, e) < 0)
			goto fail;
		if (used == cap && pl_grow(&buf, &cap, limit, "xz", e))
			goto fail;
		xs.next_out = buf + used;
		xs.avail_out = cap - used;
		ret = lzma_code(&xs, in->left ? LZMA_RUN : LZMA_FINISH);
		used = cap - xs.avail_out;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_OK ||
		    (ret == LZMA_BUF_ERROR && (!xs.avail_out || in->left)))
			continue;
		if (ret == LZMA_MEMLIMIT_ERROR)
			err_set(e,
				"bzImage payload (xz) needs %" PRIu64
				" MiB of decoder memory (its dictionary), more "
				"than the %u MiB vireo allows",
				(lzma_memusage(&xs) + (1u << 20) - 1) >> 20,
				PL_XZ_MEMLIMIT >> 20);
		else if (ret == LZMA_BUF_ERROR)
			err_set(
			    e,
			    "bzImage payload (xz) is truncated: the stream "
			    "ends after %zu of %zu bytes without its footer",
			    pl_in_used(in, xs.avail_in), len);
		else
			err_set(
			    e,
			    "bzImage payload (xz) is corrupt at byte %zu: %s",
			    pl_in_used(in, xs.avail_in), pl_lzma_strerror(ret));
		goto fail;
	}
	lzma_end(&xs);
	out->data = buf;
	out->size = used;
	return 0;
fail:
	lzma_end(&xs);
	free(buf);
	return -1;
}

int bz_payload_extract(const struct image_src *src,
		       const struct setup_header *hdr, struct bz_payload *out,
		       struct err *e)
{
	uint8_t head[8];
	const struct pl_magic *mg;
	unsigned int setup_sects;
	struct pl_in in;
	uint64_t start;
	size_t limit;
	int ret;

	memset(out, 0, sizeof(*out));
	out->format = "none";
	/* Older protocols, or a header that stops short: nothing to find. */
	if (hdr->version < PL_MIN_VERSION || hdr->payload_length == 0)
		return BZ_PAYLOAD_UNSUPPORTED;

	setup_sects =
	    hdr->setup_sects ? hdr->setup_sects : BZ_DEFAULT_SETUP_SECTS;
	start = (uint64_t)(setup_sects + 1) * BZ_SECTOR + hdr->payload_offset;
	if (!image_src_has(src, start, hdr->payload_length))
		return err_set(
		    e,
		    "bzImage payload [0x%" PRIx64 ", 0x%" PRIx64
		    ") (payload_offset 0x%x, payload_length 0x%x) "
		    "extends past the end of the %" PRIu64 "-byte file",
		    start, start + hdr->payload_length, hdr->payload_offset,
		    hdr->payload_length, src->size);
	in = (struct pl_in){
		.src = src,
		.off = start,
		.left = hdr->payload_length,
		.len = hdr->payload_length,
	};

	memset(head, 0, sizeof(head));
	if (image_src_read(src, start, head,
			   in.len < sizeof(head) ? in.len : sizeof(head)) < 0)
		return err_set(e, "cannot read the bzImage payload");
	mg = pl_detect(head, in.len < sizeof(head) ? in.len : sizeof(head));
	if (!mg) {
		out->format = "unknown";
		return BZ_PAYLOAD_UNSUPPORTED;
	}
	out->format = mg->name;
	if (!mg->supported)
		return BZ_PAYLOAD_UNSUPPORTED;

	if (strcmp(mg->name, "ELF") == 0) {
		out->data = malloc(in.len);
		if (!out->data)
			return err_set(
			    e, "out of memory copying the bzImage payload");
		if (image_src_read(src, start, out->data, in.len) < 0) {
			free(out->data);
			out->data = NULL;
			return err_set(e, "cannot read the bzImage payload");
		}
		out->size = in.len;
		return BZ_PAYLOAD_OK;
	}
	if (!src->data) {
		in.chunk = malloc(PL_CHUNK);
		if (!in.chunk)
			return err_set(
			    e, "out of memory reading the bzImage payload");
	}
	/*
	 * header.S makes init_size at least the decompressed size
	 * (z_output_len) plus the compressed one: a stream that inflates past
	 * it is not the kernel this header describes. bzimage_load() has
	 * already checked init_size against guest RAM.
	 */
	limit =
	    hdr->init_size < BZ_PAYLOAD_MAX ? hdr->init_size : BZ_PAYLOAD_MAX;
	if (strcmp(mg->name, "gzip") == 0)
		ret = pl_gunzip(&in, limit, out, e);
	else
		ret = pl_unxz(&in, limit, out, e);
	free(in.chunk);
	return ret ? -1 : BZ_PAYLOAD_OK;
}
