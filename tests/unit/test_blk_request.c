// SPDX-License-Identifier: MIT
/*
 * The pure virtio-blk request parser: chains built by hand (the parser
 * never touches data buffers, so only the header needs real memory).
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <string.h>

#include "devices/virtio/blk_request.h"

static struct virtq_chain br_chain;
static struct blk_request br_req;
static uint8_t br_hdr[16], br_status;
static const struct blk_geometry br_disk = { .capacity = 1ULL << 40 };

/* Header out, then writable buffers of the given lengths, then status. */
static void br_build(uint32_t type, uint64_t sector, const uint64_t *lens,
		     unsigned int n)
{
	uint32_t t = htole32(type);
	uint64_t s = htole64(sector);
	struct virtq_chain *c = &br_chain;

	memset(c, 0, sizeof(*c));
	memcpy(br_hdr, &t, 4);
	memcpy(br_hdr + 8, &s, 8);
	c->iov[0] = (struct iovec){ br_hdr, 16 };
	c->nr_out = 1;
	c->out_len = 16;
	for (unsigned int i = 0; i < n; i++) {
		/* Never dereferenced: any distinct non-null address. */
		c->iov[1 + i] =
		    (struct iovec){ (void *)(uintptr_t)(0x1000 + (i << 12)),
				    lens[i] };
		c->in_len += lens[i];
	}
	c->iov[1 + n] = (struct iovec){ &br_status, 1 };
	c->nr_in = n + 1;
	c->in_len += 1;
}

Test(blk_request, read_within_limits)
{
	const uint64_t lens[] = { 4096, 512 };

	br_build(VIRTIO_BLK_T_IN, 8, lens, 2);
	cr_assert(blk_request_parse(&br_chain, &br_disk, &br_req));
	cr_assert_eq(br_req.op, BLK_OP_READ);
	cr_assert_eq(br_req.len, 4608);
	cr_assert_eq(br_req.niov, 2);
	cr_assert_eq(br_req.sector, 8);
}

Test(blk_request, segment_over_size_max_is_refused)
{
	const uint64_t lens[] = { BLK_SIZE_MAX + 512ULL };

	br_build(VIRTIO_BLK_T_IN, 0, lens, 1);
	cr_assert(blk_request_parse(&br_chain, &br_disk, &br_req));
	cr_assert_eq(br_req.op, BLK_OP_NONE);
	cr_assert_eq(br_req.status, VIRTIO_BLK_S_IOERR);
}

Test(blk_request, four_gib_request_is_refused)
{
	uint64_t lens[4];

	for (unsigned int i = 0; i < 4; i++)
		lens[i] = (1ULL << 30) - 512; /* what a chain may carry */
	br_build(VIRTIO_BLK_T_IN, 0, lens, 4);
	cr_assert(blk_request_parse(&br_chain, &br_disk, &br_req));
	cr_assert_eq(br_req.op, BLK_OP_NONE);
	cr_assert_eq(br_req.status, VIRTIO_BLK_S_IOERR);
}

Test(blk_request, seg_max_segments_and_no_more)
{
	static uint64_t lens[BLK_SEG_MAX + 1];

	for (unsigned int i = 0; i <= BLK_SEG_MAX; i++)
		lens[i] = 512;
	br_build(VIRTIO_BLK_T_IN, 0, lens, BLK_SEG_MAX);
	cr_assert(blk_request_parse(&br_chain, &br_disk, &br_req));
	cr_assert_eq(br_req.op, BLK_OP_READ);
	cr_assert_eq(br_req.niov, BLK_SEG_MAX);
	br_build(VIRTIO_BLK_T_IN, 0, lens, BLK_SEG_MAX + 1);
	cr_assert(blk_request_parse(&br_chain, &br_disk, &br_req));
	cr_assert_eq(br_req.op, BLK_OP_NONE);
	cr_assert_eq(br_req.status, VIRTIO_BLK_S_IOERR);
}

Test(blk_request, no_status_byte_is_broken)
{
	br_build(VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	br_chain.nr_in = 0;
	br_chain.in_len = 0;
	cr_assert_not(blk_request_parse(&br_chain, &br_disk, &br_req));
}
