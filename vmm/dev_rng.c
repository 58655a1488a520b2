// SPDX-License-Identifier: MIT
/* virtio-rng (--rng), fed by getrandom(). */
#include <stdlib.h>

#include "vmm/device_types.h"
#include "vmm/machine.h"

void dev_rng_destroy(void *dev)
{
	virtio_rng_destroy(dev);
	free(dev);
}

int dev_rng_create(struct machine *m, const struct device_type *type,
		   enum vm_transport t, struct err *e)
{
	struct virtio_rng *rng;

	if (!m->cfg->rng)
		return 0;
	rng = calloc(1, sizeof(*rng));
	if (!rng)
		return err_set(e, "out of memory");
	if (virtio_rng_init(rng, &m->mem, e) < 0) {
		free(rng);
		return -1;
	}
	return virtio_devices_plug(m, type, &virtio_rng_ops, rng, t, e);
}
