// SPDX-License-Identifier: MIT
/* virtio-net: one device per --net, each owning its tap. */
#include <stdlib.h>

#include "vmm/device_types.h"
#include "vmm/machine.h"

struct net_dev {
	struct virtio_net net;
	struct net_tap tap;
};

void dev_net_destroy(void *dev)
{
	struct net_dev *nd = dev;

	virtio_net_destroy(&nd->net);
	net_tap_close(&nd->tap);
	free(nd);
}

static int create_net(struct machine *m, const struct device_type *type,
		      const struct vm_net_config *nc, enum vm_transport t,
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
	nd->net.print_stats = m->cfg->stats;
	return virtio_devices_plug(m, type, &virtio_net_ops, nd, t, e);
}

int dev_net_create(struct machine *m, const struct device_type *type,
		   enum vm_transport t, struct err *e)
{
	unsigned int i;

	for (i = 0; i < m->cfg->nr_nets; i++)
		if (create_net(m, type, &m->cfg->nets[i], t, e) < 0)
			return -1;
	return 0;
}
