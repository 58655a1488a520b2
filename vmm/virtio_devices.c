// SPDX-License-Identifier: MIT
#include "vmm/layout.h"
#include "vmm/machine.h"

#include <stdlib.h>

static void vcon_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine *m = opaque;

	stdio_console_write(&m->console, buf, len);
}

static void vcon_rx_space(void *opaque)
{
	struct machine *m = opaque;

	stdio_console_kick(&m->console);
}

static struct virtio_pci *plug_pci(struct machine *m,
				   const struct virtio_dev_ops *ops, void *dev,
				   struct err *e)
{
	struct virtio_pci *vp = calloc(1, sizeof(*vp));

	if (!vp) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (virtio_pci_create(vp, &m->pci, &m->vm, &m->router, ops, dev,
			      m->cfg->transport ==
				      VM_TRANSPORT_PCI_TRANSITIONAL,
			      e) < 0) {
		virtio_pci_destroy(vp);
		free(vp);
		return NULL;
	}
	return vp;
}

int virtio_devices_create(struct machine *m, struct err *e)
{
	const struct virtio_console_backend be = {
		.write = vcon_write,
		.rx_space = vcon_rx_space,
		.opaque = m,
	};

	if (pci_bus_init(&m->pci, &m->pio, &m->mmio, LAYOUT_MMIO32_START,
			 LAYOUT_MMIO32_END, e) < 0)
		return -1;
	m->pci_ready = true;
	if (m->cfg->console == VM_CONSOLE_VIRTIO) {
		m->vcon = calloc(1, sizeof(*m->vcon));
		if (!m->vcon)
			return err_set(e, "out of memory");
		if (virtio_console_init(m->vcon, &m->mem, &be, e) < 0)
			return -1;
		m->vcon_pci = plug_pci(m, &virtio_console_ops, m->vcon, e);
		if (!m->vcon_pci)
			return -1;
	}
	if (m->cfg->rng) {
		m->rng = calloc(1, sizeof(*m->rng));
		if (!m->rng)
			return err_set(e, "out of memory");
		if (virtio_rng_init(m->rng, &m->mem, e) < 0)
			return -1;
		m->rng_pci = plug_pci(m, &virtio_rng_ops, m->rng, e);
		if (!m->rng_pci)
			return -1;
	}
	return 0;
}

void virtio_devices_destroy(struct machine *m)
{
	/* Transport first: it resets the device, which stops its thread. */
	if (m->vcon_pci) {
		virtio_pci_destroy(m->vcon_pci);
		free(m->vcon_pci);
		m->vcon_pci = NULL;
	}
	if (m->vcon) {
		virtio_console_destroy(m->vcon);
		free(m->vcon);
		m->vcon = NULL;
	}
	if (m->rng_pci) {
		virtio_pci_destroy(m->rng_pci);
		free(m->rng_pci);
		m->rng_pci = NULL;
	}
	if (m->rng) {
		virtio_rng_destroy(m->rng);
		free(m->rng);
		m->rng = NULL;
	}
	if (m->pci_ready)
		pci_bus_destroy(&m->pci);
	m->pci_ready = false;
}
