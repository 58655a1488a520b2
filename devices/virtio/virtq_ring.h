/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_VIRTQ_RING_H
#define VIREO_DEVICES_VIRTIO_VIRTQ_RING_H

/*
 * What the split and packed back-ends of virtqueue.c share: single-copy
 * atomic accesses to guest-shared ring fields, descriptor fetches, and the
 * per-buffer rules every chain obeys whatever the ring format. Private to
 * devices/virtio/virtq_*.c and virtqueue.c.
 */

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "devices/virtio/virtqueue.h"

#define VQ_DESC_SIZE 16

/* Both formats use the same 16 bytes; split calls the last field next. */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next; /* split: next index; packed: buffer id */
};

/*
 * Relaxed loads/stores of naturally aligned ring fields (the ring parts
 * are aligned, checked at init). The acquire/release variants publish
 * ring entries (rather than a relaxed access next to a fence: same
 * ordering, but ThreadSanitizer does not model fences).
 */
static inline uint16_t ring_load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline uint16_t ring_load16_acquire(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static inline void ring_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline void ring_store16_release(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

static inline void ring_store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

static inline bool ring_aligned(const void *p, uintptr_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

/* One fetch of a descriptor (indirect tables may be unaligned). */
void vq_desc_load(const uint8_t *p, struct vq_desc *d);

/* Marks q broken for good and empties c. */
enum virtq_pop_result virtq_break(struct virtq *q, struct virtq_chain *c);

/* A chain being walked: what the per-buffer rules remember. */
struct vq_walk {
	unsigned int nr_bufs;
	bool seen_write;
	uint64_t total;
};

/*
 * Adds one buffer descriptor (flags in VIRTQ_DESC_F_* terms) to c: chain
 * length, readable-after-writable, byte total and guest-RAM rules. False
 * on a violation.
 */
bool vq_chain_add(struct virtq *q, struct virtq_chain *c, struct vq_walk *w,
		  uint64_t addr, uint32_t len, uint16_t flags);

/* Checks an indirect descriptor and returns its table, NULL if invalid. */
const uint8_t *vq_indirect_table(struct virtq *q, const struct vq_desc *d,
				 uint32_t *entries);

/* The spec's vring_need_event(): event_idx in [old, new) modulo 2^16. */
bool vq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old);

/* Back-ends (virtq_split.c, virtq_packed.c). */
enum virtq_pop_result virtq_split_pop(struct virtq *q, struct virtq_chain *c);
/* publish false: used->idx is stored by virtq_split_publish() later. */
int virtq_split_push_batch(struct virtq *q, const struct virtq_used_elem *el,
			   unsigned int n, bool publish);
void virtq_split_publish(struct virtq *q);
bool virtq_split_needs_interrupt(struct virtq *q);
void virtq_split_set_kicks(struct virtq *q, bool on);
bool virtq_split_has_avail(struct virtq *q);

enum virtq_pop_result virtq_packed_pop(struct virtq *q, struct virtq_chain *c);
int virtq_packed_push_batch(struct virtq *q, const struct virtq_used_elem *el,
			    unsigned int n);
void virtq_packed_unpop(struct virtq *q, uint16_t n);
bool virtq_packed_needs_interrupt(struct virtq *q);
void virtq_packed_set_kicks(struct virtq *q, bool on);
bool virtq_packed_has_avail(struct virtq *q);

#endif
