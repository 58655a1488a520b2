// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-net's guest-facing decisions
 * (devices/virtio/net_parse.h): control-queue commands and the split of a
 * received frame over merged RX buffers.
 *
 *   [0..7]  negotiated features (le64)
 *   [8]     number of readable buffers the command spans (1..8)
 *   [9]     writable bytes for the ack (0..3)
 *   [10..11] frame length for the RX split (le16, times [12] + 1)
 *   [12]    frame length multiplier
 *   [13]    number of RX buffers (0..64), then one le16 capacity each
 *   rest    the command bytes, cut into the readable buffers
 *
 * Every readable buffer is its own exactly-sized heap block, so ASan flags
 * any read past what the guest described.
 */
#include <linux/virtio_net.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/net_parse.h"

#define FZ_HDR 14
#define FZ_MAX_BUFS 64

static struct virtq_chain fz_chain;
static uint8_t fz_ack[3];

static void fz_check(bool ok)
{
	if (!ok)
		abort();
}

static uint16_t fz_le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq_chain *c = &fz_chain;
	struct net_ctrl_effect fx;
	uint32_t cap[FZ_MAX_BUFS];
	struct virtq_used_elem used[FZ_MAX_BUFS];
	void *blocks[8];
	uint64_t features = 0, flen, total = 0, sum = 0;
	unsigned int nbufs, nrx, i, n;
	size_t pos = FZ_HDR, cmd_len, each;
	uint8_t ack;

	if (size < FZ_HDR)
		return 0;
	memcpy(&features, data, 8);
	nbufs = 1 + data[8] % 8;
	nrx = data[13] % (FZ_MAX_BUFS + 1);
	for (i = 0; i < nrx && pos + 2 <= size; i++, pos += 2) {
		cap[i] = fz_le16(data + pos);
		total += cap[i];
	}
	nrx = i;

	/* RX split: all but the last buffer full, lengths add up. */
	flen = (uint64_t)fz_le16(data + 10) * (data[12] + 1u);
	n = net_rx_split(cap, nrx, flen, used);
	if (flen == 0 || flen > total) {
		fz_check(n == 0);
	} else {
		fz_check(n >= 1 && n <= nrx);
		for (i = 0; i < n; i++) {
			fz_check(used[i].len <= cap[i]);
			fz_check(i + 1 == n || used[i].len == cap[i]);
			sum += used[i].len;
		}
		fz_check(sum == flen);
	}

	/* The control command: the rest, cut into nbufs readable blocks. */
	memset(c, 0, sizeof(*c));
	cmd_len = pos < size ? size - pos : 0;
	each = cmd_len / nbufs + 1;
	for (i = 0; i < nbufs && cmd_len; i++) {
		size_t len = cmd_len < each ? cmd_len : each;
		uint8_t *b = malloc(len);

		fz_check(b != NULL);
		memcpy(b, data + pos, len);
		blocks[c->nr_out] = b;
		c->iov[c->nr_out].iov_base = b;
		c->iov[c->nr_out].iov_len = len;
		c->nr_out++;
		c->out_len += len;
		pos += len;
		cmd_len -= len;
	}
	if (data[9] % 4) {
		c->iov[c->nr_out].iov_base = fz_ack;
		c->iov[c->nr_out].iov_len = data[9] % 4;
		c->nr_in = 1;
		c->in_len = data[9] % 4;
	}
	ack = net_ctrl_parse(c, features, &fx);
	fz_check(ack == VIRTIO_NET_OK || ack == VIRTIO_NET_ERR);
	if (c->in_len == 0 || c->out_len < 2)
		fz_check(ack == VIRTIO_NET_ERR);
	if (ack != VIRTIO_NET_OK)
		fz_check(!fx.set_mac && !fx.ack_announce);
	if (fx.set_mac)
		fz_check(features & (1ull << VIRTIO_NET_F_CTRL_MAC_ADDR));
	for (i = 0; i < c->nr_out; i++)
		free(blocks[i]);
	return 0;
}
