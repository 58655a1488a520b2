/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_FUZZ_FUZZ_VIRTQ_RAM_H
#define VIREO_TESTS_FUZZ_FUZZ_VIRTQ_RAM_H

/*
 * What the split and packed virtqueue fuzz targets share: fake guest RAM
 * of two exactly-sized heap regions (ASan flags any access outside RAM or
 * straying from one region into the other), filled from the input, and
 * the checks every chain a pop returns must pass.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtqueue.h"

#define FZ_REGION (32u << 10)
#define FZ_RAM (2 * FZ_REGION)

static void fz_check(bool ok)
{
	if (!ok)
		abort();
}

/* An iovec must lie entirely inside one region's host block. */
static void fz_check_iov(const struct iovec *iov, uint8_t *const host[2])
{
	const uint8_t *p = iov->iov_base;
	unsigned int i;

	fz_check(iov->iov_len > 0);
	for (i = 0; i < 2; i++)
		if (p >= host[i] && p < host[i] + FZ_REGION &&
		    iov->iov_len <= (size_t)(host[i] + FZ_REGION - p))
			return;
	abort();
}

static void fz_check_chain(const struct virtq *q, const struct virtq_chain *c,
			   uint8_t *const host[2])
{
	uint64_t out = 0, in = 0;
	unsigned int i;

	fz_check(c->head < q->size);
	fz_check(c->nr_out + c->nr_in <= VIRTQ_MAX_CHAIN);
	for (i = 0; i < c->nr_out + c->nr_in; i++) {
		fz_check_iov(&c->iov[i], host);
		if (i < c->nr_out)
			out += c->iov[i].iov_len;
		else
			in += c->iov[i].iov_len;
	}
	fz_check(out == c->out_len && in == c->in_len);
	fz_check(out + in <= VIRTQ_MAX_CHAIN_BYTES);
}

static uint16_t fz_le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

/* The input at gpa 0 (the rest zero), as two regions of m. */
static void fz_ram_setup(const uint8_t *data, size_t size, uint8_t *host[2],
			 struct guest_mem *m)
{
	host[0] = calloc(1, FZ_REGION);
	host[1] = calloc(1, FZ_REGION);
	if (!host[0] || !host[1])
		abort();
	if (size > FZ_RAM)
		size = FZ_RAM;
	memcpy(host[0], data, size < FZ_REGION ? size : FZ_REGION);
	if (size > FZ_REGION)
		memcpy(host[1], data + FZ_REGION, size - FZ_REGION);
	fz_check(guest_mem_add_region(m, 0, FZ_REGION, host[0]) == 0);
	fz_check(guest_mem_add_region(m, FZ_REGION, FZ_REGION, host[1]) == 0);
}

#endif
