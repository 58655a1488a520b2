// SPDX-License-Identifier: MIT
/*
 * Device benchmark without a guest: a fake driver on this thread fills a
 * real split ring in real guest RAM (a memfd mapping behind the guest_mem
 * gate, as vireo's), kicks through the queue's eventfd as a KVM ioeventfd
 * would, and waits for the interrupt on an eventfd the transport's raise
 * writes, as an irqfd would. The device thread is vireo's own: it parses
 * the chains and does the I/O through io_uring on an image file.
 *
 *   devbench blk IMAGE MODE BS QD SECONDS
 *     MODE randread | randwrite | read | write (sequential)
 *
 * Prints one line: "devbench|blk|MODE|bs=..|qd=..|reqs=..|req_s=..|
 * dev_cpu_ns_per_req=..|drv_cpu_ns_per_req=..". dev CPU is the process's
 * CPU minus the driver thread's: the device thread plus any io_uring
 * workers, i.e. what vireo itself spends per request.
 *
 * Only split rings: the packed ring (another branch) would add a second
 * driver here (put/harvest below are the only ring-format code).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus/virtio_transport.h"
#include "devices/virtio/blk.h"
#include "kvm/guest_mem.h"
#include "tests/unit/split_ring.h"

#define DB_QSIZE 256
#define DB_DESC 0x10000ULL
#define DB_AVAIL 0x11000ULL
#define DB_USED 0x12000ULL
#define DB_HDR 0x20000ULL
#define DB_STATUS 0x21000ULL
#define DB_DATA 0x100000ULL
#define DB_MAX_QD 64
#define DB_SECTOR 512

struct db {
	struct guest_mem mem;
	uint8_t *ram;
	uint64_t ram_size;
	struct virtio_transport t;
	struct virtio_blk blk;
	int irq_fd;
	uint16_t avail_idx, used_seen;
	uint64_t bs, img_size, next_seq;
	unsigned int qd;
	int write, random;
	uint64_t rng;
};

static void die(const char *what)
{
	fprintf(stderr, "devbench: %s\n", what);
	exit(1);
}

static uint64_t db_ns(clockid_t c)
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

static uint8_t *db_host(struct db *d, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_ptr(&d->mem, gpa, len);

	if (!p)
		die("address outside guest RAM");
	return p;
}

static void db_status(struct db *d, uint8_t s)
{
	pthread_mutex_lock(&d->t.lock);
	virtio_transport_set_status(&d->t, s);
	pthread_mutex_unlock(&d->t.lock);
}

static uint64_t db_next_sector(struct db *d)
{
	uint64_t slots = d->img_size / d->bs, n;

	if (d->random) {
		d->rng =
		    d->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (d->rng >> 33) % slots;
	} else {
		n = d->next_seq++ % slots;
	}
	return n * (d->bs / DB_SECTOR);
}

/* Request in slot s: header, data, status, as Linux's virtio_blk does. */
static void db_post(struct db *d, unsigned int s)
{
	uint16_t head = (uint16_t)(3 * s), idx = d->avail_idx;
	uint64_t hdr = DB_HDR + 16 * s, st = DB_STATUS + s;
	uint64_t data = DB_DATA + d->bs * s;
	struct virtio_blk_outhdr h = {
		.type = htole32(d->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN),
		.sector = htole64(db_next_sector(d)),
	};
	uint16_t slot = htole16(head), *avail;

	memcpy(db_host(d, hdr, sizeof(h)), &h, sizeof(h));
	*db_host(d, st, 1) = 0xff;
	split_ring_put_desc(db_host(d, DB_DESC + 16 * head, 16), hdr, sizeof(h),
			    VRING_DESC_F_NEXT, head + 1);
	split_ring_put_desc(
	    db_host(d, DB_DESC + 16 * (head + 1), 16), data, (uint32_t)d->bs,
	    VRING_DESC_F_NEXT | (d->write ? 0 : VRING_DESC_F_WRITE), head + 2);
	split_ring_put_desc(db_host(d, DB_DESC + 16 * (head + 2), 16), st, 1,
			    VRING_DESC_F_WRITE, 0);
	memcpy(db_host(d, DB_AVAIL + 4 + 2 * (idx % DB_QSIZE), 2), &slot, 2);
	d->avail_idx = idx + 1;
	avail = (uint16_t *)db_host(d, DB_AVAIL + 2, 2);
	__atomic_store_n(avail, htole16(d->avail_idx), __ATOMIC_RELEASE);
}

static void db_kick(struct db *d)
{
	uint64_t one = 1;

	if (write(d->t.queues[0].kick_fd, &one, sizeof(one)) != sizeof(one))
		die("kick");
}

/* Completed slots since the last call, into done[]; their count. */
static unsigned int db_harvest(struct db *d, unsigned int *done)
{
	uint16_t *used = (uint16_t *)db_host(d, DB_USED + 2, 2);
	uint16_t idx = le16toh(__atomic_load_n(used, __ATOMIC_ACQUIRE));
	unsigned int n = 0;

	while (d->used_seen != idx) {
		uint32_t id;
		unsigned int s;

		memcpy(
		    &id,
		    db_host(d, DB_USED + 4 + 8 * (d->used_seen % DB_QSIZE), 4),
		    4);
		s = le32toh(id) / 3;
		if (s >= d->qd || *db_host(d, DB_STATUS + s, 1) != 0)
			die("request failed (status not OK)");
		done[n++] = s;
		d->used_seen++;
	}
	return n;
}

static void db_setup(struct db *d, const char *img)
{
	struct virtio_blk_params p = { .path = img,
				       .nr_queues = 1,
				       .use_uring = true };
	struct virtio_queue_config *qc;
	struct err e;
	int fd;

	d->ram_size = DB_DATA + d->bs * DB_MAX_QD;
	fd = memfd_create("devbench-ram", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)d->ram_size) < 0)
		die("memfd");
	d->ram =
	    mmap(NULL, d->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (d->ram == MAP_FAILED ||
	    guest_mem_add_region(&d->mem, 0, d->ram_size, d->ram) < 0)
		die("guest RAM");
	if (virtio_blk_init(&d->blk, &d->mem, &p, &e) < 0)
		die(e.msg);
	d->img_size = d->blk.img.size;
	if (d->img_size < d->bs)
		die("image smaller than one block");
	if (virtio_transport_init(&d->t, &d->blk.ops, &d->blk) < 0)
		die("transport");
	d->t.raise = db_raise;
	d->t.priv = d;
	d->irq_fd = eventfd(0, EFD_CLOEXEC);
	qc = &d->t.queues[0];
	qc->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irq_fd < 0 || qc->kick_fd < 0)
		die("eventfd");
	qc->size = DB_QSIZE;
	qc->desc_gpa = DB_DESC;
	qc->driver_gpa = DB_AVAIL;
	qc->device_gpa = DB_USED;
	qc->vector = 1;
	qc->enabled = true;
	db_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	db_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	d->t.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	db_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			 VIRTIO_CONFIG_S_FEATURES_OK);
	db_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			 VIRTIO_CONFIG_S_FEATURES_OK |
			 VIRTIO_CONFIG_S_DRIVER_OK);
	if (!d->t.active)
		die("device did not activate");
}

static void db_teardown(struct db *d)
{
	db_status(d, 0);
	virtio_blk_destroy(&d->blk);
	close(d->t.queues[0].kick_fd);
	virtio_transport_destroy(&d->t);
	close(d->irq_fd);
	munmap(d->ram, d->ram_size);
}

int main(int argc, char **argv)
{
	struct db d = { .rng = 88172645463325252ULL };
	unsigned int done[DB_QSIZE], i, n;
	uint64_t reqs = 0, t0, t1, cpu0, cpu1, drv0, drv1, end;
	double secs;
	const char *mode;

	if (argc != 7 || strcmp(argv[1], "blk") != 0) {
		fprintf(stderr,
			"usage: devbench blk IMAGE "
			"randread|randwrite|read|write BS QD SECONDS\n");
		return 2;
	}
	mode = argv[3];
	d.write = strstr(mode, "write") != NULL;
	d.random = strncmp(mode, "rand", 4) == 0;
	d.bs = strtoull(argv[4], NULL, 0);
	d.qd = (unsigned int)strtoul(argv[5], NULL, 0);
	secs = strtod(argv[6], NULL);
	if (d.bs < DB_SECTOR || d.bs % DB_SECTOR || d.bs > (1u << 20) ||
	    d.qd < 1 || d.qd > DB_MAX_QD || secs <= 0)
		die("bad BS (512..1M, sectors), QD (1..64) or SECONDS");
	db_setup(&d, argv[2]);

	t0 = db_ns(CLOCK_MONOTONIC);
	cpu0 = db_ns(CLOCK_PROCESS_CPUTIME_ID);
	drv0 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	end = t0 + (uint64_t)(secs * 1e9);
	for (i = 0; i < d.qd; i++)
		db_post(&d, i);
	db_kick(&d);
	for (;;) {
		uint64_t v;

		if (read(d.irq_fd, &v, sizeof(v)) != sizeof(v))
			die("interrupt eventfd");
		n = db_harvest(&d, done);
		reqs += n;
		if (db_ns(CLOCK_MONOTONIC) >= end)
			break;
		for (i = 0; i < n; i++)
			db_post(&d, done[i]);
		if (n)
			db_kick(&d);
	}
	/* Let what is in flight finish before the clocks stop. */
	while (d.used_seen != d.avail_idx) {
		uint64_t v;

		if (read(d.irq_fd, &v, sizeof(v)) != sizeof(v))
			die("interrupt eventfd");
		reqs += db_harvest(&d, done);
	}
	t1 = db_ns(CLOCK_MONOTONIC);
	cpu1 = db_ns(CLOCK_PROCESS_CPUTIME_ID);
	drv1 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	printf("devbench|blk|%s|bs=%llu|qd=%u|reqs=%llu|req_s=%.0f|"
	       "dev_cpu_ns_per_req=%.0f|drv_cpu_ns_per_req=%.0f\n",
	       mode, (unsigned long long)d.bs, d.qd, (unsigned long long)reqs,
	       reqs / ((t1 - t0) / 1e9),
	       ((cpu1 - cpu0) - (drv1 - drv0)) / (double)reqs,
	       (drv1 - drv0) / (double)reqs);
	db_teardown(&d);
	return 0;
}
