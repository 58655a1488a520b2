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
	/* Bus mastering off: the transport kicks again when it is back. */
	if (virtio_device_queue_ready(dq->dev, dq->index))
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

/* Buffers the driver queued before we (re)started are served now. */
static void virtio_device_kick_all(struct virtio_device *d)
{
	unsigned int q;

	for (q = 0; q < d->nr_queues; q++) {
		uint64_t one = 1;

		if (d->queues[q].enabled &&
		    write(d->queues[q].kick.fd, &one, sizeof(one)) < 0) {
			/* already pending */
		}
	}
}

static int virtio_device_resume(struct virtio_device *d)
{
	if (pthread_create(&d->thread, NULL, virtio_device_thread, d) != 0)
		return -1;
	d->running = true;
	virtio_device_kick_all(d);
	return 0;
}

static void virtio_device_pause(struct virtio_device *d)
{
	uint64_t one = 1;

	if (!d->running)
		return;
	if (write(d->stop_efd, &one, sizeof(one)) < 0) {
		/* already pending */
	}
	pthread_join(d->thread, NULL);
	d->running = false;
}

/* Takes q off the loop and drops its stale kicks. */
static void virtio_device_forget_queue(struct virtio_device *d, unsigned int q)
{
	struct virtio_device_queue *dq = &d->queues[q];
	uint64_t v;

	if (dq->enabled) {
		event_loop_del(&d->loop, &dq->kick);
		if (read(dq->kick.fd, &v, sizeof(v)) < 0) {
			/* nothing pending */
		}
	}
	dq->enabled = false;
	dq->kick.fd = -1;
	memset(&dq->vq, 0, sizeof(dq->vq));
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
		dq->enabled = false;
		dq->kick = (struct event_source){
			.fd = qc->kick_fd,
			.ready = virtio_device_kick_ready,
			.opaque = dq,
		};
		if (!qc->enabled)
			continue;
		if (virtq_init(&dq->vq, d->mem, qc->size, qc->desc_gpa,
			       qc->driver_gpa, qc->device_gpa, event_idx,
			       indirect) < 0) {
			log_guest_once(&d->logged_rings,
				       "%s: queue %u rings outside guest RAM",
				       d->name, q);
			goto fail;
		}
		if (event_loop_add(&d->loop, &dq->kick, EPOLLIN, NULL) < 0)
			goto fail;
		dq->enabled = true;
	}
	if (virtio_device_resume(d) < 0)
		goto fail;
	return 0;
fail:
	virtio_device_stop(d);
	return -1;
}

void virtio_device_stop(struct virtio_device *d)
{
	unsigned int q;

	virtio_device_pause(d);
	if (!d->t)
		return;
	for (q = 0; q < d->nr_queues; q++)
		virtio_device_forget_queue(d, q);
	d->t = NULL;
}

void virtio_device_suspend(struct virtio_device *d)
{
	if (!d->running)
		return;
	virtio_device_pause(d);
	/* Other threads' paths into the rings (console input) see it too. */
	__atomic_store_n(&d->suspended, true, __ATOMIC_RELEASE);
}

void virtio_device_unsuspend(struct virtio_device *d)
{
	if (!d->suspended)
		return;
	__atomic_store_n(&d->suspended, false, __ATOMIC_RELEASE);
	if (virtio_device_resume(d) < 0 && d->t)
		virtio_transport_set_needs_reset(d->t);
}

void virtio_device_queue_reset(struct virtio_device *d, unsigned int q)
{
	bool was_running = d->running;

	if (q >= d->nr_queues || !d->t)
		return;
	virtio_device_pause(d);
	if (d->queue_quiesce)
		d->queue_quiesce(d, q);
	virtio_device_forget_queue(d, q);
	if (was_running && virtio_device_resume(d) < 0)
		virtio_transport_set_needs_reset(d->t);
}

bool virtio_device_queue_ready(struct virtio_device *d, unsigned int q)
{
	/* broken may be set concurrently (see virtq_break): atomic read. */
	return d->t && q < d->nr_queues && d->queues[q].enabled &&
	       !__atomic_load_n(&d->queues[q].vq.broken, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&d->suspended, __ATOMIC_ACQUIRE) &&
	       virtio_transport_dma_allowed(d->t);
}

bool virtio_device_drain(struct virtio_device *d, unsigned int q,
			 virtio_serve_fn serve)
{
	struct virtq *vq = &d->queues[q].vq;
	struct virtq_chain *chain = &d->chain;
	enum virtq_pop_result r;
	bool ok = true;

	if (!virtio_device_queue_ready(d, q))
		return false;
	do {
		virtq_disable_kicks(vq);
		while ((r = virtq_pop_chain(vq, chain)) == VIRTQ_POP_OK) {
			uint32_t len = 0;

			atomic_fetch_add_explicit(&d->stats.requests, 1,
						  memory_order_relaxed);
			atomic_fetch_add_explicit(&d->stats.bytes,
						  chain->out_len,
						  memory_order_relaxed);
			switch (serve(d, q, chain, &len)) {
			case VIRTIO_SERVE_DONE:
				atomic_fetch_add_explicit(&d->stats.bytes, len,
							  memory_order_relaxed);
				virtq_push_used(vq, chain->head, len);
				break;
			case VIRTIO_SERVE_LATER:
				break;
			case VIRTIO_SERVE_STOP:
				virtq_unpop(vq, 1);
				ok = false;
				goto out;
			case VIRTIO_SERVE_BROKEN:
				r = VIRTQ_POP_BROKEN;
				break;
			}
			if (r == VIRTQ_POP_BROKEN)
				break;
			/* Bus mastering went off mid-drain: stop touching. */
			if (!virtio_transport_dma_allowed(d->t)) {
				ok = false;
				goto out;
			}
		}
		if (r == VIRTQ_POP_BROKEN) {
			atomic_fetch_add_explicit(&d->stats.errors, 1,
						  memory_order_relaxed);
			virtio_device_broken(d, q);
			ok = false;
			goto out;
		}
	} while (virtq_enable_kicks(vq));
out:
	/* Whatever reached the used ring is announced, whatever happened. */
	virtio_device_notify(d, q);
	return ok;
}

void virtio_device_complete(struct virtio_device *d, unsigned int q,
			    uint16_t head, uint32_t len)
{
	if (q < d->nr_queues && d->queues[q].enabled) {
		atomic_fetch_add_explicit(&d->stats.bytes, len,
					  memory_order_relaxed);
		virtq_push_used(&d->queues[q].vq, head, len);
	}
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
	struct virtq *vq = &d->queues[q].vq;

	if (!d->t || !d->queues[q].enabled || !vq->unnotified)
		return;
	/* Kept pending: the transport re-kicks when bus mastering returns. */
	if (!virtio_transport_dma_allowed(d->t))
		return;
	vq->unnotified = false;
	if (virtq_needs_interrupt(vq)) {
		atomic_fetch_add_explicit(&d->stats.interrupts, 1,
					  memory_order_relaxed);
		virtio_transport_notify_queue(d->t, q);
	}
}

void virtio_device_broken(struct virtio_device *d, unsigned int q)
{
	log_guest_once(&d->logged_broken,
		       "%s: queue %u: driver broke the virtqueue protocol, "
		       "device needs reset",
		       d->name, q);
	__atomic_store_n(&d->queues[q].vq.broken, true, __ATOMIC_RELAXED);
	virtio_transport_set_needs_reset(d->t);
}
