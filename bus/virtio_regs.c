// SPDX-License-Identifier: MIT
/*
 * The register rules every virtio transport shares: features, queue
 * setup (modern and legacy layout) and queue notification eventfds. PCI
 * modern, PCI legacy and MMIO only decode their offsets into these.
 */
#include "bus/virtio_transport.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

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
	if (t->hooks && !write && t->hooks->config_read)
		t->hooks->config_read(t->hooks, t, off, data, len);
	if (t->hooks)
		virtio_trace_config(t->hooks, off, data, len, write);
}

/* ---- features ------------------------------------------------------------ */

static uint32_t feature_word(const struct virtio_transport *t, uint64_t f,
			     uint32_t sel)
{
	if (sel >= (t->legacy ? 1u : 2u))
		return 0;
	return (uint32_t)(f >> (32 * sel));
}

uint32_t virtio_transport_device_features(const struct virtio_transport *t,
					  uint32_t sel)
{
	return feature_word(t, t->device_features, sel);
}

uint32_t virtio_transport_driver_features(const struct virtio_transport *t,
					  uint32_t sel)
{
	return feature_word(t, t->driver_features, sel);
}

void virtio_transport_write_driver_features(struct virtio_transport *t,
					    uint32_t sel, uint32_t v)
{
	uint8_t status = __atomic_load_n(&t->status, __ATOMIC_SEQ_CST);

	if (!(status & VIRTIO_STATUS_DRIVER) ||
	    (status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK |
		       VIRTIO_STATUS_NEEDS_RESET)))
		return;
	if (t->legacy) {
		/* One word of features: the write is the whole set. */
		if (sel == 0)
			t->driver_features = v;
	} else if (sel < 2) {
		t->driver_features &= ~(0xffffffffull << (32 * sel));
		t->driver_features |= (uint64_t)v << (32 * sel);
	}
}

/* ---- queue setup -----------------------------------------------------------
 */

/* The selected queue if its setup may still change, else NULL. */
static struct virtio_queue_config *writable_queue(struct virtio_transport *t)
{
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	if (!qc || qc->enabled ||
	    ((__atomic_load_n(&t->status, __ATOMIC_SEQ_CST) &
	      VIRTIO_STATUS_DRIVER_OK) &&
	     !qc->reset))
		return NULL;
	return qc;
}

/* A queue reset alone comes back while the others run. */
static void enable_reset_queue(struct virtio_transport *t,
			       struct virtio_queue_config *qc)
{
	qc->enabled = true;
	qc->reset = false;
	if (!t->active)
		return;
	if (!t->ops->queue_enable) {
		virtio_transport_driver_error(t);
		return;
	}
	if (t->ops->queue_enable(t->dev, t->queue_select) < 0)
		virtio_transport_set_needs_reset(t);
}

static uint64_t *queue_addr_field(struct virtio_queue_config *qc,
				  unsigned int half)
{
	switch (half / 2) {
	case 0:
		return &qc->desc_gpa;
	case 1:
		return &qc->driver_gpa;
	default:
		return &qc->device_gpa;
	}
}

static void write_queue(struct virtio_transport *t, enum virtio_reg reg,
			uint32_t v)
{
	struct virtio_queue_config *qc = writable_queue(t);
	unsigned int half = reg - VIRTIO_REG_QUEUE_ADDR,
		     shift = 32 * (half % 2);
	uint64_t *a;

	if (!qc)
		return;
	if (reg == VIRTIO_REG_QUEUE_SIZE) {
		if (v && v <= qc->max_size && !(v & (v - 1)))
			qc->size = (uint16_t)v;
	} else if (reg == VIRTIO_REG_QUEUE_READY) {
		if (v == 1 && qc->reset)
			enable_reset_queue(t, qc);
		else
			qc->enabled = v == 1;
		if (qc->enabled && t->hooks)
			virtio_trace_queue(t->hooks,
					   (unsigned int)(qc - t->queues), qc,
					   false);
	} else if (reg >= VIRTIO_REG_QUEUE_ADDR && reg < VIRTIO_REG_END) {
		a = queue_addr_field(qc, half);
		*a = (*a & ~(0xffffffffull << shift)) | ((uint64_t)v << shift);
	}
}

static uint32_t read_queue(struct virtio_transport *t, enum virtio_reg reg)
{
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);
	unsigned int half = reg - VIRTIO_REG_QUEUE_ADDR;

	if (!qc)
		return 0; /* size 0: no such queue */
	if (reg == VIRTIO_REG_QUEUE_SIZE)
		return qc->size;
	if (reg == VIRTIO_REG_QUEUE_READY)
		return qc->enabled;
	if (reg >= VIRTIO_REG_QUEUE_ADDR && reg < VIRTIO_REG_END)
		return (uint32_t)(*queue_addr_field(qc, half) >>
				  (32 * (half % 2)));
	return 0;
}

uint32_t virtio_transport_reg_read(struct virtio_transport *t,
				   enum virtio_reg reg)
{
	switch (reg) {
	case VIRTIO_REG_DEVICE_FEATURES_SEL:
		return t->device_feature_select;
	case VIRTIO_REG_DEVICE_FEATURES:
		return virtio_transport_device_features(
		    t, t->device_feature_select);
	case VIRTIO_REG_DRIVER_FEATURES_SEL:
		return t->driver_feature_select;
	case VIRTIO_REG_DRIVER_FEATURES:
		return virtio_transport_driver_features(
		    t, t->driver_feature_select);
	case VIRTIO_REG_STATUS:
		return __atomic_load_n(&t->status, __ATOMIC_SEQ_CST);
	case VIRTIO_REG_CONFIG_GENERATION:
		return t->config_generation;
	case VIRTIO_REG_QUEUE_SEL:
		return t->queue_select;
	default:
		return read_queue(t, reg);
	}
}

void virtio_transport_reg_write(struct virtio_transport *t, enum virtio_reg reg,
				uint32_t v)
{
	switch (reg) {
	case VIRTIO_REG_DEVICE_FEATURES_SEL:
		t->device_feature_select = v;
		break;
	case VIRTIO_REG_DRIVER_FEATURES_SEL:
		t->driver_feature_select = v;
		break;
	case VIRTIO_REG_DRIVER_FEATURES:
		virtio_transport_write_driver_features(
		    t, t->driver_feature_select, v);
		break;
	case VIRTIO_REG_STATUS:
		virtio_transport_write_status(t, t->legacy, (uint8_t)v);
		break;
	case VIRTIO_REG_QUEUE_SEL:
		t->queue_select = (uint16_t)(v > 0xffff ? 0xffff : v);
		break;
	case VIRTIO_REG_DEVICE_FEATURES:
	case VIRTIO_REG_CONFIG_GENERATION:
	case VIRTIO_REG_NONE:
		break; /* read-only */
	default:
		write_queue(t, reg, v);
	}
}

/* ---- legacy queue layout
 * ----------------------------------------------------- */

static void legacy_release(struct virtio_transport *t,
			   struct virtio_queue_config *qc)
{
	bool live = __atomic_load_n(&t->status, __ATOMIC_SEQ_CST) &
		    VIRTIO_STATUS_DRIVER_OK;

	if (live && qc->enabled && t->active) {
		if (!t->ops->queue_reset) {
			virtio_transport_driver_error(t);
			return;
		}
		t->ops->queue_reset(t->dev, t->queue_select);
	}
	qc->enabled = false;
	qc->desc_gpa = qc->driver_gpa = qc->device_gpa = 0;
}

void virtio_transport_write_legacy_pfn(struct virtio_transport *t, uint32_t pfn,
				       uint64_t page, uint64_t align)
{
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);
	uint64_t base = pfn * page, used;

	if (!qc)
		return;
	if (!pfn) {
		legacy_release(t, qc);
		return;
	}
	if (__atomic_load_n(&t->status, __ATOMIC_SEQ_CST) &
	    VIRTIO_STATUS_DRIVER_OK) {
		/* Moving a ring under a running device. */
		virtio_transport_driver_error(t);
		return;
	}
	if (qc->enabled)
		return;
	used = base + 16ull * qc->size + 6 + 2ull * qc->size;
	used = (used + align - 1) & ~(align - 1);
	qc->desc_gpa = base;
	qc->driver_gpa = base + 16ull * qc->size;
	qc->device_gpa = used;
	qc->enabled = true;
	if (t->hooks)
		virtio_trace_queue(t->hooks, (unsigned int)(qc - t->queues), qc,
				   true);
}

void virtio_transport_reset_queue(struct virtio_transport *t)
{
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	if (!qc || !virtio_transport_has_feature(t, VIRTIO_F_RING_RESET) ||
	    !(__atomic_load_n(&t->status, __ATOMIC_SEQ_CST) &
	      VIRTIO_STATUS_FEATURES_OK))
		return;
	if (qc->enabled && t->active) {
		if (!t->ops->queue_reset) {
			virtio_transport_driver_error(t);
			return;
		}
		t->ops->queue_reset(t->dev, t->queue_select);
	}
	/* Its configuration back to the defaults (2.6.1). */
	qc->enabled = false;
	qc->reset = true;
	qc->size = qc->max_size;
	qc->desc_gpa = qc->driver_gpa = qc->device_gpa = 0;
	qc->vector = VIRTIO_NO_VECTOR;
}

bool virtio_transport_queue_is_reset(struct virtio_transport *t)
{
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	return qc && qc->reset;
}

uint32_t virtio_transport_legacy_pfn(struct virtio_transport *t, uint64_t page)
{
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	return qc && qc->enabled ? (uint32_t)(qc->desc_gpa / page) : 0;
}

/* ---- queue notification eventfds -------------------------------------------
 */

int virtio_transport_open_kicks(struct virtio_transport *t, struct err *e)
{
	unsigned int q;

	for (q = 0; q < t->ops->nr_queues; q++) {
		t->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->queues[q].kick_fd < 0)
			return err_errno(e, errno, "eventfd");
	}
	return 0;
}

void virtio_transport_close_kicks(struct virtio_transport *t)
{
	unsigned int q;

	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (t->queues[q].kick_fd >= 0)
			close(t->queues[q].kick_fd);
		t->queues[q].kick_fd = -1;
	}
}

void virtio_transport_kick(struct virtio_transport *t, uint32_t queue)
{
	uint64_t one = 1;

	if (queue < t->ops->nr_queues && t->queues[queue].kick_fd >= 0 &&
	    write(t->queues[queue].kick_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: a kick is pending anyway */
	}
}

void virtio_transport_kick_enabled(struct virtio_transport *t)
{
	unsigned int q;

	for (q = 0; q < t->ops->nr_queues; q++)
		if (t->queues[q].enabled)
			virtio_transport_kick(t, q);
}
