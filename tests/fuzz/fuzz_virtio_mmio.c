// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-mmio (bus/mmio/virtio_mmio.c and the
 * transport core): the first input byte picks version 1 (odd) or 2, the
 * rest is a driver's register accesses (fuzz_ops.h): target 0 the
 * register page (straight to its ops, so the device alone must define
 * every byte read), 1 device-side events. After each access the
 * invariants below must hold.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bus/mmio/virtio_mmio.h"
#include "tests/fuzz/fuzz_fake_dev.h"

#define FZ_BASE 0xd0000000ull

/* No queue_reset: a live PFN 0 must end in NEEDS_RESET instead. */
static const struct virtio_dev_ops fz_ops = {
	.name = "fuzz",
	.device_id = 2,
	.nr_queues = 2,
	.queue_max_size = 128,
	.features = fz_features,
	.config_size = fz_config_size,
	.config_read = fz_config_read,
	.config_write = fz_config_write,
	.features_ok = fz_features_ok,
	.activate = fz_activate,
	.reset = fz_reset,
};

static void reg_access(struct virtio_mmio *vm, const struct fz_op *op)
{
	uint32_t off = op->off % 0x200;
	uint8_t buf[8];
	uint32_t v;

	if (op->write) {
		memcpy(buf, &op->val, sizeof(buf));
		virtio_mmio_bus_ops.write(vm, off, buf, op->len);
		return;
	}
	memset(buf, FZ_POISON, sizeof(buf));
	virtio_mmio_bus_ops.read(vm, off, buf, op->len);
	memcpy(&v, buf, 4);
	if (off >= VIRTIO_MMIO_CONFIG)
		fz_check(off - VIRTIO_MMIO_CONFIG + op->len <= FZ_CONFIG_SIZE ||
			 fz_zero(buf, op->len));
	else if (op->len != 4 || (off & 3))
		fz_check(fz_zero(buf, op->len));
	else if (off == VIRTIO_MMIO_MAGIC_VALUE)
		fz_check(v == VIRTIO_MMIO_MAGIC);
	else if (off == VIRTIO_MMIO_VERSION)
		fz_check(v == (vm->legacy ? 1u : 2u));
	else if (off > VIRTIO_MMIO_SHM_LEN_HIGH &&
		 off < VIRTIO_MMIO_CONFIG_GENERATION)
		fz_check(v == 0);
}

static void device_event(struct virtio_mmio *vm, const struct fz_op *op)
{
	switch (op->off % 3) {
	case 0:
		virtio_transport_notify_queue(&vm->t,
					      (unsigned int)op->val % 3);
		break;
	case 1:
		virtio_transport_notify_config(&vm->t);
		break;
	default:
		virtio_transport_set_needs_reset(&vm->t);
	}
}

static void check_invariants(struct virtio_mmio *vm, const struct fz_dev *dev)
{
	const struct virtio_transport *t = &vm->t;
	uint64_t n;
	unsigned int i;

	fz_check(virtio_transport_dma_allowed(t));
	fz_check(t->active == dev->live);
	fz_check(t->legacy == vm->legacy);
	if (read(vm->irq_fd, &n, sizeof(n)) < 0) {
		/* nothing raised */
	}
	for (i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		const struct virtio_queue_config *q = &t->queues[i];

		fz_check(q->size && q->size <= q->max_size &&
			 !(q->size & (q->size - 1)));
		fz_check(i < 2 || !q->enabled);
		if (q->kick_fd >= 0 && read(q->kick_fd, &n, sizeof(n)) < 0) {
			/* no kick */
		}
	}
	if (t->active) {
		fz_check(t->status & VIRTIO_STATUS_DRIVER_OK);
		fz_check(t->legacy || (t->status & VIRTIO_STATUS_FEATURES_OK));
		fz_check(!(t->driver_features & ~t->device_features));
		fz_check(!t->legacy || !(t->driver_features >> 32));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtio_mmio vm;
	static struct fz_dev dev;
	struct bus bus;
	struct fz_op op;
	unsigned int n = 0;
	struct err e;
	bool legacy;

	if (size < 1)
		return 0;
	legacy = data[0] & 1;
	data++;
	size--;
	memset(&dev, 0, sizeof(dev));
	dev.nr_queues = fz_ops.nr_queues;
	if (bus_init(&bus, "mmio") < 0 ||
	    virtio_mmio_create(&vm, &bus, NULL, FZ_BASE, 16, legacy, &fz_ops,
			       &dev, &e) < 0)
		abort();
	while (n++ < FZ_MAX_OPS && fz_next(&data, &size, &op)) {
		if (op.target % 4)
			reg_access(&vm, &op);
		else
			device_event(&vm, &op);
		check_invariants(&vm, &dev);
	}
	virtio_mmio_destroy(&vm);
	fz_check(!dev.live);
	bus_destroy(&bus);
	return 0;
}
