// SPDX-License-Identifier: MIT
/*
 * virtio-vsock end to end without KVM: the test plays the guest driver on
 * a malloc'd guest RAM (split rings, as in test_virtio_net.c) and the host
 * agents on real Unix sockets in a temporary directory.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "split_ring.h"
#include "devices/virtio/vsock.h"
#include "devices/virtio/vsock_uds.h"

#define VT_RAM (1u << 20)
#define VT_QSIZE 16
#define VT_DESC(q) (0x10000ULL + 0x10000ULL * (q))
#define VT_AVAIL(q) (VT_DESC(q) + 0x1000)
#define VT_USED(q) (VT_DESC(q) + 0x2000)
#define VT_RXBUF(i) (0x80000ULL + 0x1000ULL * (i))
#define VT_TXBUF(i) (0xA0000ULL + 0x1000ULL * (i))
#define VT_EVBUF 0xC0000ULL
#define VT_RXLEN 4096
#define VT_CID 3

static struct {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_transport t;
	struct virtio_vsock *v;
	char dir[64], path[128];
	uint16_t avail_idx[3], used_seen[3];
} vt;

static uint8_t *vt_host(uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_ptr(&vt.mem, gpa, len);

	cr_assert_not_null(p);
	return p;
}

static void vt_publish(unsigned int q, uint16_t head)
{
	split_ring_publish(vt_host(VT_AVAIL(q), 4 + 2 * VT_QSIZE), VT_QSIZE,
			   &vt.avail_idx[q], head);
}

static void vt_kick(unsigned int q)
{
	cr_assert(split_ring_kick(vt.t.queues[q].kick_fd));
}

static uint16_t vt_used_idx(unsigned int q)
{
	return split_ring_used_idx(vt_host(VT_USED(q), 4 + 8 * VT_QSIZE));
}

static uint32_t vt_used_field(unsigned int q, unsigned int slot,
			      unsigned int off)
{
	return split_ring_used_elem(vt_host(VT_USED(q), 4 + 8 * VT_QSIZE),
				    VT_QSIZE, slot, off);
}

static void vt_set_status(uint8_t s)
{
	pthread_mutex_lock(&vt.t.lock);
	virtio_transport_set_status(&vt.t, s);
	pthread_mutex_unlock(&vt.t.lock);
}

static void vt_raise(struct virtio_transport *t, uint16_t vector)
{
	(void)t;
	(void)vector;
}

static void vt_setup(void)
{
	struct err e;
	int fd;

	memset(&vt, 0, sizeof(vt));
	vt.ram = aligned_alloc(4096, VT_RAM);
	cr_assert_not_null(vt.ram);
	memset(vt.ram, 0, VT_RAM);
	cr_assert_eq(guest_mem_add_region(&vt.mem, 0, VT_RAM, vt.ram), 0);
	snprintf(vt.dir, sizeof(vt.dir), "/tmp/vireo-vsock-XXXXXX");
	cr_assert_not_null(mkdtemp(vt.dir));
	snprintf(vt.path, sizeof(vt.path), "%s/v.sock", vt.dir);
	fd = vsock_uds_listen(vt.path, &e);
	cr_assert_geq(fd, 0, "%s", e.msg);
	vt.v = calloc(1, sizeof(*vt.v));
	cr_assert_not_null(vt.v);
	cr_assert_eq(virtio_vsock_init(vt.v, &vt.mem, VT_CID, vt.path, fd, &e),
		     0, "%s", e.msg);
	cr_assert_eq(virtio_transport_init(&vt.t, &virtio_vsock_ops, vt.v), 0);
	vt.t.raise = vt_raise;
	for (unsigned int q = 0; q < 3; q++) {
		struct virtio_queue_config *qc = &vt.t.queues[q];

		qc->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		cr_assert_geq(qc->kick_fd, 0);
		qc->size = VT_QSIZE;
		qc->desc_gpa = VT_DESC(q);
		qc->driver_gpa = VT_AVAIL(q);
		qc->device_gpa = VT_USED(q);
		qc->enabled = true;
	}
	vt_set_status(VIRTIO_STATUS_ACKNOWLEDGE);
	vt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vt.t.driver_features = 1ull << VIRTIO_F_VERSION_1;
	vt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK);
	vt_set_status(SPLIT_RING_STATUS_UP);
	cr_assert_eq(vt.t.status, SPLIT_RING_STATUS_UP, "status %#x",
		     vt.t.status);
}

static void vt_teardown(void)
{
	char cmd[128];

	vt_set_status(0);
	virtio_vsock_destroy(vt.v);
	for (unsigned int q = 0; q < 3; q++)
		close(vt.t.queues[q].kick_fd);
	virtio_transport_destroy(&vt.t);
	free(vt.v);
	free(vt.ram);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", vt.dir);
	if (system(cmd) != 0) {
		/* a leftover temporary directory harms nothing */
	}
}

TestSuite(vsock_dev, .init = vt_setup, .fini = vt_teardown, .timeout = 20);

/* Posts n RX buffers of VT_RXLEN bytes (descriptor = ring slot). */
static void vt_rx_post(unsigned int n)
{
	while (n--) {
		uint16_t d = vt.avail_idx[VSOCK_RX_QUEUE] % VT_QSIZE;

		split_ring_put_desc(vt_host(VT_DESC(0) + 16 * d, 16),
				    VT_RXBUF(d), VT_RXLEN, VIRTQ_DESC_F_WRITE,
				    0);
		vt_publish(VSOCK_RX_QUEUE, d);
	}
	vt_kick(VSOCK_RX_QUEUE);
}

struct vt_pkt {
	struct vsock_pkt h;
	uint8_t data[VT_RXLEN];
	uint32_t used_len;
};

/* The next packet the device put on RX, within ms; false if none. */
static bool vt_rx_next(struct vt_pkt *out, int ms)
{
	struct virtio_vsock_hdr raw;
	uint16_t slot = vt.used_seen[VSOCK_RX_QUEUE];
	uint32_t id;

	for (int i = 0; i < ms * 2 && vt_used_idx(VSOCK_RX_QUEUE) == slot; i++)
		usleep(500);
	if (vt_used_idx(VSOCK_RX_QUEUE) == slot)
		return false;
	id = vt_used_field(VSOCK_RX_QUEUE, slot, 0);
	out->used_len = vt_used_field(VSOCK_RX_QUEUE, slot, 4);
	vt.used_seen[VSOCK_RX_QUEUE] = slot + 1;
	cr_assert_lt(id, VT_QSIZE);
	cr_assert_geq(out->used_len, sizeof(raw));
	memcpy(&raw, vt_host(VT_RXBUF(id), sizeof(raw)), sizeof(raw));
	memset(&out->h, 0, sizeof(out->h));
	out->h.src_cid = le64toh(raw.src_cid);
	out->h.dst_cid = le64toh(raw.dst_cid);
	out->h.src_port = le32toh(raw.src_port);
	out->h.dst_port = le32toh(raw.dst_port);
	out->h.len = le32toh(raw.len);
	out->h.type = le16toh(raw.type);
	out->h.op = le16toh(raw.op);
	out->h.flags = le32toh(raw.flags);
	out->h.buf_alloc = le32toh(raw.buf_alloc);
	out->h.fwd_cnt = le32toh(raw.fwd_cnt);
	cr_assert_eq(out->used_len, sizeof(raw) + out->h.len);
	memcpy(out->data, vt_host(VT_RXBUF(id) + sizeof(raw), out->h.len),
	       out->h.len);
	return true;
}

static struct vt_pkt vt_expect(uint16_t op)
{
	struct vt_pkt p;

	cr_assert(vt_rx_next(&p, 2000), "no packet (wanted op %u)", op);
	cr_assert_eq(p.h.op, op, "op %u, wanted %u", p.h.op, op);
	cr_assert_eq(p.h.src_cid, VSOCK_HOST_CID);
	cr_assert_eq(p.h.dst_cid, VT_CID);
	cr_assert_eq(p.h.type, VIRTIO_VSOCK_TYPE_STREAM);
	return p;
}

/* Sends one TX packet from guest port gport to host port hport. */
static void vt_tx(uint32_t gport, uint32_t hport, uint16_t op, uint32_t flags,
		  uint32_t buf_alloc, uint32_t fwd_cnt, const void *data,
		  uint32_t len)
{
	uint16_t d = vt.avail_idx[VSOCK_TX_QUEUE] % VT_QSIZE;
	uint16_t before = vt.avail_idx[VSOCK_TX_QUEUE];
	struct vsock_pkt p = {
		.src_cid = VT_CID,
		.dst_cid = VSOCK_HOST_CID,
		.src_port = gport,
		.dst_port = hport,
		.len = len,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
		.flags = flags,
		.buf_alloc = buf_alloc,
		.fwd_cnt = fwd_cnt,
	};
	struct virtio_vsock_hdr h;

	cr_assert_leq(len, 4096 - sizeof(h));
	vsock_pkt_encode(&p, &h);
	memcpy(vt_host(VT_TXBUF(d), sizeof(h)), &h, sizeof(h));
	if (len)
		memcpy(vt_host(VT_TXBUF(d) + sizeof(h), len), data, len);
	split_ring_put_desc(vt_host(VT_DESC(1) + 16 * d, 16), VT_TXBUF(d),
			    (uint32_t)sizeof(h) + len, 0, 0);
	vt_publish(VSOCK_TX_QUEUE, d);
	vt_kick(VSOCK_TX_QUEUE);
	for (int i = 0;
	     i < 4000 && vt_used_idx(VSOCK_TX_QUEUE) != (uint16_t)(before + 1);
	     i++)
		usleep(500);
	cr_assert_eq(vt_used_idx(VSOCK_TX_QUEUE), (uint16_t)(before + 1),
		     "TX packet not consumed");
}

/* A host agent's listening socket at PATH_port. */
static int vt_host_listen(uint32_t port)
{
	char p[160];
	struct err e;
	int fd;

	snprintf(p, sizeof(p), "%s_%u", vt.path, port);
	fd = vsock_uds_listen(p, &e);
	cr_assert_geq(fd, 0, "%s", e.msg);
	return fd;
}

static int vt_accept(int lfd)
{
	struct pollfd pf = { lfd, POLLIN, 0 };
	int fd;

	cr_assert_eq(poll(&pf, 1, 2000), 1, "nobody connected");
	fd = accept(lfd, NULL, NULL);
	cr_assert_geq(fd, 0);
	return fd;
}

/* Reads exactly len bytes (2 s at most). */
static void vt_read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t n;

		cr_assert_eq(poll(&pf, 1, 2000), 1, "read timed out at %zu/%zu",
			     got, len);
		n = read(fd, (char *)buf + got, len - got);
		cr_assert_gt(n, 0, "EOF/error at %zu/%zu", got, len);
		got += (size_t)n;
	}
}

/* The host side sees EOF (or a reset) within 2 s, after any data. */
static void vt_expect_closed(int fd)
{
	static char sink[65536];

	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };

		cr_assert_eq(poll(&pf, 1, 2000), 1, "host socket not closed");
		if (read(fd, sink, sizeof(sink)) <= 0)
			return;
	}
}

/* No RW packet within ms (control packets are fine). */
static bool vt_no_data(int ms)
{
	struct vt_pkt p;

	while (vt_rx_next(&p, ms))
		if (p.h.op == VIRTIO_VSOCK_OP_RW)
			return false;
	return true;
}

/* A guest-initiated stream to host port hport, established. */
static int vt_guest_connect(uint32_t gport, uint32_t hport, int lfd,
			    uint32_t buf_alloc)
{
	vt_tx(gport, hport, VIRTIO_VSOCK_OP_REQUEST, 0, buf_alloc, 0, NULL, 0);
	struct vt_pkt p = vt_expect(VIRTIO_VSOCK_OP_RESPONSE);

	cr_assert_eq(p.h.src_port, hport);
	cr_assert_eq(p.h.dst_port, gport);
	cr_assert_eq(p.h.buf_alloc, VSOCK_CONN_BUF);
	return vt_accept(lfd);
}

Test(vsock_dev, config_space_holds_the_guest_cid)
{
	uint64_t cid = 0;

	cr_assert_eq(virtio_vsock_ops.config_size(vt.v), 8);
	virtio_vsock_ops.config_read(vt.v, 0, &cid, 8);
	cr_assert_eq(le64toh(cid), VT_CID);
	cr_assert_eq(virtio_vsock_ops.device_id, 19);
	cr_assert_eq(virtio_vsock_ops.nr_queues, 3);
	cr_assert_not(virtio_vsock_ops.features_ok(vt.v, 0),
		      "legacy driver accepted");
}

Test(vsock_dev, guest_connect_streams_both_ways)
{
	int lfd = vt_host_listen(5000), fd;
	char buf[16];
	struct vt_pkt p;

	vt_rx_post(8);
	fd = vt_guest_connect(1234, 5000, lfd, 65536);
	vt_tx(1234, 5000, VIRTIO_VSOCK_OP_RW, 0, 65536, 0, "hello", 5);
	vt_read_exact(fd, buf, 5);
	cr_assert_arr_eq(buf, "hello", 5);
	cr_assert_eq(write(fd, "world!", 6), 6);
	p = vt_expect(VIRTIO_VSOCK_OP_RW);
	cr_assert_eq(p.h.len, 6);
	cr_assert_arr_eq(p.data, "world!", 6);
	cr_assert_eq(p.h.src_port, 5000);
	cr_assert_eq(p.h.dst_port, 1234);
	/* guest closes: the host sees EOF, the guest gets its RST */
	vt_tx(1234, 5000, VIRTIO_VSOCK_OP_SHUTDOWN,
	      VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, 65536, 6,
	      NULL, 0);
	vt_expect(VIRTIO_VSOCK_OP_RST);
	vt_expect_closed(fd);
	close(fd);
	close(lfd);
}

Test(vsock_dev, guest_connect_without_listener_is_reset)
{
	struct vt_pkt p;

	vt_rx_post(4);
	vt_tx(1234, 7777, VIRTIO_VSOCK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	p = vt_expect(VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(p.h.src_port, 7777);
	cr_assert_eq(p.h.dst_port, 1234);
	/* data for a connection that does not exist: RST too */
	vt_tx(1235, 7777, VIRTIO_VSOCK_OP_RW, 0, 65536, 0, "x", 1);
	vt_expect(VIRTIO_VSOCK_OP_RST);
}

static int vt_host_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	memcpy(sa.sun_path, vt.path, strlen(vt.path));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s",
		     strerror(errno));
	return fd;
}

Test(vsock_dev, host_connect_handshake_ok_then_data)
{
	int fd = vt_host_connect();
	char line[32] = "";
	struct vt_pkt p;
	uint32_t local;
	int n;

	vt_rx_post(8);
	/* data right after the line must not be taken for the line */
	cr_assert_eq(write(fd, "CONNECT 52\nearly", 16), 16);
	p = vt_expect(VIRTIO_VSOCK_OP_REQUEST);
	cr_assert_eq(p.h.dst_port, 52);
	local = p.h.src_port;
	cr_assert_geq(local, 1u << 30);
	vt_tx(52, local, VIRTIO_VSOCK_OP_RESPONSE, 0, 65536, 0, NULL, 0);
	n = snprintf(line, sizeof(line), "OK %u\n", local);
	{
		char got[32] = "";

		vt_read_exact(fd, got, (size_t)n);
		cr_assert_str_eq(got, line);
	}
	p = vt_expect(VIRTIO_VSOCK_OP_RW);
	cr_assert_eq(p.h.len, 5);
	cr_assert_arr_eq(p.data, "early", 5);
	/* host closes: the guest is told nothing more comes */
	close(fd);
	p = vt_expect(VIRTIO_VSOCK_OP_SHUTDOWN);
	cr_assert(p.h.flags & VIRTIO_VSOCK_SHUTDOWN_SEND);
}

Test(vsock_dev, host_connect_without_guest_listener_is_closed)
{
	int fd = vt_host_connect();
	struct vt_pkt p;

	vt_rx_post(4);
	cr_assert_eq(write(fd, "CONNECT 99\n", 11), 11);
	p = vt_expect(VIRTIO_VSOCK_OP_REQUEST);
	vt_tx(99, p.h.src_port, VIRTIO_VSOCK_OP_RST, 0, 0, 0, NULL, 0);
	vt_expect_closed(fd);
	close(fd);
}

Test(vsock_dev, host_bad_hello_is_closed)
{
	int fd = vt_host_connect();

	cr_assert_eq(write(fd, "HELLO\n", 6), 6);
	vt_expect_closed(fd);
	close(fd);
}

Test(vsock_dev, host_data_never_exceeds_guest_credit)
{
	int lfd = vt_host_listen(5001), fd;
	static char big[8192];
	struct vt_pkt p;
	uint32_t got = 0;

	memset(big, 'a', sizeof(big));
	vt_rx_post(12);
	fd = vt_guest_connect(1, 5001, lfd, 100);
	cr_assert_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	while (vt_rx_next(&p, 300)) {
		if (p.h.op == VIRTIO_VSOCK_OP_RW)
			got += p.h.len;
		else
			cr_assert_eq(p.h.op, VIRTIO_VSOCK_OP_CREDIT_REQUEST);
	}
	cr_assert_eq(got, 100, "sent %u bytes on a 100-byte window", got);
	/* the guest consumed 100: 100 more may come */
	vt_tx(1, 5001, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 100, 100, NULL, 0);
	p = vt_expect(VIRTIO_VSOCK_OP_RW);
	cr_assert_eq(p.h.len, 100);
	cr_assert(vt_no_data(200), "more than the window");
	/* a hostile fwd_cnt past what was sent gives no credit */
	vt_tx(1, 5001, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 100, 5000, NULL, 0);
	cr_assert(vt_no_data(200), "hostile fwd_cnt got data");
	close(fd);
	close(lfd);
}

Test(vsock_dev, guest_past_credit_is_reset_and_memory_bounded)
{
	int lfd = vt_host_listen(5002), fd;
	static char chunk[4000];
	struct vt_pkt p;
	uint32_t sent = 0;
	bool reset = false;

	vt_rx_post(12);
	fd = vt_guest_connect(2, 5002, lfd, 65536);
	/* the host never reads: its socket fills, then our ring */
	while (sent < 2 * VSOCK_CONN_BUF + (8u << 20)) {
		vt_tx(2, 5002, VIRTIO_VSOCK_OP_RW, 0, 65536, 0, chunk,
		      sizeof(chunk));
		sent += sizeof(chunk);
		if (vt_rx_next(&p, 0) && p.h.op == VIRTIO_VSOCK_OP_RST) {
			reset = true;
			break;
		}
		/* keep RX stocked for credit updates */
		if (vt.avail_idx[0] - vt.used_seen[0] < 4)
			vt_rx_post(4);
	}
	cr_assert(reset, "sent %u bytes without a reset", sent);
	/* buffered: what the socket took plus at most our buf_alloc */
	cr_assert_lt(sent, VSOCK_CONN_BUF + (8u << 20));
	vt_expect_closed(fd);
	close(fd);
	close(lfd);
}

Test(vsock_dev, hostile_packets_dropped_or_reset)
{
	struct virtio_vsock_hdr h;
	struct vsock_pkt p = {
		.src_cid = 77, /* not the guest's CID */
		.dst_cid = VSOCK_HOST_CID,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = VIRTIO_VSOCK_OP_REQUEST,
	};
	struct vt_pkt r;
	uint16_t d = 0;

	vt_rx_post(4);
	vsock_pkt_encode(&p, &h);
	memcpy(vt_host(VT_TXBUF(d), sizeof(h)), &h, sizeof(h));
	split_ring_put_desc(vt_host(VT_DESC(1), 16), VT_TXBUF(d),
			    (uint32_t)sizeof(h), 0, 0);
	vt_publish(VSOCK_TX_QUEUE, d);
	vt_kick(VSOCK_TX_QUEUE);
	cr_assert_not(vt_rx_next(&r, 300), "forged source answered");
	/* too short for a header */
	split_ring_put_desc(vt_host(VT_DESC(1) + 16, 16), VT_TXBUF(1), 10, 0,
			    0);
	vt_publish(VSOCK_TX_QUEUE, 1);
	vt_kick(VSOCK_TX_QUEUE);
	cr_assert_not(vt_rx_next(&r, 300), "short header answered");
	/* a seqpacket request: RST */
	vt_tx(5, 6, VIRTIO_VSOCK_OP_INVALID, 0, 0, 0, NULL, 0);
	vt_expect(VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(vt.t.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(vsock_dev, connection_table_is_bounded)
{
	int lfd = vt_host_listen(6000);
	int fds[VSOCK_MAX_CONNS];
	struct vt_pkt p;

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		vt_rx_post(1);
		fds[i] = vt_guest_connect(100 + i, 6000, lfd, 4096);
	}
	vt_rx_post(1);
	vt_tx(999, 6000, VIRTIO_VSOCK_OP_REQUEST, 0, 4096, 0, NULL, 0);
	p = vt_expect(VIRTIO_VSOCK_OP_RST);
	cr_assert_eq(p.h.dst_port, 999);
	/* one closes (guest RST): a new one fits */
	vt_tx(100, 6000, VIRTIO_VSOCK_OP_RST, 0, 0, 0, NULL, 0);
	vt_rx_post(1);
	close(vt_guest_connect(999, 6000, lfd, 4096));
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		close(fds[i]);
	close(lfd);
}

Test(vsock_dev, no_rx_buffers_means_no_spinning_and_tx_waits)
{
	struct vt_pkt p;

	/* Many RSTs owed, no RX buffer to carry them: TX must stop. */
	for (unsigned int i = 0; i < VSOCK_MAX_PENDING_RST; i++)
		vt_tx(i, 7000, VIRTIO_VSOCK_OP_RW, 0, 0, 0, "x", 1);
	{
		uint16_t d = vt.avail_idx[1] % VT_QSIZE;
		uint16_t before = vt_used_idx(VSOCK_TX_QUEUE);

		memset(&p, 0, sizeof(p));
		split_ring_put_desc(vt_host(VT_DESC(1) + 16 * d, 16),
				    VT_TXBUF(0), 44, 0, 0);
		vt_publish(VSOCK_TX_QUEUE, d);
		vt_kick(VSOCK_TX_QUEUE);
		usleep(200000);
		cr_assert_eq(vt_used_idx(VSOCK_TX_QUEUE), before,
			     "TX went on with the RST backlog full");
	}
	/* RX buffers arrive: the RSTs go out and TX resumes. */
	for (unsigned int i = 0; i <= VSOCK_MAX_PENDING_RST; i += 8) {
		vt_rx_post(8);
		for (unsigned int k = 0; k < 8 && vt_rx_next(&p, 500); k++)
			cr_assert_eq(p.h.op, VIRTIO_VSOCK_OP_RST);
	}
	for (int i = 0; i < 2000 && vt_used_idx(VSOCK_TX_QUEUE) !=
					vt.avail_idx[VSOCK_TX_QUEUE];
	     i++)
		usleep(500);
	cr_assert_eq(vt_used_idx(VSOCK_TX_QUEUE), vt.avail_idx[VSOCK_TX_QUEUE]);
}

Test(vsock_dev, transport_reset_event_drops_connections)
{
	int lfd = vt_host_listen(5003), fd;
	uint32_t id;

	vt_rx_post(4);
	fd = vt_guest_connect(3, 5003, lfd, 4096);
	split_ring_put_desc(vt_host(VT_DESC(2), 16), VT_EVBUF, 4,
			    VIRTQ_DESC_F_WRITE, 0);
	vt_publish(VSOCK_EVENT_QUEUE, 0);
	vt_kick(VSOCK_EVENT_QUEUE);
	usleep(100000);
	cr_assert_eq(vt_used_idx(VSOCK_EVENT_QUEUE), 0, "event without cause");
	virtio_vsock_transport_reset(vt.v);
	for (int i = 0; i < 4000 && vt_used_idx(VSOCK_EVENT_QUEUE) == 0; i++)
		usleep(500);
	cr_assert_eq(vt_used_idx(VSOCK_EVENT_QUEUE), 1);
	memcpy(&id, vt_host(VT_EVBUF, 4), 4);
	cr_assert_eq(le32toh(id), VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
	vt_expect_closed(fd);
	close(fd);
	close(lfd);
}

Test(vsock_dev, device_reset_closes_host_sockets)
{
	int lfd = vt_host_listen(5004), fd;

	vt_rx_post(4);
	fd = vt_guest_connect(4, 5004, lfd, 4096);
	vt_set_status(0);
	vt_expect_closed(fd);
	close(fd);
	close(lfd);
}

Test(vsock_dev, guest_half_close_gives_host_eof_and_keeps_reading)
{
	int lfd = vt_host_listen(5005), fd;
	struct vt_pkt p;
	char c;

	vt_rx_post(8);
	fd = vt_guest_connect(5, 5005, lfd, 4096);
	vt_tx(5, 5005, VIRTIO_VSOCK_OP_RW, 0, 4096, 0, "req", 3);
	vt_tx(5, 5005, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND,
	      4096, 0, NULL, 0);
	{
		char got[3];

		vt_read_exact(fd, got, 3);
		cr_assert_arr_eq(got, "req", 3);
	}
	cr_assert_eq(read(fd, &c, 1), 0, "host did not see EOF");
	/* the other direction still flows */
	cr_assert_eq(write(fd, "reply", 5), 5);
	p = vt_expect(VIRTIO_VSOCK_OP_RW);
	cr_assert_arr_eq(p.data, "reply", 5);
	close(fd);
	p = vt_expect(VIRTIO_VSOCK_OP_SHUTDOWN);
	cr_assert_eq(p.h.flags,
		     VIRTIO_VSOCK_SHUTDOWN_SEND | VIRTIO_VSOCK_SHUTDOWN_RCV,
		     "a closed host socket shuts both ways");
	close(lfd);
}

/* CPU time of the whole test process (the device thread included), ms. */
static double vt_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

Test(vsock_dev, slow_guest_does_not_make_the_device_spin)
{
	int lfd = vt_host_listen(5006), fd;
	static char data[32768];
	struct vt_pkt p;
	double t0;

	vt_rx_post(2);
	/* No credit at all: host data must wait, unpolled. */
	fd = vt_guest_connect(6, 5006, lfd, 0);
	cr_assert_eq(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	vt_rx_next(&p, 200); /* the one CREDIT_REQUEST */
	t0 = vt_cpu_ms();
	usleep(500000);
	cr_assert_lt(vt_cpu_ms() - t0, 100, "device busy without credit");
	/* Credit, but no RX buffer left: again nothing to do until a kick. */
	vt_tx(6, 5006, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 1u << 20, 0, NULL, 0);
	while (vt_rx_next(&p, 200))
		;
	cr_assert_eq(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	t0 = vt_cpu_ms();
	usleep(500000);
	cr_assert_lt(vt_cpu_ms() - t0, 100, "device busy without buffers");
	/* A refill delivers what waited. */
	vt_rx_post(4);
	p = vt_expect(VIRTIO_VSOCK_OP_RW);
	cr_assert_gt(p.h.len, 0);
	close(fd);
	close(lfd);
}
