// SPDX-License-Identifier: MIT
#include "bus/mmio/virtio_mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LEGACY_DEFAULT_ALIGN 4096

static void virtio_mmio_kick(struct virtio_mmio *vm, uint32_t queue)
{
	uint64_t one = 1;

	if (queue < vm->t.ops->nr_queues &&
	    write(vm->t.queues[queue].kick_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: a kick is pending anyway */
	}
}

/* An edge on the device's pin; the ISR bits say why. */
static void virtio_mmio_raise(struct virtio_transport *t, uint16_t vector)
{
	struct virtio_mmio *vm = t->priv;
	uint64_t one = 1;

	(void)vector;
	if (write(vm->irq_fd, &one, sizeof(one)) < 0) {
		/* saturated: an interrupt is pending anyway */
	}
}

/* Legacy (4.2.4): one page-aligned area, used ring at QueueAlign. */
static void legacy_setup_queue(struct virtio_mmio *vm,
			       struct virtio_queue_config *qc, unsigned int q,
			       uint32_t pfn)
{
	uint64_t page = vm->guest_page_size ? vm->guest_page_size : 4096;
	uint64_t align =
	    vm->queue_align[q] ? vm->queue_align[q] : LEGACY_DEFAULT_ALIGN;
	uint64_t base = (uint64_t)pfn * page, used;

	if (!pfn) {
		qc->enabled = false;
		qc->desc_gpa = qc->driver_gpa = qc->device_gpa = 0;
		return;
	}
	used = base + 16ull * qc->size + 6 + 2ull * qc->size;
	used = (used + align - 1) & ~(align - 1);
	qc->desc_gpa = base;
	qc->driver_gpa = base + 16ull * qc->size;
	qc->device_gpa = used;
	qc->enabled = true;
}

static uint32_t reg_read(struct virtio_mmio *vm, uint32_t off)
{
	struct virtio_transport *t = &vm->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);
	uint32_t sel = t->device_feature_select;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return vm->legacy ? 1 : 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		/* Legacy devices have 32 feature bits (no VERSION_1). */
		if (sel >= (vm->legacy ? 1u : 2u))
			return 0;
		return (uint32_t)(t->device_features >> (32 * sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return qc ? qc->max_size : 0;
	case VIRTIO_MMIO_QUEUE_PFN:
		if (!vm->legacy || !qc || !qc->enabled)
			return 0;
		return (uint32_t)(qc->desc_gpa / (vm->guest_page_size
						      ? vm->guest_page_size
						      : 4096));
	case VIRTIO_MMIO_QUEUE_READY:
		return !vm->legacy && qc ? qc->enabled : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return __atomic_load_n(&t->status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		/* No shared memory regions: length all-ones (4.2.2). */
		return vm->legacy ? 0 : 0xffffffffu;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vm->legacy ? 0 : t->config_generation;
	}
	if (!qc || vm->legacy)
		return 0;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return (uint32_t)qc->desc_gpa;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return (uint32_t)(qc->desc_gpa >> 32);
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return (uint32_t)qc->driver_gpa;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return (uint32_t)(qc->driver_gpa >> 32);
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return (uint32_t)qc->device_gpa;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return (uint32_t)(qc->device_gpa >> 32);
	}
	return 0;
}

static void write_driver_features(struct virtio_transport *t, bool legacy,
				  uint32_t v)
{
	uint32_t sel = t->driver_feature_select;

	if (t->status & VIRTIO_STATUS_FEATURES_OK ||
	    t->status & VIRTIO_STATUS_DRIVER_OK)
		return;
	if (sel == 0)
		virtio_set_lo32(&t->driver_features, v);
	else if (sel == 1 && !legacy)
		virtio_set_hi32(&t->driver_features, v);
}

static void queue_write(struct virtio_mmio *vm, uint32_t off, uint32_t v)
{
	struct virtio_transport *t = &vm->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);

	/* Queue setup is frozen once the queue or the device is live. */
	if (!qc || (t->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (vm->legacy) {
		switch (off) {
		case VIRTIO_MMIO_QUEUE_NUM:
			if (v && v <= qc->max_size && !(v & (v - 1)))
				qc->size = (uint16_t)v;
			break;
		case VIRTIO_MMIO_QUEUE_ALIGN:
			if (v && !(v & (v - 1)))
				vm->queue_align[t->queue_select] = v;
			break;
		case VIRTIO_MMIO_QUEUE_PFN:
			legacy_setup_queue(vm, qc, t->queue_select, v);
			break;
		}
		return;
	}
	if (qc->enabled)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (v && v <= qc->max_size && !(v & (v - 1)))
			qc->size = (uint16_t)v;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		qc->enabled = v == 1;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		virtio_set_lo32(&qc->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_set_hi32(&qc->desc_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		virtio_set_lo32(&qc->driver_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		virtio_set_hi32(&qc->driver_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		virtio_set_lo32(&qc->device_gpa, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		virtio_set_hi32(&qc->device_gpa, v);
		break;
	}
}

static void reg_write(struct virtio_mmio *vm, uint32_t off, uint32_t v)
{
	struct virtio_transport *t = &vm->t;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->device_feature_select = v;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->driver_feature_select = v;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		write_driver_features(t, vm->legacy, v);
		return;
	case VIRTIO_MMIO_GUEST_PAGE_SIZE:
		/* A power of two, at least 4 KiB; anything else is ignored. */
		if (vm->legacy && v >= 4096 && !(v & (v - 1)))
			vm->guest_page_size = v;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_select = (uint16_t)(v > 0xffff ? 0xffff : v);
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* The ioeventfd normally swallows these. */
		virtio_mmio_kick(vm, v);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_and_fetch(&t->isr, (uint8_t)~v, __ATOMIC_SEQ_CST);
		return;
	case VIRTIO_MMIO_STATUS:
		virtio_transport_set_status(t, (uint8_t)v);
		if (v == 0) {
			vm->guest_page_size = 0;
			memset(vm->queue_align, 0, sizeof(vm->queue_align));
		}
		return;
	case VIRTIO_MMIO_SHM_SEL:
		vm->shm_sel = v;
		return;
	}
	queue_write(vm, off, v);
}

static void virtio_mmio_read(void *opaque, uint64_t offset, void *data,
			     unsigned int len)
{
	struct virtio_mmio *vm = opaque;
	uint32_t off = (uint32_t)offset, v;

	memset(data, 0, len);
	pthread_mutex_lock(&vm->t.lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_transport_config_access(&vm->t, off - VIRTIO_MMIO_CONFIG,
					       data, len, false);
	} else if (len == 4 && !(off & 3)) {
		/* Registers are 32 bits wide, accessed whole (4.2.2.2). */
		v = reg_read(vm, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&vm->t.lock);
}

static void virtio_mmio_write(void *opaque, uint64_t offset, const void *data,
			      unsigned int len)
{
	struct virtio_mmio *vm = opaque;
	uint32_t off = (uint32_t)offset, v = 0;

	pthread_mutex_lock(&vm->t.lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_transport_config_access(&vm->t, off - VIRTIO_MMIO_CONFIG,
					       (void *)data, len, true);
	} else if (len == 4 && !(off & 3)) {
		memcpy(&v, data, 4);
		reg_write(vm, off, v);
	}
	pthread_mutex_unlock(&vm->t.lock);
}

const struct bus_ops virtio_mmio_bus_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
};

static int notify_assign(struct virtio_mmio *vm, bool assign, struct err *e)
{
	unsigned int q;

	for (q = 0; q < vm->t.ops->nr_queues; q++)
		if (kvm_vm_ioeventfd(vm->vm, vm->t.queues[q].kick_fd,
				     vm->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4,
				     false, q, assign, assign ? e : NULL) < 0 &&
		    assign)
			return -1;
	return 0;
}

int virtio_mmio_create(struct virtio_mmio *vm, struct bus *bus,
		       struct kvm_vm *kvm, uint64_t base, uint32_t gsi,
		       bool legacy, const struct virtio_dev_ops *ops, void *dev,
		       struct err *e)
{
	unsigned int q;

	memset(vm, 0, sizeof(*vm));
	vm->irq_fd = -1;
	vm->vm = kvm;
	vm->bus = bus;
	vm->base = base;
	vm->gsi = gsi;
	vm->legacy = legacy;
	if (ops->nr_queues > VIRTIO_MAX_QUEUES)
		return err_set(e, "%s: too many queues", ops->name);
	virtio_transport_init(&vm->t, ops, dev);
	vm->t.legacy = legacy;
	vm->t.raise = virtio_mmio_raise;
	vm->t.priv = vm;
	vm->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->irq_fd < 0)
		return err_errno(e, errno, "eventfd");
	for (q = 0; q < ops->nr_queues; q++) {
		vm->t.queues[q].kick_fd =
		    eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->t.queues[q].kick_fd < 0)
			return err_errno(e, errno, "eventfd");
	}
	if (kvm) {
		if (kvm_vm_irqfd(kvm, vm->irq_fd, gsi, true, e) < 0)
			return -1;
		if (notify_assign(vm, true, e) < 0)
			return -1;
		vm->ioeventfds = true;
	}
	if (bus_register(bus, base, VIRTIO_MMIO_SIZE, &virtio_mmio_bus_ops, vm,
			 ops->name, e) < 0)
		return -1;
	vm->registered = true;
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *vm)
{
	unsigned int q;

	if (!vm->t.ops)
		return;
	pthread_mutex_lock(&vm->t.lock);
	virtio_transport_reset(&vm->t);
	pthread_mutex_unlock(&vm->t.lock);
	if (vm->registered)
		bus_unregister(vm->bus, vm->base, vm);
	if (vm->ioeventfds)
		notify_assign(vm, false, NULL);
	if (vm->vm && vm->irq_fd >= 0)
		kvm_vm_irqfd(vm->vm, vm->irq_fd, vm->gsi, false, NULL);
	for (q = 0; q < vm->t.ops->nr_queues; q++)
		if (vm->t.queues[q].kick_fd >= 0)
			close(vm->t.queues[q].kick_fd);
	if (vm->irq_fd >= 0)
		close(vm->irq_fd);
	virtio_transport_destroy(&vm->t);
	vm->t.ops = NULL;
}

int virtio_mmio_cmdline_param(const struct virtio_mmio *vm, char *buf,
			      size_t size)
{
	int n = snprintf(buf, size, "virtio_mmio.device=%uK@0x%" PRIx64 ":%u",
			 VIRTIO_MMIO_SIZE / 1024, vm->base, vm->gsi);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}
