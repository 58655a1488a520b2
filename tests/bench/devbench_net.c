// SPDX-License-Identifier: MIT
/*
 * devbench's net half: vireo's virtio-net and its device thread on a tap in
 * a network namespace of its own (unshare: gone when the process exits).
 * A packet socket bound to the tap is the far end: on TX a thread of its
 * own counts what arrives from the tap; on RX it queues a backlog of
 * frames out through the tap (untimed), then the device (or the raw loop)
 * drains it (timed), round after round.
 *
 *   devbench net MODE FRAME_BYTES SECONDS
 *     tx      the fake driver posts frames on the TX queue and kicks
 *     rx      the fake driver posts RX buffers, the device fills them
 *     tx-raw  the limit: one thread write()s the same frames to the tap
 *     rx-raw  the limit: one thread read()s them from the tap
 *
 * Prints one line: "devbench|net|MODE|bytes=..|frames=..|frames_s=..|
 * dev_cpu_ns_per_frame=..|dev_sys_pct=..|dev_rw_syscalls_per_frame=..|
 * drv_cpu_ns_per_frame=..|csw_per_frame=..|far_frames=..|dev_dropped=..".
 * dev is the process minus the fake driver's and the far end's threads:
 * vireo's device thread (in the raw modes, the raw loop's thread). csw
 * counts every thread's context switches: the wakeups a frame costs.
 * far_frames is what the packet socket got (TX) or sent (RX): on TX the
 * host stack behind the tap drops what it cannot take.
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
/*
 * RX is measured in rounds: the far end queues this many frames in the tap
 * (untimed), then the reader under test drains them (timed), so that what
 * is measured is the reader, not how fast frames can be injected.
 */
#define DB_RX_BACKLOG 8192

/* Wall, process CPU, fake-driver CPU, context switches, summed over the
 * timed windows. */
struct db_meter {
	uint64_t wall, proc, drv, csw;
	uint64_t proc_sys, drv_sys; /* kernel share of proc and drv */
	uint64_t proc_rw, drv_rw; /* read- and write-type syscalls */
};

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
	uint64_t far_frames, far_cpu_ns, far_sys_ns, far_rw;
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
	/* Room for a whole RX backlog in the tap's queue (it drops beyond). */
	ifr.ifr_qlen = 2 * DB_RX_BACKLOG;
	if (ioctl(fd, SIOCSIFTXQLEN, &ifr) < 0)
		db_die("SIOCSIFTXQLEN");
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

/*
 * Read- and write-type syscalls (read, readv, write, writev, ...: the tap
 * and eventfd I/O) of the process or this thread: the kernel's own count
 * (/proc/.../io syscr + syscw), so no tracer slows what it measures.
 */
static uint64_t db_rw_calls(const char *path)
{
	char buf[512];
	unsigned long long r = 0, w = 0;
	const char *p;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		db_die("/proc io counters");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if ((p = strstr(buf, "syscr:")))
		r = strtoull(p + 6, NULL, 10);
	if ((p = strstr(buf, "syscw:")))
		w = strtoull(p + 6, NULL, 10);
	return r + w;
}

static uint64_t db_tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ULL +
	       (uint64_t)tv.tv_usec * 1000ULL;
}

/* TX far end: counts our frames arriving on the tap. */
static void *db_net_sink(void *arg)
{
	struct db_net *nb = arg;
	uint64_t c0 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	uint8_t buf[DB_BUF];
	struct rusage ru;

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
	getrusage(RUSAGE_THREAD, &ru);
	nb->far_sys_ns = db_tv_ns(ru.ru_stime);
	nb->far_rw = db_rw_calls("/proc/thread-self/io");
	return NULL;
}

/* RX far end: a backlog of frames out through the tap, untimed. */
static void db_net_fill(struct db_net *nb)
{
	const uint8_t *f = nb->frame + VNET_HDR_LEN;

	for (unsigned int i = 0; i < DB_RX_BACKLOG; i++) {
		if (send(nb->pkt, f, nb->bytes, 0) != (ssize_t)nb->bytes)
			db_die("packet socket send");
		nb->far_frames++;
	}
}

/* Adds sign * (the counters now) to m: -1 opens a window, +1 closes it. */
static void db_meter_add(struct db_meter *m, int64_t sign)
{
	struct rusage self, thread;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_THREAD, &thread);
	m->wall += (uint64_t)sign * db_ns(CLOCK_MONOTONIC);
	m->proc += (uint64_t)sign * db_ns(CLOCK_PROCESS_CPUTIME_ID);
	m->drv += (uint64_t)sign * db_ns(CLOCK_THREAD_CPUTIME_ID);
	m->csw += (uint64_t)sign * (uint64_t)(self.ru_nvcsw + self.ru_nivcsw);
	m->proc_sys += (uint64_t)sign * db_tv_ns(self.ru_stime);
	m->drv_sys += (uint64_t)sign * db_tv_ns(thread.ru_stime);
	m->proc_rw += (uint64_t)sign * db_rw_calls("/proc/self/io");
	m->drv_rw += (uint64_t)sign * db_rw_calls("/proc/thread-self/io");
}

static void db_meter_start(struct db_meter *m)
{
	db_meter_add(m, -1);
}

static void db_meter_stop(struct db_meter *m)
{
	db_meter_add(m, 1);
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
	struct db_buf b = { buf, DB_BUF, true };

	if (q == VNET_TX_QUEUE) {
		memcpy(db_host(&nb->d, buf, VNET_HDR_LEN + nb->bytes),
		       nb->frame, VNET_HDR_LEN + nb->bytes);
		b = (struct db_buf){ buf, VNET_HDR_LEN + nb->bytes, false };
	}
	db_add(&nb->d, q, &b, 1, s);
}

/* Waits for the device's interrupt; a device that stops serving is fatal. */
static void db_net_wait(struct db_net *nb)
{
	struct pollfd p = { .fd = nb->d.irq_fd, .events = POLLIN };

	if (poll(&p, 1, 2000) != 1)
		db_die("device stalled (no interrupt for 2 s)");
	db_wait_irq(&nb->d);
}

/* Checks the used chains; their count. */
static unsigned int db_net_harvest(struct db_net *nb, unsigned int q,
				   uint32_t *id)
{
	uint32_t len[DB_QSIZE];
	unsigned int n = db_harvest(&nb->d, q, id, len);

	for (unsigned int i = 0; i < n; i++) {
		if (id[i] >= DB_QSIZE)
			db_die("device used a chain never posted");
		if (q == VNET_RX_QUEUE && len[i] != VNET_HDR_LEN + nb->bytes)
			db_die("RX frame of the wrong length");
	}
	return n;
}

/* vireo TX: the fake driver keeps the whole ring posted until the end. */
static uint64_t db_net_tx(struct db_net *nb, uint64_t end)
{
	const unsigned int q = VNET_TX_QUEUE;
	uint32_t id[DB_QSIZE];
	uint64_t frames = 0;
	unsigned int n;

	for (uint16_t s = 0; s < DB_QSIZE; s++)
		db_net_post(nb, q, s);
	db_kick(&nb->d, q);
	for (;;) {
		db_net_wait(nb);
		n = db_net_harvest(nb, q, id);
		frames += n;
		if (db_ns(CLOCK_MONOTONIC) >= end)
			break;
		for (unsigned int i = 0; i < n; i++)
			db_net_post(nb, q, (uint16_t)id[i]);
		if (n)
			db_kick(&nb->d, q);
	}
	while (db_in_flight(&nb->d, q)) {
		db_net_wait(nb);
		frames += db_net_harvest(nb, q, id);
	}
	return frames;
}

/*
 * vireo RX, one round: the whole ring of buffers posted, reposted as they
 * fill, never more than the backlog so that none is left with the device
 * while the next backlog is queued.
 */
static void db_net_rx_round(struct db_net *nb)
{
	const unsigned int q = VNET_RX_QUEUE;
	unsigned int posted = 0, got = 0, n;
	uint32_t id[DB_QSIZE];

	for (uint16_t s = 0; s < DB_QSIZE && posted < DB_RX_BACKLOG; s++) {
		db_net_post(nb, q, s);
		posted++;
	}
	db_kick(&nb->d, q);
	while (got < DB_RX_BACKLOG) {
		db_net_wait(nb);
		n = db_net_harvest(nb, q, id);
		got += n;
		for (unsigned int i = 0; i < n && posted < DB_RX_BACKLOG; i++) {
			db_net_post(nb, q, (uint16_t)id[i]);
			posted++;
		}
		if (n)
			db_kick(&nb->d, q);
	}
}

/* The limit, one RX round: the same tap fd read() until the backlog is in. */
static void db_net_rx_raw_round(struct db_net *nb)
{
	uint8_t buf[DB_BUF];
	unsigned int got = 0;

	while (got < DB_RX_BACKLOG) {
		ssize_t r = read(nb->tap.fd, buf, sizeof(buf));
		struct pollfd p = { .fd = nb->tap.fd, .events = POLLIN };

		if (r == (ssize_t)(VNET_HDR_LEN + nb->bytes))
			got++;
		else if (r >= 0)
			db_die("raw RX frame of the wrong length");
		else if (errno != EAGAIN || poll(&p, 1, 2000) != 1)
			db_die("raw RX stalled");
	}
}

/* The limit on TX: the same frames written to the same tap fd. */
static uint64_t db_net_tx_raw(struct db_net *nb, uint64_t end)
{
	uint64_t frames = 0;

	while ((frames & 63) || db_ns(CLOCK_MONOTONIC) < end) {
		ssize_t r =
		    write(nb->tap.fd, nb->frame, VNET_HDR_LEN + nb->bytes);
		struct pollfd p = { .fd = nb->tap.fd, .events = POLLOUT };

		if (r == (ssize_t)(VNET_HDR_LEN + nb->bytes))
			frames++;
		else if (r >= 0 || errno != EAGAIN || poll(&p, 1, 2000) != 1)
			db_die("raw TX failed");
	}
	return frames;
}

/* TX: one timed window; the far end counts in a thread of its own. */
static uint64_t db_net_run_tx(struct db_net *nb, bool raw, double secs,
			      struct db_meter *m)
{
	uint64_t frames;
	pthread_t sink;

	if (pthread_create(&sink, NULL, db_net_sink, nb))
		db_die("sink thread");
	db_meter_start(m);
	if (raw)
		frames = db_net_tx_raw(nb, db_ns(CLOCK_MONOTONIC) +
					       (uint64_t)(secs * 1e9));
	else
		frames = db_net_tx(nb, db_ns(CLOCK_MONOTONIC) +
					   (uint64_t)(secs * 1e9));
	db_meter_stop(m);
	/* Let the sink drain what the tap already took. */
	usleep(100 * 1000);
	__atomic_store_n(&nb->stop, true, __ATOMIC_RELEASE);
	pthread_join(sink, NULL);
	/* The sink ran beside the window: its CPU is not the device's. */
	m->proc -= nb->far_cpu_ns;
	m->proc_sys -= nb->far_sys_ns;
	m->proc_rw -= nb->far_rw;
	return frames;
}

/* RX: rounds of untimed fill and timed drain until SECONDS of draining. */
static uint64_t db_net_run_rx(struct db_net *nb, bool raw, double secs,
			      struct db_meter *m)
{
	uint64_t frames = 0;

	while (m->wall < (uint64_t)(secs * 1e9)) {
		db_net_fill(nb);
		db_meter_start(m);
		if (raw)
			db_net_rx_raw_round(nb);
		else
			db_net_rx_round(nb);
		db_meter_stop(m);
		frames += DB_RX_BACKLOG;
	}
	return frames;
}

int db_net_main(bool packed, int argc, char **argv)
{
	static struct db_net nb;
	struct db_meter m = { 0 };
	uint64_t frames;
	bool tx, raw;
	double secs, dev, dev_sys, dev_rw;
	uint64_t dropped = 0;
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
	nb.d.packed = packed;
	if (!raw)
		db_net_device(&nb);
	frames = tx ? db_net_run_tx(&nb, raw, secs, &m)
		    : db_net_run_rx(&nb, raw, secs, &m);
	/* The raw loop is this thread: it is the "device" there. */
	dev = raw ? (double)m.drv : (double)(m.proc - m.drv);
	dev_sys = raw ? (double)m.drv_sys : (double)(m.proc_sys - m.drv_sys);
	dev_rw = raw ? (double)m.drv_rw : (double)(m.proc_rw - m.drv_rw);
	if (!raw) {
		db_reset(&nb.d);
		/* Stats are the device thread's: read once it is stopped. */
		dropped = nb.net.stats.tx_dropped + nb.net.stats.rx_dropped;
		virtio_net_destroy(&nb.net);
		db_free(&nb.d);
	}
	printf("devbench|net|%s|ring=%s|bytes=%u|frames=%llu|frames_s=%.0f|"
	       "dev_cpu_ns_per_frame=%.0f|dev_sys_pct=%.0f|"
	       "dev_rw_syscalls_per_frame=%.3f|"
	       "drv_cpu_ns_per_frame=%.0f|csw_per_frame=%.3f|"
	       "far_frames=%llu|dev_dropped=%llu\n",
	       mode, db_ring_name(&nb.d), nb.bytes, (unsigned long long)frames,
	       frames / (m.wall / 1e9), dev / (double)frames,
	       dev > 0 ? 100.0 * dev_sys / dev : 0.0, dev_rw / (double)frames,
	       raw ? 0.0 : m.drv / (double)frames, m.csw / (double)frames,
	       (unsigned long long)nb.far_frames, (unsigned long long)dropped);
	net_tap_close(&nb.tap);
	close(nb.pkt);
	return 0;
}
