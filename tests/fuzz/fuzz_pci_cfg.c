// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for PCI configuration space (bus/pci/pci.c, the buses
 * in bus/bus.c): a host bridge and a transitional virtio function with no
 * VM, driven by guest accesses (fuzz_ops.h): targets 0 port 0xCF8,
 * 1 ports 0xCFC-0xCFF, 2 the ECAM window (offset bits 0-11 register,
 * 12-13 slot, 14 function 1), 3 the PCI memory window (wherever the guest
 * moved the BARs), 4 the PCI I/O ports. Reads are checked against what
 * the configuration space must return; BAR state after each access.
 */
#include <stdint.h>
#include <string.h>

#include "bus/pci/virtio_pci.h"
#include "tests/fuzz/fuzz_ops.h"

static const struct virtio_pci_ids fz_ids = { 0x078000, 0x1003 };

#define FZ_MMIO_START 0xe0000000ull
#define FZ_MMIO_END 0xf0000000ull
#define FZ_ECAM 0xb0000000ull
#define FZ_HOST_IDS 0x00081b36u /* Red Hat host bridge */

static uint64_t fz_features(void *dev)
{
	(void)dev;
	return 1ull << VIRTIO_F_VERSION_1;
}

static uint32_t fz_config_size(void *dev)
{
	(void)dev;
	return 0;
}

static int fz_activate(void *dev, struct virtio_transport *t)
{
	(void)dev;
	(void)t;
	return 0;
}

static void fz_reset(void *dev)
{
	(void)dev;
}

static const struct virtio_dev_ops fz_ops = {
	.name = "fuzz",
	.device_id = 3,
	.nr_queues = 2,
	.queue_max_size = 64,
	.features = fz_features,
	.config_size = fz_config_size,
	.activate = fz_activate,
	.reset = fz_reset,
};

static struct {
	struct bus pio, mmio;
	struct pci_bus pb;
	struct virtio_pci vp;
} fz;

static uint64_t ecam_offset(uint32_t off)
{
	return ((uint64_t)((off >> 12) & 3) << 15) |
	       ((uint64_t)((off >> 14) & 1) << 12) | (off & 0xfff);
}

static uint64_t ecam_read(uint64_t off, unsigned int len)
{
	uint64_t v;

	memset(&v, FZ_POISON, sizeof(v));
	fz_check(bus_read(&fz.mmio, FZ_ECAM + off, &v, len));
	return len == 8 ? v : v & ((1ull << (8 * len)) - 1);
}

static void ecam_op(const struct fz_op *op)
{
	uint64_t off = ecam_offset(op->off), v;
	unsigned int slot = (off >> 15) & 3, reg = off & 0xfff;
	bool present = slot < 2 && !((off >> 12) & 1);

	if (op->write) {
		fz_check(bus_write(&fz.mmio, FZ_ECAM + off, &op->val, op->len));
		return;
	}
	if (off + op->len > PCI_ECAM_BUS_SIZE)
		return;
	v = ecam_read(off, op->len);
	if (op->len == 8 && off + 8 <= PCI_ECAM_BUS_SIZE)
		fz_check(v ==
			 (ecam_read(off, 4) | ecam_read(off + 4, 4) << 32));
	if (op->len <= 4 && !present)
		fz_check(v == (1ull << (8 * op->len)) - 1);
	if (op->len <= 4 && present && reg >= PCI_CFG_SIZE)
		fz_check(v == 0);
	if (op->len == 4 && off == 0)
		fz_check(v == FZ_HOST_IDS);
}

static void port_op(uint64_t port, const struct fz_op *op)
{
	unsigned int len = op->len > 4 ? 4 : op->len;
	uint32_t v;

	if (op->write) {
		bus_write(&fz.pio, port, &op->val, len);
		return;
	}
	memset(&v, FZ_POISON, sizeof(v));
	bus_read(&fz.pio, port, &v, len);
}

static void window_op(const struct fz_op *op)
{
	uint64_t addr = FZ_MMIO_START + ((uint64_t)op->off * 4) % 0x10000;
	uint8_t buf[8];

	if (op->write) {
		bus_write(&fz.mmio, addr, &op->val, op->len);
		return;
	}
	memset(buf, FZ_POISON, sizeof(buf));
	bus_read(&fz.mmio, addr, buf, op->len);
}

static void check_invariants(void)
{
	const struct pci_function *fn = &fz.vp.fn;
	bool master = fn->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
	int i;

	fz_check(virtio_transport_dma_allowed(&fz.vp.t) == master);
	for (i = 0; i < PCI_NR_BARS; i++) {
		const struct pci_bar *b = &fn->bars[i];

		if (b->kind == PCI_BAR_NONE || !b->mapped)
			continue;
		fz_check(b->addr && !(b->addr & (b->size - 1)));
		fz_check(b->kind != PCI_BAR_KIND_IO ||
			 b->addr + b->size <= 0x10000);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_op op;
	unsigned int n = 0;
	struct err e;

	memset(&fz, 0, sizeof(fz));
	if (bus_init(&fz.pio, "port") < 0 || bus_init(&fz.mmio, "mmio") < 0 ||
	    pci_bus_init(&fz.pb, &fz.pio, &fz.mmio, FZ_MMIO_START, FZ_MMIO_END,
			 &e) < 0 ||
	    pci_bus_enable_ecam(&fz.pb, FZ_ECAM, &e) < 0 ||
	    virtio_pci_create(&fz.vp, &fz.pb, NULL, NULL, &fz_ops, NULL,
			      &fz_ids, true, &e) < 0)
		abort();
	while (n++ < FZ_MAX_OPS && fz_next(&data, &size, &op)) {
		switch (op.target % 5) {
		case 0:
			port_op(PCI_CONFIG_ADDRESS_PORT, &op);
			break;
		case 1:
			port_op(PCI_CONFIG_DATA_PORT + op.off % 4, &op);
			break;
		case 2:
			ecam_op(&op);
			break;
		case 3:
			window_op(&op);
			break;
		default:
			port_op(0xc000 + op.off % 0x200, &op);
		}
		check_invariants();
	}
	virtio_pci_destroy(&fz.vp);
	pci_bus_destroy(&fz.pb);
	bus_destroy(&fz.pio);
	bus_destroy(&fz.mmio);
	return 0;
}
