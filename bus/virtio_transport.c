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

void virtio_transport_destroy(struct virtio_transport *t)
{
	pthread_mutex_destroy(&t->lock);
}

void virtio_transport_reset(struct virtio_transport *t)
{
	unsigned int q;

	if (t->active)
		t->ops->reset(t->dev);
	t->active = false;
	t->status = 0;
	t->isr = 0;
	t->driver_features = 0;
	t->device_feature_select = t->driver_feature_select = 0;
	t->queue_select = 0;
	t->config_vector = VIRTIO_NO_VECTOR;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		struct virtio_queue_config *qc = &t->queues[q];

		qc->size = qc->max_size;
		qc->enabled = false;
		qc->desc_gpa = qc->driver_gpa = qc->device_gpa = 0;
		qc->vector = VIRTIO_NO_VECTOR;
	}
}

/*
 * FEATURES_OK holds only if the driver accepted a subset of what we offer
 * and, on the modern interface, VERSION_1 (virtio 1.2, 3.1.1 and 6.1).
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

static void mark_needs_reset(struct virtio_transport *t)
{
	__atomic_or_fetch(&t->status, VIRTIO_STATUS_NEEDS_RESET,
			  __ATOMIC_SEQ_CST);
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

void virtio_transport_set_status(struct virtio_transport *t, uint8_t status)
{
	uint8_t old = t->status;

	if (status == 0) {
		virtio_transport_reset(t);
		return;
	}
	if ((status & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(t))
		status &= ~VIRTIO_STATUS_FEATURES_OK;
	status = store_driver_status(t, status);
	if ((status & VIRTIO_STATUS_DRIVER_OK) &&
	    !(old & VIRTIO_STATUS_DRIVER_OK) && !t->active &&
	    !(status & VIRTIO_STATUS_FAILED)) {
		/* Legacy drivers skip FEATURES_OK; modern ones must set it. */
		if (!t->legacy && !(status & VIRTIO_STATUS_FEATURES_OK)) {
			mark_needs_reset(t);
			return;
		}
		t->active = true;
		if (t->ops->activate(t->dev, t) < 0) {
			t->active = false;
			mark_needs_reset(t);
		}
	}
}

void virtio_transport_notify_queue(struct virtio_transport *t,
				   unsigned int queue)
{
	__atomic_or_fetch(&t->isr, VIRTIO_ISR_QUEUE, __ATOMIC_SEQ_CST);
	if (queue < VIRTIO_MAX_QUEUES)
		t->raise(t, t->queues[queue].vector);
}

void virtio_transport_notify_config(struct virtio_transport *t)
{
	__atomic_or_fetch(&t->isr, VIRTIO_ISR_CONFIG, __ATOMIC_SEQ_CST);
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

struct virtio_queue_config *
virtio_transport_selected_queue(struct virtio_transport *t)
{
	if (t->queue_select >= t->ops->nr_queues)
		return NULL;
	return &t->queues[t->queue_select];
}

void virtio_transport_config_access(struct virtio_transport *t, uint32_t off,
				    void *data, unsigned int len, bool write)
{
	if (off + len > t->ops->config_size(t->dev))
		return;
	if (write && t->ops->config_write)
		t->ops->config_write(t->dev, off, data, len);
	else if (!write)
		t->ops->config_read(t->dev, off, data, len);
}
