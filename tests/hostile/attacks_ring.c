// SPDX-License-Identifier: MIT
/*
 * Split-ring abuse (virtio 1.2 2.7): every field of the descriptor table and
 * the avail ring is guest-controlled. Each attack publishes one bad chain on
 * queue 0 (the rng's request queue by preference) and accepts any defined
 * reaction: a completion with a sane length, NEEDS_RESET, or nothing.
 */
#include "scenario.h"

#define RESULT_MS 40

static void set_desc(struct vq *vq, unsigned int i, u64 addr, u32 len,
		     u16 flags, u16 next)
{
	struct vring_desc *de = vq_desc(vq, i);

	de->addr = addr;
	de->len = len;
	de->flags = flags;
	de->next = next;
}

/* A completion must never claim more bytes than the chain could hold. */
static enum result judge(struct vdev *d, struct vq *vq, u32 max_len,
			 char *facts, unsigned int size)
{
	u32 len;
	const char *o = outcome(d, vq, RESULT_MS, &len);

	if (!strncmp(o, "completed", 9) && len > max_len)
		return factf(facts, size, R_FAIL, "%s used.len=%u > %u", o, len,
			     max_len);
	return factf(facts, size, R_PASS, "%s len=%u", o, len);
}

static struct vq *up(struct vdev *d)
{
	if (!bring_up(d, 0))
		return NULL;
	return &d->vq[d->type == VIRTIO_ID_CONSOLE ? 1 : 0];
}

#define UP_OR_FAIL(d, vq)                                                      \
	struct vq *vq = up(d);                                                 \
	if (!vq)                                                               \
	return factf(facts, size, R_FAIL, "bring-up status=0x%x", v_status(d))

static u64 buf(struct vdev *d)
{
	return bufarea(d) + 0x10000;
}

static enum result desc_loop(struct vdev *d, char *facts, unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(vq, 1, buf(d), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 32, facts, size);
}

static enum result desc_self_loop(struct vdev *d, char *facts,
				  unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 3, buf(d), 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3);
	kick_head(d, vq, 3);
	return judge(d, vq, 8, facts, size);
}

static enum result head_out_of_range(struct vdev *d, char *facts,
				     unsigned int size)
{
	UP_OR_FAIL(d, vq);
	kick_head(d, vq, (u16)(vq->size + 7));
	kick_head(d, vq, 0xffff);
	return judge(d, vq, 0, facts, size);
}

static enum result next_out_of_range(struct vdev *d, char *facts,
				     unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
		 0xfffe);
	kick_head(d, vq, 0);
	return judge(d, vq, 16, facts, size);
}

static enum result len_huge(struct vdev *d, char *facts, unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 0xffffffffu, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 0xffffffffu, facts, size);
}

static enum result addr_beyond_ram(struct vdev *d, char *facts,
				   unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, 0x7ffffffff000ull, 64, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 64, facts, size);
}

static enum result addr_wraps(struct vdev *d, char *facts, unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, 0xffffffffffffff00ull, 0x200, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 0x200, facts, size);
}

/* Into the MMIO hole: LAPIC page and the device's own registers. */
static enum result addr_in_mmio(struct vdev *d, char *facts, unsigned int size)
{
	u64 own = vpci(d) ? (d->common ? d->common : 0xfec00000ull) : d->base;

	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, own, 64, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 64, facts, size);
}

static enum result straddles_ram_end(struct vdev *d, char *facts,
				     unsigned int size)
{
	/* 256 MiB guests: the last 32 bytes of RAM and 32 past it. */
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, 0x10000000ull - 32, 64, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 64, facts, size);
}

static enum result zero_len(struct vdev *d, char *facts, unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 0, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 0, facts, size);
}

static enum result readonly_buffer(struct vdev *d, char *facts,
				   unsigned int size)
{
	u8 *p = (u8 *)buf(d);
	unsigned int i;
	enum result r;

	UP_OR_FAIL(d, vq);
	memset(p, 0x5a, 64);
	set_desc(vq, 0, buf(d), 64, 0, 0);
	kick_head(d, vq, 0);
	r = judge(d, vq, 0, facts, size);
	/* The device must never write a buffer the driver marked readable. */
	for (i = 0; i < 64 && d->type != VIRTIO_ID_CONSOLE; i++)
		if (p[i] != 0x5a)
			return factf(facts, size, R_FAIL,
				     "device wrote read-only byte %u", i);
	return r;
}

static enum result writable_before_readable(struct vdev *d, char *facts,
					    unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(vq, 1, buf(d) + 64, 16, 0, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 32, facts, size);
}

static u64 itable(struct vdev *d)
{
	return bufarea(d) + 0x20000;
}

static enum result indirect_nested(struct vdev *d, char *facts,
				   unsigned int size)
{
	struct vring_desc *t = (void *)itable(d);

	UP_OR_FAIL(d, vq);
	t[0] = (struct vring_desc){ itable(d) + 256, 16, VRING_DESC_F_INDIRECT,
				    0 };
	t[16] = (struct vring_desc){ buf(d), 16, VRING_DESC_F_WRITE, 0 };
	set_desc(vq, 0, itable(d), 16, VRING_DESC_F_INDIRECT, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 16, facts, size);
}

static enum result indirect_len_odd(struct vdev *d, char *facts,
				    unsigned int size)
{
	struct vring_desc *t = (void *)itable(d);

	UP_OR_FAIL(d, vq);
	t[0] = (struct vring_desc){ buf(d), 16, VRING_DESC_F_WRITE, 0 };
	set_desc(vq, 0, itable(d), 17, VRING_DESC_F_INDIRECT, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 16, facts, size);
}

static enum result indirect_len_zero(struct vdev *d, char *facts,
				     unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, itable(d), 0, VRING_DESC_F_INDIRECT, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 0, facts, size);
}

static enum result indirect_huge(struct vdev *d, char *facts, unsigned int size)
{
	UP_OR_FAIL(d, vq);
	/* 2^28 entries claimed; the table runs off the end of RAM. */
	set_desc(vq, 0, itable(d), 0xfffffff0u, VRING_DESC_F_INDIRECT, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 0xffffffffu, facts, size);
}

static enum result indirect_loop(struct vdev *d, char *facts, unsigned int size)
{
	struct vring_desc *t = (void *)itable(d);

	UP_OR_FAIL(d, vq);
	t[0] = (struct vring_desc){ buf(d), 16,
				    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ buf(d), 16,
				    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0 };
	set_desc(vq, 0, itable(d), 32, VRING_DESC_F_INDIRECT, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 32, facts, size);
}

static enum result indirect_next_out(struct vdev *d, char *facts,
				     unsigned int size)
{
	struct vring_desc *t = (void *)itable(d);

	UP_OR_FAIL(d, vq);
	t[0] = (struct vring_desc){ buf(d), 16,
				    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 9 };
	set_desc(vq, 0, itable(d), 32, VRING_DESC_F_INDIRECT, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 32, facts, size);
}

static enum result indirect_with_next(struct vdev *d, char *facts,
				      unsigned int size)
{
	struct vring_desc *t = (void *)itable(d);

	UP_OR_FAIL(d, vq);
	t[0] = (struct vring_desc){ buf(d), 16, VRING_DESC_F_WRITE, 0 };
	set_desc(vq, 0, itable(d), 16,
		 VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(vq, 1, buf(d) + 64, 16, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 32, facts, size);
}

/* 4096 valid one-byte entries: longer than any queue. */
static enum result indirect_long_chain(struct vdev *d, char *facts,
				       unsigned int size)
{
	struct vring_desc *t = (void *)BIG_BASE;
	unsigned int i, n = 4096;

	UP_OR_FAIL(d, vq);
	for (i = 0; i < n; i++)
		t[i] = (struct vring_desc){ buf(d) + (i & 63), 1,
					    VRING_DESC_F_WRITE |
						(i + 1 < n ? VRING_DESC_F_NEXT
							   : 0),
					    (u16)(i + 1) };
	set_desc(vq, 0, BIG_BASE, n * 16, VRING_DESC_F_INDIRECT, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, n, facts, size);
}

static enum result avail_idx_jump(struct vdev *d, char *facts,
				  unsigned int size)
{
	u32 len;
	const char *o;
	unsigned int completions = 0;

	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 16, VRING_DESC_F_WRITE, 0);
	vq->avail_idx = (u16)(vq->avail_idx + 1000);
	mw16(vq->avail + 2, vq->avail_idx);
	mb();
	v_notify(d, vq->q);
	o = outcome(d, vq, RESULT_MS, &len);
	if (!strncmp(o, "completed", 9))
		completions = (u16)(vq_used_idx(vq) - (u16)(vq->last_used - 1));
	/* More completions than the ring has entries: the device ran away. */
	if (completions > vq->size)
		return factf(facts, size, R_FAIL, "%s completions=%u > size %u",
			     o, completions, vq->size);
	return factf(facts, size, R_PASS, "%s completions=%u", o, completions);
}

static enum result avail_idx_backwards(struct vdev *d, char *facts,
				       unsigned int size)
{
	u32 len;

	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 16, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	outcome(d, vq, RESULT_MS, &len);
	vq->avail_idx = (u16)(vq->avail_idx - 2);
	mw16(vq->avail + 2, vq->avail_idx);
	v_notify(d, vq->q);
	return judge(d, vq, 16, facts, size);
}

static enum result same_head_twice(struct vdev *d, char *facts,
				   unsigned int size)
{
	u32 len = 0;
	const char *o;

	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 16, VRING_DESC_F_WRITE, 0);
	mw16(vq->avail + 4, 0);
	mw16(vq->avail + 6, 0);
	vq->avail_idx = 2;
	mw16(vq->avail + 2, 2);
	mb();
	v_notify(d, vq->q);
	o = outcome(d, vq, RESULT_MS, &len);
	if (!strncmp(o, "completed", 9) && len > 16)
		return factf(facts, size, R_FAIL, "used.len=%u", len);
	return factf(facts, size, R_PASS, "%s", o);
}

/* The chain's buffer is the descriptor table itself. */
static enum result buffer_over_ring(struct vdev *d, char *facts,
				    unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, vq->desc, 16ull * vq->size, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 16u * vq->size, facts, size);
}

/* Descriptors rewritten with garbage right after each kick. */
static enum result desc_rewritten(struct vdev *d, char *facts,
				  unsigned int size)
{
	u64 seed = 0x1234567;
	unsigned int i, j;
	u32 len;

	UP_OR_FAIL(d, vq);
	for (i = 0; i < 32; i++) {
		set_desc(vq, 0, buf(d), 16, VRING_DESC_F_WRITE, 0);
		kick_head(d, vq, 0);
		for (j = 0; j < 4; j++) {
			u64 r = rnd_next(&seed);

			set_desc(vq, j, r & 0xffffffffffull, (u32)(r >> 20),
				 (u16)(r >> 40), (u16)r);
		}
	}
	delay_us(20000);
	while (vq_wait(vq, 0, NULL, &len))
		if (len > 0xffffffu)
			return factf(facts, size, R_FAIL, "used.len=%u", len);
	return factf(facts, size, R_PASS, "used=%u status=0x%x",
		     vq_used_idx(vq), v_status(d));
}

/* The driver scribbles on the used ring the device owns. */
static enum result used_ring_scribble(struct vdev *d, char *facts,
				      unsigned int size)
{
	unsigned int i;

	UP_OR_FAIL(d, vq);
	for (i = 0; i < 8; i++) {
		set_desc(vq, 0, buf(d), 16, VRING_DESC_F_WRITE, 0);
		kick_head(d, vq, 0);
		mw16(vq->used + 2, (u16)(0x8000 + i * 77));
		mw32(vq->used + 4, 0xffffffffu);
	}
	delay_us(20000);
	return factf(facts, size, R_PASS, "used.idx=%u status=0x%x",
		     vq_used_idx(vq), v_status(d));
}

/* EVENT_IDX with used_event far behind, ahead and NO_INTERRUPT flags. */
static enum result event_idx_games(struct vdev *d, char *facts,
				   unsigned int size)
{
	u64 ev = 1ull << VIRTIO_RING_F_EVENT_IDX;
	struct vq *vq;
	unsigned int i;
	u32 len;

	if (!(v_dev_features(d) & ev))
		return factf(facts, size, R_SKIP, "no-event-idx");
	if (!v_init(d, ev, d->type == VIRTIO_ID_CONSOLE ? 2 : 1))
		return factf(facts, size, R_FAIL, "init-with-event-idx");
	vq = &d->vq[d->type == VIRTIO_ID_CONSOLE ? 1 : 0];
	for (i = 0; i < 6; i++) {
		mw16(vq->avail, i & 1 ? VRING_AVAIL_F_NO_INTERRUPT : 0xffff);
		mw16(vq->avail + 4 + 2ull * vq->size, (u16)(i * 0x5555));
		set_desc(vq, 0, buf(d), 16,
			 d->type == VIRTIO_ID_CONSOLE ? 0 : VRING_DESC_F_WRITE,
			 0);
		kick_head(d, vq, 0);
		if (!vq_wait(vq, PATIENCE_MS, NULL, &len))
			return factf(facts, size, R_FAIL,
				     "request %u not completed", i);
	}
	return factf(facts, size, R_PASS, "6 completions");
}

/* The avail ring placed inside the used ring. */
static enum result rings_overlap_live(struct vdev *d, char *facts,
				      unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, vq->avail, 64, VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 64, facts, size);
}

static enum result flags_garbage(struct vdev *d, char *facts, unsigned int size)
{
	UP_OR_FAIL(d, vq);
	set_desc(vq, 0, buf(d), 16, 0xfff8 | VRING_DESC_F_WRITE, 0);
	kick_head(d, vq, 0);
	return judge(d, vq, 16, facts, size);
}

const struct scenario ring_scenarios[] = {
	{ "ring_desc_loop", ON_ANY, desc_loop },
	{ "ring_desc_self_loop", ON_ANY, desc_self_loop },
	{ "ring_head_out_of_range", ON_ANY, head_out_of_range },
	{ "ring_next_out_of_range", ON_ANY, next_out_of_range },
	{ "ring_len_huge", ON_ANY, len_huge },
	{ "ring_addr_beyond_ram", ON_ANY, addr_beyond_ram },
	{ "ring_addr_wraps", ON_ANY, addr_wraps },
	{ "ring_addr_in_mmio", ON_ANY, addr_in_mmio },
	{ "ring_straddles_ram_end", ON_ANY, straddles_ram_end },
	{ "ring_zero_len", ON_ANY, zero_len },
	{ "ring_readonly_buffer", ON_RNG, readonly_buffer },
	{ "ring_writable_before_readable", ON_ANY, writable_before_readable },
	{ "ring_flags_garbage", ON_ANY, flags_garbage },
	{ "ring_indirect_nested", ON_ANY, indirect_nested },
	{ "ring_indirect_len_odd", ON_ANY, indirect_len_odd },
	{ "ring_indirect_len_zero", ON_ANY, indirect_len_zero },
	{ "ring_indirect_huge", ON_ANY, indirect_huge },
	{ "ring_indirect_loop", ON_ANY, indirect_loop },
	{ "ring_indirect_next_out", ON_ANY, indirect_next_out },
	{ "ring_indirect_with_next", ON_ANY, indirect_with_next },
	{ "ring_indirect_long_chain", ON_ANY, indirect_long_chain },
	{ "ring_avail_idx_jump", ON_ANY, avail_idx_jump },
	{ "ring_avail_idx_backwards", ON_ANY, avail_idx_backwards },
	{ "ring_same_head_twice", ON_ANY, same_head_twice },
	{ "ring_buffer_over_ring", ON_ANY, buffer_over_ring },
	{ "ring_desc_rewritten", ON_ANY, desc_rewritten },
	{ "ring_used_scribble", ON_ANY, used_ring_scribble },
	{ "ring_event_idx_games", ON_ANY, event_idx_games },
	{ "ring_overlap_live", ON_ANY, rings_overlap_live },
};
const unsigned int nr_ring_scenarios =
    sizeof(ring_scenarios) / sizeof(ring_scenarios[0]);
