/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_PCI_VIRTIO_PCI_H
#define VIREO_BUS_PCI_VIRTIO_PCI_H

/*
 * virtio over PCI (virtio 1.2, 4.1). Modern: vendor capabilities pointing
 * into a 64-bit memory BAR (common config, ISR, device config, notify with
 * one ioeventfd per queue), MSI-X in its own BAR. Transitional adds the
 * legacy I/O BAR 0 (header + device config, notify by ioeventfd with the
 * queue index as datamatch) and transitional device IDs, so a driver
 * forced to legacy drives the same device.
 */

#include <stdbool.h>

#include "bus/pci/msix.h"
#include "bus/pci/pci.h"
#include "bus/virtio_transport.h"
#include "kvm/irq_router.h"

struct virtio_pci {
	struct pci_function fn;
	struct msix msix;
	struct virtio_transport t;
	struct kvm_vm *vm;
	bool transitional;
	/* Where the ioeventfds are registered now (0: not registered). */
	uint64_t notify_mmio_base;
	uint16_t notify_io_base;
};

/* What the function says it is (vireo's device-type table knows). */
struct virtio_pci_ids {
	uint32_t class_code; /* base class << 16 | subclass << 8 | prog-if */
	uint16_t transitional_id; /* 0: the type has no transitional ID */
};

/*
 * vm and router may be NULL (unit tests, fuzzers): no ioeventfds or MSI
 * routes; the kick and MSI-X eventfds still work. Bus mastering starts
 * off: no DMA (t.dma_off) and no MSI until the driver sets it.
 */
int virtio_pci_create(struct virtio_pci *vp, struct pci_bus *pb,
		      struct kvm_vm *vm, struct irq_router *router,
		      const struct virtio_dev_ops *ops, void *dev,
		      const struct virtio_pci_ids *ids, bool transitional,
		      struct err *e);
void virtio_pci_destroy(struct virtio_pci *vp);

#endif
