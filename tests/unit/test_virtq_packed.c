// SPDX-License-Identifier: MIT
/*
 * Packed virtqueues against the fake driver of packed_ring.h. Guest memory
 * is 2 MiB at gpa 0: the ring at PKT_DESC (up to 32768 entries), event
 * structures, data buffers and indirect tables below it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "devices/virtio/virtqueue.h"
#include "packed_ring.h"

#define PKT_RAM (2u << 20)
#define PKT_DRV_EVT 0x1000ULL
#define PKT_DEV_EVT 0x1010ULL
#define PKT_BUF 0x2000ULL /* data buffers, 4 KiB each for ids 0..15 */
#define PKT_IND 0x40000ULL /* indirect tables */
#define PKT_DESC 0x100000ULL

static struct {
	struct guest_mem m;
	uint8_t *ram;
	struct virtq q;
	struct virtq_chain c;
	struct packed_ring r;
} pkt;

static void pkt_setup(void)
{
	memset(&pkt, 0, sizeof(pkt));
	pkt.ram = aligned_alloc(4096, PKT_RAM);
	cr_assert(pkt.ram);
	memset(pkt.ram, 0, PKT_RAM);
	cr_assert_eq(guest_mem_add_region(&pkt.m, 0, PKT_RAM, pkt.ram), 0);
}

static void pkt_teardown(void)
{
	virtq_release(&pkt.q);
	free(pkt.ram);
}

static void pkt_init(uint16_t size, bool event_idx, bool indirect)
{
	virtq_release(&pkt.q);
	cr_assert_eq(virtq_init_packed(&pkt.q, &pkt.m, size, PKT_DESC,
				       PKT_DRV_EVT, PKT_DEV_EVT, event_idx,
				       indirect),
		     0);
	packed_ring_init(&pkt.r, pkt.ram + PKT_DESC, pkt.ram + PKT_DRV_EVT,
			 pkt.ram + PKT_DEV_EVT, size);
}

static enum virtq_pop_result pkt_pop(void)
{
	return virtq_pop_chain(&pkt.q, &pkt.c);
}

static void pkt_add1(uint64_t addr, uint32_t len, bool write, uint16_t id)
{
	const struct packed_ring_buf b = { addr, len, write };

	packed_ring_add(&pkt.r, &b, 1, id);
}

static void pkt_expect_broken(void)
{
	cr_assert_eq(pkt_pop(), VIRTQ_POP_BROKEN);
	cr_assert(pkt.q.broken);
	cr_assert_eq(pkt.c.nr_out + pkt.c.nr_in, 0);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_BROKEN, "sticky");
	cr_assert_not(virtq_has_avail(&pkt.q));
	cr_assert_not(virtq_enable_kicks(&pkt.q));
}

TestSuite(virtq_packed, .init = pkt_setup, .fini = pkt_teardown);
TestSuite(virtq_packed_notify, .init = pkt_setup, .fini = pkt_teardown);
TestSuite(virtq_packed_hostile, .init = pkt_setup, .fini = pkt_teardown);

Test(virtq_packed, init_checks)
{
	cr_assert_eq(virtq_init_packed(&pkt.q, &pkt.m, 0, PKT_DESC, PKT_DRV_EVT,
				       PKT_DEV_EVT, 0, 0),
		     -1);
	cr_assert_eq(virtq_init_packed(&pkt.q, &pkt.m, 256, PKT_DESC + 8,
				       PKT_DRV_EVT, PKT_DEV_EVT, 0, 0),
		     -1, "desc 16-aligned");
	cr_assert_eq(virtq_init_packed(&pkt.q, &pkt.m, 256, PKT_DESC,
				       PKT_DRV_EVT + 2, PKT_DEV_EVT, 0, 0),
		     -1, "driver event 4-aligned");
	cr_assert_eq(virtq_init_packed(&pkt.q, &pkt.m, 256, PKT_DESC,
				       PKT_DRV_EVT, PKT_RAM, 0, 0),
		     -1, "device event outside RAM");
	cr_assert_eq(virtq_init_packed(&pkt.q, &pkt.m, 32768, PKT_RAM - 4096,
				       PKT_DRV_EVT, PKT_DEV_EVT, 0, 0),
		     -1, "ring past the end of RAM");
	cr_assert(pkt.q.broken);
	/* Positions, not free-running indices: any size is fine. */
	cr_assert_eq(virtq_init_packed(&pkt.q, &pkt.m, 3, PKT_DESC, PKT_DRV_EVT,
				       PKT_DEV_EVT, 0, 0),
		     0);
	cr_assert(pkt.q.packed && !pkt.q.broken);
	cr_assert(pkt.q.avail_wrap && pkt.q.used_wrap);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_EMPTY);
}

Test(virtq_packed, out_then_in)
{
	const struct packed_ring_buf b[3] = {
		{ PKT_BUF, 16, false },
		{ PKT_BUF + 0x1000, 512, false },
		{ PKT_BUF + 0x2000, 1, true },
	};
	uint32_t len;
	uint16_t id;

	pkt_init(256, false, false);
	packed_ring_add(&pkt.r, b, 3, 7);
	cr_assert(virtq_has_avail(&pkt.q));
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt.c.head, 7);
	cr_assert_eq(pkt.c.nr_out, 2);
	cr_assert_eq(pkt.c.nr_in, 1);
	cr_assert_eq(pkt.c.out_len, 528);
	cr_assert_eq(pkt.c.in_len, 1);
	cr_assert_eq(pkt.c.iov[0].iov_base, pkt.ram + PKT_BUF);
	cr_assert_eq(pkt.c.iov[2].iov_base, pkt.ram + PKT_BUF + 0x2000);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_EMPTY);
	cr_assert_not(packed_ring_get_used(&pkt.r, &id, &len));
	cr_assert_eq(virtq_push_used(&pkt.q, 7, 1), 0);
	cr_assert(packed_ring_get_used(&pkt.r, &id, &len));
	cr_assert_eq(id, 7);
	cr_assert_eq(len, 1);
	cr_assert_eq(pkt.r.next_used, 3, "skipped the chain's descriptors");
	cr_assert_eq(virtq_push_used(&pkt.q, 7, 1), -1, "no longer in flight");
}

/*
 * Many laps at each size: chains of 1-3 descriptors (so chains straddle
 * the wrap), up to 3 in flight, completed out of order; the driver sees
 * every id and length once, in push order.
 */
static void run_laps(uint16_t size)
{
	unsigned int step, laps = size < 64 ? 64 : 4;
	uint16_t inflight[3];
	unsigned int nr_inflight = 0;
	uint32_t total = 0;

	pkt_init(size, true, false);
	for (step = 0; total < laps * (uint32_t)size; step++) {
		unsigned int n = 1 + step % 3, i;
		struct packed_ring_buf b[3];
		uint16_t id = (uint16_t)(step % (size < 3 ? size : 3));
		uint32_t len;
		uint16_t got;

		if (n > size)
			n = size;
		for (i = 0; i < n; i++)
			b[i] = (struct packed_ring_buf){
				PKT_BUF + 0x1000 * (uint64_t)id, 8, i + 1 == n
			};
		/* Room for n more: complete the oldest first otherwise. */
		while (nr_inflight &&
		       (nr_inflight == (size < 3 ? size : 3) ||
			pkt.q.inflight_descs + n > size || pkt.r.ndescs[id])) {
			uint16_t done = inflight[nr_inflight - 1];

			cr_assert_eq(virtq_push_used(&pkt.q, done, done + 1),
				     0);
			cr_assert(packed_ring_get_used(&pkt.r, &got, &len),
				  "size %u step %u", size, step);
			cr_assert_eq(got, done);
			cr_assert_eq(len, done + 1u);
			nr_inflight--;
		}
		packed_ring_add(&pkt.r, b, n, id);
		cr_assert_eq(pkt_pop(), VIRTQ_POP_OK, "size %u step %u", size,
			     step);
		cr_assert_eq(pkt.c.head, id);
		cr_assert_eq(pkt.c.nr_in, 1);
		cr_assert_eq(pkt.c.nr_out, n - 1);
		cr_assert_eq(pkt_pop(), VIRTQ_POP_EMPTY, "size %u step %u",
			     size, step);
		/* Newest first: out of order whenever two are in flight. */
		memmove(inflight + 1, inflight, nr_inflight * 2);
		inflight[0] = id;
		nr_inflight++;
		total += n;
	}
	cr_assert_geq(total, laps * (uint32_t)size);
	cr_assert_not(pkt.q.broken);
}

Test(virtq_packed, wrap_around_every_size)
{
	/* 256: every device's queue size; the others: odd and edge sizes. */
	static const uint16_t sizes[] = { 1,   2,   3,	 5,    64,
					  255, 256, 257, 1024, 32768 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run_laps(sizes[i]);
}

Test(virtq_packed, indirect)
{
	struct packed_ring_buf ind = { PKT_IND, 48, false };
	const uint16_t extra[1] = { VIRTQ_DESC_F_INDIRECT };
	uint8_t *t = pkt.ram + PKT_IND;

	pkt_init(8, false, true);
	/* NEXT inside a packed indirect table means nothing (2.8.19). */
	packed_ring_put_desc(t, PKT_BUF, 10, 0, VIRTQ_DESC_F_NEXT);
	packed_ring_put_desc(t + 16, PKT_BUF + 0x1000, 20, 0, 0);
	packed_ring_put_desc(t + 32, PKT_BUF + 0x2000, 30, 0,
			     VIRTQ_DESC_F_WRITE);
	packed_ring_add_flags(&pkt.r, &ind, extra, 1, 5);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt.c.head, 5);
	cr_assert_eq(pkt.c.nr_out, 2);
	cr_assert_eq(pkt.c.nr_in, 1);
	cr_assert_eq(pkt.c.out_len, 30);
	cr_assert_eq(pkt.c.in_len, 30);
	cr_assert_eq(pkt.q.inflight_descs, 1, "one ring descriptor");
}

Test(virtq_packed, unpop_across_wrap)
{
	uint32_t len;
	uint16_t id;
	unsigned int i;

	pkt_init(4, false, false);
	for (i = 0; i < 3; i++) {
		pkt_add1(PKT_BUF, 8, true, (uint16_t)i);
		cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
		cr_assert_eq(virtq_push_used(&pkt.q, (uint16_t)i, 0), 0);
		cr_assert(packed_ring_get_used(&pkt.r, &id, &len));
	}
	/* Positions 3 (lap 1) and 0 (lap 2). */
	pkt_add1(PKT_BUF, 8, true, 1);
	pkt_add1(PKT_BUF, 8, true, 2);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt.q.last_avail_idx, 1);
	cr_assert_not(pkt.q.avail_wrap);
	virtq_unpop(&pkt.q, 2);
	cr_assert_eq(pkt.q.last_avail_idx, 3);
	cr_assert(pkt.q.avail_wrap);
	cr_assert_eq(pkt.q.inflight_descs, 0);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt.c.head, 1);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK, "an unpopped id is not in use");
	cr_assert_eq(pkt.c.head, 2);
}

Test(virtq_packed, batch_published_together)
{
	const struct virtq_used_elem el[3] = { { 2, 10 },
					       { 0, 20 },
					       { 1, 30 } };
	uint32_t len;
	uint16_t id;
	unsigned int i;

	pkt_init(4, false, false);
	pkt_add1(PKT_BUF, 8, true, 3);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(virtq_push_used(&pkt.q, 3, 0), 0);
	cr_assert(packed_ring_get_used(&pkt.r, &id, &len));
	for (i = 0; i < 3; i++) {
		pkt_add1(PKT_BUF, 8, true, (uint16_t)i);
		cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	}
	cr_assert_eq(virtq_push_used_batch(&pkt.q, el, 3), 0);
	for (i = 0; i < 3; i++) {
		cr_assert(packed_ring_get_used(&pkt.r, &id, &len));
		cr_assert_eq(id, el[i].head);
		cr_assert_eq(len, el[i].len);
	}
	cr_assert_eq(pkt.q.used_idx, 0);
	cr_assert_not(pkt.q.used_wrap, "wrapped once");
	cr_assert(pkt.q.unnotified);
}

Test(virtq_packed, batch_rejects_duplicates)
{
	const struct virtq_used_elem el[2] = { { 0, 1 }, { 0, 1 } };

	pkt_init(4, false, false);
	pkt_add1(PKT_BUF, 8, true, 0);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(virtq_push_used_batch(&pkt.q, el, 2), -1);
	cr_assert_eq(pkt.q.used_idx, 0, "nothing written");
}

/* --- event suppression -------------------------------------------------- */

static void pkt_complete(uint16_t id)
{
	pkt_add1(PKT_BUF, 8, true, id);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(virtq_push_used(&pkt.q, id, 1), 0);
}

Test(virtq_packed_notify, enable_disable)
{
	pkt_init(8, false, false);
	packed_ring_set_driver_event(&pkt.r, VRING_PACKED_EVENT_FLAG_DISABLE, 0,
				     false);
	pkt_complete(0);
	cr_assert_not(virtq_needs_interrupt(&pkt.q));
	packed_ring_set_driver_event(&pkt.r, VRING_PACKED_EVENT_FLAG_ENABLE, 0,
				     false);
	pkt_complete(1);
	cr_assert(virtq_needs_interrupt(&pkt.q));
	/* DESC without EVENT_IDX is not the driver's to use: enable. */
	packed_ring_set_driver_event(&pkt.r, VRING_PACKED_EVENT_FLAG_DESC, 5,
				     true);
	pkt_complete(2);
	cr_assert(virtq_needs_interrupt(&pkt.q));
}

Test(virtq_packed_notify, descriptor_event_across_wrap)
{
	unsigned int i;
	uint32_t len;
	uint16_t id;

	pkt_init(4, true, false);
	packed_ring_set_driver_event(&pkt.r, VRING_PACKED_EVENT_FLAG_ENABLE, 0,
				     false);
	pkt_complete(0);
	cr_assert(virtq_needs_interrupt(&pkt.q), "first one");
	cr_assert(packed_ring_get_used(&pkt.r, &id, &len));
	/* Wake me when position 1 of the next lap (wrap 0) is used. */
	packed_ring_set_driver_event(&pkt.r, VRING_PACKED_EVENT_FLAG_DESC, 1,
				     false);
	for (i = 1; i <= 5; i++) {
		pkt_complete((uint16_t)(i % 4));
		cr_assert(packed_ring_get_used(&pkt.r, &id, &len));
		/* Positions 1, 2, 3 (lap 1), 0, 1 (lap 2). */
		cr_assert_eq(virtq_needs_interrupt(&pkt.q), i == 5, "push %u",
			     i);
	}
	/* Not again for a later descriptor once it was signalled. */
	pkt_complete(2);
	cr_assert_not(virtq_needs_interrupt(&pkt.q));
}

Test(virtq_packed_notify, descriptor_event_batch)
{
	const struct virtq_used_elem el[3] = { { 0, 1 }, { 1, 1 }, { 2, 1 } };
	unsigned int i;

	pkt_init(8, true, false);
	packed_ring_set_driver_event(&pkt.r, VRING_PACKED_EVENT_FLAG_DESC, 1,
				     true);
	for (i = 0; i < 3; i++) {
		pkt_add1(PKT_BUF, 8, true, (uint16_t)i);
		cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	}
	pkt.q.signalled_used_valid = true; /* as after an earlier interrupt */
	cr_assert_eq(virtq_push_used_batch(&pkt.q, el, 3), 0);
	cr_assert(virtq_needs_interrupt(&pkt.q), "position 1 was in it");
	packed_ring_set_driver_event(&pkt.r, VRING_PACKED_EVENT_FLAG_DESC, 7,
				     true);
	pkt_complete(3);
	cr_assert_not(virtq_needs_interrupt(&pkt.q), "position 3 != 7");
}

Test(virtq_packed_notify, kicks)
{
	pkt_init(8, true, false);
	virtq_disable_kicks(&pkt.q);
	cr_assert_eq(packed_ring_device_event_flags(&pkt.r),
		     VRING_PACKED_EVENT_FLAG_DISABLE);
	cr_assert_not(virtq_enable_kicks(&pkt.q));
	cr_assert_eq(packed_ring_device_event_flags(&pkt.r),
		     VRING_PACKED_EVENT_FLAG_ENABLE);
	virtq_disable_kicks(&pkt.q);
	pkt_add1(PKT_BUF, 8, true, 0);
	cr_assert(virtq_enable_kicks(&pkt.q), "arrived while kicks were off");
}

/* --- hostile drivers ------------------------------------------------------ */

Test(virtq_packed_hostile, id_out_of_range)
{
	pkt_init(8, false, false);
	pkt_add1(PKT_BUF, 8, true, 8);
	pkt_expect_broken();
}

Test(virtq_packed_hostile, id_already_in_flight)
{
	pkt_init(8, false, false);
	pkt_add1(PKT_BUF, 8, true, 3);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	pkt_add1(PKT_BUF, 8, true, 3);
	pkt_expect_broken();
	/* The earlier one can still be completed. */
	cr_assert_eq(virtq_push_used(&pkt.q, 3, 0), 0);
}

Test(virtq_packed_hostile, chain_around_the_ring)
{
	struct packed_ring_buf b[4];
	unsigned int i;

	pkt_init(4, false, false);
	for (i = 0; i < 4; i++)
		b[i] = (struct packed_ring_buf){ PKT_BUF, 8, false };
	packed_ring_add(&pkt.r, b, 4, 0);
	/* A chain of the whole ring is fine; then NEXT on the last too. */
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(virtq_push_used(&pkt.q, 0, 0), 0);
	packed_ring_add(&pkt.r, b, 4, 1);
	packed_ring_put_desc(pkt.r.desc + 16 * 3, PKT_BUF, 8, 1,
			     packed_ring_avail_bits(false) | VIRTQ_DESC_F_NEXT);
	pkt_expect_broken();
}

Test(virtq_packed_hostile, more_than_the_free_ring)
{
	pkt_init(4, false, false);
	pkt_add1(PKT_BUF, 8, true, 0);
	pkt_add1(PKT_BUF, 8, true, 1);
	pkt_add1(PKT_BUF, 8, true, 2);
	pkt_add1(PKT_BUF, 8, true, 3);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_EMPTY, "the old lap is not new");
	/* A driver that marks an in-flight slot available for lap 2. */
	packed_ring_put_desc(pkt.r.desc, PKT_BUF, 8, 0,
			     packed_ring_avail_bits(false));
	pkt_expect_broken();
}

Test(virtq_packed_hostile, wrong_wrap_is_not_available)
{
	pkt_init(4, false, false);
	/* Flagged for lap 2 while the device is in lap 1, or both bits. */
	packed_ring_put_desc(pkt.r.desc, PKT_BUF, 8, 0,
			     packed_ring_avail_bits(false));
	cr_assert_eq(pkt_pop(), VIRTQ_POP_EMPTY);
	packed_ring_put_desc(pkt.r.desc, PKT_BUF, 8, 0, PR_F_AVAIL | PR_F_USED);
	cr_assert_eq(pkt_pop(), VIRTQ_POP_EMPTY);
	cr_assert_not(virtq_has_avail(&pkt.q));
	cr_assert_not(pkt.q.broken);
}

Test(virtq_packed_hostile, readable_after_writable)
{
	const struct packed_ring_buf b[2] = { { PKT_BUF, 8, true },
					      { PKT_BUF, 8, false } };

	pkt_init(8, false, false);
	packed_ring_add(&pkt.r, b, 2, 0);
	pkt_expect_broken();
}

Test(virtq_packed_hostile, buffer_outside_ram)
{
	pkt_init(8, false, false);
	pkt_add1(PKT_RAM - 4, 8, true, 0);
	pkt_expect_broken();
}

Test(virtq_packed_hostile, length_sum_too_big)
{
	struct packed_ring_buf b[3];
	unsigned int i;

	pkt_init(8, false, false);
	for (i = 0; i < 3; i++)
		b[i] = (struct packed_ring_buf){ 0, 0x7fffffff, false };
	packed_ring_add(&pkt.r, b, 3, 0);
	pkt_expect_broken();
}

static void expect_bad_indirect(bool negotiated, uint32_t len,
				uint16_t inner_flags, bool with_next)
{
	struct packed_ring_buf b[2] = { { PKT_BUF, 8, false },
					{ PKT_IND, len, false } };
	uint16_t extra[2] = { 0, VIRTQ_DESC_F_INDIRECT };

	pkt_init(8, false, negotiated);
	packed_ring_put_desc(pkt.ram + PKT_IND, PKT_BUF, 8, 0, inner_flags);
	if (with_next) {
		packed_ring_add_flags(&pkt.r, b + 1, extra + 1, 1, 0);
		packed_ring_put_desc(pkt.r.desc, PKT_IND, len, 0,
				     packed_ring_avail_bits(true) |
					 VIRTQ_DESC_F_INDIRECT |
					 VIRTQ_DESC_F_NEXT);
	} else {
		packed_ring_add_flags(&pkt.r, b, extra, 2, 0);
	}
	pkt_expect_broken();
}

Test(virtq_packed_hostile, indirect_rules)
{
	expect_bad_indirect(false, 16, 0, false); /* not negotiated */
	expect_bad_indirect(true, 0, 0, false); /* empty table */
	expect_bad_indirect(true, 24, 0, false); /* not a multiple of 16 */
	expect_bad_indirect(true, 16 * (VIRTQ_MAX_CHAIN + 1), 0, false);
	expect_bad_indirect(true, 16, VIRTQ_DESC_F_INDIRECT,
			    false); /* nested */
	expect_bad_indirect(true, 16, 0, true); /* INDIRECT with NEXT */
}

Test(virtq_packed_hostile, indirect_table_outside_ram)
{
	struct packed_ring_buf ind = { PKT_RAM - 16, 32, false };
	const uint16_t extra[1] = { VIRTQ_DESC_F_INDIRECT };

	pkt_init(8, false, true);
	packed_ring_add_flags(&pkt.r, &ind, extra, 1, 0);
	pkt_expect_broken();
}
