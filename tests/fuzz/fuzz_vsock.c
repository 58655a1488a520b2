// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-vsock's guest- and host-facing parsers
 * (devices/virtio/vsock_packet.h): the TX header verdict, the credit
 * arithmetic over hostile buf_alloc/fwd_cnt, and the host agent's
 * "CONNECT <port>\n" line.
 *
 *   [0]     1: the guest's CID is 3, else [1..8] (le64)
 *   [9..12] readable payload bytes after the header (le32)
 *   [13..16] bytes already sent on the stream (le32), for the credit
 *   rest    the header (as many bytes as there are, up to 44), and the
 *           same bytes again as a CONNECT line
 *
 * The header and the line are their own exactly-sized heap blocks, so ASan
 * flags any read past them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/vsock_packet.h"

#define FZ_HDR 17

static void fz_check(bool ok)
{
	if (!ok)
		abort();
}

static uint32_t fz_le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t cid = 3;
	uint32_t avail, sent, credit, port;
	size_t rest, hlen;
	struct vsock_pkt p, q;
	struct virtio_vsock_hdr enc;
	enum vsock_verdict v;
	uint8_t *hdr;
	char *line;
	int n;

	if (size < FZ_HDR)
		return 0;
	if (!(data[0] & 1))
		memcpy(&cid, data + 1, 8);
	avail = fz_le32(data + 9);
	sent = fz_le32(data + 13);
	rest = size - FZ_HDR;
	hlen = rest < VSOCK_HDR_LEN ? rest : VSOCK_HDR_LEN;
	hdr = malloc(hlen ? hlen : 1);
	memcpy(hdr, data + FZ_HDR, hlen);
	v = vsock_pkt_parse(hdr, hlen, avail, cid, &p);
	free(hdr);
	if (v != VSOCK_PKT_DROP) {
		fz_check(hlen == VSOCK_HDR_LEN && p.src_cid == cid);
		fz_check(p.len <= avail && p.len <= VSOCK_MAX_PAYLOAD);
	}
	if (v == VSOCK_PKT_OK) {
		fz_check(p.type == VIRTIO_VSOCK_TYPE_STREAM);
		fz_check(p.op == VIRTIO_VSOCK_OP_RST ||
			 (p.dst_cid == VSOCK_HOST_CID &&
			  p.op >= VIRTIO_VSOCK_OP_REQUEST &&
			  p.op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST));
		fz_check(p.op == VIRTIO_VSOCK_OP_RW || p.len == 0 ||
			 p.op == VIRTIO_VSOCK_OP_RST);
		/* What the device encodes parses back the same. */
		vsock_pkt_encode(&p, &enc);
		fz_check(vsock_pkt_parse(&enc, sizeof(enc), avail, cid, &q) ==
			 VSOCK_PKT_OK);
		fz_check(!memcmp(&p, &q, sizeof(p)));
		credit = vsock_credit(p.buf_alloc, p.fwd_cnt, sent);
		fz_check(credit <= p.buf_alloc);
		fz_check(!credit ||
			 (uint32_t)(sent - p.fwd_cnt) + credit == p.buf_alloc);
	}
	line = malloc(rest ? rest : 1);
	memcpy(line, data + FZ_HDR, rest);
	n = vsock_parse_connect(line, rest, &port);
	if (n > 0) {
		char again[VSOCK_CONNECT_LINE_MAX + 1];

		fz_check((size_t)n <= rest && n <= VSOCK_CONNECT_LINE_MAX);
		fz_check(line[n - 1] == '\n' && !memcmp(line, "CONNECT ", 8));
		snprintf(again, sizeof(again), "CONNECT %u\n", port);
		fz_check(vsock_parse_connect(again, strlen(again), &port) ==
			 (int)strlen(again));
	}
	free(line);
	return 0;
}
