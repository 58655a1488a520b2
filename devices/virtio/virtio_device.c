// SPDX-License-Identifier: MIT
#include "devices/virtio/virtio_device.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

static void virtio_device_kick_ready(struct event_source *src, uint32_t events)
{
	struct virtio_device_queue *dq = src->opaque;
	uint64_t v;

	(void)events;
	if (read(src->fd, &v, sizeof(v)) < 0)
		return;
	if (!dq->vq.broken)
		dq->dev->queue_kick(dq->dev, dq->index);
}

static void virtio_device_stop_ready(struct event_source *src, uint32_t events)
{
	struct virtio_device *d = src->opaque;
	uint64_t v;

	(void)events;
	if (read(d->stop_efd, &v, sizeof(v)) < 0) {
		/* spurious wakeup: nothing to consume */
	}
	event_loop_stop(&d->loop);
}

static void *virtio_device_thread(void *arg)
{
	struct virtio_device *d = arg;

	event_loop_run(&d->loop);
	return NULL;
}

int virtio_device_init(struct virtio_device *d, const char *name,
		       const struct guest_mem *mem, unsigned int nr_queues,
		       void (*queue_kick)(struct virtio_device *, unsigned int),
		       void *priv, struct err *e)
{
	unsigned int q;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->mem = mem;
	d->nr_queues = nr_queues;
	d->queue_kick = queue_kick;
	d->priv = priv;
	d->stop_efd = -1;
	for (q = 0; q < nr_queues; q++) {
		d->queues[q].dev = d;
		d->queues[q].index = q;
	}
	if (event_loop_init(&d->loop, e) < 0)
		return -1;
	d->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->stop_efd < 0)
		return err_errno(e, errno, "eventfd");
	d->stop_src = (struct event_source){
		.fd = d->stop_efd,
		.ready = virtio_device_stop_ready,
		.opaque = d,
	};
	return event_loop_add(&d->loop, &d->stop_src, EPOLLIN, e);
}

void virtio_device_destroy(struct virtio_device *d)
{
	virtio_device_stop(d);
	if (d->stop_efd >= 0)
		close(d->stop_efd);
	d->stop_efd = -1;
	event_loop_destroy(&d->loop);
}

int virtio_device_start(struct virtio_device *d, struct virtio_transport *t)
{
	bool event_idx =
	    virtio_transport_has_feature(t, VIRTIO_F_RING_EVENT_IDX);
	bool indirect =
	    virtio_transport_has_feature(t, VIRTIO_F_RING_INDIRECT_DESC);
	unsigned int q;

	d->t = t;
	for (q = 0; q < d->nr_queues; q++) {
		struct virtio_device_queue *dq = &d->queues[q];
		const struct virtio_queue_config *qc = &t->queues[q];

		memset(&dq->vq, 0, sizeof(dq->vq));
		dq->kick = (struct event_source){
			.fd = qc->kick_fd,
			.ready = virtio_device_kick_ready,
			.opaque = dq,
		};
		if (!qc->enabled) {
			/* A queue the driver did not set up stays silent. */
			dq->vq.broken = true;
			continue;
		}
		if (virtq_init(&dq->vq, d->mem, qc->size, qc->desc_gpa,
			       qc->driver_gpa, qc->device_gpa, event_idx,
			       indirect) < 0) {
			log_debug("%s: queue %u rings outside guest RAM",
				  d->name, q);
			goto fail;
		}
		if (event_loop_add(&d->loop, &dq->kick, EPOLLIN, NULL) < 0)
			goto fail;
	}
	if (pthread_create(&d->thread, NULL, virtio_device_thread, d) != 0)
		goto fail;
	d->running = true;
	/* Buffers the driver queued before DRIVER_OK are served now. */
	for (q = 0; q < d->nr_queues; q++) {
		uint64_t one = 1;

		if (!d->queues[q].vq.broken &&
		    write(t->queues[q].kick_fd, &one, sizeof(one)) < 0) {
			/* already pending */
		}
	}
	return 0;
fail:
	virtio_device_stop(d);
	return -1;
}

void virtio_device_stop(struct virtio_device *d)
{
	uint64_t one = 1, v;
	unsigned int q;

	if (d->running) {
		if (write(d->stop_efd, &one, sizeof(one)) < 0) {
			/* already pending */
		}
		pthread_join(d->thread, NULL);
		d->running = false;
	}
	if (!d->t)
		return;
	for (q = 0; q < d->nr_queues; q++) {
		if (d->queues[q].kick.fd <= 0)
			continue;
		event_loop_del(&d->loop, &d->queues[q].kick);
		/* Drop stale kicks so a re-initialised queue starts clean. */
		if (read(d->queues[q].kick.fd, &v, sizeof(v)) < 0) {
			/* nothing pending */
		}
		d->queues[q].kick.fd = -1;
	}
	d->t = NULL;
}

void virtio_device_serve_queue(struct virtio_device *d, unsigned int q,
			       uint32_t (*serve)(struct virtio_device *d,
						 const struct virtq_chain *c))
{
	struct virtq *vq = &d->queues[q].vq;
	struct virtq_chain chain;
	enum virtq_pop_result r;
	bool pushed = false;

	do {
		virtq_disable_kicks(vq);
		while ((r = virtq_pop_chain(vq, &chain)) == VIRTQ_POP_OK) {
			virtq_push_used(vq, chain.head, serve(d, &chain));
			pushed = true;
		}
		if (r == VIRTQ_POP_BROKEN) {
			virtio_device_broken(d, q);
			return;
		}
	} while (virtq_enable_kicks(vq));
	if (pushed)
		virtio_device_notify(d, q);
}

int virtio_device_watch(struct virtio_device *d, struct event_source *src,
			uint32_t events, struct err *e)
{
	return event_loop_add(&d->loop, src, events, e);
}

void virtio_device_unwatch(struct virtio_device *d, struct event_source *src)
{
	event_loop_del(&d->loop, src);
}

void virtio_device_notify(struct virtio_device *d, unsigned int q)
{
	if (virtq_needs_interrupt(&d->queues[q].vq))
		virtio_transport_notify_queue(d->t, q);
}

void virtio_device_broken(struct virtio_device *d, unsigned int q)
{
	log_debug("%s: queue %u: driver broke the virtqueue protocol, device "
		  "needs reset",
		  d->name, q);
	d->queues[q].vq.broken = true;
	virtio_transport_set_needs_reset(d->t);
}
