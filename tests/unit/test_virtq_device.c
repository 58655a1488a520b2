// SPDX-License-Identifier: MIT
/*
 * Packed rings and per-queue reset through a real device: virtio-rng with
 * its I/O thread on a bare transport (as test_virtio_devices.c does for
 * split rings), the test playing a packed-ring driver (packed_ring.h) and
 * kicking the queue's eventfd as the guest's notify would.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio/rng.h"
#include "packed_ring.h"

#define VDP_RAM (1u << 20)
#define VDP_DESC 0x10000ULL
#define VDP_DESC2 0x20000ULL /* the ring after the reset */
#define VDP_DRV 0x30000ULL
#define VDP_DEV 0x30010ULL
#define VDP_BUF 0x40000ULL
#define VDP_F(bit) (1ull << (bit))

static struct {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_transport t;
	struct virtio_rng rng;
	struct packed_ring r;
	unsigned int raises;
} vdp;

static void vdp_raise(struct virtio_transport *t, uint16_t vector)
{
	(void)t;
	(void)vector;
	__atomic_add_fetch(&vdp.raises, 1, __ATOMIC_SEQ_CST);
}

static void vdp_setup(void)
{
	struct err e;

	memset(&vdp, 0, sizeof(vdp));
	vdp.ram = aligned_alloc(4096, VDP_RAM);
	cr_assert_not_null(vdp.ram);
	memset(vdp.ram, 0, VDP_RAM);
	cr_assert_eq(guest_mem_add_region(&vdp.mem, 0, VDP_RAM, vdp.ram), 0);
	cr_assert_eq(virtio_rng_init(&vdp.rng, &vdp.mem, &e), 0, "%s", e.msg);
	cr_assert_eq(virtio_transport_init(&vdp.t, &virtio_rng_ops, &vdp.rng),
		     0);
	vdp.t.raise = vdp_raise;
	/* What --virtio-features all=+ring_packed,+ring_reset offers. */
	vdp.t.device_features |=
	    VDP_F(VIRTIO_F_RING_PACKED) | VDP_F(VIRTIO_F_RING_RESET);
	vdp.t.queues[0].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert_geq(vdp.t.queues[0].kick_fd, 0);
}

static void vdp_teardown(void)
{
	virtio_transport_quiesce(&vdp.t);
	virtio_rng_destroy(&vdp.rng);
	close(vdp.t.queues[0].kick_fd);
	virtio_transport_destroy(&vdp.t);
	free(vdp.ram);
}

TestSuite(virtq_device, .init = vdp_setup, .fini = vdp_teardown, .timeout = 10);

static void vdp_reg(enum virtio_reg r, uint32_t v)
{
	pthread_mutex_lock(&vdp.t.lock);
	virtio_transport_reg_write(&vdp.t, r, v);
	pthread_mutex_unlock(&vdp.t.lock);
}

static void vdp_queue(uint16_t size, uint64_t desc)
{
	vdp_reg(VIRTIO_REG_QUEUE_SEL, 0);
	vdp_reg(VIRTIO_REG_QUEUE_SIZE, size);
	vdp_reg(VIRTIO_REG_QUEUE_ADDR, (uint32_t)desc);
	vdp_reg(VIRTIO_REG_QUEUE_ADDR + 2, (uint32_t)VDP_DRV);
	vdp_reg(VIRTIO_REG_QUEUE_ADDR + 4, (uint32_t)VDP_DEV);
	packed_ring_init(&vdp.r, vdp.ram + desc, vdp.ram + VDP_DRV,
			 vdp.ram + VDP_DEV, size);
	vdp_reg(VIRTIO_REG_QUEUE_READY, 1);
}

static void vdp_up(uint64_t features)
{
	vdp_reg(VIRTIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vdp_reg(VIRTIO_REG_STATUS,
		VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdp_reg(VIRTIO_REG_DRIVER_FEATURES_SEL, 0);
	vdp_reg(VIRTIO_REG_DRIVER_FEATURES, (uint32_t)features);
	vdp_reg(VIRTIO_REG_DRIVER_FEATURES_SEL, 1);
	vdp_reg(VIRTIO_REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vdp_reg(VIRTIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				       VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK);
	vdp_queue(16, VDP_DESC);
	vdp_reg(VIRTIO_REG_STATUS,
		VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	cr_assert(vdp.t.active);
}

/* One 64-byte buffer as id; waits for the device to fill it. */
static void vdp_request(uint16_t id, uint64_t gpa)
{
	const struct packed_ring_buf b = { gpa, 64, true };
	uint64_t one = 1;
	struct timespec ts = { 0, 1000000 };
	uint32_t len = 0;
	uint16_t got = 0xffff;
	unsigned int i;

	packed_ring_add(&vdp.r, &b, 1, id);
	cr_assert_eq(write(vdp.t.queues[0].kick_fd, &one, 8), 8);
	for (i = 0; i < 2000 && !packed_ring_get_used(&vdp.r, &got, &len); i++)
		nanosleep(&ts, NULL);
	cr_assert_eq(got, id, "no used buffer %u", id);
	cr_assert_eq(len, 64);
}

static bool vdp_zero(uint64_t gpa)
{
	static const uint8_t zero[64];

	return !memcmp(vdp.ram + gpa, zero, 64);
}

Test(virtq_device, rng_over_a_packed_ring)
{
	unsigned int i;

	vdp_up(VDP_F(VIRTIO_F_VERSION_1) | VDP_F(VIRTIO_F_RING_PACKED) |
	       VDP_F(VIRTIO_F_RING_EVENT_IDX));
	cr_assert(vdp.rng.vdev.queues[0].vq.packed);
	/* 40 requests on a 16-entry ring: two and a half laps. */
	for (i = 0; i < 40; i++) {
		vdp_request((uint16_t)(i % 5), VDP_BUF + 64 * i);
		cr_assert_not(vdp_zero(VDP_BUF + 64 * i), "request %u", i);
	}
	cr_assert_gt(__atomic_load_n(&vdp.raises, __ATOMIC_SEQ_CST), 0);
	cr_assert_eq(vdp.t.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(virtq_device, queue_reset_and_resize_while_running)
{
	unsigned int i;

	vdp_up(VDP_F(VIRTIO_F_VERSION_1) | VDP_F(VIRTIO_F_RING_PACKED) |
	       VDP_F(VIRTIO_F_RING_RESET));
	vdp_request(0, VDP_BUF);
	vdp_request(1, VDP_BUF + 64);
	pthread_mutex_lock(&vdp.t.lock);
	vdp.t.queue_select = 0;
	virtio_transport_reset_queue(&vdp.t);
	pthread_mutex_unlock(&vdp.t.lock);
	cr_assert_not(vdp.rng.vdev.queues[0].enabled, "queue 0 stopped");
	cr_assert(vdp.rng.vdev.running, "the device thread runs on");
	/* Smaller, somewhere else, its wrap counters fresh. */
	vdp_queue(4, VDP_DESC2);
	cr_assert(vdp.rng.vdev.queues[0].enabled);
	cr_assert_eq(vdp.rng.vdev.queues[0].vq.size, 4);
	for (i = 0; i < 10; i++) { /* past the new ring's wrap */
		vdp_request((uint16_t)(i % 3), VDP_BUF + 128 + 64 * i);
		cr_assert_not(vdp_zero(VDP_BUF + 128 + 64 * i), "request %u",
			      i);
	}
	cr_assert_eq(vdp.t.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}
