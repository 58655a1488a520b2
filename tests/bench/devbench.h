/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_BENCH_DEVBENCH_H
#define VIREO_TESTS_BENCH_DEVBENCH_H

/*
 * The fake driver both halves of devbench share: real split or packed
 * rings in a memfd guest RAM behind the guest_mem gate (as vireo's), kicks
 * through
 * the queues' eventfds as a KVM ioeventfd would, and one interrupt eventfd
 * the transport's raise writes, as an irqfd would. Each half brings its
 * own device and request layout; only this file knows the ring format.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bus/virtio_trace.h"
#include "bus/virtio_transport.h"
#include "kvm/guest_mem.h"

#define DB_QSIZE 256
#define DB_MAX_QUEUES 3
/* Rings below this, each half's buffers from here up. */
#define DB_DATA 0x100000ULL

struct packed_ring;

struct db_ring {
	uint16_t avail_idx, used_seen; /* split */
	unsigned int chain; /* split: descriptors per buffer, fixed per queue */
	struct packed_ring *packed; /* packed: tests/unit/packed_ring.h */
	unsigned int in_flight;
};

/* One descriptor of a buffer, as the driver describes it. */
struct db_buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

struct db {
	struct guest_mem mem;
	uint8_t *ram;
	uint64_t ram_size;
	struct virtio_transport t;
	bool packed; /* VIRTIO_F_RING_PACKED: set before db_start() */
	uint64_t kicks_skipped; /* the device asked for none (polling) */
	/* VIREO_DEVBENCH_DRIVER_POLL: no interrupts, the used ring is spun on
	 */
	bool driver_polls;
	unsigned int nr_queues;
	struct db_ring ring[DB_MAX_QUEUES];
	int irq_fd;
	/* VIREO_DEVBENCH_TRACE=PATH: the device traced as --trace would. */
	struct trace *trace;
	struct virtio_hooks hooks;
};

__attribute__((noreturn)) void db_die(const char *what);
uint64_t db_ns(clockid_t c);
uint8_t *db_host(struct db *d, uint64_t gpa, uint64_t len);

/* Guest RAM of ram_size bytes (rings + DB_DATA onwards). */
void db_ram(struct db *d, uint64_t ram_size);
/* Transport over dev, nr_queues enabled, driven to DRIVER_OK. */
void db_start(struct db *d, const struct virtio_dev_ops *ops, void *dev,
	      unsigned int nr_queues, uint64_t features);
/* Reset the device (it stops serving); the caller destroys it, then frees. */
void db_reset(struct db *d);
void db_free(struct db *d);

/*
 * "--ring=split|packed" as argv[1] picks the ring format (default split,
 * true: packed); consumed, so each half parses the rest as before.
 */
bool db_parse_ring(int *argc, char ***argv);
const char *db_ring_name(const struct db *d);

/*
 * Makes buffer id, a chain of n descriptors, available on q (not yet
 * kicked). Every buffer on a queue has the same n, and id < DB_QSIZE / n.
 */
void db_add(struct db *d, unsigned int q, const struct db_buf *b,
	    unsigned int n, uint16_t id);
void db_kick(struct db *d, unsigned int q);
/* Blocks until the device raises an interrupt (a polling driver: returns). */
void db_wait_irq(struct db *d);
/* Buffers used since the last call: ids into id[], lengths into len[]. */
unsigned int db_harvest(struct db *d, unsigned int q, uint32_t *id,
			uint32_t *len);
/* Buffers still with the device on q. */
static inline unsigned int db_in_flight(const struct db *d, unsigned int q)
{
	return d->ring[q].in_flight;
}

int db_blk_main(bool packed, int argc, char **argv);
int db_net_main(bool packed, int argc, char **argv);
/* devbench handoff: two eventfd hand-offs per round trip, no ring, no I/O. */
int db_handoff_main(int argc, char **argv);

#endif
