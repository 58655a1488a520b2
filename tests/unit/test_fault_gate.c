// SPDX-License-Identifier: MIT
/*
 * --trace and --fault at the single gate (devices/virtio/virtio_device.c),
 * end to end on virtio-rng (and virtio-net, virtio-console for what they
 * take outside the drain loop) without KVM: a malloc'd guest RAM, a fake
 * driver publishing chains, the real I/O thread serving them.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bus/virtio_transport.h"
#include "devices/virtio/fault.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "split_ring.h"

#define FG_RAM (1u << 20)
#define FG_QSIZE 16
/* Queue q's rings; queue 0's are FG_DESC, FG_AVAIL, FG_USED. */
#define FG_DESC_Q(q) (0x10000ull + 0x4000ull * (q))
#define FG_AVAIL_Q(q) (FG_DESC_Q(q) + 0x1000)
#define FG_USED_Q(q) (FG_DESC_Q(q) + 0x2000)
#define FG_DESC FG_DESC_Q(0)
#define FG_AVAIL FG_AVAIL_Q(0)
#define FG_USED FG_USED_Q(0)
#define FG_BUF 0x20000ull

static struct {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_transport t;
	union {
		struct virtio_rng rng;
		struct virtio_net net;
		struct virtio_console con;
	} dev;
	const char *type;
	unsigned int nr_queues;
	int sv[2]; /* net: [0] the back end, [1] the host network */
	struct virtio_hooks h;
	struct fault_set set;
	char path[64];
	unsigned int raises;
	uint16_t avail, avail_q[3];
} fg;

static void fg_raise(struct virtio_transport *t, uint16_t vector)
{
	(void)t;
	(void)vector;
	__atomic_add_fetch(&fg.raises, 1, __ATOMIC_SEQ_CST);
}

static void fg_set_status(uint8_t s)
{
	pthread_mutex_lock(&fg.t.lock);
	virtio_transport_set_status(&fg.t, s);
	pthread_mutex_unlock(&fg.t.lock);
}

/* fg_start_dev: no hooks at all (the untraced baseline). */
static bool fg_untraced;

static size_t fg_con_write(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	return len;
}

static void fg_con_rx_space(void *opaque)
{
	(void)opaque;
}

/* The device of type ("rng", "net", "console") and its transport. */
static const struct virtio_dev_ops *fg_device(const char *type)
{
	const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	struct virtio_console_backend cbe = { .write = fg_con_write,
					      .rx_space = fg_con_rx_space };
	struct virtio_net_backend nbe = { 0 };
	struct err e;

	fg.type = type;
	fg.sv[0] = fg.sv[1] = -1;
	if (!strcmp(type, "net")) {
		cr_assert_eq(
		    socketpair(AF_UNIX,
			       SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
			       fg.sv),
		    0);
		nbe.fd = fg.sv[0];
		cr_assert_eq(
		    virtio_net_init(&fg.dev.net, &fg.mem, &nbe, mac, &e), 0,
		    "%s", e.msg);
		fg.nr_queues = 3;
		return &virtio_net_ops;
	}
	if (!strcmp(type, "console")) {
		cr_assert_eq(
		    virtio_console_init(&fg.dev.con, &fg.mem, &cbe, &e), 0,
		    "%s", e.msg);
		fg.nr_queues = 2;
		return &virtio_console_ops;
	}
	cr_assert_eq(virtio_rng_init(&fg.dev.rng, &fg.mem, &e), 0, "%s", e.msg);
	fg.nr_queues = 1;
	return &virtio_rng_ops;
}

/* A device of type with spec (or none) and a trace, driver up. */
static void fg_start_dev(const char *type, const char *spec, uint64_t features)
{
	const struct virtio_dev_ops *ops;
	struct err e;
	unsigned int q;
	int fd;

	memset(&fg, 0, sizeof(fg));
	fg.ram = aligned_alloc(4096, FG_RAM);
	memset(fg.ram, 0, FG_RAM);
	cr_assert_eq(guest_mem_add_region(&fg.mem, 0, FG_RAM, fg.ram), 0);
	ops = fg_device(type);
	cr_assert_eq(virtio_transport_init(&fg.t, ops, &fg.dev), 0);
	fg.t.raise = fg_raise;
	for (q = 0; q < fg.nr_queues; q++) {
		struct virtio_queue_config *qc = &fg.t.queues[q];

		qc->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		qc->size = FG_QSIZE;
		qc->desc_gpa = FG_DESC_Q(q);
		qc->driver_gpa = FG_AVAIL_Q(q);
		qc->device_gpa = FG_USED_Q(q);
		qc->vector = (uint16_t)(q + 1);
		qc->enabled = true;
	}
	snprintf(fg.path, sizeof(fg.path), "/tmp/vireo-fg-XXXXXX");
	fd = mkstemp(fg.path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(trace_open(&fg.h.trace, fg.path, 0, &e), 0);
	snprintf(fg.h.dev, sizeof(fg.h.dev), "%s0", type);
	fg.h.mem = &fg.mem;
	fg.set = (struct fault_set){ .seed = 1, .enabled = true };
	if (spec) {
		cr_assert_eq(fault_spec_parse(spec, &fg.set.specs[0], &e), 0,
			     "%s", e.msg);
		fg.set.nr_specs = 1;
		fg.h.fault = fault_dev_create(&fg.set, &fg.h, type, 0);
		fg.h.config_read = fault_config_read;
	}
	/* Before the device thread starts: it reads hooks unlocked. */
	fg.t.hooks = fg_untraced ? NULL : &fg.h;
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE);
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fg.t.driver_features = (1ull << VIRTIO_F_VERSION_1) | features;
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK);
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	cr_assert(fg.t.active);
}

static void fg_start(const char *spec)
{
	fg_start_dev("rng", spec, 0);
}

char *test_trace_slurp(const char *path); /* test_trace.c */

/* Stops everything; returns the trace text. */
static char *fg_stop(void)
{
	unsigned int q;
	char *buf;

	fg_set_status(0);
	if (!strcmp(fg.type, "net"))
		virtio_net_destroy(&fg.dev.net);
	else if (!strcmp(fg.type, "console"))
		virtio_console_destroy(&fg.dev.con);
	else
		virtio_rng_destroy(&fg.dev.rng);
	for (q = 0; q < fg.nr_queues; q++)
		close(fg.t.queues[q].kick_fd);
	for (q = 0; q < 2; q++)
		if (fg.sv[q] >= 0)
			close(fg.sv[q]);
	virtio_transport_destroy(&fg.t);
	trace_close(fg.h.trace);
	fault_dev_destroy(fg.h.fault);
	free(fg.ram);
	buf = test_trace_slurp(fg.path);
	unlink(fg.path);
	return buf;
}

static uint16_t fg_used_idx(void)
{
	return split_ring_used_idx(fg.ram + FG_USED);
}

static uint32_t fg_used32(unsigned int slot, unsigned int off)
{
	uint32_t v;

	memcpy(&v, fg.ram + FG_USED + 4 + 8 * slot + off, 4);
	return le32toh(v);
}

/* One 16-byte writable buffer as head 3, published and kicked. */
static void fg_request(void)
{
	uint16_t idx = fg.avail, v;
	uint64_t one = 1;

	memset(fg.ram + FG_BUF, 0xaa, 16);
	split_ring_put_desc(fg.ram + FG_DESC + 16 * 3, FG_BUF, 16,
			    VRING_DESC_F_WRITE, 0);
	v = htole16(3);
	memcpy(fg.ram + FG_AVAIL + 4 + 2 * (idx % FG_QSIZE), &v, 2);
	fg.avail++;
	v = htole16(fg.avail);
	__atomic_store_n((uint16_t *)(fg.ram + FG_AVAIL + 2), v,
			 __ATOMIC_RELEASE);
	cr_assert_eq(write(fg.t.queues[0].kick_fd, &one, 8), 8);
}

/* Spins (yielding) for up to 2 s: fast enough to time requests by. */
static void fg_wait_used(uint16_t want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fg_used_idx() != want) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 2)
			break;
		sched_yield();
	}
	cr_assert_eq(fg_used_idx(), want);
}

Test(fault_gate, trace_has_negotiation_chain_used_and_irq)
{
	char *tr;

	fg_start(NULL);
	fg_request();
	fg_wait_used(1);
	usleep(20000);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"dev\":\"rng0\",\"ev\":\"features\""), "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"status\",\"old\":11,\"status\":15,"
			     "\"bits\":[\"ACKNOWLEDGE\",\"DRIVER\","
			     "\"DRIVER_OK\",\"FEATURES_OK\"]"),
		  "%s", tr);
	cr_assert(strstr(tr,
			 "\"ev\":\"pop\",\"q\":0,\"head\":3,\"out\":0,"
			 "\"in\":1,\"out_bytes\":0,\"in_bytes\":16,"
			 "\"desc\":[{\"addr\":131072,\"len\":16,\"flags\":2}]"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"rng\",\"q\":0,\"head\":3,\"bytes\":16"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"used\",\"q\":0,\"head\":3,\"len\":16"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"irq\",\"q\":0,\"vector\":1"), "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"reset\""), "%s", tr);
	free(tr);
}

Test(fault_gate, used_len_reports_more_than_the_buffer)
{
	char *tr;

	fg_start("rng:used-len,extra=100");
	fg_request();
	fg_wait_used(1);
	cr_assert_eq(fg_used32(0, 0), 3);
	cr_assert_eq(fg_used32(0, 4), 116);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"ev\":\"fault\",\"kind\":\"used-len\""), "%s",
		  tr);
	free(tr);
}

Test(fault_gate, used_id_names_a_descriptor_not_in_flight)
{
	char *tr;

	fg_start("rng:used-id");
	fg_request();
	fg_wait_used(1);
	cr_assert_neq(fg_used32(0, 0), 3);
	cr_assert_lt(fg_used32(0, 0), FG_QSIZE);
	tr = fg_stop();
	free(tr);
}

Test(fault_gate, drop_irq_raises_nothing_and_says_so)
{
	char *tr;

	fg_start("rng:drop-irq,count=1");
	fg_request();
	fg_wait_used(1);
	usleep(20000);
	cr_assert_eq(__atomic_load_n(&fg.raises, __ATOMIC_SEQ_CST), 0);
	fg_request(); /* count=1: the next one interrupts */
	fg_wait_used(2);
	usleep(20000);
	cr_assert_eq(__atomic_load_n(&fg.raises, __ATOMIC_SEQ_CST), 1);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"kind\":\"drop-irq\""), "%s", tr);
	free(tr);
}

Test(fault_gate, short_read_fills_half_and_claims_all)
{
	char *tr;
	unsigned int i;

	fg_start("rng:short-read");
	fg_request();
	fg_wait_used(1);
	cr_assert_eq(fg_used32(0, 4), 16);
	for (i = 8; i < 16; i++)
		cr_assert_eq(fg.ram[FG_BUF + i], 0xaa, "byte %u written", i);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"kind\":\"short-read\""), "%s", tr);
	free(tr);
}

Test(fault_gate, delay_holds_the_completion_then_delivers_it)
{
	struct timespec a, b;
	char *tr;
	long ms;

	fg_start("rng:delay,ms=100");
	clock_gettime(CLOCK_MONOTONIC, &a);
	fg_request();
	usleep(30000);
	cr_assert_eq(fg_used_idx(), 0, "held");
	fg_wait_used(1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	cr_assert_geq(ms, 95);
	usleep(20000);
	cr_assert_geq(__atomic_load_n(&fg.raises, __ATOMIC_SEQ_CST), 1,
		      "the tick announced it");
	tr = fg_stop();
	free(tr);
}

Test(fault_gate, needs_reset_after_n_requests)
{
	char *tr;

	fg_start("rng:needs-reset,after=1");
	fg_request();
	fg_wait_used(1);
	cr_assert_not(fg.t.status & VIRTIO_STATUS_NEEDS_RESET);
	fg_request();
	fg_wait_used(2);
	cr_assert(__atomic_load_n(&fg.t.status, __ATOMIC_SEQ_CST) &
		  VIRTIO_STATUS_NEEDS_RESET);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"ev\":\"needs_reset\""), "%s", tr);
	free(tr);
}

/* Writable buffer of len bytes of 0xaa at gpa as chain head of queue q. */
static void fg_post(unsigned int q, uint16_t head, uint64_t gpa, uint32_t len)
{
	memset(fg.ram + gpa, 0xaa, len);
	split_ring_put_desc(fg.ram + FG_DESC_Q(q) + 16 * head, gpa, len,
			    VRING_DESC_F_WRITE, 0);
	split_ring_publish(fg.ram + FG_AVAIL_Q(q), FG_QSIZE, &fg.avail_q[q],
			   head);
	cr_assert(split_ring_kick(fg.t.queues[q].kick_fd));
}

/* A frame from the host network: a zero header, then len pattern bytes. */
static void fg_net_frame(size_t len)
{
	uint8_t buf[2048] = { 0 };
	size_t i;

	for (i = 0; i < len; i++)
		buf[VNET_HDR_LEN + i] = (uint8_t)(i + 1);
	cr_assert_eq(send(fg.sv[1], buf, VNET_HDR_LEN + len, 0),
		     (ssize_t)(VNET_HDR_LEN + len));
}

/*
 * RX chains are taken outside the drain loop (held across frames): each
 * still shows as a pop, with the drain loop's fields.
 */
Test(fault_gate, net_rx_chains_are_traced_as_pops)
{
	char *tr;

	fg_start_dev("net", NULL, 0);
	fg_post(0, 0, FG_BUF, 1600);
	fg_net_frame(100);
	fg_wait_used(1);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"dev\":\"net0\",\"ev\":\"pop\",\"q\":0,"
			     "\"head\":0,\"out\":0,\"in\":1,\"out_bytes\":0,"
			     "\"in_bytes\":1600,\"desc\":[{\"addr\":131072,"
			     "\"len\":1600,\"flags\":2}]"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"used\",\"q\":0,\"head\":0,\"len\":112"),
		  "%s", tr);
	free(tr);
}

/* net RX short-read: the whole frame claimed, its tail never written. */
Test(fault_gate, net_rx_short_read_leaves_the_tail_stale)
{
	const uint8_t *p = NULL;
	unsigned int i;
	char *tr;

	fg_start_dev("net", "net0:short-read", 0);
	fg_post(0, 0, FG_BUF, 1600);
	fg_net_frame(200);
	fg_wait_used(1);
	cr_assert_eq(fg_used32(0, 4), VNET_HDR_LEN + 200, "the full length");
	p = fg.ram + FG_BUF + VNET_HDR_LEN;
	for (i = 0; i < 100; i++)
		cr_assert_eq(p[i], (uint8_t)(i + 1), "byte %u not written", i);
	for (i = 100; i < 200; i++)
		cr_assert_eq(p[i], 0xaa, "byte %u written", i);
	cr_assert_eq(fg.ram[FG_BUF + 10], 1, "num_buffers still set");
	tr = fg_stop();
	cr_assert(strstr(tr, "\"dev\":\"net0\",\"ev\":\"fault\",\"kind\":"
			     "\"short-read\",\"q\":0,\"seq\":1,\"head\":0,"
			     "\"len\":200,\"written\":100"),
		  "%s", tr);
	free(tr);
}

/* console input short-read: the used entry claims what was not written. */
Test(fault_gate, console_rx_short_read_claims_more_than_written)
{
	unsigned int i;
	char *tr;

	fg_start_dev("console", "console:short-read,count=1", 0);
	fg_post(0, 0, FG_BUF, 16);
	fg_post(0, 1, FG_BUF + 0x100, 16);
	cr_assert_eq(
	    virtio_console_receive(&fg.dev.con, (const uint8_t *)"abcdefgh", 8),
	    8);
	fg_wait_used(1);
	cr_assert_eq(fg_used32(0, 4), 8);
	cr_assert_eq(memcmp(fg.ram + FG_BUF, "abcd", 4), 0);
	for (i = 4; i < 16; i++)
		cr_assert_eq(fg.ram[FG_BUF + i], 0xaa, "byte %u written", i);
	/* count=1: the next input arrives whole. */
	cr_assert_eq(
	    virtio_console_receive(&fg.dev.con, (const uint8_t *)"ijkl", 4), 4);
	fg_wait_used(2);
	cr_assert_eq(memcmp(fg.ram + FG_BUF + 0x100, "ijkl", 4), 0);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"dev\":\"console0\",\"ev\":\"pop\",\"q\":0,"
			     "\"head\":0"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"kind\":\"short-read\",\"q\":0,\"seq\":1,"
			     "\"head\":0,\"len\":8,\"written\":4"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"dev\":\"console0\",\"ev\":\"used\",\"q\":0,"
			     "\"head\":0,\"len\":8"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"console_rx\",\"q\":0,\"head\":0,"
			     "\"port\":0,\"bytes\":8"),
		  "%s", tr);
	free(tr);
}

/* Requests per second through the live device with hooks h (or none). */
static double fg_rate(bool traced)
{
	struct timespec a, b;
	unsigned int i, n = 3000;
	double s;

	fg_untraced = !traced;
	fg_start(NULL);
	fg_untraced = false;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		fg_request();
		fg_wait_used((uint16_t)(i + 1));
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	free(fg_stop());
	s = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return n / s;
}

/*
 * The guest-visible cost of --trace without a VM's noise: one request at
 * a time (queue depth 1, the latency-bound case) through the real I/O
 * thread, traced and not, alternating.
 */
Test(fault_gate, trace_cost_per_request, .timeout = 60)
{
	double off = 0, on = 0;
	int i;

	for (i = 0; i < 3; i++) {
		off += fg_rate(false);
		on += fg_rate(true);
	}
	cr_log_info("gate: %.0f requests/s untraced, %.0f traced (%.3f)",
		    off / 3, on / 3, on / off);
	cr_assert_gt(on, 0);
}
