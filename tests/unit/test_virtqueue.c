// SPDX-License-Identifier: MIT
/*
 * Split virtqueues against a fake driver that lays out descriptor tables
 * and publishes avail entries the way Linux's virtio_ring.c does. Guest
 * memory is 1 MiB at gpa 0 plus a separately allocated 64 KiB right after
 * it (same gpa line, different host buffer) for region-crossing cases.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "split_ring.h"
#include "devices/virtio/virtqueue.h"

#define VQT_RAM (1u << 20)
#define VQT_RAM2_GPA ((uint64_t)VQT_RAM)
#define VQT_RAM2 (64u << 10)
#define VQT_DESC 0x1000ULL /* up to 2048 entries: ends at 0x9000 */
#define VQT_AVAIL 0x9000ULL
#define VQT_USED 0xb000ULL
#define VQT_BUF 0x20000ULL /* data buffers */
#define VQT_IND 0x80000ULL /* indirect tables */
#define VQT_BIG_GPA (4ULL << 30)
#define VQT_BIG_SIZE (8ULL << 30)

struct vqt {
	struct guest_mem m;
	uint8_t *ram, *ram2;
	void *big; /* PROT_NONE reservation when a test asks for it */
	struct virtq q;
	struct virtq_chain c;
	uint16_t size;
	uint16_t avail_idx; /* driver's shadow of avail->idx */
};

static struct vqt vqt;

static void vqt_setup(void)
{
	memset(&vqt, 0, sizeof(vqt));
	vqt.ram = aligned_alloc(4096, VQT_RAM);
	vqt.ram2 = aligned_alloc(4096, VQT_RAM2);
	cr_assert(vqt.ram && vqt.ram2);
	memset(vqt.ram, 0, VQT_RAM);
	memset(vqt.ram2, 0, VQT_RAM2);
	cr_assert_eq(guest_mem_add_region(&vqt.m, 0, VQT_RAM, vqt.ram), 0);
	cr_assert_eq(
	    guest_mem_add_region(&vqt.m, VQT_RAM2_GPA, VQT_RAM2, vqt.ram2), 0);
}

static void vqt_teardown(void)
{
	if (vqt.big)
		munmap(vqt.big, VQT_BIG_SIZE);
	free(vqt.ram);
	free(vqt.ram2);
}

/* Guest RAM past 4 GiB, never touched: only pointers into it are formed. */
static void vqt_add_big(void)
{
	vqt.big = mmap(NULL, VQT_BIG_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert(vqt.big != MAP_FAILED);
	cr_assert_eq(
	    guest_mem_add_region(&vqt.m, VQT_BIG_GPA, VQT_BIG_SIZE, vqt.big),
	    0);
}

static void vqt_init(uint16_t size, bool event_idx, bool indirect)
{
	vqt.size = size;
	cr_assert_eq(virtq_init(&vqt.q, &vqt.m, size, VQT_DESC, VQT_AVAIL,
				VQT_USED, event_idx, indirect),
		     0);
}

/* --- fake driver --------------------------------------------------------- */

static uint8_t *vqt_host(uint64_t gpa)
{
	uint8_t *p = guest_mem_ptr(&vqt.m, gpa, 1);

	cr_assert(p, "gpa %#llx not in fake RAM", (unsigned long long)gpa);
	return p;
}

static void vqt_put16(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(vqt_host(gpa), &v, 2);
}

static uint16_t vqt_get16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, vqt_host(gpa), 2);
	return le16toh(v);
}

static uint32_t vqt_get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, vqt_host(gpa), 4);
	return le32toh(v);
}

static void vqt_desc_at(uint64_t table, unsigned int i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	split_ring_put_desc(d, addr, len, flags, next);
	memcpy(vqt_host(table + 16ULL * i), d, 16);
}

static void vqt_desc(unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	vqt_desc_at(VQT_DESC, i, addr, len, flags, next);
}

/* Like virtqueue_add_split(): ring entry, barrier, then avail->idx. */
static void vqt_publish(uint16_t head)
{
	vqt_put16(VQT_AVAIL + 4 + 2 * (vqt.avail_idx % vqt.size), head);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vqt.avail_idx++;
	vqt_put16(VQT_AVAIL + 2, vqt.avail_idx);
}

/* Both sides start at idx (as after a long run), queue re-initialised. */
static void vqt_start_at(uint16_t idx)
{
	vqt.avail_idx = idx;
	vqt_put16(VQT_AVAIL + 2, idx);
	vqt_put16(VQT_USED + 2, idx);
	vqt.q.last_avail_idx = idx;
	vqt.q.used_idx = idx;
}

static uint16_t vqt_used_idx(void)
{
	return vqt_get16(VQT_USED + 2);
}

static uint32_t vqt_used_id(unsigned int slot)
{
	return vqt_get32(VQT_USED + 4 + 8 * slot);
}

static uint32_t vqt_used_len(unsigned int slot)
{
	return vqt_get32(VQT_USED + 8 + 8 * slot);
}

static uint16_t vqt_used_flags(void)
{
	return vqt_get16(VQT_USED);
}

static uint16_t vqt_avail_event(void)
{
	return vqt_get16(VQT_USED + 4 + 8ULL * vqt.size);
}

static void vqt_set_used_event(uint16_t v)
{
	vqt_put16(VQT_AVAIL + 4 + 2ULL * vqt.size, v);
}

static void vqt_set_avail_flags(uint16_t v)
{
	vqt_put16(VQT_AVAIL, v);
}

/* The driver's kick decision after publishing [old, new). */
static bool vqt_driver_kicks(uint16_t old, uint16_t new_idx)
{
	if (vqt.q.event_idx) {
		uint16_t ev = vqt_avail_event();

		return (uint16_t)(new_idx - ev - 1) < (uint16_t)(new_idx - old);
	}
	return !(vqt_used_flags() & VIRTQ_USED_F_NO_NOTIFY);
}

static enum virtq_pop_result vqt_pop(void)
{
	return virtq_pop_chain(&vqt.q, &vqt.c);
}

static void vqt_assert_iov(unsigned int i, uint64_t gpa, size_t len)
{
	cr_assert_eq(vqt.c.iov[i].iov_base, (void *)vqt_host(gpa),
		     "iov[%u] base", i);
	cr_assert_eq(vqt.c.iov[i].iov_len, len, "iov[%u] len %zu, want %zu", i,
		     vqt.c.iov[i].iov_len, len);
}

static void vqt_assert_broken(void)
{
	uint16_t last = vqt.q.last_avail_idx;

	cr_assert(vqt.q.broken);
	cr_assert_eq(vqt.c.nr_out, 0);
	cr_assert_eq(vqt.c.nr_in, 0);
	cr_assert_eq(vqt.c.out_len, 0);
	cr_assert_eq(vqt.c.in_len, 0);
	/* Sticky: even an empty or now-valid ring stays broken. */
	cr_assert_eq(vqt_pop(), VIRTQ_POP_BROKEN);
	cr_assert_eq(vqt.q.last_avail_idx, last);
	cr_assert_not(virtq_has_avail(&vqt.q));
	cr_assert_not(virtq_enable_kicks(&vqt.q));
}

/* Publishes head and expects the pop to break the queue. */
static void vqt_expect_broken(uint16_t head)
{
	uint16_t last = vqt.q.last_avail_idx;

	vqt_publish(head);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_BROKEN);
	cr_assert_eq(vqt.q.last_avail_idx, last, "a bad chain is not consumed");
	cr_assert_eq(vqt_used_idx(), 0);
	vqt_assert_broken();
}

TestSuite(virtqueue, .init = vqt_setup, .fini = vqt_teardown);
TestSuite(virtqueue_notify, .init = vqt_setup, .fini = vqt_teardown);
TestSuite(virtqueue_hostile, .init = vqt_setup, .fini = vqt_teardown);

/* --- init ----------------------------------------------------------------- */

Test(virtqueue, init_state)
{
	vqt_init(16, true, true);
	cr_assert_not(vqt.q.broken);
	cr_assert_eq(vqt.q.size, 16);
	cr_assert_eq(vqt.q.desc_gpa, VQT_DESC);
	cr_assert_eq(vqt.q.avail_gpa, VQT_AVAIL);
	cr_assert_eq(vqt.q.used_gpa, VQT_USED);
	cr_assert(vqt.q.event_idx && vqt.q.indirect);
	cr_assert_eq(vqt.q.last_avail_idx, 0);
	cr_assert_eq(vqt.q.used_idx, 0);
	cr_assert_not(vqt.q.signalled_used_valid);
	cr_assert_eq(vqt.q.desc_host, vqt.ram + VQT_DESC);
	cr_assert_eq(vqt.q.avail_host, vqt.ram + VQT_AVAIL);
	cr_assert_eq(vqt.q.used_host, vqt.ram + VQT_USED);
}

Test(virtqueue, init_sizes)
{
	static const uint16_t good[] = { 1, 2, 256, 1024, 2048 };
	static const uint16_t bad[] = { 0, 3, 6, 100, 1000, 65535 };
	unsigned int i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(virtq_init(&vqt.q, &vqt.m, good[i], VQT_DESC,
					VQT_AVAIL, VQT_USED, false, false),
			     0, "size %u", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(virtq_init(&vqt.q, &vqt.m, bad[i], VQT_DESC,
					VQT_AVAIL, VQT_USED, false, false),
			     -1, "size %u", bad[i]);
		cr_assert(vqt.q.broken);
	}
}

/* A queue that failed init is inert: nothing touches guest memory. */
static void vqt_assert_unusable(void)
{
	cr_assert(vqt.q.broken);
	cr_assert_null(vqt.q.desc_host);
	cr_assert_null(vqt.q.avail_host);
	cr_assert_null(vqt.q.used_host);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_BROKEN);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), -1);
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	cr_assert_not(virtq_has_avail(&vqt.q));
	virtq_disable_kicks(&vqt.q);
	cr_assert_not(virtq_enable_kicks(&vqt.q));
}

static void vqt_init_bad(uint16_t size, uint64_t desc, uint64_t avail,
			 uint64_t used)
{
	cr_assert_eq(
	    virtq_init(&vqt.q, &vqt.m, size, desc, avail, used, true, true), -1,
	    "desc %#llx avail %#llx used %#llx", (unsigned long long)desc,
	    (unsigned long long)avail, (unsigned long long)used);
	vqt_assert_unusable();
}

Test(virtqueue, init_misaligned)
{
	vqt_init_bad(16, VQT_DESC + 8, VQT_AVAIL, VQT_USED);
	vqt_init_bad(16, VQT_DESC, VQT_AVAIL + 1, VQT_USED);
	vqt_init_bad(16, VQT_DESC, VQT_AVAIL, VQT_USED + 2);
	/* The minimum alignments themselves are fine. */
	cr_assert_eq(virtq_init(&vqt.q, &vqt.m, 16, VQT_DESC + 16,
				VQT_AVAIL + 2, VQT_USED + 4, true, true),
		     0);
}

Test(virtqueue, init_outside_ram)
{
	uint64_t end2 = VQT_RAM2_GPA + VQT_RAM2;

	/* Entirely outside. */
	vqt_init_bad(16, 2ULL << 20, VQT_AVAIL, VQT_USED);
	vqt_init_bad(16, VQT_DESC, 2ULL << 20, VQT_USED);
	vqt_init_bad(16, VQT_DESC, VQT_AVAIL, 2ULL << 20);
	/* Running off the end of RAM by a little. */
	vqt_init_bad(16, end2 - 16 * 16 + 16, VQT_AVAIL, VQT_USED);
	vqt_init_bad(16, VQT_DESC, end2 - (6 + 2 * 16) + 2, VQT_USED);
	vqt_init_bad(16, VQT_DESC, VQT_AVAIL, end2 - (6 + 8 * 16) + 2);
	/* Straddling the boundary between the two regions. */
	vqt_init_bad(16, VQT_RAM - 16 * 8, VQT_AVAIL, VQT_USED);
	vqt_init_bad(16, VQT_DESC, VQT_AVAIL, VQT_RAM - 64);
	/* Wrapping gpa. */
	vqt_init_bad(16, ~0ULL & ~15ULL, VQT_AVAIL, VQT_USED);
	/* No memory at all. */
	cr_assert_eq(virtq_init(&vqt.q, NULL, 16, VQT_DESC, VQT_AVAIL, VQT_USED,
				false, false),
		     -1);
	vqt_assert_unusable();
	/* Up to the very end is fine: avail/used include the event fields. */
	cr_assert_eq(virtq_init(&vqt.q, &vqt.m, 16, end2 - 16 * 16, VQT_AVAIL,
				VQT_USED, false, false),
		     0);
	cr_assert_eq(virtq_init(&vqt.q, &vqt.m, 16, VQT_DESC,
				end2 - (6 + 2 * 16), VQT_USED, false, false),
		     0);
	cr_assert_eq(virtq_init(&vqt.q, &vqt.m, 16, VQT_DESC, VQT_AVAIL,
				end2 - (6 + 8 * 16) - 2, false, false),
		     0);
}

/* --- popping chains ------------------------------------------------------- */

Test(virtqueue, empty)
{
	vqt_init(16, false, false);
	cr_assert_not(virtq_has_avail(&vqt.q));
	cr_assert_eq(vqt_pop(), VIRTQ_POP_EMPTY);
	cr_assert_eq(vqt.c.nr_out + vqt.c.nr_in, 0);
	cr_assert_eq(vqt.q.last_avail_idx, 0);
	cr_assert_not(vqt.q.broken);
}

Test(virtqueue, single_readable)
{
	vqt_init(16, false, false);
	vqt_desc(5, VQT_BUF, 100, 0, 0);
	vqt_publish(5);
	cr_assert(virtq_has_avail(&vqt.q));
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.head, 5);
	cr_assert_eq(vqt.c.nr_out, 1);
	cr_assert_eq(vqt.c.nr_in, 0);
	cr_assert_eq(vqt.c.out_len, 100);
	cr_assert_eq(vqt.c.in_len, 0);
	vqt_assert_iov(0, VQT_BUF, 100);
	cr_assert_eq(vqt.q.last_avail_idx, 1);
	cr_assert_not(virtq_has_avail(&vqt.q));
	cr_assert_eq(vqt_pop(), VIRTQ_POP_EMPTY);
}

Test(virtqueue, single_writable)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 4096, VIRTQ_DESC_F_WRITE, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.nr_out, 0);
	cr_assert_eq(vqt.c.nr_in, 1);
	cr_assert_eq(vqt.c.in_len, 4096);
	vqt_assert_iov(0, VQT_BUF, 4096);
}

/* Like a virtio-blk request: header out, data out, status in. */
Test(virtqueue, out_then_in)
{
	vqt_init(16, false, false);
	vqt_desc(3, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 9);
	vqt_desc(9, VQT_BUF + 0x1000, 512, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BUF + 0x3000, 1024,
		 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 15);
	vqt_desc(15, VQT_BUF + 0x2000, 1, VIRTQ_DESC_F_WRITE, 7 /* unused */);
	vqt_publish(3);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.head, 3);
	cr_assert_eq(vqt.c.nr_out, 2);
	cr_assert_eq(vqt.c.nr_in, 2);
	cr_assert_eq(vqt.c.out_len, 528);
	cr_assert_eq(vqt.c.in_len, 1025);
	vqt_assert_iov(0, VQT_BUF, 16);
	vqt_assert_iov(1, VQT_BUF + 0x1000, 512);
	vqt_assert_iov(2, VQT_BUF + 0x3000, 1024);
	vqt_assert_iov(3, VQT_BUF + 0x2000, 1);
}

Test(virtqueue, zero_length_descriptors)
{
	vqt_init(16, false, false);
	/* No iovec; the address of an empty buffer is never used. */
	vqt_desc(0, 0xdead00000000ULL, 0, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	vqt_desc(2, ~0ULL, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	vqt_desc(3, VQT_BUF + 8, 4, VIRTQ_DESC_F_WRITE, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.nr_out, 1);
	cr_assert_eq(vqt.c.nr_in, 1);
	vqt_assert_iov(0, VQT_BUF, 8);
	vqt_assert_iov(1, VQT_BUF + 8, 4);
	/* An all-empty chain is valid too. */
	vqt_desc(4, 0, 0, 0, 0);
	vqt_publish(4);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.head, 4);
	cr_assert_eq(vqt.c.nr_out + vqt.c.nr_in, 0);
	cr_assert_eq(vqt.c.out_len + vqt.c.in_len, 0);
}

/* Buffers may sit in any region, up to its very last byte. */
Test(virtqueue, second_region)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_RAM - 16, 16, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_RAM2_GPA, VQT_RAM2, VIRTQ_DESC_F_WRITE, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.iov[0].iov_base, vqt.ram + VQT_RAM - 16);
	cr_assert_eq(vqt.c.iov[1].iov_base, vqt.ram2);
	cr_assert_eq(vqt.c.iov[1].iov_len, VQT_RAM2);
}

Test(virtqueue, several_chains_in_order)
{
	unsigned int i;

	vqt_init(8, false, false);
	for (i = 0; i < 8; i++) {
		vqt_desc(i, VQT_BUF + 0x100 * i, i + 1, 0, 0);
		vqt_publish((uint16_t)(7 - i));
	}
	for (i = 0; i < 8; i++) {
		cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
		cr_assert_eq(vqt.c.head, 7 - i);
		vqt_assert_iov(0, VQT_BUF + 0x100 * (7 - i), 8 - i);
	}
	cr_assert_eq(vqt_pop(), VIRTQ_POP_EMPTY);
	cr_assert_eq(vqt.q.last_avail_idx, 8);
}

/* Free-running indices through the 65535 -> 0 wrap and ring slot wrap. */
Test(virtqueue, avail_idx_wraps)
{
	unsigned int i;

	vqt_init(4, false, false);
	vqt_start_at(65533);
	for (i = 0; i < 4; i++)
		vqt_desc(i, VQT_BUF + 0x100 * i, 10 + i, 0, 0);
	for (i = 0; i < 10; i++) {
		uint16_t head = (uint16_t)(i % 4);

		vqt_publish(head);
		cr_assert_eq(vqt_pop(), VIRTQ_POP_OK, "pop %u", i);
		cr_assert_eq(vqt.c.head, head);
		vqt_assert_iov(0, VQT_BUF + 0x100 * head, 10 + head);
		cr_assert_eq(virtq_push_used(&vqt.q, head, 0), 0);
	}
	cr_assert_eq(vqt.q.last_avail_idx, (uint16_t)(65533 + 10));
	cr_assert_eq(vqt.q.used_idx, 7);
	cr_assert_eq(vqt_used_idx(), 7);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_EMPTY);
}

/* A full ring: avail->idx exactly size ahead is legal. */
Test(virtqueue, full_ring)
{
	unsigned int i;

	vqt_init(4, false, false);
	vqt_start_at(65534);
	for (i = 0; i < 4; i++) {
		vqt_desc(i, VQT_BUF, 1, 0, 0);
		vqt_publish((uint16_t)i);
	}
	for (i = 0; i < 4; i++) {
		cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
		cr_assert_eq(vqt.c.head, i);
	}
	cr_assert_eq(vqt_pop(), VIRTQ_POP_EMPTY);
}

Test(virtqueue, indirect)
{
	vqt_init(16, false, true);
	/* Table order 0 -> 2 -> 1, like a driver reusing a table. */
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 2);
	vqt_desc_at(VQT_IND, 2, VQT_BUF + 0x100, 200, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc_at(VQT_IND, 1, VQT_BUF + 0x1000, 300, VIRTQ_DESC_F_WRITE, 0);
	vqt_desc(6, VQT_IND, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_publish(6);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.head, 6);
	cr_assert_eq(vqt.c.nr_out, 2);
	cr_assert_eq(vqt.c.nr_in, 1);
	cr_assert_eq(vqt.c.out_len, 216);
	cr_assert_eq(vqt.c.in_len, 300);
	vqt_assert_iov(0, VQT_BUF, 16);
	vqt_assert_iov(1, VQT_BUF + 0x100, 200);
	vqt_assert_iov(2, VQT_BUF + 0x1000, 300);
}

/* 2.7.5.3.2: direct descriptors, then one indirect; its WRITE is ignored. */
Test(virtqueue, direct_then_indirect)
{
	vqt_init(16, false, true);
	vqt_desc(0, VQT_BUF, 32, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_IND, 2 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE,
		 0);
	vqt_desc_at(VQT_IND, 0, VQT_BUF + 0x100, 64, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc_at(VQT_IND, 1, VQT_BUF + 0x200, 8, VIRTQ_DESC_F_WRITE, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.nr_out, 2);
	cr_assert_eq(vqt.c.nr_in, 1);
	vqt_assert_iov(0, VQT_BUF, 32);
	vqt_assert_iov(1, VQT_BUF + 0x100, 64);
	vqt_assert_iov(2, VQT_BUF + 0x200, 8);
}

/* An indirect table may be anywhere in RAM, not necessarily aligned. */
Test(virtqueue, indirect_unaligned_table)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND + 3, 0, VQT_BUF, 5, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc_at(VQT_IND + 3, 1, VQT_BUF + 5, 6, VIRTQ_DESC_F_WRITE, 0);
	vqt_desc(0, VQT_IND + 3, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	vqt_assert_iov(0, VQT_BUF, 5);
	vqt_assert_iov(1, VQT_BUF + 5, 6);
}

/* The longest accepted chain: VIRTQ_MAX_CHAIN buffers, all as iovecs. */
Test(virtqueue, max_chain_indirect)
{
	unsigned int i;

	vqt_init(16, false, true);
	for (i = 0; i < VIRTQ_MAX_CHAIN; i++)
		vqt_desc_at(
		    VQT_IND, i, VQT_BUF + i, 1,
		    (i >= 1000 ? VIRTQ_DESC_F_WRITE : 0) |
			(i + 1 < VIRTQ_MAX_CHAIN ? VIRTQ_DESC_F_NEXT : 0),
		    (uint16_t)(i + 1));
	vqt_desc(2, VQT_IND, VIRTQ_MAX_CHAIN * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_publish(2);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.nr_out, 1000);
	cr_assert_eq(vqt.c.nr_in, VIRTQ_MAX_CHAIN - 1000);
	cr_assert_eq(vqt.c.out_len, 1000);
	vqt_assert_iov(VIRTQ_MAX_CHAIN - 1, VQT_BUF + VIRTQ_MAX_CHAIN - 1, 1);
}

Test(virtqueue, max_chain_direct)
{
	unsigned int i;

	vqt_init(2048, false, false);
	for (i = 0; i < VIRTQ_MAX_CHAIN; i++)
		vqt_desc(i + 100, VQT_BUF + i, 1,
			 i + 1 < VIRTQ_MAX_CHAIN ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 101));
	vqt_publish(100);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.nr_out, VIRTQ_MAX_CHAIN);
	cr_assert_eq(vqt.c.out_len, VIRTQ_MAX_CHAIN);
}

/* The chain is copied out once: later guest writes do not change it. */
Test(virtqueue, chain_is_a_snapshot)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 64, 0, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	vqt_desc(0, 0xdead0000ULL, 0xffffffff, VIRTQ_DESC_F_NEXT, 77);
	vqt_assert_iov(0, VQT_BUF, 64);
	cr_assert_eq(vqt.c.nr_out, 1);
}

/* --- copy helpers --------------------------------------------------------- */

Test(virtqueue, chain_read_write)
{
	uint8_t buf[64], *ram = vqt.ram;
	unsigned int i;

	vqt_init(16, false, false);
	for (i = 0; i < 32; i++)
		ram[VQT_BUF + i] = (uint8_t)i;
	/* out: [0,5) [5,12) [12,32), in: [0x100,+3) [0x200,+10) */
	vqt_desc(0, VQT_BUF, 5, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BUF + 5, 7, VIRTQ_DESC_F_NEXT, 2);
	vqt_desc(2, VQT_BUF + 12, 20, VIRTQ_DESC_F_NEXT, 3);
	vqt_desc(3, VQT_BUF + 0x100, 3, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		 4);
	vqt_desc(4, VQT_BUF + 0x200, 10, VIRTQ_DESC_F_WRITE, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);

	memset(buf, 0xee, sizeof(buf));
	cr_assert_eq(virtq_chain_read(&vqt.c, 0, buf, 32), 32);
	for (i = 0; i < 32; i++)
		cr_assert_eq(buf[i], i);
	memset(buf, 0xee, sizeof(buf));
	cr_assert_eq(virtq_chain_read(&vqt.c, 3, buf, 10), 10);
	for (i = 0; i < 10; i++)
		cr_assert_eq(buf[i], 3 + i);
	cr_assert_eq(buf[10], 0xee);
	/* Starting exactly on an iovec boundary. */
	cr_assert_eq(virtq_chain_read(&vqt.c, 5, buf, 7), 7);
	for (i = 0; i < 7; i++)
		cr_assert_eq(buf[i], 5 + i);
	cr_assert_eq(virtq_chain_read(&vqt.c, 12, buf, 1), 1);
	cr_assert_eq(buf[0], 12);
	/* Short at the end; nothing past it. */
	cr_assert_eq(virtq_chain_read(&vqt.c, 30, buf, 10), 2);
	cr_assert_eq(buf[0], 30);
	cr_assert_eq(buf[1], 31);
	cr_assert_eq(virtq_chain_read(&vqt.c, 32, buf, 10), 0);
	cr_assert_eq(virtq_chain_read(&vqt.c, ~0ULL, buf, 10), 0);
	cr_assert_eq(virtq_chain_read(&vqt.c, 0, buf, 0), 0);

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0x80 + i);
	cr_assert_eq(virtq_chain_write(&vqt.c, 2, buf, 64), 11);
	cr_assert_eq(ram[VQT_BUF + 0x100], 0);
	cr_assert_eq(ram[VQT_BUF + 0x101], 0);
	cr_assert_eq(ram[VQT_BUF + 0x102], 0x80);
	for (i = 0; i < 10; i++)
		cr_assert_eq(ram[VQT_BUF + 0x200 + i], 0x81 + i);
	cr_assert_eq(ram[VQT_BUF + 0x20a], 0);
	cr_assert_eq(virtq_chain_write(&vqt.c, 3, buf + 0x40 - 1, 1), 1);
	cr_assert_eq(ram[VQT_BUF + 0x200], 0xbf);
	cr_assert_eq(ram[VQT_BUF + 0x201], 0x82);
	cr_assert_eq(virtq_chain_write(&vqt.c, 13, buf, 1), 0);
	/* The out side is never written. */
	for (i = 0; i < 32; i++)
		cr_assert_eq(ram[VQT_BUF + i], i);
}

/* --- used ring
 * ---------------------------------------------------------------- */

Test(virtqueue, push_used)
{
	vqt_init(4, false, false);
	cr_assert_eq(virtq_push_used(&vqt.q, 3, 100), 0);
	cr_assert_eq(vqt_used_idx(), 1);
	cr_assert_eq(vqt_used_id(0), 3);
	cr_assert_eq(vqt_used_len(0), 100);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0xffffffff), 0);
	cr_assert_eq(vqt_used_idx(), 2);
	cr_assert_eq(vqt_used_id(1), 0);
	cr_assert_eq(vqt_used_len(1), 0xffffffff);
	cr_assert_eq(vqt.q.used_idx, 2);
	/* Out-of-range head: nothing written. */
	cr_assert_eq(virtq_push_used(&vqt.q, 4, 1), -1);
	cr_assert_eq(virtq_push_used(&vqt.q, 0xffff, 1), -1);
	cr_assert_eq(vqt_used_idx(), 2);
	cr_assert_eq(vqt_used_id(2), 0);
	cr_assert_eq(vqt.q.used_idx, 2);
	/* Ring slots wrap at size. */
	cr_assert_eq(virtq_push_used(&vqt.q, 1, 11), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 2, 12), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 1, 13), 0);
	cr_assert_eq(vqt_used_idx(), 5);
	cr_assert_eq(vqt_used_id(0), 1);
	cr_assert_eq(vqt_used_len(0), 13);
}

/*
 * Pushed later: the entries are in the ring, the index the driver reads is
 * not, until one publish shows the whole run (and an interrupt decision
 * sees it published).
 */
Test(virtqueue, push_later_publishes_a_run_at_once)
{
	vqt_init(4, false, false);
	cr_assert_eq(virtq_push_used(&vqt.q, 3, 100), 0);
	cr_assert_eq(virtq_push_used_later(&vqt.q, 1, 10), 0);
	cr_assert_eq(virtq_push_used_later(&vqt.q, 2, 20), 0);
	cr_assert_eq(vqt_used_idx(), 1, "a later push was published");
	cr_assert_eq(vqt_used_id(1), 1);
	cr_assert_eq(vqt_used_len(2), 20);
	cr_assert(vqt.q.unnotified);
	/* Out of range: refused as by virtq_push_used. */
	cr_assert_eq(virtq_push_used_later(&vqt.q, 4, 1), -1);
	virtq_publish_used(&vqt.q);
	cr_assert_eq(vqt_used_idx(), 3);
	cr_assert_eq(vqt.q.used_idx, 3);
	virtq_publish_used(&vqt.q);
	cr_assert_eq(vqt_used_idx(), 3, "publishing twice moved the index");
}

Test(virtqueue, used_idx_wraps)
{
	vqt_init(8, false, false);
	vqt_start_at(65534);
	cr_assert_eq(virtq_push_used(&vqt.q, 1, 1), 0);
	cr_assert_eq(vqt_used_idx(), 65535);
	cr_assert_eq(virtq_push_used(&vqt.q, 2, 2), 0);
	cr_assert_eq(vqt_used_idx(), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 3, 3), 0);
	cr_assert_eq(vqt_used_idx(), 1);
	cr_assert_eq(vqt_used_id(6), 1); /* 65534 % 8 */
	cr_assert_eq(vqt_used_id(7), 2);
	cr_assert_eq(vqt_used_id(0), 3);
	cr_assert_eq(vqt_used_len(0), 3);
}

/* --- notifications -------------------------------------------------------- */

Test(virtqueue_notify, no_interrupt_flag)
{
	vqt_init(16, false, false);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert(vqt.q.signalled_used_valid);
	cr_assert_eq(vqt.q.signalled_used, 1);
	vqt_set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 1);
	vqt_set_avail_flags(0);
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 2);
	/* used_event means nothing without EVENT_IDX. */
	vqt_set_used_event(100);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert(virtq_needs_interrupt(&vqt.q));
}

Test(virtqueue_notify, event_idx)
{
	vqt_init(16, true, false);
	/* Nothing signalled yet: always interrupt once. */
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 1);
	cr_assert(vqt.q.signalled_used_valid);

	/* Interrupt once the entry at index 3 is written (used idx 4). */
	vqt_set_used_event(3);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0); /* idx 2 */
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0); /* idx 3 */
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 1);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0); /* idx 4 */
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 4);
	/* Nothing new: no second interrupt. */
	cr_assert_not(virtq_needs_interrupt(&vqt.q));

	/* The avail flags bit is ignored with EVENT_IDX (2.7.7.2). */
	vqt_set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
	vqt_set_used_event(4);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0); /* idx 5 */
	cr_assert(virtq_needs_interrupt(&vqt.q));
	vqt_set_avail_flags(0);

	/* A batch: used_event inside the batch interrupts once. */
	vqt_set_used_event(7);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0); /* idx 9 */
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert_not(virtq_needs_interrupt(&vqt.q));

	/* An event behind us (driver busy polling): no interrupt. */
	vqt_set_used_event(2);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
}

/*
 * A window that ended silently still counts: the driver moved used_event
 * back into it after our check (as virtqueue_enable_cb_prepare() does);
 * the next push must interrupt.
 */
Test(virtqueue_notify, event_idx_window_since_last_interrupt)
{
	vqt_init(16, true, false);
	cr_assert(virtq_needs_interrupt(&vqt.q)); /* signalled = 0 */
	vqt_set_used_event(10);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	vqt_set_used_event(1);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert(virtq_needs_interrupt(&vqt.q));
}

Test(virtqueue_notify, event_idx_wraps)
{
	vqt_init(8, true, false);
	vqt_start_at(65533);
	vqt.q.signalled_used = 65533;
	vqt.q.signalled_used_valid = true;

	vqt_set_used_event(65535);
	cr_assert_eq(virtq_push_used(&vqt.q, 1, 0), 0); /* 65534 */
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(virtq_push_used(&vqt.q, 2, 0), 0); /* 65535 */
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(virtq_push_used(&vqt.q, 3, 0), 0); /* 0: wrote 65535 */
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 0);
	cr_assert_eq(vqt_used_idx(), 0);
	cr_assert_eq(vqt_used_id(7), 3); /* entry 65535 */

	vqt_set_used_event(1);
	cr_assert_eq(virtq_push_used(&vqt.q, 4, 0), 0); /* 1 */
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(virtq_push_used(&vqt.q, 5, 0), 0); /* 2 */
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 2);
}

/* A batch that straddles the wrap with used_event 0 inside it. */
Test(virtqueue_notify, event_idx_wrap_batch)
{
	vqt_init(8, true, false);
	vqt_start_at(65534);
	vqt.q.signalled_used = 65534;
	vqt.q.signalled_used_valid = true;
	vqt_set_used_event(0);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0); /* 1 */
	cr_assert(virtq_needs_interrupt(&vqt.q));
	/* used_event 65534 is now behind: nothing until the next lap. */
	vqt_set_used_event(65534);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert_not(virtq_needs_interrupt(&vqt.q));
}

/*
 * A driver that keeps used_event out of reach for 32768 completions
 * still gets one interrupt: the silent window never grows past what
 * 16-bit arithmetic can tell apart.
 */
Test(virtqueue_notify, event_idx_long_silence)
{
	unsigned int i;

	vqt_init(1, true, false);
	cr_assert(virtq_needs_interrupt(&vqt.q));
	for (i = 1; i < 0x8000; i++) {
		cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
		vqt_set_used_event((uint16_t)(i + 100));
		if (virtq_needs_interrupt(&vqt.q))
			cr_assert_fail("interrupt at %u", i);
	}
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 0), 0);
	cr_assert(virtq_needs_interrupt(&vqt.q));
	cr_assert_eq(vqt.q.signalled_used, 0x8000);
}

Test(virtqueue_notify, kicks_flags)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 1, 0, 0);
	virtq_disable_kicks(&vqt.q);
	cr_assert_eq(vqt_used_flags(), VIRTQ_USED_F_NO_NOTIFY);
	cr_assert_not(vqt_driver_kicks(0, 1));
	cr_assert_not(virtq_enable_kicks(&vqt.q));
	cr_assert_eq(vqt_used_flags(), 0);
	cr_assert(vqt_driver_kicks(0, 1));
	/* Avail arriving while disabled is seen on enable. */
	virtq_disable_kicks(&vqt.q);
	vqt_publish(0);
	cr_assert(virtq_enable_kicks(&vqt.q));
	cr_assert_eq(vqt_used_flags(), 0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_not(virtq_enable_kicks(&vqt.q));
	/* avail_event is not ours to write without EVENT_IDX. */
	cr_assert_eq(vqt_avail_event(), 0);
}

Test(virtqueue_notify, kicks_event_idx)
{
	unsigned int i;

	vqt_init(16, true, false);
	vqt_start_at(65534);
	for (i = 0; i < 4; i++)
		vqt_desc(i, VQT_BUF, 1, 0, 0);

	virtq_disable_kicks(&vqt.q);
	cr_assert_eq(vqt_used_flags(), 0, "flags stay 0 with EVENT_IDX");
	cr_assert_eq(vqt_avail_event(), 65533);
	/* No publish the driver can make while disabled kicks. */
	vqt_publish(0);
	cr_assert_not(vqt_driver_kicks(65534, 65535));
	vqt_publish(1);
	vqt_publish(2);
	cr_assert_not(vqt_driver_kicks(65535, 1));

	cr_assert(virtq_enable_kicks(&vqt.q));
	cr_assert_eq(vqt_avail_event(), 65534);
	for (i = 0; i < 3; i++)
		cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_not(virtq_enable_kicks(&vqt.q));
	cr_assert_eq(vqt_avail_event(), 1);
	/* Caught up, kicks on: the next publish kicks. */
	vqt_publish(3);
	cr_assert(vqt_driver_kicks(1, 2));
	cr_assert(virtq_has_avail(&vqt.q));
}

/* --- hostile drivers
 * ---------------------------------------------------------- */

Test(virtqueue_hostile, head_out_of_range)
{
	vqt_init(16, false, false);
	vqt_expect_broken(16);
}

Test(virtqueue_hostile, head_way_out_of_range)
{
	vqt_init(16, false, false);
	vqt_expect_broken(0xffff);
}

Test(virtqueue_hostile, next_out_of_range)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 1, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BUF, 1, VIRTQ_DESC_F_NEXT, 16);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, loop)
{
	vqt_init(16, false, false);
	vqt_desc(4, VQT_BUF, 1, VIRTQ_DESC_F_NEXT, 9);
	vqt_desc(9, VQT_BUF, 1, VIRTQ_DESC_F_NEXT, 4);
	vqt_expect_broken(4);
}

Test(virtqueue_hostile, self_loop)
{
	vqt_init(16, false, false);
	vqt_desc(2, VQT_BUF, 1, VIRTQ_DESC_F_NEXT, 2);
	vqt_expect_broken(2);
}

/* Every descriptor of a size-4 table, then back to the start: 5 > 4. */
Test(virtqueue_hostile, chain_longer_than_queue)
{
	unsigned int i;

	vqt_init(4, false, false);
	for (i = 0; i < 4; i++)
		vqt_desc(i, VQT_BUF, 0, VIRTQ_DESC_F_NEXT,
			 (uint16_t)((i + 1) % 4));
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, chain_longer_than_max)
{
	unsigned int i;

	vqt_init(2048, false, false);
	for (i = 0; i <= VIRTQ_MAX_CHAIN; i++)
		vqt_desc(i, VQT_BUF, 1,
			 i < VIRTQ_MAX_CHAIN ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, chain_longer_than_max_with_indirect)
{
	unsigned int i;

	vqt_init(16, false, true);
	for (i = 0; i < VIRTQ_MAX_CHAIN; i++)
		vqt_desc_at(VQT_IND, i, VQT_BUF, 1,
			    i + 1 < VIRTQ_MAX_CHAIN ? VIRTQ_DESC_F_NEXT : 0,
			    (uint16_t)(i + 1));
	vqt_desc(0, VQT_BUF, 1, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_IND, VIRTQ_MAX_CHAIN * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_not_negotiated)
{
	vqt_init(16, false, false);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, 0, 0);
	vqt_desc(0, VQT_IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_nested)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND + 0x100, 0, VQT_BUF, 16, 0, 0);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc_at(VQT_IND, 1, VQT_IND + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_desc(0, VQT_IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

/* A table pointing at itself would loop forever if nesting were allowed. */
Test(virtqueue_hostile, indirect_self)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND, 0, VQT_IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_desc(0, VQT_IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_with_next)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, 0, 0);
	vqt_desc(0, VQT_IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BUF, 16, 0, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_len_zero)
{
	vqt_init(16, false, true);
	vqt_desc(0, VQT_IND, 0, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_len_not_multiple)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, 0, 0);
	vqt_desc(0, VQT_IND, 24, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_too_many_entries)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, 0, 0);
	vqt_desc(0, VQT_IND, (VIRTQ_MAX_CHAIN + 1) * 16, VIRTQ_DESC_F_INDIRECT,
		 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_outside_ram)
{
	vqt_init(16, false, true);
	vqt_desc(0, 2ULL << 20, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_past_end_of_ram)
{
	uint64_t end2 = VQT_RAM2_GPA + VQT_RAM2;

	vqt_init(16, false, true);
	vqt_desc_at(end2 - 16, 0, VQT_BUF, 16, 0, 0);
	vqt_desc(0, end2 - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_crosses_regions)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_RAM - 16, 0, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc_at(VQT_RAM - 16, 1, VQT_BUF, 16, 0, 0);
	vqt_desc(0, VQT_RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_next_out_of_range)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc_at(VQT_IND, 1, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 2);
	vqt_desc_at(VQT_IND, 2, VQT_BUF, 16, 0, 0); /* beyond len */
	vqt_desc(0, VQT_IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, indirect_loop)
{
	vqt_init(16, false, true);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc_at(VQT_IND, 1, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	vqt_desc(0, VQT_IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, buffer_outside_ram)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, 3ULL << 30, 16, VIRTQ_DESC_F_WRITE, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, buffer_past_end_of_ram)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_RAM2_GPA + VQT_RAM2 - 16, 17, 0, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, buffer_address_wraps)
{
	vqt_init(16, false, false);
	vqt_desc(0, ~0ULL - 7, 16, VIRTQ_DESC_F_WRITE, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, buffer_crosses_regions)
{
	vqt_init(16, false, false);
	/* Contiguous in gpa, but two host buffers: one iovec cannot say it. */
	vqt_desc(0, VQT_RAM - 16, 32, 0, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, readable_after_writable)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	vqt_desc(2, VQT_BUF, 16, 0, 0);
	vqt_expect_broken(0);
}

/* Even an empty readable descriptor may not follow a writable one. */
Test(virtqueue_hostile, empty_readable_after_writable)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BUF, 0, 0, 0);
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, readable_after_writable_into_indirect)
{
	vqt_init(16, false, true);
	vqt_desc(0, VQT_BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vqt_desc_at(VQT_IND, 0, VQT_BUF, 16, 0, 0);
	vqt_expect_broken(0);
}

/* 2^32 bytes in total is the spec's limit, on the out and in sides alike. */
Test(virtqueue_hostile, length_limit)
{
	vqt_add_big();
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BIG_GPA, 0xffffffff, VIRTQ_DESC_F_NEXT, 1);
	vqt_desc(1, VQT_BIG_GPA + (4ULL << 30), 1, VIRTQ_DESC_F_WRITE, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt.c.out_len, 0xffffffffULL);
	cr_assert_eq(vqt.c.in_len, 1);
	cr_assert_eq(vqt.c.iov[0].iov_base, vqt.big);
	cr_assert_eq(vqt.c.iov[1].iov_base, (uint8_t *)vqt.big + (4ULL << 30));

	vqt_desc(2, VQT_BIG_GPA, 0xffffffff, VIRTQ_DESC_F_NEXT, 3);
	vqt_desc(3, VQT_BIG_GPA, 2, 0, 0);
	vqt_expect_broken(2);
}

Test(virtqueue_hostile, length_sum_huge)
{
	unsigned int i;

	vqt_add_big();
	vqt_init(16, false, false);
	for (i = 0; i < 16; i++)
		vqt_desc(i, VQT_BIG_GPA, 0xffffffff,
			 VIRTQ_DESC_F_WRITE | (i < 15 ? VIRTQ_DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
	vqt_expect_broken(0);
}

Test(virtqueue_hostile, avail_idx_jumps)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 1, 0, 0);
	vqt_publish(0);
	/* 17 entries ahead of a 16-entry ring. */
	vqt_put16(VQT_AVAIL + 2, 17);
	cr_assert(virtq_has_avail(&vqt.q));
	cr_assert_eq(vqt_pop(), VIRTQ_POP_BROKEN);
	vqt_assert_broken();
}

/* avail->idx going backwards is a jump of almost 65536. */
Test(virtqueue_hostile, avail_idx_goes_back)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 1, 0, 0);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	vqt_put16(VQT_AVAIL + 2, 0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_BROKEN);
	vqt_assert_broken();
}

/*
 * Broken is for good, but chains taken before the break can still be
 * completed and signalled.
 */
Test(virtqueue_hostile, broken_is_sticky)
{
	vqt_init(16, false, false);
	vqt_desc(0, VQT_BUF, 16, 0, 0);
	vqt_desc(1, VQT_BUF, 16, VIRTQ_DESC_F_NEXT, 99);
	vqt_publish(0);
	vqt_publish(1);
	vqt_publish(0);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_OK);
	cr_assert_eq(vqt_pop(), VIRTQ_POP_BROKEN);
	cr_assert_eq(vqt.q.last_avail_idx, 1);
	/* Repair it: still broken. */
	vqt_desc(1, VQT_BUF, 16, 0, 0);
	vqt_assert_broken();
	cr_assert_eq(vqt.q.last_avail_idx, 1);
	cr_assert_eq(virtq_push_used(&vqt.q, 0, 5), 0);
	cr_assert_eq(vqt_used_idx(), 1);
	cr_assert(virtq_needs_interrupt(&vqt.q));
	/* Only a new init clears it. */
	vqt_init(16, false, false);
	cr_assert_not(vqt.q.broken);
}
