/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_VIRTIO_DEVICE_H
#define VIREO_DEVICES_VIRTIO_VIRTIO_DEVICE_H

/*
 * What every virtio device shares: the virtqueues built from the
 * transport's queue configuration, and an I/O thread running an event loop
 * over the queues' kick eventfds (armed as KVM ioeventfds by the
 * transport), so guest notifications never exit to userspace. A device
 * embeds this, sets queue_kick, and calls virtio_device_start/stop from its
 * activate/reset ops.
 */

#include <pthread.h>
#include <stdbool.h>

#include "bus/virtio_transport.h"
#include "devices/virtio/virtqueue.h"
#include "kvm/guest_mem.h"
#include "util/event_loop.h"

struct virtio_device;

struct virtio_device_queue {
	struct virtq vq;
	struct event_source kick;
	struct virtio_device *dev;
	unsigned int index;
};

struct virtio_device {
	const char *name;
	const struct guest_mem *mem;
	struct virtio_transport *t; /* set while active */
	unsigned int nr_queues;
	struct virtio_device_queue queues[VIRTIO_MAX_QUEUES];
	/* Runs on the I/O thread when the guest kicked queue q. */
	void (*queue_kick)(struct virtio_device *d, unsigned int q);
	struct event_loop loop;
	struct event_source stop_src;
	int stop_efd;
	pthread_t thread;
	bool running;
	void *priv;
};

int virtio_device_init(struct virtio_device *d, const char *name,
		       const struct guest_mem *mem, unsigned int nr_queues,
		       void (*queue_kick)(struct virtio_device *, unsigned int),
		       void *priv, struct err *e);
void virtio_device_destroy(struct virtio_device *d);

/* From the device's activate op: build queues, start the I/O thread. */
int virtio_device_start(struct virtio_device *d, struct virtio_transport *t);
/* From the device's reset op: stop the thread, forget the queues. */
void virtio_device_stop(struct virtio_device *d);

/*
 * Serves every chain the driver made available on q (kicks off while
 * draining, re-checked after) with serve(), which returns the number of
 * bytes it wrote into the chain; then interrupts the guest if it wants
 * one. A broken chain marks the device NEEDS_RESET. I/O thread only.
 */
void virtio_device_serve_queue(struct virtio_device *d, unsigned int q,
			       uint32_t (*serve)(struct virtio_device *d,
						 const struct virtq_chain *c));

/*
 * A device's own fd (a back end such as a tap) on the I/O thread's loop:
 * src->ready runs on the I/O thread while watched. Call from the I/O thread,
 * or while it is stopped; a device may unwatch an fd to stop polling it
 * (e.g. no guest buffers to fill) and watch it again later.
 */
int virtio_device_watch(struct virtio_device *d, struct event_source *src,
			uint32_t events, struct err *e);
void virtio_device_unwatch(struct virtio_device *d, struct event_source *src);

/* After pushing used buffers on q: interrupt the guest if it wants one. */
void virtio_device_notify(struct virtio_device *d, unsigned int q);
/* The driver broke the protocol on q: NEEDS_RESET, queue stays dead. */
void virtio_device_broken(struct virtio_device *d, unsigned int q);

#endif
