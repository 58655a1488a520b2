// SPDX-License-Identifier: MIT
#include "bus/virtio_transport.h"

#include <string.h>
#include <unistd.h>

int virtio_transport_init(struct virtio_transport *t,
			  const struct virtio_dev_ops *ops, void *dev)
{
	unsigned int q;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->ops = ops;
	t->dev = dev;
	t->device_features = ops->features(dev);
	t->config_vector = VIRTIO_NO_VECTOR;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		t->queues[q].kick_fd = -1;
		t->queues[q].vector = VIRTIO_NO_VECTOR;
		t->queues[q].max_size = ops->queue_max_size;
		t->queues[q].size = ops->queue_max_size;
	}
	return 0;
}

void virtio_transport_quiesce(struct virtio_transport *t)
{
	pthread_mutex_lock(&t->lock);
	virtio_transport_reset(t);
	pthread_mutex_unlock(&t->lock);
}

void virtio_transport_destroy(struct virtio_transport *t)
{
	virtio_transport_close_kicks(t);
	pthread_mutex_destroy(&t->lock);
}

void virtio_transport_reset(struct virtio_transport *t)
{
	unsigned int q;

	if (t->hooks)
		virtio_trace_simple(t->hooks, "reset");
	if (t->active)
		t->ops->reset(t->dev);
	t->active = false;
	/* Device threads are quiesced, but may still read these. */
	__atomic_store_n(&t->status, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->isr, 0, __ATOMIC_SEQ_CST);
	t->driver_features = 0;
	t->device_feature_select = t->driver_feature_select = 0;
	t->queue_select = 0;
	t->config_vector = VIRTIO_NO_VECTOR;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		struct virtio_queue_config *qc = &t->queues[q];

		qc->size = qc->max_size;
		qc->enabled = false;
		qc->reset = false;
		qc->desc_gpa = qc->driver_gpa = qc->device_gpa = 0;
		qc->vector = VIRTIO_NO_VECTOR;
	}
}

/*
 * The driver's features fit the offer and, on the modern interface,
 * include VERSION_1 (virtio 1.2, 3.1.1 and 6.1); then the device decides.
 */
static bool features_acceptable(const struct virtio_transport *t)
{
	if (t->driver_features & ~t->device_features)
		return false;
	if (!t->legacy && !(t->driver_features & (1ull << VIRTIO_F_VERSION_1)))
		return false;
	return !t->ops->features_ok ||
	       t->ops->features_ok(t->dev, t->driver_features);
}

/* Sets NEEDS_RESET; true if this call set it. */
static bool mark_needs_reset(struct virtio_transport *t)
{
	bool first = !(__atomic_fetch_or(&t->status, VIRTIO_STATUS_NEEDS_RESET,
					 __ATOMIC_SEQ_CST) &
		       VIRTIO_STATUS_NEEDS_RESET);

	if (first && t->hooks)
		virtio_trace_simple(t->hooks, "needs_reset");
	return first;
}

/*
 * The device owns NEEDS_RESET; the driver cannot set or clear it. A device
 * thread may set it while the driver writes status, so the driver's bits
 * go in with a compare-and-swap that keeps it. Returns the stored value.
 */
static uint8_t store_driver_status(struct virtio_transport *t, uint8_t status)
{
	uint8_t cur = __atomic_load_n(&t->status, __ATOMIC_SEQ_CST), next;

	do {
		next = (uint8_t)((status & ~VIRTIO_STATUS_NEEDS_RESET) |
				 (cur & VIRTIO_STATUS_NEEDS_RESET));
	} while (!__atomic_compare_exchange_n(
	    &t->status, &cur, next, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return next;
}

void virtio_transport_driver_error(struct virtio_transport *t)
{
	if (t->active)
		t->ops->reset(t->dev);
	t->active = false;
	if (mark_needs_reset(t))
		virtio_transport_notify_config(t);
}

#define DRIVER_STEPS                                                           \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |                    \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

/*
 * Virtio 1.2, 3.1.1: the driver adds ACKNOWLEDGE, DRIVER, FEATURES_OK,
 * DRIVER_OK in that order (a legacy driver skips FEATURES_OK) and clears
 * them only by writing 0. FAILED may come at any time.
 */
static bool status_step_valid(const struct virtio_transport *t, uint8_t old,
			      uint8_t status)
{
	uint8_t needs_for_driver_ok =
	    t->legacy ? VIRTIO_STATUS_DRIVER : VIRTIO_STATUS_FEATURES_OK;

	if (old & DRIVER_STEPS & ~status)
		return false;
	if ((status & VIRTIO_STATUS_DRIVER) &&
	    !(status & VIRTIO_STATUS_ACKNOWLEDGE))
		return false;
	if ((status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(status & VIRTIO_STATUS_DRIVER))
		return false;
	return !(status & VIRTIO_STATUS_DRIVER_OK) ||
	       ((status & needs_for_driver_ok) &&
		(status & VIRTIO_STATUS_DRIVER));
}

static void activate(struct virtio_transport *t)
{
	/* Legacy drivers have no FEATURES_OK: their features are judged now. */
	if (!(__atomic_load_n(&t->status, __ATOMIC_SEQ_CST) &
	      VIRTIO_STATUS_FEATURES_OK) &&
	    !features_acceptable(t)) {
		virtio_transport_driver_error(t);
		return;
	}
	t->active = true;
	if (t->ops->activate(t->dev, t) < 0) {
		t->active = false;
		mark_needs_reset(t);
	}
}

void virtio_transport_set_status(struct virtio_transport *t, uint8_t status)
{
	uint8_t old = __atomic_load_n(&t->status, __ATOMIC_SEQ_CST);
	uint8_t added;

	if (status == 0) {
		virtio_transport_reset(t);
		if (t->hooks)
			virtio_trace_status(t->hooks, old, 0);
		return;
	}
	status &= DRIVER_STEPS | VIRTIO_STATUS_FAILED;
	if (!status_step_valid(t, old, status)) {
		store_driver_status(t, status);
		virtio_transport_driver_error(t);
		return;
	}
	added = status & ~old;
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(t))
		status &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((added & VIRTIO_STATUS_FEATURES_OK) && t->hooks)
		virtio_trace_features(t->hooks, t->device_features,
				      t->driver_features,
				      status & VIRTIO_STATUS_FEATURES_OK);
	if ((added & VIRTIO_STATUS_DRIVER_OK) &&
	    !status_step_valid(t, old, status)) {
		/* DRIVER_OK over a refused FEATURES_OK. */
		store_driver_status(t, status);
		virtio_transport_driver_error(t);
		return;
	}
	status = store_driver_status(t, status);
	if (t->hooks)
		virtio_trace_status(t->hooks, old, status);
	/* A device that needs a reset never starts again without one. */
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !t->active &&
	    !(status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET)))
		activate(t);
}

void virtio_transport_write_status(struct virtio_transport *t, bool legacy,
				   uint8_t status)
{
	bool started =
	    __atomic_load_n(&t->status, __ATOMIC_SEQ_CST) & DRIVER_STEPS;

	if (legacy != t->legacy) {
		/* The other interface of a transitional device. */
		if (started && status) {
			virtio_transport_driver_error(t);
			return;
		}
		t->legacy = legacy;
	}
	virtio_transport_set_status(t, status);
}

void virtio_transport_notify_queue(struct virtio_transport *t,
				   unsigned int queue)
{
	__atomic_or_fetch(&t->isr, VIRTIO_ISR_QUEUE, __ATOMIC_SEQ_CST);
	if (queue >= VIRTIO_MAX_QUEUES)
		return;
	if (t->hooks)
		virtio_trace_irq(t->hooks, (int)queue, t->queues[queue].vector);
	t->raise(t, t->queues[queue].vector);
}

void virtio_transport_notify_config(struct virtio_transport *t)
{
	__atomic_or_fetch(&t->isr, VIRTIO_ISR_CONFIG, __ATOMIC_SEQ_CST);
	if (t->hooks)
		virtio_trace_irq(t->hooks, -1, t->config_vector);
	t->raise(t, t->config_vector);
}

void virtio_transport_set_needs_reset(struct virtio_transport *t)
{
	mark_needs_reset(t);
	virtio_transport_notify_config(t);
}

bool virtio_transport_has_feature(const struct virtio_transport *t,
				  unsigned int bit)
{
	return t->driver_features & (1ull << bit);
}

uint8_t virtio_transport_read_isr(struct virtio_transport *t)
{
	return __atomic_exchange_n(&t->isr, 0, __ATOMIC_SEQ_CST);
}
