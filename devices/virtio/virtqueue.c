// SPDX-License-Identifier: MIT
/*
 * Virtqueues, device side: what split (virtq_split.c) and packed
 * (virtq_packed.c) rings share, and the dispatch between them.
 *
 * The guest driver runs on other CPUs and writes the rings while we read
 * them, so every field the guest owns is fetched exactly once into a local
 * with an atomic (relaxed) load, validated, and only the local is used:
 * a guest that rewrites a descriptor after we looked at it cannot make us
 * act on a value we did not check.
 *
 * Rules every chain obeys whatever the ring format, otherwise the queue is
 * broken for good (the device is expected to set DEVICE_NEEDS_RESET):
 *  - at most VIRTQ_MAX_CHAIN buffer descriptors in total (the descriptor
 *    that points at an indirect table is not a buffer and does not count);
 *  - INDIRECT only when negotiated, never with NEXT, never inside an
 *    indirect table; the table is a non-zero multiple of 16 bytes, at most
 *    VIRTQ_MAX_CHAIN entries, inside guest RAM; its WRITE flag is ignored;
 *  - no device-readable descriptor after a device-writable one;
 *  - out + in bytes at most VIRTQ_MAX_CHAIN_BYTES (2^32, the spec's limit;
 *    no uint64 overflow is then possible);
 *  - every buffer [addr, addr + len) lies inside ONE guest memory region.
 *    Regions are separate host mappings: a range crossing a boundary would
 *    need two iovecs for one descriptor, and in vireo's layout RAM is
 *    never contiguous across regions anyway (the MMIO hole separates low
 *    and high RAM), so a crossing buffer is a driver bug or an attack;
 *  - zero-length buffers are allowed: they produce no iovec, and their
 *    address is not checked since nothing is ever accessed through it.
 * Each back-end adds its format's rules (indices, loops, wrap counters,
 * buffer ids).
 *
 * After a queue is broken, pop returns BROKEN and has_avail / enable_kicks
 * return false; push_used and needs_interrupt still work (the rings were
 * validated at init) so that chains popped earlier can be completed.
 */
#include "devices/virtio/virtqueue.h"

#include <stdlib.h>

#include "devices/virtio/virtq_ring.h"

/*
 * Ring tables are 16-byte aligned; an indirect table may sit anywhere (the
 * spec gives it no alignment), so an unaligned one is copied bytewise
 * through a volatile pointer instead.
 */
void vq_desc_load(const uint8_t *p, struct vq_desc *d)
{
	uint64_t lo, hi;

	if (((uintptr_t)p & 7) == 0) {
		lo = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
		hi = __atomic_load_n((const uint64_t *)(p + 8),
				     __ATOMIC_RELAXED);
	} else {
		const volatile uint8_t *v = p;
		uint8_t b[VQ_DESC_SIZE];
		unsigned int i;

		for (i = 0; i < VQ_DESC_SIZE; i++)
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

enum virtq_pop_result virtq_break(struct virtq *q, struct virtq_chain *c)
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

bool vq_chain_add(struct virtq *q, struct virtq_chain *c, struct vq_walk *w,
		  uint64_t addr, uint32_t len, uint16_t flags)
{
	if (++w->nr_bufs > VIRTQ_MAX_CHAIN)
		return false;
	if (flags & VIRTQ_DESC_F_WRITE)
		w->seen_write = true;
	else if (w->seen_write)
		return false; /* readable after writable */
	/* total <= 2^32 before, len < 2^32: cannot overflow. */
	w->total += len;
	if (w->total > VIRTQ_MAX_CHAIN_BYTES)
		return false;
	if (len) {
		void *p = guest_mem_ptr(q->mem, addr, len);
		struct iovec *iov = &c->iov[c->nr_out + c->nr_in];

		if (!p)
			return false; /* outside RAM or crossing */
		iov->iov_base = p;
		iov->iov_len = len;
		if (flags & VIRTQ_DESC_F_WRITE) {
			c->nr_in++;
			c->in_len += len;
		} else {
			c->nr_out++;
			c->out_len += len;
		}
	}
	return true;
}

const uint8_t *vq_indirect_table(struct virtq *q, const struct vq_desc *d,
				 uint32_t *entries)
{
	if (!q->indirect || d->len == 0 || d->len % VQ_DESC_SIZE ||
	    d->len / VQ_DESC_SIZE > VIRTQ_MAX_CHAIN)
		return NULL;
	*entries = d->len / VQ_DESC_SIZE;
	return guest_mem_ptr(q->mem, d->addr, d->len);
}

void virtq_release(struct virtq *q)
{
	free(q->slots);
	q->slots = NULL;
	__atomic_store_n(&q->broken, true, __ATOMIC_RELAXED);
}

enum virtq_pop_result virtq_pop_chain(struct virtq *q, struct virtq_chain *c)
{
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	if (q->broken)
		return VIRTQ_POP_BROKEN;
	return q->packed ? virtq_packed_pop(q, c) : virtq_split_pop(q, c);
}

static int virtq_push(struct virtq *q, const struct virtq_used_elem *el,
		      unsigned int n, bool publish)
{
	int r;

	if (!q->used_host || n > q->size)
		return -1;
	r = q->packed ? virtq_packed_push_batch(q, el, n)
		      : virtq_split_push_batch(q, el, n, publish);
	if (r == 0)
		q->unnotified = q->unnotified || n;
	return r;
}

int virtq_push_used(struct virtq *q, uint16_t head, uint32_t len)
{
	const struct virtq_used_elem el = { .head = head, .len = len };

	return virtq_push(q, &el, 1, true);
}

int virtq_push_used_later(struct virtq *q, uint16_t head, uint32_t len)
{
	const struct virtq_used_elem el = { .head = head, .len = len };

	return virtq_push(q, &el, 1, false);
}

void virtq_publish_used(struct virtq *q)
{
	if (q->used_host && !q->packed)
		virtq_split_publish(q);
}

int virtq_push_used_batch(struct virtq *q, const struct virtq_used_elem *el,
			  unsigned int n)
{
	return virtq_push(q, el, n, true);
}

void virtq_unpop(struct virtq *q, uint16_t n)
{
	if (q->packed)
		virtq_packed_unpop(q, n);
	else
		q->last_avail_idx = (uint16_t)(q->last_avail_idx - n);
}

bool virtq_needs_interrupt(struct virtq *q)
{
	if (!q->avail_host)
		return false;
	/* The used entries are visible before we look at what the driver
	 * wants (it does the mirror image: no lost interrupt). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return q->packed ? virtq_packed_needs_interrupt(q)
			 : virtq_split_needs_interrupt(q);
}

void virtq_disable_kicks(struct virtq *q)
{
	if (!q->used_host)
		return;
	if (q->packed)
		virtq_packed_set_kicks(q, false);
	else
		virtq_split_set_kicks(q, false);
}

bool virtq_enable_kicks(struct virtq *q)
{
	if (!q->used_host)
		return false;
	if (q->packed)
		virtq_packed_set_kicks(q, true);
	else
		virtq_split_set_kicks(q, true);
	/* Kicks are on before we re-read the ring (lost wakeup). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_avail(q);
}

bool virtq_has_avail(struct virtq *q)
{
	if (q->broken)
		return false;
	return q->packed ? virtq_packed_has_avail(q) : virtq_split_has_avail(q);
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
