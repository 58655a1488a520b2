// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the virtio-blk request parser: the input is a
 * descriptor chain (as the virtqueue hands it over) and the disk.
 *
 *   [0]     number of buffers (0..255)
 *   [1]     disk capacity: 1 << (b & 31) sectors
 *   [2]     bit 0 read-only, bit 1 has a serial
 *   [3..]   per buffer: le32 length, one byte (bit 0 device-writable);
 *           readable buffers are moved before writable ones, as the
 *           virtqueue guarantees
 *   rest    the readable bytes (header, ranges...)
 *
 * Every readable buffer is backed by min(length, 512) real bytes: the
 * parser never reads past the header and 16 ranges (272 bytes), so ASan
 * flags any read beyond that. Writable buffers are never dereferenced by
 * parser (no I/O), so they all point at one dummy byte.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/blk_request.h"

#define FZ_BACKING 512u

static struct virtq_chain fz_chain;
static struct blk_request fz_req;
static uint8_t fz_dummy;

static void fz_check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blk_geometry g;
	unsigned int nr, i, k;
	size_t pos = 3;
	uint64_t sum = 0;
	struct virtq_chain *c = &fz_chain;
	void *blocks[256];
	unsigned int nr_blocks = 0;

	if (size < 3)
		return 0;
	nr = data[0];
	g = (struct blk_geometry){
		.capacity = 1ULL << (data[1] & 31),
		.read_only = data[2] & 1,
		.has_serial = data[2] & 2,
	};
	memset(c, 0, sizeof(*c));
	c->head = 0;
	/* Two passes: readable buffers first, then writable ones. */
	for (k = 0; k < 2; k++) {
		size_t p = pos;

		for (i = 0; i < nr && p + 5 <= size; i++, p += 5) {
			uint32_t len;
			bool w = data[p + 4] & 1;
			struct iovec *iov;

			memcpy(&len, data + p, 4);
			len = le32toh(len);
			if (w != (k == 1) || len == 0)
				continue;
			iov = &c->iov[c->nr_out + c->nr_in];
			iov->iov_len = len;
			if (!w) {
				size_t n = len < FZ_BACKING ? len : FZ_BACKING;
				uint8_t *b = calloc(1, n);

				fz_check(b != NULL);
				blocks[nr_blocks++] = b;
				iov->iov_base = b;
				c->nr_out++;
				c->out_len += len;
			} else {
				iov->iov_base = &fz_dummy;
				c->nr_in++;
				c->in_len += len;
			}
		}
		if (k == 0)
			pos = p;
	}
	/* The rest of the input is what the readable side holds. */
	if (pos < size) {
		for (i = 0; i < c->nr_out && pos < size; i++) {
			size_t n = c->iov[i].iov_len < FZ_BACKING
				       ? c->iov[i].iov_len
				       : FZ_BACKING;

			if (n > size - pos)
				n = size - pos;
			memcpy(c->iov[i].iov_base, data + pos, n);
			pos += n;
		}
	}

	if (!blk_request_parse(c, &g, &fz_req)) {
		fz_check(c->nr_in == 0);
		goto out;
	}
	fz_check(c->nr_in > 0);
	fz_check((fz_req.op == BLK_OP_NONE) ==
		 (fz_req.status != VIRTIO_BLK_S_OK));
	switch (fz_req.op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		fz_check(fz_req.op == BLK_OP_READ || !g.read_only);
		fz_check(fz_req.len > 0 && fz_req.len % BLK_SECTOR == 0);
		fz_check(fz_req.sector <= g.capacity &&
			 fz_req.len / BLK_SECTOR <= g.capacity - fz_req.sector);
		fz_check(fz_req.niov >= 1 && fz_req.niov <= BLK_SEG_MAX);
		for (i = 0; i < fz_req.niov; i++) {
			fz_check(fz_req.iov[i].iov_len > 0 &&
				 fz_req.iov[i].iov_len <= BLK_SIZE_MAX);
			sum += fz_req.iov[i].iov_len;
		}
		fz_check(sum == fz_req.len);
		/* The status byte is not part of a read's data. */
		if (fz_req.op == BLK_OP_READ)
			fz_check(fz_req.len == c->in_len - 1);
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		fz_check(!g.read_only);
		fz_check(fz_req.nr_ranges >= 1 &&
			 fz_req.nr_ranges <= BLK_RANGE_SEG_MAX);
		for (i = 0; i < fz_req.nr_ranges; i++) {
			const struct virtio_blk_discard_write_zeroes *r =
			    &fz_req.ranges[i];

			fz_check(r->sector <= g.capacity &&
				 r->num_sectors <= g.capacity - r->sector);
		}
		break;
	case BLK_OP_GET_ID:
		fz_check(g.has_serial && fz_req.len >= VIRTIO_BLK_ID_BYTES);
		break;
	case BLK_OP_FLUSH:
	case BLK_OP_NONE:
		break;
	}
out:
	for (i = 0; i < nr_blocks; i++)
		free(blocks[i]);
	return 0;
}
