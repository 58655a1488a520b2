/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_VIRTIO_TRACE_H
#define VIREO_BUS_VIRTIO_TRACE_H

/*
 * Per-device tracing and fault hooks for the virtio stack. A transport
 * carries a struct virtio_hooks * that stays NULL unless --trace or
 * --fault named the device, so the hot paths pay one predictable branch.
 * bus/ emits the transport's events (status, features, queues, config,
 * interrupts, resets); devices/ emits chains, used entries and its own
 * decoded requests through the same helpers. The fault engine lives in
 * devices/virtio/fault.c; bus/ reaches it only through the callbacks here.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kvm/guest_mem.h"
#include "util/trace.h"

struct virtio_transport;
struct virtio_queue_config;

struct virtio_hooks {
	struct trace *trace; /* NULL: not traced */
	char dev[16]; /* "blk0", "net1": type name and instance */
	const struct guest_mem *mem; /* to name chain buffers by address */
	void *fault; /* devices/virtio/fault.c's per-device state, or NULL */
	/*
	 * Driver config read, transport lock held: a fault may patch the
	 * bytes the device produced or bump the generation.
	 */
	void (*config_read)(struct virtio_hooks *h, struct virtio_transport *t,
			    uint32_t off, void *data, unsigned int len);
};

/* Starts an event for h's device; false when h is not traced. */
static inline bool virtio_trace_begin(struct virtio_hooks *h,
				      struct trace_rec *r, const char *ev)
{
	if (!h || !h->trace)
		return false;
	trace_rec_begin(r, h->trace, h->dev, ev);
	return true;
}

/* Transport events (bus/). */
void virtio_trace_status(struct virtio_hooks *h, uint8_t old, uint8_t status);
void virtio_trace_features(struct virtio_hooks *h, uint64_t offered,
			   uint64_t accepted, bool ok);
void virtio_trace_queue(struct virtio_hooks *h, unsigned int q,
			const struct virtio_queue_config *qc, bool legacy);
void virtio_trace_config(struct virtio_hooks *h, uint32_t off, const void *data,
			 unsigned int len, bool write);
void virtio_trace_generation(struct virtio_hooks *h, uint8_t gen);
void virtio_trace_irq(struct virtio_hooks *h, int q, uint16_t vector);
void virtio_trace_simple(struct virtio_hooks *h, const char *ev);

/* Queue events (devices/): kicks, chains, used entries, suppression. */
void virtio_trace_kick(struct virtio_hooks *h, unsigned int q);
void virtio_trace_chain(struct virtio_hooks *h, unsigned int q, uint16_t head,
			const struct iovec *iov, unsigned int nr_out,
			unsigned int nr_in, uint64_t out_len, uint64_t in_len);
void virtio_trace_used(struct virtio_hooks *h, unsigned int q, uint16_t head,
		       uint32_t len);
/* why: "event_idx" or "no_interrupt" (the driver's suppression). */
void virtio_trace_irq_suppressed(struct virtio_hooks *h, unsigned int q,
				 const char *why);

#endif
