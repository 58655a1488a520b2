// SPDX-License-Identifier: MIT
#include "devices/virtio/console.h"

#include <string.h>

#define CONSOLE_QUEUE_SIZE 256
#define CONSOLE_RX_QUEUE 0
#define CONSOLE_TX_QUEUE 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2
#define CONSOLE_CFG_EMERG_WR 8
#define CONSOLE_CFG_SIZE 12

static uint32_t console_tx(struct virtio_device *d,
			   const struct virtq_chain *ch)
{
	struct virtio_console *c = d->priv;
	unsigned int i;

	for (i = 0; i < ch->nr_out; i++) {
		c->be.write(c->be.opaque, ch->iov[i].iov_base,
			    ch->iov[i].iov_len);
		c->tx_bytes += ch->iov[i].iov_len;
	}
	return 0; /* the device wrote nothing into the chain */
}

static void console_queue_kick(struct virtio_device *d, unsigned int q)
{
	struct virtio_console *c = d->priv;

	if (q == CONSOLE_RX_QUEUE)
		c->be.rx_space(c->be.opaque);
	else
		virtio_device_serve_queue(d, q, console_tx);
}

size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf,
			      size_t len)
{
	struct virtio_device *d = &c->vdev;
	struct virtq *vq = &d->queues[CONSOLE_RX_QUEUE].vq;
	struct virtq_chain chain;
	enum virtq_pop_result r = VIRTQ_POP_EMPTY;
	size_t done = 0;

	pthread_mutex_lock(&c->rx_lock);
	while (c->active && done < len) {
		r = virtq_pop_chain(vq, &chain);
		if (r != VIRTQ_POP_OK)
			break;
		size_t n = virtq_chain_write(&chain, 0, buf + done, len - done);

		virtq_push_used(vq, chain.head, (uint32_t)n);
		done += n;
	}
	if (c->active) {
		if (r == VIRTQ_POP_BROKEN)
			virtio_device_broken(d, CONSOLE_RX_QUEUE);
		else if (done)
			virtio_device_notify(d, CONSOLE_RX_QUEUE);
		/* Out of buffers: ask for a kick when the guest adds some. */
		if (done < len && r == VIRTQ_POP_EMPTY &&
		    virtq_enable_kicks(vq) && done == 0)
			c->be.rx_space(c->be.opaque);
	}
	c->rx_bytes += done;
	pthread_mutex_unlock(&c->rx_lock);
	return done;
}

static uint64_t console_features(void *dev)
{
	(void)dev;
	return (1ull << VIRTIO_F_VERSION_1) |
	       (1ull << VIRTIO_F_RING_EVENT_IDX) |
	       (1ull << VIRTIO_F_RING_INDIRECT_DESC) |
	       (1ull << VIRTIO_CONSOLE_F_EMERG_WRITE);
}

static uint32_t console_config_size(void *dev)
{
	(void)dev;
	return CONSOLE_CFG_SIZE;
}

static void console_config_read(void *dev, uint32_t offset, void *data,
				unsigned int len)
{
	/* cols, rows (no F_SIZE), max_nr_ports (no MULTIPORT), emerg_wr. */
	uint8_t cfg[CONSOLE_CFG_SIZE] = { 0 };

	(void)dev;
	cfg[4] = 1;
	memcpy(data, cfg + offset, len);
}

static void console_config_write(void *dev, uint32_t offset, const void *data,
				 unsigned int len)
{
	struct virtio_console *c = dev;

	if (offset == CONSOLE_CFG_EMERG_WR && len == 4) {
		uint8_t ch = *(const uint8_t *)data;

		c->be.write(c->be.opaque, &ch, 1);
	}
}

static int console_activate(void *dev, struct virtio_transport *t)
{
	struct virtio_console *c = dev;

	if (virtio_device_start(&c->vdev, t) < 0)
		return -1;
	pthread_mutex_lock(&c->rx_lock);
	c->active = true;
	pthread_mutex_unlock(&c->rx_lock);
	return 0;
}

static void console_reset(void *dev)
{
	struct virtio_console *c = dev;

	pthread_mutex_lock(&c->rx_lock);
	c->active = false;
	pthread_mutex_unlock(&c->rx_lock);
	virtio_device_stop(&c->vdev);
}

const struct virtio_dev_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = 3,
	.nr_queues = 2,
	.queue_max_size = CONSOLE_QUEUE_SIZE,
	.features = console_features,
	.config_size = console_config_size,
	.config_read = console_config_read,
	.config_write = console_config_write,
	.activate = console_activate,
	.reset = console_reset,
};

int virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			const struct virtio_console_backend *be, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->be = *be;
	pthread_mutex_init(&c->rx_lock, NULL);
	return virtio_device_init(&c->vdev, "virtio-console", mem, 2,
				  console_queue_kick, c, e);
}

void virtio_console_destroy(struct virtio_console *c)
{
	console_reset(c);
	virtio_device_destroy(&c->vdev);
	pthread_mutex_destroy(&c->rx_lock);
}
