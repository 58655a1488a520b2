// SPDX-License-Identifier: MIT
#include "bus/pci/virtio_pci.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define PCI_VENDOR_ID_VIRTIO 0x1af4
#define VIRTIO_PCI_MODERN_DEVICE_BASE 0x1040
#define PCI_CAP_ID_VNDR 0x09

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* BAR numbers and the layout of the modern BAR. */
#define LEGACY_BAR 0
#define MSIX_BAR 1
#define MODERN_BAR 4
#define MODERN_BAR_SIZE 0x4000
#define COMMON_OFFSET 0x0000
#define ISR_OFFSET 0x1000
#define DEVICE_OFFSET 0x2000
#define NOTIFY_OFFSET 0x3000
#define NOTIFY_MULTIPLIER 4
#define LEGACY_BAR_SIZE 0x100

/* virtio_pci_common_cfg field offsets. */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_MSIX 0x10
#define CC_NUMQ 0x12
#define CC_STATUS 0x14
#define CC_CFGGEN 0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1a
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOFF 0x1e
#define CC_Q_DESCLO 0x20
#define CC_Q_DESCHI 0x24
#define CC_Q_AVAILLO 0x28
#define CC_Q_AVAILHI 0x2c
#define CC_Q_USEDLO 0x30
#define CC_Q_USEDHI 0x34
#define CC_SIZE 0x38

/* Legacy I/O header (virtio 1.2, 4.1.4.10). */
#define LEG_HOST_FEATURES 0x00
#define LEG_GUEST_FEATURES 0x04
#define LEG_QUEUE_PFN 0x08
#define LEG_QUEUE_NUM 0x0c
#define LEG_QUEUE_SEL 0x0e
#define LEG_QUEUE_NOTIFY 0x10
#define LEG_STATUS 0x12
#define LEG_ISR 0x13
#define LEG_CONFIG_VECTOR 0x14
#define LEG_QUEUE_VECTOR 0x16
#define LEG_VRING_ALIGN 4096

static const uint16_t transitional_ids[] = {
	[1] = 0x1000, /* net */
	[2] = 0x1001, /* block */
	[3] = 0x1003, /* console */
	[4] = 0x1005, /* entropy */
	[5] = 0x1002, /* balloon */
	[9] = 0x1009, /* 9p */
};

static uint32_t device_class(uint16_t type)
{
	switch (type) {
	case 1:
		return 0x020000; /* ethernet */
	case 2:
		return 0x018000; /* mass storage, other */
	case 3:
		return 0x078000; /* communication, other */
	default:
		return 0x00ff00;
	}
}

/* ---- ioeventfds for queue notifications ---------------------------------- */

static void notify_unregister(struct virtio_pci *vp)
{
	unsigned int q;

	for (q = 0; q < vp->t.ops->nr_queues; q++) {
		int fd = vp->t.queues[q].kick_fd;

		if (vp->notify_mmio_base)
			kvm_vm_ioeventfd(vp->vm, fd,
					 vp->notify_mmio_base +
					     q * NOTIFY_MULTIPLIER,
					 2, false, -1, false, NULL);
		if (vp->notify_io_base)
			kvm_vm_ioeventfd(vp->vm, fd,
					 vp->notify_io_base + LEG_QUEUE_NOTIFY,
					 2, true, q, false, NULL);
	}
	vp->notify_mmio_base = 0;
	vp->notify_io_base = 0;
}

static void notify_register(struct virtio_pci *vp)
{
	const struct pci_bar *modern = &vp->fn.bars[MODERN_BAR];
	const struct pci_bar *legacy = &vp->fn.bars[LEGACY_BAR];
	unsigned int q;

	if (modern->mapped)
		vp->notify_mmio_base = modern->addr + NOTIFY_OFFSET;
	if (vp->transitional && legacy->mapped)
		vp->notify_io_base = (uint16_t)legacy->addr;
	for (q = 0; q < vp->t.ops->nr_queues; q++) {
		int fd = vp->t.queues[q].kick_fd;

		if (vp->notify_mmio_base)
			kvm_vm_ioeventfd(vp->vm, fd,
					 vp->notify_mmio_base +
					     q * NOTIFY_MULTIPLIER,
					 2, false, -1, true, NULL);
		if (vp->notify_io_base)
			kvm_vm_ioeventfd(vp->vm, fd,
					 vp->notify_io_base + LEG_QUEUE_NOTIFY,
					 2, true, q, true, NULL);
	}
}

static void virtio_pci_bar_moved(struct pci_function *fn, int bar,
				 uint64_t old_addr, bool old_mapped)
{
	struct virtio_pci *vp = fn->opaque;

	(void)bar;
	(void)old_addr;
	(void)old_mapped;
	notify_unregister(vp);
	notify_register(vp);
}

static void virtio_pci_kick(struct virtio_pci *vp, uint32_t queue)
{
	uint64_t one = 1;

	if (queue < vp->t.ops->nr_queues &&
	    write(vp->t.queues[queue].kick_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: a kick is pending anyway */
	}
}

/* ---- modern BAR ---------------------------------------------------------- */

static uint32_t common_read(struct virtio_pci *vp, uint32_t off)
{
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	switch (off) {
	case CC_DFSELECT:
		return t->device_feature_select;
	case CC_DF:
		return t->device_feature_select < 2
			   ? (uint32_t)(t->device_features >>
					(32 * t->device_feature_select))
			   : 0;
	case CC_GFSELECT:
		return t->driver_feature_select;
	case CC_GF:
		return t->driver_feature_select < 2
			   ? (uint32_t)(t->driver_features >>
					(32 * t->driver_feature_select))
			   : 0;
	case CC_MSIX:
		return t->config_vector;
	case CC_NUMQ:
		return t->ops->nr_queues;
	case CC_STATUS:
		return t->status;
	case CC_CFGGEN:
		return t->config_generation;
	case CC_Q_SELECT:
		return t->queue_select;
	}
	if (!qc)
		return 0; /* size 0: no such queue */
	switch (off) {
	case CC_Q_SIZE:
		return qc->size;
	case CC_Q_MSIX:
		return qc->vector;
	case CC_Q_ENABLE:
		return qc->enabled;
	case CC_Q_NOFF:
		return t->queue_select;
	case CC_Q_DESCLO:
		return (uint32_t)qc->desc_gpa;
	case CC_Q_DESCHI:
		return (uint32_t)(qc->desc_gpa >> 32);
	case CC_Q_AVAILLO:
		return (uint32_t)qc->driver_gpa;
	case CC_Q_AVAILHI:
		return (uint32_t)(qc->driver_gpa >> 32);
	case CC_Q_USEDLO:
		return (uint32_t)qc->device_gpa;
	case CC_Q_USEDHI:
		return (uint32_t)(qc->device_gpa >> 32);
	}
	return 0;
}

static uint16_t valid_vector(struct virtio_pci *vp, uint32_t v)
{
	/* An out-of-range vector reads back as NO_VECTOR: the driver checks. */
	return v < vp->msix.nr ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, uint32_t off, uint32_t v)
{
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);
	/* Queue and feature setup is frozen once the driver says DRIVER_OK. */
	bool live = t->status & VIRTIO_STATUS_DRIVER_OK;

	switch (off) {
	case CC_DFSELECT:
		t->device_feature_select = v;
		return;
	case CC_GFSELECT:
		t->driver_feature_select = v;
		return;
	case CC_GF:
		if (t->driver_feature_select < 2 &&
		    !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
			if (t->driver_feature_select == 0)
				virtio_set_lo32(&t->driver_features, v);
			else
				virtio_set_hi32(&t->driver_features, v);
		}
		return;
	case CC_MSIX:
		t->config_vector = valid_vector(vp, v & 0xffff);
		return;
	case CC_STATUS:
		t->legacy = false;
		virtio_transport_set_status(t, (uint8_t)v);
		return;
	case CC_Q_SELECT:
		t->queue_select = (uint16_t)v;
		return;
	}
	if (!qc)
		return;
	if (off == CC_Q_MSIX) {
		qc->vector = valid_vector(vp, v & 0xffff);
		return;
	}
	if (live || qc->enabled)
		return;
	switch (off) {
	case CC_Q_SIZE:
		/* Power of two up to the maximum, or the write is ignored. */
		if (v && v <= qc->max_size && !(v & (v - 1)))
			qc->size = (uint16_t)v;
		break;
	case CC_Q_ENABLE:
		qc->enabled = v == 1;
		break;
	case CC_Q_DESCLO:
		virtio_set_lo32(&qc->desc_gpa, v);
		break;
	case CC_Q_DESCHI:
		virtio_set_hi32(&qc->desc_gpa, v);
		break;
	case CC_Q_AVAILLO:
		virtio_set_lo32(&qc->driver_gpa, v);
		break;
	case CC_Q_AVAILHI:
		virtio_set_hi32(&qc->driver_gpa, v);
		break;
	case CC_Q_USEDLO:
		virtio_set_lo32(&qc->device_gpa, v);
		break;
	case CC_Q_USEDHI:
		virtio_set_hi32(&qc->device_gpa, v);
		break;
	}
}

/* Width of each common-config field; other access sizes are ignored. */
static unsigned int common_field_width(uint32_t off)
{
	if (off >= CC_SIZE)
		return 0;
	if (off == CC_STATUS || off == CC_CFGGEN)
		return 1;
	if (off >= CC_MSIX && off < CC_Q_DESCLO)
		return 2;
	return 4;
}

static void modern_read(void *opaque, uint64_t offset, void *data,
			unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint32_t off = (uint32_t)offset, v = 0;

	memset(data, 0, len);
	pthread_mutex_lock(&vp->t.lock);
	if (off < ISR_OFFSET) {
		if (common_field_width(off) == len) {
			v = common_read(vp, off);
			memcpy(data, &v, len);
		}
	} else if (off == ISR_OFFSET) {
		*(uint8_t *)data = virtio_transport_read_isr(&vp->t);
	} else if (off >= DEVICE_OFFSET && off < NOTIFY_OFFSET) {
		virtio_transport_config_access(&vp->t, off - DEVICE_OFFSET,
					       data, len, false);
	}
	pthread_mutex_unlock(&vp->t.lock);
}

static void modern_write(void *opaque, uint64_t offset, const void *data,
			 unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint32_t off = (uint32_t)offset, v = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	pthread_mutex_lock(&vp->t.lock);
	if (off < ISR_OFFSET) {
		if (common_field_width(off) == len)
			common_write(vp, off, v);
	} else if (off >= DEVICE_OFFSET && off < NOTIFY_OFFSET) {
		virtio_transport_config_access(&vp->t, off - DEVICE_OFFSET,
					       (void *)data, len, true);
	} else if (off >= NOTIFY_OFFSET) {
		/*
		 * The ioeventfd normally swallows these; one that reaches us
		 * (an access width it does not match) still kicks the queue.
		 */
		virtio_pci_kick(vp, (off - NOTIFY_OFFSET) / NOTIFY_MULTIPLIER);
	}
	pthread_mutex_unlock(&vp->t.lock);
}

static const struct bus_ops modern_bar_ops = {
	.read = modern_read,
	.write = modern_write,
};

/* ---- legacy I/O BAR ------------------------------------------------------ */

static uint32_t legacy_config_offset(struct virtio_pci *vp)
{
	return msix_enabled(&vp->msix) ? 0x18 : 0x14;
}

static void legacy_setup_queue(struct virtio_transport *t,
			       struct virtio_queue_config *qc, uint32_t pfn)
{
	uint64_t base = (uint64_t)pfn << 12, used;

	if (!pfn) {
		qc->enabled = false;
		return;
	}
	qc->size = qc->max_size;
	used = base + 16ull * qc->size + 6 + 2ull * qc->size;
	used = (used + LEG_VRING_ALIGN - 1) & ~(uint64_t)(LEG_VRING_ALIGN - 1);
	qc->desc_gpa = base;
	qc->driver_gpa = base + 16ull * qc->size;
	qc->device_gpa = used;
	qc->enabled = true;
	(void)t;
}

static void legacy_read(void *opaque, uint64_t offset, void *data,
			unsigned int len)
{
	struct virtio_pci *vp = opaque;
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc;
	uint32_t off = (uint32_t)offset, cfg, v = 0;

	memset(data, 0, len);
	pthread_mutex_lock(&t->lock);
	qc = virtio_transport_selected_queue(t);
	cfg = legacy_config_offset(vp);
	if (off >= cfg) {
		virtio_transport_config_access(&vp->t, off - cfg, data, len,
					       false);
		pthread_mutex_unlock(&t->lock);
		return;
	}
	switch (off) {
	case LEG_HOST_FEATURES:
		v = (uint32_t)t->device_features;
		break;
	case LEG_GUEST_FEATURES:
		v = (uint32_t)t->driver_features;
		break;
	case LEG_QUEUE_PFN:
		v = qc && qc->enabled ? (uint32_t)(qc->desc_gpa >> 12) : 0;
		break;
	case LEG_QUEUE_NUM:
		v = qc ? qc->max_size : 0;
		break;
	case LEG_QUEUE_SEL:
		v = t->queue_select;
		break;
	case LEG_STATUS:
		v = t->status;
		break;
	case LEG_ISR:
		v = virtio_transport_read_isr(t);
		break;
	case LEG_CONFIG_VECTOR:
		v = t->config_vector;
		break;
	case LEG_QUEUE_VECTOR:
		v = qc ? qc->vector : VIRTIO_NO_VECTOR;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	memcpy(data, &v, len);
}

static void legacy_write(void *opaque, uint64_t offset, const void *data,
			 unsigned int len)
{
	struct virtio_pci *vp = opaque;
	struct virtio_transport *t = &vp->t;
	struct virtio_queue_config *qc;
	uint32_t off = (uint32_t)offset, cfg, v = 0;

	memcpy(&v, data, len < 4 ? len : 4);
	pthread_mutex_lock(&t->lock);
	qc = virtio_transport_selected_queue(t);
	cfg = legacy_config_offset(vp);
	if (off >= cfg) {
		virtio_transport_config_access(&vp->t, off - cfg, (void *)data,
					       len, true);
		pthread_mutex_unlock(&t->lock);
		return;
	}
	switch (off) {
	case LEG_GUEST_FEATURES:
		/* Legacy drivers see and accept only the low 32 bits. */
		t->legacy = true;
		if (!(t->status & VIRTIO_STATUS_DRIVER_OK))
			t->driver_features = v & (uint32_t)t->device_features;
		break;
	case LEG_QUEUE_PFN:
		if (qc && !(t->status & VIRTIO_STATUS_DRIVER_OK))
			legacy_setup_queue(t, qc, v);
		break;
	case LEG_QUEUE_SEL:
		t->queue_select = (uint16_t)v;
		break;
	case LEG_QUEUE_NOTIFY:
		virtio_pci_kick(vp, v);
		break;
	case LEG_STATUS:
		t->legacy = true;
		virtio_transport_set_status(t, (uint8_t)v);
		break;
	case LEG_CONFIG_VECTOR:
		t->config_vector = valid_vector(vp, v & 0xffff);
		break;
	case LEG_QUEUE_VECTOR:
		if (qc)
			qc->vector = valid_vector(vp, v & 0xffff);
		break;
	}
	pthread_mutex_unlock(&t->lock);
}

static const struct bus_ops legacy_bar_ops = {
	.read = legacy_read,
	.write = legacy_write,
};

/* ---- assembly ------------------------------------------------------------ */

static void virtio_pci_raise(struct virtio_transport *t, uint16_t vector)
{
	struct virtio_pci *vp = t->priv;

	if (vector != VIRTIO_NO_VECTOR)
		msix_notify(&vp->msix, vector);
}

static void virtio_pci_cfg_written(struct pci_function *fn, uint32_t offset,
				   unsigned int len)
{
	struct virtio_pci *vp = fn->opaque;

	msix_cfg_written(&vp->msix, offset, len);
}

static void add_virtio_cap(struct pci_function *fn, uint8_t type,
			   uint32_t offset, uint32_t length, uint32_t extra)
{
	uint8_t len = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16;
	uint8_t cap = pci_function_add_cap(fn, PCI_CAP_ID_VNDR, len);

	fn->cfg[cap + 2] = len;
	fn->cfg[cap + 3] = type;
	fn->cfg[cap + 4] = MODERN_BAR;
	pci_cfg_set32(fn, cap + 8, offset);
	pci_cfg_set32(fn, cap + 12, length);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		pci_cfg_set32(fn, cap + 16, extra);
}

int virtio_pci_create(struct virtio_pci *vp, struct pci_bus *pb,
		      struct kvm_vm *vm, struct irq_router *router,
		      const struct virtio_dev_ops *ops, void *dev,
		      bool transitional, struct err *e)
{
	uint16_t type = ops->device_id, dev_id;
	unsigned int q;

	memset(vp, 0, sizeof(*vp));
	vp->vm = vm;
	vp->transitional = transitional;
	if (transitional &&
	    (type >= sizeof(transitional_ids) / sizeof(transitional_ids[0]) ||
	     !transitional_ids[type]))
		return err_set(e, "%s has no transitional PCI device ID",
			       ops->name);
	dev_id = transitional ? transitional_ids[type]
			      : VIRTIO_PCI_MODERN_DEVICE_BASE + type;
	virtio_transport_init(&vp->t, ops, dev);
	vp->t.raise = virtio_pci_raise;
	vp->t.priv = vp;
	for (q = 0; q < ops->nr_queues; q++) {
		vp->t.queues[q].kick_fd =
		    eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->t.queues[q].kick_fd < 0)
			return err_errno(e, errno, "eventfd");
	}

	/* Transitional: subsystem ID is the virtio type (legacy drivers read
	 * it). */
	pci_function_init(&vp->fn, ops->name, PCI_VENDOR_ID_VIRTIO, dev_id,
			  device_class(type), transitional ? 0 : 1,
			  PCI_VENDOR_ID_VIRTIO, transitional ? type : 0x40);
	vp->fn.opaque = vp;
	vp->fn.cfg_written = virtio_pci_cfg_written;
	pci_function_set_bar(&vp->fn, MODERN_BAR, PCI_BAR_KIND_MEM64,
			     MODERN_BAR_SIZE, &modern_bar_ops, vp);
	vp->fn.bars[MODERN_BAR].moved = virtio_pci_bar_moved;
	if (transitional) {
		pci_function_set_bar(&vp->fn, LEGACY_BAR, PCI_BAR_KIND_IO,
				     LEGACY_BAR_SIZE, &legacy_bar_ops, vp);
		vp->fn.bars[LEGACY_BAR].moved = virtio_pci_bar_moved;
	}
	/* One vector for config changes plus one per queue. */
	if (msix_init(&vp->msix, &vp->fn, ops->nr_queues + 1u, MSIX_BAR, router,
		      vm, e) < 0)
		return -1;
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFFSET,
		       CC_SIZE, 0);
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFFSET, 1, 0);
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFFSET,
		       0x1000, 0);
	add_virtio_cap(&vp->fn, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFFSET,
		       NOTIFY_MULTIPLIER * ops->nr_queues, NOTIFY_MULTIPLIER);
	return pci_bus_plug(pb, &vp->fn, e);
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	unsigned int q;

	if (!vp->t.ops)
		return;
	pthread_mutex_lock(&vp->t.lock);
	virtio_transport_reset(&vp->t);
	pthread_mutex_unlock(&vp->t.lock);
	notify_unregister(vp);
	for (q = 0; q < vp->t.ops->nr_queues; q++)
		if (vp->t.queues[q].kick_fd >= 0)
			close(vp->t.queues[q].kick_fd);
	msix_destroy(&vp->msix);
	virtio_transport_destroy(&vp->t);
}
