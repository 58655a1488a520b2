// SPDX-License-Identifier: MIT
/*
 * Device benchmark without a guest: a fake driver on this thread fills
 * real split or packed rings in real guest RAM and vireo's own device
 * thread serves them and does the real I/O (io_uring on an image file; a
 * tap in a network namespace).
 *
 *   devbench [--ring=split|packed] blk IMAGE randread|randwrite|read|write
 *            BS QD SECONDS
 *   devbench [--ring=split|packed] net tx|rx|tx-raw|rx-raw FRAME_BYTES
 *            SECONDS
 *
 * Each prints one "devbench|..." line (see devbench_blk.c, devbench_net.c).
 * db_add() and db_harvest() below are the only ring code; the packed one
 * is the unit tests' fake driver (tests/unit/packed_ring.h).
 */
#include "tests/bench/devbench.h"

#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/err.h"
#include "util/trace.h"
#include "tests/unit/packed_ring.h"
#include "tests/unit/split_ring.h"

/*
 * Queue q's rings: descriptors, then avail, then used, 4 KiB each; packed:
 * descriptors, then the driver and the device event structures.
 */
#define DB_DESC(q) (0x10000ULL + 0x3000ULL * (q))
#define DB_AVAIL(q) (DB_DESC(q) + 0x1000)
#define DB_USED(q) (DB_DESC(q) + 0x2000)

void db_die(const char *what)
{
	fprintf(stderr, "devbench: %s\n", what);
	exit(1);
}

uint64_t db_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The transport's MSI: what an irqfd write is in vireo. */
static void db_raise(struct virtio_transport *t, uint16_t vector)
{
	struct db *d = t->priv;
	uint64_t one = 1;

	(void)vector;
	if (write(d->irq_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: the driver is woken anyway */
	}
}

uint8_t *db_host(struct db *d, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_ptr(&d->mem, gpa, len);

	if (!p)
		db_die("address outside guest RAM");
	return p;
}

static void db_status(struct db *d, uint8_t s)
{
	pthread_mutex_lock(&d->t.lock);
	virtio_transport_set_status(&d->t, s);
	pthread_mutex_unlock(&d->t.lock);
}

void db_ram(struct db *d, uint64_t ram_size)
{
	int fd = memfd_create("devbench-ram", MFD_CLOEXEC);

	d->ram_size = ram_size;
	if (fd < 0 || ftruncate(fd, (off_t)d->ram_size) < 0)
		db_die("memfd");
	d->ram =
	    mmap(NULL, d->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (d->ram == MAP_FAILED ||
	    guest_mem_add_region(&d->mem, 0, d->ram_size, d->ram) < 0)
		db_die("guest RAM");
}

void db_start(struct db *d, const struct virtio_dev_ops *ops, void *dev,
	      unsigned int nr_queues, uint64_t features)
{
	const uint8_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	if (nr_queues > DB_MAX_QUEUES ||
	    virtio_transport_init(&d->t, ops, dev) < 0)
		db_die("transport");
	d->t.raise = db_raise;
	d->t.priv = d;
	d->nr_queues = nr_queues;
	d->driver_polls = getenv("VIREO_DEVBENCH_DRIVER_POLL") != NULL;
	d->irq_fd = eventfd(0, EFD_CLOEXEC);
	if (d->irq_fd < 0)
		db_die("eventfd");
	for (unsigned int q = 0; q < nr_queues; q++) {
		struct virtio_queue_config *qc = &d->t.queues[q];

		qc->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (qc->kick_fd < 0)
			db_die("eventfd");
		qc->size = DB_QSIZE;
		qc->desc_gpa = DB_DESC(q);
		qc->driver_gpa = DB_AVAIL(q);
		qc->device_gpa = DB_USED(q);
		qc->vector = (uint16_t)(q + 1);
		qc->enabled = true;
		if (!d->packed)
			continue;
		d->ring[q].packed = malloc(sizeof(*d->ring[q].packed));
		if (!d->ring[q].packed)
			db_die("out of memory");
		packed_ring_init(d->ring[q].packed,
				 db_host(d, DB_DESC(q), 16 * DB_QSIZE),
				 db_host(d, DB_AVAIL(q), 4),
				 db_host(d, DB_USED(q), 4), DB_QSIZE);
	}
	if (getenv("VIREO_DEVBENCH_TRACE") && *getenv("VIREO_DEVBENCH_TRACE")) {
		struct err e;

		if (trace_open(&d->trace, getenv("VIREO_DEVBENCH_TRACE"), 0,
			       &e) < 0)
			db_die(e.msg);
		d->hooks.trace = d->trace;
		d->hooks.mem = &d->mem;
		snprintf(d->hooks.dev, sizeof(d->hooks.dev), "dev0");
		d->t.hooks = &d->hooks;
	}
	if (d->packed) {
		/* What --virtio-features=ring_packed offers in vireo. */
		d->t.device_features |= 1ULL << VIRTIO_F_RING_PACKED;
		features |= 1ULL << VIRTIO_F_RING_PACKED;
	}
	db_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	db_status(d, s);
	d->t.driver_features = features;
	db_status(d, s | VIRTIO_CONFIG_S_FEATURES_OK);
	db_status(d,
		  s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	if (!d->t.active)
		db_die("device did not activate");
	/* A polling driver asks for no interrupts, as Linux's polled queues. */
	for (unsigned int q = 0; d->driver_polls && q < nr_queues; q++) {
		uint16_t no_irq = htole16(VRING_AVAIL_F_NO_INTERRUPT);

		if (d->packed)
			packed_ring_set_driver_event(
			    d->ring[q].packed, VRING_PACKED_EVENT_FLAG_DISABLE,
			    0, false);
		else
			__atomic_store_n((uint16_t *)db_host(d, DB_AVAIL(q), 2),
					 no_irq, __ATOMIC_RELEASE);
	}
}

void db_reset(struct db *d)
{
	db_status(d, 0);
}

void db_free(struct db *d)
{
	for (unsigned int q = 0; q < d->nr_queues; q++) {
		close(d->t.queues[q].kick_fd);
		free(d->ring[q].packed);
	}
	virtio_transport_destroy(&d->t);
	if (d->trace)
		trace_close(d->trace);
	close(d->irq_fd);
	munmap(d->ram, d->ram_size);
}

bool db_parse_ring(int *argc, char ***argv)
{
	const char *a = *argc >= 2 ? (*argv)[1] : "";
	bool packed = strcmp(a + 7, "packed") == 0;

	if (strncmp(a, "--ring=", 7) != 0)
		return false;
	if (!packed && strcmp(a + 7, "split") != 0)
		db_die("--ring= takes split or packed");
	(*argv)[1] = (*argv)[0];
	(*argv)++;
	(*argc)--;
	return packed;
}

const char *db_ring_name(const struct db *d)
{
	return d->packed ? "packed" : "split";
}

static void db_add_split(struct db *d, unsigned int q, const struct db_buf *b,
			 unsigned int n, uint16_t id)
{
	struct db_ring *r = &d->ring[q];
	uint16_t head = (uint16_t)(id * n), slot = htole16(head), *avail;

	for (unsigned int i = 0; i < n; i++)
		split_ring_put_desc(
		    db_host(d, DB_DESC(q) + 16 * (head + i), 16), b[i].addr,
		    b[i].len,
		    (uint16_t)((b[i].write ? VRING_DESC_F_WRITE : 0) |
			       (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
		    (uint16_t)(head + i + 1));
	memcpy(db_host(d, DB_AVAIL(q) + 4 + 2 * (r->avail_idx % DB_QSIZE), 2),
	       &slot, 2);
	r->avail_idx++;
	avail = (uint16_t *)db_host(d, DB_AVAIL(q) + 2, 2);
	__atomic_store_n(avail, htole16(r->avail_idx), __ATOMIC_RELEASE);
}

void db_add(struct db *d, unsigned int q, const struct db_buf *b,
	    unsigned int n, uint16_t id)
{
	struct db_ring *r = &d->ring[q];

	if (n == 0 || n > 4 || (r->chain && r->chain != n) ||
	    (unsigned int)id * n >= DB_QSIZE)
		db_die("bad buffer for the ring");
	r->chain = n;
	r->in_flight++;
	if (!r->packed) {
		db_add_split(d, q, b, n, id);
		return;
	}
	struct packed_ring_buf pb[4];

	for (unsigned int i = 0; i < n; i++)
		pb[i] =
		    (struct packed_ring_buf){ b[i].addr, b[i].len, b[i].write };
	packed_ring_add(r->packed, pb, n, id);
}

/*
 * As Linux's virtqueue_kick_prepare: no kick while the device says it
 * needs none (a polling device), read after the ring update is visible.
 */
static bool db_kick_wanted(struct db *d, unsigned int q)
{
	uint16_t flags;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->packed)
		return packed_ring_device_event_flags(d->ring[q].packed) !=
		       VRING_PACKED_EVENT_FLAG_DISABLE;
	memcpy(&flags, db_host(d, DB_USED(q), 2), 2);
	return !(le16toh(flags) & VRING_USED_F_NO_NOTIFY);
}

void db_kick(struct db *d, unsigned int q)
{
	uint64_t one = 1;

	if (!db_kick_wanted(d, q)) {
		d->kicks_skipped++;
		return;
	}
	if (write(d->t.queues[q].kick_fd, &one, sizeof(one)) != sizeof(one))
		db_die("kick");
}

void db_wait_irq(struct db *d)
{
	uint64_t v;

	/* A polling driver harvests the used ring again at once. */
	if (d->driver_polls)
		return;
	if (read(d->irq_fd, &v, sizeof(v)) != sizeof(v))
		db_die("interrupt eventfd");
}

unsigned int db_harvest(struct db *d, unsigned int q, uint32_t *id,
			uint32_t *len)
{
	struct db_ring *r = &d->ring[q];
	uint16_t *used = (uint16_t *)db_host(d, DB_USED(q) + 2, 2);
	unsigned int n = 0;
	uint16_t idx, pid;

	if (r->packed) {
		while (packed_ring_get_used(r->packed, &pid, &len[n]))
			id[n++] = pid;
		r->in_flight -= n;
		return n;
	}
	idx = le16toh(__atomic_load_n(used, __ATOMIC_ACQUIRE));
	while (r->used_seen != idx) {
		struct vring_used_elem e;

		memcpy(&e,
		       db_host(d,
			       DB_USED(q) + 4 + 8 * (r->used_seen % DB_QSIZE),
			       sizeof(e)),
		       sizeof(e));
		id[n] = le32toh(e.id) / r->chain;
		len[n++] = le32toh(e.len);
		r->used_seen++;
	}
	r->in_flight -= n;
	return n;
}

int main(int argc, char **argv)
{
	bool packed = db_parse_ring(&argc, &argv);

	if (argc >= 2 && strcmp(argv[1], "blk") == 0)
		return db_blk_main(packed, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "net") == 0)
		return db_net_main(packed, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "handoff") == 0)
		return db_handoff_main(argc, argv);
	fprintf(stderr, "usage: devbench [--ring=split|packed] blk IMAGE "
			"randread|randwrite|read|write BS QD SECONDS\n"
			"       devbench [--ring=split|packed] net "
			"tx|rx|tx-raw|rx-raw FRAME_BYTES SECONDS\n"
			"       devbench handoff SECONDS\n");
	return 2;
}
