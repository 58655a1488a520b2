// SPDX-License-Identifier: MIT
/* virtio-console: with --console virtio, the guest's hvc0 on stdio. */
#include <stdlib.h>

#include "vmm/device_types.h"
#include "vmm/machine.h"

void dev_console_destroy(void *dev)
{
	virtio_console_destroy(dev);
	free(dev);
}

int dev_console_create(struct machine *m, const struct device_type *type,
		       enum vm_transport t, struct err *e)
{
	const struct virtio_console_backend be =
	    virtio_devices_console_backend(m);
	struct virtio_console *vcon;

	if (!m->console_route.virtio_console)
		return 0;
	vcon = calloc(1, sizeof(*vcon));
	if (!vcon)
		return err_set(e, "out of memory");
	if (virtio_console_init(vcon, &m->mem, &be, e) < 0) {
		free(vcon);
		return -1;
	}
	virtio_devices_console_attach(m, vcon);
	return virtio_devices_plug(m, type, &virtio_console_ops, vcon, t, e);
}
