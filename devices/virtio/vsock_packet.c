// SPDX-License-Identifier: MIT
#include "devices/virtio/vsock_packet.h"

#include <endian.h>
#include <string.h>

enum vsock_verdict vsock_pkt_parse(const void *hdr, size_t hdr_len,
				   uint64_t payload_avail, uint64_t guest_cid,
				   struct vsock_pkt *p)
{
	struct virtio_vsock_hdr h;

	memset(p, 0, sizeof(*p));
	if (hdr_len < sizeof(h))
		return VSOCK_PKT_DROP;
	memcpy(&h, hdr, sizeof(h));
	p->src_cid = le64toh(h.src_cid);
	p->dst_cid = le64toh(h.dst_cid);
	p->src_port = le32toh(h.src_port);
	p->dst_port = le32toh(h.dst_port);
	p->len = le32toh(h.len);
	p->type = le16toh(h.type);
	p->op = le16toh(h.op);
	p->flags = le32toh(h.flags);
	p->buf_alloc = le32toh(h.buf_alloc);
	p->fwd_cnt = le32toh(h.fwd_cnt);
	/* A guest speaking for another CID could tear down others' streams. */
	if (p->src_cid != guest_cid)
		return VSOCK_PKT_DROP;
	if (p->len > payload_avail || p->len > VSOCK_MAX_PAYLOAD)
		return VSOCK_PKT_DROP;
	if (p->op == VIRTIO_VSOCK_OP_RST)
		return p->type == VIRTIO_VSOCK_TYPE_STREAM ? VSOCK_PKT_OK
							   : VSOCK_PKT_DROP;
	if (p->dst_cid != VSOCK_HOST_CID || p->type != VIRTIO_VSOCK_TYPE_STREAM)
		return VSOCK_PKT_RESET;
	if (p->op < VIRTIO_VSOCK_OP_REQUEST ||
	    p->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_RESET;
	/* Only RW carries data; anything else claiming some is malformed. */
	if (p->len && p->op != VIRTIO_VSOCK_OP_RW)
		return VSOCK_PKT_RESET;
	return VSOCK_PKT_OK;
}

void vsock_pkt_encode(const struct vsock_pkt *p, struct virtio_vsock_hdr *out)
{
	struct virtio_vsock_hdr h = {
		.src_cid = htole64(p->src_cid),
		.dst_cid = htole64(p->dst_cid),
		.src_port = htole32(p->src_port),
		.dst_port = htole32(p->dst_port),
		.len = htole32(p->len),
		.type = htole16(p->type),
		.op = htole16(p->op),
		.flags = htole32(p->flags),
		.buf_alloc = htole32(p->buf_alloc),
		.fwd_cnt = htole32(p->fwd_cnt),
	};

	memcpy(out, &h, sizeof(h));
}

uint32_t vsock_credit(uint32_t buf_alloc, uint32_t fwd_cnt, uint32_t sent)
{
	uint32_t in_flight = sent - fwd_cnt; /* modulo 2^32, as the spec */

	return in_flight >= buf_alloc ? 0 : buf_alloc - in_flight;
}

int vsock_parse_connect(const char *buf, size_t len, uint32_t *port)
{
	static const char verb[] = "CONNECT ";
	const size_t vlen = sizeof(verb) - 1;
	uint64_t v = 0;
	size_t i, digits = 0;

	for (i = 0; i < len && i < vlen; i++)
		if (buf[i] != verb[i])
			return -1;
	if (len <= vlen)
		return 0;
	for (i = vlen; i < len && i < VSOCK_CONNECT_LINE_MAX; i++) {
		char c = buf[i];

		if (c == '\n') {
			if (!digits)
				return -1;
			*port = (uint32_t)v;
			return (int)(i + 1);
		}
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (uint64_t)(c - '0');
		if (v > UINT32_MAX || ++digits > 10)
			return -1;
	}
	return i >= VSOCK_CONNECT_LINE_MAX ? -1 : 0;
}
