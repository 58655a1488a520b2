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
#include <stdatomic.h>
#include <stdbool.h>

#include "bus/virtio_transport.h"
#include "devices/virtio/virtqueue.h"
#include "kvm/guest_mem.h"
#include "util/event_loop.h"
#include "util/thread_hook.h"

struct virtio_device;

struct virtio_device_queue {
	struct virtq vq;
	struct event_source kick;
	struct virtio_device *dev;
	unsigned int index;
	/*
	 * The driver set this queue up. A queue it left alone is silent, not
	 * broken: nothing is served on it and it never causes NEEDS_RESET.
	 */
	bool enabled;
	/* I/O-thread counters (--stats): kicks served, interrupts raised. */
	uint64_t kicks, irqs;
};

/* Counted at the drain/complete/notify gate; read by the control API. */
struct virtio_device_stats {
	atomic_uint_fast64_t requests; /* chains taken from the rings */
	atomic_uint_fast64_t bytes; /* read from and written to them */
	atomic_uint_fast64_t errors; /* chains that broke a queue */
	atomic_uint_fast64_t interrupts; /* queue interrupts sent */
};

struct virtio_device {
	const char *name;
	const struct guest_mem *mem;
	struct virtio_transport *t; /* set while active */
	unsigned int nr_queues;
	struct virtio_device_queue queues[VIRTIO_MAX_QUEUES];
	/* Runs on the I/O thread when the guest kicked queue q. */
	void (*queue_kick)(struct virtio_device *d, unsigned int q);
	/*
	 * Optional, for virtio_device_queue_reset(): with the I/O thread
	 * stopped, wait for q's host I/O and forget q's requests.
	 */
	void (*queue_quiesce)(struct virtio_device *d, unsigned int q);
	/*
	 * Optional: with the device suspended, true once no host I/O it
	 * started can still write guest memory (NULL: its I/O thread does
	 * all of it, and a suspended one does none).
	 */
	bool (*io_landed)(struct virtio_device *d);
	struct event_loop loop;
	struct event_source stop_src;
	int stop_efd;
	pthread_t thread;
	/*
	 * The I/O thread is made once and parked between runs, so it never
	 * inherits the seccomp filter of whichever thread (a vCPU writing
	 * DRIVER_OK, the API resuming) starts the device: enter runs first on
	 * it, before it handles any guest input.
	 */
	struct thread_hook enter;
	bool spawned;
	struct {
		pthread_mutex_t lock;
		pthread_cond_t cond;
		bool run, exit;
	} park;
	bool running;
	bool suspended; /* by virtio_device_suspend() */
	struct virtio_device_stats stats;
	bool logged_broken, logged_rings; /* log_guest_once flags */
	/* Fault injection's periodic tick (timerfd), when a fault is timed. */
	struct event_source fault_tick;
	/* Scratch for the drain loop (I/O thread). */
	struct virtq_chain chain;
	void *priv;
};

int virtio_device_init(struct virtio_device *d, const char *name,
		       const struct guest_mem *mem, unsigned int nr_queues,
		       void (*queue_kick)(struct virtio_device *, unsigned int),
		       void *priv, struct err *e);
void virtio_device_destroy(struct virtio_device *d);

/*
 * Makes the (parked) I/O thread now, from the caller's thread, rather
 * than at the first start; d->enter runs on it at once. Idempotent.
 */
int virtio_device_spawn(struct virtio_device *d);

/*
 * Poll the queues (and sources watched with a poll op) for ns after each
 * burst of work before the I/O thread sleeps: a request that arrives
 * meanwhile costs no wakeup, at the price of that much CPU per burst (the
 * disk's poll=US). 0, the default: never. Before the first start.
 */
void virtio_device_set_poll(struct virtio_device *d, uint64_t ns);

/* From the device's activate op: build queues, start the I/O thread. */
int virtio_device_start(struct virtio_device *d, struct virtio_transport *t);
/* From the device's reset op: stop the thread, forget the queues. */
void virtio_device_stop(struct virtio_device *d);

/*
 * Stops serving queue q alone (the transport's queue_reset op): the I/O
 * thread is paused, q's in-flight work waited for (queue_quiesce), q
 * forgotten, the thread resumed for the other queues. Caller's thread.
 */
void virtio_device_queue_reset(struct virtio_device *d, unsigned int q);

/*
 * Serves queue q again after virtio_device_queue_reset, from the
 * transport's new configuration of it (the transport's queue_enable op).
 * Caller's thread; negative when q's rings are unusable.
 */
int virtio_device_queue_enable(struct virtio_device *d, unsigned int q);

/*
 * A paused VM: the I/O thread stops (work it has in flight completes
 * when it runs again) and nothing touches guest memory until
 * virtio_device_unsuspend(). Caller's thread, with the vCPUs parked, so
 * no transport op runs meanwhile.
 */
void virtio_device_suspend(struct virtio_device *d);
void virtio_device_unsuspend(struct virtio_device *d);

/*
 * q is enabled, not broken, the device not suspended, and guest memory
 * may be touched.
 */
bool virtio_device_queue_ready(struct virtio_device *d, unsigned int q);

/* What a device did with one chain the drain loop handed it. */
enum virtio_serve {
	VIRTIO_SERVE_DONE, /* finished: the loop pushes it with *len */
	VIRTIO_SERVE_LATER, /* in flight: virtio_device_complete() later */
	/*
	 * No resources now (back end full, request pool empty): the chain
	 * is put back and the loop stops; the device drains again when the
	 * resource returns.
	 */
	VIRTIO_SERVE_STOP,
	VIRTIO_SERVE_BROKEN, /* the chain breaks the protocol: NEEDS_RESET */
};

typedef enum virtio_serve (*virtio_serve_fn)(struct virtio_device *d,
					     unsigned int q,
					     const struct virtq_chain *c,
					     uint32_t *len);

/*
 * THE queue-draining loop, for every device: serves each chain the driver
 * made available on q (kicks off while draining, re-checked after), and
 * on every exit, broken or stopped paths included, interrupts the guest
 * for whatever reached the used ring (virtio_device_notify). Nothing is
 * served while q is not ready. Returns false when it stopped early
 * (VIRTIO_SERVE_STOP, broken, not ready). I/O thread only.
 */
bool virtio_device_drain(struct virtio_device *d, unsigned int q,
			 virtio_serve_fn serve);

/*
 * A chain popped outside the drain loop (net RX, console input): the same
 * trace and fault bookkeeping as the loop's. Any thread that owns q.
 */
void virtio_device_popped(struct virtio_device *d, unsigned int q,
			  const struct virtq_chain *c);

/* A chain served LATER is done: len bytes written into it. */
void virtio_device_complete(struct virtio_device *d, unsigned int q,
			    uint16_t head, uint32_t len);

/*
 * A device's own fd (a back end such as a tap) on the I/O thread's loop:
 * src->ready runs on the I/O thread while watched. Call from the I/O thread,
 * or while it is stopped; a device may unwatch an fd to stop polling it
 * (e.g. no guest buffers to fill) and watch it again later.
 */
int virtio_device_watch(struct virtio_device *d, struct event_source *src,
			uint32_t events, struct err *e);
void virtio_device_unwatch(struct virtio_device *d, struct event_source *src);

/*
 * Interrupts the guest if anything reached q's used ring since the last
 * call and the driver wants to hear of it. Harmless when nothing did.
 */
void virtio_device_notify(struct virtio_device *d, unsigned int q);
/* The driver broke the protocol on q: NEEDS_RESET, queue stays dead. */
void virtio_device_broken(struct virtio_device *d, unsigned int q);

#endif
