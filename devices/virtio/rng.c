// SPDX-License-Identifier: MIT
#include "devices/virtio/rng.h"

#include <errno.h>
#include <sys/random.h>

#include "devices/virtio/fault.h"

#define RNG_QUEUE_SIZE 256
/* Bound one request so a huge buffer cannot stall the I/O thread. */
#define RNG_MAX_REQUEST (64u << 10)

static size_t rng_fill(const struct virtq_chain *c, size_t max)
{
	size_t done = 0;
	unsigned int i;

	for (i = c->nr_out; i < c->nr_out + c->nr_in; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t left = c->iov[i].iov_len;

		while (left && done < max) {
			size_t want = left < max - done ? left : max - done;
			ssize_t n = getrandom(p, want, 0);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				return done;
			}
			p += n;
			left -= (size_t)n;
			done += (size_t)n;
		}
	}
	return done;
}

static enum virtio_serve rng_serve(struct virtio_device *d, unsigned int q,
				   const struct virtq_chain *c, uint32_t *len)
{
	struct virtio_rng *rng = d->priv;
	struct virtio_hooks *h = d->t->hooks;
	size_t want = c->in_len < RNG_MAX_REQUEST ? c->in_len : RNG_MAX_REQUEST;
	size_t max = want, n;
	struct trace_rec rec;

	/* short-read: the used entry claims what was not written. */
	if (h && h->fault)
		max = fault_short_len(h->fault, q, c->head, want, 1);
	n = rng_fill(c, max);
	rng->bytes_served += n;
	*len = (uint32_t)(n + (want - max));
	if (virtio_trace_begin(h, &rec, "rng")) {
		trace_rec_u64(&rec, "q", q);
		trace_rec_u64(&rec, "head", c->head);
		trace_rec_u64(&rec, "bytes", n);
		trace_rec_end(&rec);
	}
	return VIRTIO_SERVE_DONE;
}

static void rng_queue_kick(struct virtio_device *d, unsigned int q)
{
	virtio_device_drain(d, q, rng_serve);
}

static int rng_queue_enable(void *dev, unsigned int q)
{
	struct virtio_rng *rng = dev;

	return virtio_device_queue_enable(&rng->vdev, q);
}

static void rng_queue_reset(void *dev, unsigned int q)
{
	struct virtio_rng *rng = dev;

	virtio_device_queue_reset(&rng->vdev, q);
}

static uint64_t rng_features(void *dev)
{
	(void)dev;
	return (1ull << VIRTIO_F_VERSION_1) |
	       (1ull << VIRTIO_F_RING_EVENT_IDX) |
	       (1ull << VIRTIO_F_RING_INDIRECT_DESC);
}

static uint32_t rng_config_size(void *dev)
{
	(void)dev;
	return 0;
}

static void rng_config_read(void *dev, uint32_t offset, void *data,
			    unsigned int len)
{
	(void)dev;
	(void)offset;
	(void)data;
	(void)len;
}

static int rng_activate(void *dev, struct virtio_transport *t)
{
	struct virtio_rng *rng = dev;

	return virtio_device_start(&rng->vdev, t);
}

static void rng_reset(void *dev)
{
	struct virtio_rng *rng = dev;

	virtio_device_stop(&rng->vdev);
}

const struct virtio_dev_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = 4,
	.nr_queues = 1,
	.queue_max_size = RNG_QUEUE_SIZE,
	.features = rng_features,
	.config_size = rng_config_size,
	.config_read = rng_config_read,
	.activate = rng_activate,
	.queue_reset = rng_queue_reset,
	.queue_enable = rng_queue_enable,
	.reset = rng_reset,
};

int virtio_rng_init(struct virtio_rng *rng, const struct guest_mem *mem,
		    struct err *e)
{
	rng->bytes_served = 0;
	return virtio_device_init(&rng->vdev, "virtio-rng", mem, 1,
				  rng_queue_kick, rng, e);
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	virtio_device_destroy(&rng->vdev);
}
