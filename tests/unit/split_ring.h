/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_UNIT_SPLIT_RING_H
#define VIREO_TESTS_UNIT_SPLIT_RING_H

/* What a test driver writes into a split ring, as the guest lays it out. */

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/*
 * The status a driver sets once it is set up (VIRTIO_STATUS_* from
 * bus/virtio_transport.h, which the includer has).
 */
#define SPLIT_RING_STATUS_UP                                                   \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |                    \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

/* One 16-byte descriptor (virtio 1.2, 2.7.5), little-endian, at d. */
static inline void split_ring_put_desc(uint8_t *d, uint64_t addr, uint32_t len,
				       uint16_t flags, uint16_t next)
{
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(d, &a, 8);
	memcpy(d + 8, &l, 4);
	memcpy(d + 12, &f, 2);
	memcpy(d + 14, &n, 2);
}

/*
 * Makes head the next entry of the avail ring at avail (its host address,
 * qsize entries), *idx being the driver's avail index, and publishes the
 * new index with release order, as virtqueue_add + virtqueue_kick_prepare
 * do.
 */
static inline void split_ring_publish(uint8_t *avail, unsigned int qsize,
				      uint16_t *idx, uint16_t head)
{
	uint16_t v = htole16(head);

	memcpy(avail + 4 + 2 * (*idx % qsize), &v, 2);
	*idx = (uint16_t)(*idx + 1);
	__atomic_store_n((uint16_t *)(avail + 2), htole16(*idx),
			 __ATOMIC_RELEASE);
}

/* Notifies the device through its kick eventfd; false if that failed. */
static inline bool split_ring_kick(int kick_fd)
{
	uint64_t one = 1;

	return write(kick_fd, &one, sizeof(one)) == sizeof(one);
}

/* The used ring's idx (acquire order), used its host address. */
static inline uint16_t split_ring_used_idx(uint8_t *used)
{
	return le16toh(
	    __atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE));
}

/* Field at off (0: id, 4: len) of used element slot of a qsize ring. */
static inline uint32_t split_ring_used_elem(const uint8_t *used,
					    unsigned int qsize,
					    unsigned int slot, unsigned int off)
{
	uint32_t v;

	memcpy(&v, used + 4 + 8 * (slot % qsize) + off, 4);
	return le32toh(v);
}

#endif
