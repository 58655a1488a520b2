// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-pci (bus/pci/virtio_pci.c, the transport
 * core, MSI-X): the input is a driver's register accesses (fuzz_ops.h) on
 * a transitional function with no VM: targets 0 modern BAR, 1 legacy I/O
 * BAR, 2 MSI-X table/PBA, 3 configuration space, 4 device-side events.
 * BAR accesses go straight to the BAR's ops, so every byte a read returns
 * must come from the device itself. After each access the invariants
 * below must hold.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bus/pci/virtio_pci.h"
#include "tests/fuzz/fuzz_fake_dev.h"

static const struct virtio_pci_ids fz_ids = { 0x078000, 0x1003 };

#define FZ_COMMON_SIZE sizeof(struct virtio_pci_common_cfg)

static const struct virtio_dev_ops fz_ops = {
	.name = "fuzz",
	.device_id = 4,
	.nr_queues = 3,
	.queue_max_size = 256,
	.features = fz_features,
	.config_size = fz_config_size,
	.config_read = fz_config_read,
	.config_write = fz_config_write,
	.features_ok = fz_features_ok,
	.activate = fz_activate,
	.queue_reset = fz_queue_reset,
	.reset = fz_reset,
};

static uint64_t fz_drain(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* Whether a modern-BAR read of [off, off + len) must read as zero. */
static bool modern_undefined(uint32_t off, unsigned int len)
{
	if (off >= FZ_COMMON_SIZE && off < 0x1000)
		return true;
	if (off > 0x1000 && off < 0x2000)
		return true;
	if (off >= 0x2000 && off < 0x3000)
		return off - 0x2000 + len > FZ_CONFIG_SIZE;
	return off >= 0x3000;
}

static void bar_access(struct virtio_pci *vp, int bar, const struct fz_op *op,
		       uint32_t off, unsigned int len)
{
	const struct pci_bar *b = &vp->fn.bars[bar];
	uint8_t buf[8];

	if (op->write) {
		memcpy(buf, &op->val, sizeof(buf));
		b->ops->write(b->opaque, off, buf, len);
		return;
	}
	memset(buf, FZ_POISON, sizeof(buf));
	b->ops->read(b->opaque, off, buf, len);
	if (bar == 4 && modern_undefined(off, len))
		fz_check(fz_zero(buf, len));
	if (bar == 4 && off == 0x1000)
		fz_check(fz_zero(buf + 1, len - 1));
	if (bar == 0 &&
	    off >= VIRTIO_PCI_CONFIG_OFF(msix_enabled(&vp->msix)) + 8)
		fz_check(fz_zero(buf, len));
	if (bar == 1 && ((len != 4 && len != 8) ||
			 (off >= vp->msix.nr * 16 && off < MSIX_PBA_OFFSET) ||
			 off >= MSIX_PBA_OFFSET + 8))
		fz_check(fz_zero(buf, len));
}

static void device_event(struct virtio_pci *vp, const struct fz_op *op)
{
	switch (op->off % 4) {
	case 0:
		virtio_transport_notify_queue(&vp->t,
					      (unsigned int)op->val % 4);
		break;
	case 1:
		virtio_transport_notify_config(&vp->t);
		break;
	case 2:
		virtio_transport_set_needs_reset(&vp->t);
		break;
	}
}

static void check_invariants(struct virtio_pci *vp, const struct fz_dev *dev)
{
	const struct virtio_transport *t = &vp->t;
	bool master = vp->fn.cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
	unsigned int i;

	fz_check(virtio_transport_dma_allowed(t) == master);
	fz_check(t->active == dev->live);
	for (i = 0; i < vp->msix.nr; i++)
		fz_check(!fz_drain(vp->msix.vec[i].irqfd) || master);
	for (i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		const struct virtio_queue_config *q = &t->queues[i];

		fz_check(q->size && q->size <= q->max_size &&
			 !(q->size & (q->size - 1)));
		fz_check(i < 3 || (!q->enabled && q->kick_fd < 0));
		if (q->kick_fd >= 0)
			fz_drain(q->kick_fd);
	}
	if (t->active) {
		fz_check(t->status & VIRTIO_STATUS_DRIVER_OK);
		fz_check(t->legacy || (t->status & VIRTIO_STATUS_FEATURES_OK));
		fz_check(!(t->driver_features & ~t->device_features));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtio_pci vp;
	static struct fz_dev dev;
	struct bus pio, mmio;
	struct pci_bus pb;
	struct fz_op op;
	unsigned int n = 0;
	struct err e;

	memset(&dev, 0, sizeof(dev));
	dev.nr_queues = fz_ops.nr_queues;
	if (bus_init(&pio, "port") < 0 || bus_init(&mmio, "mmio") < 0)
		abort();
	if (pci_bus_init(&pb, &pio, &mmio, 0xe0000000ull, 0xf0000000ull, &e) <
		0 ||
	    virtio_pci_create(&vp, &pb, NULL, NULL, &fz_ops, &dev, &fz_ids,
			      true, &e) < 0)
		abort();
	while (n++ < FZ_MAX_OPS && fz_next(&data, &size, &op)) {
		unsigned int len = op.len > 4 ? 4 : op.len;

		switch (op.target % 5) {
		case 0:
			bar_access(&vp, 4, &op, op.off % 0x4000, op.len);
			break;
		case 1:
			bar_access(&vp, 0, &op, op.off % 0x100, len);
			break;
		case 2:
			bar_access(&vp, 1, &op, op.off % 0x1000, op.len);
			break;
		case 3:
			pthread_mutex_lock(&pb.lock);
			if (op.write)
				pci_cfg_write(&vp.fn, op.off % 256,
					      (uint32_t)op.val, len);
			else
				pci_cfg_read(&vp.fn, op.off % 256, len);
			pthread_mutex_unlock(&pb.lock);
			break;
		default:
			device_event(&vp, &op);
		}
		check_invariants(&vp, &dev);
	}
	virtio_pci_destroy(&vp);
	fz_check(!dev.live);
	pci_bus_destroy(&pb);
	bus_destroy(&pio);
	bus_destroy(&mmio);
	return 0;
}
