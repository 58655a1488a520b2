/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_VSOCK_PACKET_H
#define VIREO_DEVICES_VIRTIO_VSOCK_PACKET_H

/*
 * virtio-vsock packets (virtio 1.2, 5.10.6) as pure functions, apart from
 * acting on them (devices/virtio/vsock.c) and fuzzable (tests/fuzz/
 * fuzz_vsock.c): the guest's TX header checked and classified, the
 * device's RX header encoded, credit arithmetic that survives whatever
 * buf_alloc/fwd_cnt the guest claims, and the host side's
 * "CONNECT <port>\n" line.
 */

#include <linux/virtio_vsock.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSOCK_HOST_CID 2 /* VMADDR_CID_HOST */
#define VSOCK_HDR_LEN ((uint32_t)sizeof(struct virtio_vsock_hdr))
/* Largest payload one packet may carry (Linux sends at most 64 KiB). */
#define VSOCK_MAX_PAYLOAD (64u << 10)

/* A header in host byte order. */
struct vsock_pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

/* What the device does with a packet from the guest's TX queue. */
enum vsock_verdict {
	VSOCK_PKT_OK, /* act on it */
	/* Answer with RST (unless it is a RST): a bad type, op or address. */
	VSOCK_PKT_RESET,
	/* Drop silently: no header, a forged source, or len past the chain. */
	VSOCK_PKT_DROP,
};

/*
 * Classifies one TX packet: hdr is the header as read from the chain
 * (hdr_len bytes of it were there), payload_avail the readable bytes that
 * follow it. guest_cid is the device's configured CID.
 */
enum vsock_verdict vsock_pkt_parse(const void *hdr, size_t hdr_len,
				   uint64_t payload_avail, uint64_t guest_cid,
				   struct vsock_pkt *p);

/* The wire (little-endian) form of p. */
void vsock_pkt_encode(const struct vsock_pkt *p, struct virtio_vsock_hdr *out);

/*
 * Bytes the peer can still take: buf_alloc - (sent - fwd_cnt), 0 when the
 * peer's figures claim more in flight than it has room for (a hostile or
 * confused peer never makes us send more than it advertised).
 */
uint32_t vsock_credit(uint32_t buf_alloc, uint32_t fwd_cnt, uint32_t sent);

/* Longest "CONNECT <port>\n" line the host side may send. */
#define VSOCK_CONNECT_LINE_MAX 32

/*
 * Parses the start of buf[0..len) as "CONNECT <port>\n" (decimal port,
 * 32-bit). Returns the line's length with *port set, 0 when more bytes are
 * needed, -1 when it can never become a valid line.
 */
int vsock_parse_connect(const char *buf, size_t len, uint32_t *port);

#endif
