/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_UNIT_SPLIT_RING_H
#define VIREO_TESTS_UNIT_SPLIT_RING_H

/* What a test driver writes into a split ring, as the guest lays it out. */

#include <endian.h>
#include <stdint.h>
#include <string.h>

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

#endif
