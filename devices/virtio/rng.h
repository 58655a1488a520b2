/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_RNG_H
#define VIREO_DEVICES_VIRTIO_RNG_H

/* virtio-rng (virtio 1.2, 5.4): one request queue filled from getrandom(). */

#include "bus/virtio_transport.h"
#include "devices/virtio/virtio_device.h"

struct virtio_rng {
	struct virtio_device vdev;
	uint64_t bytes_served;
};

extern const struct virtio_dev_ops virtio_rng_ops;

int virtio_rng_init(struct virtio_rng *rng, const struct guest_mem *mem,
		    struct err *e);
void virtio_rng_destroy(struct virtio_rng *rng);

#endif
