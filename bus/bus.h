/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_BUS_H
#define VIREO_BUS_BUS_H

/*
 * Address dispatch for one address space (x86 port I/O or MMIO): devices
 * claim non-overlapping ranges; a vCPU exit is routed to the owner by
 * binary search. Ranges can change at run time (PCI BAR moves), so lookups
 * take a read lock; the device is called without it, so an access may
 * re-map ranges (a config write moving a BAR). A device's ops and opaque
 * must therefore outlive the bus, not just the registration.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct bus_ops {
	/* offset is relative to the range base; len is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t offset, void *data,
		     unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const void *data,
		      unsigned int len);
};

struct bus_range {
	uint64_t base, len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "port" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base */
	unsigned int nr, cap;
};

int bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name,
		 struct err *e);
/* Removes the range registered with exactly this base and opaque. */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque);

/* false when no device claims addr (the caller decides what that means). */
bool bus_read(struct bus *bus, uint64_t addr, void *data, unsigned int len);
bool bus_write(struct bus *bus, uint64_t addr, const void *data,
	       unsigned int len);

#endif
