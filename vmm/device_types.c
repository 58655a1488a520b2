// SPDX-License-Identifier: MIT
#include "vmm/device_types.h"

#include <linux/virtio_ids.h>
#include <stdio.h>
#include <string.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vsock.h"

/*
 * PCI class codes (PCI Code and ID Assignment specification) and the
 * transitional device IDs of virtio 1.x section 4.1.2.1: no installed
 * UAPI header carries either.
 */
#define PCI_CLASS_NETWORK_ETHERNET 0x020000
#define PCI_CLASS_STORAGE_OTHER 0x018000
#define PCI_CLASS_COMMUNICATION_OTHER 0x078000
#define PCI_CLASS_UNCLASSIFIED 0x00ff00

static struct virtio_device *console_vdev(void *dev)
{
	return &((struct virtio_console *)dev)->vdev;
}

static struct virtio_device *rng_vdev(void *dev)
{
	return &((struct virtio_rng *)dev)->vdev;
}

static struct virtio_device *blk_vdev(void *dev)
{
	return &((struct virtio_blk *)dev)->vdev;
}

static struct virtio_device *net_vdev(void *dev)
{
	return &((struct virtio_net *)dev)->vdev;
}

static struct virtio_device *vsock_vdev(void *dev)
{
	return &((struct virtio_vsock *)dev)->vdev;
}

/* In creation order, which is also PCI slot and MMIO address order. */
const struct device_type device_types[] = {
	{ "console", VIRTIO_ID_CONSOLE, PCI_CLASS_COMMUNICATION_OTHER, 0x1003,
	  dev_console_create, dev_console_destroy, console_vdev },
	{ "rng", VIRTIO_ID_RNG, PCI_CLASS_UNCLASSIFIED, 0x1005, dev_rng_create,
	  dev_rng_destroy, rng_vdev },
	{ "blk", VIRTIO_ID_BLOCK, PCI_CLASS_STORAGE_OTHER, 0x1001,
	  dev_blk_create, dev_blk_destroy, blk_vdev },
	{ "net", VIRTIO_ID_NET, PCI_CLASS_NETWORK_ETHERNET, 0x1000,
	  dev_net_create, dev_net_destroy, net_vdev },
	/* Modern only: virtio 1.2 gives vsock no transitional ID. */
	{ "vsock", VIRTIO_ID_VSOCK, PCI_CLASS_COMMUNICATION_OTHER, 0,
	  dev_vsock_create, dev_vsock_destroy, vsock_vdev },
};

const size_t nr_device_types = sizeof(device_types) / sizeof(device_types[0]);

const struct device_type *device_type_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nr_device_types; i++)
		if (strlen(device_types[i].name) == len &&
		    !strncmp(device_types[i].name, name, len))
			return &device_types[i];
	return NULL;
}

const char *device_type_names(char *buf, size_t size)
{
	size_t i, n = 0;

	if (size)
		buf[0] = 0;
	for (i = 0; i < nr_device_types && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      i == 0			 ? ""
				      : i + 1 == nr_device_types ? " or "
								 : ", ",
				      device_types[i].name);
	return buf;
}
