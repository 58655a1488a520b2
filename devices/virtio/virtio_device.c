// SPDX-License-Identifier: MIT
#include "devices/virtio/virtio_device.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "devices/virtio/fault.h"
#include "util/log.h"

#define FAULT_TICK_MS 5

/* --trace or --fault named this device; NULL (the usual case) otherwise. */
static inline struct virtio_hooks *hooks_of(const struct virtio_device *d)
{
	return __builtin_expect(d->t && d->t->hooks != NULL, 0) ? d->t->hooks
								: NULL;
}

static inline struct fault_dev *faults_of(const struct virtio_device *d)
{
	struct virtio_hooks *h = hooks_of(d);

	return h ? h->fault : NULL;
}

static void virtio_device_kick_ready(struct event_source *src, uint32_t events)
{
	struct virtio_device_queue *dq = src->opaque;
	uint64_t v;

	(void)events;
	if (read(src->fd, &v, sizeof(v)) < 0)
		return;
	if (hooks_of(dq->dev))
		virtio_trace_kick(hooks_of(dq->dev), dq->index);
	/* Bus mastering off: the transport kicks again when it is back. */
	dq->kicks++;
	if (virtio_device_queue_ready(dq->dev, dq->index))
		dq->dev->queue_kick(dq->dev, dq->index);
}

/*
 * Polled: serves q if the driver made chains available, whether or not
 * it kicked. Work means progress (chains taken), so a queue the device
 * cannot take from (starved of requests) ends the polling, not spins.
 */
static bool virtio_device_kick_poll(struct event_source *src)
{
	struct virtio_device_queue *dq = src->opaque;
	uint16_t before = dq->vq.last_avail_idx;
	bool wrap = dq->vq.avail_wrap;

	if (!virtio_device_queue_ready(dq->dev, dq->index) ||
	    !virtq_has_avail(&dq->vq))
		return false;
	dq->dev->queue_kick(dq->dev, dq->index);
	return dq->vq.last_avail_idx != before || dq->vq.avail_wrap != wrap;
}

/*
 * Before the polling loop sleeps: kicks on again, and whatever the driver
 * queued before it could see them on is served now (or it would wait for
 * a kick it will never send).
 */
static bool virtio_device_kick_sleep(struct event_source *src)
{
	struct virtio_device_queue *dq = src->opaque;

	if (!virtio_device_queue_ready(dq->dev, dq->index) ||
	    !virtq_enable_kicks(&dq->vq))
		return false;
	return virtio_device_kick_poll(src);
}

void virtio_device_set_poll(struct virtio_device *d, uint64_t ns)
{
	d->loop.poll_ns = ns;
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

	thread_hook_enter(&d->enter);
	pthread_mutex_lock(&d->park.lock);
	for (;;) {
		while (!d->park.run && !d->park.exit)
			pthread_cond_wait(&d->park.cond, &d->park.lock);
		if (d->park.exit)
			break;
		pthread_mutex_unlock(&d->park.lock);
		event_loop_run(&d->loop);
		pthread_mutex_lock(&d->park.lock);
		d->park.run = false;
		pthread_cond_broadcast(&d->park.cond);
	}
	pthread_mutex_unlock(&d->park.lock);
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
	d->fault_tick.fd = -1;
	pthread_mutex_init(&d->park.lock, NULL);
	pthread_cond_init(&d->park.cond, NULL);
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
	if (d->spawned) {
		pthread_mutex_lock(&d->park.lock);
		d->park.exit = true;
		pthread_cond_broadcast(&d->park.cond);
		pthread_mutex_unlock(&d->park.lock);
		pthread_join(d->thread, NULL);
		d->spawned = false;
	}
	if (d->stop_efd >= 0)
		close(d->stop_efd);
	d->stop_efd = -1;
	if (d->fault_tick.fd >= 0)
		close(d->fault_tick.fd);
	d->fault_tick.fd = -1;
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

/*
 * The deepest a device thread goes is one chain walk (a 16 KiB iovec
 * array) under a log line; glibc's 8 MiB default only inflates the
 * address space. ASan frames are several times larger.
 */
#ifdef __SANITIZE_ADDRESS__
#define VIRTIO_THREAD_STACK (1u << 20)
#else
#define VIRTIO_THREAD_STACK (256u << 10)
#endif

int virtio_device_spawn(struct virtio_device *d)
{
	pthread_attr_t attr;
	int ret;

	if (d->spawned)
		return 0;
	if (pthread_attr_init(&attr) != 0)
		return -1;
	pthread_attr_setstacksize(&attr, VIRTIO_THREAD_STACK);
	ret = pthread_create(&d->thread, &attr, virtio_device_thread, d);
	pthread_attr_destroy(&attr);
	if (ret != 0)
		return -1;
	d->spawned = true;
	return 0;
}

static int virtio_device_resume(struct virtio_device *d)
{
	if (virtio_device_spawn(d) < 0)
		return -1;
	pthread_mutex_lock(&d->park.lock);
	d->park.run = true;
	pthread_cond_broadcast(&d->park.cond);
	pthread_mutex_unlock(&d->park.lock);
	d->running = true;
	virtio_device_kick_all(d);
	return 0;
}

/* Returns once the I/O thread has left its loop (and is parked). */
static void virtio_device_pause(struct virtio_device *d)
{
	uint64_t one = 1;

	if (!d->running)
		return;
	if (write(d->stop_efd, &one, sizeof(one)) < 0) {
		/* already pending */
	}
	pthread_mutex_lock(&d->park.lock);
	while (d->park.run)
		pthread_cond_wait(&d->park.cond, &d->park.lock);
	pthread_mutex_unlock(&d->park.lock);
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
	virtq_release(&dq->vq);
	memset(&dq->vq, 0, sizeof(dq->vq));
	/* Held completions belong to rings the driver has just forgotten. */
	if (faults_of(d))
		fault_queue_forget(faults_of(d), q);
}

/* Pushes q's held completions that are due (all of them with force). */
static void release_held(struct virtio_device *d, unsigned int q, bool force)
{
	struct fault_dev *fd = faults_of(d);
	uint64_t now = fault_now_ms();
	uint16_t head;
	uint32_t len;

	while (fd && d->queues[q].enabled &&
	       fault_release(fd, q, now, force, &head, &len)) {
		virtio_trace_used(d->t->hooks, q, head, len);
		virtq_push_used(&d->queues[q].vq, head, len);
	}
}

static void virtio_device_tick(struct event_source *src, uint32_t events)
{
	struct virtio_device *d = src->opaque;
	struct fault_dev *fd = faults_of(d);
	struct fault_tick out;
	uint64_t v;
	unsigned int q;

	(void)events;
	if (read(src->fd, &v, sizeof(v)) < 0 || !fd)
		return;
	for (q = 0; q < d->nr_queues; q++)
		if (virtio_device_queue_ready(d, q)) {
			release_held(d, q, false);
			virtio_device_notify(d, q);
		}
	fault_tick(fd, fault_now_ms(), &out);
	while (out.spurious--)
		virtio_transport_notify_queue(d->t, 0);
	if (out.config_changed) {
		__atomic_add_fetch(&d->t->config_generation, 1,
				   __ATOMIC_SEQ_CST);
		virtio_trace_generation(d->t->hooks, d->t->config_generation);
		virtio_transport_notify_config(d->t);
	}
}

/* A timerfd on the I/O thread's loop: delays, flaps, timed changes. */
static int virtio_device_start_tick(struct virtio_device *d)
{
	struct itimerspec its = {
		.it_interval = { 0, FAULT_TICK_MS * 1000000L },
		.it_value = { 0, FAULT_TICK_MS * 1000000L },
	};

	if (d->fault_tick.fd >= 0)
		return 0; /* kept across resets, on the loop */
	d->fault_tick = (struct event_source){
		.fd =
		    timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
		.ready = virtio_device_tick,
		.opaque = d,
	};
	if (d->fault_tick.fd < 0)
		return -1;
	if (timerfd_settime(d->fault_tick.fd, 0, &its, NULL) < 0 ||
	    event_loop_add(&d->loop, &d->fault_tick, EPOLLIN, NULL) < 0) {
		close(d->fault_tick.fd);
		d->fault_tick.fd = -1;
		return -1;
	}
	return 0;
}

/* Builds queue q from the transport's configuration and watches its kicks. */
static int virtio_device_queue_setup(struct virtio_device *d, unsigned int q)
{
	struct virtio_transport *t = d->t;
	struct virtio_device_queue *dq = &d->queues[q];
	const struct virtio_queue_config *qc = &t->queues[q];
	bool event_idx =
	    virtio_transport_has_feature(t, VIRTIO_F_RING_EVENT_IDX);
	bool indirect =
	    virtio_transport_has_feature(t, VIRTIO_F_RING_INDIRECT_DESC);
	bool packed = virtio_transport_has_feature(t, VIRTIO_F_RING_PACKED);

	memset(&dq->vq, 0, sizeof(dq->vq));
	dq->enabled = false;
	dq->kick = (struct event_source){
		.fd = qc->kick_fd,
		.ready = virtio_device_kick_ready,
		.opaque = dq,
		.poll = d->loop.poll_ns ? virtio_device_kick_poll : NULL,
		.sleep = d->loop.poll_ns ? virtio_device_kick_sleep : NULL,
	};
	if (!qc->enabled)
		return 0;
	if ((packed ? virtq_init_packed : virtq_init)(
		&dq->vq, d->mem, qc->size, qc->desc_gpa, qc->driver_gpa,
		qc->device_gpa, event_idx, indirect) < 0) {
		log_guest_once(&d->logged_rings,
			       "%s: queue %u rings outside guest RAM", d->name,
			       q);
		return -1;
	}
	if (event_loop_add(&d->loop, &dq->kick, EPOLLIN, NULL) < 0)
		return -1;
	dq->enabled = true;
	return 0;
}

int virtio_device_start(struct virtio_device *d, struct virtio_transport *t)
{
	unsigned int q;

	d->t = t;
	for (q = 0; q < d->nr_queues; q++)
		if (virtio_device_queue_setup(d, q) < 0)
			goto fail;
	/* Any rule may be timed, the API's too: the tick runs with faults. */
	if (faults_of(d) && virtio_device_start_tick(d) < 0)
		goto fail;
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

int virtio_device_queue_enable(struct virtio_device *d, unsigned int q)
{
	bool was_running = d->running;
	int r;

	if (q >= d->nr_queues || !d->t)
		return -1;
	virtio_device_pause(d);
	virtio_device_forget_queue(d, q);
	r = virtio_device_queue_setup(d, q);
	/* Resuming kicks every enabled queue: q serves what is waiting. */
	if (was_running && virtio_device_resume(d) < 0)
		r = -1;
	return r;
}

bool virtio_device_queue_ready(struct virtio_device *d, unsigned int q)
{
	/* broken may be set concurrently (see virtq_break): atomic read. */
	return d->t && q < d->nr_queues && d->queues[q].enabled &&
	       !__atomic_load_n(&d->queues[q].vq.broken, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&d->suspended, __ATOMIC_ACQUIRE) &&
	       virtio_transport_dma_allowed(d->t);
}

void virtio_device_popped(struct virtio_device *d, unsigned int q,
			  const struct virtq_chain *c)
{
	struct virtio_hooks *h = hooks_of(d);

	if (!h)
		return;
	virtio_trace_chain(h, q, c->head, c->iov, c->nr_out, c->nr_in,
			   c->out_len, c->in_len);
	if (h->fault && fault_request(h->fault, q, c->head))
		virtio_transport_set_needs_reset(d->t);
}

/* THE gate every used entry of a drained queue goes through. */
static void virtio_device_push(struct virtio_device *d, unsigned int q,
			       uint16_t head, uint32_t len)
{
	struct virtio_hooks *h = hooks_of(d);
	struct virtq *vq = &d->queues[q].vq;

	atomic_fetch_add_explicit(&d->stats.bytes, len, memory_order_relaxed);
	/* Published by virtio_device_notify(), once for the whole run. */
	if (!h) {
		virtq_push_used_later(vq, head, len);
		return;
	}
	if (h->fault && !fault_complete(h->fault, q, vq->size, &head, &len))
		return; /* held: the tick pushes it */
	virtio_trace_used(h, q, head, len);
	virtq_push_used_later(vq, head, len);
	if (h->fault)
		release_held(d, q, false);
}

bool virtio_device_drain(struct virtio_device *d, unsigned int q,
			 virtio_serve_fn serve)
{
	struct virtq *vq = &d->queues[q].vq;
	struct virtq_chain *chain = &d->chain;
	enum virtq_pop_result r;
	bool ok = true;

	if (!virtio_device_queue_ready(d, q)) {
		/* What completions pushed is still announced. */
		virtio_device_notify(d, q);
		return false;
	}
	do {
		virtq_disable_kicks(vq);
		while ((r = virtq_pop_chain(vq, chain)) == VIRTQ_POP_OK) {
			uint32_t len = 0;

			virtio_device_popped(d, q, chain);
			atomic_fetch_add_explicit(&d->stats.requests, 1,
						  memory_order_relaxed);
			atomic_fetch_add_explicit(&d->stats.bytes,
						  chain->out_len,
						  memory_order_relaxed);
			switch (serve(d, q, chain, &len)) {
			case VIRTIO_SERVE_DONE:
				virtio_device_push(d, q, chain->head, len);
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
		/*
		 * A polled device (poll_ns) keeps kicks off: its loop polls,
		 * and turns them back on (virtio_device_kick_sleep) only before
		 * it sleeps.
		 */
	} while (!d->loop.poll_ns && virtq_enable_kicks(vq));
out:
	/* Whatever reached the used ring is announced, whatever happened. */
	virtio_device_notify(d, q);
	return ok;
}

void virtio_device_complete(struct virtio_device *d, unsigned int q,
			    uint16_t head, uint32_t len)
{
	if (q < d->nr_queues && d->queues[q].enabled)
		virtio_device_push(d, q, head, len);
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
	virtq_publish_used(vq);
	vq->unnotified = false;
	/*
	 * Dropped before the ring's interrupt bookkeeping: the device does
	 * not believe it interrupted, so the queue's next completion does.
	 */
	if (faults_of(d) && fault_drop_irq(faults_of(d), q))
		return;
	if (virtq_needs_interrupt(vq)) {
		d->queues[q].irqs++;
		atomic_fetch_add_explicit(&d->stats.interrupts, 1,
					  memory_order_relaxed);
		virtio_transport_notify_queue(d->t, q);
	} else if (hooks_of(d)) {
		virtio_trace_irq_suppressed(d->t->hooks, q,
					    vq->event_idx ? "event_idx"
							  : "no_interrupt");
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
