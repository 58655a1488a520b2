// SPDX-License-Identifier: MIT
/*
 * virtio-vsock device: the connection table and its state machine, on the
 * I/O thread.
 *
 * TX (guest -> host): each packet is classified by vsock_pkt_parse, then
 * acted on. Payload goes to the host socket at once; what the socket does
 * not take is kept in the connection's ring, which the guest's credit
 * (our buf_alloc) bounds. TX stops only when RSTs owed for unknown
 * connections pile up with no RX buffers to carry them.
 *
 * RX (device -> guest): one packet per RX chain, chosen round-robin over
 * the connections: owed control packets first, then host data read with
 * one recvmsg straight into the chain, at most the guest's credit. Host
 * sockets are edge-triggered: a socket is read only while it may have data
 * and the guest can take it, so a slow guest (no credit, no RX buffers) or
 * a slow host (full socket) never makes the loop spin.
 */
#include "devices/virtio/vsock.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio/vsock_uds.h"
#include "util/log.h"

#define F(bit) (1ull << (bit))
/* Host-initiated connections get local ports from here up (as Firecracker). */
#define VSOCK_HOST_PORT_BASE (1u << 30)
/* Send a credit update once the guest could have this much more room. */
#define VSOCK_CREDIT_UPDATE_STEP (VSOCK_CONN_BUF / 4)
#define VSOCK_RX_MAX_IOV 64

static void vsock_rx_flush(struct virtio_vsock *v);
static void vsock_tx_kick(struct virtio_vsock *v);

/* --- connections --------------------------------------------------------- */

static void vsock_host_ready(struct event_source *src, uint32_t events);

static void vsock_conn_free(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->dev;

	if (c->state == VSOCK_CONN_FREE)
		return;
	virtio_device_unwatch(&v->vdev, &c->src);
	close(c->fd);
	free(c->buf);
	/*
	 * The loop may still hold an event for this slot from the same
	 * epoll_wait batch: its source stays callable and sees FREE.
	 */
	*c = (struct vsock_conn){
		.state = VSOCK_CONN_FREE,
		.dev = v,
		.fd = -1,
		.src = { .fd = -1, .ready = vsock_host_ready, .opaque = c },
	};
}

static struct vsock_conn *
vsock_conn_find(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port)
{
	unsigned int i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->state != VSOCK_CONN_FREE &&
		    c->state != VSOCK_CONN_HOST_HELLO &&
		    c->state != VSOCK_CONN_DRAINING &&
		    c->host_port == host_port && c->guest_port == guest_port)
			return c;
	}
	return NULL;
}

static struct vsock_conn *vsock_conn_new(struct virtio_vsock *v, int fd,
					 enum vsock_conn_state state)
{
	unsigned int i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[i];

		if (c->state != VSOCK_CONN_FREE)
			continue;
		*c = (struct vsock_conn){
			.state = state,
			.dev = v,
			.fd = fd,
			.src = { .fd = fd,
				 .ready = vsock_host_ready,
				 .opaque = c },
			.writable = true,
		};
		/* Edge-triggered: a socket we cannot serve now stays quiet. */
		if (virtio_device_watch(
			&v->vdev, &c->src,
			EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, NULL) < 0) {
			c->state = VSOCK_CONN_FREE;
			return NULL;
		}
		return c;
	}
	return NULL;
}

/*
 * Owes the guest a RST for (host_port, guest_port). TX keeps a slot free
 * for each packet it serves; a host-side failure finding the backlog full
 * (a guest posting no RX buffers) drops its RST, and the guest's next
 * packet on that stream, matching no connection, gets one then.
 */
static void vsock_queue_rst(struct virtio_vsock *v, uint32_t host_port,
			    uint32_t guest_port)
{
	if (v->nr_rst < VSOCK_MAX_PENDING_RST)
		v->rst[v->nr_rst++] =
		    (struct vsock_addr_pair){ host_port, guest_port };
}

/* Resets the connection towards the guest and drops the host socket. */
static void vsock_conn_reset(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->dev;

	if (c->state != VSOCK_CONN_HOST_HELLO)
		vsock_queue_rst(v, c->host_port, c->guest_port);
	vsock_conn_free(c);
}

/* --- guest -> host bytes -------------------------------------------------- */

/* Writes what the host socket takes of the ok line, then of the ring. */
static int vsock_conn_flush(struct vsock_conn *c)
{
	while (c->ok_off < c->ok_len) {
		ssize_t n =
		    send(c->fd, c->ok_line + c->ok_off, c->ok_len - c->ok_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				c->writable = false;
			return errno == EAGAIN ? 0 : -1;
		}
		c->ok_off = (uint8_t)(c->ok_off + n);
	}
	while (c->buf_len) {
		uint32_t first = VSOCK_CONN_BUF - c->buf_head;
		struct iovec iov[2] = {
			{ c->buf + c->buf_head,
			  first < c->buf_len ? first : c->buf_len },
			{ c->buf, first < c->buf_len ? c->buf_len - first : 0 },
		};
		struct msghdr mh = { .msg_iov = iov,
				     .msg_iovlen = iov[1].iov_len ? 2 : 1 };
		ssize_t n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				c->writable = false;
			return errno == EAGAIN ? 0 : -1;
		}
		c->buf_head =
		    (uint32_t)((c->buf_head + (uint32_t)n) % VSOCK_CONN_BUF);
		c->buf_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	/* Idle connections hold no buffer. */
	free(c->buf);
	c->buf = NULL;
	c->buf_head = 0;
	if (c->guest_shut_wr && !c->host_wr_closed) {
		shutdown(c->fd, SHUT_WR);
		c->host_wr_closed = true;
	}
	return 0;
}

static bool vsock_conn_pending_out(const struct vsock_conn *c)
{
	return c->buf_len || c->ok_off < c->ok_len;
}

/* After the host took bytes: tell the guest once it has room to use. */
static void vsock_conn_credit_check(struct vsock_conn *c)
{
	if (c->state == VSOCK_CONN_ESTABLISHED &&
	    c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_CREDIT_UPDATE_STEP)
		c->send_credit_update = true;
}

/*
 * Payload bytes [off, off + len) of TX chain ch for the host: straight to
 * the socket when nothing is queued before them, the rest into the ring.
 */
static int vsock_conn_write(struct vsock_conn *c, const struct virtq_chain *ch,
			    uint32_t len)
{
	struct iovec iov[VSOCK_RX_MAX_IOV];
	uint32_t done = 0;
	int nr;

	if (!vsock_conn_pending_out(c) && c->writable) {
		nr = virtq_chain_slice(ch, false, VSOCK_HDR_LEN, len, iov,
				       VSOCK_RX_MAX_IOV);
		if (nr > 0) {
			struct msghdr mh = { .msg_iov = iov,
					     .msg_iovlen = (size_t)nr };
			ssize_t n =
			    sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n < 0 && errno != EAGAIN)
				return -1;
			if (n < 0)
				c->writable = false;
			done = n > 0 ? (uint32_t)n : 0;
			c->fwd_cnt += done;
		}
	}
	if (done < len) {
		uint32_t left = len - done, tail;

		if (!c->buf) {
			c->buf = malloc(VSOCK_CONN_BUF);
			if (!c->buf)
				return -1;
			c->buf_head = 0;
		}
		tail = (c->buf_head + c->buf_len) % VSOCK_CONN_BUF;
		while (left) {
			uint32_t chunk = VSOCK_CONN_BUF - tail;

			if (chunk > left)
				chunk = left;
			virtq_chain_read(ch, VSOCK_HDR_LEN + (len - left),
					 c->buf + tail, chunk);
			c->buf_len += chunk;
			left -= chunk;
			tail = (tail + chunk) % VSOCK_CONN_BUF;
		}
	}
	vsock_conn_credit_check(c);
	return 0;
}

/* --- TX: packets from the guest ------------------------------------------- */

static void vsock_guest_shutdown(struct vsock_conn *c, uint32_t flags)
{
	struct virtio_vsock *v = c->dev;

	if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
		c->guest_shut_rd = true;
	if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
		c->guest_shut_wr = true;
	if (!(c->guest_shut_rd && c->guest_shut_wr)) {
		if (c->guest_shut_wr && !vsock_conn_pending_out(c))
			vsock_conn_flush(c);
		return;
	}
	/*
	 * Both ways shut: the guest waits for our RST to finish its close.
	 * Bytes the host has not taken yet still reach it.
	 */
	vsock_queue_rst(v, c->host_port, c->guest_port);
	if (!vsock_conn_pending_out(c)) {
		shutdown(c->fd, SHUT_WR);
		vsock_conn_free(c);
		return;
	}
	c->state = VSOCK_CONN_DRAINING;
}

static void vsock_guest_request(struct virtio_vsock *v,
				const struct vsock_pkt *p)
{
	struct vsock_conn *c;
	int fd;

	if (vsock_conn_find(v, p->dst_port, p->src_port)) {
		vsock_queue_rst(v, p->dst_port, p->src_port);
		return;
	}
	fd = vsock_uds_connect(v->uds_path, p->dst_port);
	if (fd < 0) {
		vsock_queue_rst(v, p->dst_port, p->src_port);
		return;
	}
	c = vsock_conn_new(v, fd, VSOCK_CONN_ESTABLISHED);
	if (!c) {
		close(fd);
		vsock_queue_rst(v, p->dst_port, p->src_port);
		return;
	}
	c->host_port = p->dst_port;
	c->guest_port = p->src_port;
	c->peer_buf_alloc = p->buf_alloc;
	c->peer_fwd_cnt = p->fwd_cnt;
	c->send_response = true;
	v->stats.conns_opened++;
}

static void vsock_guest_response(struct vsock_conn *c)
{
	int n;

	if (c->state != VSOCK_CONN_HOST_REQUEST) {
		vsock_conn_reset(c);
		return;
	}
	c->state = VSOCK_CONN_ESTABLISHED;
	n = snprintf(c->ok_line, sizeof(c->ok_line), "OK %u\n", c->host_port);
	c->ok_len = (uint8_t)n;
	c->ok_off = 0;
	c->dev->stats.conns_opened++;
	if (vsock_conn_flush(c) < 0)
		vsock_conn_reset(c);
}

static void vsock_guest_rw(struct vsock_conn *c, const struct vsock_pkt *p,
			   const struct virtq_chain *ch)
{
	struct virtio_vsock *v = c->dev;

	if (c->state != VSOCK_CONN_ESTABLISHED || c->guest_shut_wr) {
		vsock_conn_reset(c);
		return;
	}
	/* More than the credit we gave: the ring would overflow. */
	if (p->len > VSOCK_CONN_BUF - c->buf_len) {
		log_guest_once(&v->logged_credit,
			       "%s: guest sent past its credit, connection "
			       "reset",
			       v->vdev.name);
		v->stats.credit_violations++;
		vsock_conn_reset(c);
		return;
	}
	v->stats.tx_bytes += p->len;
	if (vsock_conn_write(c, ch, p->len) < 0)
		vsock_conn_reset(c);
}

static void vsock_guest_packet(struct virtio_vsock *v,
			       const struct vsock_pkt *p,
			       const struct virtq_chain *ch)
{
	struct vsock_conn *c = vsock_conn_find(v, p->dst_port, p->src_port);

	if (p->op == VIRTIO_VSOCK_OP_REQUEST) {
		vsock_guest_request(v, p);
		return;
	}
	if (!c) {
		if (p->op != VIRTIO_VSOCK_OP_RST)
			vsock_queue_rst(v, p->dst_port, p->src_port);
		return;
	}
	/* Every header carries the guest's receive window. */
	c->peer_buf_alloc = p->buf_alloc;
	c->peer_fwd_cnt = p->fwd_cnt;
	if (vsock_credit(c->peer_buf_alloc, c->peer_fwd_cnt, c->rx_cnt))
		c->credit_requested = false;
	switch (p->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		vsock_guest_response(c);
		break;
	case VIRTIO_VSOCK_OP_RST:
		vsock_conn_free(c);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		vsock_guest_shutdown(c, p->flags);
		break;
	case VIRTIO_VSOCK_OP_RW:
		vsock_guest_rw(c, p, ch);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->send_credit_update = true;
		break;
	default: /* CREDIT_UPDATE: the window above was all of it */
		break;
	}
}

static enum virtio_serve vsock_tx_serve(struct virtio_device *d, unsigned int q,
					const struct virtq_chain *ch,
					uint32_t *len)
{
	struct virtio_vsock *v = d->priv;
	struct virtio_vsock_hdr raw;
	struct vsock_pkt p;
	size_t got;

	(void)q;
	/* Each packet may owe one RST: keep room for it. */
	if (v->nr_rst == VSOCK_MAX_PENDING_RST) {
		v->tx_stalled = true;
		return VIRTIO_SERVE_STOP;
	}
	*len = 0;
	got = virtq_chain_read(ch, 0, &raw, sizeof(raw));
	switch (
	    vsock_pkt_parse(&raw, got, ch->out_len - got, v->guest_cid, &p)) {
	case VSOCK_PKT_OK:
		vsock_guest_packet(v, &p, ch);
		break;
	case VSOCK_PKT_RESET:
		vsock_queue_rst(v, p.dst_port, p.src_port);
		break;
	case VSOCK_PKT_DROP:
		v->stats.dropped++;
		break;
	}
	return VIRTIO_SERVE_DONE;
}

static void vsock_tx_kick(struct virtio_vsock *v)
{
	v->tx_stalled = false;
	virtio_device_drain(&v->vdev, VSOCK_TX_QUEUE, vsock_tx_serve);
}

/* --- RX: packets to the guest --------------------------------------------- */

static void vsock_hdr_for(const struct virtio_vsock *v,
			  const struct vsock_conn *c, struct vsock_pkt *p,
			  uint16_t op)
{
	*p = (struct vsock_pkt){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = v->guest_cid,
		.src_port = c ? c->host_port : 0,
		.dst_port = c ? c->guest_port : 0,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = VSOCK_CONN_BUF,
		.fwd_cnt = c ? c->fwd_cnt : 0,
	};
}

/* The control packet c owes the guest, if any (its flag cleared). */
static bool vsock_conn_control(struct vsock_conn *c, struct vsock_pkt *p)
{
	uint16_t op;
	uint32_t flags = 0;

	if (c->send_request) {
		c->send_request = false;
		op = VIRTIO_VSOCK_OP_REQUEST;
	} else if (c->send_response) {
		c->send_response = false;
		op = VIRTIO_VSOCK_OP_RESPONSE;
	} else if (c->send_shutdown) {
		c->send_shutdown = false;
		op = VIRTIO_VSOCK_OP_SHUTDOWN;
		flags = VIRTIO_VSOCK_SHUTDOWN_SEND |
			(c->host_hup ? VIRTIO_VSOCK_SHUTDOWN_RCV : 0);
	} else if (c->send_credit_update) {
		c->send_credit_update = false;
		op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
	} else if (c->send_credit_request) {
		c->send_credit_request = false;
		op = VIRTIO_VSOCK_OP_CREDIT_REQUEST;
	} else {
		return false;
	}
	vsock_hdr_for(c->dev, c, p, op);
	p->flags = flags;
	return true;
}

static bool vsock_conn_wants_rx(const struct vsock_conn *c)
{
	return c->state == VSOCK_CONN_ESTABLISHED && c->readable &&
	       !c->host_eof && !c->guest_shut_rd;
}

static void vsock_put_hdr(struct vsock_conn *c, const struct vsock_pkt *p,
			  const struct virtq_chain *ch)
{
	struct virtio_vsock_hdr h;

	vsock_pkt_encode(p, &h);
	virtq_chain_write(ch, 0, &h, sizeof(h));
	if (c)
		c->fwd_cnt_sent = c->fwd_cnt;
}

/*
 * Reads host data for c into ch's payload area. Returns 1 with a packet
 * built, 0 when c had nothing after all.
 */
static int vsock_conn_read(struct vsock_conn *c, const struct virtq_chain *ch,
			   uint32_t *used)
{
	struct virtio_vsock *v = c->dev;
	uint32_t credit =
	    vsock_credit(c->peer_buf_alloc, c->peer_fwd_cnt, c->rx_cnt);
	uint64_t room = ch->in_len - VSOCK_HDR_LEN;
	struct iovec iov[VSOCK_RX_MAX_IOV];
	struct vsock_pkt p;
	struct msghdr mh = { .msg_iov = iov };
	ssize_t n;
	int nr;

	if (!credit) {
		/* Stalled on the guest: ask once, it answers as it reads. */
		if (!c->credit_requested) {
			c->credit_requested = true;
			c->send_credit_request = true;
		}
		return 0;
	}
	if (room > credit)
		room = credit;
	if (room > VSOCK_MAX_PAYLOAD)
		room = VSOCK_MAX_PAYLOAD;
	nr = virtq_chain_slice(ch, true, VSOCK_HDR_LEN, room, iov,
			       VSOCK_RX_MAX_IOV);
	if (nr <= 0)
		return 0;
	mh.msg_iovlen = (size_t)nr;
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN) {
		c->readable = false;
		return 0;
	}
	if (n < 0) {
		vsock_conn_reset(c);
		return 0;
	}
	if (n == 0) {
		c->host_eof = true;
		c->send_shutdown = true;
		return 0;
	}
	vsock_hdr_for(v, c, &p, VIRTIO_VSOCK_OP_RW);
	p.len = (uint32_t)n;
	vsock_put_hdr(c, &p, ch);
	c->rx_cnt += (uint32_t)n;
	v->stats.rx_bytes += (uint64_t)n;
	*used = VSOCK_HDR_LEN + (uint32_t)n;
	return 1;
}

static enum virtio_serve vsock_rx_serve(struct virtio_device *d, unsigned int q,
					const struct virtq_chain *ch,
					uint32_t *len)
{
	struct virtio_vsock *v = d->priv;
	struct vsock_pkt p;
	unsigned int i;

	(void)q;
	*len = 0;
	/* Unusable buffer: given back empty, nothing lost on our side. */
	if (ch->in_len < VSOCK_HDR_LEN || ch->out_len) {
		v->stats.dropped++;
		return VIRTIO_SERVE_DONE;
	}
	if (v->nr_rst) {
		struct vsock_addr_pair a = v->rst[--v->nr_rst];

		vsock_hdr_for(v, NULL, &p, VIRTIO_VSOCK_OP_RST);
		p.src_port = a.host_port;
		p.dst_port = a.guest_port;
		vsock_put_hdr(NULL, &p, ch);
		v->stats.resets_sent++;
		*len = VSOCK_HDR_LEN;
		return VIRTIO_SERVE_DONE;
	}
	/* Round-robin so one busy stream cannot starve the others. */
	for (i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conns[(v->rr + i) % VSOCK_MAX_CONNS];

		/* A draining connection's guest side is gone (RST sent). */
		if (c->state != VSOCK_CONN_ESTABLISHED &&
		    c->state != VSOCK_CONN_HOST_REQUEST)
			continue;
		if (vsock_conn_control(c, &p)) {
			vsock_put_hdr(c, &p, ch);
			*len = VSOCK_HDR_LEN;
		} else if (!vsock_conn_wants_rx(c) ||
			   !vsock_conn_read(c, ch, len)) {
			/* A read may have owed a control packet instead. */
			if (c->state == VSOCK_CONN_FREE ||
			    !vsock_conn_control(c, &p))
				continue;
			vsock_put_hdr(c, &p, ch);
			*len = VSOCK_HDR_LEN;
		}
		v->rr = (v->rr + i + 1) % VSOCK_MAX_CONNS;
		return VIRTIO_SERVE_DONE;
	}
	/* A reset inside a read may have owed a RST just now. */
	if (v->nr_rst)
		return vsock_rx_serve(d, q, ch, len);
	return VIRTIO_SERVE_STOP;
}

/* RX, and TX again while RX made room for the RSTs TX was held for. */
static void vsock_rx_flush(struct virtio_vsock *v)
{
	for (;;) {
		virtio_device_drain(&v->vdev, VSOCK_RX_QUEUE, vsock_rx_serve);
		if (!v->tx_stalled || v->nr_rst == VSOCK_MAX_PENDING_RST)
			return;
		vsock_tx_kick(v);
	}
}

/* --- event queue ---------------------------------------------------------- */

static enum virtio_serve vsock_event_serve(struct virtio_device *d,
					   unsigned int q,
					   const struct virtq_chain *ch,
					   uint32_t *len)
{
	struct virtio_vsock *v = d->priv;
	struct virtio_vsock_event ev = {
		.id = htole32(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET)
	};

	(void)q;
	if (!v->event_pending)
		return VIRTIO_SERVE_STOP;
	*len = (uint32_t)virtq_chain_write(ch, 0, &ev, sizeof(ev));
	if (*len == sizeof(ev))
		v->event_pending = false;
	return VIRTIO_SERVE_DONE;
}

static void vsock_drop_all(struct virtio_vsock *v)
{
	unsigned int i;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		vsock_conn_free(&v->conns[i]);
	v->nr_rst = 0;
}

static void vsock_reset_ready(struct event_source *src, uint32_t events)
{
	struct virtio_vsock *v = src->opaque;
	uint64_t n;

	(void)events;
	if (read(v->reset_efd, &n, sizeof(n)) < 0)
		return;
	vsock_drop_all(v);
	v->event_pending = true;
	virtio_device_drain(&v->vdev, VSOCK_EVENT_QUEUE, vsock_event_serve);
}

void virtio_vsock_transport_reset(struct virtio_vsock *v)
{
	uint64_t one = 1;

	if (write(v->reset_efd, &one, sizeof(one)) < 0) {
		/* already pending */
	}
}

/* --- host sockets --------------------------------------------------------- */

static uint32_t vsock_host_port(struct virtio_vsock *v)
{
	for (;;) {
		uint32_t port = v->next_host_port++;
		unsigned int i;
		bool used = false;

		if (v->next_host_port < VSOCK_HOST_PORT_BASE)
			v->next_host_port = VSOCK_HOST_PORT_BASE;
		for (i = 0; i < VSOCK_MAX_CONNS; i++)
			used |= v->conns[i].state != VSOCK_CONN_FREE &&
				v->conns[i].host_port == port;
		if (!used)
			return port;
	}
}

/* The host agent's "CONNECT <port>\n": consumed exactly, no stream byte. */
static void vsock_host_hello(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->dev;
	uint32_t port;
	ssize_t n;
	int line;

	n = recv(c->fd, c->hello, sizeof(c->hello), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN) {
		c->readable = false;
		return;
	}
	line = n > 0 ? vsock_parse_connect(c->hello, (size_t)n, &port) : -1;
	if (line == 0) {
		c->readable = false;
		return;
	}
	if (line < 0 ||
	    recv(c->fd, c->hello, (size_t)line, MSG_DONTWAIT) != line) {
		v->stats.host_refused++;
		vsock_conn_free(c);
		return;
	}
	c->host_port = vsock_host_port(v);
	c->guest_port = port;
	c->state = VSOCK_CONN_HOST_REQUEST;
	c->send_request = true;
	/* Whatever follows the line waits for the guest to accept. */
	c->readable = true;
}

static void vsock_host_ready(struct event_source *src, uint32_t events)
{
	struct vsock_conn *c = src->opaque;
	struct virtio_vsock *v = c->dev;

	if (c->state == VSOCK_CONN_FREE)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = true;
	if (events & EPOLLHUP)
		c->host_hup = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->writable = true;
	if (c->state == VSOCK_CONN_HOST_HELLO) {
		vsock_host_hello(c);
	} else if (c->state == VSOCK_CONN_HOST_REQUEST &&
		   (events & (EPOLLHUP | EPOLLERR))) {
		/* The agent gave up before the guest answered. */
		vsock_conn_reset(c);
	} else if (c->writable && vsock_conn_pending_out(c)) {
		if (vsock_conn_flush(c) < 0) {
			if (c->state == VSOCK_CONN_DRAINING)
				vsock_conn_free(c);
			else
				vsock_conn_reset(c);
		} else if (c->state == VSOCK_CONN_DRAINING &&
			   !vsock_conn_pending_out(c)) {
			vsock_conn_free(c);
		} else {
			vsock_conn_credit_check(c);
		}
	} else if (c->state == VSOCK_CONN_DRAINING && (events & EPOLLHUP)) {
		vsock_conn_free(c);
	}
	vsock_rx_flush(v);
}

static void vsock_listen_ready(struct event_source *src, uint32_t events)
{
	struct virtio_vsock *v = src->opaque;
	int fd;

	(void)events;
	while ((fd = vsock_uds_accept(v->listen_fd)) >= 0) {
		struct vsock_conn *c =
		    vsock_conn_new(v, fd, VSOCK_CONN_HOST_HELLO);

		/* Over the limit: the agent sees its connection closed. */
		if (!c) {
			v->stats.host_refused++;
			close(fd);
		}
	}
}

/* --- virtio_dev_ops ------------------------------------------------------- */

static void vsock_queue_kick(struct virtio_device *d, unsigned int q)
{
	struct virtio_vsock *v = d->priv;

	if (q == VSOCK_TX_QUEUE)
		vsock_tx_kick(v);
	else if (q == VSOCK_EVENT_QUEUE)
		virtio_device_drain(d, q, vsock_event_serve);
	/* TX may have owed packets: RX runs after either. */
	vsock_rx_flush(v);
}

static uint64_t vsock_features(void *dev)
{
	(void)dev;
	return F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_RING_EVENT_IDX) |
	       F(VIRTIO_F_RING_INDIRECT_DESC);
}

static uint32_t vsock_config_size(void *dev)
{
	(void)dev;
	return sizeof(struct virtio_vsock_config);
}

static void vsock_config_read(void *dev, uint32_t offset, void *data,
			      unsigned int len)
{
	struct virtio_vsock *v = dev;
	struct virtio_vsock_config cfg = { .guest_cid = htole64(v->guest_cid) };

	if (offset <= sizeof(cfg) && len <= sizeof(cfg) - offset)
		memcpy(data, (uint8_t *)&cfg + offset, len);
	else
		memset(data, 0, len);
}

static void vsock_config_write(void *dev, uint32_t offset, const void *data,
			       unsigned int len)
{
	/* guest_cid is read-only. */
	(void)dev;
	(void)offset;
	(void)data;
	(void)len;
}

/* No legacy interface for vsock (virtio 1.2, 5.10): VERSION_1 or nothing. */
static bool vsock_features_ok(void *dev, uint64_t features)
{
	(void)dev;
	return features & F(VIRTIO_F_VERSION_1);
}

static void vsock_unwatch_host(struct virtio_vsock *v)
{
	virtio_device_unwatch(&v->vdev, &v->listen_src);
	virtio_device_unwatch(&v->vdev, &v->reset_src);
}

static int vsock_activate(void *dev, struct virtio_transport *t)
{
	struct virtio_vsock *v = dev;
	unsigned int i;
	uint64_t stale;

	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		v->conns[i] = (struct vsock_conn){ .fd = -1 };
	v->rr = 0;
	v->nr_rst = 0;
	v->tx_stalled = false;
	v->event_pending = false;
	v->next_host_port = VSOCK_HOST_PORT_BASE;
	if (read(v->reset_efd, &stale, sizeof(stale)) < 0) {
		/* none requested while inactive */
	}
	/* The I/O thread is not running yet: safe to add sources. */
	if (virtio_device_watch(&v->vdev, &v->listen_src, EPOLLIN, NULL) < 0)
		return -1;
	if (virtio_device_watch(&v->vdev, &v->reset_src, EPOLLIN, NULL) < 0) {
		virtio_device_unwatch(&v->vdev, &v->listen_src);
		return -1;
	}
	if (virtio_device_start(&v->vdev, t) < 0) {
		vsock_unwatch_host(v);
		return -1;
	}
	return 0;
}

static void vsock_reset(void *dev)
{
	struct virtio_vsock *v = dev;
	bool was_active = v->vdev.t != NULL;

	virtio_device_stop(&v->vdev);
	if (!was_active)
		return;
	/* Thread stopped: the host side learns every stream is gone. */
	vsock_drop_all(v);
	vsock_unwatch_host(v);
}

static void vsock_queue_reset(void *dev, unsigned int q)
{
	struct virtio_vsock *v = dev;

	virtio_device_queue_reset(&v->vdev, q);
}

const struct virtio_dev_ops virtio_vsock_ops = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.nr_queues = 3,
	.queue_max_size = VSOCK_QUEUE_SIZE,
	.features = vsock_features,
	.config_size = vsock_config_size,
	.config_read = vsock_config_read,
	.config_write = vsock_config_write,
	.features_ok = vsock_features_ok,
	.activate = vsock_activate,
	.queue_reset = vsock_queue_reset,
	.reset = vsock_reset,
};

int virtio_vsock_init(struct virtio_vsock *v, const struct guest_mem *mem,
		      uint64_t guest_cid, const char *uds_path, int listen_fd,
		      struct err *e)
{
	unsigned int i;

	memset(v, 0, sizeof(*v));
	v->listen_fd = listen_fd;
	v->reset_efd = -1;
	for (i = 0; i < VSOCK_MAX_CONNS; i++)
		v->conns[i].fd = -1;
	/* First, so that destroy is safe from any failure below. */
	if (virtio_device_init(&v->vdev, "virtio-vsock", mem, 3,
			       vsock_queue_kick, v, e) < 0)
		return -1;
	if (strlen(uds_path) >= sizeof(v->uds_path))
		return err_set(e, "--vsock: uds path too long");
	memcpy(v->uds_path, uds_path, strlen(uds_path) + 1);
	v->guest_cid = guest_cid;
	v->listen_src = (struct event_source){ .fd = listen_fd,
					       .ready = vsock_listen_ready,
					       .opaque = v };
	v->reset_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->reset_efd < 0)
		return err_errno(e, errno, "eventfd");
	v->reset_src = (struct event_source){ .fd = v->reset_efd,
					      .ready = vsock_reset_ready,
					      .opaque = v };
	return 0;
}

void virtio_vsock_destroy(struct virtio_vsock *v)
{
	vsock_reset(v);
	virtio_device_destroy(&v->vdev);
	if (v->reset_efd >= 0)
		close(v->reset_efd);
	/* The socket file is ours (vsock_uds_listen made it): no stale path. */
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		if (v->uds_path[0])
			unlink(v->uds_path);
	}
	v->reset_efd = v->listen_fd = -1;
}
