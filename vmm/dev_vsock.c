// SPDX-License-Identifier: MIT
/* virtio-vsock: at most one device, owning its Unix listening socket. */
#include <stdlib.h>

#include "devices/virtio/vsock.h"
#include "devices/virtio/vsock_uds.h"
#include "vmm/device_types.h"
#include "vmm/machine.h"

void dev_vsock_destroy(void *dev)
{
	struct virtio_vsock *v = dev;

	virtio_vsock_destroy(v);
	free(v);
}

/*
 * vsock has no legacy interface (virtio 1.2, 5.10; Linux's driver is
 * VERSION_1-only there too): on a legacy transport it gets that
 * transport's modern form, so `--transport mmio-legacy --vsock ...`
 * still gives the guest a vsock.
 */
static enum vm_transport vsock_transport(enum vm_transport t)
{
	if (t == VM_TRANSPORT_PCI_TRANSITIONAL)
		return VM_TRANSPORT_PCI;
	if (t == VM_TRANSPORT_MMIO_LEGACY)
		return VM_TRANSPORT_MMIO;
	return t;
}

int dev_vsock_create(struct machine *m, const struct device_type *type,
		     enum vm_transport t, struct err *e)
{
	const struct vm_vsock_config *vc = &m->cfg->vsock;
	struct virtio_vsock *v;
	int fd;

	if (!vc->enabled)
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return err_set(e, "out of memory");
	fd = vsock_uds_listen(vc->uds, e);
	if (fd < 0) {
		free(v);
		return -1;
	}
	if (virtio_vsock_init(v, &m->mem, vc->cid, vc->uds, fd, e) < 0) {
		dev_vsock_destroy(v);
		return -1;
	}
	return virtio_devices_plug(m, type, &virtio_vsock_ops, v,
				   vsock_transport(t), e);
}
