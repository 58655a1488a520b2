/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_NET_H
#define VIREO_DEVICES_VIRTIO_NET_H

/*
 * virtio-net (virtio 1.2, 5.1): one RX/TX queue pair and a control queue
 * over a back-end fd that carries one Ethernet frame per read()/write(),
 * each preceded by a 12-byte struct virtio_net_hdr_v1 (a tap opened with
 * IFF_VNET_HDR and TUNSETVNETHDRSZ 12, or a socketpair in tests). Frames go
 * between the fd and guest buffers with one readv()/writev() each, on the
 * device's I/O thread. The device knows nothing of taps or transports.
 */

#include <linux/virtio_net.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "bus/virtio_transport.h"
#include "devices/virtio/virtio_device.h"

/* Feature bits (virtio 1.2, 5.1.3): Debian 12's UAPI header lacks USO. */
#ifndef VIRTIO_NET_F_GUEST_USO4
#define VIRTIO_NET_F_GUEST_USO4 54
#define VIRTIO_NET_F_GUEST_USO6 55
#endif

/* Offloads towards the guest: only what the back end can deliver. */
#define VNET_GUEST_OFFLOADS                                                    \
	((1ull << VIRTIO_NET_F_GUEST_CSUM) |                                   \
	 (1ull << VIRTIO_NET_F_GUEST_TSO4) |                                   \
	 (1ull << VIRTIO_NET_F_GUEST_TSO6) |                                   \
	 (1ull << VIRTIO_NET_F_GUEST_ECN) | (1ull << VIRTIO_NET_F_GUEST_UFO) | \
	 (1ull << VIRTIO_NET_F_GUEST_USO4) |                                   \
	 (1ull << VIRTIO_NET_F_GUEST_USO6))

/* struct virtio_net_hdr_v1: the header with VERSION_1 or MRG_RXBUF. */
#define VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr_v1))
#define VNET_HDR_NUM_BUFFERS offsetof(struct virtio_net_hdr_v1, num_buffers)

#define VNET_RX_QUEUE 0
#define VNET_TX_QUEUE 1
#define VNET_CTRL_QUEUE 2

struct virtio_net_backend {
	int fd; /* non-blocking; one frame per read/write */
	/* VIRTIO_NET_F_GUEST_* bits the back end can deliver to the guest. */
	uint64_t guest_offloads;
	/*
	 * At DRIVER_OK with the negotiated features: turn on the offloads the
	 * guest accepted (may be NULL). A failure marks the device NEEDS_RESET.
	 */
	int (*set_offloads)(void *opaque, uint64_t features);
	void *opaque;
};

/* I/O-thread counters; read them once the device is stopped. */
struct virtio_net_stats {
	uint64_t rx_frames, rx_bytes;
	uint64_t
	    rx_dropped; /* frames read but not delivered (too big, short) */
	uint64_t rx_bad_buffers; /* guest RX buffers unusable (no room) */
	uint64_t rx_stalls; /* times RX polling stopped for lack of buffers */
	uint64_t rx_errors; /* back-end read errors (a frame lost) */
	uint64_t tx_waits; /* times TX waited for the back end to drain */
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped; /* bad chains or back-end write errors */
	uint64_t ctrl_ok, ctrl_err;
	/* Where the time goes (--stats): wakeups, syscalls, ring work. */
	uint64_t rx_wakeups; /* back end readable (epoll) */
	uint64_t rx_reads; /* read calls, EAGAIN ones included */
	uint64_t rx_popped; /* RX chains popped (reused ones included) */
	uint64_t rx_gso, tx_gso; /* frames with a GSO type in their header */
	uint64_t tx_writes; /* write calls */
	uint64_t features; /* negotiated at the last activation */
};

/* At most this many iovecs for one frame (IOV_MAX). */
#define VNET_RX_MAX_IOV 1024
#define VNET_QUEUE_SIZE 256

struct virtio_net {
	struct virtio_device vdev;
	struct virtio_net_backend be;
	pthread_mutex_t cfg_lock; /* mac and status: vCPU vs I/O thread */
	uint8_t mac[6];
	uint16_t status;
	struct virtio_net_stats stats;
	bool print_stats; /* counters on stderr at destroy (--stats) */

	/* I/O thread state, reset at activate. */
	struct event_source rx_src;
	bool rx_watched; /* back-end fd on the loop */
	bool rx_dead; /* back end gone (tap deleted): not polled until reset */
	bool be_not_socket; /* a tap: readv, no recvmsg */
	struct event_source tx_src; /* a dup of the fd, for EPOLLOUT */
	bool tx_watched; /* TX waits for the back end to be writable */
	bool logged_dead, logged_offloads; /* log_guest_once flags */
	bool mrg_rxbuf;
	size_t rx_need; /* bytes of guest buffers one frame may need */

	/*
	 * RX chains popped and not yet used (held across frames, forgotten
	 * at reset): entries [rx_first, rx_first + rx_held) of rx_used (head),
	 * rx_cap (writable bytes) and rx_niov (iovecs), whose writable iovecs
	 * are rx_iov[rx_iov_first, + rx_iov_held), in order.
	 */
	unsigned int rx_first, rx_held, rx_iov_first, rx_iov_held;
	uint64_t rx_held_cap;
	struct iovec rx_iov[VNET_RX_MAX_IOV];
	struct virtq_used_elem rx_used[VNET_QUEUE_SIZE];
	uint32_t rx_cap[VNET_QUEUE_SIZE];
	uint16_t rx_niov[VNET_QUEUE_SIZE];
};

extern const struct virtio_dev_ops virtio_net_ops;

int virtio_net_init(struct virtio_net *n, const struct guest_mem *mem,
		    const struct virtio_net_backend *be, const uint8_t mac[6],
		    struct err *e);
void virtio_net_destroy(struct virtio_net *n);
/* The counters, one line per direction (log_info with print_stats). */
void virtio_net_log_stats(const struct virtio_net *n);

/* "52:54:00:12:34:56" (hex pairs, ':' or '-'): unicast only. */
int virtio_net_parse_mac(const char *s, uint8_t mac[6], struct err *e);
/* A stable, locally administered unicast MAC derived from name. */
void virtio_net_mac_from_name(const char *name, uint8_t mac[6]);

#endif
