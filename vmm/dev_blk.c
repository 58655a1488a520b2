// SPDX-License-Identifier: MIT
/* virtio-blk: one device per --disk, in order (vda, vdb, ...). */
#include <stdlib.h>

#include "vmm/device_types.h"
#include "vmm/machine.h"

void dev_blk_destroy(void *dev)
{
	virtio_blk_destroy(dev);
	free(dev);
}

static int create_disk(struct machine *m, const struct device_type *type,
		       const struct vm_disk_config *dc, enum vm_transport t,
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
		.poll_us = dc->poll_us,
	};
	struct virtio_blk *b = calloc(1, sizeof(*b));

	if (!b)
		return err_set(e, "out of memory");
	if (virtio_blk_init(b, &m->mem, &p, e) < 0) {
		dev_blk_destroy(b);
		return -1;
	}
	return virtio_devices_plug(m, type, &b->ops, b, t, e);
}

int dev_blk_create(struct machine *m, const struct device_type *type,
		   enum vm_transport t, struct err *e)
{
	unsigned int i;

	for (i = 0; i < m->cfg->nr_disks; i++)
		if (create_disk(m, type, &m->cfg->disks[i], t, e) < 0)
			return -1;
	return 0;
}
