// SPDX-License-Identifier: MIT
#include "devices/virtio/net_parse.h"

#include <linux/virtio_net.h>
#include <string.h>

#define F(bit) (1ull << (bit))

static uint32_t le32_at(const struct virtq_chain *c, uint64_t off, bool *ok)
{
	uint8_t b[4];

	if (virtq_chain_read(c, off, b, 4) != 4) {
		*ok = false;
		return 0;
	}
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/* MAC table set: two tables, each le32 entries then 6-byte addresses. */
static bool ctrl_mac_table(const struct virtq_chain *c, uint64_t len)
{
	bool ok = true;
	uint64_t uni = le32_at(c, 2, &ok), multi;

	if (!ok || 4 + 6 * uni + 4 > len)
		return false;
	multi = le32_at(c, 2 + 4 + 6 * uni, &ok);
	return ok && 4 + 6 * uni + 4 + 6 * multi == len;
}

uint8_t net_ctrl_parse(const struct virtq_chain *c, uint64_t f,
		       struct net_ctrl_effect *fx)
{
	uint8_t hdr[2];
	uint64_t len;

	memset(fx, 0, sizeof(*fx));
	if (c->in_len < 1 || virtq_chain_read(c, 0, hdr, 2) != 2)
		return VIRTIO_NET_ERR;
	len = c->out_len - 2;
	switch (hdr[0]) {
	case VIRTIO_NET_CTRL_RX:
		/* The tap hands us everything; the guest's stack filters. */
		return (f & F(VIRTIO_NET_F_CTRL_RX)) &&
			       hdr[1] <= VIRTIO_NET_CTRL_RX_NOBCAST && len == 1
			   ? VIRTIO_NET_OK
			   : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_MAC:
		if (hdr[1] == VIRTIO_NET_CTRL_MAC_TABLE_SET)
			return ctrl_mac_table(c, len) ? VIRTIO_NET_OK
						      : VIRTIO_NET_ERR;
		if (hdr[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET && len == 6 &&
		    (f & F(VIRTIO_NET_F_CTRL_MAC_ADDR)) &&
		    virtq_chain_read(c, 2, fx->mac, 6) == 6) {
			fx->set_mac = true;
			return VIRTIO_NET_OK;
		}
		return VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_VLAN:
		return (f & F(VIRTIO_NET_F_CTRL_VLAN)) &&
			       hdr[1] <= VIRTIO_NET_CTRL_VLAN_DEL && len == 2
			   ? VIRTIO_NET_OK
			   : VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		if (hdr[1] != VIRTIO_NET_CTRL_ANNOUNCE_ACK || len)
			return VIRTIO_NET_ERR;
		fx->ack_announce = true;
		return VIRTIO_NET_OK;
	}
	return VIRTIO_NET_ERR;
}

unsigned int net_rx_split(const uint32_t *cap, unsigned int nr, uint64_t len,
			  struct virtq_used_elem *used)
{
	unsigned int n;

	for (n = 0; len && n < nr; n++) {
		uint32_t take = len < cap[n] ? (uint32_t)len : cap[n];

		used[n].len = take;
		len -= take;
	}
	return len ? 0 : n;
}

void net_frame_trace(struct trace_rec *rec, const struct iovec *iov,
		     unsigned int niov, uint64_t len)
{
	struct {
		struct virtio_net_hdr_v1 h;
		uint8_t eth[14];
	} __attribute__((packed)) f = { 0 };
	size_t got = 0;
	unsigned int i;

	for (i = 0; i < niov && got < sizeof(f); i++) {
		size_t n = iov[i].iov_len < sizeof(f) - got ? iov[i].iov_len
							    : sizeof(f) - got;

		memcpy((uint8_t *)&f + got, iov[i].iov_base, n);
		got += n;
	}
	trace_rec_u64(rec, "hdr_flags", f.h.flags);
	trace_rec_u64(rec, "gso_type", f.h.gso_type);
	trace_rec_u64(rec, "hdr_len", le16toh(f.h.hdr_len));
	trace_rec_u64(rec, "gso_size", le16toh(f.h.gso_size));
	trace_rec_u64(rec, "csum_start", le16toh(f.h.csum_start));
	trace_rec_u64(rec, "csum_offset", le16toh(f.h.csum_offset));
	trace_rec_u64(rec, "num_buffers", le16toh(f.h.num_buffers));
	trace_rec_u64(rec, "bytes", len > sizeof(f.h) ? len - sizeof(f.h) : 0);
	if (got == sizeof(f))
		trace_rec_hex(rec, "ethertype",
			      (uint64_t)(f.eth[12] << 8 | f.eth[13]));
}
