/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_VSOCK_H
#define VIREO_DEVICES_VIRTIO_VSOCK_H

/*
 * virtio-vsock (virtio 1.2, 5.10), stream sockets only, with the host side
 * on Unix sockets (devices/virtio/vsock_uds.h). Everything runs on the
 * device's I/O thread: the RX, TX and event queues, the listening socket
 * and one host socket per connection.
 *
 * Memory is bounded whatever the guest does: at most VSOCK_MAX_CONNS
 * connections, each buffering at most VSOCK_CONN_BUF bytes of guest data
 * its host socket has not taken yet (the buf_alloc the device advertises:
 * a guest sending past that credit gets its connection reset). Host data
 * is read straight into the guest's RX buffers, never more than the
 * guest's advertised credit, so nothing is buffered that way at all.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bus/virtio_transport.h"
#include "devices/virtio/virtio_device.h"
#include "devices/virtio/vsock_packet.h"

#define VSOCK_RX_QUEUE 0
#define VSOCK_TX_QUEUE 1
#define VSOCK_EVENT_QUEUE 2
#define VSOCK_QUEUE_SIZE 256

#define VSOCK_MAX_CONNS 64
#define VSOCK_CONN_BUF (256u << 10)
/* RSTs owed for packets that match no connection, awaiting RX buffers. */
#define VSOCK_MAX_PENDING_RST 32

enum vsock_conn_state {
	VSOCK_CONN_FREE = 0,
	VSOCK_CONN_HOST_HELLO, /* host connected, "CONNECT <port>\n" due */
	VSOCK_CONN_HOST_REQUEST, /* REQUEST owed/sent to the guest */
	VSOCK_CONN_ESTABLISHED,
	/* The guest closed: its last bytes still go to the host, then close. */
	VSOCK_CONN_DRAINING,
};

struct virtio_vsock;

struct vsock_conn {
	enum vsock_conn_state state;
	struct virtio_vsock *dev;
	int fd;
	struct event_source src;
	uint32_t host_port, guest_port;
	char hello[VSOCK_CONNECT_LINE_MAX];

	/* guest -> host: a ring of bytes the host socket did not take yet */
	uint8_t *buf; /* VSOCK_CONN_BUF bytes while non-empty, else NULL */
	uint32_t buf_head, buf_len;
	char ok_line[24]; /* "OK <port>\n" owed to the host first */
	uint8_t ok_off, ok_len;
	uint32_t fwd_cnt, fwd_cnt_sent;
	bool guest_shut_rd, guest_shut_wr, host_wr_closed;
	bool writable; /* last write did not hit EAGAIN */

	/* host -> guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt, rx_cnt;
	bool readable; /* no EAGAIN since the last edge */
	bool host_eof, host_hup;

	/* Control packets owed to the guest. */
	bool send_request, send_response, send_shutdown, send_credit_update,
	    send_credit_request;
	bool credit_requested; /* one CREDIT_REQUEST per stall */
};

struct vsock_addr_pair {
	uint32_t host_port, guest_port;
};

/* I/O-thread counters; read them once the device is stopped. */
struct virtio_vsock_stats {
	uint64_t rx_bytes, tx_bytes; /* payload to / from the guest */
	uint64_t conns_opened, resets_sent, dropped, credit_violations;
	uint64_t host_refused; /* host connections over the limit or bad */
};

struct virtio_vsock {
	struct virtio_device vdev;
	uint64_t guest_cid;
	char uds_path[128];
	int listen_fd;
	struct event_source listen_src;
	int reset_efd; /* transport reset requests, from any thread */
	struct event_source reset_src;
	struct virtio_vsock_stats stats;

	/* I/O thread state, reset at activate. */
	struct vsock_conn conns[VSOCK_MAX_CONNS];
	unsigned int rr; /* next connection RX serves first */
	uint32_t next_host_port;
	struct vsock_addr_pair rst[VSOCK_MAX_PENDING_RST];
	unsigned int nr_rst;
	bool tx_stalled; /* TX stopped: RST backlog full */
	bool event_pending; /* TRANSPORT_RESET owed on the event queue */
	bool logged_credit; /* log_guest_once */
};

extern const struct virtio_dev_ops virtio_vsock_ops;

/*
 * listen_fd: the host side's listening socket (vsock_uds_listen), owned by
 * the device from here on; uds_path: where guest connections to host port
 * P go ("uds_path_P").
 */
int virtio_vsock_init(struct virtio_vsock *v, const struct guest_mem *mem,
		      uint64_t guest_cid, const char *uds_path, int listen_fd,
		      struct err *e);
void virtio_vsock_destroy(struct virtio_vsock *v);

/*
 * Drops every connection (host sockets closed) and tells the guest with a
 * VIRTIO_VSOCK_EVENT_TRANSPORT_RESET event; e.g. after the host side was
 * replaced. Any thread.
 */
void virtio_vsock_transport_reset(struct virtio_vsock *v);

#endif
