// SPDX-License-Identifier: MIT
/*
 * Split virtqueues, device side (virtio 1.2, 2.7).
 *
 * The guest driver runs on other CPUs and writes the rings while we read
 * them, so every field the guest owns is fetched exactly once into a local
 * with an atomic (relaxed) load, validated, and only the local is used:
 * a guest that rewrites a descriptor after we looked at it cannot make us
 * act on a value we did not check. Ordering follows the driver's
 * (drivers/virtio/virtio_ring.c):
 *
 *   pop:   load avail->idx; acquire fence; load ring[] and descriptors
 *          (pairs with the driver's barrier before it bumps avail->idx).
 *   push:  store the used element; release fence; store used->idx
 *          (pairs with the driver's read barrier after loading used->idx).
 *   check: seq_cst fence between publishing (used->idx, used->flags or
 *          avail_event) and loading what the driver published (used_event,
 *          avail->flags, avail->idx). The driver does the mirror image
 *          (virtio_mb() between avail->idx and avail_event / used flags),
 *          so at least one side sees the other's store: no lost wakeup.
 *
 * Rules a chain must obey, otherwise the queue is broken for good (the
 * device is expected to set DEVICE_NEEDS_RESET):
 *  - the head and every next index lie inside their table;
 *  - at most size descriptors are visited in the ring's table and at most
 *    the table's entries in an indirect table (no loops);
 *  - at most VIRTQ_MAX_CHAIN buffer descriptors in total (the descriptor
 *    that points at an indirect table is not a buffer and does not count);
 *  - INDIRECT only when negotiated, never with NEXT, never inside an
 *    indirect table; the table is a non-zero multiple of 16 bytes, at most
 *    VIRTQ_MAX_CHAIN entries, inside guest RAM; its WRITE flag is ignored
 *    (2.7.5.3.2);
 *  - no device-readable descriptor after a device-writable one;
 *  - out + in bytes at most VIRTQ_MAX_CHAIN_BYTES (2^32, the spec's limit;
 *    no uint64 overflow is then possible);
 *  - every buffer [addr, addr + len) lies inside ONE guest memory region.
 *    Regions are separate host mappings: a range crossing a boundary would
 *    need two iovecs for one descriptor, and in vireo's layout RAM is
 *    never contiguous across regions anyway (the MMIO hole separates low
 *    and high RAM), so a crossing buffer is a driver bug or an attack;
 *  - zero-length buffers are allowed: they produce no iovec, and their
 *    address is not checked since nothing is ever accessed through it;
 *  - avail->idx may not run more than size entries ahead of us.
 *
 * After a queue is broken, pop returns BROKEN and has_avail / enable_kicks
 * return false; push_used and needs_interrupt still work (the rings were
 * validated at init) so that chains popped earlier can be completed.
 */
#include "devices/virtio/virtqueue.h"

#include <endian.h>
#include <string.h>

/* Ring layout (2.7): byte offsets inside each part. */
#define DESC_SIZE 16
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

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/*
 * Single-copy atomic accesses to guest-shared ring fields. The ring parts
 * are aligned (checked in virtq_init), so every field is naturally aligned.
 */
static inline uint16_t ring_load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline void ring_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

/*
 * The idx loads/stores that publish ring entries: an acquire load of
 * avail->idx, a release store of used->idx. (Rather than a relaxed access
 * next to a fence: same ordering, but ThreadSanitizer does not model
 * fences and would report every buffer handed over through the ring.)
 */
static inline uint16_t ring_load16_acquire(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static inline void ring_store16_release(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

static inline void ring_store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

/*
 * One fetch of a descriptor. Ring tables are 16-byte aligned; an indirect
 * table may sit anywhere (the spec gives it no alignment), so an unaligned
 * one is copied bytewise through a volatile pointer instead.
 */
static void desc_load(const uint8_t *p, struct vq_desc *d)
{
	uint64_t lo, hi;

	if (((uintptr_t)p & 7) == 0) {
		lo = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
		hi = __atomic_load_n((const uint64_t *)(p + 8),
				     __ATOMIC_RELAXED);
	} else {
		const volatile uint8_t *v = p;
		uint8_t b[DESC_SIZE];
		unsigned int i;

		for (i = 0; i < DESC_SIZE; i++)
			b[i] = v[i];
		memcpy(&lo, b, 8);
		memcpy(&hi, b + 8, 8);
	}
	lo = le64toh(lo);
	hi = le64toh(hi);
	d->addr = lo;
	d->len = (uint32_t)hi;
	d->flags = (uint16_t)(hi >> 32);
	d->next = (uint16_t)(hi >> 48);
}

static bool ring_aligned(const void *p, uintptr_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

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
	desc = guest_mem_ptr(mem, desc_gpa, (uint64_t)DESC_SIZE * size);
	avail = guest_mem_ptr(mem, avail_gpa, AVAIL_BYTES(size));
	used = guest_mem_ptr(mem, used_gpa, USED_BYTES(size));
	if (!desc || !avail || !used)
		return -1;
	/* Host alignment too: the atomic accesses above rely on it. */
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

static enum virtq_pop_result virtq_break(struct virtq *q, struct virtq_chain *c)
{
	/*
	 * Atomic: a queue served outside the I/O thread (the console's
	 * receiveq, under its rx_lock) breaks while the I/O thread may read
	 * the flag unlocked in virtio_device_queue_ready().
	 */
	__atomic_store_n(&q->broken, true, __ATOMIC_RELAXED);
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	return VIRTQ_POP_BROKEN;
}

/* Walks the chain at head into c; false on any rule violation. */
static bool chain_walk(struct virtq *q, struct virtq_chain *c, uint16_t head)
{
	const uint8_t *table = q->desc_host;
	uint32_t entries = q->size; /* of the table being walked */
	uint32_t visited = 0; /* descriptors visited in that table */
	uint32_t idx = head, nr_bufs = 0;
	bool in_indirect = false, seen_write = false;
	uint64_t total = 0;
	struct vq_desc d;

	for (;;) {
		if (++visited > entries)
			return false; /* a loop */
		desc_load(table + (size_t)idx * DESC_SIZE, &d);

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect || in_indirect ||
			    (d.flags & VIRTQ_DESC_F_NEXT))
				return false;
			if (d.len == 0 || d.len % DESC_SIZE ||
			    d.len / DESC_SIZE > VIRTQ_MAX_CHAIN)
				return false;
			table = guest_mem_ptr(q->mem, d.addr, d.len);
			if (!table)
				return false;
			entries = d.len / DESC_SIZE;
			visited = 0;
			idx = 0;
			in_indirect = true;
			continue;
		}

		if (++nr_bufs > VIRTQ_MAX_CHAIN)
			return false;
		if (d.flags & VIRTQ_DESC_F_WRITE)
			seen_write = true;
		else if (seen_write)
			return false; /* readable after writable */
		/* total <= 2^32 before, d.len < 2^32: cannot overflow. */
		total += d.len;
		if (total > VIRTQ_MAX_CHAIN_BYTES)
			return false;

		if (d.len) {
			void *p = guest_mem_ptr(q->mem, d.addr, d.len);
			struct iovec *iov = &c->iov[c->nr_out + c->nr_in];

			if (!p)
				return false; /* outside RAM or crossing */
			iov->iov_base = p;
			iov->iov_len = d.len;
			if (d.flags & VIRTQ_DESC_F_WRITE) {
				c->nr_in++;
				c->in_len += d.len;
			} else {
				c->nr_out++;
				c->out_len += d.len;
			}
		}

		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= entries)
			return false;
		idx = d.next;
	}
}

enum virtq_pop_result virtq_pop_chain(struct virtq *q, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, head;

	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	if (q->broken)
		return VIRTQ_POP_BROKEN;

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

int virtq_push_used(struct virtq *q, uint16_t head, uint32_t len)
{
	uint16_t slot;

	if (!q->used_host || head >= q->size)
		return -1;
	slot = q->used_idx & (q->size - 1);
	ring_store32(q->used_host + USED_ELEM_ID(slot), head);
	ring_store32(q->used_host + USED_ELEM_LEN(slot), len);
	/* The element before the idx that publishes it. */
	q->used_idx++;
	ring_store16_release(q->used_host + USED_IDX, q->used_idx);
	q->unnotified = true;

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

int virtq_push_used_batch(struct virtq *q, const struct virtq_used_elem *el,
			  unsigned int n)
{
	unsigned int i;

	if (!q->used_host || n > q->size)
		return -1;
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
	ring_store16_release(q->used_host + USED_IDX, q->used_idx);
	q->unnotified = q->unnotified || n;
	if ((uint16_t)(q->used_idx - q->signalled_used) >= 0x8000)
		q->signalled_used_valid = false;
	return 0;
}

void virtq_unpop(struct virtq *q, uint16_t n)
{
	q->last_avail_idx = (uint16_t)(q->last_avail_idx - n);
}

/*
 * True when event_idx lies in [old, new) modulo 2^16, i.e. the driver asked
 * to hear about the entry at index event_idx and one of the entries just
 * published is that one (same formula as the spec's vring_need_event()).
 */
static bool need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

bool virtq_needs_interrupt(struct virtq *q)
{
	bool need;

	if (!q->avail_host)
		return false;
	/* used->idx is visible before we look at what the driver wants. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx) {
		need = !(ring_load16(q->avail_host + AVAIL_FLAGS) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	} else {
		uint16_t used_event =
		    ring_load16(q->avail_host + AVAIL_USED_EVENT(q->size));

		need = !q->signalled_used_valid ||
		       need_event(used_event, q->used_idx, q->signalled_used);
	}
	if (need) {
		q->signalled_used = q->used_idx;
		q->signalled_used_valid = true;
	}
	return need;
}

void virtq_disable_kicks(struct virtq *q)
{
	if (!q->used_host)
		return;
	if (!q->event_idx) {
		ring_store16(q->used_host + USED_FLAGS, VIRTQ_USED_F_NO_NOTIFY);
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

bool virtq_enable_kicks(struct virtq *q)
{
	if (!q->used_host)
		return false;
	if (!q->event_idx)
		ring_store16(q->used_host + USED_FLAGS, 0);
	else
		ring_store16(q->used_host + USED_AVAIL_EVENT(q->size),
			     q->last_avail_idx);
	/* Kicks are on before we re-read avail->idx (lost wakeup). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_avail(q);
}

bool virtq_has_avail(struct virtq *q)
{
	if (q->broken)
		return false;
	return ring_load16(q->avail_host + AVAIL_IDX) != q->last_avail_idx;
}

/*
 * Finds where offset falls in iov[0..nr): returns the index of that iovec
 * (nr when offset is at or past the end) and leaves the rest in *skip.
 */
static unsigned int iov_seek(const struct iovec *iov, unsigned int nr,
			     uint64_t offset, size_t *skip)
{
	unsigned int i;

	for (i = 0; i < nr && offset >= iov[i].iov_len; i++)
		offset -= iov[i].iov_len;
	*skip = (size_t)offset; /* < iov[i].iov_len when i < nr */
	return i;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t offset, void *dst,
			size_t len)
{
	uint8_t *d = dst;
	size_t done = 0, skip;
	unsigned int i;

	for (i = iov_seek(c->iov, c->nr_out, offset, &skip);
	     i < c->nr_out && done < len; i++, skip = 0) {
		size_t n = c->iov[i].iov_len - skip;

		if (n > len - done)
			n = len - done;
		memcpy(d + done, (const uint8_t *)c->iov[i].iov_base + skip, n);
		done += n;
	}
	return done;
}

int virtq_chain_slice(const struct virtq_chain *c, bool writable,
		      uint64_t offset, uint64_t len, struct iovec *dst,
		      unsigned int max)
{
	const struct iovec *side = writable ? c->iov + c->nr_out : c->iov;
	unsigned int nr = writable ? c->nr_in : c->nr_out, i, n = 0;
	size_t skip;

	for (i = iov_seek(side, nr, offset, &skip); i < nr && len;
	     i++, skip = 0) {
		size_t take = side[i].iov_len - skip;

		if (n == max)
			return -1;
		if (take > len)
			take = len;
		dst[n++] = (struct iovec){
			.iov_base = (uint8_t *)side[i].iov_base + skip,
			.iov_len = take,
		};
		len -= take;
	}
	return (int)n;
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t offset,
			 const void *src, size_t len)
{
	return virtq_iov_write(c->iov + c->nr_out, c->nr_in, offset, src, len);
}

bool virtq_chain_status(const struct virtq_chain *c, struct virtq_status *s)
{
	const struct iovec *last;

	if (c->nr_in == 0)
		return false;
	last = &c->iov[c->nr_out + c->nr_in - 1];
	s->iov.iov_base = (uint8_t *)last->iov_base + last->iov_len - 1;
	s->iov.iov_len = 1;
	return true;
}

void virtq_status_write(const struct virtq_status *s, uint8_t v)
{
	virtq_iov_write(&s->iov, 1, 0, &v, 1);
}

size_t virtq_iov_write(const struct iovec *in, unsigned int nr, uint64_t offset,
		       const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0, skip;
	unsigned int i;

	for (i = iov_seek(in, nr, offset, &skip); i < nr && done < len;
	     i++, skip = 0) {
		size_t n = in[i].iov_len - skip;

		if (n > len - done)
			n = len - done;
		memcpy((uint8_t *)in[i].iov_base + skip, s + done, n);
		done += n;
	}
	return done;
}
