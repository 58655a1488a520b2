/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_NET_PARSE_H
#define VIREO_DEVICES_VIRTIO_NET_PARSE_H

/*
 * The guest-facing decisions of virtio-net as pure functions, apart from
 * acting on them (devices/virtio/net.c) and fuzzable (tests/fuzz/
 * fuzz_net.c): a control-queue command to an ack and its effect, and how a
 * received frame spreads over the merged buffers the guest posted.
 */

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtqueue.h"
#include "util/trace.h"

struct net_ctrl_effect {
	bool set_mac; /* VIRTIO_NET_CTRL_MAC_ADDR_SET */
	uint8_t mac[6];
	bool ack_announce; /* clear VIRTIO_NET_S_ANNOUNCE */
};

/*
 * One control command: class, cmd and data readable, the ack the last
 * writable byte. Returns VIRTIO_NET_OK or VIRTIO_NET_ERR; fx says what to
 * apply when OK. features: the negotiated ones.
 */
uint8_t net_ctrl_parse(const struct virtq_chain *c, uint64_t features,
		       struct net_ctrl_effect *fx);

/*
 * A frame of len bytes read across buffers of cap[0..nr) bytes: fills
 * used[i].len for the buffers it occupies (all full but the last) and
 * returns how many; 0 when it does not fit (or len is 0).
 */
unsigned int net_rx_split(const uint32_t *cap, unsigned int nr, uint64_t len,
			  struct virtq_used_elem *used);

/*
 * --trace: a frame's virtio_net_hdr fields, frame length and ethertype,
 * from the iovecs holding header and frame (len bytes in all).
 */
void net_frame_trace(struct trace_rec *rec, const struct iovec *iov,
		     unsigned int niov, uint64_t len);

#endif
