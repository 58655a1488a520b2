// SPDX-License-Identifier: MIT
/* The pure parts of virtio-vsock: TX header checks, credit, CONNECT line. */
#include <criterion/criterion.h>
#include <endian.h>
#include <string.h>

#include "cli/args.h"
#include "devices/virtio/vsock_packet.h"

#define CID 3

static struct virtio_vsock_hdr hdr(uint16_t op, uint32_t len)
{
	struct vsock_pkt p = {
		.src_cid = CID,
		.dst_cid = VSOCK_HOST_CID,
		.src_port = 1000,
		.dst_port = 2000,
		.len = len,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = 4096,
		.fwd_cnt = 7,
	};
	struct virtio_vsock_hdr h;

	vsock_pkt_encode(&p, &h);
	return h;
}

Test(vsock_packet, encode_parse_round_trip_little_endian)
{
	struct virtio_vsock_hdr h = hdr(VIRTIO_VSOCK_OP_RW, 5);
	const uint8_t *b = (const uint8_t *)&h;
	struct vsock_pkt p;

	cr_assert_eq(sizeof(h), 44);
	cr_assert_eq(b[0], CID, "src_cid low byte first");
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 5, CID, &p), VSOCK_PKT_OK);
	cr_assert_eq(p.src_port, 1000);
	cr_assert_eq(p.dst_port, 2000);
	cr_assert_eq(p.len, 5);
	cr_assert_eq(p.buf_alloc, 4096);
	cr_assert_eq(p.fwd_cnt, 7);
}

Test(vsock_packet, short_header_forged_source_and_overlong_len_dropped)
{
	struct virtio_vsock_hdr h = hdr(VIRTIO_VSOCK_OP_RW, 100);
	struct vsock_pkt p;

	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h) - 1, 100, CID, &p),
		     VSOCK_PKT_DROP);
	/* len beyond the bytes the chain really has */
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 99, CID, &p),
		     VSOCK_PKT_DROP);
	/* another guest's CID */
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 100, CID + 1, &p),
		     VSOCK_PKT_DROP);
	h = hdr(VIRTIO_VSOCK_OP_RW, VSOCK_MAX_PAYLOAD + 1);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 1ull << 32, CID, &p),
		     VSOCK_PKT_DROP);
}

Test(vsock_packet, bad_type_op_or_destination_answered_with_reset)
{
	struct virtio_vsock_hdr h = hdr(VIRTIO_VSOCK_OP_REQUEST, 0);
	struct vsock_pkt p;

	h.type = htole16(VIRTIO_VSOCK_TYPE_SEQPACKET);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 0, CID, &p),
		     VSOCK_PKT_RESET);
	h = hdr(0, 0);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 0, CID, &p),
		     VSOCK_PKT_RESET);
	h = hdr(VIRTIO_VSOCK_OP_CREDIT_REQUEST + 1, 0);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 0, CID, &p),
		     VSOCK_PKT_RESET);
	h = hdr(VIRTIO_VSOCK_OP_REQUEST, 0);
	h.dst_cid = htole64(7);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 0, CID, &p),
		     VSOCK_PKT_RESET);
	/* data on a control op */
	h = hdr(VIRTIO_VSOCK_OP_SHUTDOWN, 4);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 4, CID, &p),
		     VSOCK_PKT_RESET);
	/* a RST is never answered with a RST */
	h = hdr(VIRTIO_VSOCK_OP_RST, 0);
	h.dst_cid = htole64(7);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 0, CID, &p), VSOCK_PKT_OK);
	h.type = htole16(9);
	cr_assert_eq(vsock_pkt_parse(&h, sizeof(h), 0, CID, &p),
		     VSOCK_PKT_DROP);
}

Test(vsock_packet, credit_clamps_hostile_windows)
{
	cr_assert_eq(vsock_credit(1000, 0, 0), 1000);
	cr_assert_eq(vsock_credit(1000, 100, 600), 500);
	cr_assert_eq(vsock_credit(1000, 0, 1000), 0);
	/* fwd_cnt ahead of what we sent: no credit, not 4 GiB of it */
	cr_assert_eq(vsock_credit(1000, 5000, 10), 0);
	cr_assert_eq(vsock_credit(0, 0, 0), 0);
	/* counters wrap modulo 2^32 */
	cr_assert_eq(vsock_credit(1000, 0xfffffff0u, 0x10), 968);
}

Test(vsock_packet, connect_line)
{
	uint32_t port = 0;

	cr_assert_eq(vsock_parse_connect("CONNECT 52\n", 11, &port), 11);
	cr_assert_eq(port, 52);
	cr_assert_eq(vsock_parse_connect("CONNECT 4294967295\nxy", 21, &port),
		     19);
	cr_assert_eq(port, 4294967295u);
	cr_assert_eq(vsock_parse_connect("CONN", 4, &port), 0);
	cr_assert_eq(vsock_parse_connect("CONNECT 12", 10, &port), 0);
	cr_assert_eq(vsock_parse_connect("CONNECT \n", 9, &port), -1);
	cr_assert_eq(vsock_parse_connect("CONNECT 4294967296\n", 19, &port),
		     -1);
	cr_assert_eq(vsock_parse_connect("CONNECT -1\n", 11, &port), -1);
	cr_assert_eq(vsock_parse_connect("GET / HTTP", 10, &port), -1);
	cr_assert_eq(
	    vsock_parse_connect("CONNECT 000000000000000000000001", 32, &port),
	    -1);
}

static struct vm_config cfg;
static struct err cli_e;

static int parse_vsock(const char *a)
{
	char *argv[] = { "vireo",   "run",     "--kernel", "/k",
			 "--vsock", (char *)a, NULL };
	enum cli_action act;

	memset(&cfg, 0, sizeof(cfg));
	cli_e.msg[0] = 0;
	return cli_parse(6, argv, &cfg, &act, &cli_e);
}

Test(vsock_cli, cid_and_uds)
{
	cr_assert_eq(parse_vsock("cid=3,uds=/tmp/v.sock"), 0, "%s", cli_e.msg);
	cr_assert(cfg.vsock.enabled);
	cr_assert_eq(cfg.vsock.cid, 3);
	cr_assert_str_eq(cfg.vsock.uds, "/tmp/v.sock");
	cr_assert_eq(parse_vsock("uds=/x,cid=4294967294"), 0, "%s", cli_e.msg);
	cr_assert_eq(cfg.vsock.cid, 4294967294u);
}

Test(vsock_cli, one_line_errors)
{
	static const char *const bad[] = {
		"",
		"cid=3",
		"uds=/x",
		"cid=2,uds=/x",
		"cid=4294967295,uds=/x",
		"cid=-3,uds=/x",
		"cid=3x,uds=/x",
		"cid=3,uds=/x,cid=4",
		"cid=3,uds=/x,port=1",
		"cid=3,uds=/"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_vsock(bad[i]), -1, "accepted '%s'", bad[i]);
		cr_assert_not_null(strstr(cli_e.msg, "--vsock"), "'%s'",
				   cli_e.msg);
		cr_assert_null(strchr(cli_e.msg, '\n'));
	}
}
