// SPDX-License-Identifier: MIT
#include "bus/mmio/virtio_mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LEGACY_DEFAULT_PAGE 4096
#define LEGACY_DEFAULT_ALIGN 4096

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

static uint64_t legacy_page(const struct virtio_mmio *vm)
{
	return vm->guest_page_size ? vm->guest_page_size : LEGACY_DEFAULT_PAGE;
}

/*
 * The registers every transport has (the rest are MMIO's), by offset / 4.
 * The ring address halves and QueueReady are version 2 only.
 */
#define MODERN_ONLY 0x80
static const uint8_t common_regs[VIRTIO_MMIO_CONFIG / 4] = {
	[VIRTIO_MMIO_DEVICE_FEATURES_SEL / 4] = VIRTIO_REG_DEVICE_FEATURES_SEL,
	[VIRTIO_MMIO_DEVICE_FEATURES / 4] = VIRTIO_REG_DEVICE_FEATURES,
	[VIRTIO_MMIO_DRIVER_FEATURES_SEL / 4] = VIRTIO_REG_DRIVER_FEATURES_SEL,
	[VIRTIO_MMIO_DRIVER_FEATURES / 4] = VIRTIO_REG_DRIVER_FEATURES,
	[VIRTIO_MMIO_STATUS / 4] = VIRTIO_REG_STATUS,
	[VIRTIO_MMIO_CONFIG_GENERATION / 4] =
	    VIRTIO_REG_CONFIG_GENERATION | MODERN_ONLY,
	[VIRTIO_MMIO_QUEUE_SEL / 4] = VIRTIO_REG_QUEUE_SEL,
	[VIRTIO_MMIO_QUEUE_NUM / 4] = VIRTIO_REG_QUEUE_SIZE,
	[VIRTIO_MMIO_QUEUE_READY / 4] = VIRTIO_REG_QUEUE_READY | MODERN_ONLY,
	[VIRTIO_MMIO_QUEUE_DESC_LOW / 4] = VIRTIO_REG_QUEUE_ADDR | MODERN_ONLY,
	[VIRTIO_MMIO_QUEUE_DESC_HIGH / 4] =
	    (VIRTIO_REG_QUEUE_ADDR + 1) | MODERN_ONLY,
	[VIRTIO_MMIO_QUEUE_AVAIL_LOW / 4] =
	    (VIRTIO_REG_QUEUE_ADDR + 2) | MODERN_ONLY,
	[VIRTIO_MMIO_QUEUE_AVAIL_HIGH / 4] =
	    (VIRTIO_REG_QUEUE_ADDR + 3) | MODERN_ONLY,
	[VIRTIO_MMIO_QUEUE_USED_LOW / 4] =
	    (VIRTIO_REG_QUEUE_ADDR + 4) | MODERN_ONLY,
	[VIRTIO_MMIO_QUEUE_USED_HIGH / 4] =
	    (VIRTIO_REG_QUEUE_ADDR + 5) | MODERN_ONLY,
};

static enum virtio_reg common_reg(const struct virtio_mmio *vm, uint32_t off)
{
	uint8_t r = common_regs[off / 4];

	if ((r & MODERN_ONLY) && vm->legacy)
		return VIRTIO_REG_NONE;
	return (enum virtio_reg)(r & ~MODERN_ONLY);
}

static uint32_t reg_read(struct virtio_mmio *vm, uint32_t off)
{
	struct virtio_transport *t = &vm->t;
	struct virtio_queue_config *qc = virtio_transport_selected_queue(t);
	enum virtio_reg r = common_reg(vm, off);

	if (r != VIRTIO_REG_NONE)
		return virtio_transport_reg_read(t, r);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return vm->legacy ? 1 : 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return qc ? qc->max_size : 0;
	case VIRTIO_MMIO_QUEUE_PFN:
		return vm->legacy
			   ? virtio_transport_legacy_pfn(t, legacy_page(vm))
			   : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		/* No shared memory regions: length all-ones (4.2.2). */
		return vm->legacy ? 0 : 0xffffffffu;
	}
	return 0;
}

/* Legacy (version 1) registers: the ring is placed by page frame. */
static void legacy_reg_write(struct virtio_mmio *vm, uint32_t off, uint32_t v)
{
	struct virtio_transport *t = &vm->t;
	uint32_t align;

	if (!virtio_transport_selected_queue(t) &&
	    off != VIRTIO_MMIO_GUEST_PAGE_SIZE)
		return;
	switch (off) {
	case VIRTIO_MMIO_GUEST_PAGE_SIZE:
		/* A power of two, at least 4 KiB; anything else is ignored. */
		if (v >= 4096 && !(v & (v - 1)))
			vm->guest_page_size = v;
		break;
	case VIRTIO_MMIO_QUEUE_ALIGN:
		if (v && !(v & (v - 1)))
			vm->queue_align[t->queue_select] = v;
		break;
	case VIRTIO_MMIO_QUEUE_PFN:
		align = vm->queue_align[t->queue_select];
		virtio_transport_write_legacy_pfn(t, v, legacy_page(vm),
						  align ? align
							: LEGACY_DEFAULT_ALIGN);
		break;
	}
}

static void reg_write(struct virtio_mmio *vm, uint32_t off, uint32_t v)
{
	struct virtio_transport *t = &vm->t;
	enum virtio_reg r = common_reg(vm, off);

	if (r != VIRTIO_REG_NONE) {
		virtio_transport_reg_write(t, r, v);
		if (r == VIRTIO_REG_STATUS && (uint8_t)v == 0) {
			vm->guest_page_size = 0;
			memset(vm->queue_align, 0, sizeof(vm->queue_align));
		}
	} else if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		/* The ioeventfd normally swallows these. */
		virtio_transport_kick(t, v);
	} else if (off == VIRTIO_MMIO_INTERRUPT_ACK) {
		__atomic_and_fetch(&t->isr, (uint8_t)~v, __ATOMIC_SEQ_CST);
	} else if (off == VIRTIO_MMIO_SHM_SEL) {
		vm->shm_sel = v;
	} else if (vm->legacy) {
		legacy_reg_write(vm, off, v);
	}
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
	if (virtio_transport_open_kicks(&vm->t, e) < 0)
		return -1;
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
	if (!vm->t.ops)
		return;
	virtio_transport_quiesce(&vm->t);
	if (vm->registered)
		bus_unregister(vm->bus, vm->base, vm);
	if (vm->ioeventfds)
		notify_assign(vm, false, NULL);
	if (vm->vm && vm->irq_fd >= 0)
		kvm_vm_irqfd(vm->vm, vm->irq_fd, vm->gsi, false, NULL);
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
