/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_CONSOLE_H
#define VIREO_DEVICES_VIRTIO_CONSOLE_H

/*
 * virtio-console (virtio 1.2, 5.3) with a single port (no MULTIPORT):
 * transmitq bytes go to the backend, the backend's input fills receiveq
 * buffers. Emergency writes through config space are supported so early
 * hvc output works before the queues are up.
 */

#include <pthread.h>

#include "devices/virtio/virtio_device.h"

struct virtio_console_backend {
	void (*write)(void *opaque, const uint8_t *buf, size_t len);
	/* The guest posted receive buffers: input may flow again. */
	void (*rx_space)(void *opaque);
	void *opaque;
};

struct virtio_console {
	struct virtio_device vdev;
	struct virtio_console_backend be;
	pthread_mutex_t rx_lock;
	bool active;
	uint64_t tx_bytes, rx_bytes;
};

extern const struct virtio_dev_ops virtio_console_ops;

int virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			const struct virtio_console_backend *be, struct err *e);
void virtio_console_destroy(struct virtio_console *c);

/* Host input for the guest; returns how many bytes the guest had room for. */
size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf,
			      size_t len);

#endif
