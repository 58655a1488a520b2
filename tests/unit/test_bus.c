// SPDX-License-Identifier: MIT
/* Address dispatch (bus/bus.c) with fake devices that record accesses. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

struct bst_dev {
	unsigned int reads, writes;
	uint64_t last_offset;
	unsigned int last_len;
	uint8_t last_data[8];
	uint8_t fill; /* what reads return */
};

static void bst_read(void *opaque, uint64_t offset, void *data,
		     unsigned int len)
{
	struct bst_dev *d = opaque;

	d->reads++;
	d->last_offset = offset;
	d->last_len = len;
	memset(data, d->fill, len);
}

static void bst_write(void *opaque, uint64_t offset, const void *data,
		      unsigned int len)
{
	struct bst_dev *d = opaque;

	d->writes++;
	d->last_offset = offset;
	d->last_len = len;
	memcpy(d->last_data, data, len);
}

static const struct bus_ops bst_ops = { .read = bst_read, .write = bst_write };
static const struct bus_ops bst_write_only_ops = { .write = bst_write };
static const struct bus_ops bst_read_only_ops = { .read = bst_read };

static struct bus bst_bus;

static void bst_setup(void)
{
	cr_assert_eq(bus_init(&bst_bus, "test"), 0);
}

static void bst_teardown(void)
{
	bus_destroy(&bst_bus);
}

TestSuite(bus, .init = bst_setup, .fini = bst_teardown);

static int bst_reg(uint64_t base, uint64_t len, struct bst_dev *d)
{
	struct err e = { { 0 } };
	int ret = bus_register(&bst_bus, base, len, &bst_ops, d, "dev", &e);

	if (ret < 0)
		cr_assert_neq(e.msg[0], '\0', "failure without a message");
	return ret;
}

Test(bus, dispatch_with_offset)
{
	struct bst_dev a = { .fill = 0xaa }, b = { .fill = 0xbb };
	uint32_t v = 0;

	cr_assert_eq(bst_reg(0x3f8, 8, &a), 0);
	cr_assert_eq(bst_reg(0x1000, 0x100, &b), 0);

	cr_assert(bus_read(&bst_bus, 0x3fd, &v, 1));
	cr_assert_eq(a.reads, 1);
	cr_assert_eq(a.last_offset, 5);
	cr_assert_eq(a.last_len, 1);
	cr_assert_eq(v & 0xff, 0xaa);
	cr_assert_eq(b.reads, 0);

	v = 0x12345678;
	cr_assert(bus_write(&bst_bus, 0x10fc, &v, 4));
	cr_assert_eq(b.writes, 1);
	cr_assert_eq(b.last_offset, 0xfc);
	cr_assert_eq(b.last_len, 4);
	cr_assert_eq(memcmp(b.last_data, &v, 4), 0);
	cr_assert_eq(a.writes, 0);

	/* First and last byte of a range. */
	cr_assert(bus_read(&bst_bus, 0x3f8, &v, 1));
	cr_assert_eq(a.last_offset, 0);
	cr_assert(bus_read(&bst_bus, 0x3ff, &v, 1));
	cr_assert_eq(a.last_offset, 7);
}

Test(bus, unclaimed_addresses)
{
	struct bst_dev a = { 0 };
	uint8_t v = 0x42;

	cr_assert_not(bus_read(&bst_bus, 0x3f8, &v, 1), "empty bus claimed");
	cr_assert_eq(bst_reg(0x3f8, 8, &a), 0);
	cr_assert_not(bus_read(&bst_bus, 0x3f7, &v, 1));
	cr_assert_not(bus_read(&bst_bus, 0x400, &v, 1));
	cr_assert_not(bus_write(&bst_bus, 0x3f7, &v, 1));
	cr_assert_not(bus_write(&bst_bus, 0x400, &v, 1));
	cr_assert_not(bus_read(&bst_bus, 0, &v, 1));
	cr_assert_not(bus_read(&bst_bus, UINT64_MAX, &v, 1));
	cr_assert_eq(v, 0x42, "unclaimed read touched the buffer");
	cr_assert_eq(a.reads + a.writes, 0);
}

Test(bus, missing_ops)
{
	struct bst_dev d = { .fill = 0x11 };
	struct err e;
	uint8_t buf[10];

	cr_assert_eq(bus_register(&bst_bus, 0x100, 0x10, &bst_write_only_ops,
				  &d, "wo", &e),
		     0);
	cr_assert_eq(bus_register(&bst_bus, 0x200, 0x10, &bst_read_only_ops, &d,
				  "ro", &e),
		     0);
	memset(buf, 0, sizeof(buf));
	cr_assert(bus_read(&bst_bus, 0x104, buf + 1, 8));
	cr_assert_eq(buf[0], 0, "wrote before the buffer");
	for (int i = 1; i <= 8; i++)
		cr_assert_eq(buf[i], 0xff, "byte %d = %#x", i, buf[i]);
	cr_assert_eq(buf[9], 0, "wrote past len");
	memset(buf, 0, sizeof(buf));
	cr_assert(bus_read(&bst_bus, 0x100, buf, 2));
	cr_assert_eq(buf[0], 0xff);
	cr_assert_eq(buf[1], 0xff);
	cr_assert_eq(buf[2], 0);
	cr_assert_eq(d.reads, 0);
	/* A write to a range without a write op is still claimed (dropped). */
	cr_assert(bus_write(&bst_bus, 0x208, buf, 1));
	cr_assert_eq(d.writes, 0);
}

Test(bus, overlap_rejected)
{
	struct bst_dev a = { 0 }, b = { 0 };

	cr_assert_eq(bst_reg(0x1000, 0x100, &a), 0);
	cr_assert_eq(bst_reg(0x1000, 0x100, &b), -1, "same range");
	cr_assert_eq(bst_reg(0x10ff, 1, &b), -1, "last byte");
	cr_assert_eq(bst_reg(0xfff, 2, &b), -1, "straddles the base");
	cr_assert_eq(bst_reg(0x1080, 0x100, &b), -1, "straddles the end");
	cr_assert_eq(bst_reg(0x1010, 0x10, &b), -1, "inside");
	cr_assert_eq(bst_reg(0x800, 0x1000, &b), -1, "covers");
	/* Adjacent ranges are fine. */
	cr_assert_eq(bst_reg(0xf00, 0x100, &b), 0);
	cr_assert_eq(bst_reg(0x1100, 0x100, &b), 0);
	cr_assert_eq(bst_bus.nr, 3);
	/* The original owner still gets its accesses. */
	uint8_t v = 0;

	cr_assert(bus_write(&bst_bus, 0x10ff, &v, 1));
	cr_assert_eq(a.writes, 1);
	cr_assert_eq(a.last_offset, 0xff);
	cr_assert(bus_write(&bst_bus, 0x1100, &v, 1));
	cr_assert_eq(b.writes, 1);
	cr_assert_eq(b.last_offset, 0);
}

Test(bus, bad_ranges_rejected)
{
	struct bst_dev a = { 0 };

	cr_assert_eq(bst_reg(0x1000, 0, &a), -1, "empty range");
	cr_assert_eq(bst_reg(UINT64_MAX - 0xf, 0x20, &a), -1, "wraps");
	cr_assert_eq(bst_bus.nr, 0);
}

Test(bus, unregister)
{
	struct bst_dev a = { 0 }, b = { 0 };
	uint8_t v = 0;

	cr_assert_eq(bst_reg(0x1000, 0x100, &a), 0);
	cr_assert_eq(bst_reg(0x2000, 0x100, &b), 0);
	/* Wrong base or wrong opaque: nothing removed. */
	cr_assert_eq(bus_unregister(&bst_bus, 0x1001, &a), -1);
	cr_assert_eq(bus_unregister(&bst_bus, 0x1000, &b), -1);
	cr_assert(bus_read(&bst_bus, 0x1000, &v, 1));

	cr_assert_eq(bus_unregister(&bst_bus, 0x1000, &a), 0);
	cr_assert_not(bus_read(&bst_bus, 0x1000, &v, 1));
	cr_assert_not(bus_read(&bst_bus, 0x10ff, &v, 1));
	cr_assert(bus_read(&bst_bus, 0x2000, &v, 1), "neighbour lost");
	cr_assert_eq(bus_unregister(&bst_bus, 0x1000, &a), -1, "twice");

	/* The space is free again, for someone else. */
	cr_assert_eq(bst_reg(0x1080, 0x100, &b), 0);
	cr_assert(bus_read(&bst_bus, 0x1080, &v, 1));
	cr_assert_eq(b.last_offset, 0);
}

/* Deterministic shuffle so a failure reproduces. */
static uint32_t bst_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

#define BST_NR 100

Test(bus, many_ranges_in_random_order)
{
	static struct bst_dev devs[BST_NR];
	uint64_t base[BST_NR], len[BST_NR];
	unsigned int order[BST_NR], i;
	uint32_t seed = 12345;
	uint64_t addr = 0x10000;

	/* Ranges of varied sizes with varied gaps between them. */
	for (i = 0; i < BST_NR; i++) {
		addr += bst_rand(&seed) % 3 == 0 ? 0 : 1 + bst_rand(&seed) % 64;
		base[i] = addr;
		len[i] = 1 + bst_rand(&seed) % 300;
		addr += len[i];
		order[i] = i;
	}
	for (i = BST_NR - 1; i > 0; i--) {
		unsigned int j = bst_rand(&seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < BST_NR; i++) {
		unsigned int k = order[i];

		devs[k].fill = (uint8_t)k;
		cr_assert_eq(bst_reg(base[k], len[k], &devs[k]), 0);
	}
	cr_assert_eq(bst_bus.nr, BST_NR);
	for (i = 1; i < BST_NR; i++)
		cr_assert_lt(bst_bus.ranges[i - 1].base, bst_bus.ranges[i].base,
			     "ranges not sorted");

	for (i = 0; i < BST_NR; i++) {
		uint64_t probes[3] = { 0, len[i] / 2, len[i] - 1 };

		for (int p = 0; p < 3; p++) {
			uint8_t v = 0;

			cr_assert(
			    bus_read(&bst_bus, base[i] + probes[p], &v, 1),
			    "range %u not found", i);
			cr_assert_eq(v, (uint8_t)i, "range %u: got device %u",
				     i, v);
			cr_assert_eq(devs[i].last_offset, probes[p]);
		}
		/* Gaps (where there are any) are unclaimed. */
		if (i + 1 < BST_NR && base[i] + len[i] < base[i + 1]) {
			uint8_t v;

			cr_assert_not(
			    bus_read(&bst_bus, base[i] + len[i], &v, 1));
			cr_assert_not(
			    bus_read(&bst_bus, base[i + 1] - 1, &v, 1));
		}
	}
	cr_assert_not(bus_read(&bst_bus, base[0] - 1, &(uint8_t){ 0 }, 1));
	cr_assert_not(bus_read(&bst_bus, base[BST_NR - 1] + len[BST_NR - 1],
			       &(uint8_t){ 0 }, 1));

	/* Remove every other range; the rest still dispatch. */
	for (i = 0; i < BST_NR; i += 2)
		cr_assert_eq(bus_unregister(&bst_bus, base[i], &devs[i]), 0);
	for (i = 0; i < BST_NR; i++) {
		uint8_t v = 0;
		bool found = bus_read(&bst_bus, base[i] + len[i] - 1, &v, 1);

		cr_assert_eq(found, i % 2 == 1, "range %u", i);
		if (found)
			cr_assert_eq(v, (uint8_t)i);
	}
}

/* A device that moves its own range from inside an access (a BAR write). */
struct bst_mover {
	struct bus *bus;
	uint64_t base;
	unsigned int writes;
};

static void bst_mover_write(void *opaque, uint64_t offset, const void *data,
			    unsigned int len);

static const struct bus_ops bst_mover_ops = { .write = bst_mover_write };

static void bst_mover_write(void *opaque, uint64_t offset, const void *data,
			    unsigned int len)
{
	struct bst_mover *m = opaque;
	uint64_t new_base;

	(void)offset;
	(void)len;
	memcpy(&new_base, data, sizeof(new_base));
	m->writes++;
	cr_assert_eq(bus_unregister(m->bus, m->base, m), 0);
	cr_assert_eq(bus_register(m->bus, new_base, 0x10, &bst_mover_ops, m,
				  "mover", NULL),
		     0);
	m->base = new_base;
}

Test(bus, device_may_remap_itself_during_an_access, .timeout = 5)
{
	struct bst_mover m = { .bus = &bst_bus, .base = 0x100 };
	uint64_t to = 0x200;

	cr_assert_eq(bus_register(&bst_bus, 0x100, 0x10, &bst_mover_ops, &m,
				  "mover", NULL),
		     0);
	cr_assert(bus_write(&bst_bus, 0x104, &to, 8));
	cr_assert_eq(m.writes, 1);
	cr_assert_not(bus_write(&bst_bus, 0x104, &to, 8), "old range kept");
	to = 0x300;
	cr_assert(bus_write(&bst_bus, 0x20f, &to, 8));
	cr_assert_eq(m.writes, 2);
	cr_assert_eq(bst_bus.nr, 1);
	cr_assert_eq(bst_bus.ranges[0].base, 0x300);
}

/* A device that answers only part of an access (or nothing at all). */
static void bst_partial_read(void *opaque, uint64_t offset, void *data,
			     unsigned int len)
{
	(void)opaque;
	(void)offset;
	if (len > 4)
		len = 4;
	memset(data, 0x11, len / 2);
}

static const struct bus_ops bst_partial_ops = { .read = bst_partial_read };

/* Defect 4: the vCPU's exit buffer kept bytes of an earlier access. */
Test(bus, read_bytes_the_device_leaves_are_zero)
{
	struct err e;
	uint64_t v;

	cr_assert_eq(bus_register(&bst_bus, 0x1000, 0x100, &bst_partial_ops,
				  NULL, "partial", &e),
		     0);
	memset(&v, 0xa5, sizeof(v));
	cr_assert(bus_read(&bst_bus, 0x1000, &v, 8));
	cr_assert_eq(v, 0x1111, "stale bytes: %#llx", (unsigned long long)v);
	memset(&v, 0xa5, sizeof(v));
	cr_assert(bus_read(&bst_bus, 0x1000, &v, 1));
	cr_assert_eq(v, 0xa5a5a5a5a5a5a500ull,
		     "bytes beyond the access width touched");
}
