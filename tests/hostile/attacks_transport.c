// SPDX-License-Identifier: MIT
/*
 * Transport registers (virtio 1.2 chapter 4) on whichever transport the
 * device sits: the conformance rules a driver relies on, then the register
 * sequences no driver should ever write.
 */
#include "platform.h"
#include "scenario.h"

#define S_AD (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)
#define S_ADF (S_AD | VIRTIO_CONFIG_S_FEATURES_OK)

static unsigned int main_queue(struct vdev *d)
{
	return d->type == VIRTIO_ID_CONSOLE ? 1 : 0;
}

static enum result baseline(struct vdev *d, char *facts, unsigned int size)
{
	return dev_works(d, facts, size) ? R_PASS : R_FAIL;
}

static enum result status_sequence(struct vdev *d, char *facts,
				   unsigned int size)
{
	u8 s1, s2;

	if (!v_reset(d))
		return factf(facts, size, R_FAIL,
			     "reset never read back 0: 0x%x", v_status(d));
	v_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	s1 = v_status(d);
	v_set_status(d, S_AD);
	s2 = v_status(d);
	if (s1 != VIRTIO_CONFIG_S_ACKNOWLEDGE || s2 != S_AD)
		return factf(facts, size, R_FAIL, "status read back 0x%x 0x%x",
			     s1, s2);
	return factf(facts, size, R_PASS, "0->1->3");
}

/* 3.1.1: the device refuses FEATURES_OK for bits it did not offer. */
static enum result features_ok_refused(struct vdev *d, char *facts,
				       unsigned int size)
{
	u64 offered;
	u8 s;

	v_reset(d);
	v_set_status(d, S_AD);
	offered = v_dev_features(d);
	if (offered == ~0ull)
		return factf(facts, size, R_SKIP, "every bit offered");
	v_set_features(d, ~0ull);
	v_set_status(d, S_ADF);
	s = v_status(d);
	if (s & VIRTIO_CONFIG_S_FEATURES_OK)
		return factf(facts, size, R_FAIL,
			     "accepted unoffered bits: status=0x%x", s);
	return factf(facts, size, R_PASS, "offered=0x%lx status=0x%x", offered,
		     s);
}

static enum result features_without_version1(struct vdev *d, char *facts,
					     unsigned int size)
{
	u8 s;

	v_reset(d);
	v_set_status(d, S_AD);
	v_set_features(d, 0);
	v_set_status(d, S_ADF);
	s = v_status(d);
	if ((s & ~VIRTIO_CONFIG_S_FEATURES_OK) != S_AD)
		return factf(facts, size, R_FAIL, "status=0x%x", s);
	return factf(facts, size, R_PASS, "status=0x%x", s);
}

/*
 * Features are frozen once FEATURES_OK is set, for legacy once DRIVER_OK is
 * (only PCI lets the driver read them back).
 */
static enum result features_frozen(struct vdev *d, char *facts,
				   unsigned int size)
{
	u64 before, after;

	if (vlegacy(d) ? !bring_up(d, 0) : v_negotiate(d, 0) != 0)
		return factf(facts, size, R_FAIL, "negotiate");
	before = v_drv_features(d);
	v_set_features(d, v_dev_features(d));
	after = v_drv_features(d);
	if (before != after)
		return factf(facts, size, R_FAIL,
			     "features changed 0x%lx -> 0x%lx", before, after);
	return factf(facts, size, R_PASS, "0x%lx", after);
}

static enum result status_backwards(struct vdev *d, char *facts,
				    unsigned int size)
{
	struct buf b = { bufarea(d), 16, d->type != VIRTIO_ID_CONSOLE };
	struct vq *vq;
	u32 len;
	const char *o;
	u8 s;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	vq = &d->vq[main_queue(d)];
	v_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	s = v_status(d);
	vq_submit(d, vq, &b, 1);
	o = outcome(d, vq, 30, &len);
	if (s & VIRTIO_CONFIG_S_FEATURES_OK && vlegacy(d))
		return factf(facts, size, R_FAIL,
			     "legacy device invented FEATURES_OK");
	return factf(facts, size, R_PASS, "status=0x%x then %s", s, o);
}

static enum result driver_ok_without_features_ok(struct vdev *d, char *facts,
						 unsigned int size)
{
	struct buf b = { bufarea(d), 16, d->type != VIRTIO_ID_CONSOLE };
	struct vq *vq = &d->vq[main_queue(d)];
	u32 len;
	const char *o;
	u8 s;

	v_reset(d);
	v_set_status(d, S_AD);
	v_set_features(d, 1ull << VIRTIO_F_VERSION_1);
	d->nq = main_queue(d) + 1;
	v_setup_queue(d, 0, 0);
	if (main_queue(d))
		v_setup_queue(d, 1, 0);
	v_set_status(d, S_AD | VIRTIO_CONFIG_S_DRIVER_OK);
	s = v_status(d);
	vq_submit(d, vq, &b, 1);
	o = outcome(d, vq, 30, &len);
	if (s & VIRTIO_CONFIG_S_FEATURES_OK)
		return factf(facts, size, R_FAIL,
			     "device set FEATURES_OK itself: 0x%x", s);
	return factf(facts, size, R_PASS, "status=0x%x then %s", s, o);
}

/* Requests must not be processed before DRIVER_OK (3.1.1). */
static enum result notify_before_driver_ok(struct vdev *d, char *facts,
					   unsigned int size)
{
	struct buf b = { bufarea(d), 16, d->type != VIRTIO_ID_CONSOLE };
	struct vq *vq = &d->vq[main_queue(d)];

	if (v_negotiate(d, 0))
		return factf(facts, size, R_FAIL, "negotiate");
	v_setup_queue(d, 0, 0);
	if (main_queue(d))
		v_setup_queue(d, 1, 0);
	vq_submit(d, vq, &b, 1);
	if (vq_wait(vq, 30, NULL, NULL))
		return factf(facts, size, R_FAIL,
			     "request completed before DRIVER_OK");
	return factf(facts, size, R_PASS, "not processed");
}

static enum result queue_select_out_of_range(struct vdev *d, char *facts,
					     unsigned int size)
{
	static const u32 sel[] = { 0x7fff, 0xffff, 0x100, 0x10000, 0xffffffff };
	unsigned int i;

	v_negotiate(d, 0);
	for (i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
		u16 max = v_queue_max(d, sel[i]);

		if (vpci(d) && sel[i] > 0xffff)
			continue; /* 16-bit register: the value wraps to a real
				     queue */
		if (max)
			return factf(facts, size, R_FAIL,
				     "queue 0x%x has size %u", sel[i], max);
		v_queue_size(d, 16);
		v_queue_addrs(d, bufarea(d), bufarea(d) + 0x1000,
			      bufarea(d) + 0x2000);
		v_queue_enable(d, vlegacy(d) ? (u32)(bufarea(d) >> 12) : 1);
		if (v_queue_ready(d))
			return factf(facts, size, R_FAIL,
				     "queue 0x%x became ready", sel[i]);
		v_notify(d, sel[i]);
	}
	return factf(facts, size, R_PASS, "sizes 0, never ready");
}

static enum result queue_size_bad(struct vdev *d, char *facts,
				  unsigned int size)
{
	static const u32 bad[] = { 0, 3, 0xffff, 0x8000, 100 };
	u16 max, now;
	unsigned int i;

	v_negotiate(d, 0);
	max = v_queue_max(d, 0);
	v_queue_size(d, max);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		v_queue_size(d, bad[i] == 0x8000 ? (u32)max * 2 : bad[i]);
	now = v_queue_size_read(d);
	if (d->kind == VK_PCI && now != max)
		return factf(facts, size, R_FAIL,
			     "queue_size %u after bad writes (max %u)", now,
			     max);
	return factf(facts, size, R_PASS, "max=%u size=%u", max, now);
}

static u32 read_desc_lo(struct vdev *d)
{
	if (d->kind == VK_PCI)
		return mr32(d->common + VIRTIO_PCI_COMMON_Q_DESCLO);
	return mr32(d->base + VIRTIO_MMIO_QUEUE_DESC_LOW);
}

/* Once enabled, a queue's addresses are frozen; enable=0 is not a reset. */
static enum result queue_enable_twice(struct vdev *d, char *facts,
				      unsigned int size)
{
	struct buf b = { bufarea(d), 16, d->type != VIRTIO_ID_CONSOLE };
	struct vq *vq;
	u32 lo0, lo1, len;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	vq = &d->vq[main_queue(d)];
	v_select(d, vq->q);
	lo0 = read_desc_lo(d);
	v_queue_enable(d, 1);
	v_queue_enable(d, 0);
	v_queue_addrs(d, 0xdead0000, 0xdead1000, 0xdead2000);
	v_queue_size(d, 2);
	lo1 = read_desc_lo(d);
	if (lo0 != lo1)
		return factf(facts, size, R_FAIL, "desc moved 0x%x -> 0x%x",
			     lo0, lo1);
	vq_submit(d, vq, &b, 1);
	if (!vq_wait(vq, PATIENCE_MS, NULL, &len))
		return factf(facts, size, R_FAIL,
			     "queue dead after enable games");
	return factf(facts, size, R_PASS, "frozen, works");
}

static enum result queue_addr_bad(struct vdev *d, char *facts,
				  unsigned int size, u64 desc, u64 avail,
				  u64 used)
{
	struct vq *vq = &d->vq[main_queue(d)];
	u16 q = (u16)main_queue(d);
	u8 s;

	if (v_negotiate(d, 0))
		return factf(facts, size, R_FAIL, "negotiate");
	d->nq = q + 1u;
	if (q)
		v_setup_queue(d, 0, 0);
	v_setup_queue(d, q, 0);
	/* Re-point the live layout before the queue is used. */
	v_select(d, q);
	v_queue_enable(d, 0);
	if (!vlegacy(d)) {
		/* Enabled already: addresses are frozen; start again on a fresh
		 * reset. */
		v_reset(d);
		v_negotiate(d, 0);
		if (q)
			v_setup_queue(d, 0, 0);
		v_select(d, q);
		v_queue_size(d, vq->size);
		v_queue_addrs(d, desc, avail, used);
		v_queue_enable(d, 1);
	} else {
		v_queue_enable(d, (u32)(desc >> 12));
	}
	v_set_status(d, S_ADF | VIRTIO_CONFIG_S_DRIVER_OK);
	v_notify(d, q);
	v_notify(d, q);
	delay_us(20000);
	s = v_status(d);
	return factf(facts, size, R_PASS, "status=0x%x", s);
}

static enum result queue_addr_beyond_ram(struct vdev *d, char *facts,
					 unsigned int size)
{
	return queue_addr_bad(d, facts, size, 0x7fff00000000ull,
			      0x7fff00001000ull, 0x7fff00002000ull);
}

static enum result queue_addr_mmio(struct vdev *d, char *facts,
				   unsigned int size)
{
	return queue_addr_bad(d, facts, size, 0xfee00000ull, 0xfec00000ull,
			      vpci(d) && d->common ? d->common : d->base);
}

static enum result queue_addr_unaligned(struct vdev *d, char *facts,
					unsigned int size)
{
	u64 b = arena(d) + 0x60000;

	return queue_addr_bad(d, facts, size, b + 1, b + 0x801, b + 0x1003);
}

static enum result queue_rings_same(struct vdev *d, char *facts,
				    unsigned int size)
{
	u64 b = arena(d) + 0x60000;

	memset((void *)b, 0, 0x2000);
	return queue_addr_bad(d, facts, size, b, b, b);
}

static enum result queue_straddles_ram_end(struct vdev *d, char *facts,
					   unsigned int size)
{
	return queue_addr_bad(d, facts, size, 0x10000000ull - 0x100,
			      0x10000000ull - 0x40, 0x10000000ull - 0x10);
}

/* Legacy: PFNs past RAM, into the hole, page size and align abuse (MMIO v1). */
static enum result legacy_pfn_abuse(struct vdev *d, char *facts,
				    unsigned int size)
{
	static const u32 pfn[] = { 0xffffffff, 0xfee00, 0xfffff, 0x10000 - 1,
				   0x80000000 };
	unsigned int i;

	v_negotiate(d, 0);
	for (i = 0; i < sizeof(pfn) / sizeof(pfn[0]); i++) {
		v_select(d, 0);
		if (d->kind == VK_MMIO_LEGACY) {
			mw32(d->base + VIRTIO_MMIO_GUEST_PAGE_SIZE,
			     i & 1 ? 0 : 0x80000000u);
			mw32(d->base + VIRTIO_MMIO_QUEUE_ALIGN,
			     i & 1 ? 3 : 0x80000000u);
			mw32(d->base + VIRTIO_MMIO_QUEUE_NUM,
			     i & 1 ? 0x8000 : 1);
		}
		v_queue_enable(d, pfn[i]);
		v_set_status(d, S_AD | VIRTIO_CONFIG_S_DRIVER_OK);
		v_notify(d, 0);
		v_notify(d, 0);
		v_set_status(d, S_AD);
	}
	delay_us(10000);
	return factf(facts, size, R_PASS, "status=0x%x", v_status(d));
}

/*
 * A thousand kicks with nothing new, some at queues that do not exist (each
 * kick costs ~5 ms in the nested test host under ASan: not more).
 */
#define FLOOD_KICKS 1000
static enum result notify_flood(struct vdev *d, char *facts, unsigned int size)
{
	unsigned int i;
	u64 t0 = rdtsc();

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	for (i = 0; i < FLOOD_KICKS; i++)
		v_notify(d, i & 255 ? 0 : i);
	return factf(facts, size, R_PASS, "%u kicks in %lu ms", FLOOD_KICKS,
		     (rdtsc() - t0) / tsc_per_ms);
}

/* After a reset the device must not touch the rings of the old session. */
static enum result reset_with_inflight(struct vdev *d, char *facts,
				       unsigned int size)
{
	struct buf b = { bufarea(d), 4096, d->type != VIRTIO_ID_CONSOLE };
	struct vq *vq;
	unsigned int i;
	u16 idx;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	vq = &d->vq[main_queue(d)];
	for (i = 0; i < 4; i++) {
		vq_submit(d, vq, &b, 1);
		v_reset(d);
		memset((void *)vq->used, 0, 64);
		delay_us(5000);
		idx = vq_used_idx(vq);
		if (idx)
			return factf(facts, size, R_FAIL,
				     "used.idx=%u written after reset", idx);
		bring_up(d, 0);
	}
	return factf(facts, size, R_PASS, "no writes after reset");
}

static enum result config_generation(struct vdev *d, char *facts,
				     unsigned int size)
{
	u32 g0, g1, g2;

	bring_up(d, 0);
	g0 = v_cfg_gen(d);
	(void)v_cfg_read(d, 0, 4);
	g1 = v_cfg_gen(d);
	v_reset(d);
	g2 = v_cfg_gen(d);
	if (g0 != g1)
		return factf(facts, size, R_FAIL,
			     "generation moved without a change: %u %u", g0,
			     g1);
	return factf(facts, size, R_PASS, "gen=%u after-reset=%u", g0, g2);
}

/* Bytes past the device-specific config read as defined values, stably. */
static enum result config_out_of_range(struct vdev *d, char *facts,
				       unsigned int size)
{
	unsigned int cfg =
	    d->type == VIRTIO_ID_BLOCK ? sizeof(struct vring_desc) * 4 : 0;
	unsigned int off, lim = vpci(d) ? 0x100 : 0x100, odd = 0;

	if (d->type == VIRTIO_ID_BLOCK)
		cfg = 0x40;
	else if (d->type == VIRTIO_ID_CONSOLE)
		cfg = 12;
	if (d->kind == VK_PCI_LEGACY)
		lim = 0xe0; /* the I/O BAR is 256 bytes */
	for (off = cfg; off < lim; off += 4) {
		u32 a = v_cfg_read(d, off, 4), b = v_cfg_read(d, off, 4);
		u32 c = v_cfg_read(d, off, 1);

		if (a != b || (a != 0 && a != 0xffffffffu) ||
		    (c != 0 && c != 0xff))
			odd++;
		v_cfg_write(d, off, 4, 0xa5a5a5a5u);
		if (v_cfg_read(d, off, 4) == 0xa5a5a5a5u)
			odd++;
	}
	if (odd)
		return factf(facts, size, R_FAIL,
			     "%u undefined/writable words past config %u", odd,
			     cfg);
	return factf(facts, size, R_PASS, "[%u,%u) zero", cfg, lim);
}

/* ISR: read-to-clear on PCI; on MMIO it stays until InterruptACK. */
static enum result isr_semantics(struct vdev *d, char *facts, unsigned int size)
{
	struct buf b = { bufarea(d), 16, d->type != VIRTIO_ID_CONSOLE };
	struct vq *vq;
	u8 i1, i2, i3;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	vq = &d->vq[main_queue(d)];
	(void)v_isr(d);
	v_isr_ack(d, 3);
	vq_submit(d, vq, &b, 1);
	if (!vq_wait(vq, PATIENCE_MS, NULL, NULL))
		return factf(facts, size, R_FAIL, "no completion");
	delay_us(2000);
	i1 = v_isr(d);
	i2 = v_isr(d);
	v_isr_ack(d, 1);
	i3 = v_isr(d);
	if (!(i1 & 1))
		return factf(facts, size, R_FAIL,
			     "ISR bit 0 not set after a completion: 0x%x", i1);
	if (vpci(d) && i2)
		return factf(facts, size, R_FAIL,
			     "ISR not cleared by reading: 0x%x", i2);
	if (!vpci(d) && (!(i2 & 1) || i3))
		return factf(facts, size, R_FAIL,
			     "MMIO status 0x%x then 0x%x after ACK", i2, i3);
	return factf(facts, size, R_PASS, "isr 0x%x 0x%x 0x%x", i1, i2, i3);
}

/* MMIO registers are 32-bit: narrower or wider accesses do nothing. */
static enum result mmio_bad_widths(struct vdev *d, char *facts,
				   unsigned int size)
{
	u32 off, odd = 0;

	v_reset(d);
	for (off = 0; off < 0x100; off += 4) {
		u32 b = mr8(d->base + off), w = mr16(d->base + off + 2);

		if (b || w)
			odd++;
	}
	mw8(d->base + VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mw16(d->base + VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mw64(d->base + VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	(void)mr64(d->base + VIRTIO_MMIO_MAGIC_VALUE);
	if (v_status(d) & ~VIRTIO_CONFIG_S_ACKNOWLEDGE)
		odd++;
	if (odd)
		return factf(facts, size, R_FAIL,
			     "%u narrow accesses had effect", odd);
	return factf(facts, size, R_PASS, "status=0x%x", v_status(d));
}

static enum result mmio_identity(struct vdev *d, char *facts, unsigned int size)
{
	u32 magic = mr32(d->base), ver = mr32(d->base + 4),
	    vendor = mr32(d->base + 12);
	u32 qmax0 = v_queue_max(d, 0), qmaxx = v_queue_max(d, 200);

	if (magic != 0x74726976 || (ver != 1 && ver != 2) || !qmax0 || qmaxx)
		return factf(facts, size, R_FAIL,
			     "magic=0x%x ver=%u qmax=%u/%u", magic, ver, qmax0,
			     qmaxx);
	if (ver == 2) {
		mw32(d->base + VIRTIO_MMIO_SHM_SEL, 0);
		if (mr32(d->base + VIRTIO_MMIO_SHM_LEN_LOW) != 0xffffffffu)
			return factf(facts, size, R_FAIL,
				     "shm len not all-ones");
	}
	return factf(facts, size, R_PASS, "v%u vendor=0x%x qmax=%u", ver,
		     vendor, qmax0);
}

/* 4.1.4.4: an even multiplier (or 0); every queue's notify address fits. */
static enum result pci_notify_multiplier(struct vdev *d, char *facts,
					 unsigned int size)
{
	u32 m = d->notify_mult, q, noff;

	if (m & 1)
		return factf(facts, size, R_FAIL, "odd multiplier %u", m);
	for (q = 0; q < mr16(d->common + VIRTIO_PCI_COMMON_NUMQ); q++) {
		v_select(d, q);
		noff = mr16(d->common + VIRTIO_PCI_COMMON_Q_NOFF);
		if ((u64)noff * m + 2 > 0x1000)
			return factf(facts, size, R_FAIL,
				     "queue %u notify offset %u", q, noff * m);
	}
	return factf(facts, size, R_PASS, "multiplier=%u queues=%u", m,
		     mr16(d->common + VIRTIO_PCI_COMMON_NUMQ));
}

/* 4.1.4.3/4.1.5.1.2: a vector the table lacks reads back as NO_VECTOR. */
static enum result msix_vector_readback(struct vdev *d, char *facts,
					unsigned int size)
{
	u16 c1, q1, c0;

	if (!d->msix_cap)
		return factf(facts, size, R_SKIP, "no MSI-X");
	bring_up(d, 0);
	pci_write(d->pdev, d->pfn, d->msix_cap + 2, 2, 0x8000);
	v_set_vectors(d, (u16)(d->msix_n + 5), 0x7ff0);
	if (d->kind == VK_PCI) {
		c1 = mr16(d->common + VIRTIO_PCI_COMMON_MSIX);
		v_select(d, 0);
		q1 = mr16(d->common + VIRTIO_PCI_COMMON_Q_MSIX);
		mw16(d->common + VIRTIO_PCI_COMMON_MSIX, 0);
		c0 = mr16(d->common + VIRTIO_PCI_COMMON_MSIX);
	} else {
		c1 = inw((u16)(d->io + VIRTIO_MSI_CONFIG_VECTOR));
		v_select(d, 0);
		q1 = inw((u16)(d->io + VIRTIO_MSI_QUEUE_VECTOR));
		outw((u16)(d->io + VIRTIO_MSI_CONFIG_VECTOR), 0);
		c0 = inw((u16)(d->io + VIRTIO_MSI_CONFIG_VECTOR));
	}
	v_set_vectors(d, VIRTIO_MSI_NO_VECTOR, VIRTIO_MSI_NO_VECTOR);
	pci_write(d->pdev, d->pfn, d->msix_cap + 2, 2, 0);
	if (c1 != VIRTIO_MSI_NO_VECTOR || q1 != VIRTIO_MSI_NO_VECTOR || c0 != 0)
		return factf(facts, size, R_FAIL,
			     "read back cfg=0x%x queue=0x%x valid=0x%x", c1, q1,
			     c0);
	return factf(facts, size, R_PASS, "NO_VECTOR on bad, 0 kept");
}

static enum result device_status_garbage(struct vdev *d, char *facts,
					 unsigned int size)
{
	static const u8 seq[] = { 0xff, 0x80, 0x40, 0x7f, 0x04, 0x0f, 0xfe };
	unsigned int i;

	for (i = 0; i < sizeof(seq); i++) {
		v_set_status(d, seq[i]);
		v_notify(d, 0);
	}
	return factf(facts, size, R_PASS, "status=0x%x", v_status(d));
}

/*
 * virtio-blk config (5.2.4): fields where the UAPI struct puts them, the
 * same bytes whatever the access width, and on legacy PCI moved by 4 bytes
 * when MSI-X is on (4.1.4.8).
 */
static enum result blk_config_layout(struct vdev *d, char *facts,
				     unsigned int size)
{
	u64 f = v_dev_features(d),
	    cap = v_cfg_read(d, 0, 4) | (u64)v_cfg_read(d, 4, 4) << 32;
	u64 bytes = 0;
	const char *want = boot.cmdline;
	unsigned int i;

	for (i = 0; i < 8; i++)
		bytes |= (u64)v_cfg_read(d, i, 1) << (8 * i);
	if (!cap || bytes != cap)
		return factf(facts, size, R_FAIL,
			     "capacity 0x%lx, bytewise 0x%lx", cap, bytes);
	/* hostile.blk_sectors=N: the host says how big the image is. */
	while (want && *want && strncmp(want, "hostile.blk_sectors=", 20))
		want++;
	if (want && *want && parse_u64(want + 20, NULL) != cap)
		return factf(facts, size, R_FAIL,
			     "capacity %lu, image has %lu sectors", cap,
			     parse_u64(want + 20, NULL));
	if (f & (1ull << 1) && !v_cfg_read(d, 8, 4))
		return factf(facts, size, R_FAIL,
			     "SIZE_MAX offered, size_max 0");
	if (f & (1ull << 2) && !v_cfg_read(d, 12, 4))
		return factf(facts, size, R_FAIL, "SEG_MAX offered, seg_max 0");
	if (f & (1ull << 6)) {
		u32 bs = v_cfg_read(d, 20, 4);

		if (bs < 512 || (bs & (bs - 1)))
			return factf(facts, size, R_FAIL, "blk_size %u", bs);
	}
	if (d->kind == VK_PCI_LEGACY && d->msix_cap) {
		u32 lo;

		pci_write(d->pdev, d->pfn, d->msix_cap + 2, 2, 0x8000);
		lo = v_cfg_read(d, 0, 4); /* now at 24 */
		pci_write(d->pdev, d->pfn, d->msix_cap + 2, 2, 0);
		if (lo != (u32)cap)
			return factf(facts, size, R_FAIL,
				     "with MSI-X capacity reads 0x%x", lo);
	}
	return factf(facts, size, R_PASS, "capacity=%lu features=0x%lx", cap,
		     f);
}

const struct scenario transport_scenarios[] = {
	{ "baseline_rng", ON_RNG, baseline },
	{ "baseline_blk", ON_BLK, baseline },
	{ "baseline_console", ON_CONSOLE, baseline },
	{ "conf_status_sequence", ON_ANY, status_sequence },
	{ "conf_features_ok_refused", ON_MODERN, features_ok_refused },
	{ "conf_features_frozen", ON_PCI, features_frozen },
	{ "conf_notify_before_driver_ok", ON_ANY, notify_before_driver_ok },
	{ "conf_config_generation", ON_MODERN, config_generation },
	{ "conf_isr_semantics", ON_ANY, isr_semantics },
	{ "conf_mmio_identity", ON_MMIO, mmio_identity },
	{ "conf_pci_notify_multiplier", ON_PCI_MODERN, pci_notify_multiplier },
	{ "conf_msix_vector_readback", ON_PCI, msix_vector_readback },
	{ "conf_queue_enable_frozen", ON_MODERN, queue_enable_twice },
	{ "conf_config_out_of_range", ON_ANY, config_out_of_range },
	{ "conf_blk_config_layout", ON_BLK, blk_config_layout },
	{ "reg_features_without_version1", ON_MODERN,
	  features_without_version1 },
	{ "reg_status_backwards", ON_ANY, status_backwards },
	{ "reg_status_garbage", ON_ANY, device_status_garbage },
	{ "reg_driver_ok_without_features_ok", ON_MODERN,
	  driver_ok_without_features_ok },
	{ "reg_queue_select_out_of_range", ON_ANY, queue_select_out_of_range },
	{ "reg_queue_size_bad", ON_ANY, queue_size_bad },
	{ "reg_queue_addr_beyond_ram", ON_ANY, queue_addr_beyond_ram },
	{ "reg_queue_addr_mmio", ON_ANY, queue_addr_mmio },
	{ "reg_queue_addr_unaligned", ON_MODERN, queue_addr_unaligned },
	{ "reg_queue_rings_same", ON_MODERN, queue_rings_same },
	{ "reg_queue_straddles_ram_end", ON_ANY, queue_straddles_ram_end },
	{ "reg_legacy_pfn_abuse", ON_LEGACY, legacy_pfn_abuse },
	{ "reg_notify_flood", ON_ANY, notify_flood },
	{ "reg_reset_with_inflight", ON_ANY, reset_with_inflight },
	{ "reg_mmio_bad_widths", ON_MMIO, mmio_bad_widths },
};
const unsigned int nr_transport_scenarios =
    sizeof(transport_scenarios) / sizeof(transport_scenarios[0]);
