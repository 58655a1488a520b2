/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_FAULT_H
#define VIREO_DEVICES_VIRTIO_FAULT_H

/*
 * Device-side fault injection (--fault, --fault-seed). Every decision is a
 * function of the seed, the spec, the queue and that queue's request
 * counter: the same seed and the same guest behaviour give the same
 * faults. Wall time only paces what the spec itself times (delay ms=,
 * hz=, after_ms=). The device's I/O thread owns a fault_dev's queue state;
 * the transport reads the config overrides under its lock (atomics).
 */

#include <stdbool.h>
#include <stdint.h>

#include "bus/virtio_trace.h"
#include "bus/virtio_transport.h"
#include "devices/virtio/fault_spec.h"

#define FAULT_MAX_SPECS 16
#define FAULT_MAX_HELD 64

struct fault_set {
	struct fault_spec specs[FAULT_MAX_SPECS];
	unsigned int nr_specs;
	uint64_t seed;
	/* Toggled at run time (SIGUSR1): off, nothing is injected. */
	bool enabled;
};

struct fault_held {
	uint16_t head;
	uint32_t len;
	uint64_t due_ms;
	bool reorder; /* released with the window, not at due_ms only */
};

#define FAULT_INFLIGHT_WORDS (32768 / 64)

struct fault_queue {
	uint64_t requests; /* chains popped: the decision counter */
	/* Heads popped and not yet used: used-id picks one outside. */
	uint64_t inflight[FAULT_INFLIGHT_WORDS];
	struct fault_held held[FAULT_MAX_HELD];
	unsigned int nr_held, nr_reorder;
};

struct fault_dev {
	const struct fault_set *set;
	struct virtio_hooks *h;
	bool is_blk, is_net;
	const struct fault_spec *specs[FAULT_MAX_SPECS];
	unsigned int nr_specs;
	uint64_t matched[FAULT_MAX_SPECS], fired[FAULT_MAX_SPECS];
	struct fault_queue queues[VIRTIO_MAX_QUEUES];
	uint64_t requests; /* every queue: for needs-reset after=N */
	uint64_t start_ms, last_spurious_ms, last_flap_ms;
	bool timed; /* a spec needs the periodic tick */
	/* Read by the transport (vCPU thread): atomics. */
	bool capacity_set, link_down;
	uint64_t capacity;
};

/*
 * The device's faults, or NULL when no spec names it (then the device
 * runs with no fault code at all). h must outlive it.
 */
struct fault_dev *fault_dev_create(const struct fault_set *set,
				   struct virtio_hooks *h, const char *type,
				   unsigned int instance);
void fault_dev_destroy(struct fault_dev *fd);

uint64_t fault_now_ms(void);

/* A chain was popped on q: counts it; true if the device must now report
 * NEEDS_RESET (needs-reset after=N). */
bool fault_request(struct fault_dev *fd, unsigned int q, uint16_t head);

/*
 * A parsed blk request: a status to fail it with (VIRTIO_BLK_S_IOERR or
 * _UNSUPP), or 0 to serve it. short_read is set when the device should
 * write fewer bytes than it reports.
 */
uint8_t fault_blk(struct fault_dev *fd, unsigned int q, uint16_t head,
		  enum fault_op op, uint64_t sector, uint64_t bytes,
		  bool *short_read);

/* rng/console: true to write fewer bytes than reported. */
bool fault_short_read(struct fault_dev *fd, unsigned int q, uint16_t head);

/*
 * A used entry about to be pushed: may rewrite head/len (used-id,
 * used-len). Returns false when the fault engine holds it (delay,
 * reorder): fault_release() hands it back later.
 */
bool fault_complete(struct fault_dev *fd, unsigned int q, uint16_t qsize,
		    uint16_t *head, uint32_t *len);
/* Next held entry of q due by now_ms (all of them with force). */
bool fault_release(struct fault_dev *fd, unsigned int q, uint64_t now_ms,
		   bool force, uint16_t *head, uint32_t *len);

/* q was reset: nothing held, nothing in flight. */
void fault_queue_forget(struct fault_dev *fd, unsigned int q);

/* The interrupt for q is dropped. */
bool fault_drop_irq(struct fault_dev *fd, unsigned int q);

/* What the periodic tick asks of the device. */
struct fault_tick {
	unsigned int spurious; /* interrupts to raise on queue 0 */
	bool config_changed; /* raise a config interrupt */
};
void fault_tick(struct fault_dev *fd, uint64_t now_ms, struct fault_tick *out);

/* The transport's config read hook (virtio_hooks.config_read). */
void fault_config_read(struct virtio_hooks *h, struct virtio_transport *t,
		       uint32_t off, void *data, unsigned int len);

#endif
