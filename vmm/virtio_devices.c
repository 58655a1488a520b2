// SPDX-License-Identifier: MIT
/*
 * Builds the virtio devices the configuration asks for and plugs each into
 * its transport. Every device type is a row of device_types[] and every
 * device goes through virtio_devices_plug(), so adding a transport is one
 * case in plug_transport().
 */
#include "vmm/layout.h"
#include "vmm/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/fault.h"
#include "vmm/device_types.h"
#include "vmm/host_quirks.h"
#include "vmm/virtio_features.h"

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

void virtio_devices_console_attach(struct machine *m,
				   struct virtio_console *vcon)
{
	m->vcon = vcon;
	/* Guest output held for lack of room resumes when stdout drains. */
	stdio_console_set_out_space(&m->console, vcon_tx_space, m);
}

struct virtio_console_backend virtio_devices_console_backend(struct machine *m)
{
	return (struct virtio_console_backend){
		.write = vcon_write,
		.rx_space = vcon_rx_space,
		.opaque = m,
	};
}

static int plug_transport(struct machine *m, struct virtio_slot *s,
			  enum vm_transport transport, struct err *e)
{
	switch (transport) {
	case VM_TRANSPORT_PCI:
	case VM_TRANSPORT_PCI_TRANSITIONAL: {
		const struct virtio_pci_ids ids = {
			.class_code = s->type->pci_class,
			.transitional_id = s->type->pci_transitional_id,
		};

		s->pci = calloc(1, sizeof(*s->pci));
		if (!s->pci)
			return err_set(e, "out of memory");
		return virtio_pci_create(
		    s->pci, &m->pci, &m->vm, &m->router, s->ops, s->dev, &ids,
		    transport == VM_TRANSPORT_PCI_TRANSITIONAL, e);
	}
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

static struct virtio_transport *slot_transport(struct virtio_slot *s)
{
	if (s->pci)
		return &s->pci->t;
	return s->mmio ? &s->mmio->t : NULL;
}

/* Instance index of the slot just added among devices of its type. */
static unsigned int slot_index(const struct machine *m,
			       const struct virtio_slot *s)
{
	unsigned int i, n = 0;

	for (i = 0; &m->vdevs[i] != s; i++)
		n += m->vdevs[i].type == s->type;
	return n;
}

/* --virtio-features: what the transport offers instead of the default. */
static int apply_features(struct machine *m, struct virtio_slot *s,
			  enum vm_transport transport, struct err *e)
{
	struct virtio_transport *t = slot_transport(s);

	return virtio_features_offer(
	    m->cfg->feature_rules, m->cfg->nr_feature_rules, s->type->name,
	    slot_index(m, s), transport, t->device_features,
	    &t->device_features, e);
}

/* A rule for one device that no device matched is a typo. */
static int check_feature_targets(const struct machine *m, struct err *e)
{
	unsigned int r, i;

	for (r = 0; r < m->cfg->nr_feature_rules; r++) {
		const char *target = m->cfg->feature_rules[r].target;
		bool hit = !strcmp(target, "all");

		for (i = 0; i < m->nr_vdevs && !hit; i++)
			hit = virtio_features_target_matches(
			    target, m->vdevs[i].type->name,
			    slot_index(m, &m->vdevs[i]));
		if (!hit)
			return err_set(e, "--virtio-features: no device %s",
				       target);
	}
	return 0;
}

/*
 * --trace and --fault see the device as TYPE + instance ("blk1"); a device
 * neither names keeps hooks NULL and runs none of their code.
 */
static int attach_hooks(struct machine *m, struct virtio_slot *s, struct err *e)
{
	struct virtio_transport *t = slot_transport(s);
	struct virtio_hooks *h;
	unsigned int instance = slot_index(m, s);

	if (!t || (!m->trace && !m->faults.nr_specs))
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(e, "out of memory");
	snprintf(h->dev, sizeof(h->dev), "%s%u", s->type->name, instance);
	h->trace = m->trace;
	h->mem = &m->mem;
	h->fault = fault_dev_create(&m->faults, h, s->type->name, instance);
	if (h->fault)
		h->config_read = fault_config_read;
	if (!h->fault && !h->trace) {
		free(h);
		return 0;
	}
	s->hooks = h;
	pthread_mutex_lock(&t->lock);
	t->hooks = h;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int virtio_devices_plug(struct machine *m, const struct device_type *type,
			const struct virtio_dev_ops *ops, void *dev,
			enum vm_transport transport, struct err *e)
{
	struct virtio_slot *s;

	if (m->nr_vdevs == VM_MAX_VIRTIO_DEVICES) {
		type->destroy(dev);
		return err_set(e, "too many virtio devices (at most %d)",
			       VM_MAX_VIRTIO_DEVICES);
	}
	s = &m->vdevs[m->nr_vdevs++];
	*s = (struct virtio_slot){ .type = type, .ops = ops, .dev = dev };
	if (plug_transport(m, s, transport, e) < 0)
		return -1;
	if (apply_features(m, s, transport, e) < 0)
		return -1;
	return attach_hooks(m, s, e);
}

int virtio_devices_create(struct machine *m, struct err *e)
{
	size_t i;

	m->faults = m->cfg->faults;
	if (m->cfg->trace_path &&
	    trace_open(&m->trace, m->cfg->trace_path, 0, e) < 0)
		return -1;
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
	for (i = 0; i < nr_device_types; i++) {
		const struct device_type *type = &device_types[i];

		if (type->create(m, type,
				 vm_config_transport(m->cfg, type->name),
				 e) < 0)
			return -1;
	}
	return check_feature_targets(m, e);
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

static struct virtio_device *slot_vdev(const struct virtio_slot *s)
{
	return s->type->vdev ? s->type->vdev(s->dev) : NULL;
}

void virtio_devices_suspend(struct machine *m, bool suspend)
{
	unsigned int i;

	for (i = 0; i < m->nr_vdevs; i++) {
		struct virtio_device *d = slot_vdev(&m->vdevs[i]);

		if (!d)
			continue;
		if (suspend)
			virtio_device_suspend(d);
		else
			virtio_device_unsuspend(d);
	}
}

bool virtio_devices_io_landed(struct machine *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_vdevs; i++) {
		struct virtio_device *d = slot_vdev(&m->vdevs[i]);

		if (d && d->io_landed && !d->io_landed(d))
			return false;
	}
	return true;
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
		s->type->destroy(s->dev);
		if (s->hooks) {
			fault_dev_destroy(s->hooks->fault);
			free(s->hooks);
		}
		*s = (struct virtio_slot){ 0 };
	}
	m->nr_vdevs = 0;
	m->vcon = NULL;
	/* Last: every device that could emit is gone. */
	trace_close(m->trace);
	m->trace = NULL;
	if (m->pci_ready)
		pci_bus_destroy(&m->pci);
	m->pci_ready = false;
}
