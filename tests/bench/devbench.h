/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_BENCH_DEVBENCH_H
#define VIREO_TESTS_BENCH_DEVBENCH_H

/*
 * The fake driver both halves of devbench share: real split rings in a
 * memfd guest RAM behind the guest_mem gate (as vireo's), kicks through
 * the queues' eventfds as a KVM ioeventfd would, and one interrupt eventfd
 * the transport's raise writes, as an irqfd would. Each half brings its
 * own device and request layout; only this file knows the ring format.
 */

#include <stdint.h>
#include <time.h>

#include "bus/virtio_transport.h"
#include "kvm/guest_mem.h"

#define DB_QSIZE 256
#define DB_MAX_QUEUES 3
/* Rings below this, each half's buffers from here up. */
#define DB_DATA 0x100000ULL

struct db_ring {
	uint16_t avail_idx, used_seen;
};

struct db {
	struct guest_mem mem;
	uint8_t *ram;
	uint64_t ram_size;
	struct virtio_transport t;
	unsigned int nr_queues;
	struct db_ring ring[DB_MAX_QUEUES];
	int irq_fd;
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

void db_put_desc(struct db *d, unsigned int q, uint16_t i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next);
/* Make the chain at head available (not yet kicked). */
void db_publish(struct db *d, unsigned int q, uint16_t head);
void db_kick(struct db *d, unsigned int q);
/* Blocks until the device raises an interrupt. */
void db_wait_irq(struct db *d);
/* Chains used since the last call: heads into id[], lengths into len[]. */
unsigned int db_harvest(struct db *d, unsigned int q, uint32_t *id,
			uint32_t *len);
/* Requests still with the device on q. */
static inline unsigned int db_in_flight(const struct db *d, unsigned int q)
{
	return (uint16_t)(d->ring[q].avail_idx - d->ring[q].used_seen);
}

int db_blk_main(int argc, char **argv);
int db_net_main(int argc, char **argv);

#endif
