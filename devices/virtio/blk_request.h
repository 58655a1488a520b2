/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_BLK_REQUEST_H
#define VIREO_DEVICES_VIRTIO_BLK_REQUEST_H

/*
 * virtio-blk request parsing (virtio 1.2, 5.2.6): a validated chain and the
 * disk's geometry in, a request to run or a status to return out. Pure: no
 * I/O, no device state, so every rule is in one place and fuzzable
 * (tests/fuzz/fuzz_blk_req.c). Out-of-limit requests (a data segment over
 * size_max, more than seg_max segments, past the end of the disk) are
 * refused here, before any host I/O.
 */

#include <linux/virtio_blk.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/virtqueue.h"
#include "util/trace.h"

#define BLK_SECTOR 512ULL
/* Data segments per request (seg_max) and bytes per segment (size_max). */
#define BLK_SEG_MAX 126
#define BLK_SIZE_MAX (1u << 20)
/* DISCARD and WRITE_ZEROES: ranges per request and sectors per range. */
#define BLK_RANGE_SEG_MAX 16
#define BLK_RANGE_SECTORS_MAX (UINT32_MAX / 512 & ~7u)
#define VIRTIO_BLK_ID_BYTES 20

struct blk_geometry {
	uint64_t capacity; /* sectors */
	bool read_only;
	bool has_serial; /* GET_ID supported */
};

enum blk_op {
	BLK_OP_NONE, /* nothing to run: complete with status */
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH,
	BLK_OP_GET_ID,
	BLK_OP_DISCARD,
	BLK_OP_WRITE_ZEROES,
};

struct blk_request {
	enum blk_op op;
	uint8_t status; /* BLK_OP_NONE: the status to return */
	uint32_t type; /* the header's type, UINT32_MAX without a header */
	uint64_t sector;
	uint32_t ioprio; /* the header's, for tracing only */
	uint64_t len; /* READ/WRITE: data bytes; GET_ID: writable bytes */
	/* READ/WRITE: the data part of the chain, at most BLK_SEG_MAX. */
	unsigned int niov;
	struct iovec iov[BLK_SEG_MAX];
	/* DISCARD/WRITE_ZEROES, host-endian, checked against the disk. */
	unsigned int nr_ranges;
	struct virtio_blk_discard_write_zeroes ranges[BLK_RANGE_SEG_MAX];
};

/*
 * Returns false when the chain has no writable byte for the status (the
 * device cannot even fail it: NEEDS_RESET); otherwise fills r.
 */
bool blk_request_parse(const struct virtq_chain *c,
		       const struct blk_geometry *g, struct blk_request *r);

/* A parsed request's fields for --trace: type, sector, bytes, ioprio. */
void blk_request_trace(struct trace_rec *rec, const struct blk_request *r);

/* Cuts a READ to its first want bytes (short-read faults); false if not
 * shorter. */
bool blk_request_shorten(struct blk_request *r, uint64_t want);

#endif
