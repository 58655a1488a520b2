// SPDX-License-Identifier: MIT
#include "bus/virtio_trace.h"

#include <stdio.h>
#include <string.h>

#include "bus/virtio_transport.h"

/* Descriptors listed per chain; the counts and totals are always there. */
#define TRACE_CHAIN_DESCS 8

static const char *const status_bits[8] = {
	"ACKNOWLEDGE", "DRIVER", "DRIVER_OK",	"FEATURES_OK",
	"bit4",	       "bit5",	 "NEEDS_RESET", "FAILED",
};

static void rec_status_names(struct trace_rec *r, uint8_t status)
{
	char names[128] = "[";
	size_t len = 1;
	unsigned int b;

	for (b = 0; b < 8; b++)
		if (status & (1u << b))
			len += (size_t)snprintf(
			    names + len, sizeof(names) - len, "%s\"%s\"",
			    len > 1 ? "," : "", status_bits[b]);
	names[len++] = ']';
	trace_rec_raw(r, ",\"bits\":", 8);
	trace_rec_raw(r, names, len);
}

void virtio_trace_status(struct virtio_hooks *h, uint8_t old, uint8_t status)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, "status"))
		return;
	trace_rec_u64(&r, "old", old);
	trace_rec_u64(&r, "status", status);
	rec_status_names(&r, status);
	trace_rec_end(&r);
}

void virtio_trace_features(struct virtio_hooks *h, uint64_t offered,
			   uint64_t accepted, bool ok)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, "features"))
		return;
	trace_rec_hex(&r, "offered", offered);
	trace_rec_hex(&r, "accepted", accepted);
	trace_rec_hex(&r, "declined", offered & ~accepted);
	trace_rec_bool(&r, "ok", ok);
	trace_rec_end(&r);
}

void virtio_trace_queue(struct virtio_hooks *h, unsigned int q,
			const struct virtio_queue_config *qc, bool legacy)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, "queue_enable"))
		return;
	trace_rec_u64(&r, "q", q);
	trace_rec_u64(&r, "size", qc->size);
	trace_rec_hex(&r, "desc", qc->desc_gpa);
	trace_rec_hex(&r, "avail", qc->driver_gpa);
	trace_rec_hex(&r, "used", qc->device_gpa);
	trace_rec_u64(&r, "vector", qc->vector);
	trace_rec_bool(&r, "legacy", legacy);
	trace_rec_end(&r);
}

void virtio_trace_config(struct virtio_hooks *h, uint32_t off, const void *data,
			 unsigned int len, bool write)
{
	struct trace_rec r;
	uint64_t v = 0;

	if (!virtio_trace_begin(h, &r, write ? "config_write" : "config_read"))
		return;
	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
	trace_rec_u64(&r, "off", off);
	trace_rec_u64(&r, "len", len);
	trace_rec_u64(&r, "value", v);
	trace_rec_end(&r);
}

void virtio_trace_generation(struct virtio_hooks *h, uint8_t gen)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, "generation"))
		return;
	trace_rec_u64(&r, "generation", gen);
	trace_rec_end(&r);
}

void virtio_trace_irq(struct virtio_hooks *h, int q, uint16_t vector)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, q < 0 ? "config_irq" : "irq"))
		return;
	if (q >= 0)
		trace_rec_u64(&r, "q", (uint64_t)q);
	trace_rec_u64(&r, "vector", vector);
	trace_rec_end(&r);
}

void virtio_trace_simple(struct virtio_hooks *h, const char *ev)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, ev))
		return;
	trace_rec_end(&r);
}

void virtio_trace_kick(struct virtio_hooks *h, unsigned int q)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, "kick"))
		return;
	trace_rec_u64(&r, "q", q);
	trace_rec_end(&r);
}

/* The guest-physical address of a host pointer into guest RAM. */
static uint64_t host_to_gpa(const struct guest_mem *m, const void *p)
{
	const uint8_t *b = p;
	unsigned int i;

	for (i = 0; m && i < m->nr_regions; i++) {
		const struct guest_mem_region *rg = &m->regions[i];

		if (b >= rg->host && b < rg->host + rg->size)
			return rg->gpa + (uint64_t)(b - rg->host);
	}
	return 0;
}

void virtio_trace_chain(struct virtio_hooks *h, unsigned int q, uint16_t head,
			const struct iovec *iov, unsigned int nr_out,
			unsigned int nr_in, uint64_t out_len, uint64_t in_len)
{
	struct trace_rec r;
	unsigned int i, n = nr_out + nr_in;

	if (!virtio_trace_begin(h, &r, "pop"))
		return;
	trace_rec_u64(&r, "q", q);
	trace_rec_u64(&r, "head", head);
	trace_rec_u64(&r, "out", nr_out);
	trace_rec_u64(&r, "in", nr_in);
	trace_rec_u64(&r, "out_bytes", out_len);
	trace_rec_u64(&r, "in_bytes", in_len);
	trace_rec_raw(&r, ",\"desc\":[", 9);
	for (i = 0; i < n && i < TRACE_CHAIN_DESCS; i++) {
		trace_rec_raw(&r, &",{\"addr\":"[i ? 0 : 1], i ? 9 : 8);
		trace_rec_raw_u64(&r, host_to_gpa(h->mem, iov[i].iov_base));
		trace_rec_raw(&r, ",\"len\":", 7);
		trace_rec_raw_u64(&r, iov[i].iov_len);
		trace_rec_raw(&r, ",\"flags\":", 9);
		trace_rec_raw_u64(&r, i < nr_out ? 0 : VRING_DESC_F_WRITE);
		trace_rec_raw(&r, "}", 1);
	}
	trace_rec_raw(&r, "]", 1);
	if (n > TRACE_CHAIN_DESCS)
		trace_rec_bool(&r, "desc_cut", true);
	trace_rec_end(&r);
}

void virtio_trace_used(struct virtio_hooks *h, unsigned int q, uint16_t head,
		       uint32_t len)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, "used"))
		return;
	trace_rec_u64(&r, "q", q);
	trace_rec_u64(&r, "head", head);
	trace_rec_u64(&r, "len", len);
	trace_rec_end(&r);
}

void virtio_trace_irq_suppressed(struct virtio_hooks *h, unsigned int q,
				 const char *why)
{
	struct trace_rec r;

	if (!virtio_trace_begin(h, &r, "irq_suppressed"))
		return;
	trace_rec_u64(&r, "q", q);
	trace_rec_str(&r, "why", why);
	trace_rec_end(&r);
}
