// SPDX-License-Identifier: MIT
/*
 * The transport-independent virtio rules (bus/virtio_transport.c): status
 * and feature negotiation, activation, reset, NEEDS_RESET ownership, and
 * interrupt/ISR bookkeeping, against a fake device.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bus/virtio_transport.h"
#include "tests/unit/stderr_capture.h"

#define VTT_F_VERSION_1 (1ull << VIRTIO_F_VERSION_1)
#define VTT_F_DEV_A (1ull << 0)
#define VTT_F_DEV_B (1ull << 5)
#define VTT_F_UNOFFERED (1ull << 7)

#define VTT_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define VTT_DRV VIRTIO_STATUS_DRIVER
#define VTT_FOK VIRTIO_STATUS_FEATURES_OK
#define VTT_DOK VIRTIO_STATUS_DRIVER_OK

struct vtt_dev {
	uint64_t features;
	int activate_ret;
	unsigned int activates, resets;
	struct virtio_transport *activated_with;
	uint64_t features_at_activate;
};

static struct {
	struct vtt_dev dev;
	struct virtio_transport t;
	unsigned int raises;
	uint16_t vectors[16];
} vtt;

static uint64_t vtt_features(void *dev)
{
	return ((struct vtt_dev *)dev)->features;
}

static uint32_t vtt_config_size(void *dev)
{
	(void)dev;
	return 0;
}

static int vtt_activate(void *dev, struct virtio_transport *t)
{
	struct vtt_dev *d = dev;

	d->activates++;
	d->activated_with = t;
	d->features_at_activate = t->driver_features;
	return d->activate_ret;
}

static void vtt_reset(void *dev)
{
	((struct vtt_dev *)dev)->resets++;
}

static const struct virtio_dev_ops vtt_ops = {
	.name = "fake",
	.device_id = 42,
	.nr_queues = 2,
	.queue_max_size = 64,
	.features = vtt_features,
	.config_size = vtt_config_size,
	.activate = vtt_activate,
	.reset = vtt_reset,
};

static void vtt_raise(struct virtio_transport *t, uint16_t vector)
{
	cr_assert_eq(t, &vtt.t);
	if (vtt.raises < 16)
		vtt.vectors[vtt.raises] = vector;
	vtt.raises++;
}

static void vtt_setup(void)
{
	memset(&vtt, 0, sizeof(vtt));
	vtt.dev.features = VTT_F_VERSION_1 | VTT_F_DEV_A | VTT_F_DEV_B;
	cr_assert_eq(virtio_transport_init(&vtt.t, &vtt_ops, &vtt.dev), 0);
	vtt.t.raise = vtt_raise;
}

static void vtt_teardown(void)
{
	virtio_transport_destroy(&vtt.t);
}

TestSuite(vtransport, .init = vtt_setup, .fini = vtt_teardown);

static void vtt_status(uint8_t s)
{
	pthread_mutex_lock(&vtt.t.lock);
	virtio_transport_set_status(&vtt.t, s);
	pthread_mutex_unlock(&vtt.t.lock);
}

static uint8_t vtt_get_status(void)
{
	return vtt.t.status;
}

/* ACK, DRIVER, features, FEATURES_OK: returns whether it held. */
static bool vtt_negotiate(uint64_t features)
{
	vtt_status(VTT_ACK);
	vtt_status(VTT_ACK | VTT_DRV);
	vtt.t.driver_features = features;
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK);
	return vtt_get_status() & VTT_FOK;
}

Test(vtransport, init_state)
{
	cr_assert_eq(vtt.t.device_features, vtt.dev.features);
	cr_assert_eq(vtt.t.status, 0);
	cr_assert_eq(vtt.t.config_vector, VIRTIO_NO_VECTOR);
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		cr_assert_eq(vtt.t.queues[q].kick_fd, -1);
		cr_assert_eq(vtt.t.queues[q].vector, VIRTIO_NO_VECTOR);
		cr_assert_eq(vtt.t.queues[q].max_size, 64);
		cr_assert_not(vtt.t.queues[q].enabled);
	}
}

Test(vtransport, features_ok_accepted_for_offered_subset)
{
	cr_assert(vtt_negotiate(VTT_F_VERSION_1 | VTT_F_DEV_B));
	cr_assert_eq(vtt_get_status(), VTT_ACK | VTT_DRV | VTT_FOK);
	cr_assert(virtio_transport_has_feature(&vtt.t, 5));
	cr_assert_not(virtio_transport_has_feature(&vtt.t, 0));
	cr_assert(virtio_transport_has_feature(&vtt.t, VIRTIO_F_VERSION_1));
}

Test(vtransport, features_ok_refused_for_unoffered_bit)
{
	cr_assert_not(vtt_negotiate(VTT_F_VERSION_1 | VTT_F_UNOFFERED));
	cr_assert_eq(vtt_get_status(), VTT_ACK | VTT_DRV);
	/* Driver fixes its selection and tries again: accepted. */
	vtt.t.driver_features = VTT_F_VERSION_1;
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK);
	cr_assert(vtt_get_status() & VTT_FOK);
}

Test(vtransport, features_ok_refused_without_version_1)
{
	cr_assert_not(vtt_negotiate(VTT_F_DEV_A));
	cr_assert_not(vtt_negotiate(0));
}

Test(vtransport, features_ok_refused_on_high_unoffered_bit)
{
	cr_assert_not(vtt_negotiate(VTT_F_VERSION_1 | (1ull << 63)));
	cr_assert_not(vtt_negotiate(VTT_F_VERSION_1 | (1ull << 33)));
}

Test(vtransport, driver_ok_activates_once)
{
	cr_assert(vtt_negotiate(VTT_F_VERSION_1 | VTT_F_DEV_A));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 1);
	cr_assert_eq(vtt.dev.activated_with, &vtt.t);
	cr_assert_eq(vtt.dev.features_at_activate,
		     VTT_F_VERSION_1 | VTT_F_DEV_A);
	cr_assert(vtt.t.active);
	cr_assert_eq(vtt_get_status(), VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	/* Rewriting the same status (or adding bits) does not re-activate. */
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 1);
	cr_assert_eq(vtt.dev.resets, 0);
}

Test(vtransport, modern_driver_ok_without_features_ok)
{
	vtt_status(VTT_ACK);
	vtt_status(VTT_ACK | VTT_DRV);
	vtt.t.driver_features = VTT_F_VERSION_1;
	vtt_status(VTT_ACK | VTT_DRV | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 0);
	cr_assert_not(vtt.t.active);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
}

Test(vtransport, refused_features_never_activate)
{
	cr_assert_not(vtt_negotiate(VTT_F_VERSION_1 | VTT_F_UNOFFERED));
	/* A driver that ignores the refusal and goes on. */
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 0);
	cr_assert_not(vtt.t.active);
}

Test(vtransport, legacy_skips_features_ok)
{
	vtt.t.legacy = true;
	vtt_status(VTT_ACK);
	vtt_status(VTT_ACK | VTT_DRV);
	vtt.t.driver_features = VTT_F_DEV_A; /* no VERSION_1 in legacy */
	vtt_status(VTT_ACK | VTT_DRV | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 1);
	cr_assert(vtt.t.active);
	cr_assert_eq(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(vtransport, legacy_still_refuses_unoffered_bits)
{
	vtt.t.legacy = true;
	cr_assert(vtt_negotiate(VTT_F_DEV_A), "legacy needs no VERSION_1");
	vtt_status(0);
	vtt.t.legacy = true;
	cr_assert_not(vtt_negotiate(VTT_F_UNOFFERED));
}

Test(vtransport, failed_driver_never_activates)
{
	cr_assert(vtt_negotiate(VTT_F_VERSION_1));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK |
		   VIRTIO_STATUS_FAILED);
	cr_assert_eq(vtt.dev.activates, 0);
}

Test(vtransport, activate_failure_sets_needs_reset)
{
	vtt.dev.activate_ret = -1;
	cr_assert(vtt_negotiate(VTT_F_VERSION_1));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 1);
	cr_assert_not(vtt.t.active);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
	/* Reset of a device that never activated: no reset op needed. */
	vtt_status(0);
	cr_assert_eq(vtt.dev.resets, 0);
	cr_assert_eq(vtt_get_status(), 0);
	/* And it can be brought up again. */
	vtt.dev.activate_ret = 0;
	cr_assert(vtt_negotiate(VTT_F_VERSION_1));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 2);
	cr_assert(vtt.t.active);
	cr_assert_eq(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(vtransport, reset_clears_state)
{
	cr_assert(vtt_negotiate(VTT_F_VERSION_1 | VTT_F_DEV_A));
	vtt.t.queues[1].size = 16;
	vtt.t.queues[1].enabled = true;
	vtt.t.queues[1].desc_gpa = 0x1000;
	vtt.t.queues[1].driver_gpa = 0x2000;
	vtt.t.queues[1].device_gpa = 0x3000;
	vtt.t.queues[1].vector = 3;
	vtt.t.queues[1].kick_fd = 99;
	vtt.t.config_vector = 0;
	vtt.t.queue_select = 1;
	vtt.t.device_feature_select = 1;
	vtt.t.driver_feature_select = 1;
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	virtio_transport_notify_queue(&vtt.t, 1);
	cr_assert_neq(vtt.t.isr, 0);

	vtt_status(0);
	cr_assert_eq(vtt.dev.resets, 1);
	cr_assert_not(vtt.t.active);
	cr_assert_eq(vtt.t.status, 0);
	cr_assert_eq(vtt.t.driver_features, 0);
	cr_assert_eq(vtt.t.device_features, vtt.dev.features,
		     "device features are not the driver's to clear");
	cr_assert_eq(vtt.t.isr, 0);
	cr_assert_eq(vtt.t.queue_select, 0);
	cr_assert_eq(vtt.t.device_feature_select, 0);
	cr_assert_eq(vtt.t.driver_feature_select, 0);
	cr_assert_eq(vtt.t.config_vector, VIRTIO_NO_VECTOR);
	cr_assert_not(vtt.t.queues[1].enabled);
	cr_assert_eq(vtt.t.queues[1].size, 64);
	cr_assert_eq(vtt.t.queues[1].desc_gpa, 0);
	cr_assert_eq(vtt.t.queues[1].driver_gpa, 0);
	cr_assert_eq(vtt.t.queues[1].device_gpa, 0);
	cr_assert_eq(vtt.t.queues[1].vector, VIRTIO_NO_VECTOR);
	cr_assert_eq(vtt.t.queues[1].kick_fd, 99,
		     "kick eventfd is the transport's");
	vtt.t.queues[1].kick_fd = -1; /* not a real descriptor */
	/* A second reset is harmless and does not call the device again. */
	vtt_status(0);
	cr_assert_eq(vtt.dev.resets, 1);
	/* Re-initialisation works from scratch. */
	cr_assert(vtt_negotiate(VTT_F_VERSION_1));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 2);
}

Test(vtransport, driver_cannot_touch_needs_reset)
{
	cr_assert(vtt_negotiate(VTT_F_VERSION_1));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	/* The driver cannot set it... */
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK |
		   VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
	/* ...the device can, with a config interrupt... */
	vtt.t.config_vector = 2;
	virtio_transport_set_needs_reset(&vtt.t);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(vtt.raises, 1);
	cr_assert_eq(vtt.vectors[0], 2);
	cr_assert(vtt.t.isr & VIRTIO_ISR_CONFIG);
	/* ...and the driver cannot clear it short of a reset. */
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
	vtt_status(VTT_ACK);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
	vtt_status(0);
	cr_assert_eq(vtt_get_status(), 0);
	cr_assert_eq(vtt.dev.resets, 1);
}

Test(vtransport, notify_queue_and_config)
{
	vtt.t.queues[0].vector = 1;
	vtt.t.queues[1].vector = 4;
	vtt.t.config_vector = 0;

	virtio_transport_notify_queue(&vtt.t, 1);
	cr_assert_eq(vtt.raises, 1);
	cr_assert_eq(vtt.vectors[0], 4);
	cr_assert_eq(vtt.t.isr, VIRTIO_ISR_QUEUE);
	virtio_transport_notify_queue(&vtt.t, 0);
	cr_assert_eq(vtt.vectors[1], 1);
	virtio_transport_notify_config(&vtt.t);
	cr_assert_eq(vtt.raises, 3);
	cr_assert_eq(vtt.vectors[2], 0);
	cr_assert_eq(vtt.t.isr, VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);

	cr_assert_eq(virtio_transport_read_isr(&vtt.t),
		     VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
	cr_assert_eq(virtio_transport_read_isr(&vtt.t), 0, "ISR not cleared");
	virtio_transport_notify_config(&vtt.t);
	cr_assert_eq(virtio_transport_read_isr(&vtt.t), VIRTIO_ISR_CONFIG);
}

Test(vtransport, notify_out_of_range_queue)
{
	/* Sets the ISR but raises nothing for a queue that cannot exist. */
	virtio_transport_notify_queue(&vtt.t, VIRTIO_MAX_QUEUES);
	cr_assert_eq(vtt.raises, 0);
	cr_assert_eq(virtio_transport_read_isr(&vtt.t), VIRTIO_ISR_QUEUE);
}

Test(vtransport, notify_without_vectors_uses_no_vector)
{
	virtio_transport_notify_queue(&vtt.t, 0);
	virtio_transport_notify_config(&vtt.t);
	cr_assert_eq(vtt.raises, 2);
	cr_assert_eq(vtt.vectors[0], VIRTIO_NO_VECTOR);
	cr_assert_eq(vtt.vectors[1], VIRTIO_NO_VECTOR);
}

/* ---- the status state machine (virtio 1.2, 2.1 and 3.1.1) ---------------- */

static void vtt_live(void)
{
	cr_assert(vtt_negotiate(VTT_F_VERSION_1 | VTT_F_DEV_A));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert(vtt.t.active);
}

static void vtt_assert_stopped(void)
{
	cr_assert_eq(vtt.dev.resets, 1, "device not stopped");
	cr_assert_not(vtt.t.active);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
}

Test(vtransport, clearing_driver_ok_stops_the_device)
{
	vtt_live();
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK);
	vtt_assert_stopped();
	/* DRIVER_OK again, without a reset: never reactivates. */
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 1);
	cr_assert_not(vtt.t.active);
}

Test(vtransport, clearing_features_ok_stops_the_device)
{
	vtt_live();
	vtt_status(VTT_ACK | VTT_DRV | VTT_DOK);
	vtt_assert_stopped();
}

Test(vtransport, clearing_a_bit_before_driver_ok_is_an_error)
{
	cr_assert(vtt_negotiate(VTT_F_VERSION_1));
	vtt_status(VTT_ACK);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
	/* The rest of the sequence does not bring the device up. */
	vtt_status(VTT_ACK | VTT_DRV);
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK);
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 0);
	cr_assert_eq(vtt.dev.resets, 0, "never active, nothing to stop");
}

Test(vtransport, bits_out_of_order_are_an_error)
{
	static const uint8_t bad[] = {
		VTT_DRV,
		VTT_ACK | VTT_FOK,
		VTT_ACK | VTT_DRV | VTT_DOK, /* modern: no FEATURES_OK */
		VTT_ACK | VTT_DOK,
		VTT_DOK,
	};

	for (unsigned int i = 0; i < sizeof(bad); i++) {
		vtt_status(0);
		vtt.t.driver_features = VTT_F_VERSION_1;
		vtt_status(bad[i]);
		cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET,
			  "status %#x accepted", bad[i]);
		cr_assert_eq(vtt.dev.activates, 0);
	}
}

Test(vtransport, legacy_driver_ok_needs_driver)
{
	vtt.t.legacy = true;
	vtt_status(VTT_ACK | VTT_DOK);
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(vtt.dev.activates, 0);
}

Test(vtransport, failed_at_any_time_is_no_error)
{
	vtt_status(VIRTIO_STATUS_FAILED);
	vtt_status(VTT_ACK | VIRTIO_STATUS_FAILED);
	cr_assert_eq(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
	vtt_status(0);
	vtt_live();
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK |
		   VIRTIO_STATUS_FAILED);
	cr_assert_eq(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(vtransport, needs_reset_until_reset_then_works_again)
{
	vtt_live();
	vtt_status(VTT_ACK);
	vtt_assert_stopped();
	vtt_status(0);
	cr_assert_eq(vtt_get_status(), 0);
	vtt_live();
	cr_assert_eq(vtt.dev.activates, 2);
}

Test(vtransport, driver_error_raises_config_interrupt_once)
{
	vtt.t.config_vector = 1;
	vtt_live();
	vtt_status(VTT_ACK);
	vtt_status(VTT_DRV);
	vtt_status(VTT_DOK);
	cr_assert_eq(vtt.raises, 1);
	cr_assert_eq(vtt.vectors[0], 1);
}

Test(vtransport, driver_features_only_between_driver_and_features_ok)
{
	pthread_mutex_lock(&vtt.t.lock);
	virtio_transport_write_driver_features(&vtt.t, 0, 1);
	pthread_mutex_unlock(&vtt.t.lock);
	cr_assert_eq(vtt.t.driver_features, 0, "before DRIVER");
	vtt_status(VTT_ACK | VTT_DRV);
	pthread_mutex_lock(&vtt.t.lock);
	virtio_transport_write_driver_features(&vtt.t, 1, 1);
	virtio_transport_write_driver_features(&vtt.t, 0, 1);
	virtio_transport_write_driver_features(&vtt.t, 2, 7); /* no word 2 */
	pthread_mutex_unlock(&vtt.t.lock);
	cr_assert_eq(vtt.t.driver_features, VTT_F_VERSION_1 | VTT_F_DEV_A);
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK);
	pthread_mutex_lock(&vtt.t.lock);
	virtio_transport_write_driver_features(&vtt.t, 0, 0x21);
	pthread_mutex_unlock(&vtt.t.lock);
	cr_assert_eq(vtt.t.driver_features, VTT_F_VERSION_1 | VTT_F_DEV_A);
}

Test(vtransport, legacy_features_one_word_until_driver_ok)
{
	vtt.t.legacy = true;
	vtt_status(VTT_ACK | VTT_DRV);
	pthread_mutex_lock(&vtt.t.lock);
	virtio_transport_write_driver_features(&vtt.t, 1, 1);
	virtio_transport_write_driver_features(&vtt.t, 0, 0x21);
	cr_assert_eq(virtio_transport_device_features(&vtt.t, 1), 0);
	pthread_mutex_unlock(&vtt.t.lock);
	cr_assert_eq(vtt.t.driver_features, VTT_F_DEV_A | VTT_F_DEV_B);
	vtt_status(VTT_ACK | VTT_DRV | VTT_DOK);
	pthread_mutex_lock(&vtt.t.lock);
	virtio_transport_write_driver_features(&vtt.t, 0, 0);
	pthread_mutex_unlock(&vtt.t.lock);
	cr_assert_eq(vtt.t.driver_features, VTT_F_DEV_A | VTT_F_DEV_B);
}

/* ---- features_ok (defect 2) ---------------------------------------------- */

static bool vtt_refuse(void *dev, uint64_t features)
{
	(void)dev;
	(void)features;
	return false;
}

static struct virtio_dev_ops vtt_refusing_ops;

static void vtt_setup_refusing(void)
{
	vtt_setup();
	vtt_refusing_ops = vtt_ops;
	vtt_refusing_ops.features_ok = vtt_refuse;
	vtt.t.ops = &vtt_refusing_ops;
}

Test(vtransport, features_ok_refusal_at_features_ok, .init = vtt_setup_refusing)
{
	cr_assert_not(vtt_negotiate(VTT_F_VERSION_1));
	vtt_status(VTT_ACK | VTT_DRV | VTT_FOK | VTT_DOK);
	cr_assert_eq(vtt.dev.activates, 0);
}

Test(vtransport, legacy_cycling_3_7_with_refused_features,
     .init = vtt_setup_refusing)
{
	struct stderr_capture cap;
	long bytes;

	vtt.t.legacy = true;
	stderr_capture_begin(&cap);
	for (unsigned int i = 0; i < 20000; i++) {
		if (i % 2)
			vtt_status(0);
		vtt_status(VTT_ACK | VTT_DRV);
		vtt.t.driver_features = VTT_F_DEV_A;
		vtt_status(VTT_ACK | VTT_DRV | VTT_DOK);
	}
	bytes = stderr_capture_end(&cap);
	cr_assert_eq(vtt.dev.activates, 0, "refused features activated");
	cr_assert(vtt_get_status() & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_leq(bytes, 200, "%ld bytes on stderr", bytes);
}

/* ---- NEEDS_RESET from a device thread vs driver status writes ----------- */

static struct {
	struct virtio_transport t;
	struct vtt_dev dev;
	unsigned int raises;
} vtr;

static void vtr_raise(struct virtio_transport *t, uint16_t vector)
{
	(void)t;
	(void)vector;
	__atomic_add_fetch(&vtr.raises, 1, __ATOMIC_RELAXED);
}

static void *vtr_device(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < 2000; i++)
		if (i == 1000)
			virtio_transport_set_needs_reset(&vtr.t);
	return NULL;
}

Test(vtransport, needs_reset_from_device_thread_survives_status_writes)
{
	pthread_t th;

	for (unsigned int round = 0; round < 50; round++) {
		memset(&vtr, 0, sizeof(vtr));
		vtr.dev.features = VTT_F_VERSION_1;
		virtio_transport_init(&vtr.t, &vtt_ops, &vtr.dev);
		vtr.t.raise = vtr_raise;
		pthread_mutex_lock(&vtr.t.lock);
		virtio_transport_set_status(&vtr.t, VTT_ACK);
		pthread_mutex_unlock(&vtr.t.lock);
		cr_assert_eq(pthread_create(&th, NULL, vtr_device, NULL), 0);
		for (unsigned int i = 0; i < 500; i++) {
			pthread_mutex_lock(&vtr.t.lock);
			virtio_transport_set_status(
			    &vtr.t, VTT_ACK | VIRTIO_STATUS_FAILED * (i & 1));
			pthread_mutex_unlock(&vtr.t.lock);
		}
		pthread_join(th, NULL);
		cr_assert(__atomic_load_n(&vtr.t.status, __ATOMIC_SEQ_CST) &
			      VIRTIO_STATUS_NEEDS_RESET,
			  "round %u: the device's NEEDS_RESET was lost", round);
		cr_assert_eq(vtr.raises, 1);
		virtio_transport_destroy(&vtr.t);
	}
}
