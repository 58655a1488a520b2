// SPDX-License-Identifier: MIT
/*
 * Per-queue reset (VIRTIO_F_RING_RESET, virtio 1.2, 2.6.1) in the shared
 * transport rules: one queue stops and is reconfigured while DRIVER_OK
 * stays set and the other queue is left alone; enabling it again hands
 * the device its new configuration.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bus/virtio_transport.h"

#define VQR_FEATURES                                                           \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_RESET))

static struct {
	struct virtio_transport t;
	unsigned int resets[2], enables[2], raises;
	int enable_ret;
	struct virtio_queue_config seen; /* at the last queue_enable */
	bool no_enable_op;
} vqr;

static uint64_t vqr_features(void *dev)
{
	(void)dev;
	return VQR_FEATURES;
}

static uint32_t vqr_config_size(void *dev)
{
	(void)dev;
	return 0;
}

static int vqr_activate(void *dev, struct virtio_transport *t)
{
	(void)dev;
	(void)t;
	return 0;
}

static void vqr_reset(void *dev)
{
	(void)dev;
}

static void vqr_queue_reset(void *dev, unsigned int q)
{
	(void)dev;
	vqr.resets[q]++;
}

static int vqr_queue_enable(void *dev, unsigned int q)
{
	(void)dev;
	vqr.enables[q]++;
	vqr.seen = vqr.t.queues[q];
	return vqr.enable_ret;
}

static const struct virtio_dev_ops vqr_ops = {
	.name = "fake",
	.device_id = 42,
	.nr_queues = 2,
	.queue_max_size = 256,
	.features = vqr_features,
	.config_size = vqr_config_size,
	.activate = vqr_activate,
	.queue_reset = vqr_queue_reset,
	.queue_enable = vqr_queue_enable,
	.reset = vqr_reset,
};

static struct virtio_dev_ops vqr_ops_no_enable;

static void vqr_raise(struct virtio_transport *t, uint16_t vector)
{
	(void)t;
	(void)vector;
	vqr.raises++;
}

static void reg(enum virtio_reg r, uint32_t v)
{
	virtio_transport_reg_write(&vqr.t, r, v);
}

static uint32_t reg_read(enum virtio_reg r)
{
	return virtio_transport_reg_read(&vqr.t, r);
}

/* Both queues set up, the device running, with features f. */
static void vqr_start(uint64_t f)
{
	unsigned int q;

	reg(VIRTIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	reg(VIRTIO_REG_STATUS,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	reg(VIRTIO_REG_DRIVER_FEATURES_SEL, 0);
	reg(VIRTIO_REG_DRIVER_FEATURES, (uint32_t)f);
	reg(VIRTIO_REG_DRIVER_FEATURES_SEL, 1);
	reg(VIRTIO_REG_DRIVER_FEATURES, (uint32_t)(f >> 32));
	reg(VIRTIO_REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				   VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK);
	for (q = 0; q < 2; q++) {
		reg(VIRTIO_REG_QUEUE_SEL, q);
		reg(VIRTIO_REG_QUEUE_SIZE, 128);
		reg(VIRTIO_REG_QUEUE_ADDR, 0x10000 * (q + 1));
		reg(VIRTIO_REG_QUEUE_READY, 1);
	}
	reg(VIRTIO_REG_STATUS,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	cr_assert(vqr.t.active);
}

static void vqr_setup(void)
{
	memset(&vqr, 0, sizeof(vqr));
	vqr_ops_no_enable = vqr_ops;
	vqr_ops_no_enable.queue_enable = NULL;
	cr_assert_eq(virtio_transport_init(&vqr.t, &vqr_ops, NULL), 0);
	vqr.t.raise = vqr_raise;
}

static void vqr_teardown(void)
{
	virtio_transport_destroy(&vqr.t);
}

TestSuite(virtq_reset, .init = vqr_setup, .fini = vqr_teardown);

Test(virtq_reset, ignored_without_the_feature)
{
	vqr_start(1ull << VIRTIO_F_VERSION_1);
	reg(VIRTIO_REG_QUEUE_SEL, 0);
	virtio_transport_reset_queue(&vqr.t);
	cr_assert_eq(vqr.resets[0], 0);
	cr_assert(vqr.t.queues[0].enabled);
	cr_assert_not(virtio_transport_queue_is_reset(&vqr.t));
}

Test(virtq_reset, one_queue_reconfigured_and_back)
{
	vqr_start(VQR_FEATURES);
	reg(VIRTIO_REG_QUEUE_SEL, 0);
	virtio_transport_reset_queue(&vqr.t);
	cr_assert_eq(vqr.resets[0], 1);
	cr_assert_eq(vqr.resets[1], 0, "the other queue keeps running");
	cr_assert(virtio_transport_queue_is_reset(&vqr.t));
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_READY), 0);
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_SIZE), 256, "back to default");
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_ADDR), 0);
	cr_assert(vqr.t.queues[1].enabled);

	/* Writable again although DRIVER_OK is set. */
	reg(VIRTIO_REG_QUEUE_SIZE, 64);
	reg(VIRTIO_REG_QUEUE_ADDR, 0x40000);
	reg(VIRTIO_REG_QUEUE_ADDR + 2, 0x41000);
	reg(VIRTIO_REG_QUEUE_ADDR + 4, 0x42000);
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_SIZE), 64);
	/* ...but not the queue that was not reset. */
	reg(VIRTIO_REG_QUEUE_SEL, 1);
	reg(VIRTIO_REG_QUEUE_SIZE, 32);
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_SIZE), 128);

	reg(VIRTIO_REG_QUEUE_SEL, 0);
	reg(VIRTIO_REG_QUEUE_READY, 1);
	cr_assert_eq(vqr.enables[0], 1);
	cr_assert_eq(vqr.seen.size, 64);
	cr_assert_eq(vqr.seen.desc_gpa, 0x40000);
	cr_assert_eq(vqr.seen.driver_gpa, 0x41000);
	cr_assert_eq(vqr.seen.device_gpa, 0x42000);
	cr_assert(vqr.seen.enabled);
	cr_assert_not(virtio_transport_queue_is_reset(&vqr.t));
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_READY), 1);
	/* Frozen again once enabled. */
	reg(VIRTIO_REG_QUEUE_SIZE, 32);
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_SIZE), 64);
	cr_assert_eq(vqr.t.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(virtq_reset, enable_failure_needs_reset)
{
	vqr_start(VQR_FEATURES);
	reg(VIRTIO_REG_QUEUE_SEL, 1);
	virtio_transport_reset_queue(&vqr.t);
	vqr.enable_ret = -1;
	reg(VIRTIO_REG_QUEUE_READY, 1);
	cr_assert_eq(vqr.enables[1], 1);
	cr_assert(vqr.t.status & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_gt(vqr.raises, 0, "config interrupt");
}

Test(virtq_reset, device_without_enable_op_needs_reset)
{
	virtio_transport_destroy(&vqr.t);
	cr_assert_eq(virtio_transport_init(&vqr.t, &vqr_ops_no_enable, NULL),
		     0);
	vqr.t.raise = vqr_raise;
	vqr_start(VQR_FEATURES);
	reg(VIRTIO_REG_QUEUE_SEL, 0);
	virtio_transport_reset_queue(&vqr.t);
	reg(VIRTIO_REG_QUEUE_READY, 1);
	cr_assert(vqr.t.status & VIRTIO_STATUS_NEEDS_RESET);
}

Test(virtq_reset, device_reset_clears_it)
{
	vqr_start(VQR_FEATURES);
	reg(VIRTIO_REG_QUEUE_SEL, 0);
	virtio_transport_reset_queue(&vqr.t);
	reg(VIRTIO_REG_STATUS, 0);
	cr_assert_not(virtio_transport_queue_is_reset(&vqr.t));
	/* Not writable before the driver starts over. */
	reg(VIRTIO_REG_QUEUE_SEL, 0);
	cr_assert_eq(reg_read(VIRTIO_REG_QUEUE_SIZE), 256);
}
