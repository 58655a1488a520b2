// SPDX-License-Identifier: MIT
/*
 * Packed virtqueues, device side (virtio 1.2, 2.8). One ring of 16-byte
 * descriptors (addr, len, id, flags) that driver and device both write:
 * the driver marks a descriptor available by setting AVAIL to its wrap
 * counter and USED to the inverse; the device marks a buffer used by
 * writing one descriptor with AVAIL = USED = its own wrap counter at its
 * next used position, then moves on by the number of ring descriptors the
 * buffer took. Ordering, as in drivers/virtio/virtio_ring.c:
 *
 *   pop:   acquire-load the head's flags, then the rest of the chain (the
 *          driver writes the head's flags last, with a release).
 *   push:  store id and len, release-store flags.
 *   check: seq_cst fence between publishing (used flags or the device
 *          event structure) and loading the driver's event structure or
 *          the next descriptor's flags (the driver does the mirror image).
 *
 * Packed rules on top of virtqueue.c's:
 *  - a chain takes at most the ring descriptors not already in flight
 *    (no loops: a chain cannot come back around to its own head);
 *  - the buffer id (from the chain's last ring descriptor) is below the
 *    queue size and not already in flight;
 *  - an indirect descriptor ends the chain; its table is read in order,
 *    NEXT inside it is ignored (2.8.19).
 */
#include "devices/virtio/virtq_ring.h"

#include <linux/virtio_ring.h>
#include <stdlib.h>

/* Descriptor layout (2.8.13) and event structures (2.8.10). */
#define PDESC_ID 12
#define PDESC_FLAGS 14
#define PDESC_F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PDESC_F_USED (1u << VRING_PACKED_DESC_F_USED)
#define EVT_OFF_WRAP 0
#define EVT_FLAGS 2
#define EVT_BYTES 4
#define EVT_FLAGS_MASK 3
#define EVT_WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

/*
 * Per queue entry i: bookkeeping of buffer id i while in flight, and of
 * the pop at history position i (for virtq_unpop).
 */
struct virtq_packed_slot {
	uint16_t ndescs; /* ring descriptors buffer id i took; 0: not ours */
	uint16_t pop_pos; /* ring position before that pop */
	uint16_t pop_id; /* buffer id that pop returned */
	bool pop_wrap; /* avail wrap counter before that pop */
};

static bool ring_unaligned(const void *desc, const void *drv, const void *dev)
{
	return !ring_aligned(desc, 16) || !ring_aligned(drv, 4) ||
	       !ring_aligned(dev, 4);
}

int virtq_init_packed(struct virtq *q, const struct guest_mem *mem,
		      uint16_t size, uint64_t desc_gpa, uint64_t driver_gpa,
		      uint64_t device_gpa, bool event_idx, bool indirect)
{
	uint8_t *desc, *drv, *dev;

	*q = (struct virtq){
		.size = size,
		.desc_gpa = desc_gpa,
		.avail_gpa = driver_gpa,
		.used_gpa = device_gpa,
		.event_idx = event_idx,
		.indirect = indirect,
		.packed = true,
		.mem = mem,
		.avail_wrap = true, /* both counters start at 1 (2.8.1) */
		.used_wrap = true,
		.broken = true, /* until the rings are validated */
	};
	/* Positions, not free-running indices: any size works (2.8). */
	if (!mem || size == 0 || size > VIRTQ_MAX_SIZE)
		return -1;
	if (desc_gpa % 16 || driver_gpa % 4 || device_gpa % 4)
		return -1;
	desc = guest_mem_ptr(mem, desc_gpa, (uint64_t)VQ_DESC_SIZE * size);
	drv = guest_mem_ptr(mem, driver_gpa, EVT_BYTES);
	dev = guest_mem_ptr(mem, device_gpa, EVT_BYTES);
	if (!desc || !drv || !dev || ring_unaligned(desc, drv, dev))
		return -1;
	q->slots = calloc(size, sizeof(*q->slots));
	if (!q->slots)
		return -1;
	q->desc_host = desc;
	q->avail_host = drv;
	q->used_host = dev;
	q->broken = false;
	return 0;
}

static uint8_t *pdesc(const struct virtq *q, uint16_t pos)
{
	return q->desc_host + (size_t)pos * VQ_DESC_SIZE;
}

/* Available to the device in the lap whose wrap counter is wrap. */
static bool desc_avail(uint16_t flags, bool wrap)
{
	return !!(flags & PDESC_F_AVAIL) == wrap &&
	       !!(flags & PDESC_F_USED) != wrap;
}

static void advance(const struct virtq *q, uint16_t *pos, bool *wrap,
		    uint32_t n)
{
	uint32_t p = *pos + n;

	if (p >= q->size) {
		p -= q->size;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)p;
}

/* The flags are in the id's place of struct vq_desc's split view. */
static void pdesc_load(const uint8_t *p, struct vq_desc *d, uint16_t *id)
{
	uint16_t flags;

	vq_desc_load(p, d);
	flags = d->next;
	*id = d->flags;
	d->flags = flags;
	d->next = 0;
}

static bool walk_indirect(struct virtq *q, struct virtq_chain *c,
			  struct vq_walk *w, const struct vq_desc *ind)
{
	const uint8_t *table;
	uint32_t entries, i;
	struct vq_desc d;
	uint16_t id;

	if (ind->flags & VIRTQ_DESC_F_NEXT)
		return false;
	table = vq_indirect_table(q, ind, &entries);
	if (!table)
		return false;
	for (i = 0; i < entries; i++) {
		pdesc_load(table + (size_t)i * VQ_DESC_SIZE, &d, &id);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return false;
		if (!vq_chain_add(q, c, w, d.addr, d.len, d.flags))
			return false;
	}
	return true;
}

/*
 * Walks the chain at the next available position; on success returns the
 * number of ring descriptors it took and its buffer id, else 0.
 */
static uint32_t chain_walk(struct virtq *q, struct virtq_chain *c, uint16_t *id)
{
	uint32_t room = q->size - q->inflight_descs, n = 0;
	uint16_t pos = q->last_avail_idx;
	bool wrap = q->avail_wrap;
	struct vq_walk w = { 0 };
	struct vq_desc d;

	for (;;) {
		if (++n > room)
			return 0; /* longer than the free part of the ring */
		pdesc_load(pdesc(q, pos), &d, id);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return walk_indirect(q, c, &w, &d) ? n : 0;
		if (!vq_chain_add(q, c, &w, d.addr, d.len, d.flags))
			return 0;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return n;
		advance(q, &pos, &wrap, 1);
	}
}

enum virtq_pop_result virtq_packed_pop(struct virtq *q, struct virtq_chain *c)
{
	struct virtq_packed_slot *hist;
	uint16_t flags, id;
	uint32_t n;

	/* The chain's descriptors after the head flags that published it. */
	flags = ring_load16_acquire(pdesc(q, q->last_avail_idx) + PDESC_FLAGS);
	if (!desc_avail(flags, q->avail_wrap))
		return VIRTQ_POP_EMPTY;
	n = chain_walk(q, c, &id);
	if (n == 0 || id >= q->size || q->slots[id].ndescs)
		return virtq_break(q, c);
	c->head = id;
	q->slots[id].ndescs = (uint16_t)n;
	q->inflight_descs += n;
	hist = &q->slots[q->nr_pops];
	q->nr_pops = (q->nr_pops + 1) % q->size;
	hist->pop_pos = q->last_avail_idx;
	hist->pop_wrap = q->avail_wrap;
	hist->pop_id = id;
	advance(q, &q->last_avail_idx, &q->avail_wrap, n);
	return VIRTQ_POP_OK;
}

void virtq_packed_unpop(struct virtq *q, uint16_t n)
{
	while (n-- && q->inflight_descs) {
		struct virtq_packed_slot *h;

		q->nr_pops = (q->nr_pops + q->size - 1) % q->size;
		h = &q->slots[q->nr_pops];

		q->inflight_descs -= q->slots[h->pop_id].ndescs;
		q->slots[h->pop_id].ndescs = 0;
		q->last_avail_idx = h->pop_pos;
		q->avail_wrap = h->pop_wrap;
	}
}

/* Writes one used descriptor at position pos; flags are written last. */
static void put_used(struct virtq *q, uint16_t pos, bool wrap,
		     const struct virtq_used_elem *el, bool publish)
{
	uint8_t *p = pdesc(q, pos);
	uint16_t flags = wrap ? PDESC_F_AVAIL | PDESC_F_USED : 0;

	ring_store16(p + PDESC_ID, el->head);
	ring_store32(p + 8, el->len);
	if (publish)
		ring_store16_release(p + PDESC_FLAGS, flags);
}

int virtq_packed_push_batch(struct virtq *q, const struct virtq_used_elem *el,
			    unsigned int n)
{
	uint16_t pos = q->used_idx, first_pos = pos;
	bool wrap = q->used_wrap, first_wrap = wrap;
	uint32_t total = 0;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		if (el[i].head >= q->size || !q->slots[el[i].head].ndescs)
			return -1;
		for (j = 0; j < i; j++)
			if (el[j].head == el[i].head)
				return -1;
	}
	/*
	 * Every element but the first is published first: the driver reads
	 * the ring in order, so it sees the group only once the first is.
	 */
	for (i = 0; i < n; i++) {
		uint16_t nd = q->slots[el[i].head].ndescs;

		put_used(q, pos, wrap, &el[i], i > 0);
		q->slots[el[i].head].ndescs = 0;
		q->inflight_descs -= nd;
		total += nd;
		advance(q, &pos, &wrap, nd);
	}
	if (n)
		put_used(q, first_pos, first_wrap, &el[0], true);
	q->used_idx = pos;
	q->used_wrap = wrap;
	q->used_since_signal += total;
	if (q->used_since_signal > q->size)
		q->used_since_signal = (uint32_t)q->size + 1;
	return 0;
}

/*
 * With descriptor-specific notification the driver names one ring
 * position and lap; interrupt when the descriptors used since the last
 * interrupt include it. Positions are made linear around the current lap
 * (one in the previous lap lies size lower) for vring_need_event().
 */
static bool desc_event(struct virtq *q)
{
	uint16_t off_wrap = ring_load16(q->avail_host + EVT_OFF_WRAP);
	int32_t evt = off_wrap & ~EVT_WRAP, now = q->used_idx;

	if (!q->signalled_used_valid || q->used_since_signal > q->size)
		return true;
	if (!!(off_wrap & EVT_WRAP) != q->used_wrap)
		evt -= q->size;
	return vq_need_event((uint16_t)evt, (uint16_t)now,
			     (uint16_t)(now - (int32_t)q->used_since_signal));
}

bool virtq_packed_needs_interrupt(struct virtq *q)
{
	uint16_t flags =
	    ring_load16(q->avail_host + EVT_FLAGS) & EVT_FLAGS_MASK;
	bool need;

	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		need = false;
	else if (flags == VRING_PACKED_EVENT_FLAG_DESC && q->event_idx)
		need = desc_event(q);
	else
		need = true; /* ENABLE, or a value the driver may not use */
	if (need) {
		q->used_since_signal = 0;
		q->signalled_used_valid = true;
	}
	return need;
}

void virtq_packed_set_kicks(struct virtq *q, bool on)
{
	ring_store16(q->used_host + EVT_FLAGS,
		     on ? VRING_PACKED_EVENT_FLAG_ENABLE
			: VRING_PACKED_EVENT_FLAG_DISABLE);
}

bool virtq_packed_has_avail(struct virtq *q)
{
	return desc_avail(
	    ring_load16(pdesc(q, q->last_avail_idx) + PDESC_FLAGS),
	    q->avail_wrap);
}
