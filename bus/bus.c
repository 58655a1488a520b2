// SPDX-License-Identifier: MIT
#include "bus/bus.h"

#include <stdlib.h>
#include <string.h>

int bus_init(struct bus *bus, const char *name)
{
	*bus = (struct bus){ .name = name };
	return pthread_rwlock_init(&bus->lock, NULL) == 0 ? 0 : -1;
}

void bus_destroy(struct bus *bus)
{
	pthread_rwlock_destroy(&bus->lock);
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name,
		 struct err *e)
{
	unsigned int i, pos;
	int ret = 0;

	if (len == 0 || base + len < base)
		return err_set(e, "%s bus: bad range %#llx+%#llx for %s",
			       bus->name, (unsigned long long)base,
			       (unsigned long long)len, name);
	pthread_rwlock_wrlock(&bus->lock);
	for (i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len) {
			ret = err_set(e, "%s bus: %s at %#llx overlaps %s",
				      bus->name, name, (unsigned long long)base,
				      r->name);
			goto out;
		}
	}
	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n) {
			ret = err_set(e, "out of memory");
			goto out;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	for (pos = 0; pos < bus->nr && bus->ranges[pos].base < base; pos++)
		;
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nr - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){
		.base = base,
		.len = len,
		.ops = ops,
		.opaque = opaque,
		.name = name,
	};
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base, void *opaque)
{
	unsigned int i;
	int ret = -1;

	pthread_rwlock_wrlock(&bus->lock);
	for (i = 0; i < bus->nr; i++) {
		if (bus->ranges[i].base == base &&
		    bus->ranges[i].opaque == opaque) {
			memmove(&bus->ranges[i], &bus->ranges[i + 1],
				(bus->nr - i - 1) * sizeof(bus->ranges[0]));
			bus->nr--;
			ret = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/* Caller holds the read lock. */
static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/*
 * Copies the owner of addr out under the read lock. The device is called
 * after the lock is dropped: a config write may move a BAR on this very
 * bus (bus_register/unregister take the write lock).
 */
static bool bus_lookup(struct bus *bus, uint64_t addr, struct bus_range *out)
{
	const struct bus_range *r;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus_find(bus, addr);
	if (r)
		*out = *r;
	pthread_rwlock_unlock(&bus->lock);
	return r != NULL;
}

bool bus_read(struct bus *bus, uint64_t addr, void *data, unsigned int len)
{
	struct bus_range r;

	if (!bus_lookup(bus, addr, &r))
		return false;
	/*
	 * The buffer goes back to the guest whole: bytes a device leaves
	 * alone must not carry an earlier access (or host data).
	 */
	memset(data, 0, len);
	if (r.ops->read)
		r.ops->read(r.opaque, addr - r.base, data, len);
	else
		memset(data, 0xff, len);
	return true;
}

bool bus_write(struct bus *bus, uint64_t addr, const void *data,
	       unsigned int len)
{
	struct bus_range r;

	if (!bus_lookup(bus, addr, &r))
		return false;
	if (r.ops->write)
		r.ops->write(r.opaque, addr - r.base, data, len);
	return true;
}
