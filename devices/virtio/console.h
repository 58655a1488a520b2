/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_CONSOLE_H
#define VIREO_DEVICES_VIRTIO_CONSOLE_H

/*
 * virtio-console (virtio 1.2, 5.3) with a single port (no MULTIPORT):
 * transmitq bytes go to the backend, the backend's input fills receiveq
 * buffers. Emergency writes through config space are supported so early
 * hvc output works before the queues are up.
 *
 * Output never blocks: the backend takes what it can right now. When it
 * is full, transmitq stops taking chains until the backend reports space
 * (virtio_console_tx_space), and an emergency write is dropped.
 */

#include <pthread.h>

#include "devices/virtio/virtio_device.h"

struct virtio_console_backend {
	/* Non-blocking: returns how many bytes it accepted (0 when full). */
	size_t (*write)(void *opaque, const uint8_t *buf, size_t len);
	/* The guest posted receive buffers: input may flow again. */
	void (*rx_space)(void *opaque);
	void *opaque;
};

struct virtio_console {
	struct virtio_device vdev;
	struct virtio_console_backend be;
	pthread_mutex_t rx_lock;
	bool active;
	/* Host input arrives on the caller's thread: its own chain scratch. */
	struct virtq_chain rx_chain;
	/* I/O thread: bytes of the head transmit chain already written. */
	uint64_t tx_off;
	int tx_space_efd; /* backend has room again: resume transmitq */
	struct event_source tx_space_src;
	uint64_t tx_bytes, rx_bytes;
	uint64_t emerg_dropped; /* emergency bytes the backend refused */
	bool logged_rx_broken;
};

extern const struct virtio_dev_ops virtio_console_ops;

int virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			const struct virtio_console_backend *be, struct err *e);
void virtio_console_destroy(struct virtio_console *c);

/* Host input for the guest; returns how many bytes the guest had room for. */
size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf,
			      size_t len);
/* Any thread: the backend can take output again. */
void virtio_console_tx_space(struct virtio_console *c);

#endif
