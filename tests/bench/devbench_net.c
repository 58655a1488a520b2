// SPDX-License-Identifier: MIT
/*
 * devbench's net half: vireo's virtio-net and its device thread on a tap in
 * a network namespace of its own (unshare: gone when the process exits).
 * A packet socket bound to the tap is the far end: on TX it counts what
 * the device wrote to the tap, on RX a thread blasts frames out through
 * the tap so that the device (or the raw loop) reads them.
 *
 *   devbench net MODE FRAME_BYTES SECONDS
 *     tx      the fake driver posts frames on the TX queue and kicks
 *     rx      the fake driver posts RX buffers, the device fills them
 *     tx-raw  the limit: one thread write()s the same frames to the tap
 *     rx-raw  the limit: one thread read()s them from the tap
 *
 * Prints one line: "devbench|net|MODE|bytes=..|frames=..|frames_s=..|
 * dev_cpu_ns_per_frame=..|drv_cpu_ns_per_frame=..|csw_per_frame=..|
 * far_frames=..". dev CPU is the process's CPU minus the fake driver's and
 * the far end's threads: vireo's device thread (for the raw modes the
 * raw loop's thread). csw counts every thread's context switches: the
 * wakeups a frame costs. far_frames is what the packet socket saw (TX) or
 * sent (RX), to show frames were not lost or invented.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio/net.h"
#include "devices/virtio/net_tap.h"
#include "tests/bench/devbench.h"

#define DB_TAP "dbtap0"
/* One 2 KiB buffer per ring slot: a header and a 1518-byte frame fit. */
#define DB_BUF 2048
#define DB_MAX_FRAME 1514

struct db_net {
	struct db d;
	struct virtio_net net;
	struct net_tap tap;
	int pkt; /* packet socket on the tap: the far end */
	int ifindex;
	unsigned int bytes; /* frame length, Ethernet header included */
	uint8_t frame[VNET_HDR_LEN + DB_MAX_FRAME];
	/* Far-end thread: stop flag in, its count and CPU out. */
	bool stop;
	uint64_t far_frames, far_cpu_ns;
};

/* A frame to nobody here (not the tap's MAC, no IP): the stack drops it. */
static void db_net_frame(struct db_net *nb)
{
	struct ether_header eh = {
		.ether_dhost = { 0x02, 0, 0, 0, 0, 2 },
		.ether_shost = { 0x02, 0, 0, 0, 0, 1 },
		.ether_type = htons(0x88b5), /* IEEE local experimental */
	};

	memset(nb->frame, 0, sizeof(nb->frame));
	memcpy(nb->frame + VNET_HDR_LEN, &eh, sizeof(eh));
	for (unsigned int i = sizeof(eh); i < nb->bytes; i++)
		nb->frame[VNET_HDR_LEN + i] = (uint8_t)i;
}

/* Our own namespace with the tap up in it, and nothing else talking. */
static void db_net_namespace(struct db_net *nb)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_ll sll = { 0 };
	struct err e;
	int fd, big = 16 << 20;

	if (unshare(CLONE_NEWNET) < 0)
		db_die("unshare(CLONE_NEWNET): root needed");
	/* No IPv6 router solicitations or DAD frames in the counts. */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1) {
			/* IPv6 off in this kernel: nothing to silence */
		}
		close(fd);
	}
	if (net_tap_open(&nb->tap, DB_TAP, &e) < 0)
		db_die(e.msg);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", DB_TAP);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		db_die("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		db_die("SIOCSIFFLAGS (tap up)");
	close(fd);
	nb->ifindex = (int)if_nametoindex(DB_TAP);
	nb->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (nb->pkt < 0 || nb->ifindex <= 0)
		db_die("packet socket");
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = nb->ifindex;
	if (bind(nb->pkt, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		db_die("bind packet socket");
	/* The far end must not be what drops frames. */
	setsockopt(nb->pkt, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(nb->pkt, SOL_PACKET, PACKET_QDISC_BYPASS, &(int){ 1 },
		   sizeof(int));
}

/* TX far end: counts our frames arriving on the tap. */
static void *db_net_sink(void *arg)
{
	struct db_net *nb = arg;
	uint64_t c0 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	uint8_t buf[DB_BUF];

	while (!__atomic_load_n(&nb->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = nb->pkt, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((r = recv(nb->pkt, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			if ((size_t)r == nb->bytes)
				nb->far_frames++;
	}
	nb->far_cpu_ns = db_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/* RX far end: frames out through the tap, as fast as it takes them. */
static void *db_net_source(void *arg)
{
	struct db_net *nb = arg;
	uint64_t c0 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	const uint8_t *f = nb->frame + VNET_HDR_LEN;

	while (!__atomic_load_n(&nb->stop, __ATOMIC_ACQUIRE))
		if (send(nb->pkt, f, nb->bytes, 0) == (ssize_t)nb->bytes)
			nb->far_frames++;
	nb->far_cpu_ns = db_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

static void db_net_device(struct db_net *nb)
{
	struct virtio_net_backend be = net_tap_backend(&nb->tap);
	const uint8_t mac[6] = { 0x52, 0x54, 0, 0xdb, 0, 1 };
	struct err e;

	db_ram(&nb->d, DB_DATA + (uint64_t)DB_BUF * DB_QSIZE);
	if (virtio_net_init(&nb->net, &nb->d.mem, &be, mac, &e) < 0)
		db_die(e.msg);
	db_start(&nb->d, &virtio_net_ops, &nb->net, 3,
		 1ULL << VIRTIO_F_VERSION_1);
}

/* Slot s's buffer: on TX the frame with its header, on RX room for one. */
static void db_net_post(struct db_net *nb, unsigned int q, uint16_t s)
{
	uint64_t buf = DB_DATA + (uint64_t)DB_BUF * s;

	if (q == VNET_TX_QUEUE) {
		memcpy(db_host(&nb->d, buf, VNET_HDR_LEN + nb->bytes),
		       nb->frame, VNET_HDR_LEN + nb->bytes);
		db_put_desc(&nb->d, q, s, buf, VNET_HDR_LEN + nb->bytes, 0, 0);
	} else {
		db_put_desc(&nb->d, q, s, buf, DB_BUF, VRING_DESC_F_WRITE, 0);
	}
	db_publish(&nb->d, q, s);
}

/* vireo: the fake driver keeps the whole ring posted until the end. */
static uint64_t db_net_virtio(struct db_net *nb, unsigned int q, uint64_t end)
{
	uint32_t id[DB_QSIZE], len[DB_QSIZE];
	uint64_t frames = 0;
	unsigned int n;

	for (uint16_t s = 0; s < DB_QSIZE; s++)
		db_net_post(nb, q, s);
	db_kick(&nb->d, q);
	for (;;) {
		db_wait_irq(&nb->d);
		n = db_harvest(&nb->d, q, id, len);
		for (unsigned int i = 0; i < n; i++) {
			if (id[i] >= DB_QSIZE)
				db_die("device used a chain never posted");
			if (q == VNET_RX_QUEUE &&
			    len[i] != VNET_HDR_LEN + nb->bytes)
				db_die("RX frame of the wrong length");
		}
		frames += n;
		if (db_ns(CLOCK_MONOTONIC) >= end)
			break;
		for (unsigned int i = 0; i < n; i++)
			db_net_post(nb, q, (uint16_t)id[i]);
		if (n)
			db_kick(&nb->d, q);
	}
	/* TX: what is posted is written soon; RX buffers may wait forever. */
	while (q == VNET_TX_QUEUE && db_in_flight(&nb->d, q)) {
		db_wait_irq(&nb->d);
		frames += db_harvest(&nb->d, q, id, len);
	}
	return frames;
}

/* The limit: the same frames through the same tap fd, one syscall each. */
static uint64_t db_net_raw(struct db_net *nb, bool tx, uint64_t end)
{
	uint8_t buf[DB_BUF];
	uint64_t frames = 0;
	int fd = nb->tap.fd;

	while ((frames & 63) || db_ns(CLOCK_MONOTONIC) < end) {
		ssize_t r = tx ? write(fd, nb->frame, VNET_HDR_LEN + nb->bytes)
			       : read(fd, buf, sizeof(buf));

		if (r == (ssize_t)(VNET_HDR_LEN + nb->bytes)) {
			frames++;
		} else if (r < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd,
					    .events = tx ? POLLOUT : POLLIN };

			if (poll(&p, 1, 100) == 0 &&
			    db_ns(CLOCK_MONOTONIC) >= end)
				break;
		} else if (r < 0) {
			db_die("raw tap I/O");
		}
	}
	return frames;
}

static uint64_t db_csw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_nvcsw + ru.ru_nivcsw);
}

int db_net_main(int argc, char **argv)
{
	static struct db_net nb;
	uint64_t frames, t0, t1, cpu0, cpu1, drv0, drv1, csw0, csw1;
	bool tx, raw;
	pthread_t far;
	double secs;
	const char *mode;

	if (argc != 5) {
		fprintf(stderr, "usage: devbench net tx|rx|tx-raw|rx-raw "
				"FRAME_BYTES SECONDS\n");
		return 2;
	}
	mode = argv[2];
	tx = strncmp(mode, "tx", 2) == 0;
	raw = strstr(mode, "-raw") != NULL;
	nb.bytes = (unsigned int)strtoul(argv[3], NULL, 0);
	secs = strtod(argv[4], NULL);
	if ((!tx && strncmp(mode, "rx", 2) != 0) || nb.bytes < ETH_ZLEN ||
	    nb.bytes > DB_MAX_FRAME || secs <= 0)
		db_die("bad MODE, FRAME_BYTES (60..1514) or SECONDS");
	db_net_frame(&nb);
	db_net_namespace(&nb);
	if (!raw)
		db_net_device(&nb);

	t0 = db_ns(CLOCK_MONOTONIC);
	cpu0 = db_ns(CLOCK_PROCESS_CPUTIME_ID);
	drv0 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	csw0 = db_csw();
	if (pthread_create(&far, NULL, tx ? db_net_sink : db_net_source, &nb))
		db_die("far-end thread");
	if (raw)
		frames = db_net_raw(&nb, tx, t0 + (uint64_t)(secs * 1e9));
	else
		frames = db_net_virtio(&nb, tx ? VNET_TX_QUEUE : VNET_RX_QUEUE,
				       t0 + (uint64_t)(secs * 1e9));
	t1 = db_ns(CLOCK_MONOTONIC);
	drv1 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	/* Let the sink drain what the tap already took. */
	if (tx)
		usleep(100 * 1000);
	__atomic_store_n(&nb.stop, true, __ATOMIC_RELEASE);
	pthread_join(far, NULL);
	cpu1 = db_ns(CLOCK_PROCESS_CPUTIME_ID);
	csw1 = db_csw();
	if (!frames)
		db_die("no frame went through");
	/* The raw loop is this thread: it is the "device" there. */
	printf("devbench|net|%s|bytes=%u|frames=%llu|frames_s=%.0f|"
	       "dev_cpu_ns_per_frame=%.0f|drv_cpu_ns_per_frame=%.0f|"
	       "csw_per_frame=%.3f|far_frames=%llu\n",
	       mode, nb.bytes, (unsigned long long)frames,
	       frames / ((t1 - t0) / 1e9),
	       (raw ? (double)(drv1 - drv0)
		    : (double)((cpu1 - cpu0) - (drv1 - drv0) - nb.far_cpu_ns)) /
		   (double)frames,
	       raw ? 0.0 : (drv1 - drv0) / (double)frames,
	       (csw1 - csw0) / (double)frames,
	       (unsigned long long)nb.far_frames);
	if (!raw) {
		db_reset(&nb.d);
		virtio_net_destroy(&nb.net);
		db_free(&nb.d);
	}
	net_tap_close(&nb.tap);
	close(nb.pkt);
	return 0;
}
