// SPDX-License-Identifier: MIT
/*
 * virtio-net device: RX, TX and control queue, on the I/O thread.
 *
 * RX: while the guest has buffers the back-end fd is watched; each ready
 * frame is read with one readv() straight into guest buffers. With
 * MRG_RXBUF the frame may span several chains: enough chains for the
 * largest frame the negotiated offloads allow are held, their writable
 * iovecs concatenated, the frame read once, num_buffers written into the
 * header, the chains used returned in one batch and the rest kept for the
 * next frame (popped once each, however small the frames).
 * When the guest has too few buffers the fd is unwatched and RX kicks are
 * turned on: the next kick (the driver refilled) watches it again. No
 * polling without buffers, no copy through a bounce buffer.
 *
 * TX: every chain's readable part (header + frame) goes out with one
 * writev(). Chains with writable parts, shorter than the header or longer
 * than the largest frame are dropped and counted.
 */
#include "devices/virtio/net.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio/fault.h"
#include "devices/virtio/net_parse.h"
#include "util/log.h"

#define VNET_CFG_SIZE 10 /* mac[6], status, max_virtqueue_pairs */
/* Largest frames: MTU 1500, or 64 KiB of GSO, plus Ethernet and VLAN. */
#define VNET_MAX_FRAME (1500 + 14 + 4)
#define VNET_MAX_GSO_FRAME (65535 + 14 + 4)
/* Frames read per wakeup before other queues get a turn. */
#define VNET_RX_BURST 64

#define F(bit) (1ull << (bit))

/* --- RX ------------------------------------------------------------------ */

/* gso_type says a GSO frame (a counter, nothing more). */
static bool net_gso_type(uint8_t gso)
{
	return (gso & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE;
}

/* Byte off of what iov[0..nr) describes, 0 past its end. */
static uint8_t net_iov_byte(const struct iovec *iov, unsigned int nr,
			    size_t off)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (off < iov[i].iov_len)
			return ((const uint8_t *)iov[i].iov_base)[off];
		off -= iov[i].iov_len;
	}
	return 0;
}

static void net_rx_unwatch(struct virtio_net *n)
{
	if (n->rx_watched)
		virtio_device_unwatch(&n->vdev, &n->rx_src);
	n->rx_watched = false;
}

static void net_rx_watch(struct virtio_net *n)
{
	if (n->rx_watched || n->rx_dead)
		return;
	if (virtio_device_watch(&n->vdev, &n->rx_src, EPOLLIN, NULL) == 0)
		n->rx_watched = true;
}

static void net_set_link(struct virtio_net *n, bool up)
{
	pthread_mutex_lock(&n->cfg_lock);
	if (up)
		n->status |= VIRTIO_NET_S_LINK_UP;
	else
		n->status &= (uint16_t)~VIRTIO_NET_S_LINK_UP;
	pthread_mutex_unlock(&n->cfg_lock);
	if (n->vdev.t)
		virtio_transport_notify_config(n->vdev.t);
}

/*
 * The back end is gone (tap deleted, peer closed): stop reading until the
 * device is reset (a reset re-arms RX; a gone tap then fails again).
 */
static void net_rx_dead(struct virtio_net *n, int err)
{
	log_guest_once(&n->logged_dead, "%s: back end failed (%s): link down",
		       n->vdev.name, err ? strerror(err) : "end of file");
	net_rx_unwatch(n);
	n->rx_dead = true;
	net_set_link(n, false);
}

/*
 * Errors after which the back end will never deliver again: a tap whose
 * interface was deleted reads EBADFD (tun detached), ENODEV/ENXIO for a
 * device that is gone, EBADF for a closed fd. Anything else (EIO while the
 * interface is down, EFAULT, ENOBUFS, EINVAL...) loses one frame at most.
 */
static bool net_backend_gone(int err)
{
	return err == EBADFD || err == ENODEV || err == ENXIO || err == EBADF;
}

/* Forgets the held RX chains (reset, queue reset, broken queue). */
static void net_rx_drop_held(struct virtio_net *n)
{
	n->rx_first = n->rx_held = 0;
	n->rx_iov_first = n->rx_iov_held = 0;
	n->rx_held_cap = 0;
}

/* Moves the held chains to the start of the scratch arrays. */
static void net_rx_compact(struct virtio_net *n)
{
	memmove(n->rx_used, n->rx_used + n->rx_first,
		n->rx_held * sizeof(n->rx_used[0]));
	memmove(n->rx_cap, n->rx_cap + n->rx_first,
		n->rx_held * sizeof(n->rx_cap[0]));
	memmove(n->rx_niov, n->rx_niov + n->rx_first,
		n->rx_held * sizeof(n->rx_niov[0]));
	memmove(n->rx_iov, n->rx_iov + n->rx_iov_first,
		n->rx_iov_held * sizeof(n->rx_iov[0]));
	n->rx_first = n->rx_iov_first = 0;
}

/* Lets go of the first k held chains (used, or returned empty). */
static void net_rx_release(struct virtio_net *n, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		n->rx_iov_first += n->rx_niov[n->rx_first + i];
		n->rx_iov_held -= n->rx_niov[n->rx_first + i];
		n->rx_held_cap -= n->rx_cap[n->rx_first + i];
	}
	n->rx_first += k;
	n->rx_held -= k;
	if (!n->rx_held)
		net_rx_drop_held(n);
}

/*
 * Tops the held chains up until their writable bytes can hold rx_need or
 * the guest has no more (one chain without MRG_RXBUF). Chains a frame did
 * not use stay held for the next one: a small frame costs one pop, not as
 * many as the largest frame would need. Returns the number held (any
 * usable buffer counts: the frame may well fit), 0 when the guest has
 * none, -1 when the queue is broken.
 */
static int net_rx_gather(struct virtio_net *n, struct virtq *vq)
{
	unsigned int max = n->mrg_rxbuf ? vq->size : 1;
	enum virtq_pop_result r;

	/* rx_used[] holds one ring; do not trust a transport to cap sizes. */
	if (max > VNET_QUEUE_SIZE)
		max = VNET_QUEUE_SIZE;

	/* The first buffer must hold the whole header. */
	while (n->rx_held && n->rx_cap[n->rx_first] < VNET_HDR_LEN) {
		virtio_trace_used(n->vdev.t->hooks, VNET_RX_QUEUE,
				  n->rx_used[n->rx_first].head, 0);
		virtq_push_used(vq, n->rx_used[n->rx_first].head, 0);
		n->stats.rx_bad_buffers++;
		net_rx_release(n, 1);
	}
	while (n->rx_held < max && n->rx_held_cap < n->rx_need) {
		struct virtq_chain *c = &n->vdev.chain;
		unsigned int k, slot;

		r = virtq_pop_chain(vq, c);
		if (r == VIRTQ_POP_BROKEN) {
			net_rx_drop_held(n);
			return -1;
		}
		if (r == VIRTQ_POP_EMPTY)
			break;
		if (n->rx_iov_first + n->rx_iov_held + c->nr_in >
			VNET_RX_MAX_IOV ||
		    n->rx_first + n->rx_held == VNET_QUEUE_SIZE)
			net_rx_compact(n);
		if (c->in_len < (n->rx_held ? 1 : VNET_HDR_LEN) ||
		    n->rx_iov_held + c->nr_in > VNET_RX_MAX_IOV) {
			if (n->rx_held) {
				/* Not ours to judge mid-frame: keep it. */
				virtq_unpop(vq, 1);
				break;
			}
			virtio_device_popped(&n->vdev, VNET_RX_QUEUE, c);
			virtio_trace_used(n->vdev.t->hooks, VNET_RX_QUEUE,
					  c->head, 0);
			virtq_push_used(vq, c->head, 0);
			n->stats.rx_bad_buffers++;
			continue;
		}
		n->stats.rx_popped++;
		virtio_device_popped(&n->vdev, VNET_RX_QUEUE, c);
		for (k = 0; k < c->nr_in; k++)
			n->rx_iov[n->rx_iov_first + n->rx_iov_held++] =
			    c->iov[c->nr_out + k];
		slot = n->rx_first + n->rx_held++;
		n->rx_used[slot].head = c->head;
		n->rx_cap[slot] =
		    (uint32_t)(c->in_len > UINT32_MAX ? UINT32_MAX : c->in_len);
		n->rx_niov[slot] = (uint16_t)c->nr_in;
		n->rx_held_cap += n->rx_cap[slot];
	}
	return (int)n->rx_held;
}

/*
 * One frame into the held chains. Returns its full length (a tap reports
 * it even when it had to cut the frame; a socket says MSG_TRUNC), 0 for
 * end of file, -errno.
 */
static ssize_t net_rx_read(struct virtio_net *n, struct iovec *iov,
			   unsigned int nr, bool *trunc)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = nr };
	ssize_t got;

	*trunc = false;
	for (;;) {
		n->stats.rx_reads++;
		if (!n->be_not_socket) {
			got = recvmsg(n->be.fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
			if (got < 0 && errno == ENOTSOCK) {
				n->be_not_socket = true;
				continue;
			}
			*trunc = got >= 0 && (msg.msg_flags & MSG_TRUNC);
		} else {
			got = readv(n->be.fd, iov, (int)nr);
		}
		if (got >= 0)
			return got;
		if (errno != EINTR)
			return -errno;
	}
}

enum net_rx_result { NET_RX_MORE, NET_RX_IDLE, NET_RX_NO_BUFFERS };

/*
 * short-read armed: the frame lands in a bounce buffer as big as the held
 * chains, so only the part the fault lets through reaches guest memory
 * and the rest of the buffers keeps what the guest had there. NULL (read
 * straight into the chains) otherwise, or when out of memory.
 */
static void *net_rx_bounce(struct virtio_net *n, struct iovec *bounce)
{
	struct virtio_hooks *h = n->vdev.t->hooks;

	if (!h || !h->fault || !fault_dev_has(h->fault, FAULT_SHORT_READ))
		return NULL;
	/* No frame is larger, whatever the guest posted. */
	bounce->iov_len = n->rx_held_cap < VNET_HDR_LEN + VNET_MAX_GSO_FRAME
			      ? n->rx_held_cap
			      : VNET_HDR_LEN + VNET_MAX_GSO_FRAME;
	bounce->iov_base = malloc(bounce->iov_len);
	return bounce->iov_base;
}

/* The bounced frame of got bytes into the held chains, maybe short. */
static void net_rx_unbounce(struct virtio_net *n, const void *frame,
			    uint64_t got)
{
	struct fault_dev *fd = n->vdev.t->hooks->fault;
	uint64_t put =
	    VNET_HDR_LEN + fault_short_len(fd, VNET_RX_QUEUE,
					   n->rx_used[n->rx_first].head,
					   got - VNET_HDR_LEN, 1);

	virtq_iov_write(n->rx_iov + n->rx_iov_first, n->rx_iov_held, 0, frame,
			put);
}

/* RX bypasses the drain loop (merged buffers): its trace is here. */
static void net_rx_trace(struct virtio_net *n, const struct iovec *iov,
			 unsigned int nr_iov, uint64_t got,
			 const struct virtq_used_elem *el, unsigned int used)
{
	struct virtio_hooks *h = n->vdev.t->hooks;
	struct trace_rec rec;
	unsigned int i;

	if (virtio_trace_begin(h, &rec, "net_rx")) {
		trace_rec_u64(&rec, "q", VNET_RX_QUEUE);
		trace_rec_str(&rec, "type", "rx");
		trace_rec_u64(&rec, "buffers", used);
		net_frame_trace(&rec, iov, nr_iov, got);
		trace_rec_end(&rec);
	}
	for (i = 0; i < used; i++)
		virtio_trace_used(h, VNET_RX_QUEUE, el[i].head, el[i].len);
}

static enum net_rx_result net_rx_one(struct virtio_net *n)
{
	struct virtq *vq = &n->vdev.queues[VNET_RX_QUEUE].vq;
	struct iovec *iov, bounce;
	unsigned int used;
	void *frame;
	ssize_t got;
	bool trunc;
	int nr;

	nr = net_rx_gather(n, vq);
	if (nr < 0) {
		virtio_device_broken(&n->vdev, VNET_RX_QUEUE);
		net_rx_unwatch(n);
		return NET_RX_IDLE;
	}
	if (nr == 0)
		return NET_RX_NO_BUFFERS;
	frame = net_rx_bounce(n, &bounce);
	if (frame)
		got = net_rx_read(n, &bounce, 1, &trunc);
	else
		got = net_rx_read(n, n->rx_iov + n->rx_iov_first,
				  n->rx_iov_held, &trunc);
	if (frame && got > 0 && !trunc && (size_t)got >= VNET_HDR_LEN &&
	    (uint64_t)got <= n->rx_held_cap)
		net_rx_unbounce(n, frame, (uint64_t)got);
	free(frame);
	if (got <= 0) {
		/* The held chains wait for the next frame. */
		if (got == -EAGAIN || got == -EWOULDBLOCK)
			return NET_RX_IDLE;
		if (got == 0 || net_backend_gone((int)-got)) {
			net_rx_dead(n, (int)-got);
			return NET_RX_IDLE;
		}
		/* The frame (if any) is lost; the next one may be fine. */
		n->stats.rx_errors++;
		return NET_RX_MORE;
	}
	/*
	 * Too big for what the guest posted: it is consumed already, so it is
	 * dropped, and the buffers wait for the next frame. Each read takes
	 * one frame off the back end: this never loops without progress.
	 */
	if (trunc || (size_t)got < VNET_HDR_LEN ||
	    (uint64_t)got > n->rx_held_cap) {
		n->stats.rx_dropped++;
		return NET_RX_MORE;
	}
	used = net_rx_split(n->rx_cap + n->rx_first, n->rx_held, (uint64_t)got,
			    n->rx_used + n->rx_first);
	/* num_buffers, little-endian, in the header at the start. */
	uint8_t nb[2] = { (uint8_t)used, (uint8_t)(used >> 8) };
	iov = n->rx_iov + n->rx_iov_first;
	virtq_iov_write(iov, n->rx_iov_held, VNET_HDR_NUM_BUFFERS, nb, 2);
	if (net_gso_type(net_iov_byte(iov, n->rx_iov_held, 1)))
		n->stats.rx_gso++;
	if (n->vdev.t->hooks)
		net_rx_trace(n, iov, n->rx_iov_held, (uint64_t)got,
			     n->rx_used + n->rx_first, used);
	virtq_push_used_batch(vq, n->rx_used + n->rx_first, used);
	net_rx_release(n, used);
	n->stats.rx_frames++;
	n->stats.rx_bytes += (uint64_t)got - VNET_HDR_LEN;
	return NET_RX_MORE;
}

/* Back-end fd readable: fill guest buffers until it or they run out. */
static void net_rx(struct virtio_net *n)
{
	struct virtq *vq = &n->vdev.queues[VNET_RX_QUEUE].vq;
	enum net_rx_result r = NET_RX_MORE;
	unsigned int i;

	/* Bus mastering off or queue unusable: the next RX kick re-arms. */
	if (!virtio_device_queue_ready(&n->vdev, VNET_RX_QUEUE)) {
		net_rx_unwatch(n);
		return;
	}
	for (i = 0; i < VNET_RX_BURST && r == NET_RX_MORE; i++) {
		r = net_rx_one(n);
		/*
		 * Each frame, not each burst: a guest that asked to hear of the
		 * next used buffer starts its poll (and refills) while the
		 * burst goes on, instead of finding its ring drained at the end
		 * (EVENT_IDX keeps this to one interrupt per guest poll).
		 */
		virtio_device_notify(&n->vdev, VNET_RX_QUEUE);
		if (r != NET_RX_NO_BUFFERS)
			continue;
		/*
		 * No buffer at all: stop polling the fd until the driver adds
		 * some and kicks; re-check after turning kicks on. A frame
		 * that does not fit what the guest posted is dropped above,
		 * so "buffers available" always means progress here.
		 */
		net_rx_unwatch(n);
		n->stats.rx_stalls++;
		if (!virtq_enable_kicks(vq))
			break;
		virtq_disable_kicks(vq);
		net_rx_watch(n);
		r = NET_RX_MORE;
	}
	/* Every used entry pushed above, empty ones included, is announced. */
	virtio_device_notify(&n->vdev, VNET_RX_QUEUE);
}

static void net_rx_ready(struct event_source *src, uint32_t events)
{
	struct virtio_net *n = src->opaque;

	(void)events;
	n->stats.rx_wakeups++;
	net_rx(n);
}

/* --- TX ------------------------------------------------------------------ */

static enum virtio_serve net_tx_serve(struct virtio_device *d, unsigned int q,
				      const struct virtq_chain *c,
				      uint32_t *len)
{
	struct virtio_net *n = d->priv;
	ssize_t w;

	*len = 0; /* TX writes nothing into the chain */
	if (d->t->hooks) {
		struct trace_rec rec;

		if (virtio_trace_begin(d->t->hooks, &rec, "net_tx")) {
			trace_rec_u64(&rec, "q", q);
			trace_rec_u64(&rec, "head", c->head);
			trace_rec_str(&rec, "type", "tx");
			net_frame_trace(&rec, c->iov, c->nr_out, c->out_len);
			trace_rec_end(&rec);
		}
	}
	if (c->nr_in || c->out_len < VNET_HDR_LEN ||
	    c->out_len > VNET_HDR_LEN + VNET_MAX_GSO_FRAME) {
		n->stats.tx_dropped++;
		return VIRTIO_SERVE_DONE;
	}
	do {
		n->stats.tx_writes++;
		w = writev(n->be.fd, c->iov, (int)c->nr_out);
	} while (w < 0 && errno == EINTR);
	if (w < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
		/* Back end full: keep the chain, resume when writable. */
		if (!n->tx_watched &&
		    virtio_device_watch(d, &n->tx_src, EPOLLOUT, NULL) == 0)
			n->tx_watched = true;
		if (n->tx_watched) {
			n->stats.tx_waits++;
			return VIRTIO_SERVE_STOP;
		}
	}
	if (w < 0) {
		if (net_backend_gone(errno) && !n->rx_dead)
			net_rx_dead(n, errno);
		n->stats.tx_dropped++;
		return VIRTIO_SERVE_DONE;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += c->out_len - VNET_HDR_LEN;
	if (net_gso_type(net_iov_byte(c->iov, c->nr_out, 1)))
		n->stats.tx_gso++;
	return VIRTIO_SERVE_DONE;
}

static void net_tx_ready(struct event_source *src, uint32_t events)
{
	struct virtio_net *n = src->opaque;

	(void)events;
	if (n->tx_watched)
		virtio_device_unwatch(&n->vdev, &n->tx_src);
	n->tx_watched = false;
	virtio_device_drain(&n->vdev, VNET_TX_QUEUE, net_tx_serve);
}

/* --- control queue (5.1.6.5) --------------------------------------------- */

static enum virtio_serve net_ctrl_serve(struct virtio_device *d, unsigned int q,
					const struct virtq_chain *c,
					uint32_t *len)
{
	struct virtio_net *n = d->priv;
	struct net_ctrl_effect fx;
	uint8_t ack;

	(void)q;
	*len = 0;
	if (c->in_len < 1) {
		n->stats.ctrl_err++;
		return VIRTIO_SERVE_DONE;
	}
	ack = net_ctrl_parse(c, n->vdev.t->driver_features, &fx);
	if (ack == VIRTIO_NET_OK) {
		n->stats.ctrl_ok++;
		pthread_mutex_lock(&n->cfg_lock);
		if (fx.set_mac)
			memcpy(n->mac, fx.mac, 6);
		if (fx.ack_announce)
			n->status &= (uint16_t)~VIRTIO_NET_S_ANNOUNCE;
		pthread_mutex_unlock(&n->cfg_lock);
	} else {
		n->stats.ctrl_err++;
	}
	/* The ack is the last byte the driver gave us to write. */
	virtq_chain_write(c, c->in_len - 1, &ack, 1);
	*len = (uint32_t)c->in_len;
	return VIRTIO_SERVE_DONE;
}

/* --- device ops ---------------------------------------------------------- */

static void net_queue_kick(struct virtio_device *d, unsigned int q)
{
	struct virtio_net *n = d->priv;

	switch (q) {
	case VNET_RX_QUEUE:
		/* The driver added buffers: kicks off, fd polled again. */
		virtq_disable_kicks(&d->queues[q].vq);
		net_rx_watch(n);
		break;
	case VNET_TX_QUEUE:
		/* Waiting for the back end: its writability resumes TX. */
		if (!n->tx_watched)
			virtio_device_drain(d, q, net_tx_serve);
		break;
	case VNET_CTRL_QUEUE:
		virtio_device_drain(d, q, net_ctrl_serve);
		break;
	}
}

static uint64_t net_features(void *dev)
{
	struct virtio_net *n = dev;

	return F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_RING_EVENT_IDX) |
	       F(VIRTIO_F_RING_INDIRECT_DESC) | F(VIRTIO_NET_F_MAC) |
	       F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MRG_RXBUF) |
	       F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
	       F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_HOST_ECN) |
	       F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_CTRL_RX) |
	       F(VIRTIO_NET_F_CTRL_VLAN) | F(VIRTIO_NET_F_GUEST_ANNOUNCE) |
	       F(VIRTIO_NET_F_CTRL_MAC_ADDR) |
	       (n->be.guest_offloads & VNET_GUEST_OFFLOADS);
}

static uint32_t net_config_size(void *dev)
{
	(void)dev;
	return VNET_CFG_SIZE;
}

static void net_config_read(void *dev, uint32_t offset, void *data,
			    unsigned int len)
{
	struct virtio_net *n = dev;
	uint8_t cfg[VNET_CFG_SIZE];

	if (offset > VNET_CFG_SIZE || len > VNET_CFG_SIZE - offset)
		return;
	pthread_mutex_lock(&n->cfg_lock);
	memcpy(cfg, n->mac, 6);
	cfg[6] = (uint8_t)n->status;
	cfg[7] = (uint8_t)(n->status >> 8);
	pthread_mutex_unlock(&n->cfg_lock);
	cfg[8] = 1; /* max_virtqueue_pairs (no MQ) */
	cfg[9] = 0;
	memcpy(data, cfg + offset, len);
}

/* Legacy drivers without CTRL_MAC_ADDR set the MAC through config space. */
static void net_config_write(void *dev, uint32_t offset, const void *data,
			     unsigned int len)
{
	struct virtio_net *n = dev;

	if (offset >= 6 || len > 6 - offset)
		return;
	pthread_mutex_lock(&n->cfg_lock);
	memcpy(n->mac + offset, data, len);
	pthread_mutex_unlock(&n->cfg_lock);
}

/*
 * Feature combinations the device cannot serve (checked at FEATURES_OK,
 * and at DRIVER_OK for legacy drivers; never logged: a driver may retry
 * in a loop). The header is 12 bytes with VERSION_1 or MRG_RXBUF, 10 for
 * a legacy driver without MRG_RXBUF; the back end is set up for 12.
 */
static bool net_features_ok(void *dev, uint64_t f)
{
	const uint64_t guest_gso =
	    F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
	    F(VIRTIO_NET_F_GUEST_UFO) | F(VIRTIO_NET_F_GUEST_USO4) |
	    F(VIRTIO_NET_F_GUEST_USO6) | F(VIRTIO_NET_F_GUEST_ECN);
	const uint64_t host_gso = F(VIRTIO_NET_F_HOST_TSO4) |
				  F(VIRTIO_NET_F_HOST_TSO6) |
				  F(VIRTIO_NET_F_HOST_ECN);
	const uint64_t ctrl =
	    F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VLAN) |
	    F(VIRTIO_NET_F_GUEST_ANNOUNCE) | F(VIRTIO_NET_F_CTRL_MAC_ADDR);

	(void)dev;
	if (!(f & (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF))))
		return false;
	/* 5.1.3.1: segmentation offloads need checksum offload. */
	if ((f & guest_gso) && !(f & F(VIRTIO_NET_F_GUEST_CSUM)))
		return false;
	if ((f & host_gso) && !(f & F(VIRTIO_NET_F_CSUM)))
		return false;
	if ((f & ctrl) && !(f & F(VIRTIO_NET_F_CTRL_VQ)))
		return false;
	return true;
}

static int net_activate(void *dev, struct virtio_transport *t)
{
	struct virtio_net *n = dev;
	uint64_t f = t->driver_features;
	bool gso =
	    f & (F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
		 F(VIRTIO_NET_F_GUEST_UFO) | F(VIRTIO_NET_F_GUEST_USO4) |
		 F(VIRTIO_NET_F_GUEST_USO6));

	if (!net_features_ok(n, f))
		return -1;
	if (n->be.set_offloads && n->be.set_offloads(n->be.opaque, f) < 0) {
		log_guest_once(&n->logged_offloads,
			       "%s: back end refused the negotiated offloads",
			       n->vdev.name);
		return -1;
	}
	n->stats.features = f;
	n->mrg_rxbuf = f & F(VIRTIO_NET_F_MRG_RXBUF);
	n->rx_need = VNET_HDR_LEN + (gso ? VNET_MAX_GSO_FRAME : VNET_MAX_FRAME);
	n->rx_watched = false;
	n->tx_watched = false;
	net_rx_drop_held(n);
	/* A reset gives a failed back end another chance. */
	if (n->rx_dead) {
		n->rx_dead = false;
		net_set_link(n, true);
	}
	/* The initial kick of every queue (virtio_device_start) arms RX. */
	return virtio_device_start(&n->vdev, t);
}

static void net_stop_watching(struct virtio_net *n)
{
	net_rx_unwatch(n);
	if (n->tx_watched)
		virtio_device_unwatch(&n->vdev, &n->tx_src);
	n->tx_watched = false;
}

/* I/O thread stopped: stop polling the back end for q. */
static void net_queue_quiesce(struct virtio_device *d, unsigned int q)
{
	struct virtio_net *n = d->priv;

	if (q == VNET_RX_QUEUE) {
		net_rx_unwatch(n);
		net_rx_drop_held(n);
	}
	if (q == VNET_TX_QUEUE && n->tx_watched) {
		virtio_device_unwatch(d, &n->tx_src);
		n->tx_watched = false;
	}
}

static int net_queue_enable(void *dev, unsigned int q)
{
	struct virtio_net *n = dev;

	return virtio_device_queue_enable(&n->vdev, q);
}

static void net_queue_reset(void *dev, unsigned int q)
{
	struct virtio_net *n = dev;

	virtio_device_queue_reset(&n->vdev, q);
}

static void net_reset(void *dev)
{
	struct virtio_net *n = dev;

	virtio_device_stop(&n->vdev);
	net_stop_watching(n);
}

const struct virtio_dev_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = 1,
	.nr_queues = 3,
	.queue_max_size = VNET_QUEUE_SIZE,
	.features = net_features,
	.config_size = net_config_size,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.features_ok = net_features_ok,
	.activate = net_activate,
	.queue_reset = net_queue_reset,
	.queue_enable = net_queue_enable,
	.reset = net_reset,
};

int virtio_net_init(struct virtio_net *n, const struct guest_mem *mem,
		    const struct virtio_net_backend *be, const uint8_t mac[6],
		    struct err *e)
{
	memset(n, 0, sizeof(*n));
	n->be = *be;
	memcpy(n->mac, mac, 6);
	n->status = VIRTIO_NET_S_LINK_UP;
	pthread_mutex_init(&n->cfg_lock, NULL);
	n->rx_src = (struct event_source){
		.fd = be->fd,
		.ready = net_rx_ready,
		.opaque = n,
	};
	/* A second epoll registration of the same file needs its own fd. */
	n->tx_src = (struct event_source){
		.fd = fcntl(be->fd, F_DUPFD_CLOEXEC, 0),
		.ready = net_tx_ready,
		.opaque = n,
	};
	if (n->tx_src.fd < 0)
		return err_errno(e, errno, "virtio-net: dup");
	if (virtio_device_init(&n->vdev, "virtio-net", mem, 3, net_queue_kick,
			       n, e) < 0)
		return -1;
	n->vdev.queue_quiesce = net_queue_quiesce;
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	net_reset(n);
	virtio_device_destroy(&n->vdev);
	if (n->tx_src.fd >= 0)
		close(n->tx_src.fd);
	n->tx_src.fd = -1;
	pthread_mutex_destroy(&n->cfg_lock);
	virtio_net_log_stats(n);
}

void virtio_net_log_stats(const struct virtio_net *n)
{
	const struct virtio_net_stats *s = &n->stats;
	const struct virtio_device_queue *q = n->vdev.queues;
	void (*out)(const char *, ...) = n->print_stats ? log_info : log_debug;

	out("virtio-net stats: features=%#llx rx frames=%llu bytes=%llu "
	    "gso=%llu dropped=%llu stalls=%llu wakeups=%llu reads=%llu "
	    "popped=%llu kicks=%llu irqs=%llu",
	    (unsigned long long)s->features, (unsigned long long)s->rx_frames,
	    (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_gso,
	    (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_stalls,
	    (unsigned long long)s->rx_wakeups, (unsigned long long)s->rx_reads,
	    (unsigned long long)s->rx_popped,
	    (unsigned long long)q[VNET_RX_QUEUE].kicks,
	    (unsigned long long)q[VNET_RX_QUEUE].irqs);
	out("virtio-net stats: tx frames=%llu bytes=%llu gso=%llu "
	    "dropped=%llu waits=%llu writes=%llu kicks=%llu irqs=%llu; "
	    "loop waits=%llu",
	    (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
	    (unsigned long long)s->tx_gso, (unsigned long long)s->tx_dropped,
	    (unsigned long long)s->tx_waits, (unsigned long long)s->tx_writes,
	    (unsigned long long)q[VNET_TX_QUEUE].kicks,
	    (unsigned long long)q[VNET_TX_QUEUE].irqs,
	    (unsigned long long)n->vdev.loop.waits);
}

/* --- MAC addresses ------------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int virtio_net_parse_mac(const char *s, uint8_t mac[6], struct err *e)
{
	const char *p = s;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);

		if (lo < 0)
			goto bad;
		mac[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (i < 5) {
			if (*p != ':' && *p != '-')
				goto bad;
			p++;
		}
	}
	if (*p)
		goto bad;
	if (mac[0] & 1)
		return err_set(
		    e, "mac '%s': a multicast address (first byte odd)", s);
	return 0;
bad:
	return err_set(
	    e, "mac '%s': expected six hex pairs such as 52:54:00:12:34:56", s);
}

void virtio_net_mac_from_name(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *name; name++) {
		h ^= (uint8_t)*name;
		h *= 16777619u;
	}
	/* 0x52: locally administered (bit 1), unicast (bit 0 clear). */
	mac[0] = 0x52;
	mac[1] = 0x56;
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}
