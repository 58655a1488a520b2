/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_FAULT_H
#define VIREO_DEVICES_VIRTIO_FAULT_H

/*
 * Device-side fault injection (--fault, --fault-seed). Every decision is a
 * function of the seed, the spec, the queue and that queue's request
 * counter: the same seed and the same guest behaviour give the same
 * faults. Wall time only paces what the spec itself times (delay ms=,
 * hz=, after_ms=). A fault_dev is reached from the device's I/O thread,
 * from other threads that fill its queues (console input), from vCPUs
 * (config reads) and from the control API (rules replaced at run time):
 * every entry point below takes its lock, and none calls out to the
 * transport with it held.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/virtio_trace.h"
#include "bus/virtio_transport.h"
#include "devices/virtio/fault_spec.h"

#define FAULT_MAX_HELD 64

struct fault_set {
	struct fault_spec specs[FAULT_MAX_SPECS];
	unsigned int nr_specs;
	uint64_t seed;
	/* Toggled at run time (SIGRTMIN+1, PATCH /faults): off, nothing is
	 * injected. */
	bool enabled;
	/* --fault-seed alone: every device gets the gate, rules come later. */
	bool armed;
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
	pthread_mutex_t lock;
	const struct fault_set *set;
	struct virtio_hooks *h;
	char type[FAULT_TARGET_MAX];
	unsigned int instance;
	bool is_blk, is_net;
	/* Copies: the API replaces them while the device runs. */
	struct fault_spec specs[FAULT_MAX_SPECS];
	unsigned int nr_specs;
	uint64_t matched[FAULT_MAX_SPECS], fired[FAULT_MAX_SPECS];
	struct fault_queue queues[VIRTIO_MAX_QUEUES];
	uint64_t requests; /* every queue: for needs-reset after=N */
	uint64_t start_ms, last_spurious_ms, last_flap_ms;
	bool capacity_set, link_down;
	bool link_restored; /* the tick tells the driver */
	uint64_t capacity;
};

/*
 * The device's faults, or NULL when faults are not armed (no --fault, no
 * --fault-seed: then no device runs any fault code). With them armed
 * every device has one, its rules those of set that name it (perhaps
 * none yet). h must outlive it.
 */
struct fault_dev *fault_dev_create(const struct fault_set *set,
				   struct virtio_hooks *h, const char *type,
				   unsigned int instance);
void fault_dev_destroy(struct fault_dev *fd);

/*
 * The rules of specs[0..n) that name the device replace its rules, their
 * counters from zero (held completions stay held and are released as
 * due). Any thread.
 */
void fault_dev_set_rules(struct fault_dev *fd, const struct fault_spec *specs,
			 unsigned int n);

/* One rule's counters, as GET /faults lists them. */
struct fault_rule_stat {
	char text[FAULT_TEXT_MAX];
	uint64_t matched, fired;
};
/* The device's rules into out[0..max); returns how many it has. */
unsigned int fault_dev_rules(struct fault_dev *fd, struct fault_rule_stat *out,
			     unsigned int max);

/* Whether a rule of kind k applies to the device now (a hint: the rule
 * may be replaced before it is asked about a request). */
bool fault_dev_has(struct fault_dev *fd, enum fault_kind k);

uint64_t fault_now_ms(void);

/* A chain was popped on q: counts it; true if the device must now report
 * NEEDS_RESET (needs-reset after=N). */
bool fault_request(struct fault_dev *fd, unsigned int q, uint16_t head);

/*
 * A parsed blk request: a status to fail it with (VIRTIO_BLK_S_IOERR or
 * _UNSUPP), or 0 to serve it.
 */
uint8_t fault_blk(struct fault_dev *fd, unsigned int q, uint16_t head,
		  enum fault_op op, uint64_t sector, uint64_t bytes);

/*
 * short-read, the one rule for every device: of the len bytes a request
 * of q is about to report written, how many the device really writes
 * (len: no fault). Half, rounded down to a multiple of align (a sector
 * for blk); len when that would leave nothing. The device reports len.
 */
uint64_t fault_short_len(struct fault_dev *fd, unsigned int q, uint16_t head,
			 uint64_t len, uint64_t align);

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
