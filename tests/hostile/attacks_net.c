// SPDX-License-Identifier: MIT
/*
 * virtio-net abuse (5.1.6): transmit chains that are too short, too long,
 * zero-length or device-writable; receive buffers too small or read-only
 * while the host injects frames into the tap; control-queue garbage with and
 * without VIRTIO_NET_F_CTRL_VQ. Any defined outcome passes (completed,
 * NEEDS_RESET or ignored); a read-only buffer must stay untouched, an ack
 * byte the device writes must be OK or ERR, and the runner then requires
 * the device to send and receive again after a reset.
 */
#include <linux/virtio_net.h>

#include "scenario.h"

#define NET_MS 300
/* Injected frames arrive every ~10 ms: wait a few of them. */
#define RX_MS 200

#define F(b) (1ull << (b))

/* Lays out a one-descriptor-per-buf chain in queue q and kicks it. */
static const char *net_send(struct vdev *d, unsigned int q, const struct buf *b,
			    unsigned int n, u32 *len)
{
	vq_submit(d, &d->vq[q], b, n);
	return outcome(d, &d->vq[q], NET_MS, len);
}

/* A broadcast ARP-sized frame after a zeroed header, at a. */
static u32 net_frame(struct vdev *d, u64 a, u32 frame_len)
{
	u32 h = net_hdr_len(d);
	u8 *p = (u8 *)a;

	memset(p, 0, h + frame_len);
	memset(p + h, 0xff, 6);
	p[h + 12] = 0x88; /* local experimental ethertype */
	p[h + 13] = 0xb5;
	return h + frame_len;
}

/* Sends the chain and reports what became of it. */
static enum result tx_result(struct vdev *d, const struct buf *b,
			     unsigned int n, char *facts, unsigned int size)
{
	u32 len;
	const char *o = net_send(d, 1, b, n, &len);

	return factf(facts, size, R_PASS, "%s len=%u", o, len);
}

static enum result net_tx_short_header(struct vdev *d, char *facts,
				       unsigned int size)
{
	struct buf b = { bufarea(d), 4, false };

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	memset((void *)b.addr, 0, 16);
	return tx_result(d, &b, 1, facts, size);
}

static enum result net_tx_header_only(struct vdev *d, char *facts,
				      unsigned int size)
{
	struct buf b = { bufarea(d), 0, false };

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	b.len = net_hdr_len(d);
	memset((void *)b.addr, 0, 16);
	return tx_result(d, &b, 1, facts, size);
}

/* A frame above 64 KiB + header: what no tap (or wire) takes. */
static enum result net_tx_oversize(struct vdev *d, char *facts,
				   unsigned int size)
{
	struct buf b[2] = { { bufarea(d), 0, false },
			    { BIG_BASE, 0x10000 + 64, false } };
	u32 len, len2;
	const char *o, *o2;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	b[0].len = net_frame(d, bufarea(d), 0);
	memset((void *)BIG_BASE, 0xff, 6);
	o = net_send(d, 1, b, 2, &len);
	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up 2");
	/* And one descriptor of 1 MiB. */
	b[1].len = 1u << 20;
	o2 = net_send(d, 1, b, 2, &len2);
	return factf(facts, size, R_PASS, "%s len=%u, 1 MiB: %s len=%u", o, len,
		     o2, len2);
}

static enum result net_tx_zero_len_descs(struct vdev *d, char *facts,
					 unsigned int size)
{
	u64 a = bufarea(d);
	struct buf b[5] = { { a + 0x800, 0, false },
			    { a, 0, false },
			    { a + 0x900, 0, false },
			    { a + 0x100, 0, false },
			    { a + 0xa00, 0, false } };
	u32 h = net_hdr_len(d);

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	net_frame(d, a, 60);
	/* header, frame in two parts, zero-length descriptors between. */
	b[1].len = h;
	b[3].addr = a + h;
	b[3].len = 60;
	return tx_result(d, b, 5, facts, size);
}

/* The header in a device-writable descriptor of a transmit chain. */
static enum result net_tx_hdr_writable(struct vdev *d, char *facts,
				       unsigned int size)
{
	u64 a = bufarea(d);
	struct buf b[2] = { { a, 0, true }, { a + 0x100, 60, false } };
	u32 h = net_hdr_len(d), len;
	const char *o;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	net_frame(d, a + 0x100 - h, 60);
	memset((void *)a, 0x5a, h);
	b[0].len = h;
	o = net_send(d, 1, b, 2, &len);
	return factf(facts, size, R_PASS, "%s len=%u hdr=0x%x", o, len, mr8(a));
}

/* Waits for an injected frame into what the guest posted. */
static const char *rx_outcome(struct vdev *d, u32 *len)
{
	return outcome(d, &d->vq[0], RX_MS, len);
}

static enum result rx_tiny(struct vdev *d, char *facts, unsigned int size,
			   u64 want, u32 buf_len)
{
	u64 a = bufarea(d);
	struct buf b = { a, buf_len, true };
	u32 len;
	const char *o;

	if (!v_init(d, want, 2))
		return factf(facts, size, R_FAIL, "bring-up");
	memset((void *)a, 0x5a, 4096);
	vq_submit(d, &d->vq[0], &b, 1);
	o = rx_outcome(d, &len);
	if (len > buf_len)
		return factf(facts, size, R_FAIL, "%s len=%u > %u", o, len,
			     buf_len);
	if (mr8(a + buf_len) != 0x5a)
		return factf(facts, size, R_FAIL, "wrote past the buffer");
	return factf(facts, size, R_PASS, "%s len=%u", o, len);
}

/* One buffer smaller than the header, with MRG_RXBUF. */
static enum result net_rx_tiny_mrg(struct vdev *d, char *facts,
				   unsigned int size)
{
	return rx_tiny(d, facts, size, F(VIRTIO_NET_F_MRG_RXBUF), 4);
}

/*
 * One header-and-a-bit buffer without MRG_RXBUF: no frame fits. A legacy
 * driver without MRG_RXBUF is refused at DRIVER_OK, which passes too.
 */
static enum result net_rx_tiny(struct vdev *d, char *facts, unsigned int size)
{
	if (vlegacy(d) && !v_init(d, 0, 2))
		return factf(facts, size, R_PASS,
			     "legacy without MRG_RXBUF refused");
	return rx_tiny(d, facts, size, 0, 20);
}

/* Too few buffers: with MRG_RXBUF, one of 64 bytes for ~1000-byte frames. */
static enum result net_rx_too_few_mrg(struct vdev *d, char *facts,
				      unsigned int size)
{
	return rx_tiny(d, facts, size, F(VIRTIO_NET_F_MRG_RXBUF), 64);
}

static enum result net_rx_readonly(struct vdev *d, char *facts,
				   unsigned int size)
{
	u64 a = bufarea(d);
	struct buf b = { a, 2048, false };
	u32 len, i;
	const char *o;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	memset((void *)a, 0x5a, 2048);
	vq_submit(d, &d->vq[0], &b, 1);
	o = rx_outcome(d, &len);
	for (i = 0; i < 2048; i++)
		if (mr8(a + i) != 0x5a)
			return factf(facts, size, R_FAIL,
				     "%s: read-only buffer written at %u", o,
				     i);
	return factf(facts, size, R_PASS, "%s len=%u untouched", o, len);
}

/* One control command: class, cmd, data; ack in a[0x200]. */
static const char *ctrl_cmd(struct vdev *d, u8 cls, u8 cmd, u32 data_len,
			    bool ack_writable, u8 *ack)
{
	u64 a = bufarea(d);
	struct buf b[3] = { { a, 2, false },
			    { a + 0x10, data_len, false },
			    { a + 0x200, 1, ack_writable } };
	u32 len;
	const char *o;

	mw8(a, cls);
	mw8(a + 1, cmd);
	memset((void *)(a + 0x10), 0xa5, 0x100);
	mw8(a + 0x200, 0xee);
	if (data_len)
		vq_submit(d, &d->vq[2], b, 3);
	else {
		b[1] = b[2];
		vq_submit(d, &d->vq[2], b, 2);
	}
	o = outcome(d, &d->vq[2], NET_MS, &len);
	*ack = mr8(a + 0x200);
	return o;
}

static enum result net_ctrl_garbage(struct vdev *d, char *facts,
				    unsigned int size)
{
	static const u8 cmds[][3] = {
		/* class, command, data length */
		{ 0xff, 0xff, 1 },
		{ VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0 },
		{ VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 200 },
		{ VIRTIO_NET_CTRL_RX, 0x7f, 1 },
		{ VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, 3 },
		{ VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, 200 },
		{ VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, 2 },
		{ VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, 1 },
		{ VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, 9 },
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2 },
	};
	u64 want = base_features(d) | F(VIRTIO_NET_F_CTRL_VQ) |
		   F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VLAN) |
		   F(VIRTIO_NET_F_CTRL_MAC_ADDR) |
		   F(VIRTIO_NET_F_GUEST_ANNOUNCE);
	unsigned int i, ok = 0, err = 0;
	u8 ack;
	const char *o;

	if (!v_init(d, want, 3))
		return factf(facts, size, R_FAIL, "bring-up");
	if (!(d->features & F(VIRTIO_NET_F_CTRL_VQ)))
		return factf(facts, size, R_SKIP, "no ctrl vq offered");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		o = ctrl_cmd(d, cmds[i][0], cmds[i][1], cmds[i][2], true, &ack);
		if (NEEDS_RESET(d) && !v_init(d, want, 3))
			return factf(facts, size, R_FAIL, "reinit %u", i);
		if (o[0] != 'c')
			continue;
		if (ack != VIRTIO_NET_OK && ack != VIRTIO_NET_ERR)
			return factf(facts, size, R_FAIL,
				     "command %u: ack 0x%x", i, ack);
		ok += ack == VIRTIO_NET_OK;
		err += ack == VIRTIO_NET_ERR;
	}
	/* An ack the device may not write. */
	o = ctrl_cmd(d, 0xff, 0xff, 1, false, &ack);
	if (ack != 0xee)
		return factf(facts, size, R_FAIL, "read-only ack written: 0x%x",
			     ack);
	return factf(facts, size, R_PASS, "ok=%u err=%u, read-only ack: %s", ok,
		     err, o);
}

/* Kicks on a control queue the driver did not negotiate. */
static enum result net_ctrl_unnegotiated(struct vdev *d, char *facts,
					 unsigned int size)
{
	u8 ack;
	const char *o;

	if (!v_init(d, base_features(d), 2))
		return factf(facts, size, R_FAIL, "bring-up");
	/* Queue 2 exists only with CTRL_VQ: set it up anyway. */
	d->nq = 3;
	if (!v_setup_queue(d, 2, 0)) {
		d->nq = 2;
		v_notify(d, 2);
		return factf(facts, size, R_PASS, "queue 2 refused");
	}
	o = ctrl_cmd(d, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 1, true,
		     &ack);
	d->nq = 2;
	return factf(facts, size, R_PASS, "%s ack=0x%x", o, ack);
}

const struct scenario net_scenarios[] = {
	{ "net_tx_short_header", ON_NET, net_tx_short_header },
	{ "net_tx_header_only", ON_NET, net_tx_header_only },
	{ "net_tx_oversize", ON_NET, net_tx_oversize },
	{ "net_tx_zero_len_descs", ON_NET, net_tx_zero_len_descs },
	{ "net_tx_hdr_writable", ON_NET, net_tx_hdr_writable },
	{ "net_rx_tiny_mrg", ON_NET, net_rx_tiny_mrg },
	{ "net_rx_tiny", ON_NET, net_rx_tiny },
	{ "net_rx_too_few_mrg", ON_NET, net_rx_too_few_mrg },
	{ "net_rx_readonly", ON_NET, net_rx_readonly },
	{ "net_ctrl_garbage", ON_NET, net_ctrl_garbage },
	{ "net_ctrl_unnegotiated", ON_NET, net_ctrl_unnegotiated },
};
const unsigned int nr_net_scenarios =
    sizeof(net_scenarios) / sizeof(net_scenarios[0]);
