// SPDX-License-Identifier: MIT
/*
 * virtio-net without KVM or a tap: MAC parsing and derivation, --net
 * parsing, and the device end to end over a SOCK_SEQPACKET socketpair
 * standing in for the tap (one frame per read/write, like a tap). The test
 * plays the driver on a malloc'd guest RAM, as in test_virtio_devices.c,
 * and the peer end of the socketpair plays the host network.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "split_ring.h"
#include "cli/args.h"
#include "devices/virtio/net.h"

/* --- MAC addresses and --net ---------------------------------------------- */

Test(net_mac, parses_colon_and_dash_forms)
{
	const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t mac[6];
	struct err e;

	cr_assert_eq(virtio_net_parse_mac("52:54:00:ab:cd:ef", mac, &e), 0);
	cr_assert_arr_eq(mac, want, 6);
	cr_assert_eq(virtio_net_parse_mac("52-54-00-AB-CD-EF", mac, &e), 0);
	cr_assert_arr_eq(mac, want, 6);
}

Test(net_mac, rejects_bad_syntax_and_multicast)
{
	static const char *const bad[] = {
		"",
		"52:54:00:ab:cd",
		"52:54:00:ab:cd:ef:01",
		"52:54:00:ab:cd:e",
		"52:54:00:ab:cd:eg",
		"525400abcdef",
		"52:54:00:ab:cd:ef:",
		"52.54.00.ab.cd.ef",
		"01:00:5e:00:00:01",
	};
	uint8_t mac[6];
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = 0;
		cr_assert_eq(virtio_net_parse_mac(bad[i], mac, &e), -1,
			     "accepted '%s'", bad[i]);
		cr_assert_neq(e.msg[0], 0);
		cr_assert_null(strchr(e.msg, '\n'));
	}
}

Test(net_mac, derived_is_stable_local_unicast_and_per_name)
{
	uint8_t a[6], b[6], c[6];

	virtio_net_mac_from_name("vt0", a);
	virtio_net_mac_from_name("vt0", b);
	virtio_net_mac_from_name("vt1", c);
	cr_assert_arr_eq(a, b, 6);
	cr_assert_arr_neq(a, c, 6);
	cr_assert_eq(a[0] & 1, 0, "multicast");
	cr_assert_eq(a[0] & 2, 2, "not locally administered");
}

static struct vm_config cli_cfg;
static enum cli_action cli_act;
static struct err cli_e;

static int parse_net(const char *a, const char *b)
{
	char *argv[] = { "vireo",   "run",   "--kernel", "/k", "--net",
			 (char *)a, "--net", (char *)b,	 NULL };

	cli_e.msg[0] = 0;
	return cli_parse(b ? 8 : 6, argv, &cli_cfg, &cli_act, &cli_e);
}

Test(net_cli, tap_and_mac)
{
	uint8_t derived[6];

	cr_assert_eq(parse_net("tap=vt0,mac=52:54:00:00:00:07", "tap=vt1"), 0,
		     "%s", cli_e.msg);
	cr_assert_eq(cli_cfg.nr_nets, 2);
	cr_assert_str_eq(cli_cfg.nets[0].tap, "vt0");
	cr_assert(cli_cfg.nets[0].mac_set);
	cr_assert_eq(cli_cfg.nets[0].mac[5], 7);
	cr_assert_str_eq(cli_cfg.nets[1].tap, "vt1");
	virtio_net_mac_from_name("vt1", derived);
	cr_assert_arr_eq(cli_cfg.nets[1].mac, derived, 6);
}

Test(net_cli, one_line_errors)
{
	static const char *const bad[] = {
		"",
		"tap=",
		"mac=52:54:00:00:00:01",
		"tap=vt0,mac=zz",
		"tap=vt0,mac=01:00:00:00:00:01",
		"tap=0123456789abcdef",
		"tap=vt0,speed=10",
		"vt0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_net(bad[i], NULL), -1, "accepted '%s'",
			     bad[i]);
		cr_assert_neq(cli_e.msg[0], 0);
		cr_assert_null(strchr(cli_e.msg, '\n'));
		cr_assert_not_null(strstr(cli_e.msg, "--net"), "'%s'",
				   cli_e.msg);
	}
}

/* --- the device over a socketpair ----------------------------------------- */

#define NT_RAM (1u << 20)
#define NT_QSIZE 16
#define NT_DESC(q) (0x10000ULL + 0x10000ULL * (q))
#define NT_AVAIL(q) (NT_DESC(q) + 0x1000)
#define NT_USED(q) (NT_DESC(q) + 0x2000)
#define NT_BUF 0x80000ULL
#define NT_F(bit) (1ull << (bit))
#define NT_BASE_F                                                              \
	(NT_F(VIRTIO_F_VERSION_1) | NT_F(VIRTIO_NET_F_MAC) |                   \
	 NT_F(VIRTIO_NET_F_STATUS) | NT_F(VIRTIO_NET_F_CTRL_VQ) |              \
	 NT_F(VIRTIO_NET_F_CTRL_RX) | NT_F(VIRTIO_NET_F_CTRL_MAC_ADDR))

static struct {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_transport t;
	struct virtio_net *net;
	int sv[2]; /* [0] the device's back end, [1] the "host network" */
	uint16_t avail_idx[3];
	unsigned int raises;
} nt;

static void nt_raise(struct virtio_transport *t, uint16_t vector)
{
	(void)t;
	(void)vector;
	__atomic_add_fetch(&nt.raises, 1, __ATOMIC_SEQ_CST);
}

static uint8_t *nt_host(uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_ptr(&nt.mem, gpa, len);

	cr_assert_not_null(p);
	return p;
}

static void nt_desc(unsigned int q, unsigned int i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	split_ring_put_desc(nt_host(NT_DESC(q) + 16 * i, 16), addr, len, flags,
			    next);
}

static void nt_publish(unsigned int q, uint16_t head)
{
	split_ring_publish(nt_host(NT_AVAIL(q), 4 + 2 * NT_QSIZE), NT_QSIZE,
			   &nt.avail_idx[q], head);
}

static void nt_kick(unsigned int q)
{
	cr_assert(split_ring_kick(nt.t.queues[q].kick_fd));
}

static uint16_t nt_used_idx(unsigned int q)
{
	return split_ring_used_idx(nt_host(NT_USED(q), 4 + 8 * NT_QSIZE));
}

static uint32_t nt_used(unsigned int q, unsigned int slot, unsigned int off)
{
	return split_ring_used_elem(nt_host(NT_USED(q), 4 + 8 * NT_QSIZE),
				    NT_QSIZE, slot, off);
}

static bool nt_wait_used(unsigned int q, uint16_t idx, int ms)
{
	for (int i = 0; i < ms * 2; i++) {
		if (nt_used_idx(q) == idx)
			return true;
		usleep(500);
	}
	return nt_used_idx(q) == idx;
}

/* The device thread raises the interrupt just after it publishes used. */
static bool nt_wait_raises(unsigned int n, int ms)
{
	for (int i = 0; i < ms * 2; i++) {
		if (__atomic_load_n(&nt.raises, __ATOMIC_SEQ_CST) >= n)
			return true;
		usleep(500);
	}
	return __atomic_load_n(&nt.raises, __ATOMIC_SEQ_CST) >= n;
}

static void nt_set_status(uint8_t s)
{
	pthread_mutex_lock(&nt.t.lock);
	virtio_transport_set_status(&nt.t, s);
	pthread_mutex_unlock(&nt.t.lock);
}

static void nt_setup(void)
{
	struct virtio_net_backend be = { 0 };
	const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	struct err e;

	memset(&nt, 0, sizeof(nt));
	nt.ram = aligned_alloc(4096, NT_RAM);
	cr_assert_not_null(nt.ram);
	memset(nt.ram, 0, NT_RAM);
	cr_assert_eq(guest_mem_add_region(&nt.mem, 0, NT_RAM, nt.ram), 0);
	cr_assert_eq(socketpair(AF_UNIX,
				SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
				0, nt.sv),
		     0);
	be.fd = nt.sv[0];
	nt.net = calloc(1, sizeof(*nt.net));
	cr_assert_not_null(nt.net);
	cr_assert_eq(virtio_net_init(nt.net, &nt.mem, &be, mac, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(virtio_transport_init(&nt.t, &virtio_net_ops, nt.net), 0);
	nt.t.raise = nt_raise;
	for (unsigned int q = 0; q < 3; q++) {
		struct virtio_queue_config *qc = &nt.t.queues[q];

		qc->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		cr_assert_geq(qc->kick_fd, 0);
		qc->size = NT_QSIZE;
		qc->desc_gpa = NT_DESC(q);
		qc->driver_gpa = NT_AVAIL(q);
		qc->device_gpa = NT_USED(q);
		qc->vector = (uint16_t)(q + 1);
		qc->enabled = true;
	}
}

static void nt_up(uint64_t features)
{
	nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE);
	nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	nt.t.driver_features = features;
	nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK);
	nt_set_status(SPLIT_RING_STATUS_UP);
	cr_assert_eq(nt.t.status, SPLIT_RING_STATUS_UP, "status %#x",
		     nt.t.status);
}

static void nt_teardown(void)
{
	nt_set_status(0);
	virtio_net_destroy(nt.net);
	for (unsigned int q = 0; q < 3; q++)
		close(nt.t.queues[q].kick_fd);
	virtio_transport_destroy(&nt.t);
	close(nt.sv[0]);
	if (nt.sv[1] >= 0)
		close(nt.sv[1]);
	free(nt.net);
	free(nt.ram);
}

TestSuite(net_dev, .init = nt_setup, .fini = nt_teardown, .timeout = 10);

/* Stats are I/O-thread state: read them once the device is reset. */
static struct virtio_net_stats nt_stats_after_reset(void)
{
	nt_set_status(0);
	return nt.net->stats;
}

Test(net_dev, config_has_mac_and_link_up)
{
	uint8_t cfg[8];

	cr_assert_eq(virtio_net_ops.config_size(nt.net), 10);
	virtio_net_ops.config_read(nt.net, 0, cfg, 8);
	cr_assert_eq(cfg[0], 0x52);
	cr_assert_eq(cfg[5], 1);
	cr_assert_eq(cfg[6], VIRTIO_NET_S_LINK_UP);
	/* Offloads towards the guest only when the back end offers them. */
	cr_assert_eq(virtio_net_ops.features(nt.net) & VNET_GUEST_OFFLOADS, 0);
	cr_assert(virtio_net_ops.features(nt.net) &
		  NT_F(VIRTIO_NET_F_MRG_RXBUF));
}

Test(net_dev, tx_writes_header_and_frame_from_guest_memory)
{
	uint8_t got[2048], *p;

	nt_up(NT_BASE_F);
	/* Header and frame in two descriptors, as Linux does without
	 * ANY_LAYOUT. */
	memset(nt_host(NT_BUF, 12), 0, 12);
	p = nt_host(NT_BUF + 0x100, 100);
	for (int i = 0; i < 100; i++)
		p[i] = (uint8_t)i;
	nt_desc(1, 0, NT_BUF, 12, VIRTQ_DESC_F_NEXT, 1);
	nt_desc(1, 1, NT_BUF + 0x100, 100, 0, 0);
	nt_publish(1, 0);
	nt_kick(1);
	cr_assert(nt_wait_used(1, 1, 2000));
	cr_assert_eq(nt_used(1, 0, 0), 0);
	cr_assert_eq(nt_used(1, 0, 4), 0, "TX wrote into the chain");
	cr_assert_eq(recv(nt.sv[1], got, sizeof(got), 0), 112);
	cr_assert_arr_eq(got + 12, p, 100);
	cr_assert_eq(nt_stats_after_reset().tx_frames, 1);
}

Test(net_dev, tx_drops_hostile_chains)
{
	uint8_t got[16];

	nt_up(NT_BASE_F);
	/* Shorter than the header. */
	nt_desc(1, 0, NT_BUF, 8, 0, 0);
	/* A device-writable descriptor in a TX chain. */
	nt_desc(1, 1, NT_BUF, 64, VIRTQ_DESC_F_NEXT, 2);
	nt_desc(1, 2, NT_BUF + 0x1000, 64, VIRTQ_DESC_F_WRITE, 0);
	/* Larger than any frame (64 KiB GSO + headers). */
	nt_desc(1, 3, NT_BUF, 70000, 0, 0);
	nt_publish(1, 0);
	nt_publish(1, 1);
	nt_publish(1, 3);
	nt_kick(1);
	cr_assert(nt_wait_used(1, 3, 2000));
	for (unsigned int i = 0; i < 3; i++)
		cr_assert_eq(nt_used(1, i, 4), 0);
	cr_assert_eq(recv(nt.sv[1], got, sizeof(got), MSG_DONTWAIT), -1,
		     "a hostile chain reached the network");
	cr_assert_eq(nt_stats_after_reset().tx_dropped, 3);
	cr_assert_eq(nt.t.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(net_dev, tx_broken_ring_needs_reset)
{
	nt_up(NT_BASE_F);
	nt_desc(1, 0, NT_BUF, 64, VIRTQ_DESC_F_NEXT,
		99); /* next out of range */
	nt_publish(1, 0);
	nt_kick(1);
	for (int i = 0; i < 4000; i++) {
		if (__atomic_load_n(&nt.t.status, __ATOMIC_SEQ_CST) &
		    VIRTIO_STATUS_NEEDS_RESET)
			break;
		usleep(500);
	}
	cr_assert(nt.t.status & VIRTIO_STATUS_NEEDS_RESET);
}

/* Posts RX chain `head` of one writable buffer of len bytes. */
static void nt_rx_buf(uint16_t head, uint32_t len)
{
	nt_desc(0, head, NT_BUF + 0x1000ULL * head, len, VIRTQ_DESC_F_WRITE, 0);
	nt_publish(0, head);
}

/* Sends a frame: 12-byte header (gso_type 0) then len bytes of pattern. */
static void nt_send_frame(size_t len, uint8_t seed)
{
	uint8_t buf[4096] = { 0 };

	for (size_t i = 0; i < len; i++)
		buf[12 + i] = (uint8_t)(seed + i);
	cr_assert_eq(send(nt.sv[1], buf, 12 + len, 0), (ssize_t)(12 + len));
}

static uint16_t nt_num_buffers(uint16_t head)
{
	const uint8_t *h = nt_host(NT_BUF + 0x1000ULL * head, 12);

	return (uint16_t)(h[10] | h[11] << 8);
}

Test(net_dev, rx_merges_buffers_and_sets_num_buffers)
{
	const uint8_t *p;

	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	/* 4 x 512 bytes: room for one 1530-byte frame plus one buffer. */
	for (uint16_t h = 0; h < 4; h++)
		nt_rx_buf(h, 512);
	nt_kick(0);
	nt_send_frame(988, 3); /* 1000 bytes with the header */
	cr_assert(nt_wait_used(0, 2, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(nt_used(0, 0, 0), 0);
	cr_assert_eq(nt_used(0, 0, 4), 512);
	cr_assert_eq(nt_used(0, 1, 0), 1);
	cr_assert_eq(nt_used(0, 1, 4), 488);
	cr_assert_eq(nt_num_buffers(0), 2);
	p = nt_host(NT_BUF + 12, 500);
	for (int i = 0; i < 500; i++)
		cr_assert_eq(p[i], (uint8_t)(3 + i));
	p = nt_host(NT_BUF + 0x1000, 488);
	for (int i = 0; i < 488; i++)
		cr_assert_eq(p[i], (uint8_t)(3 + 500 + i));
	cr_assert(nt_wait_raises(1, 2000), "no interrupt raised");

	/*
	 * Two buffers left (1024 bytes): less than a full frame may need, but
	 * this one fits in one buffer, so it is delivered now.
	 */
	nt_send_frame(100, 9);
	cr_assert(nt_wait_used(0, 3, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(nt_used(0, 2, 0), 2);
	cr_assert_eq(nt_used(0, 2, 4), 112);
	cr_assert_eq(nt_num_buffers(2), 1);
	cr_assert_eq(*nt_host(NT_BUF + 0x2000 + 12, 1), 9);

	struct virtio_net_stats s = nt_stats_after_reset();
	cr_assert_eq(s.rx_frames, 2);
	cr_assert_eq(s.rx_bytes, 988 + 100);
}

Test(net_dev, rx_without_mrg_uses_one_buffer_per_frame)
{
	nt_up(NT_BASE_F);
	nt_rx_buf(0, 1600);
	nt_rx_buf(1, 1600);
	nt_kick(0);
	nt_send_frame(60, 1);
	nt_send_frame(1514, 2);
	cr_assert(nt_wait_used(0, 2, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(nt_used(0, 0, 4), 72);
	cr_assert_eq(nt_used(0, 1, 4), 1526);
	cr_assert_eq(nt_num_buffers(0), 1);
	cr_assert_eq(nt_num_buffers(1), 1);
}

Test(net_dev, rx_buffer_too_small_for_header_is_returned_empty)
{
	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	nt_rx_buf(0, 8);
	for (uint16_t h = 1; h < 5; h++)
		nt_rx_buf(h, 512);
	nt_kick(0);
	nt_send_frame(50, 1);
	cr_assert(nt_wait_used(0, 2, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(nt_used(0, 0, 0), 0);
	cr_assert_eq(nt_used(0, 0, 4), 0);
	cr_assert_eq(nt_used(0, 1, 0), 1);
	cr_assert_eq(nt_used(0, 1, 4), 62);
	cr_assert_eq(nt_stats_after_reset().rx_bad_buffers, 1);
}

Test(net_dev, backend_gone_sets_link_down_without_spinning)
{
	uint8_t cfg[8];

	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	for (uint16_t h = 0; h < 4; h++)
		nt_rx_buf(h, 512);
	nt_kick(0);
	close(nt.sv[1]);
	nt.sv[1] = -1;
	for (int i = 0; i < 4000; i++) {
		virtio_net_ops.config_read(nt.net, 0, cfg, 8);
		if (!(cfg[6] & VIRTIO_NET_S_LINK_UP))
			break;
		usleep(500);
	}
	cr_assert_eq(cfg[6] & VIRTIO_NET_S_LINK_UP, 0, "link still up");
	cr_assert(nt.net->rx_dead);
	cr_assert_eq(nt_used_idx(0), 0);
}

/* Control command: class, cmd, data, then a 1-byte ack from the device. */
static uint8_t nt_ctrl(uint16_t head, const uint8_t *cmd, uint32_t len)
{
	uint64_t out = NT_BUF + 0x8000 + 0x100ULL * head;

	memcpy(nt_host(out, len), cmd, len);
	*nt_host(out + 0x80, 1) = 0xee;
	nt_desc(2, 2 * head, out, len, VIRTQ_DESC_F_NEXT, 2 * head + 1);
	nt_desc(2, 2 * head + 1, out + 0x80, 1, VIRTQ_DESC_F_WRITE, 0);
	nt_publish(2, 2 * head);
	nt_kick(2);
	cr_assert(nt_wait_used(2, head + 1, 2000));
	return *nt_host(out + 0x80, 1);
}

Test(net_dev, control_queue_commands)
{
	const uint8_t promisc[] = { 0, 0, 1 };
	const uint8_t table[] = { 1, 0, 1, 0, 0, 0, 0x52, 0x54,
				  0, 0, 0, 1, 0, 0, 0,	  0 };
	const uint8_t bad_table[] = { 1, 0, 5, 0, 0, 0 };
	const uint8_t set_mac[] = { 1, 1, 0x52, 0x54, 0, 0, 0, 0x42 };
	const uint8_t vlan[] = { 2, 0, 5, 0 };
	const uint8_t announce[] = { 3, 0 };
	const uint8_t unknown[] = { 9, 0 };
	uint8_t cfg[6];

	nt_up(NT_BASE_F);
	cr_assert_eq(nt_ctrl(0, promisc, sizeof(promisc)), 0);
	cr_assert_eq(nt_ctrl(1, table, sizeof(table)), 0);
	cr_assert_eq(nt_ctrl(2, bad_table, sizeof(bad_table)), 1);
	cr_assert_eq(nt_ctrl(3, set_mac, sizeof(set_mac)), 0);
	cr_assert_eq(nt_ctrl(4, vlan, sizeof(vlan)), 1, "VLAN not negotiated");
	cr_assert_eq(nt_ctrl(5, announce, sizeof(announce)), 0);
	cr_assert_eq(nt_ctrl(6, unknown, sizeof(unknown)), 1);
	virtio_net_ops.config_read(nt.net, 0, cfg, 6);
	cr_assert_eq(cfg[5], 0x42, "MAC_ADDR_SET not applied");
}

Test(net_dev, legacy_driver_without_mrg_rxbuf_is_refused)
{
	nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE);
	nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	nt.t.driver_features = NT_F(VIRTIO_NET_F_MAC);
	nt.t.legacy = true;
	nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_DRIVER_OK);
	cr_assert(nt.t.status & VIRTIO_STATUS_NEEDS_RESET, "status %#x",
		  nt.t.status);
	cr_assert_not(nt.net->vdev.running);
}

/* CPU time the device's I/O thread has used so far, in ns. */
static long long nt_thread_cpu_ns(void)
{
	clockid_t cid;
	struct timespec ts;

	cr_assert_eq(pthread_getcpuclockid(nt.net->vdev.thread, &cid), 0);
	cr_assert_eq(clock_gettime(cid, &ts), 0);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Defect 1: with MRG_RXBUF and GSO a frame may need 64 KiB of buffers, but
 * a guest that posts two 512-byte buffers still gets the small frames that
 * fit, and with frames pending and no buffers left the device sleeps.
 */
Test(net_dev, rx_few_small_buffers_deliver_and_do_not_spin)
{
	const uint64_t gso = NT_F(VIRTIO_NET_F_GUEST_CSUM) |
			     NT_F(VIRTIO_NET_F_GUEST_TSO4) |
			     NT_F(VIRTIO_NET_F_GUEST_TSO6);
	long long before, used;

	nt.net->be.guest_offloads = gso;
	nt.t.device_features |= gso;
	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF) | gso);
	nt_rx_buf(0, 512);
	nt_rx_buf(1, 512);
	nt_kick(0);
	for (uint8_t i = 0; i < 4; i++)
		nt_send_frame(100, (uint8_t)(10 * i));
	cr_assert(nt_wait_used(0, 2, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(nt_used(0, 0, 4), 112);
	cr_assert_eq(nt_used(0, 1, 4), 112);
	cr_assert_eq(*nt_host(NT_BUF + 12, 1), 0);
	cr_assert_eq(*nt_host(NT_BUF + 0x1000 + 12, 1), 10);
	cr_assert(nt_wait_raises(1, 2000), "no interrupt raised");
	/* Two frames still pending, no buffers: the thread must sleep. */
	before = nt_thread_cpu_ns();
	usleep(300000);
	used = nt_thread_cpu_ns() - before;
	cr_assert_lt(used, 30000000LL, "I/O thread used %lld ns while idle",
		     used);
	/* The next buffer the guest posts gets the next frame. */
	nt_rx_buf(2, 512);
	nt_kick(0);
	cr_assert(nt_wait_used(0, 3, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(*nt_host(NT_BUF + 0x2000 + 12, 1), 20);
}

/* A frame larger than everything posted is dropped, never spun on. */
Test(net_dev, rx_frame_larger_than_the_buffers_is_dropped)
{
	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	nt_rx_buf(0, 512);
	nt_kick(0);
	nt_send_frame(1000, 1);
	nt_send_frame(60, 2);
	cr_assert(nt_wait_used(0, 1, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(nt_used(0, 0, 4), 72);
	cr_assert_eq(*nt_host(NT_BUF + 12, 1), 2);
	cr_assert_eq(nt_stats_after_reset().rx_dropped, 1);
}

/*
 * Defect 3: a too-small RX buffer returned empty is announced even when
 * nothing else happens (no frame delivered).
 */
Test(net_dev, rx_returned_buffer_is_notified)
{
	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	nt_rx_buf(0, 8);
	nt_kick(0);
	nt_send_frame(50, 1);
	cr_assert(nt_wait_used(0, 1, 2000), "used idx %u", nt_used_idx(0));
	cr_assert(nt_wait_raises(1, 2000), "used entry without an interrupt");
}

/* Defect 2: refused at FEATURES_OK, silently, however often. */
Test(net_dev, unservable_features_refused_at_features_ok)
{
	static const uint64_t bad[] = {
		/* legacy without MRG_RXBUF: 10-byte header */
		NT_F(VIRTIO_NET_F_MAC),
		/* GSO towards the guest without checksum offload */
		NT_F(VIRTIO_F_VERSION_1) | NT_F(VIRTIO_NET_F_HOST_TSO4),
		/* control features without a control queue */
		NT_F(VIRTIO_F_VERSION_1) | NT_F(VIRTIO_NET_F_CTRL_RX),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_not(virtio_net_ops.features_ok(nt.net, bad[i]),
			      "accepted %#llx", (unsigned long long)bad[i]);
		nt_set_status(0);
		nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		nt.t.driver_features = bad[i];
		nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			      VIRTIO_STATUS_FEATURES_OK);
		cr_assert_eq(nt.t.status & VIRTIO_STATUS_FEATURES_OK, 0,
			     "FEATURES_OK kept for %#llx",
			     (unsigned long long)bad[i]);
	}
	cr_assert(virtio_net_ops.features_ok(
	    nt.net, NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF)));
}

/*
 * Defect 10: an ordinary read error costs one frame, not the link; only a
 * back end that is really gone stops RX, and a reset gives it back.
 */
Test(net_dev, rx_dead_backend_is_revived_by_reset)
{
	uint8_t cfg[8];

	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	/* Back end gone (peer closed): link down, not polled. */
	for (uint16_t h = 0; h < 2; h++)
		nt_rx_buf(h, 512);
	nt_kick(0);
	close(nt.sv[1]);
	nt.sv[1] = -1;
	/*
	 * Wait for the link to go down (config_read takes cfg_lock, so what
	 * the device thread did before net_set_link is visible), not on
	 * rx_dead itself: that is the device thread's private state.
	 */
	for (int i = 0; i < 4000; i++) {
		virtio_net_ops.config_read(nt.net, 0, cfg, 8);
		if (!(cfg[6] & VIRTIO_NET_S_LINK_UP))
			break;
		usleep(500);
	}
	cr_assert(nt.net->rx_dead);
	/* A device reset clears it (a new peer stands in for the tap). */
	nt_set_status(0);
	cr_assert_eq(socketpair(AF_UNIX,
				SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
				0, nt.sv),
		     0);
	cr_assert_eq(dup3(nt.sv[0], nt.net->be.fd, O_CLOEXEC), nt.net->be.fd);
	close(nt.sv[0]);
	nt.sv[0] = nt.net->be.fd;
	memset(nt.ram, 0, NT_RAM);
	memset(nt.avail_idx, 0, sizeof(nt.avail_idx));
	for (unsigned int q = 0; q < 3; q++) {
		nt.t.queues[q].size = NT_QSIZE;
		nt.t.queues[q].desc_gpa = NT_DESC(q);
		nt.t.queues[q].driver_gpa = NT_AVAIL(q);
		nt.t.queues[q].device_gpa = NT_USED(q);
		nt.t.queues[q].enabled = true;
	}
	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	cr_assert_not(nt.net->rx_dead);
	virtio_net_ops.config_read(nt.net, 0, cfg, 8);
	cr_assert(cfg[6] & VIRTIO_NET_S_LINK_UP, "link still down after reset");
	nt_rx_buf(0, 512);
	nt_kick(0);
	nt_send_frame(60, 7);
	cr_assert(nt_wait_used(0, 1, 2000), "RX dead after reset");
}

/*
 * Defect 11: a full back end makes TX wait (chain left available), and
 * TX resumes when it drains: no frame lost.
 */
Test(net_dev, tx_waits_for_a_full_backend)
{
	uint8_t frame[1024] = { 0 }, got[2048];
	int sent = 0, n, r, rcvd = 0;

	/* Fill the socket until it refuses. */
	while (send(nt.sv[0], frame, sizeof(frame), MSG_DONTWAIT) > 0)
		sent++;
	cr_assert_gt(sent, 0);
	nt_up(NT_BASE_F);
	memset(nt_host(NT_BUF, 112), 0x5a, 112);
	nt_desc(1, 0, NT_BUF, 112, 0, 0);
	nt_publish(1, 0);
	nt_kick(1);
	usleep(100000);
	cr_assert_eq(nt_used_idx(1), 0, "TX completed into a full back end");
	/*
	 * Drain the host side: the frame must go out now. It may do so while
	 * we drain (as soon as there is room, e.g. in a slow TSan build): it
	 * comes after all the filler frames, so stop there.
	 */
	n = -1;
	while ((r = (int)recv(nt.sv[1], got, sizeof(got), MSG_DONTWAIT)) > 0) {
		if (r != (int)sizeof(frame)) {
			n = r;
			break;
		}
		rcvd++;
	}
	cr_assert_eq(rcvd, sent);
	cr_assert(nt_wait_used(1, 1, 2000), "TX did not resume");
	for (int i = 0; n < 0 && i < 4000; i++) {
		n = (int)recv(nt.sv[1], got, sizeof(got), MSG_DONTWAIT);
		if (n >= 0)
			break;
		usleep(500);
	}
	cr_assert_eq(n, 112);
	cr_assert_eq(got[50], 0x5a);
	struct virtio_net_stats s = nt_stats_after_reset();
	cr_assert_eq(s.tx_frames, 1);
	cr_assert_eq(s.tx_dropped, 0);
}

/*
 * Defect 2: a legacy driver without MRG_RXBUF retrying STATUS 3 -> 7 in a
 * loop is refused every time without one log line per cycle.
 */
Test(net_dev, legacy_refusal_loop_does_not_flood_the_log)
{
	char path[] = "/tmp/vireo-net-log-XXXXXX", buf[8192];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), lines = 0;
	ssize_t n;

	cr_assert_geq(fd, 0);
	unlink(path);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	nt.t.legacy = true;
	for (int i = 0; i < 50; i++) {
		nt_set_status(0);
		nt.t.legacy = true;
		nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		nt.t.driver_features = NT_F(VIRTIO_NET_F_MAC);
		nt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			      VIRTIO_STATUS_DRIVER_OK);
		cr_assert_not(nt.net->vdev.running);
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	for (ssize_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	cr_assert_leq(lines, 1, "%d log lines for 50 refusals:\n%.*s", lines,
		      (int)(n > 400 ? 400 : n), buf);
}

/*
 * Issue 20: with GSO a frame may need 64 KiB of buffers, so RX pops that
 * much; the buffers a small frame leaves are held for the next frames, not
 * popped again for each one (16 + 15 + ... pops for 10 small frames).
 */
Test(net_dev, rx_small_frames_pop_each_buffer_once)
{
	const uint64_t gso = NT_F(VIRTIO_NET_F_GUEST_CSUM) |
			     NT_F(VIRTIO_NET_F_GUEST_TSO4) |
			     NT_F(VIRTIO_NET_F_GUEST_TSO6);
	struct virtio_net_stats s;

	nt.net->be.guest_offloads = gso;
	nt.t.device_features |= gso;
	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF) | gso);
	for (uint16_t h = 0; h < NT_QSIZE; h++)
		nt_rx_buf(h, 512);
	nt_kick(0);
	for (uint8_t i = 0; i < 10; i++) {
		nt_send_frame(60, (uint8_t)(7 * i));
		cr_assert(nt_wait_used(0, (uint16_t)(i + 1), 2000),
			  "used idx %u", nt_used_idx(0));
	}
	/* In order, one buffer each, each in the buffer posted next. */
	for (uint16_t i = 0; i < 10; i++) {
		cr_assert_eq(nt_used(0, i, 0), i);
		cr_assert_eq(nt_used(0, i, 4), 72);
		cr_assert_eq(nt_num_buffers(i), 1);
		cr_assert_eq(*nt_host(NT_BUF + 0x1000ULL * i + 12, 1),
			     (uint8_t)(7 * i));
	}
	s = nt_stats_after_reset();
	cr_assert_eq(s.rx_frames, 10);
	cr_assert_eq(s.rx_popped, NT_QSIZE, "%llu pops for 10 frames",
		     (unsigned long long)s.rx_popped);
}

/*
 * A buffer held behind a frame's first one needs only one byte; when it
 * comes first for the next frame it must hold the header, or it goes back
 * empty and the frame takes the next one.
 */
Test(net_dev, rx_held_buffer_too_small_for_header_is_returned_empty)
{
	nt_up(NT_BASE_F | NT_F(VIRTIO_NET_F_MRG_RXBUF));
	nt_rx_buf(0, 512);
	nt_rx_buf(1, 8);
	nt_rx_buf(2, 2048);
	nt_kick(0);
	nt_send_frame(100, 1);
	/* Returned as soon as it is first: right after the first frame. */
	cr_assert(nt_wait_used(0, 2, 2000), "used idx %u", nt_used_idx(0));
	nt_send_frame(100, 2);
	cr_assert(nt_wait_used(0, 3, 2000), "used idx %u", nt_used_idx(0));
	cr_assert_eq(nt_used(0, 0, 4), 112);
	cr_assert_eq(nt_used(0, 1, 0), 1);
	cr_assert_eq(nt_used(0, 1, 4), 0);
	cr_assert_eq(nt_used(0, 2, 0), 2);
	cr_assert_eq(nt_used(0, 2, 4), 112);
	cr_assert_eq(*nt_host(NT_BUF + 0x2000 + 12, 1), 2);
	cr_assert_eq(nt_stats_after_reset().rx_bad_buffers, 1);
}
