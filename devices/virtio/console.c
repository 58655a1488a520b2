// SPDX-License-Identifier: MIT
#include "devices/virtio/console.h"

#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio/fault.h"

#define CONSOLE_QUEUE_SIZE 256
#define CONSOLE_RX_QUEUE 0
#define CONSOLE_TX_QUEUE 1
#define CONSOLE_CFG_EMERG_WR offsetof(struct virtio_console_config, emerg_wr)
#define CONSOLE_CFG_SIZE sizeof(struct virtio_console_config)

static enum virtio_serve console_tx(struct virtio_device *d, unsigned int q,
				    const struct virtq_chain *ch, uint32_t *len)
{
	struct virtio_console *c = d->priv;
	uint64_t skip = c->tx_off;
	struct trace_rec rec;
	unsigned int i;

	/* Port 0 only (no MULTIPORT); a resumed chain is traced once. */
	if (!skip && virtio_trace_begin(d->t->hooks, &rec, "console_tx")) {
		trace_rec_u64(&rec, "q", q);
		trace_rec_u64(&rec, "head", ch->head);
		trace_rec_u64(&rec, "port", 0);
		trace_rec_u64(&rec, "bytes", ch->out_len);
		trace_rec_end(&rec);
	}
	for (i = 0; i < ch->nr_out; i++) {
		const uint8_t *p = ch->iov[i].iov_base;
		size_t n = ch->iov[i].iov_len, put;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		p += skip;
		n -= skip;
		skip = 0;
		put = c->be.write(c->be.opaque, p, n);
		c->tx_off += put;
		c->tx_bytes += put;
		/*
		 * Backend full: keep the chain, resume from tx_off when it
		 * reports space (a guest that rewrites the chain meanwhile
		 * only garbles its own output).
		 */
		if (put < n)
			return VIRTIO_SERVE_STOP;
	}
	c->tx_off = 0;
	*len = 0; /* the device wrote nothing into the chain */
	return VIRTIO_SERVE_DONE;
}

static void console_tx_space_ready(struct event_source *src, uint32_t events)
{
	struct virtio_console *c = src->opaque;
	uint64_t v;

	(void)events;
	if (read(c->tx_space_efd, &v, sizeof(v)) < 0)
		return;
	virtio_device_drain(&c->vdev, CONSOLE_TX_QUEUE, console_tx);
}

void virtio_console_tx_space(struct virtio_console *c)
{
	uint64_t one = 1;

	if (write(c->tx_space_efd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wakeup is already pending */
	}
}

static void console_queue_kick(struct virtio_device *d, unsigned int q)
{
	struct virtio_console *c = d->priv;

	if (q == CONSOLE_RX_QUEUE)
		c->be.rx_space(c->be.opaque);
	else
		virtio_device_drain(d, q, console_tx);
}

/*
 * Input into one RX chain; returns the bytes consumed, which is what the
 * used entry reports. A short-read fault writes only part of them: the
 * rest of the guest's buffer stays as it was and that input is lost.
 */
static size_t console_rx_fill(struct virtio_console *c,
			      const struct virtq_chain *chain,
			      const uint8_t *buf, size_t len)
{
	struct virtio_hooks *h = c->vdev.t->hooks;
	size_t n = chain->in_len < len ? (size_t)chain->in_len : len;
	struct trace_rec rec;

	if (h && h->fault)
		virtq_chain_write(chain, 0, buf,
				  fault_short_len(h->fault, CONSOLE_RX_QUEUE,
						  chain->head, n, 1));
	else
		n = virtq_chain_write(chain, 0, buf, n);
	if (virtio_trace_begin(h, &rec, "console_rx")) {
		trace_rec_u64(&rec, "q", CONSOLE_RX_QUEUE);
		trace_rec_u64(&rec, "head", chain->head);
		trace_rec_u64(&rec, "port", 0);
		trace_rec_u64(&rec, "bytes", n);
		trace_rec_end(&rec);
	}
	return n;
}

size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf,
			      size_t len)
{
	struct virtio_device *d = &c->vdev;
	struct virtq *vq = &d->queues[CONSOLE_RX_QUEUE].vq;
	struct virtq_chain *chain = &c->rx_chain;
	enum virtq_pop_result r = VIRTQ_POP_EMPTY;
	size_t done = 0;

	pthread_mutex_lock(&c->rx_lock);
	/* A receiveq the driver did not enable just takes nothing. */
	if (!c->active || !virtio_device_queue_ready(d, CONSOLE_RX_QUEUE)) {
		pthread_mutex_unlock(&c->rx_lock);
		return 0;
	}
	while (done < len) {
		r = virtq_pop_chain(vq, chain);
		if (r != VIRTQ_POP_OK)
			break;
		virtio_device_popped(d, CONSOLE_RX_QUEUE, chain);
		size_t n = console_rx_fill(c, chain, buf + done, len - done);

		virtio_trace_used(d->t->hooks, CONSOLE_RX_QUEUE, chain->head,
				  (uint32_t)n);
		virtq_push_used(vq, chain->head, (uint32_t)n);
		done += n;
	}
	if (r == VIRTQ_POP_BROKEN)
		virtio_device_broken(d, CONSOLE_RX_QUEUE);
	/* Pushed entries are announced on the broken path too. */
	virtio_device_notify(d, CONSOLE_RX_QUEUE);
	/* Out of buffers: ask for a kick when the guest adds some. */
	if (done < len && r == VIRTQ_POP_EMPTY && virtq_enable_kicks(vq) &&
	    done == 0)
		c->be.rx_space(c->be.opaque);
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
	struct virtio_console_config cfg = { .max_nr_ports = 1 };

	(void)dev;
	memcpy(data, (uint8_t *)&cfg + offset, len);
}

/*
 * On a vCPU with the transport lock held: the backend only takes what
 * fits now, the rest is dropped and counted, never waited for.
 */
static void console_config_write(void *dev, uint32_t offset, const void *data,
				 unsigned int len)
{
	struct virtio_console *c = dev;

	if (offset == CONSOLE_CFG_EMERG_WR && len == 4) {
		uint8_t ch = *(const uint8_t *)data;

		if (c->be.write(c->be.opaque, &ch, 1) == 0)
			__atomic_add_fetch(&c->emerg_dropped, 1,
					   __ATOMIC_RELAXED);
	}
}

static int console_activate(void *dev, struct virtio_transport *t)
{
	struct virtio_console *c = dev;

	c->tx_off = 0;
	if (virtio_device_start(&c->vdev, t) < 0)
		return -1;
	pthread_mutex_lock(&c->rx_lock);
	c->active = true;
	pthread_mutex_unlock(&c->rx_lock);
	return 0;
}

static int console_queue_enable(void *dev, unsigned int q)
{
	struct virtio_console *c = dev;
	int r;

	pthread_mutex_lock(&c->rx_lock);
	r = virtio_device_queue_enable(&c->vdev, q);
	pthread_mutex_unlock(&c->rx_lock);
	return r;
}

static void console_queue_reset(void *dev, unsigned int q)
{
	struct virtio_console *c = dev;

	pthread_mutex_lock(&c->rx_lock);
	virtio_device_queue_reset(&c->vdev, q);
	if (q == CONSOLE_TX_QUEUE)
		c->tx_off = 0;
	pthread_mutex_unlock(&c->rx_lock);
}

static void console_reset(void *dev)
{
	struct virtio_console *c = dev;

	pthread_mutex_lock(&c->rx_lock);
	c->active = false;
	pthread_mutex_unlock(&c->rx_lock);
	virtio_device_stop(&c->vdev);
	c->tx_off = 0;
}

const struct virtio_dev_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nr_queues = 2,
	.queue_max_size = CONSOLE_QUEUE_SIZE,
	.features = console_features,
	.config_size = console_config_size,
	.config_read = console_config_read,
	.config_write = console_config_write,
	.activate = console_activate,
	.queue_reset = console_queue_reset,
	.queue_enable = console_queue_enable,
	.reset = console_reset,
};

int virtio_console_init(struct virtio_console *c, const struct guest_mem *mem,
			const struct virtio_console_backend *be, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->be = *be;
	c->tx_space_efd = -1;
	pthread_mutex_init(&c->rx_lock, NULL);
	if (virtio_device_init(&c->vdev, "virtio-console", mem, 2,
			       console_queue_kick, c, e) < 0)
		return -1;
	c->tx_space_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->tx_space_efd < 0)
		return err_errno(e, errno, "eventfd");
	c->tx_space_src = (struct event_source){
		.fd = c->tx_space_efd,
		.ready = console_tx_space_ready,
		.opaque = c,
	};
	return virtio_device_watch(&c->vdev, &c->tx_space_src, EPOLLIN, e);
}

void virtio_console_destroy(struct virtio_console *c)
{
	console_reset(c);
	virtio_device_destroy(&c->vdev);
	if (c->tx_space_efd >= 0)
		close(c->tx_space_efd);
	c->tx_space_efd = -1;
	pthread_mutex_destroy(&c->rx_lock);
}
