// SPDX-License-Identifier: MIT
/*
 * virtio-rng and virtio-console end to end without KVM: a malloc'd guest
 * RAM, a bare struct virtio_transport with a fake interrupt line, kick
 * eventfds the test writes as the guest's queue notify would, and the
 * device's real I/O thread. The test plays the driver: it lays out split
 * rings, publishes buffers, kicks, and polls the used ring.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "split_ring.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/rng.h"

#define VDT_RAM (4u << 20)
#define VDT_QSIZE 16
/* Queue q's rings: desc, avail and used in consecutive pages. */
#define VDT_DESC(q) (0x10000ULL + 0x10000ULL * (q))
#define VDT_AVAIL(q) (VDT_DESC(q) + 0x1000)
#define VDT_USED(q) (VDT_DESC(q) + 0x2000)
#define VDT_BUF 0x80000ULL
#define VDT_WAIT_NS 2000000000LL

#define VDT_F(bit) (1ull << (bit))

static struct {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_transport t;
	bool t_init;
	unsigned int nr_queues;
	uint16_t avail_idx[VIRTIO_MAX_QUEUES];
	unsigned int raises;
	uint16_t last_vector;
	unsigned int vector_raises[VIRTIO_MAX_QUEUES + 1];
	union {
		struct virtio_rng rng;
		struct virtio_console con;
		struct virtio_blk blk;
	} dev;
	enum { VDT_NONE, VDT_RNG, VDT_CON, VDT_BLK } kind;
	char img_path[64];
	/* Console backend, called from the I/O thread. */
	pthread_mutex_t be_lock;
	uint8_t out[256];
	size_t out_len;
	size_t out_room; /* bytes the backend still takes; SIZE_MAX: any */
	unsigned int out_calls;
	unsigned int rx_space_calls;
} vdt;

/* --- fake guest RAM and driver ------------------------------------------ */

static void vdt_raise(struct virtio_transport *t, uint16_t vector)
{
	cr_assert_eq(t, &vdt.t);
	__atomic_store_n(&vdt.last_vector, vector, __ATOMIC_SEQ_CST);
	if (vector <= VIRTIO_MAX_QUEUES)
		__atomic_add_fetch(&vdt.vector_raises[vector], 1,
				   __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&vdt.raises, 1, __ATOMIC_SEQ_CST);
}

static unsigned int vdt_raises(void)
{
	return __atomic_load_n(&vdt.raises, __ATOMIC_SEQ_CST);
}

static uint8_t *vdt_host(uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_ptr(&vdt.mem, gpa, len);

	cr_assert_not_null(p, "gpa %#llx not in fake RAM",
			   (unsigned long long)gpa);
	return p;
}

static void vdt_desc_at(uint64_t table, unsigned int i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next)
{
	split_ring_put_desc(vdt_host(table + 16 * i, 16), addr, len, flags,
			    next);
}

static void vdt_desc(unsigned int q, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	vdt_desc_at(VDT_DESC(q), i, addr, len, flags, next);
}

/* Makes head available, as virtqueue_add + virtqueue_kick_prepare do. */
static void vdt_publish(unsigned int q, uint16_t head)
{
	split_ring_publish(vdt_host(VDT_AVAIL(q), 4 + 2 * VDT_QSIZE), VDT_QSIZE,
			   &vdt.avail_idx[q], head);
}

static void vdt_kick(unsigned int q)
{
	cr_assert(split_ring_kick(vdt.t.queues[q].kick_fd));
}

static uint16_t vdt_used_idx(unsigned int q)
{
	return split_ring_used_idx(vdt_host(VDT_USED(q), 4 + 8 * VDT_QSIZE));
}

static uint32_t vdt_used_id(unsigned int q, unsigned int slot)
{
	return split_ring_used_elem(vdt_host(VDT_USED(q), 4 + 8 * VDT_QSIZE),
				    VDT_QSIZE, slot, 0);
}

static uint32_t vdt_used_len(unsigned int q, unsigned int slot)
{
	return split_ring_used_elem(vdt_host(VDT_USED(q), 4 + 8 * VDT_QSIZE),
				    VDT_QSIZE, slot, 4);
}

static int64_t vdt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Polls cond() for up to wait_ns; true once it holds. */
static bool vdt_poll(bool (*cond)(unsigned int), unsigned int arg,
		     int64_t wait_ns)
{
	int64_t end = vdt_now_ns() + wait_ns;

	for (;;) {
		if (cond(arg))
			return true;
		if (vdt_now_ns() > end)
			return false;
		usleep(500);
	}
}

static unsigned int vdt_want_idx;

static bool vdt_used_reached(unsigned int q)
{
	return vdt_used_idx(q) == vdt_want_idx;
}

static void vdt_wait_used(unsigned int q, uint16_t idx)
{
	vdt_want_idx = idx;
	cr_assert(vdt_poll(vdt_used_reached, q, VDT_WAIT_NS),
		  "queue %u: used idx %u, want %u", q, vdt_used_idx(q), idx);
}

/* The device must not touch the used ring: give it time to misbehave. */
static void vdt_assert_used_stays(unsigned int q, uint16_t idx)
{
	vdt_want_idx = (uint16_t)(idx + 1);
	cr_assert_not(vdt_poll(vdt_used_reached, q, 100000000LL),
		      "queue %u advanced", q);
	cr_assert_eq(vdt_used_idx(q), idx);
}

static uint8_t vdt_status(void)
{
	return __atomic_load_n(&vdt.t.status, __ATOMIC_SEQ_CST);
}

/* The device thread raises the interrupt just after it publishes used. */
static bool vdt_raised(unsigned int n)
{
	return vdt_raises() >= n;
}

static bool vdt_needs_reset(unsigned int unused)
{
	(void)unused;
	return vdt_status() & VIRTIO_STATUS_NEEDS_RESET;
}

/* --- transport bring-up and teardown ------------------------------------- */

static void vdt_setup(void)
{
	memset(&vdt, 0, sizeof(vdt));
	pthread_mutex_init(&vdt.be_lock, NULL);
	vdt.ram = aligned_alloc(4096, VDT_RAM);
	cr_assert_not_null(vdt.ram);
	memset(vdt.ram, 0, VDT_RAM);
	cr_assert_eq(guest_mem_add_region(&vdt.mem, 0, VDT_RAM, vdt.ram), 0);
}

static void vdt_set_status(uint8_t s)
{
	pthread_mutex_lock(&vdt.t.lock);
	virtio_transport_set_status(&vdt.t, s);
	pthread_mutex_unlock(&vdt.t.lock);
}

static void vdt_transport(const struct virtio_dev_ops *ops, void *dev)
{
	unsigned int q;

	cr_assert_eq(virtio_transport_init(&vdt.t, ops, dev), 0);
	vdt.t_init = true;
	vdt.t.raise = vdt_raise;
	vdt.nr_queues = ops->nr_queues;
	for (q = 0; q < ops->nr_queues; q++) {
		struct virtio_queue_config *qc = &vdt.t.queues[q];

		qc->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		cr_assert_geq(qc->kick_fd, 0);
	}
}

/* What a driver programs per queue (and again after each reset). */
static void vdt_queues(void)
{
	unsigned int q;

	for (q = 0; q < vdt.nr_queues; q++) {
		struct virtio_queue_config *qc = &vdt.t.queues[q];

		qc->size = VDT_QSIZE;
		qc->desc_gpa = VDT_DESC(q);
		qc->driver_gpa = VDT_AVAIL(q);
		qc->device_gpa = VDT_USED(q);
		qc->vector = (uint16_t)(q + 1);
		qc->enabled = true;
	}
	vdt.t.config_vector = 0;
}

/* ACK, DRIVER, features, FEATURES_OK, DRIVER_OK; returns the status. */
static uint8_t vdt_negotiate(uint64_t features)
{
	vdt_set_status(VIRTIO_STATUS_ACKNOWLEDGE);
	vdt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdt.t.driver_features = features;
	vdt_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		       VIRTIO_STATUS_FEATURES_OK);
	cr_assert(vdt_status() & VIRTIO_STATUS_FEATURES_OK,
		  "features %#llx refused", (unsigned long long)features);
	vdt_set_status(SPLIT_RING_STATUS_UP);
	return vdt_status();
}

static void vdt_up(uint64_t features)
{
	vdt_queues();
	cr_assert_eq(vdt_negotiate(features), SPLIT_RING_STATUS_UP);
	cr_assert(vdt.t.active);
}

/* Status 0: the device's reset op stops its I/O thread. */
static void vdt_reset(void)
{
	vdt_set_status(0);
	cr_assert_eq(vdt_status(), 0);
	cr_assert_not(vdt.t.active);
	memset(vdt.avail_idx, 0, sizeof(vdt.avail_idx));
	memset(vdt.ram, 0, VDT_RAM);
}

static struct virtio_device *vdt_vdev(void)
{
	return vdt.kind == VDT_RNG   ? &vdt.dev.rng.vdev
	       : vdt.kind == VDT_BLK ? &vdt.dev.blk.vdev
				     : &vdt.dev.con.vdev;
}

static void vdt_teardown(void)
{
	unsigned int q;

	if (vdt.t_init) {
		vdt_set_status(0);
		cr_assert_not(vdt_vdev()->running, "I/O thread still running");
	}
	if (vdt.kind == VDT_RNG)
		virtio_rng_destroy(&vdt.dev.rng);
	else if (vdt.kind == VDT_CON)
		virtio_console_destroy(&vdt.dev.con);
	else if (vdt.kind == VDT_BLK)
		virtio_blk_destroy(&vdt.dev.blk);
	if (vdt.img_path[0])
		unlink(vdt.img_path);
	if (vdt.t_init) {
		for (q = 0; q < vdt.nr_queues; q++)
			close(vdt.t.queues[q].kick_fd);
		virtio_transport_destroy(&vdt.t);
	}
	free(vdt.ram);
	pthread_mutex_destroy(&vdt.be_lock);
}

/* --- virtio-rng ----------------------------------------------------------- */

static void vdt_rng_setup(void)
{
	struct err e;

	vdt_setup();
	cr_assert_eq(virtio_rng_init(&vdt.dev.rng, &vdt.mem, &e), 0, "%s",
		     e.msg);
	vdt.kind = VDT_RNG;
	vdt_transport(&virtio_rng_ops, &vdt.dev.rng);
}

TestSuite(vdev_rng, .init = vdt_rng_setup, .fini = vdt_teardown, .timeout = 10);

static bool vdt_all_zero(uint64_t gpa, size_t len)
{
	const uint8_t *p = vdt_host(gpa, len);

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

Test(vdev_rng, fills_a_buffer)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	cr_assert(vdt.dev.rng.vdev.running,
		  "activate did not start the thread");
	vdt_desc(0, 0, VDT_BUF, 64, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
	cr_assert_eq(vdt_used_id(0, 0), 0);
	cr_assert_eq(vdt_used_len(0, 0), 64);
	cr_assert_not(vdt_all_zero(VDT_BUF, 64), "no entropy written");
	cr_assert(vdt_all_zero(VDT_BUF + 64, 64), "wrote past the buffer");
	cr_assert(vdt_poll(vdt_raised, 1, VDT_WAIT_NS), "no interrupt");
	cr_assert_eq(__atomic_load_n(&vdt.last_vector, __ATOMIC_SEQ_CST), 1,
		     "not the queue's vector");
	cr_assert_eq(vdt_status(), SPLIT_RING_STATUS_UP);
}

/* A paused VM: nothing served while suspended, all of it after; counted. */
Test(vdev_rng, suspended_serves_nothing_until_resumed)
{
	struct virtio_device *d = &vdt.dev.rng.vdev;

	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	virtio_device_suspend(d);
	cr_assert_not(d->running);
	vdt_desc(0, 0, VDT_BUF, 64, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_assert_used_stays(0, 0);
	cr_assert(vdt_all_zero(VDT_BUF, 64), "guest memory touched");
	virtio_device_unsuspend(d);
	vdt_wait_used(0, 1);
	cr_assert(vdt_poll(vdt_raised, 1, VDT_WAIT_NS), "no interrupt");
	cr_assert_eq(atomic_load(&d->stats.requests), 1);
	cr_assert_eq(atomic_load(&d->stats.bytes), 64);
	cr_assert_eq(atomic_load(&d->stats.interrupts), 1);
	cr_assert_eq(atomic_load(&d->stats.errors), 0);
}

Test(vdev_rng, chains_and_repeated_requests)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1) | VDT_F(VIRTIO_F_RING_EVENT_IDX));
	/* Two-descriptor chain: 32 + 100 bytes. */
	vdt_desc(0, 0, VDT_BUF, 32, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vdt_desc(0, 1, VDT_BUF + 0x1000, 100, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
	cr_assert_eq(vdt_used_len(0, 0), 132);
	cr_assert_not(vdt_all_zero(VDT_BUF + 0x1000, 100));
	/* More than a ring's worth, one kick per buffer. */
	for (unsigned int i = 0; i < 3 * VDT_QSIZE; i++) {
		uint16_t head = (uint16_t)(2 + i % 4);

		vdt_desc(0, head, VDT_BUF + 0x2000 + 16 * head, 16,
			 VIRTQ_DESC_F_WRITE, 0);
		vdt_publish(0, head);
		vdt_kick(0);
		vdt_wait_used(0, (uint16_t)(2 + i));
		cr_assert_eq(vdt_used_id(0, 1 + i), head);
		cr_assert_eq(vdt_used_len(0, 1 + i), 16);
	}
	cr_assert_eq(vdt.dev.rng.bytes_served, 132 + 3 * VDT_QSIZE * 16);
}

Test(vdev_rng, indirect_descriptors)
{
	const uint64_t table = VDT_BUF + 0x8000;

	vdt_up(VDT_F(VIRTIO_F_VERSION_1) | VDT_F(VIRTIO_F_RING_INDIRECT_DESC));
	vdt_desc_at(table, 0, VDT_BUF, 8,
		    VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vdt_desc_at(table, 1, VDT_BUF + 0x100, 24, VIRTQ_DESC_F_WRITE, 0);
	vdt_desc(0, 3, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vdt_publish(0, 3);
	vdt_kick(0);
	vdt_wait_used(0, 1);
	cr_assert_eq(vdt_used_id(0, 0), 3);
	cr_assert_eq(vdt_used_len(0, 0), 32);
}

Test(vdev_rng, serves_buffers_queued_before_driver_ok)
{
	vdt_queues();
	vdt_desc(0, 0, VDT_BUF, 48, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	/* No kick: Linux adds rng buffers right after DRIVER_OK, but a
	 * driver may legitimately queue them first. */
	cr_assert_eq(vdt_negotiate(VDT_F(VIRTIO_F_VERSION_1)),
		     SPLIT_RING_STATUS_UP);
	vdt_wait_used(0, 1);
	cr_assert_eq(vdt_used_len(0, 0), 48);
}

Test(vdev_rng, reset_stops_the_device)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	vdt_desc(0, 0, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);

	vdt_set_status(0);
	cr_assert_not(vdt.dev.rng.vdev.running);
	cr_assert_null(vdt.dev.rng.vdev.t);
	/* The old rings are dead: a kick does nothing. */
	vdt_desc(0, 1, VDT_BUF + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 1);
	vdt_kick(0);
	vdt_assert_used_stays(0, 1);
	cr_assert(vdt_all_zero(VDT_BUF + 0x100, 16));

	/* A fresh driver brings it up again on clean rings. */
	vdt_reset();
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	vdt_desc(0, 0, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
	cr_assert_eq(vdt_used_len(0, 0), 16);
}

Test(vdev_rng, rings_outside_ram_fail_activation)
{
	vdt_queues();
	vdt.t.queues[0].desc_gpa = VDT_RAM - 16; /* table runs off the end */
	cr_assert(vdt_negotiate(VDT_F(VIRTIO_F_VERSION_1)) &
		  VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_not(vdt.t.active);
	cr_assert_not(vdt.dev.rng.vdev.running);
	/* The driver resets and retries with sane rings. */
	vdt_reset();
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	vdt_desc(0, 0, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
}

Test(vdev_rng, hostile_descriptor_needs_reset)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	vdt_desc(0, 0, 0x40000000, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	cr_assert(vdt_poll(vdt_needs_reset, 0, VDT_WAIT_NS),
		  "buffer outside RAM accepted");
	cr_assert_eq(vdt_used_idx(0), 0);
	cr_assert(vdt_poll(vdt_raised, 1, VDT_WAIT_NS), "no config interrupt");
	cr_assert_eq(__atomic_load_n(&vdt.last_vector, __ATOMIC_SEQ_CST), 0,
		     "not the config vector");
	cr_assert(__atomic_load_n(&vdt.t.isr, __ATOMIC_SEQ_CST) &
		  VIRTIO_ISR_CONFIG);
	/* Further kicks are ignored; reset recovers. */
	vdt_desc(0, 1, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 1);
	vdt_kick(0);
	vdt_assert_used_stays(0, 0);
	vdt_reset();
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	vdt_desc(0, 0, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
}

/* --- virtio-console ------------------------------------------------------- */

#define VDT_CON_RX 0
#define VDT_CON_TX 1

static size_t vdt_con_write(void *opaque, const uint8_t *buf, size_t len)
{
	cr_assert_eq(opaque, &vdt);
	pthread_mutex_lock(&vdt.be_lock);
	if (len > vdt.out_room)
		len = vdt.out_room;
	if (vdt.out_room != SIZE_MAX)
		vdt.out_room -= len;
	if (vdt.out_len + len <= sizeof(vdt.out)) {
		memcpy(vdt.out + vdt.out_len, buf, len);
		vdt.out_len += len;
	}
	vdt.out_calls++;
	pthread_mutex_unlock(&vdt.be_lock);
	return len;
}

static void vdt_con_rx_space(void *opaque)
{
	cr_assert_eq(opaque, &vdt);
	__atomic_add_fetch(&vdt.rx_space_calls, 1, __ATOMIC_SEQ_CST);
}

static void vdt_con_setup(void)
{
	struct virtio_console_backend be = {
		.write = vdt_con_write,
		.rx_space = vdt_con_rx_space,
		.opaque = &vdt,
	};
	struct err e;

	vdt_setup();
	vdt.out_room = SIZE_MAX;
	cr_assert_eq(virtio_console_init(&vdt.dev.con, &vdt.mem, &be, &e), 0,
		     "%s", e.msg);
	vdt.kind = VDT_CON;
	vdt_transport(&virtio_console_ops, &vdt.dev.con);
}

TestSuite(vdev_console, .init = vdt_con_setup, .fini = vdt_teardown,
	  .timeout = 10);

static bool vdt_out_has(unsigned int len)
{
	size_t n;

	pthread_mutex_lock(&vdt.be_lock);
	n = vdt.out_len;
	pthread_mutex_unlock(&vdt.be_lock);
	return n >= len;
}

static void vdt_put_bytes(uint64_t gpa, const char *s)
{
	memcpy(vdt_host(gpa, strlen(s)), s, strlen(s));
}

static void vdt_con_up(void)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	cr_assert(vdt.dev.con.active);
}

Test(vdev_console, transmit_reaches_backend)
{
	vdt_con_up();
	vdt_put_bytes(VDT_BUF, "hello");
	vdt_desc(VDT_CON_TX, 0, VDT_BUF, 5, 0, 0);
	vdt_publish(VDT_CON_TX, 0);
	vdt_kick(VDT_CON_TX);
	vdt_wait_used(VDT_CON_TX, 1);
	cr_assert_eq(vdt_used_id(VDT_CON_TX, 0), 0);
	cr_assert_eq(vdt_used_len(VDT_CON_TX, 0), 0, "device wrote nothing");
	cr_assert(vdt_out_has(5));
	cr_assert_eq(vdt.out_len, 5);
	cr_assert_eq(memcmp(vdt.out, "hello", 5), 0);
	cr_assert_eq(vdt.dev.con.tx_bytes, 5);
	cr_assert_eq(__atomic_load_n(&vdt.last_vector, __ATOMIC_SEQ_CST), 2,
		     "not the transmitq's vector");
}

Test(vdev_console, transmit_chain_in_order)
{
	vdt_con_up();
	vdt_put_bytes(VDT_BUF, "wor");
	vdt_put_bytes(VDT_BUF + 0x100, "ld\n");
	vdt_desc(VDT_CON_TX, 4, VDT_BUF, 3, VIRTQ_DESC_F_NEXT, 7);
	vdt_desc(VDT_CON_TX, 7, VDT_BUF + 0x100, 3, 0, 0);
	vdt_put_bytes(VDT_BUF + 0x200, "!");
	vdt_desc(VDT_CON_TX, 9, VDT_BUF + 0x200, 1, 0, 0);
	vdt_publish(VDT_CON_TX, 4);
	vdt_publish(VDT_CON_TX, 9);
	vdt_kick(VDT_CON_TX);
	vdt_wait_used(VDT_CON_TX, 2);
	cr_assert_eq(vdt_used_id(VDT_CON_TX, 0), 4);
	cr_assert_eq(vdt_used_id(VDT_CON_TX, 1), 9);
	cr_assert(vdt_out_has(7));
	cr_assert_eq(memcmp(vdt.out, "world\n!", 7), 0);
}

Test(vdev_console, receive_without_buffers)
{
	vdt_con_up();
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"abc", 3), 0);
	cr_assert_eq(vdt_used_idx(VDT_CON_RX), 0);
	cr_assert_eq(vdt.dev.con.rx_bytes, 0);
}

Test(vdev_console, receive_fills_posted_buffer)
{
	vdt_con_up();
	vdt_desc(VDT_CON_RX, 0, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(VDT_CON_RX, 0);
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"abc", 3), 3);
	cr_assert_eq(vdt_used_idx(VDT_CON_RX), 1);
	cr_assert_eq(vdt_used_id(VDT_CON_RX, 0), 0);
	cr_assert_eq(vdt_used_len(VDT_CON_RX, 0), 3);
	cr_assert_eq(memcmp(vdt_host(VDT_BUF, 3), "abc", 3), 0);
	cr_assert_eq(vdt.dev.con.rx_bytes, 3);
	cr_assert_geq(vdt_raises(), 1);
	/* The buffer is used up: no room now. */
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"d", 1), 0);
}

Test(vdev_console, receive_spreads_over_buffers_and_stops_when_full)
{
	vdt_con_up();
	vdt_desc(VDT_CON_RX, 0, VDT_BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	vdt_desc(VDT_CON_RX, 1, VDT_BUF + 0x100, 3, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(VDT_CON_RX, 0);
	vdt_publish(VDT_CON_RX, 1);
	cr_assert_eq(virtio_console_receive(&vdt.dev.con,
					    (const uint8_t *)"abcdefghij", 10),
		     7);
	cr_assert_eq(vdt_used_idx(VDT_CON_RX), 2);
	cr_assert_eq(vdt_used_len(VDT_CON_RX, 0), 4);
	cr_assert_eq(vdt_used_len(VDT_CON_RX, 1), 3);
	cr_assert_eq(memcmp(vdt_host(VDT_BUF, 4), "abcd", 4), 0);
	cr_assert_eq(memcmp(vdt_host(VDT_BUF + 0x100, 3), "efg", 3), 0);
}

static bool vdt_rx_space_at_least(unsigned int n)
{
	return __atomic_load_n(&vdt.rx_space_calls, __ATOMIC_SEQ_CST) >= n;
}

Test(vdev_console, receiveq_kick_asks_backend_for_input)
{
	unsigned int base;

	vdt_con_up();
	/* The start-up kick already tells the backend once. */
	cr_assert(vdt_poll(vdt_rx_space_at_least, 1, VDT_WAIT_NS));
	base = __atomic_load_n(&vdt.rx_space_calls, __ATOMIC_SEQ_CST);
	vdt_desc(VDT_CON_RX, 0, VDT_BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(VDT_CON_RX, 0);
	vdt_kick(VDT_CON_RX);
	cr_assert(vdt_poll(vdt_rx_space_at_least, base + 1, VDT_WAIT_NS),
		  "receiveq kick did not reach rx_space");
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"xy", 2), 2);
}

Test(vdev_console, receive_when_not_active)
{
	/* Before DRIVER_OK nothing is delivered, even with buffers laid out. */
	vdt_queues();
	vdt_desc(VDT_CON_RX, 0, VDT_BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(VDT_CON_RX, 0);
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"ab", 2), 0);
	vdt_set_status(0);
	/* And after a reset. */
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	vdt_set_status(0);
	cr_assert_not(vdt.dev.con.active);
	cr_assert_not(vdt.dev.con.vdev.running);
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"ab", 2), 0);
	cr_assert_eq(vdt_used_idx(VDT_CON_RX), 0);
}

Test(vdev_console, config_space_and_emergency_write)
{
	uint32_t v = 0, ch = 'E';

	cr_assert_eq(virtio_console_ops.config_size(&vdt.dev.con), 12);
	virtio_console_ops.config_read(&vdt.dev.con, 4, &v, 4);
	cr_assert_eq(v, 1, "max_nr_ports");
	/* Works before the queues are up (early hvc output). */
	virtio_console_ops.config_write(&vdt.dev.con, 8, &ch, 4);
	cr_assert_eq(vdt.out_len, 1);
	cr_assert_eq(vdt.out[0], 'E');
	cr_assert(virtio_console_ops.features(&vdt.dev.con) &
		  VDT_F(VIRTIO_F_VERSION_1));
}

Test(vdev_console, reset_stops_transmit)
{
	vdt_con_up();
	vdt_put_bytes(VDT_BUF, "a");
	vdt_desc(VDT_CON_TX, 0, VDT_BUF, 1, 0, 0);
	vdt_publish(VDT_CON_TX, 0);
	vdt_kick(VDT_CON_TX);
	vdt_wait_used(VDT_CON_TX, 1);
	vdt_set_status(0);
	cr_assert_not(vdt.dev.con.vdev.running);
	vdt_desc(VDT_CON_TX, 1, VDT_BUF, 1, 0, 0);
	vdt_publish(VDT_CON_TX, 1);
	vdt_kick(VDT_CON_TX);
	vdt_assert_used_stays(VDT_CON_TX, 1);
	cr_assert_eq(vdt.out_len, 1);
}

/* --- virtio-blk ----------------------------------------------------------- */

#define BLK_IMG_SECTORS 8192 /* 4 MiB image */
#define BLK_HDR VDT_BUF
#define BLK_DATA (VDT_BUF + 0x1000)
#define BLK_STATUS (VDT_BUF + 0x100)
#define BLK_F_RO 5
#define BLK_F_FLUSH 9
#define BLK_F_MQ 12
#define BLK_F_DISCARD 13
#define BLK_F_WRITE_ZEROES 14

static unsigned int vdt_blk_poll_us;

static void vdt_blk_open(bool read_only, bool use_uring, const char *serial)
{
	struct virtio_blk_params p = {
		.path = vdt.img_path,
		.read_only = read_only,
		.serial = serial,
		.nr_queues = 2,
		.use_uring = use_uring,
		.poll_us = vdt_blk_poll_us,
	};
	struct err e;

	cr_assert_eq(virtio_blk_init(&vdt.dev.blk, &vdt.mem, &p, &e), 0, "%s",
		     e.msg);
	vdt.kind = VDT_BLK;
	vdt_transport(&vdt.dev.blk.ops, &vdt.dev.blk);
}

/* A 4 MiB image whose sector n is filled with the byte n & 0xff. */
static void vdt_blk_image(void)
{
	uint8_t sec[512];
	int fd;

	strcpy(vdt.img_path, "/tmp/vireo-blk-test-XXXXXX");
	fd = mkstemp(vdt.img_path);
	cr_assert_geq(fd, 0);
	for (unsigned int n = 0; n < BLK_IMG_SECTORS; n++) {
		memset(sec, n & 0xff, sizeof(sec));
		cr_assert_eq(write(fd, sec, sizeof(sec)), (ssize_t)sizeof(sec));
	}
	close(fd);
}

static void vdt_blk_setup(void)
{
	vdt_setup();
	vdt_blk_image();
	vdt_blk_open(false, true, "vireo-serial-1");
}

static void vdt_blk_sync_setup(void)
{
	vdt_setup();
	vdt_blk_image();
	vdt_blk_open(false, false, NULL);
}

static void vdt_blk_ro_setup(void)
{
	vdt_setup();
	vdt_blk_image();
	vdt_blk_open(true, true, NULL);
}

/*
 * A polled disk (poll=1000), whose window the test then widens to 100 ms:
 * a test thread descheduled for a while (tests run two at a time, beside
 * other work) must still find the device polling.
 */
#define VDT_POLL_WINDOW_NS (100 * 1000 * 1000ULL)

static void vdt_blk_polled_setup(void)
{
	vdt_setup();
	vdt_blk_image();
	vdt_blk_poll_us = VIRTIO_BLK_POLL_US_MAX;
	vdt_blk_open(false, true, NULL);
	vdt_blk_poll_us = 0;
	virtio_device_set_poll(&vdt.dev.blk.vdev, VDT_POLL_WINDOW_NS);
}

TestSuite(vdev_blk, .init = vdt_blk_setup, .fini = vdt_teardown, .timeout = 10);
TestSuite(vdev_blk_polled, .init = vdt_blk_polled_setup, .fini = vdt_teardown,
	  .timeout = 20);
TestSuite(vdev_blk_sync, .init = vdt_blk_sync_setup, .fini = vdt_teardown,
	  .timeout = 10);
TestSuite(vdev_blk_ro, .init = vdt_blk_ro_setup, .fini = vdt_teardown,
	  .timeout = 10);

static void vdt_blk_hdr(uint64_t gpa, uint32_t type, uint64_t sector)
{
	uint32_t t = htole32(type), z = 0;
	uint64_t s = htole64(sector);
	uint8_t *h = vdt_host(gpa, 16);

	memcpy(h, &t, 4);
	memcpy(h + 4, &z, 4);
	memcpy(h + 8, &s, 8);
}

/*
 * The usual three-descriptor request at head 3*slot: header, data (len
 * bytes; device-writable for reads) and status. Returns the status GPA.
 */
static uint64_t vdt_blk_req(unsigned int q, unsigned int slot, uint32_t type,
			    uint64_t sector, uint32_t len, bool data_in)
{
	uint16_t d = (uint16_t)(3 * slot);
	uint64_t hdr = BLK_HDR + 32 * slot, st = BLK_STATUS + slot;
	uint64_t data = BLK_DATA + 0x2000ULL * slot;

	vdt_blk_hdr(hdr, type, sector);
	*vdt_host(st, 1) = 0xee;
	if (len) {
		vdt_desc(q, d, hdr, 16, VIRTQ_DESC_F_NEXT, d + 1);
		vdt_desc(q, d + 1, data, len,
			 VIRTQ_DESC_F_NEXT | (data_in ? VIRTQ_DESC_F_WRITE : 0),
			 d + 2);
		vdt_desc(q, d + 2, st, 1, VIRTQ_DESC_F_WRITE, 0);
	} else {
		vdt_desc(q, d, hdr, 16, VIRTQ_DESC_F_NEXT, d + 2);
		vdt_desc(q, d + 2, st, 1, VIRTQ_DESC_F_WRITE, 0);
	}
	vdt_publish(q, d);
	return st;
}

static uint8_t vdt_blk_do(unsigned int q, uint32_t type, uint64_t sector,
			  uint32_t len, bool data_in)
{
	uint16_t before = vdt_used_idx(q);
	uint64_t st = vdt_blk_req(q, 0, type, sector, len, data_in);

	vdt_kick(q);
	vdt_wait_used(q, (uint16_t)(before + 1));
	return *vdt_host(st, 1);
}

static void vdt_blk_file_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(vdt.img_path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void vdt_blk_up(void)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1) | VDT_F(BLK_F_FLUSH) |
	       (vdt.dev.blk.img.read_only ? VDT_F(BLK_F_RO) : 0));
}

Test(vdev_blk, config_and_features)
{
	uint64_t cap;
	uint32_t seg_max;
	uint16_t nq;
	uint64_t f = vdt.dev.blk.ops.features(&vdt.dev.blk);

	cr_assert(f & VDT_F(BLK_F_FLUSH));
	cr_assert(f & VDT_F(BLK_F_MQ), "two queues but no F_MQ");
	cr_assert(f & VDT_F(BLK_F_DISCARD));
	cr_assert(f & VDT_F(BLK_F_WRITE_ZEROES));
	cr_assert_not(f & VDT_F(BLK_F_RO));
	cr_assert_eq(vdt.dev.blk.ops.config_size(&vdt.dev.blk), 72);
	vdt.dev.blk.ops.config_read(&vdt.dev.blk, 0, &cap, 8);
	vdt.dev.blk.ops.config_read(&vdt.dev.blk, 12, &seg_max, 4);
	vdt.dev.blk.ops.config_read(&vdt.dev.blk, 34, &nq, 2);
	cr_assert_eq(le64toh(cap), BLK_IMG_SECTORS);
	cr_assert_gt(le32toh(seg_max), 0);
	cr_assert_eq(le16toh(nq), 2);
}

static void vdt_blk_read_sector_5(void)
{
	vdt_blk_up();
	cr_assert_eq(vdt_blk_do(0, 0, 5, 1024, true), 0);
	cr_assert_eq(vdt_used_len(0, 0), 1025);
	cr_assert_eq(vdt_host(BLK_DATA, 1024)[0], 5);
	cr_assert_eq(vdt_host(BLK_DATA, 1024)[1023], 6);
}

Test(vdev_blk, read_lands_in_guest_memory)
{
	vdt_blk_read_sector_5();
}

Test(vdev_blk_sync, read_lands_in_guest_memory)
{
	vdt_blk_read_sector_5();
}

static void vdt_blk_write_flush(void)
{
	uint8_t back[512];

	vdt_blk_up();
	memset(vdt_host(BLK_DATA, 512), 0xab, 512);
	cr_assert_eq(vdt_blk_do(0, 1, 7, 512, false), 0);
	cr_assert_eq(vdt_used_len(0, 0), 1);
	cr_assert_eq(vdt_blk_do(0, 4, 0, 0, false), 0, "flush failed");
	vdt_blk_file_read(7 * 512, back, sizeof(back));
	cr_assert_eq(back[0], 0xab);
	cr_assert_eq(back[511], 0xab);
	cr_assert_eq(vdt.dev.blk.stats.flushes, 1);
}

Test(vdev_blk, write_and_flush_reach_the_image)
{
	vdt_blk_write_flush();
}

Test(vdev_blk_sync, write_and_flush_reach_the_image)
{
	vdt_blk_write_flush();
}

Test(vdev_blk_polled, read_lands_in_guest_memory)
{
	vdt_blk_read_sector_5();
}

Test(vdev_blk_polled, write_and_flush_reach_the_image)
{
	vdt_blk_write_flush();
}

/* Spins (no sleep: the polling window is 1 ms) until q's used idx is idx. */
static bool vdt_spin_used(unsigned int q, uint16_t idx, int64_t wait_ns)
{
	int64_t end = vdt_now_ns() + wait_ns;

	while (vdt_used_idx(q) != idx)
		if (vdt_now_ns() > end)
			return false;
	return true;
}

/*
 * Right after a kicked request completes, the device is still polling: a
 * request published without a kick is served. A test thread descheduled
 * for longer than the window misses it, so it gets 50 tries.
 */
Test(vdev_blk_polled, request_without_a_kick_is_served_while_polling)
{
	unsigned int tries, polled = 0;
	uint16_t idx;

	vdt_blk_up();
	for (tries = 0; tries < 50 && !polled; tries++) {
		idx = vdt_used_idx(0);
		vdt_blk_req(0, 0, 0, 5, 512, true);
		vdt_kick(0);
		cr_assert(vdt_spin_used(0, (uint16_t)(idx + 1), VDT_WAIT_NS));
		vdt_blk_req(0, 1, 0, 6, 512, true);
		if (vdt_spin_used(0, (uint16_t)(idx + 2), 20 * 1000 * 1000))
			polled++;
		else
			vdt_kick(0);
		cr_assert(vdt_spin_used(0, (uint16_t)(idx + 2), VDT_WAIT_NS));
		cr_assert_eq(*vdt_host(BLK_STATUS + 1, 1), 0);
	}
	cr_assert_eq(polled, 1, "no unkicked request served in %u tries",
		     tries);
}

static uint16_t vdt_used_flags(unsigned int q)
{
	return le16toh(__atomic_load_n((uint16_t *)vdt_host(VDT_USED(q), 2),
				       __ATOMIC_ACQUIRE));
}

/*
 * While it polls, the device asks for no kicks (VIRTQ_USED_F_NO_NOTIFY: a
 * guest then spares itself the exits); before it sleeps it asks for them
 * again, and a kick is heard.
 */
Test(vdev_blk_polled, kicks_off_while_polling_and_on_before_sleeping)
{
	unsigned int tries;
	bool seen_off = false;
	uint16_t idx;

	vdt_blk_up();
	for (tries = 0; tries < 50 && !seen_off; tries++) {
		idx = vdt_used_idx(0);
		vdt_blk_req(0, 0, 0, 5, 512, true);
		vdt_kick(0);
		cr_assert(vdt_spin_used(0, (uint16_t)(idx + 1), VDT_WAIT_NS));
		seen_off = vdt_used_flags(0) & VIRTQ_USED_F_NO_NOTIFY;
	}
	cr_assert(seen_off, "kicks never off in %u polling windows", tries);
	/* Three windows after the last work, the device sleeps. */
	usleep(3 * VDT_POLL_WINDOW_NS / 1000);
	cr_assert_eq(vdt_used_flags(0) & VIRTQ_USED_F_NO_NOTIFY, 0,
		     "asleep with kicks off: the next kick would be lost");
	cr_assert_eq(vdt_blk_do(0, 0, 6, 512, true), 0);
}

Test(vdev_blk, many_requests_in_flight_on_two_queues)
{
	unsigned int q, i;

	vdt_blk_up();
	for (q = 0; q < 2; q++)
		for (i = 0; i < 4; i++)
			vdt_blk_req(q, i, 0, 100 + 4 * q + i, 512, true);
	vdt_kick(0);
	vdt_kick(1);
	vdt_wait_used(0, 4);
	vdt_wait_used(1, 4);
	for (q = 0; q < 2; q++)
		for (i = 0; i < 4; i++) {
			cr_assert_eq(*vdt_host(BLK_STATUS + i, 1), 0);
		}
	cr_assert_eq(vdt.dev.blk.stats.reads, 8);
}

Test(vdev_blk, sector_past_the_end_is_an_io_error)
{
	uint8_t back[512];

	vdt_blk_up();
	memset(vdt_host(BLK_DATA, 1024), 0x5a, 1024);
	/* The last sector plus one more: nothing may be written. */
	cr_assert_eq(vdt_blk_do(0, 1, BLK_IMG_SECTORS - 1, 1024, false), 1);
	cr_assert_eq(vdt_blk_do(0, 0, UINT64_MAX / 256, 512, true), 1);
	vdt_blk_file_read((BLK_IMG_SECTORS - 1) * 512ULL, back, 512);
	cr_assert_eq(back[0], (BLK_IMG_SECTORS - 1) & 0xff);
	cr_assert_eq(vdt_status(), SPLIT_RING_STATUS_UP);
}

Test(vdev_blk, zero_length_and_unaligned_data_are_io_errors)
{
	vdt_blk_up();
	cr_assert_eq(vdt_blk_do(0, 0, 0, 0, true), 1);
	cr_assert_eq(vdt_blk_do(0, 0, 0, 100, true), 1);
}

Test(vdev_blk, unknown_type_is_unsupported)
{
	vdt_blk_up();
	cr_assert_eq(vdt_blk_do(0, 77, 0, 0, false), 2);
	cr_assert_eq(vdt.dev.blk.stats.unsupported, 1);
}

Test(vdev_blk, short_header_is_an_io_error)
{
	vdt_blk_up();
	vdt_blk_hdr(BLK_HDR, 0, 0);
	vdt_desc(0, 0, BLK_HDR, 8, VIRTQ_DESC_F_NEXT, 1);
	vdt_desc(0, 1, BLK_STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	*vdt_host(BLK_STATUS, 1) = 0xee;
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
	cr_assert_eq(*vdt_host(BLK_STATUS, 1), 1);
}

Test(vdev_blk, status_not_writable_needs_reset)
{
	vdt_blk_up();
	vdt_blk_hdr(BLK_HDR, 0, 0);
	vdt_desc(0, 0, BLK_HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vdt_desc(0, 1, BLK_STATUS, 1, 0, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	cr_assert(vdt_poll(vdt_needs_reset, 0, VDT_WAIT_NS),
		  "request without a status byte accepted");
	cr_assert_eq(vdt_used_idx(0), 0);
}

Test(vdev_blk, get_id_returns_the_serial)
{
	vdt_blk_up();
	cr_assert_eq(vdt_blk_do(0, 8, 0, 20, true), 0);
	cr_assert_eq(vdt_used_len(0, 0), 21);
	cr_assert_eq(memcmp(vdt_host(BLK_DATA, 20), "vireo-serial-1\0", 15), 0);
}

Test(vdev_blk_sync, get_id_without_serial_is_unsupported)
{
	vdt_blk_up();
	cr_assert_eq(vdt_blk_do(0, 8, 0, 20, true), 2);
}

static void vdt_blk_range(uint64_t sector, uint32_t n, uint32_t flags)
{
	uint8_t *r = vdt_host(BLK_DATA, 16);
	uint64_t s = htole64(sector);
	uint32_t ns = htole32(n), f = htole32(flags);

	memcpy(r, &s, 8);
	memcpy(r + 8, &ns, 4);
	memcpy(r + 12, &f, 4);
}

Test(vdev_blk, discard_punches_a_hole)
{
	struct stat before, after;
	uint8_t back[512];

	vdt_blk_up();
	cr_assert_eq(stat(vdt.img_path, &before), 0);
	vdt_blk_range(0, BLK_IMG_SECTORS, 0);
	cr_assert_eq(vdt_blk_do(0, 11, 0, 16, false), 0);
	cr_assert_eq(stat(vdt.img_path, &after), 0);
	cr_assert_lt(after.st_blocks, before.st_blocks, "blocks %ld -> %ld",
		     (long)before.st_blocks, (long)after.st_blocks);
	cr_assert_eq(after.st_size, before.st_size, "discard changed the size");
	vdt_blk_file_read(512, back, sizeof(back));
	cr_assert_eq(back[0], 0);
	/* The unmap flag is reserved for discard. */
	vdt_blk_range(0, 8, 1);
	cr_assert_eq(vdt_blk_do(0, 11, 0, 16, false), 2);
}

Test(vdev_blk, write_zeroes_and_range_checks)
{
	uint8_t back[512];

	vdt_blk_up();
	vdt_blk_range(8, 2, 0);
	cr_assert_eq(vdt_blk_do(0, 13, 0, 16, false), 0);
	vdt_blk_file_read(9 * 512, back, sizeof(back));
	cr_assert_eq(back[0], 0);
	vdt_blk_file_read(10 * 512, back, sizeof(back));
	cr_assert_eq(back[0], 10, "zeroed past the range");
	vdt_blk_range(BLK_IMG_SECTORS - 1, 2, 0);
	cr_assert_eq(vdt_blk_do(0, 13, 0, 16, false), 1);
}

Test(vdev_blk_ro, writes_fail_and_the_image_is_unchanged)
{
	uint8_t back[512];
	uint64_t f = vdt.dev.blk.ops.features(&vdt.dev.blk);

	cr_assert(f & VDT_F(BLK_F_RO));
	cr_assert_not(f & VDT_F(BLK_F_DISCARD));
	vdt_blk_up();
	memset(vdt_host(BLK_DATA, 512), 0xab, 512);
	cr_assert_eq(vdt_blk_do(0, 1, 3, 512, false), 1);
	vdt_blk_range(0, 8, 0);
	cr_assert_eq(vdt_blk_do(0, 11, 0, 16, false), 1);
	cr_assert_eq(vdt_blk_do(0, 0, 3, 512, true), 0, "reads must work");
	cr_assert_eq(vdt_host(BLK_DATA, 1)[0], 3);
	vdt_blk_file_read(3 * 512, back, sizeof(back));
	cr_assert_eq(back[0], 3);
}

Test(vdev_blk, second_writer_is_locked_out)
{
	struct disk_image img;
	struct err e;

	cr_assert_eq(disk_image_open(&img, vdt.img_path, false, &e), -1);
	cr_assert(strstr(e.msg, "in use"), "%s", e.msg);
	cr_assert_eq(disk_image_open(&img, vdt.img_path, true, &e), -1);
	cr_assert_eq(disk_image_open(&img, "/nonexistent/x.img", true, &e), -1);
	cr_assert(strstr(e.msg, "not found"), "%s", e.msg);
}

Test(vdev_blk, reset_with_requests_in_flight)
{
	vdt_blk_up();
	for (unsigned int i = 0; i < 4; i++)
		vdt_blk_req(0, i, 0, i, 1024, true);
	vdt_kick(0);
	vdt_reset();
	cr_assert_not(vdt.dev.blk.vdev.running);
	vdt_blk_up();
	cr_assert_eq(vdt_blk_do(0, 0, 5, 512, true), 0);
}

/* --- one drain loop, one notify rule (defect 3) --------------------------- */

static unsigned int vdt_vector_raises(uint16_t vector)
{
	return __atomic_load_n(&vdt.vector_raises[vector], __ATOMIC_SEQ_CST);
}

static bool vdt_vector_raised(unsigned int vector)
{
	return vdt_vector_raises((uint16_t)vector) > 0;
}

/*
 * A broken chain after a good one: the good completion is in the used ring
 * and its queue interrupt is raised, besides NEEDS_RESET.
 */
Test(vdev_rng, broken_chain_after_good_ones_still_interrupts)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	vdt_desc(0, 0, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_desc(0, 1, VDT_BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 99);
	vdt_publish(0, 0);
	vdt_publish(0, 1);
	vdt_kick(0);
	cr_assert(vdt_poll(vdt_needs_reset, 0, VDT_WAIT_NS));
	vdt_wait_used(0, 1);
	cr_assert(vdt_poll(vdt_vector_raised, 1, VDT_WAIT_NS),
		  "good completion published without a queue interrupt");
}

static void vdt_rx_buf(unsigned int q, uint16_t head, uint64_t gpa,
		       uint32_t len)
{
	vdt_desc(q, head, gpa, len, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(q, head);
}

/* The same rule on virtio-console's receive path (not the drain loop). */
Test(vdev_console, receive_broken_after_good_still_interrupts)
{
	vdt_con_up();
	vdt_rx_buf(VDT_CON_RX, 0, VDT_BUF, 2);
	vdt_rx_buf(VDT_CON_RX, 1, 0x40000000, 2); /* outside RAM */
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"abcd", 4),
	    2);
	cr_assert(vdt_status() & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(vdt_used_idx(VDT_CON_RX), 1);
	cr_assert(vdt_poll(vdt_vector_raised, VDT_CON_RX + 1, VDT_WAIT_NS),
		  "receive published without a queue interrupt");
}

/* virtio-blk drains through the same loop: same rule. */
Test(vdev_blk, broken_chain_after_good_ones_still_interrupts)
{
	vdt_blk_up();
	vdt_blk_req(0, 0, VIRTIO_BLK_T_GET_ID, 0, 0, false);
	/* A chain with no writable byte: nowhere to put a status. */
	vdt_blk_hdr(BLK_HDR + 32, VIRTIO_BLK_T_IN, 0);
	vdt_desc(0, 3, BLK_HDR + 32, 16, 0, 0);
	vdt_publish(0, 3);
	vdt_kick(0);
	cr_assert(vdt_poll(vdt_needs_reset, 0, VDT_WAIT_NS));
	vdt_wait_used(0, 1);
	cr_assert(vdt_poll(vdt_vector_raised, 1, VDT_WAIT_NS),
		  "good completion published without a queue interrupt");
}

/* --- a queue the driver did not enable (defect 6) ------------------------- */

Test(vdev_console, input_with_only_tx_enabled_is_not_an_error)
{
	vdt_queues();
	vdt.t.queues[VDT_CON_RX].enabled = false;
	cr_assert_eq(vdt_negotiate(VDT_F(VIRTIO_F_VERSION_1)),
		     SPLIT_RING_STATUS_UP);
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"hi", 2), 0);
	cr_assert_eq(vdt_status() & VIRTIO_STATUS_NEEDS_RESET, 0,
		     "a disabled receiveq made the device NEEDS_RESET");
	/* Transmit still works. */
	vdt_put_bytes(VDT_BUF, "ok");
	vdt_desc(VDT_CON_TX, 0, VDT_BUF, 2, 0, 0);
	vdt_publish(VDT_CON_TX, 0);
	vdt_kick(VDT_CON_TX);
	vdt_wait_used(VDT_CON_TX, 1);
	cr_assert_eq(vdt_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* --- a backend that cannot take output (defect 12) ------------------------ */

static void vdt_con_send(uint16_t head, const char *s)
{
	uint64_t gpa = VDT_BUF + 0x100ULL * head;

	vdt_put_bytes(gpa, s);
	vdt_desc(VDT_CON_TX, head, gpa, (uint32_t)strlen(s), 0, 0);
	vdt_publish(VDT_CON_TX, head);
	vdt_kick(VDT_CON_TX);
}

Test(vdev_console, full_backend_holds_the_chain_and_resumes)
{
	vdt_con_up();
	vdt.out_room = 3;
	vdt_con_send(0, "hello");
	cr_assert(vdt_poll(vdt_out_has, 3, VDT_WAIT_NS));
	vdt_assert_used_stays(VDT_CON_TX, 0);
	/* The backend drains and says so: the rest follows, in order. */
	pthread_mutex_lock(&vdt.be_lock);
	vdt.out_room = SIZE_MAX;
	pthread_mutex_unlock(&vdt.be_lock);
	vdt_con_send(1, "!");
	virtio_console_tx_space(&vdt.dev.con);
	vdt_wait_used(VDT_CON_TX, 2);
	cr_assert_eq(vdt.out_len, 6);
	cr_assert_arr_eq(vdt.out, "hello!", 6);
}

Test(vdev_console, reset_is_prompt_with_the_backend_full)
{
	int64_t t0;

	vdt_con_up();
	vdt.out_room = 0;
	vdt_con_send(0, "stuck");
	vdt_assert_used_stays(VDT_CON_TX, 0);
	/* The emergency write (a vCPU, transport lock held) never waits. */
	uint32_t ch = 'x';
	virtio_console_ops.config_write(&vdt.dev.con, 8, &ch, 4);
	cr_assert_eq(vdt.dev.con.emerg_dropped, 1);
	t0 = vdt_now_ns();
	vdt_set_status(0);
	cr_assert_lt(vdt_now_ns() - t0, 500000000LL, "reset took too long");
	cr_assert_not(vdt.dev.con.vdev.running);
}

/* --- per-queue reset and bus mastering ------------------------------------ */

Test(vdev_console, queue_reset_stops_one_queue_only)
{
	vdt_con_up();
	virtio_console_ops.queue_reset(&vdt.dev.con, VDT_CON_TX);
	vdt_con_send(0, "gone");
	vdt_assert_used_stays(VDT_CON_TX, 0);
	cr_assert_eq(vdt.out_len, 0);
	/* The other queue is still served. */
	vdt_rx_buf(VDT_CON_RX, 0, VDT_BUF + 0x1000, 8);
	cr_assert_eq(
	    virtio_console_receive(&vdt.dev.con, (const uint8_t *)"in", 2), 2);
	cr_assert_eq(vdt_used_idx(VDT_CON_RX), 1);
	cr_assert_eq(vdt_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(vdev_rng, nothing_served_while_bus_mastering_is_off)
{
	vdt_up(VDT_F(VIRTIO_F_VERSION_1));
	__atomic_store_n(&vdt.t.dma_off, true, __ATOMIC_RELEASE);
	vdt_desc(0, 0, VDT_BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_assert_used_stays(0, 0);
	cr_assert_eq(vdt_raises(), 0);
	/* Back on: the transport re-kicks, the work is done. */
	__atomic_store_n(&vdt.t.dma_off, false, __ATOMIC_RELEASE);
	vdt_kick(0);
	vdt_wait_used(0, 1);
}

/* --- size_max and seg_max (defect 9) ---------------------------------------
 */

Test(vdev_blk, segment_over_size_max_fails_before_any_io)
{
	const uint64_t data = 0x100000;
	const uint32_t len = BLK_SIZE_MAX + 512;
	uint8_t *p;

	vdt_blk_up();
	p = vdt_host(data, len);
	memset(p, 0xcc, len);
	vdt_blk_hdr(BLK_HDR, VIRTIO_BLK_T_IN, 0);
	*vdt_host(BLK_STATUS, 1) = 0xee;
	vdt_desc(0, 0, BLK_HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vdt_desc(0, 1, data, len, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vdt_desc(0, 2, BLK_STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
	cr_assert_eq(*vdt_host(BLK_STATUS, 1), VIRTIO_BLK_S_IOERR);
	for (uint32_t i = 0; i < len; i += 512)
		cr_assert_eq(p[i], 0xcc, "read ran despite size_max");
}

Test(vdev_blk, more_segments_than_seg_max_fail)
{
	const uint64_t table = 0x200000, data = 0x210000;
	const unsigned int nseg = BLK_SEG_MAX + 1;

	vdt_up(VDT_F(VIRTIO_F_VERSION_1) | VDT_F(VIRTIO_F_RING_INDIRECT_DESC));
	vdt_blk_hdr(BLK_HDR, VIRTIO_BLK_T_IN, 0);
	*vdt_host(BLK_STATUS, 1) = 0xee;
	vdt_desc_at(table, 0, BLK_HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	for (unsigned int i = 0; i < nseg; i++)
		vdt_desc_at(table, 1 + i, data + 512ULL * i, 512,
			    VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
			    (uint16_t)(2 + i));
	vdt_desc_at(table, 1 + nseg, BLK_STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vdt_desc(0, 0, table, 16 * (nseg + 2), VIRTQ_DESC_F_INDIRECT, 0);
	vdt_publish(0, 0);
	vdt_kick(0);
	vdt_wait_used(0, 1);
	cr_assert_eq(*vdt_host(BLK_STATUS, 1), VIRTIO_BLK_S_IOERR);
	/* One segment fewer is fine. */
	*vdt_host(BLK_STATUS, 1) = 0xee;
	vdt_desc_at(table, nseg, BLK_STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vdt_desc(0, 1, table, 16 * (nseg + 1), VIRTQ_DESC_F_INDIRECT, 0);
	vdt_publish(0, 1);
	vdt_kick(0);
	vdt_wait_used(0, 2);
	cr_assert_eq(*vdt_host(BLK_STATUS, 1), VIRTIO_BLK_S_OK);
}

/*
 * Per-queue reset with reads in flight: it returns with nothing of the
 * queue in flight, the queue stays silent, the other queue is served.
 */
Test(vdev_blk, queue_reset_forgets_one_queue_only)
{
	uint16_t frozen;

	vdt_blk_up();
	for (unsigned int i = 0; i < 4; i++)
		vdt_blk_req(0, i, VIRTIO_BLK_T_IN, i, 1024, true);
	vdt_kick(0);
	vdt.dev.blk.ops.queue_reset(&vdt.dev.blk, 0);
	cr_assert(vdt.dev.blk.vdev.running, "I/O thread not resumed");
	frozen = vdt_used_idx(0);
	cr_assert_eq(vdt_blk_do(1, VIRTIO_BLK_T_IN, 5, 512, true),
		     VIRTIO_BLK_S_OK);
	vdt_assert_used_stays(0, frozen);
	cr_assert_eq(vdt_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}
