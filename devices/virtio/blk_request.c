// SPDX-License-Identifier: MIT
#include "devices/virtio/blk_request.h"

#include <endian.h>
#include <string.h>

static bool blk_range_ok(const struct blk_geometry *g, uint64_t sector,
			 uint64_t bytes)
{
	return sector <= g->capacity &&
	       bytes / BLK_SECTOR <= g->capacity - sector &&
	       bytes % BLK_SECTOR == 0;
}

static uint8_t blk_parse_rw(const struct virtq_chain *c,
			    const struct blk_geometry *g, struct blk_request *r)
{
	bool in = r->type == VIRTIO_BLK_T_IN;
	uint64_t hdr = sizeof(struct virtio_blk_outhdr);
	uint64_t off = in ? 0 : hdr;
	uint64_t len = in ? c->in_len - 1 : c->out_len - hdr;
	int n;
	unsigned int i;

	if (!in && g->read_only)
		return VIRTIO_BLK_S_IOERR;
	/* A read carries only the header out; a write only status in. */
	if ((in && c->out_len != hdr) || (!in && c->in_len != 1))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0 || !blk_range_ok(g, r->sector, len))
		return VIRTIO_BLK_S_IOERR;
	/* seg_max and size_max, as advertised (5.2.4). */
	n = virtq_chain_slice(c, in, off, len, r->iov, BLK_SEG_MAX);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < (unsigned int)n; i++)
		if (r->iov[i].iov_len > BLK_SIZE_MAX)
			return VIRTIO_BLK_S_IOERR;
	r->niov = (unsigned int)n;
	r->len = len;
	r->op = in ? BLK_OP_READ : BLK_OP_WRITE;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_parse_ranges(const struct virtq_chain *c,
				const struct blk_geometry *g,
				struct blk_request *r)
{
	uint64_t hdr = sizeof(struct virtio_blk_outhdr);
	uint64_t payload = c->out_len - hdr;
	bool zeroes = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	unsigned int i;

	if (g->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (payload == 0 || payload % sizeof(r->ranges[0]) ||
	    payload / sizeof(r->ranges[0]) > BLK_RANGE_SEG_MAX)
		return VIRTIO_BLK_S_IOERR;
	r->nr_ranges = (unsigned int)(payload / sizeof(r->ranges[0]));
	virtq_chain_read(c, hdr, r->ranges, payload);
	for (i = 0; i < r->nr_ranges; i++) {
		struct virtio_blk_discard_write_zeroes *rg = &r->ranges[i];
		uint32_t allowed =
		    zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

		rg->sector = le64toh(rg->sector);
		rg->num_sectors = le32toh(rg->num_sectors);
		rg->flags = le32toh(rg->flags);
		if (rg->flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (rg->num_sectors > BLK_RANGE_SECTORS_MAX ||
		    !blk_range_ok(g, rg->sector,
				  (uint64_t)rg->num_sectors * BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
	}
	r->op = zeroes ? BLK_OP_WRITE_ZEROES : BLK_OP_DISCARD;
	return VIRTIO_BLK_S_OK;
}

bool blk_request_parse(const struct virtq_chain *c,
		       const struct blk_geometry *g, struct blk_request *r)
{
	struct virtio_blk_outhdr h;

	r->op = BLK_OP_NONE;
	r->status = VIRTIO_BLK_S_IOERR;
	r->type = UINT32_MAX;
	r->sector = 0;
	r->ioprio = 0;
	r->len = 0;
	r->niov = 0;
	r->nr_ranges = 0;
	if (c->nr_in == 0)
		return false;
	if (c->out_len < sizeof(h))
		return true;
	virtq_chain_read(c, 0, &h, sizeof(h));
	r->type = le32toh(h.type);
	r->sector = le64toh(h.sector);
	r->ioprio = le32toh(h.ioprio);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		r->status = blk_parse_rw(c, g, r);
		break;
	case VIRTIO_BLK_T_FLUSH:
		r->op = BLK_OP_FLUSH;
		r->status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (!g->has_serial) {
			r->status = VIRTIO_BLK_S_UNSUPP;
		} else if (c->in_len - 1 < VIRTIO_BLK_ID_BYTES) {
			r->status = VIRTIO_BLK_S_IOERR;
		} else {
			r->op = BLK_OP_GET_ID;
			r->len = c->in_len - 1;
			r->status = VIRTIO_BLK_S_OK;
		}
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r->status = blk_parse_ranges(c, g, r);
		break;
	default:
		r->status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (r->status != VIRTIO_BLK_S_OK)
		r->op = BLK_OP_NONE;
	return true;
}

static const char *blk_type_name(uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
		return "read";
	case VIRTIO_BLK_T_OUT:
		return "write";
	case VIRTIO_BLK_T_FLUSH:
		return "flush";
	case VIRTIO_BLK_T_GET_ID:
		return "get_id";
	case VIRTIO_BLK_T_DISCARD:
		return "discard";
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return "write_zeroes";
	case UINT32_MAX:
		return "no_header";
	default:
		return "other";
	}
}

void blk_request_trace(struct trace_rec *rec, const struct blk_request *r)
{
	uint64_t bytes = r->len;
	unsigned int i;

	for (i = 0; i < r->nr_ranges; i++)
		bytes += (uint64_t)r->ranges[i].num_sectors * BLK_SECTOR;
	trace_rec_str(rec, "type", blk_type_name(r->type));
	trace_rec_u64(rec, "type_id", r->type);
	trace_rec_u64(rec, "sector", r->sector);
	trace_rec_u64(rec, "bytes", bytes);
	trace_rec_u64(rec, "ioprio", r->ioprio);
	if (r->status != VIRTIO_BLK_S_OK)
		trace_rec_u64(rec, "refused", r->status);
}

bool blk_request_shorten(struct blk_request *r, uint64_t want)
{
	uint64_t total = 0;
	unsigned int i;

	if (r->op != BLK_OP_READ || want == 0 || want >= r->len)
		return false;
	for (i = 0; i < r->niov && total < want; i++) {
		if (total + r->iov[i].iov_len > want)
			r->iov[i].iov_len = want - total;
		total += r->iov[i].iov_len;
	}
	r->niov = i;
	r->len = want;
	return true;
}
