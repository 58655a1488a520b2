// SPDX-License-Identifier: MIT
/*
 * Split virtqueues, device side (virtio 1.2, 2.7). Ordering follows the
 * driver's (drivers/virtio/virtio_ring.c):
 *
 *   pop:   load avail->idx; acquire; load ring[] and descriptors
 *          (pairs with the driver's barrier before it bumps avail->idx).
 *   push:  store the used element; release; store used->idx
 *          (pairs with the driver's read barrier after loading used->idx).
 *   check: seq_cst fence between publishing (used->idx, used->flags or
 *          avail_event) and loading what the driver published (used_event,
 *          avail->flags, avail->idx). The driver does the mirror image
 *          (virtio_mb() between avail->idx and avail_event / used flags),
 *          so at least one side sees the other's store: no lost wakeup.
 *
 * Split rules on top of virtqueue.c's:
 *  - the head and every next index lie inside their table;
 *  - at most size descriptors are visited in the ring's table and at most
 *    the table's entries in an indirect table (no loops);
 *  - avail->idx may not run more than size entries ahead of us.
 */
#include "devices/virtio/virtq_ring.h"

/* Ring layout (2.7): byte offsets inside each part. */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING(i) (4 + 2 * (size_t)(i))
#define AVAIL_USED_EVENT(size) AVAIL_RING(size)
#define AVAIL_BYTES(size) (6 + 2 * (uint64_t)(size))
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_ELEM_ID(i) (4 + 8 * (size_t)(i))
#define USED_ELEM_LEN(i) (8 + 8 * (size_t)(i))
#define USED_AVAIL_EVENT(size) USED_ELEM_ID(size)
#define USED_BYTES(size) (6 + 8 * (uint64_t)(size))

int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size,
	       uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
	       bool event_idx, bool indirect)
{
	uint8_t *desc, *avail, *used;

	*q = (struct virtq){
		.size = size,
		.desc_gpa = desc_gpa,
		.avail_gpa = avail_gpa,
		.used_gpa = used_gpa,
		.event_idx = event_idx,
		.indirect = indirect,
		.mem = mem,
		.broken = true, /* until the rings are validated */
	};

	/* Free-running 16-bit indices need a power-of-two size (2.7). */
	if (!mem || size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -1;
	if (desc_gpa % 16 || avail_gpa % 2 || used_gpa % 4)
		return -1;
	/* 1.x layout: the event fields are always there (2.7, table). */
	desc = guest_mem_ptr(mem, desc_gpa, (uint64_t)VQ_DESC_SIZE * size);
	avail = guest_mem_ptr(mem, avail_gpa, AVAIL_BYTES(size));
	used = guest_mem_ptr(mem, used_gpa, USED_BYTES(size));
	if (!desc || !avail || !used)
		return -1;
	/* Host alignment too: the atomic accesses rely on it. */
	if (!ring_aligned(desc, 16) || !ring_aligned(avail, 2) ||
	    !ring_aligned(used, 4))
		return -1;

	/*
	 * Overlapping parts are not rejected: they only confuse the driver.
	 * Each guest field is read once and validated, so nothing we write
	 * into the used ring can make us trust an unchecked value.
	 */
	q->desc_host = desc;
	q->avail_host = avail;
	q->used_host = used;
	q->broken = false;
	return 0;
}

/* Walks the chain at head into c; false on any rule violation. */
static bool chain_walk(struct virtq *q, struct virtq_chain *c, uint16_t head)
{
	const uint8_t *table = q->desc_host;
	uint32_t entries = q->size; /* of the table being walked */
	uint32_t visited = 0; /* descriptors visited in that table */
	uint32_t idx = head;
	bool in_indirect = false;
	struct vq_walk w = { 0 };
	struct vq_desc d;

	for (;;) {
		if (++visited > entries)
			return false; /* a loop */
		vq_desc_load(table + (size_t)idx * VQ_DESC_SIZE, &d);

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (in_indirect || (d.flags & VIRTQ_DESC_F_NEXT))
				return false;
			table = vq_indirect_table(q, &d, &entries);
			if (!table)
				return false;
			visited = 0;
			idx = 0;
			in_indirect = true;
			continue;
		}
		if (!vq_chain_add(q, c, &w, d.addr, d.len, d.flags))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= entries)
			return false;
		idx = d.next;
	}
}

enum virtq_pop_result virtq_split_pop(struct virtq *q, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, head;

	/* Ring entries and descriptors after the idx that published them. */
	avail_idx = ring_load16_acquire(q->avail_host + AVAIL_IDX);
	pending = (uint16_t)(avail_idx - q->last_avail_idx);
	if (pending == 0)
		return VIRTQ_POP_EMPTY;
	if (pending > q->size)
		return virtq_break(q, c);

	head = ring_load16(q->avail_host +
			   AVAIL_RING(q->last_avail_idx & (q->size - 1)));
	if (head >= q->size)
		return virtq_break(q, c);
	c->head = head;
	if (!chain_walk(q, c, head))
		return virtq_break(q, c);
	q->last_avail_idx++;
	return VIRTQ_POP_OK;
}

void virtq_split_publish(struct virtq *q)
{
	ring_store16_release(q->used_host + USED_IDX, q->used_idx);
}

int virtq_split_push_batch(struct virtq *q, const struct virtq_used_elem *el,
			   unsigned int n, bool publish)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (el[i].head >= q->size)
			return -1;
	for (i = 0; i < n; i++) {
		uint16_t slot = (uint16_t)(q->used_idx + i) & (q->size - 1);

		ring_store32(q->used_host + USED_ELEM_ID(slot), el[i].head);
		ring_store32(q->used_host + USED_ELEM_LEN(slot), el[i].len);
	}
	/* Every element before the one idx store that publishes them all. */
	q->used_idx = (uint16_t)(q->used_idx + n);
	if (publish)
		virtq_split_publish(q);

	/*
	 * signalled_used only moves when we interrupt, so the window
	 * (signalled_used, used_idx] that vring_need_event() looks at grows
	 * with every silent push. Before it gets too wide for 16-bit
	 * arithmetic, forget it: the next check then interrupts once.
	 */
	if ((uint16_t)(q->used_idx - q->signalled_used) >= 0x8000)
		q->signalled_used_valid = false;
	return 0;
}

/*
 * True when event_idx lies in [old, new) modulo 2^16, i.e. the driver asked
 * to hear about the entry at index event_idx and one of the entries just
 * published is that one (same formula as the spec's vring_need_event()).
 */
bool vq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

bool virtq_split_needs_interrupt(struct virtq *q)
{
	bool need;

	if (!q->event_idx) {
		need = !(ring_load16(q->avail_host + AVAIL_FLAGS) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	} else {
		uint16_t used_event =
		    ring_load16(q->avail_host + AVAIL_USED_EVENT(q->size));

		need =
		    !q->signalled_used_valid ||
		    vq_need_event(used_event, q->used_idx, q->signalled_used);
	}
	if (need) {
		q->signalled_used = q->used_idx;
		q->signalled_used_valid = true;
	}
	return need;
}

void virtq_split_set_kicks(struct virtq *q, bool on)
{
	if (!q->event_idx) {
		ring_store16(q->used_host + USED_FLAGS,
			     on ? 0 : VIRTQ_USED_F_NO_NOTIFY);
	} else if (on) {
		ring_store16(q->used_host + USED_AVAIL_EVENT(q->size),
			     q->last_avail_idx);
	} else {
		/*
		 * The driver kicks when the avail idx it publishes passes
		 * avail_event. Its idx never falls behind last_avail_idx and
		 * never runs more than size ahead, so last_avail_idx - 1 is
		 * an index it cannot pass: no kicks until enable.
		 */
		ring_store16(q->used_host + USED_AVAIL_EVENT(q->size),
			     (uint16_t)(q->last_avail_idx - 1));
	}
}

bool virtq_split_has_avail(struct virtq *q)
{
	return ring_load16(q->avail_host + AVAIL_IDX) != q->last_avail_idx;
}
