// SPDX-License-Identifier: MIT
/* Fault decisions (devices/virtio/fault.c): seeded, counter-driven. */
#include <criterion/criterion.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "devices/virtio/fault.h"

static void add(struct fault_set *s, const char *spec)
{
	struct err e;

	cr_assert_eq(fault_spec_parse(spec, &s->specs[s->nr_specs], &e), 0,
		     "%s", e.msg);
	s->nr_specs++;
}

static struct fault_set set_of(const char *spec, uint64_t seed)
{
	struct fault_set s = { .seed = seed, .enabled = true };

	add(&s, spec);
	return s;
}

/* Which of n reads (sector i) fail, as a bitmask. */
static uint64_t blk_pattern(struct fault_set *s, unsigned int n)
{
	struct virtio_hooks h = { .dev = "blk0" };
	struct fault_dev *fd = fault_dev_create(s, &h, "blk", 0);
	uint64_t mask = 0;
	unsigned int i;

	cr_assert_not_null(fd);
	for (i = 0; i < n; i++) {
		fault_request(fd, 0, (uint16_t)i);
		if (fault_blk(fd, 0, (uint16_t)i, FAULT_OP_READ, i * 8, 4096))
			mask |= 1ull << i;
	}
	fault_dev_destroy(fd);
	return mask;
}

Test(fault, unarmed_means_no_fault_state_armed_means_every_device)
{
	struct fault_set s = { .enabled = true };
	struct virtio_hooks h = { 0 };
	struct fault_rule_stat st[2];
	struct fault_dev *fd;

	cr_assert_null(fault_dev_create(&s, &h, "blk", 0), "no --fault");
	s.armed = true; /* --fault-seed alone: the API adds rules later */
	fd = fault_dev_create(&s, &h, "blk", 0);
	cr_assert_not_null(fd);
	cr_assert_eq(fault_dev_rules(fd, st, 2), 0);
	fault_dev_destroy(fd);
	s = set_of("net:drop-irq", 1);
	fd = fault_dev_create(&s, &h, "blk", 0);
	cr_assert_not_null(fd, "a rule for net arms blk too");
	cr_assert_eq(fault_dev_rules(fd, st, 2), 0, "but names no blk");
	cr_assert_not(fault_drop_irq(fd, 0));
	fault_dev_destroy(fd);
	fd = fault_dev_create(&s, &h, "net", 0);
	cr_assert_eq(fault_dev_rules(fd, st, 2), 1);
	cr_assert_str_eq(st[0].text, "net:drop-irq");
	cr_assert(fault_drop_irq(fd, 0));
	fault_dev_rules(fd, st, 2);
	cr_assert_eq(st[0].matched, 1);
	cr_assert_eq(st[0].fired, 1);
	fault_dev_destroy(fd);
}

Test(fault, same_seed_same_faults_other_seed_other_faults)
{
	struct fault_set a = set_of("blk:ioerr,rate=0.5", 42);
	struct fault_set b = set_of("blk:ioerr,rate=0.5", 42);
	struct fault_set c = set_of("blk:ioerr,rate=0.5", 43);
	uint64_t pa = blk_pattern(&a, 64), pb = blk_pattern(&b, 64),
		 pc = blk_pattern(&c, 64);

	cr_assert_eq(pa, pb);
	cr_assert_neq(pa, pc);
	/* About half: a rate that is not wildly off. */
	cr_assert(__builtin_popcountll(pa) > 16 &&
		      __builtin_popcountll(pa) < 48,
		  "%d of 64", __builtin_popcountll(pa));
}

Test(fault, sector_range_after_and_count)
{
	struct fault_set s = set_of("blk:ioerr,sector=16-31", 0);

	/* Requests i cover sectors 8i..8i+7: 2 and 3 touch 16-31. */
	cr_assert_eq(blk_pattern(&s, 8), 0xcull);
	s = set_of("blk:ioerr,after=2,count=3", 0);
	cr_assert_eq(blk_pattern(&s, 10), 0x1cull);
	s = set_of("blk:ioerr,op=write", 0);
	cr_assert_eq(blk_pattern(&s, 10), 0);
}

Test(fault, unsupp_status_and_disabled_set)
{
	struct fault_set s = set_of("blk:unsupp", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "blk", 0);

	cr_assert_eq(fault_blk(fd, 0, 0, FAULT_OP_FLUSH, 0, 0),
		     VIRTIO_BLK_S_UNSUPP);
	s.enabled = false;
	cr_assert_eq(fault_blk(fd, 0, 0, FAULT_OP_FLUSH, 0, 0), 0);
	fault_dev_destroy(fd);
}

Test(fault, used_len_and_used_id_rewrite_the_entry)
{
	struct fault_set s = set_of("blk:used-len,extra=100", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "blk", 0);
	uint16_t head = 5;
	uint32_t len = 10;

	fault_request(fd, 0, 5);
	cr_assert(fault_complete(fd, 0, 256, &head, &len));
	cr_assert_eq(head, 5);
	cr_assert_eq(len, 110);
	fault_dev_destroy(fd);

	s = set_of("blk:used-id", 0);
	fd = fault_dev_create(&s, &h, "blk", 0);
	fault_request(fd, 0, 5);
	fault_request(fd, 0, 133); /* in flight: never the reported id */
	head = 5;
	cr_assert(fault_complete(fd, 0, 256, &head, &len));
	cr_assert_neq(head, 5);
	cr_assert_neq(head, 133);
	cr_assert_lt(head, 256);
	fault_dev_destroy(fd);
}

Test(fault, reorder_releases_a_full_window_newest_first)
{
	struct fault_set s = set_of("blk:reorder,window=3", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "blk", 0);
	uint16_t head, got[3];
	uint32_t len = 1;
	unsigned int i, n = 0;

	for (i = 0; i < 3; i++) {
		fault_request(fd, 0, (uint16_t)i);
		head = (uint16_t)i;
		if (fault_complete(fd, 0, 256, &head, &len))
			got[n++] = head;
	}
	cr_assert_eq(n, 1);
	cr_assert_eq(got[0], 2); /* the third passes the two held */
	while (fault_release(fd, 0, 0, false, &head, &len))
		got[n++] = head;
	cr_assert_eq(n, 3);
	cr_assert_eq(got[1], 1);
	cr_assert_eq(got[2], 0);
	fault_dev_destroy(fd);
}

Test(fault, delay_holds_until_due_and_forget_drops)
{
	struct fault_set s = set_of("blk:delay,ms=50", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "blk", 0);
	uint16_t head = 7;
	uint32_t len = 1;
	uint64_t now = fault_now_ms();

	fault_request(fd, 0, 7);
	cr_assert(!fault_complete(fd, 0, 256, &head, &len));
	cr_assert(!fault_release(fd, 0, now, false, &head, &len));
	cr_assert(fault_release(fd, 0, now + 60, false, &head, &len));
	cr_assert_eq(head, 7);
	head = 8;
	cr_assert(!fault_complete(fd, 0, 256, &head, &len));
	fault_queue_forget(fd, 0);
	cr_assert(!fault_release(fd, 0, now + 1000, true, &head, &len));
	fault_dev_destroy(fd);
}

Test(fault, needs_reset_after_n_requests)
{
	struct fault_set s = set_of("rng:needs-reset,after=3,count=1", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "rng", 0);
	unsigned int i, fired = 0, at = 0;

	for (i = 1; i <= 10; i++)
		if (fault_request(fd, 0, 0)) {
			fired++;
			at = i;
		}
	cr_assert_eq(fired, 1);
	cr_assert_eq(at, 4);
	fault_dev_destroy(fd);
}

Test(fault, capacity_and_link_patch_config_reads)
{
	struct fault_set s = set_of("blk:config-change,sectors=4096", 0);
	struct virtio_hooks h = { 0 };
	struct virtio_transport t = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "blk", 0);
	struct fault_tick out;
	uint64_t cap = 1 << 20;
	uint8_t st[2] = { VIRTIO_NET_S_LINK_UP, 0 };

	h.fault = fd;
	fault_config_read(&h, &t, 0, &cap, sizeof(cap));
	cr_assert_eq(cap, 1 << 20, "unchanged before the change is due");
	fault_tick(fd, fd->start_ms, &out);
	cr_assert(out.config_changed);
	fault_config_read(&h, &t, 0, &cap, sizeof(cap));
	cr_assert_eq(cap, 4096);
	fault_tick(fd, fd->start_ms + 10, &out);
	cr_assert(!out.config_changed, "once");
	fault_dev_destroy(fd);

	s = set_of("net:config-change,hz=10", 0);
	fd = fault_dev_create(&s, &h, "net", 0);
	h.fault = fd;
	fault_tick(fd, fd->start_ms + 100, &out);
	cr_assert(out.config_changed);
	fault_config_read(&h, &t, offsetof(struct virtio_net_config, status),
			  st, 2);
	cr_assert_eq(st[0] & VIRTIO_NET_S_LINK_UP, 0, "link down");
	fault_tick(fd, fd->start_ms + 200, &out);
	st[0] = VIRTIO_NET_S_LINK_UP;
	fault_config_read(&h, &t, offsetof(struct virtio_net_config, status),
			  st, 2);
	cr_assert_eq(st[0] & VIRTIO_NET_S_LINK_UP, VIRTIO_NET_S_LINK_UP,
		     "and up again");
	fault_dev_destroy(fd);
}

Test(fault, generation_bumps_on_config_reads)
{
	struct fault_set s = set_of("blk:config-change,rate=1,count=2", 0);
	struct virtio_hooks h = { 0 };
	struct virtio_transport t = { 0 };
	uint64_t cap = 0;

	h.fault = fault_dev_create(&s, &h, "blk", 0);
	fault_config_read(&h, &t, 0, &cap, 8);
	fault_config_read(&h, &t, 0, &cap, 8);
	fault_config_read(&h, &t, 0, &cap, 8);
	cr_assert_eq(t.config_generation, 2);
	fault_dev_destroy(h.fault);
}

Test(fault, rewrites_apply_to_held_entries_too)
{
	struct fault_set s = set_of("blk:delay,ms=1", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd;
	uint16_t head = 4;
	uint32_t len = 10;

	/* Before the fix the first holding spec hid the used-len after it. */
	add(&s, "blk:used-len,extra=5");
	fd = fault_dev_create(&s, &h, "blk", 0);
	fault_request(fd, 0, 4);
	cr_assert(!fault_complete(fd, 0, 256, &head, &len));
	cr_assert(
	    fault_release(fd, 0, fault_now_ms() + 10, false, &head, &len));
	cr_assert_eq(head, 4);
	cr_assert_eq(len, 15);
	fault_dev_destroy(fd);
}

/* The one short-read rule every device asks: half, aligned, or nothing. */
Test(fault, short_len_halves_aligned_and_counts_like_the_rest)
{
	struct fault_set s = set_of("console:short-read,after=1,count=2", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "console", 0);

	cr_assert_eq(fault_short_len(fd, 0, 0, 100, 1), 100, "after=1");
	cr_assert_eq(fault_short_len(fd, 0, 0, 100, 1), 50);
	cr_assert_eq(fault_short_len(fd, 0, 0, 1, 1), 1, "nothing to halve");
	cr_assert_eq(fault_short_len(fd, 0, 0, 4096 + 512, 512), 2048);
	cr_assert_eq(fault_short_len(fd, 0, 0, 100, 1), 100, "count=2");
	fault_dev_destroy(fd);
	s = set_of("net0:short-read", 0);
	fd = fault_dev_create(&s, &h, "net", 0);
	cr_assert_eq(fault_short_len(fd, 0, 0, 1000, 1), 500, "net too");
	fault_dev_destroy(fd);
}

/* PUT /faults: new rules, counters from zero, the old ones gone. */
Test(fault, set_rules_replaces_the_devices_rules)
{
	struct fault_set s = set_of("blk:ioerr", 0);
	struct fault_set t = set_of("blk1:unsupp", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "blk", 1);
	struct fault_rule_stat st[4];

	cr_assert_eq(fault_blk(fd, 0, 0, FAULT_OP_READ, 0, 512),
		     VIRTIO_BLK_S_IOERR);
	add(&t, "net:drop-irq");
	fault_dev_set_rules(fd, t.specs, t.nr_specs);
	cr_assert_eq(fault_dev_rules(fd, st, 4), 1, "net's rule is not blk's");
	cr_assert_str_eq(st[0].text, "blk1:unsupp");
	cr_assert_eq(st[0].matched, 0);
	cr_assert_eq(fault_blk(fd, 0, 0, FAULT_OP_READ, 0, 512),
		     VIRTIO_BLK_S_UNSUPP);
	cr_assert(fault_dev_has(fd, FAULT_UNSUPP));
	cr_assert_not(fault_dev_has(fd, FAULT_IOERR));
	fault_dev_set_rules(fd, NULL, 0);
	cr_assert_eq(fault_blk(fd, 0, 0, FAULT_OP_READ, 0, 512), 0);
	fault_dev_destroy(fd);
}

/* Flaps replaced at run time: a link they left down comes back, told. */
Test(fault, removing_link_flaps_brings_the_link_back_up)
{
	struct fault_set s = set_of("net:config-change,hz=100", 0);
	struct virtio_hooks h = { 0 };
	struct fault_dev *fd = fault_dev_create(&s, &h, "net", 0);
	struct fault_tick out;

	fault_tick(fd, fault_now_ms() + 10, &out);
	cr_assert(out.config_changed);
	cr_assert(fd->link_down);
	fault_dev_set_rules(fd, NULL, 0);
	cr_assert_not(fd->link_down);
	fault_tick(fd, fault_now_ms() + 20, &out);
	cr_assert(out.config_changed, "the driver hears of it");
	fault_tick(fd, fault_now_ms() + 30, &out);
	cr_assert_not(out.config_changed, "once");
	fault_dev_destroy(fd);
}
