// SPDX-License-Identifier: MIT
/*
 * devbench's blk half: vireo's virtio-blk, its device thread doing the I/O
 * through io_uring on an image file, QD requests kept in flight.
 *
 *   devbench blk IMAGE MODE BS QD SECONDS
 *     MODE randread | randwrite | read | write (sequential)
 *
 * Prints one line: "devbench|blk|MODE|bs=..|qd=..|reqs=..|req_s=..|
 * dev_cpu_ns_per_req=..|drv_cpu_ns_per_req=..|kicks_skipped=..|
 * reqs_per_wait=..": requests the driver harvested per interrupt it waited
 * for (a polling driver: per look at the used ring). dev CPU is the process's
 * CPU minus the driver thread's: the device thread plus any io_uring
 * workers, i.e. what vireo itself spends per request.
 */
#include <endian.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/blk.h"
#include "tests/bench/devbench.h"

#define DB_HDR 0x20000ULL
#define DB_STATUS 0x21000ULL
#define DB_MAX_QD 64
#define DB_SECTOR 512

struct db_blk {
	struct db d;
	struct virtio_blk blk;
	uint64_t bs, img_size, next_seq;
	unsigned int qd;
	int write, random;
	uint64_t rng;
};

static uint64_t db_next_sector(struct db_blk *b)
{
	uint64_t slots = b->img_size / b->bs, n;

	if (b->random) {
		b->rng =
		    b->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (b->rng >> 33) % slots;
	} else {
		n = b->next_seq++ % slots;
	}
	return n * (b->bs / DB_SECTOR);
}

/* Request in slot s: header, data, status, as Linux's virtio_blk does. */
static void db_blk_post(struct db_blk *b, unsigned int s)
{
	struct db *d = &b->d;
	uint64_t hdr = DB_HDR + 16 * s, st = DB_STATUS + s;
	uint64_t data = DB_DATA + b->bs * s;
	struct virtio_blk_outhdr h = {
		.type = htole32(b->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN),
		.sector = htole64(db_next_sector(b)),
	};
	const struct db_buf chain[3] = {
		{ hdr, sizeof(h), false },
		{ data, (uint32_t)b->bs, !b->write },
		{ st, 1, true },
	};

	memcpy(db_host(d, hdr, sizeof(h)), &h, sizeof(h));
	*db_host(d, st, 1) = 0xff;
	db_add(d, 0, chain, 3, (uint16_t)s);
}

/* Completed slots since the last call, into done[]; their count. */
static unsigned int db_blk_harvest(struct db_blk *b, unsigned int *done)
{
	uint32_t id[DB_QSIZE], len[DB_QSIZE];
	unsigned int n = db_harvest(&b->d, 0, id, len);

	for (unsigned int i = 0; i < n; i++) {
		done[i] = id[i];
		if (done[i] >= b->qd ||
		    *db_host(&b->d, DB_STATUS + done[i], 1) != 0)
			db_die("request failed (status not OK)");
	}
	return n;
}

static void db_blk_setup(struct db_blk *b, const char *img)
{
	const char *poll = getenv("VIREO_DEVBENCH_POLL_US");
	struct virtio_blk_params p = {
		.path = img,
		.nr_queues = 1,
		.use_uring = true,
		/* --disk ...,poll=US: the device polls after each burst. */
		.poll_us = poll ? (unsigned int)strtoul(poll, NULL, 0) : 0,
	};
	struct err e;

	db_ram(&b->d, DB_DATA + b->bs * DB_MAX_QD);
	if (virtio_blk_init(&b->blk, &b->d.mem, &p, &e) < 0)
		db_die(e.msg);
	b->img_size = b->blk.img.size;
	if (b->img_size < b->bs)
		db_die("image smaller than one block");
	db_start(&b->d, &b->blk.ops, &b->blk, 1, 1ULL << VIRTIO_F_VERSION_1);
}

int db_blk_main(bool packed, int argc, char **argv)
{
	static struct db_blk b = { .rng = 88172645463325252ULL };
	unsigned int done[DB_QSIZE], i, n;
	uint64_t reqs = 0, waits = 0, t0, t1, cpu0, cpu1, drv0, drv1, end;
	double secs;
	const char *mode;

	if (argc != 7) {
		fprintf(stderr,
			"usage: devbench blk IMAGE "
			"randread|randwrite|read|write BS QD SECONDS\n");
		return 2;
	}
	mode = argv[3];
	b.write = strstr(mode, "write") != NULL;
	b.random = strncmp(mode, "rand", 4) == 0;
	b.bs = strtoull(argv[4], NULL, 0);
	b.qd = (unsigned int)strtoul(argv[5], NULL, 0);
	secs = strtod(argv[6], NULL);
	if (b.bs < DB_SECTOR || b.bs % DB_SECTOR || b.bs > (1u << 20) ||
	    b.qd < 1 || b.qd > DB_MAX_QD || secs <= 0)
		db_die("bad BS (512..1M, sectors), QD (1..64) or SECONDS");
	b.d.packed = packed;
	db_blk_setup(&b, argv[2]);

	t0 = db_ns(CLOCK_MONOTONIC);
	cpu0 = db_ns(CLOCK_PROCESS_CPUTIME_ID);
	drv0 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	end = t0 + (uint64_t)(secs * 1e9);
	for (i = 0; i < b.qd; i++)
		db_blk_post(&b, i);
	db_kick(&b.d, 0);
	for (;;) {
		db_wait_irq(&b.d);
		waits++;
		n = db_blk_harvest(&b, done);
		reqs += n;
		if (db_ns(CLOCK_MONOTONIC) >= end)
			break;
		for (i = 0; i < n; i++)
			db_blk_post(&b, done[i]);
		if (n)
			db_kick(&b.d, 0);
	}
	/* Let what is in flight finish before the clocks stop. */
	while (db_in_flight(&b.d, 0)) {
		db_wait_irq(&b.d);
		waits++;
		reqs += db_blk_harvest(&b, done);
	}
	t1 = db_ns(CLOCK_MONOTONIC);
	cpu1 = db_ns(CLOCK_PROCESS_CPUTIME_ID);
	drv1 = db_ns(CLOCK_THREAD_CPUTIME_ID);
	printf("devbench|blk|%s|ring=%s|bs=%llu|qd=%u|reqs=%llu|req_s=%.0f|"
	       "dev_cpu_ns_per_req=%.0f|drv_cpu_ns_per_req=%.0f|"
	       "kicks_skipped=%llu|reqs_per_wait=%.1f\n",
	       mode, db_ring_name(&b.d), (unsigned long long)b.bs, b.qd,
	       (unsigned long long)reqs, reqs / ((t1 - t0) / 1e9),
	       ((cpu1 - cpu0) - (drv1 - drv0)) / (double)reqs,
	       (drv1 - drv0) / (double)reqs,
	       (unsigned long long)b.d.kicks_skipped,
	       waits ? (double)reqs / (double)waits : 0.0);
	db_reset(&b.d);
	virtio_blk_destroy(&b.blk);
	db_free(&b.d);
	return 0;
}
