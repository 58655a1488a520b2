/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_VIRTQUEUE_H
#define VIREO_DEVICES_VIRTIO_VIRTQUEUE_H

/*
 * Virtqueues, split (virtio 1.2, 2.7) or packed (2.8): the single gate
 * between a device and the guest's rings; virtqueue.c dispatches to
 * virtq_split.c or virtq_packed.c, which obey the same rules. Every descriptor
 * chain is validated here before any device sees it: index range, loops, chain
 * length, nested indirect tables, length overflow, buffers outside guest RAM,
 * readable-after- writable order. Devices get host iovecs into guest RAM and
 * never read a descriptor themselves.
 *
 * What writes guest memory: the used ring (virtq_push_used*), the copy
 * helpers below (virtq_chain_write, virtq_iov_write, virtq_status_write),
 * and host I/O into iovecs taken from a chain's writable side (readv and
 * recvmsg of virtio-net RX, getrandom of virtio-rng, io_uring reads of
 * virtio-blk through virtq_chain_slice). Devices keep no raw pointer into
 * guest memory across requests. One grep lists every such place:
 */
// clang-format off
/*
 * grep -rnE 'virtq_(push_used|chain_write|iov_write|status_write|chain_slice)|readv|recvmsg|getrandom' devices/
 */
// clang-format on

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kvm/guest_mem.h"

#define VIRTQ_MAX_SIZE 32768
/* Longest chain a device accepts (descriptors, direct + indirect). */
#define VIRTQ_MAX_CHAIN 1024
/* Most bytes a chain may describe, out + in (virtio 1.2, 2.7.5.2: 2^32). */
#define VIRTQ_MAX_CHAIN_BYTES (1ULL << 32)

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_packed_slot;

struct virtq {
	/* Set by the transport from the driver's queue configuration. */
	uint16_t size; /* split: power of two; packed: any up to 32768 */
	/* Packed: descriptor ring, driver and device event structures. */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool packed; /* VIRTIO_F_RING_PACKED negotiated */
	const struct guest_mem *mem;

	/*
	 * Device-side ring state. Split: free-running indices. Packed: ring
	 * positions (< size) with their wrap counters.
	 */
	uint16_t last_avail_idx;
	uint16_t used_idx;
	bool avail_wrap, used_wrap;
	/* Packed: ring descriptors used since the last interrupt. */
	uint32_t used_since_signal;
	/* Packed: descriptors of chains popped and not yet used. */
	uint32_t inflight_descs;
	uint32_t nr_pops; /* packed: pop history position, mod size */
	/* Packed: per buffer id and per pop, allocated by virtq_init_packed */
	struct virtq_packed_slot *slots;
	uint16_t signalled_used; /* used_idx at the last interrupt */
	bool signalled_used_valid;
	bool broken; /* a structural violation was seen: NEEDS_RESET */
	/*
	 * Used entries published since the device last asked whether to
	 * interrupt: whoever pushes, the drain loop's exit notifies.
	 */
	bool unnotified;

	/* Host views of the three rings, validated once by virtq_init(). */
	uint8_t *desc_host, *avail_host, *used_host;
};

enum virtq_pop_result {
	VIRTQ_POP_EMPTY = 0,
	VIRTQ_POP_OK = 1,
	VIRTQ_POP_BROKEN =
	    -1, /* queue is now broken; device must NEEDS_RESET */
};

struct virtq_chain {
	/* to give back with virtq_push_used(); packed: the buffer id */
	uint16_t head;
	/*
	 * out: device-readable buffers first, then in: device-writable.
	 * Zero-length descriptors produce no iovec, so every iov_len > 0.
	 */
	struct iovec iov[VIRTQ_MAX_CHAIN];
	unsigned int nr_out, nr_in;
	uint64_t out_len, in_len; /* byte totals */
};

/*
 * Checks the ring addresses and size against guest RAM and alignment
 * (desc 16, avail 2, used 4) and resets ring state. Returns -1 (and
 * leaves the queue unusable) when the rings do not fit in guest RAM.
 */
int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size,
	       uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
	       bool event_idx, bool indirect);

/*
 * A packed ring (VIRTIO_F_RING_PACKED): desc 16-byte aligned, the driver
 * and device event structures 4-byte aligned. Allocates per-queue
 * bookkeeping: release it with virtq_release().
 */
int virtq_init_packed(struct virtq *q, const struct guest_mem *mem,
		      uint16_t size, uint64_t desc_gpa, uint64_t driver_gpa,
		      uint64_t device_gpa, bool event_idx, bool indirect);
/* Frees what virtq_init_packed allocated; q is then unusable. */
void virtq_release(struct virtq *q);

/* Takes the next available chain, validated, as iovecs. */
enum virtq_pop_result virtq_pop_chain(struct virtq *q, struct virtq_chain *c);

/* Returns a chain: len is the number of bytes the device wrote. */
int virtq_push_used(struct virtq *q, uint16_t head, uint32_t len);

/*
 * As virtq_push_used, but a split ring's used->idx is left for
 * virtq_publish_used(): a device's run of completions reaches a polling
 * driver with one store, so it reposts them as one batch instead of one
 * at a time (a packed ring publishes each entry by its flags, as before).
 */
int virtq_push_used_later(struct virtq *q, uint16_t head, uint32_t len);
void virtq_publish_used(struct virtq *q);

/*
 * Returns n chains at once, published by a single used->idx store, so the
 * driver never sees part of a group (virtio-net's merged RX buffers: the
 * driver reads num_buffers entries as soon as it sees the first).
 */
struct virtq_used_elem {
	uint16_t head;
	uint32_t len;
};
int virtq_push_used_batch(struct virtq *q, const struct virtq_used_elem *el,
			  unsigned int n);

/*
 * Gives back the last n chains popped and not pushed: the next pops return
 * them again (a device that took more buffers than it ended up needing).
 */
void virtq_unpop(struct virtq *q, uint16_t n);

/*
 * After pushing one or more chains: whether the driver wants an interrupt
 * now (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX).
 * Updates the signalled state when it returns true.
 */
bool virtq_needs_interrupt(struct virtq *q);

/*
 * Notification suppression for the driver->device direction: while the
 * device is draining the queue it may turn kicks off, then back on and
 * re-check (returns true when new buffers arrived meanwhile).
 */
void virtq_disable_kicks(struct virtq *q);
bool virtq_enable_kicks(struct virtq *q);

/* True when the driver has made buffers available we have not taken. */
bool virtq_has_avail(struct virtq *q);

/*
 * The status byte of an in-flight request (the chain's last writable
 * byte), kept instead of a pointer until the request completes.
 */
struct virtq_status {
	struct iovec iov;
};
/* False when the chain has no writable byte. */
bool virtq_chain_status(const struct virtq_chain *c, struct virtq_status *s);
void virtq_status_write(const struct virtq_status *s, uint8_t v);
/* Writes into iovecs a device got from a chain's writable side. */
size_t virtq_iov_write(const struct iovec *iov, unsigned int nr,
		       uint64_t offset, const void *src, size_t len);

/* Copy helpers over a chain's iovecs (offset into the out or in side). */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t offset, void *dst,
			size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t offset,
			 const void *src, size_t len);
/*
 * Describes bytes [offset, offset + len) of the readable (or writable)
 * side as iovecs into guest RAM, for I/O straight to or from the guest.
 * Returns the iovec count, or -1 when more than max would be needed.
 */
int virtq_chain_slice(const struct virtq_chain *c, bool writable,
		      uint64_t offset, uint64_t len, struct iovec *dst,
		      unsigned int max);

#endif
