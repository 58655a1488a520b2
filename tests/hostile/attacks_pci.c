// SPDX-License-Identifier: MIT
/*
 * PCI configuration space, BARs and MSI-X, and the interrupts a completion
 * must raise (MSI-X on PCI, the IOAPIC pin on MMIO), observed through our
 * own IDT rather than assumed.
 */
#include "platform.h"
#include "scenario.h"

#define MSIX_ENABLE 0x8000
#define MSIX_FMASK 0x4000

struct fn {
	unsigned int dev, fn;
};

/*
 * Functions we may scribble on: virtio devices and vireo's host bridge.
 * Other firmware's chipset functions (QEMU's q35 PAM/PCIEXBAR registers)
 * would unmap the BIOS area or the ECAM under us.
 */
static bool ours(u32 id)
{
	return (id & 0xffff) == 0x1af4 || id == 0x00081b36u;
}

static unsigned int functions(struct fn *out, unsigned int max)
{
	unsigned int dev, f, n = 0;

	for (dev = 0; dev < 32; dev++)
		for (f = 0; f < 8 && n < max; f++) {
			u32 id = pci_read(dev, f, 0, 4);

			if ((id & 0xffff) == 0xffff || !id) {
				if (!f)
					break;
				continue;
			}
			if (ours(id))
				out[n++] = (struct fn){ dev, f };
			if (!f && !(pci_read(dev, f, 0x0e, 1) & 0x80))
				break;
		}
	return n;
}

/*
 * Every dword of every function: a random value, read back, restore. The
 * space must read back exactly as it was (but for W1C status bits).
 */
static enum result cfg_random_dwords(struct vdev *d, char *facts,
				     unsigned int size)
{
	struct fn f[16];
	unsigned int n = functions(f, 16), i, off, diffs = 0;
	u64 seed = 42;

	(void)d;
	for (i = 0; i < n; i++) {
		u32 save[64];

		for (off = 0; off < 256; off += 4)
			save[off / 4] = pci_read(f[i].dev, f[i].fn, off, 4);
		for (off = 0; off < 256; off += 4) {
			pci_write(f[i].dev, f[i].fn, off, 4,
				  (u32)rnd_next(&seed));
			(void)pci_read(f[i].dev, f[i].fn, off, 4);
			pci_write(f[i].dev, f[i].fn, off, 4, save[off / 4]);
		}
		for (off = 0; off < 256; off += 4) {
			u32 v = pci_read(f[i].dev, f[i].fn, off, 4);
			u32 mask = off == 4 ? 0x0000ffffu : 0xffffffffu;

			if ((v ^ save[off / 4]) & mask)
				diffs++;
		}
	}
	if (diffs)
		return factf(facts, size, R_FAIL,
			     "%u dwords differ after restore", diffs);
	return factf(facts, size, R_PASS, "%u functions, 64 dwords each", n);
}

/* BAR sizing on every BAR: a power-of-two size, then restored. */
static enum result cfg_bar_sizing(struct vdev *d, char *facts,
				  unsigned int size)
{
	struct fn f[16];
	unsigned int n = functions(f, 16), i, b, bars = 0;

	(void)d;
	for (i = 0; i < n; i++)
		for (b = 0; b < 6; b++) {
			unsigned int off = 0x10 + 4 * b;
			u32 save = pci_read(f[i].dev, f[i].fn, off, 4), m;

			pci_write(f[i].dev, f[i].fn, off, 4, 0xffffffffu);
			m = pci_read(f[i].dev, f[i].fn, off, 4);
			pci_write(f[i].dev, f[i].fn, off, 4, save);
			if (pci_read(f[i].dev, f[i].fn, off, 4) != save)
				return factf(facts, size, R_FAIL,
					     "%u.%u BAR%u not restored",
					     f[i].dev, f[i].fn, b);
			if (!m)
				continue;
			m &= save & 1 ? ~3u : ~0xfu;
			if (m && (~m + 1) & ~m)
				return factf(facts, size, R_FAIL,
					     "%u.%u BAR%u mask 0x%x", f[i].dev,
					     f[i].fn, b, m);
			bars++;
		}
	return factf(facts, size, R_PASS, "%u BARs sized", bars);
}

/* 1/2/4-byte reads everywhere agree between 0xCF8 and ECAM. */
static enum result cfg_widths(struct vdev *d, char *facts, unsigned int size)
{
	struct fn f[16];
	unsigned int n = functions(f, 16), i, off, len, bad = 0;

	(void)d;
	if (!plat.ecam)
		return factf(facts, size, R_SKIP, "no ECAM");
	for (i = 0; i < n; i++)
		for (len = 1; len <= 4; len *= 2)
			for (off = 0; off < 256; off += len) {
				u32 a =
				    pci_cf8_read(f[i].dev, f[i].fn, off, len);
				u32 b =
				    pci_ecam_read(f[i].dev, f[i].fn, off, len);

				/* The MSI-X PBA/ISR-like registers do not live
				 * here: equal. */
				if (a != b && off != 0x06)
					bad++;
			}
	for (i = 0; i < n; i++)
		for (off = 0x100; off < 0x1000; off += 0x3fc) {
			u32 v = pci_ecam_read(f[i].dev, f[i].fn, off, 4);

			if (v && v != 0xffffffffu)
				bad++;
		}
	if (bad)
		return factf(facts, size, R_FAIL, "%u mismatches", bad);
	return factf(facts, size, R_PASS, "%u functions agree", n);
}

static enum result cfg_absent(struct vdev *d, char *facts, unsigned int size)
{
	static const struct fn absent[] = {
		{ 31, 0 }, { 31, 7 }, { 20, 3 }, { 0, 5 }
	};
	unsigned int i;

	(void)d;
	for (i = 0; i < 4; i++) {
		pci_write(absent[i].dev, absent[i].fn, 0x10, 4, 0x12345678);
		pci_write(absent[i].dev, absent[i].fn, 4, 2, 7);
		if (pci_cf8_read(absent[i].dev, absent[i].fn, 0, 4) !=
			0xffffffffu ||
		    (plat.ecam && pci_ecam_read(absent[i].dev, absent[i].fn,
						0x10, 4) != 0xffffffffu))
			return factf(facts, size, R_FAIL, "%u.%u answers",
				     absent[i].dev, absent[i].fn);
	}
	/* Bus 1 does not exist behind the host bridge. */
	outl(0xcf8, 0x80010000u);
	if (inl(0xcfc) != 0xffffffffu)
		return factf(facts, size, R_FAIL, "bus 1 answers");
	return factf(facts, size, R_PASS, "all-ones");
}

static void set_cmd(struct vdev *d, u16 clear, u16 set)
{
	u16 c = (u16)pci_read(d->pdev, d->pfn, 4, 2);

	pci_write(d->pdev, d->pfn, 4, 2, (u16)((c & ~clear) | set));
}

/* No DMA without bus mastering; the request runs once it is back on. */
static enum result bus_master_off(struct vdev *d, char *facts,
				  unsigned int size)
{
	struct buf b = { bufarea(d), 16, true };
	struct vq *vq;
	bool done;

	if (!bring_up(d, 1))
		return factf(facts, size, R_FAIL, "bring-up");
	vq = &d->vq[0];
	set_cmd(d, 0x4, 0);
	vq_submit(d, vq, &b, 1);
	done = vq_wait(vq, 50, NULL, NULL);
	set_cmd(d, 0, 0x4);
	if (done)
		return factf(facts, size, R_FAIL,
			     "device did DMA with bus mastering off");
	v_notify(d, 0);
	return factf(facts, size, R_PASS, "no DMA while off; %s after",
		     vq_wait(vq, 100, NULL, NULL) ? "completed"
						  : "not completed");
}

/* With decoding off the BAR is gone: reads are all-ones, not the device. */
static enum result decode_off(struct vdev *d, char *facts, unsigned int size)
{
	u16 bit = d->kind == VK_PCI ? 0x2 : 0x1;
	u32 v;

	bring_up(d, 1);
	set_cmd(d, bit, 0);
	v = d->kind == VK_PCI ? mr8(d->common + VIRTIO_PCI_COMMON_STATUS)
			      : inb((u16)(d->io + VIRTIO_PCI_STATUS));
	d->kind == VK_PCI ? mw8(d->common + VIRTIO_PCI_COMMON_STATUS, 0)
			  : outb((u16)(d->io + VIRTIO_PCI_STATUS), 0);
	set_cmd(d, 0, bit);
	if (v != 0xff && v != 0)
		return factf(facts, size, R_FAIL,
			     "status 0x%x read with decoding off", v);
	if (!v_status(d))
		return factf(facts, size, R_FAIL,
			     "write reached the device with decoding off");
	return factf(facts, size, R_PASS, "read 0x%x", v);
}

static void rebase(struct vdev *d, u64 from, u64 to)
{
	if (d->kind == VK_PCI) {
		d->common += to - from;
		d->isr += to - from;
		d->devcfg += to - from;
		d->notify += to - from;
		d->msix_table += d->msix_table - from < 0x4000 ? to - from : 0;
		d->msix_pba += d->msix_pba - from < 0x4000 ? to - from : 0;
	} else {
		d->io = (u16)(d->io + (to - from));
	}
}

static void bar_write(struct vdev *d, unsigned int bar, u64 a)
{
	pci_write(d->pdev, d->pfn, 0x10 + 4 * bar, 4, (u32)a);
	if (d->kind == VK_PCI)
		pci_write(d->pdev, d->pfn, 0x14 + 4 * bar, 4, (u32)(a >> 32));
}

/* Moves the virtio BAR while kicking the old address, uses it, moves back. */
static enum result bar_move(struct vdev *d, char *facts, unsigned int size)
{
	unsigned int bar = d->kind == VK_PCI ? d->bar_modern_idx : 0, i;
	bool io;
	u64 old = pci_bar_addr(d->pdev, d->pfn, bar, &io);
	u64 to = io ? 0xf000 : old + 0x10000000ull;
	char f2[64] = "";
	bool ok;
	u32 stale;

	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	for (i = 0; i < 4; i++) {
		v_notify(d, 0);
		bar_write(d, bar, to);
		rebase(d, old, to);
		v_notify(d, 0);
		bar_write(d, bar, old);
		rebase(d, to, old);
	}
	bar_write(d, bar, to);
	rebase(d, old, to);
	ok = dev_works(d, f2, sizeof(f2));
	stale = io ? inb((u16)(old + VIRTIO_PCI_STATUS))
		   : mr8(old + VIRTIO_PCI_COMMON_STATUS);
	bar_write(d, bar, old);
	rebase(d, to, old);
	if (!ok)
		return factf(facts, size, R_FAIL,
			     "device dead at the new address: %s", f2);
	if (stale != 0xff && stale != 0)
		return factf(facts, size, R_FAIL,
			     "old address still answers: 0x%x", stale);
	return factf(facts, size, R_PASS, "moved 0x%lx -> 0x%lx and back", old,
		     to);
}

/* Two devices' BARs on the same address, then apart again. */
static enum result bar_overlap(struct vdev *d, char *facts, unsigned int size)
{
	struct vdev *o = NULL;
	unsigned int bar = d->kind == VK_PCI ? d->bar_modern_idx : 0, i;
	bool io;
	u64 mine, theirs;
	char f2[64] = "";

	for (i = 0; i < nr_devs; i++)
		if (&devs[i] != d && devs[i].kind == d->kind)
			o = &devs[i];
	if (!o)
		return factf(facts, size, R_SKIP, "one PCI device");
	mine = pci_bar_addr(d->pdev, d->pfn, bar, &io);
	theirs = pci_bar_addr(o->pdev, o->pfn, bar, &io);
	bar_write(d, bar, theirs);
	(void)v_status(o);
	v_set_status(o, 0);
	v_notify(o, 0);
	bar_write(d, bar, mine);
	if (!dev_works(o, f2, sizeof(f2)))
		return factf(facts, size, R_FAIL,
			     "%s dead after the overlap: %s", o->name, f2);
	return factf(facts, size, R_PASS, "%s over %s and back", d->name,
		     o->name);
}

/* 1/2/4/8-byte reads and writes over the registers: no crash, defined. */
static enum result bar_widths(struct vdev *d, char *facts, unsigned int size)
{
	static const unsigned int w[] = { 1, 2, 4, 8 };
	u64 regions[4] = { d->common, d->isr, d->devcfg, d->notify };
	unsigned int r, i, off;

	bring_up(d, 0);
	for (r = 0; r < 4; r++) {
		if (!regions[r])
			continue;
		for (i = 0; i < 4; i++)
			for (off = 0; off < 0x40; off += w[i]) {
				u64 a = regions[r] + off;

				if (w[i] == 1)
					(void)mr8(a);
				else if (w[i] == 2)
					(void)mr16(a);
				else if (w[i] == 4)
					(void)mr32(a);
				else
					(void)mr64(a);
			}
	}
	/* Wrong-width writes: 8 bytes over status, 1 byte into queue fields. */
	mw64(d->common + VIRTIO_PCI_COMMON_STATUS - 4, ~0ull);
	mw8(d->common + VIRTIO_PCI_COMMON_Q_SELECT, 0xff);
	mw32(d->common + VIRTIO_PCI_COMMON_Q_SIZE, 0xffffffffu);
	mw64(d->notify, ~0ull);
	mw8(d->notify + 1, 1);
	return factf(facts, size, R_PASS, "status=0x%x", v_status(d));
}

static enum result legacy_io_widths(struct vdev *d, char *facts,
				    unsigned int size)
{
	unsigned int off;

	bring_up(d, 0);
	for (off = 0; off < 0x20; off++) {
		(void)inb((u16)(d->io + off));
		if (!(off & 1))
			(void)inw((u16)(d->io + off));
		if (!(off & 3))
			(void)inl((u16)(d->io + off));
	}
	outl((u16)(d->io + VIRTIO_PCI_QUEUE_NUM), 0xffffffffu);
	outb((u16)(d->io + VIRTIO_PCI_QUEUE_PFN + 1), 0xff);
	outl((u16)(d->io + VIRTIO_PCI_QUEUE_NOTIFY), 0xffffffffu);
	return factf(facts, size, R_PASS, "status=0x%x", v_status(d));
}

/* ---- MSI-X -----------------------------------------------------------------
 */

static void msix_entry(struct vdev *d, unsigned int i, u64 addr, u32 data,
		       bool masked)
{
	u64 e = d->msix_table + 16ull * i;

	mw32(e, (u32)addr);
	mw32(e + 4, (u32)(addr >> 32));
	mw32(e + 8, data);
	mw32(e + 12, masked);
}

static void msix_ctl(struct vdev *d, u16 v)
{
	pci_write(d->pdev, d->pfn, d->msix_cap + 2, 2, v);
}

/* A request with MSI-X on, the queue on table entry 0. */
static bool msix_request(struct vdev *d, u8 vec, bool masked, u16 ctl)
{
	struct buf b = { bufarea(d), 16, true };

	if (!bring_up(d, 1))
		return false;
	msix_ctl(d, MSIX_ENABLE | ctl);
	msix_entry(d, 0, 0xfee00000ull, vec, masked);
	v_set_vectors(d, VIRTIO_MSI_NO_VECTOR, 0);
	vq_submit(d, &d->vq[0], &b, 1);
	return vq_wait(&d->vq[0], PATIENCE_MS, NULL, NULL);
}

static void msix_off(struct vdev *d)
{
	v_set_vectors(d, VIRTIO_MSI_NO_VECTOR, VIRTIO_MSI_NO_VECTOR);
	msix_entry(d, 0, 0, 0, true);
	msix_ctl(d, 0);
}

static enum result msix_delivery(struct vdev *d, char *facts, unsigned int size)
{
	u8 vec = VEC_MSIX_BASE;
	u32 before = irq_count[vec];
	bool got;

	if (!d->msix_cap)
		return factf(facts, size, R_SKIP, "no MSI-X");
	if (!msix_request(d, vec, false, 0))
		return factf(facts, size, R_FAIL, "no completion");
	got = irq_wait(vec, before, PATIENCE_MS);
	msix_off(d);
	if (!got)
		return factf(facts, size, R_FAIL, "no interrupt on vector 0x%x",
			     vec);
	return factf(facts, size, R_PASS, "vector 0x%x x%u", vec,
		     irq_count[vec] - before);
}

/* Masked: nothing arrives, the PBA bit is set; unmasking delivers it. */
static enum result msix_mask_pending(struct vdev *d, char *facts,
				     unsigned int size, bool fmask)
{
	u8 vec = VEC_MSIX_BASE + 1;
	u32 before = irq_count[vec], pba1, pba2;
	bool early, late;

	if (!d->msix_cap)
		return factf(facts, size, R_SKIP, "no MSI-X");
	if (!msix_request(d, vec, !fmask, fmask ? MSIX_FMASK : 0))
		return factf(facts, size, R_FAIL, "no completion");
	early = irq_wait(vec, before, 20);
	pba1 = mr32(d->msix_pba);
	if (fmask)
		msix_ctl(d, MSIX_ENABLE);
	else
		mw32(d->msix_table + 12, 0);
	late = irq_wait(vec, before, PATIENCE_MS);
	pba2 = mr32(d->msix_pba);
	msix_off(d);
	if (early)
		return factf(facts, size, R_FAIL,
			     "interrupt delivered while masked");
	if (!(pba1 & 1))
		return factf(facts, size, R_FAIL,
			     "PBA bit 0 clear while pending (0x%x)", pba1);
	if (!late || (pba2 & 1))
		return factf(facts, size, R_FAIL,
			     "unmask: delivered=%u pba=0x%x", late, pba2);
	return factf(facts, size, R_PASS, "pending then delivered");
}

static enum result msix_entry_mask(struct vdev *d, char *facts,
				   unsigned int size)
{
	return msix_mask_pending(d, facts, size, false);
}

static enum result msix_function_mask(struct vdev *d, char *facts,
				      unsigned int size)
{
	return msix_mask_pending(d, facts, size, true);
}

/* Entries that point nowhere useful: no crash, nothing delivered. */
static enum result msix_bad_entries(struct vdev *d, char *facts,
				    unsigned int size)
{
	static const u64 addr[] = { 0, 0xfee0000full, 0xdeadbeef000ull,
				    0xfee00000ull };
	static const u32 data[] = { 0x5, 0, 0x4002, 0x3 };
	struct buf b = { bufarea(d), 16, true };
	unsigned int i;

	if (!d->msix_cap)
		return factf(facts, size, R_SKIP, "no MSI-X");
	if (!bring_up(d, 1))
		return factf(facts, size, R_FAIL, "bring-up");
	msix_ctl(d, MSIX_ENABLE);
	for (i = 0; i < 4; i++) {
		msix_entry(d, 0, addr[i], data[i], false);
		v_set_vectors(d, 0, 0);
		vq_submit(d, &d->vq[0], &b, 1);
		if (!vq_wait(&d->vq[0], PATIENCE_MS, NULL, NULL))
			return factf(facts, size, R_FAIL,
				     "no completion with entry %u", i);
	}
	/* Vectors past the table and the table's end. */
	v_set_vectors(d, (u16)d->msix_n, (u16)(d->msix_n + 1));
	mw32(d->msix_table + 16ull * d->msix_n, 0x12345678);
	irq_enable();
	delay_us(2000);
	irq_disable();
	msix_off(d);
	return factf(facts, size, R_PASS, "4 bad entries survived");
}

static enum result msix_pba_write(struct vdev *d, char *facts,
				  unsigned int size)
{
	u32 before, after;

	if (!d->msix_cap)
		return factf(facts, size, R_SKIP, "no MSI-X");
	msix_ctl(d, MSIX_ENABLE | MSIX_FMASK);
	before = mr32(d->msix_pba);
	mw32(d->msix_pba, 0xffffffffu);
	mw64(d->msix_pba, ~0ull);
	after = mr32(d->msix_pba);
	msix_ctl(d, 0);
	if (after != before)
		return factf(facts, size, R_FAIL, "PBA writable: 0x%x -> 0x%x",
			     before, after);
	return factf(facts, size, R_PASS, "PBA 0x%x read-only", after);
}

/* MMIO: the device's pin through the IOAPIC, and InterruptACK. */
static enum result mmio_interrupt(struct vdev *d, char *facts,
				  unsigned int size)
{
	u8 vec = (u8)(VEC_IOAPIC_BASE + (d->gsi & 0x3f));
	struct buf b = { bufarea(d), 16, d->type != VIRTIO_ID_CONSOLE };
	unsigned int q = d->type == VIRTIO_ID_CONSOLE ? 1 : 0;
	u32 before = irq_count[vec];
	bool got;

	if (!d->gsi)
		return factf(facts, size, R_SKIP, "no GSI known");
	if (!bring_up(d, 0))
		return factf(facts, size, R_FAIL, "bring-up");
	ioapic_route(d->gsi, vec, false);
	vq_submit(d, &d->vq[q], &b, 1);
	got = irq_wait(vec, before, PATIENCE_MS);
	v_isr_ack(d, v_isr(d));
	ioapic_route(d->gsi, vec, true);
	if (!got)
		return factf(facts, size, R_FAIL, "no interrupt on GSI %u",
			     d->gsi);
	return factf(facts, size, R_PASS, "GSI %u -> vector 0x%x", d->gsi, vec);
}

const struct scenario pci_scenarios[] = {
	{ "pci_cfg_random_dwords", ON_PCI, cfg_random_dwords },
	{ "pci_cfg_bar_sizing", ON_PCI, cfg_bar_sizing },
	{ "pci_cfg_widths_cf8_ecam", ON_PCI, cfg_widths },
	{ "pci_cfg_absent_functions", ON_PCI, cfg_absent },
	{ "pci_bus_master_off", ON_PCI | ON_RNG, bus_master_off },
	{ "pci_decode_off", ON_PCI, decode_off },
	{ "pci_bar_move", ON_PCI, bar_move },
	{ "pci_bar_overlap", ON_PCI, bar_overlap },
	{ "pci_bar_access_widths", ON_PCI_MODERN, bar_widths },
	{ "pci_legacy_io_widths", ON_PCI | ON_LEGACY, legacy_io_widths },
	{ "msix_delivery", ON_PCI | ON_RNG, msix_delivery },
	{ "msix_entry_mask_pending", ON_PCI | ON_RNG, msix_entry_mask },
	{ "msix_function_mask_pending", ON_PCI | ON_RNG, msix_function_mask },
	{ "msix_bad_entries", ON_PCI | ON_RNG, msix_bad_entries },
	{ "msix_pba_write", ON_PCI, msix_pba_write },
	{ "mmio_ioapic_interrupt", ON_MMIO, mmio_interrupt },
};
const unsigned int nr_pci_scenarios =
    sizeof(pci_scenarios) / sizeof(pci_scenarios[0]);
