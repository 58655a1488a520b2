// SPDX-License-Identifier: MIT
/*
 * Builds the virtio devices the configuration asks for and plugs each into
 * its transport. Every device goes through virtio_devices_plug(), so adding
 * a device type is one block in virtio_devices_create() and adding a
 * transport is one case in plug_transport().
 */
#include "vmm/layout.h"
#include "vmm/machine.h"

#include <stdlib.h>
#include <string.h>

#include "vmm/host_quirks.h"

static size_t vcon_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine *m = opaque;

	return stdio_console_try_write(&m->console, buf, len);
}

static void vcon_tx_space(void *opaque)
{
	struct machine *m = opaque;

	if (m->vcon)
		virtio_console_tx_space(m->vcon);
}

static void vcon_rx_space(void *opaque)
{
	struct machine *m = opaque;

	stdio_console_kick(&m->console);
}

static int plug_transport(struct machine *m, struct virtio_slot *s,
			  enum vm_transport transport, struct err *e)
{
	switch (transport) {
	case VM_TRANSPORT_PCI:
	case VM_TRANSPORT_PCI_TRANSITIONAL:
		s->pci = calloc(1, sizeof(*s->pci));
		if (!s->pci)
			return err_set(e, "out of memory");
		return virtio_pci_create(
		    s->pci, &m->pci, &m->vm, &m->router, s->ops, s->dev,
		    transport == VM_TRANSPORT_PCI_TRANSITIONAL, e);
	case VM_TRANSPORT_MMIO:
	case VM_TRANSPORT_MMIO_LEGACY: {
		uint64_t base;
		uint32_t gsi;

		if (mmio_space_alloc(&m->space, VIRTIO_MMIO_SIZE,
				     VIRTIO_MMIO_SIZE, s->ops->name, &base,
				     e) < 0 ||
		    mmio_space_alloc_gsi(&m->space, s->ops->name, &gsi, e) < 0)
			return -1;
		s->mmio = calloc(1, sizeof(*s->mmio));
		if (!s->mmio)
			return err_set(e, "out of memory");
		return virtio_mmio_create(s->mmio, &m->mmio, &m->vm, base, gsi,
					  transport == VM_TRANSPORT_MMIO_LEGACY,
					  s->ops, s->dev, e);
	}
	}
	return err_set(e, "%s: unknown transport", s->ops->name);
}

int virtio_devices_plug(struct machine *m, const struct virtio_dev_ops *ops,
			void *dev, void (*free_dev)(void *dev),
			enum vm_transport transport, struct err *e)
{
	struct virtio_slot *s;

	if (m->nr_vdevs == VM_MAX_VIRTIO_DEVICES) {
		free_dev(dev);
		return err_set(e, "too many virtio devices (at most %d)",
			       VM_MAX_VIRTIO_DEVICES);
	}
	s = &m->vdevs[m->nr_vdevs++];
	*s = (struct virtio_slot){ .ops = ops,
				   .dev = dev,
				   .free_dev = free_dev };
	return plug_transport(m, s, transport, e);
}

static void free_console(void *dev)
{
	virtio_console_destroy(dev);
	free(dev);
}

static void free_rng(void *dev)
{
	virtio_rng_destroy(dev);
	free(dev);
}

static int create_console(struct machine *m, struct err *e)
{
	const struct virtio_console_backend be = {
		.write = vcon_write,
		.rx_space = vcon_rx_space,
		.opaque = m,
	};
	struct virtio_console *vcon = calloc(1, sizeof(*vcon));

	if (!vcon)
		return err_set(e, "out of memory");
	if (virtio_console_init(vcon, &m->mem, &be, e) < 0) {
		free(vcon);
		return -1;
	}
	m->vcon = vcon;
	stdio_console_set_out_space(&m->console, vcon_tx_space, m);
	return virtio_devices_plug(m, &virtio_console_ops, vcon, free_console,
				   vm_config_transport(m->cfg, "console"), e);
}

static int create_rng(struct machine *m, struct err *e)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return err_set(e, "out of memory");
	if (virtio_rng_init(rng, &m->mem, e) < 0) {
		free(rng);
		return -1;
	}
	return virtio_devices_plug(m, &virtio_rng_ops, rng, free_rng,
				   vm_config_transport(m->cfg, "rng"), e);
}

static void free_blk(void *dev)
{
	virtio_blk_destroy(dev);
	free(dev);
}

static int create_disk(struct machine *m, const struct vm_disk_config *dc,
		       struct err *e)
{
	const struct virtio_blk_params p = {
		.path = dc->path,
		.read_only = dc->read_only,
		.serial = dc->has_serial ? dc->serial : NULL,
		/* One request queue per vCPU, as many as a device may have. */
		.nr_queues = m->cfg->nr_cpus < VIRTIO_MAX_QUEUES
				 ? m->cfg->nr_cpus
				 : VIRTIO_MAX_QUEUES,
		.use_uring = true,
	};
	struct virtio_blk *b = calloc(1, sizeof(*b));

	if (!b)
		return err_set(e, "out of memory");
	if (virtio_blk_init(b, &m->mem, &p, e) < 0) {
		free_blk(b);
		return -1;
	}
	return virtio_devices_plug(m, &b->ops, b, free_blk,
				   vm_config_transport(m->cfg, "blk"), e);
}

/* A virtio-net device and the tap it owns. */
struct net_dev {
	struct virtio_net net;
	struct net_tap tap;
};

static void free_net(void *dev)
{
	struct net_dev *nd = dev;

	virtio_net_destroy(&nd->net);
	net_tap_close(&nd->tap);
	free(nd);
}

static int create_net(struct machine *m, const struct vm_net_config *nc,
		      struct err *e)
{
	struct net_dev *nd = calloc(1, sizeof(*nd));
	struct virtio_net_backend be;

	if (!nd)
		return err_set(e, "out of memory");
	if (net_tap_open(&nd->tap, nc->tap, e) < 0) {
		free(nd);
		return err_prefix(e, "--net");
	}
	be = net_tap_backend(&nd->tap);
	if (virtio_net_init(&nd->net, &m->mem, &be, nc->mac, e) < 0) {
		net_tap_close(&nd->tap);
		free(nd);
		return -1;
	}
	return virtio_devices_plug(m, &virtio_net_ops, nd, free_net,
				   vm_config_transport(m->cfg, "net"), e);
}

int virtio_devices_create(struct machine *m, struct err *e)
{
	unsigned int i;

	/* One allocator for the hole: PCI window, ECAM, then virtio-mmio. */
	mmio_space_init(&m->space, LAYOUT_MMIO32_START, LAYOUT_MMIO32_END,
			LAYOUT_MMIO_GSI_FIRST, LAYOUT_MMIO_GSI_END);
	m->pci_mem_size = LAYOUT_PCI_MEM_SIZE;
	if (mmio_space_alloc(&m->space, m->pci_mem_size, m->pci_mem_size,
			     "PCI BAR window", &m->pci_mem_base, e) < 0 ||
	    mmio_space_alloc(&m->space, PCI_ECAM_BUS_SIZE, PCI_ECAM_BUS_SIZE,
			     "PCI ECAM", &m->ecam_base, e) < 0)
		return -1;
	if (pci_bus_init(&m->pci, &m->pio, &m->mmio, m->pci_mem_base,
			 m->pci_mem_base + m->pci_mem_size, e) < 0)
		return -1;
	m->pci_ready = true;
	if (m->cfg->acpi && pci_bus_enable_ecam(&m->pci, m->ecam_base, e) < 0)
		return -1;
	if (m->cfg->console == VM_CONSOLE_VIRTIO && create_console(m, e) < 0)
		return -1;
	if (m->cfg->rng && create_rng(m, e) < 0)
		return -1;
	for (i = 0; i < m->cfg->nr_disks; i++)
		if (create_disk(m, &m->cfg->disks[i], e) < 0)
			return -1;
	for (i = 0; i < m->cfg->nr_nets; i++)
		if (create_net(m, &m->cfg->nets[i], e) < 0)
			return -1;
	return 0;
}

/*
 * Without ACPI the guest learns of virtio-mmio devices from its command line.
 */
int virtio_devices_cmdline(struct machine *m, struct err *e)
{
	unsigned int i;

	for (i = 0; i < m->nr_vdevs; i++) {
		char param[96], old[sizeof(m->cmdline)];

		if (!m->vdevs[i].mmio)
			continue;
		memcpy(old, m->cmdline, sizeof(old));
		if (virtio_mmio_cmdline_param(m->vdevs[i].mmio, param,
					      sizeof(param)) < 0 ||
		    cmdline_append(m->cmdline, sizeof(m->cmdline), old, param) <
			0)
			return err_set(e, "kernel command line too long");
	}
	return 0;
}

void virtio_devices_destroy(struct machine *m)
{
	unsigned int i;

	if (m->vcon)
		stdio_console_set_out_space(&m->console, NULL, NULL);
	/* Transport first: it resets the device, which stops its thread. */
	for (i = m->nr_vdevs; i-- > 0;) {
		struct virtio_slot *s = &m->vdevs[i];

		if (s->pci) {
			virtio_pci_destroy(s->pci);
			free(s->pci);
		}
		if (s->mmio) {
			virtio_mmio_destroy(s->mmio);
			free(s->mmio);
		}
		s->free_dev(s->dev);
		*s = (struct virtio_slot){ 0 };
	}
	m->nr_vdevs = 0;
	m->vcon = NULL;
	if (m->pci_ready)
		pci_bus_destroy(&m->pci);
	m->pci_ready = false;
}
