/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_MMIO_VIRTIO_MMIO_H
#define VIREO_BUS_MMIO_VIRTIO_MMIO_H

/*
 * virtio over MMIO (virtio 1.2, 4.2): one 4 KiB register page per device,
 * version 2 (modern) or version 1 (legacy: GuestPageSize, QueueAlign,
 * QueuePFN). QueueNotify is a KVM ioeventfd per queue (datamatch on the
 * queue index), so kicks never leave the kernel; the interrupt is one
 * IOAPIC pin pulsed through an irqfd (edge-triggered). InterruptStatus is
 * the transport's ISR; the driver clears bits with InterruptACK, reading it
 * never clears anything, so an event raised between the driver's read and
 * its ACK comes with a fresh edge and is not lost.
 */

#include <linux/virtio_mmio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "bus/virtio_transport.h"
#include "kvm/kvm.h"

#define VIRTIO_MMIO_SIZE 0x1000
#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4f524956 /* "VIRO" */

struct virtio_mmio {
	struct virtio_transport t;
	struct kvm_vm *vm; /* NULL: no ioeventfds/irqfd (unit tests) */
	struct bus *bus;
	uint64_t base;
	uint32_t gsi;
	bool legacy; /* version 1 */
	bool registered; /* on the bus */
	bool ioeventfds; /* queue notify ioeventfds assigned */
	int irq_fd; /* eventfd; an irqfd on gsi when vm is set */
	uint32_t guest_page_size; /* legacy */
	uint32_t queue_align[VIRTIO_MAX_QUEUES]; /* legacy */
	uint32_t shm_sel;
};

/*
 * Registers the device page at base on bus (VIRTIO_MMIO_SIZE bytes), the
 * queue-notify ioeventfds and the irqfd on gsi. vm may be NULL.
 */
int virtio_mmio_create(struct virtio_mmio *vm, struct bus *bus,
		       struct kvm_vm *kvm, uint64_t base, uint32_t gsi,
		       bool legacy, const struct virtio_dev_ops *ops, void *dev,
		       struct err *e);
void virtio_mmio_destroy(struct virtio_mmio *vm);

/* "virtio_mmio.device=4K@0x...:GSI", for guests without ACPI. */
int virtio_mmio_cmdline_param(const struct virtio_mmio *vm, char *buf,
			      size_t size);

extern const struct bus_ops virtio_mmio_bus_ops;

#endif
