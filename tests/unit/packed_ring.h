/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_UNIT_PACKED_RING_H
#define VIREO_TESTS_UNIT_PACKED_RING_H

/*
 * A fake driver for packed rings (virtio 1.2, 2.8), laid out and published
 * the way Linux's virtqueue_add_packed() does: every descriptor of a chain
 * but the head first, the head's flags last with a release, each
 * descriptor carrying the AVAIL/USED bits of the lap it sits in; used
 * buffers read in ring order, skipping as many descriptors as the buffer
 * took.
 */

#include <endian.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "split_ring.h"

#define PACKED_RING_MAX 32768
#define PR_F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PR_F_USED (1u << VRING_PACKED_DESC_F_USED)

struct packed_ring_buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

struct packed_ring {
	uint8_t *desc, *driver_evt, *device_evt; /* host views */
	uint16_t size;
	uint16_t next_avail, next_used;
	bool avail_wrap, used_wrap;
	uint16_t ndescs[PACKED_RING_MAX]; /* per buffer id in flight */
};

static inline void packed_ring_init(struct packed_ring *r, uint8_t *desc,
				    uint8_t *driver_evt, uint8_t *device_evt,
				    uint16_t size)
{
	memset(r, 0, sizeof(*r));
	r->desc = desc;
	r->driver_evt = driver_evt;
	r->device_evt = device_evt;
	r->size = size;
	r->avail_wrap = r->used_wrap = true;
	memset(desc, 0, (size_t)size * 16);
}

static inline uint16_t packed_ring_avail_bits(bool wrap)
{
	return wrap ? PR_F_AVAIL : PR_F_USED;
}

/* Packed layout is addr, len, id, flags: split's with the last two swapped. */
static inline void packed_ring_put_desc(uint8_t *d, uint64_t addr, uint32_t len,
					uint16_t id, uint16_t flags)
{
	split_ring_put_desc(d, addr, len, id, flags);
}

static inline uint16_t packed_ring_load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static inline void packed_ring_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

/*
 * Makes a chain of n ring descriptors available as buffer id; extra[i]
 * (NULL: none) adds flags such as INDIRECT to descriptor i.
 */
static inline void packed_ring_add_flags(struct packed_ring *r,
					 const struct packed_ring_buf *bufs,
					 const uint16_t *extra, unsigned int n,
					 uint16_t id)
{
	uint16_t pos = r->next_avail, head = pos, head_flags = 0;
	bool wrap = r->avail_wrap;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint16_t flags = packed_ring_avail_bits(wrap) |
				 (bufs[i].write ? 2 : 0) | (i + 1 < n ? 1 : 0) |
				 (extra ? extra[i] : 0);

		if (i == 0) {
			/*
			 * The device may be polling the head's flags: they
			 * are written once, atomically, below; the rest of
			 * the head now.
			 */
			uint8_t d[16];

			packed_ring_put_desc(d, bufs[i].addr, bufs[i].len, id,
					     0);
			memcpy(r->desc + 16 * (size_t)pos, d, 14);
			head_flags = flags;
		} else {
			packed_ring_put_desc(r->desc + 16 * (size_t)pos,
					     bufs[i].addr, bufs[i].len, id,
					     flags);
		}
		if (++pos == r->size) {
			pos = 0;
			wrap = !wrap;
		}
	}
	r->ndescs[id] = (uint16_t)n;
	r->next_avail = pos;
	r->avail_wrap = wrap;
	/* The head last: it publishes the chain. */
	packed_ring_store16(r->desc + 16 * (size_t)head + 14, head_flags);
}

static inline void packed_ring_add(struct packed_ring *r,
				   const struct packed_ring_buf *bufs,
				   unsigned int n, uint16_t id)
{
	packed_ring_add_flags(r, bufs, NULL, n, id);
}

/* The next used buffer, if the device has written it. */
static inline bool packed_ring_get_used(struct packed_ring *r, uint16_t *id,
					uint32_t *len)
{
	uint8_t *d = r->desc + 16 * (size_t)r->next_used;
	uint16_t flags = packed_ring_load16(d + 14);
	bool avail = flags & PR_F_AVAIL, used = flags & PR_F_USED;
	uint32_t l;
	uint16_t i;

	if (avail != used || used != r->used_wrap)
		return false;
	memcpy(&i, d + 12, 2);
	memcpy(&l, d + 8, 4);
	*id = le16toh(i);
	*len = le32toh(l);
	r->next_used = (uint16_t)(r->next_used + r->ndescs[*id]);
	if (r->next_used >= r->size) {
		r->next_used = (uint16_t)(r->next_used - r->size);
		r->used_wrap = !r->used_wrap;
	}
	r->ndescs[*id] = 0;
	return true;
}

/* The driver event structure: what the device interrupts for. */
static inline void packed_ring_set_driver_event(struct packed_ring *r,
						uint16_t flags, uint16_t off,
						bool wrap)
{
	uint16_t ow = htole16((uint16_t)(off | (wrap ? 0x8000 : 0)));

	memcpy(r->driver_evt, &ow, 2);
	packed_ring_store16(r->driver_evt + 2, flags);
}

static inline uint16_t packed_ring_device_event_flags(struct packed_ring *r)
{
	return packed_ring_load16(r->device_evt + 2);
}

#endif
