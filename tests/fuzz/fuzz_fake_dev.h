/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_FUZZ_FUZZ_FAKE_DEV_H
#define VIREO_TESTS_FUZZ_FUZZ_FAKE_DEV_H

/*
 * The device behind the transport fuzzers: it checks what the transport
 * promises it (activate and reset alternate, config accesses in range,
 * only offered features) and refuses or fails some feature sets.
 */

#include "bus/virtio_transport.h"
#include "tests/fuzz/fuzz_ops.h"

#define FZ_OFFERED                                                             \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << 0) | (1ull << 3) |            \
	 (1ull << VIRTIO_RING_F_EVENT_IDX) |                                   \
	 (1ull << VIRTIO_RING_F_INDIRECT_DESC))
#define FZ_CONFIG_SIZE 8

struct fz_dev {
	bool live;
	unsigned int nr_queues;
	uint8_t config[FZ_CONFIG_SIZE];
};

static inline uint64_t fz_features(void *dev)
{
	(void)dev;
	return FZ_OFFERED;
}

static inline uint32_t fz_config_size(void *dev)
{
	(void)dev;
	return FZ_CONFIG_SIZE;
}

static inline void fz_config_read(void *dev, uint32_t off, void *data,
				  unsigned int len)
{
	fz_check(off + len <= FZ_CONFIG_SIZE);
	memcpy(data, ((struct fz_dev *)dev)->config + off, len);
}

static inline void fz_config_write(void *dev, uint32_t off, const void *data,
				   unsigned int len)
{
	fz_check(off + len <= FZ_CONFIG_SIZE);
	memcpy(((struct fz_dev *)dev)->config + off, data, len);
}

/* Features 0 and 3 together are refused; 0 alone fails activation. */
static inline bool fz_features_ok(void *dev, uint64_t f)
{
	(void)dev;
	return (f & 9) != 9;
}

static inline int fz_activate(void *dev, struct virtio_transport *t)
{
	struct fz_dev *d = dev;

	fz_check(!d->live);
	fz_check(!(t->driver_features & ~FZ_OFFERED));
	if ((t->driver_features & 9) == 1)
		return -1;
	d->live = true;
	return 0;
}

static inline void fz_queue_reset(void *dev, unsigned int q)
{
	struct fz_dev *d = dev;

	fz_check(d->live);
	fz_check(q < d->nr_queues);
}

static inline void fz_reset(void *dev)
{
	struct fz_dev *d = dev;

	fz_check(d->live);
	d->live = false;
}

#endif
