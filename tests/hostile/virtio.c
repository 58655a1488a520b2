// SPDX-License-Identifier: MIT
#include "virtio.h"

#include <linux/virtio_blk.h>
#include <linux/virtio_net.h>

#include "platform.h"

struct vdev devs[MAX_DEVS];
unsigned int nr_devs;

const char *vkind_name(enum vkind k)
{
	static const char *const n[] = { "pci", "pci-legacy", "mmio",
					 "mmio-legacy" };

	return n[k];
}

static const char *type_name(u32 t)
{
	switch (t) {
	case VIRTIO_ID_NET:
		return "net";
	case VIRTIO_ID_BLOCK:
		return "blk";
	case VIRTIO_ID_CONSOLE:
		return "console";
	case VIRTIO_ID_RNG:
		return "rng";
	}
	return "other";
}

/* ---- discovery ----------------------------------------------------------- */

static void pci_modern_caps(struct vdev *d)
{
	unsigned int c = 0;

	while ((c = pci_find_cap(d->pdev, d->pfn, 0x09, c))) {
		u8 type = (u8)pci_read(d->pdev, d->pfn, c + 3, 1);
		u8 bar = (u8)pci_read(d->pdev, d->pfn, c + 4, 1);
		u32 off = pci_read(d->pdev, d->pfn, c + 8, 4);
		bool io;
		u64 a;

		if (bar > 5)
			continue;
		a = pci_bar_addr(d->pdev, d->pfn, bar, &io) + off;
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			d->common = a;
			d->bar_modern = a - off;
			d->bar_modern_idx = bar;
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			d->isr = a;
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			d->devcfg = a;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			d->notify = a;
			d->notify_mult = pci_read(d->pdev, d->pfn, c + 16, 4);
			break;
		}
	}
}

static void pci_msix(struct vdev *d)
{
	unsigned int c = pci_find_cap(d->pdev, d->pfn, 0x11, 0);
	u32 t, p;
	bool io;

	if (!c)
		return;
	d->msix_cap = c;
	d->msix_n = (pci_read(d->pdev, d->pfn, c + 2, 2) & 0x7ff) + 1;
	t = pci_read(d->pdev, d->pfn, c + 4, 4);
	p = pci_read(d->pdev, d->pfn, c + 8, 4);
	d->msix_table = pci_bar_addr(d->pdev, d->pfn, t & 7, &io) + (t & ~7u);
	d->msix_pba = pci_bar_addr(d->pdev, d->pfn, p & 7, &io) + (p & ~7u);
}

static void add_pci(unsigned int dev, unsigned int fn)
{
	u32 id = pci_read(dev, fn, 0, 4);
	u16 did = (u16)(id >> 16);
	struct vdev *d;
	bool io;

	if ((id & 0xffff) != 0x1af4 || did < 0x1000 || did > 0x107f ||
	    nr_devs == MAX_DEVS)
		return;
	d = &devs[nr_devs];
	memset(d, 0, sizeof(*d));
	d->pdev = dev;
	d->pfn = fn;
	d->slot = nr_devs;
	/* Transitional IDs: drive the legacy interface, as force_legacy would.
	 */
	if (did >= 0x1040) {
		d->kind = VK_PCI;
		d->type = did - 0x1040u;
	} else {
		d->kind = VK_PCI_LEGACY;
		d->type = pci_read(dev, fn, 0x2e, 2);
		d->io = (u16)pci_bar_addr(dev, fn, 0, &io);
		if (!io)
			return;
	}
	pci_modern_caps(d);
	pci_msix(d);
	if (d->kind == VK_PCI && (!d->common || !d->notify || !d->isr))
		return;
	/* Bus master on: the device may DMA (some attacks turn it off). */
	pci_write(dev, fn, 4, 2, pci_read(dev, fn, 4, 2) | 0x7);
	fmt(d->name, sizeof(d->name), "%s@%s", type_name(d->type),
	    vkind_name(d->kind));
	nr_devs++;
}

static void add_mmio(u64 base, u32 gsi)
{
	struct vdev *d;
	u32 ver;

	if (nr_devs == MAX_DEVS ||
	    mr32(base + VIRTIO_MMIO_MAGIC_VALUE) != 0x74726976)
		return;
	ver = mr32(base + VIRTIO_MMIO_VERSION);
	if ((ver != 1 && ver != 2) || !mr32(base + VIRTIO_MMIO_DEVICE_ID))
		return;
	d = &devs[nr_devs];
	memset(d, 0, sizeof(*d));
	d->kind = ver == 1 ? VK_MMIO_LEGACY : VK_MMIO;
	d->type = mr32(base + VIRTIO_MMIO_DEVICE_ID);
	d->base = base;
	d->gsi = gsi;
	d->slot = nr_devs;
	fmt(d->name, sizeof(d->name), "%s@%s", type_name(d->type),
	    vkind_name(d->kind));
	nr_devs++;
}

void virtio_discover(void)
{
	unsigned int dev, fn, i;

	for (dev = 0; dev < 32; dev++)
		for (fn = 0; fn < 8; fn++) {
			u32 id = pci_read(dev, fn, 0, 4);

			if ((id & 0xffff) == 0xffff || !id) {
				if (fn == 0)
					break;
				continue;
			}
			add_pci(dev, fn);
			if (fn == 0 && !(pci_read(dev, fn, 0x0e, 1) & 0x80))
				break;
		}
	for (i = 0; i < plat.nr_mmio; i++)
		add_mmio(plat.mmio_base[i], plat.mmio_gsi[i]);
}

/* ---- register level ------------------------------------------------------ */

#define CC(d, r) ((d)->common + VIRTIO_PCI_COMMON_##r)
#define MM(d, r) ((d)->base + VIRTIO_MMIO_##r)
#define LEG(d, r) ((u16)((d)->io + VIRTIO_PCI_##r))

static bool msix_on(struct vdev *d)
{
	return d->msix_cap &&
	       (pci_read(d->pdev, d->pfn, d->msix_cap + 2, 2) & 0x8000);
}

u8 v_status(struct vdev *d)
{
	switch (d->kind) {
	case VK_PCI:
		return mr8(CC(d, STATUS));
	case VK_PCI_LEGACY:
		return inb(LEG(d, STATUS));
	default:
		return (u8)mr32(MM(d, STATUS));
	}
}

void v_set_status(struct vdev *d, u8 s)
{
	switch (d->kind) {
	case VK_PCI:
		mw8(CC(d, STATUS), s);
		break;
	case VK_PCI_LEGACY:
		outb(LEG(d, STATUS), s);
		break;
	default:
		mw32(MM(d, STATUS), s);
	}
}

bool v_reset(struct vdev *d)
{
	u64 dl = deadline_ms(200);

	v_set_status(d, 0);
	/* 4.1.4.3.2: the reset is complete when status reads back 0. */
	while (v_status(d)) {
		if (expired(dl))
			return false;
		cpu_relax();
	}
	return true;
}

u64 v_dev_features(struct vdev *d)
{
	switch (d->kind) {
	case VK_PCI:
		mw32(CC(d, DFSELECT), 0);
		{
			u64 lo = mr32(CC(d, DF));

			mw32(CC(d, DFSELECT), 1);
			return lo | (u64)mr32(CC(d, DF)) << 32;
		}
	case VK_PCI_LEGACY:
		return inl(LEG(d, HOST_FEATURES));
	case VK_MMIO:
	case VK_MMIO_LEGACY:
		mw32(MM(d, DEVICE_FEATURES_SEL), 0);
		{
			u64 lo = mr32(MM(d, DEVICE_FEATURES));

			mw32(MM(d, DEVICE_FEATURES_SEL), 1);
			return lo | (u64)mr32(MM(d, DEVICE_FEATURES)) << 32;
		}
	}
	return 0;
}

void v_set_features(struct vdev *d, u64 f)
{
	switch (d->kind) {
	case VK_PCI:
		mw32(CC(d, GFSELECT), 0);
		mw32(CC(d, GF), (u32)f);
		mw32(CC(d, GFSELECT), 1);
		mw32(CC(d, GF), (u32)(f >> 32));
		break;
	case VK_PCI_LEGACY:
		outl(LEG(d, GUEST_FEATURES), (u32)f);
		break;
	default:
		mw32(MM(d, DRIVER_FEATURES_SEL), 0);
		mw32(MM(d, DRIVER_FEATURES), (u32)f);
		mw32(MM(d, DRIVER_FEATURES_SEL), 1);
		mw32(MM(d, DRIVER_FEATURES), (u32)(f >> 32));
	}
}

u64 v_drv_features(struct vdev *d)
{
	switch (d->kind) {
	case VK_PCI:
		mw32(CC(d, GFSELECT), 0);
		{
			u64 lo = mr32(CC(d, GF));

			mw32(CC(d, GFSELECT), 1);
			return lo | (u64)mr32(CC(d, GF)) << 32;
		}
	case VK_PCI_LEGACY:
		return inl(LEG(d, GUEST_FEATURES));
	default:
		return 0; /* write-only on MMIO */
	}
}

void v_select(struct vdev *d, u32 q)
{
	switch (d->kind) {
	case VK_PCI:
		mw16(CC(d, Q_SELECT), (u16)q);
		break;
	case VK_PCI_LEGACY:
		outw(LEG(d, QUEUE_SEL), (u16)q);
		break;
	default:
		mw32(MM(d, QUEUE_SEL), q);
	}
}

u16 v_queue_max(struct vdev *d, u32 q)
{
	v_select(d, q);
	switch (d->kind) {
	case VK_PCI:
		/* Modern PCI: queue_size reads the maximum until written. */
		return mr16(CC(d, Q_SIZE));
	case VK_PCI_LEGACY:
		return inw(LEG(d, QUEUE_NUM));
	default:
		return (u16)mr32(MM(d, QUEUE_NUM_MAX));
	}
}

void v_queue_size(struct vdev *d, u32 size)
{
	if (d->kind == VK_PCI)
		mw16(CC(d, Q_SIZE), (u16)size);
	else if (d->kind != VK_PCI_LEGACY)
		mw32(MM(d, QUEUE_NUM), size);
}

u16 v_queue_size_read(struct vdev *d)
{
	if (d->kind == VK_PCI)
		return mr16(CC(d, Q_SIZE));
	if (d->kind == VK_PCI_LEGACY)
		return inw(LEG(d, QUEUE_NUM));
	return (u16)mr32(MM(d, QUEUE_NUM_MAX));
}

u32 v_queue_ready(struct vdev *d)
{
	switch (d->kind) {
	case VK_PCI:
		return mr16(CC(d, Q_ENABLE));
	case VK_PCI_LEGACY:
		return inl(LEG(d, QUEUE_PFN));
	case VK_MMIO:
		return mr32(MM(d, QUEUE_READY));
	case VK_MMIO_LEGACY:
		return mr32(MM(d, QUEUE_PFN));
	}
	return 0;
}

void v_queue_addrs(struct vdev *d, u64 desc, u64 avail, u64 used)
{
	switch (d->kind) {
	case VK_PCI:
		mw32(CC(d, Q_DESCLO), (u32)desc);
		mw32(CC(d, Q_DESCHI), (u32)(desc >> 32));
		mw32(CC(d, Q_AVAILLO), (u32)avail);
		mw32(CC(d, Q_AVAILHI), (u32)(avail >> 32));
		mw32(CC(d, Q_USEDLO), (u32)used);
		mw32(CC(d, Q_USEDHI), (u32)(used >> 32));
		break;
	case VK_MMIO:
		mw32(MM(d, QUEUE_DESC_LOW), (u32)desc);
		mw32(MM(d, QUEUE_DESC_HIGH), (u32)(desc >> 32));
		mw32(MM(d, QUEUE_AVAIL_LOW), (u32)avail);
		mw32(MM(d, QUEUE_AVAIL_HIGH), (u32)(avail >> 32));
		mw32(MM(d, QUEUE_USED_LOW), (u32)used);
		mw32(MM(d, QUEUE_USED_HIGH), (u32)(used >> 32));
		break;
	case VK_PCI_LEGACY:
	case VK_MMIO_LEGACY:
		/* Legacy: the layout follows from the PFN; see v_queue_enable.
		 */
		(void)avail;
		(void)used;
		break;
	}
}

void v_queue_enable(struct vdev *d, u32 v)
{
	switch (d->kind) {
	case VK_PCI:
		mw16(CC(d, Q_ENABLE), (u16)v);
		break;
	case VK_MMIO:
		mw32(MM(d, QUEUE_READY), v);
		break;
	case VK_PCI_LEGACY:
		outl(LEG(d, QUEUE_PFN), v);
		break;
	case VK_MMIO_LEGACY:
		mw32(MM(d, QUEUE_PFN), v);
		break;
	}
}

void v_notify(struct vdev *d, u32 q)
{
	switch (d->kind) {
	case VK_PCI:
		v_select(d, q);
		mw16(d->notify + (u64)mr16(CC(d, Q_NOFF)) * d->notify_mult,
		     (u16)q);
		break;
	case VK_PCI_LEGACY:
		outw(LEG(d, QUEUE_NOTIFY), (u16)q);
		break;
	default:
		mw32(MM(d, QUEUE_NOTIFY), q);
	}
}

u8 v_isr(struct vdev *d)
{
	switch (d->kind) {
	case VK_PCI:
		return mr8(d->isr);
	case VK_PCI_LEGACY:
		return inb(LEG(d, ISR));
	default:
		return (u8)mr32(MM(d, INTERRUPT_STATUS));
	}
}

void v_isr_ack(struct vdev *d, u32 bits)
{
	if (!vpci(d))
		mw32(MM(d, INTERRUPT_ACK), bits);
}

static u64 cfg_base(struct vdev *d, bool *io)
{
	*io = d->kind == VK_PCI_LEGACY;
	switch (d->kind) {
	case VK_PCI:
		return d->devcfg;
	case VK_PCI_LEGACY:
		return d->io + VIRTIO_PCI_CONFIG_OFF(msix_on(d));
	default:
		return d->base + VIRTIO_MMIO_CONFIG;
	}
}

u32 v_cfg_read(struct vdev *d, u32 off, unsigned int len)
{
	bool io;
	u64 a = cfg_base(d, &io) + off;

	if (io)
		return len == 1	  ? inb((u16)a)
		       : len == 2 ? inw((u16)a)
				  : inl((u16)a);
	return len == 1 ? mr8(a) : len == 2 ? mr16(a) : mr32(a);
}

void v_cfg_write(struct vdev *d, u32 off, unsigned int len, u32 v)
{
	bool io;
	u64 a = cfg_base(d, &io) + off;

	if (io) {
		if (len == 1)
			outb((u16)a, (u8)v);
		else if (len == 2)
			outw((u16)a, (u16)v);
		else
			outl((u16)a, v);
	} else if (len == 1) {
		mw8(a, (u8)v);
	} else if (len == 2) {
		mw16(a, (u16)v);
	} else {
		mw32(a, v);
	}
}

u32 v_cfg_gen(struct vdev *d)
{
	if (d->kind == VK_PCI)
		return mr8(CC(d, CFGGENERATION));
	if (d->kind == VK_MMIO)
		return mr32(MM(d, CONFIG_GENERATION));
	return 0;
}

void v_set_vectors(struct vdev *d, u16 cfg, u16 qv)
{
	unsigned int q;

	if (d->kind == VK_PCI) {
		mw16(CC(d, MSIX), cfg);
		for (q = 0; q < d->nq; q++) {
			v_select(d, q);
			mw16(CC(d, Q_MSIX), qv);
		}
	} else if (d->kind == VK_PCI_LEGACY) {
		outw((u16)(d->io + VIRTIO_MSI_CONFIG_VECTOR), cfg);
		for (q = 0; q < d->nq; q++) {
			v_select(d, q);
			outw((u16)(d->io + VIRTIO_MSI_QUEUE_VECTOR), qv);
		}
	}
}

/* ---- driver level -------------------------------------------------------- */

int v_negotiate(struct vdev *d, u64 want)
{
	u8 s;

	if (!v_reset(d))
		return -1;
	v_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	v_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	d->features = v_dev_features(d) & want;
	if (!vlegacy(d))
		d->features |= 1ull << VIRTIO_F_VERSION_1;
	v_set_features(d, d->features);
	if (vlegacy(d))
		return 0;
	s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	    VIRTIO_CONFIG_S_FEATURES_OK;
	v_set_status(d, s);
	if (!(v_status(d) & VIRTIO_CONFIG_S_FEATURES_OK))
		return s;
	return 0;
}

bool v_setup_queue(struct vdev *d, u32 q, u16 size)
{
	struct vq *vq = &d->vq[q];
	u16 max = v_queue_max(d, q);
	u64 base = arena(d) + q * 0x20000ull;

	if (!max || q >= VQ_MAX)
		return false;
	if (d->kind == VK_PCI_LEGACY || !size || size > max)
		size = d->kind == VK_PCI_LEGACY ? max : (max < 64 ? max : 64);
	memset(vq, 0, sizeof(*vq));
	vq->q = (u16)q;
	vq->size = size;
	vq->desc = base;
	vq->avail = base + 16ull * size;
	vq->used = (vq->avail + 6 + 2ull * size + 4095) & ~4095ull;
	memset((void *)base, 0, vq->used + 6 + 8ull * size - base);
	if (d->kind == VK_MMIO_LEGACY) {
		mw32(MM(d, GUEST_PAGE_SIZE), 4096);
		mw32(MM(d, QUEUE_ALIGN), 4096);
	}
	v_queue_size(d, size);
	v_queue_addrs(d, vq->desc, vq->avail, vq->used);
	v_queue_enable(d, vlegacy(d) ? (u32)(base >> 12) : 1);
	return true;
}

bool v_init(struct vdev *d, u64 want, unsigned int nq)
{
	unsigned int q;

	if (v_negotiate(d, want))
		return false;
	d->nq = nq;
	for (q = 0; q < nq; q++)
		if (!v_setup_queue(d, q, 0))
			return false;
	v_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			    (vlegacy(d) ? 0 : VIRTIO_CONFIG_S_FEATURES_OK) |
			    VIRTIO_CONFIG_S_DRIVER_OK);
	return !(v_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

void vq_publish(struct vdev *d, struct vq *vq, u16 head)
{
	mw16(vq->avail + 4 + 2ull * (vq->avail_idx % vq->size), head);
	mb();
	vq->avail_idx++;
	mw16(vq->avail + 2, vq->avail_idx);
	mb();
	v_notify(d, vq->q);
}

u16 vq_submit(struct vdev *d, struct vq *vq, const struct buf *b,
	      unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct vring_desc *de = vq_desc(vq, i);

		de->addr = b[i].addr;
		de->len = b[i].len;
		de->flags = (u16)((b[i].write ? VRING_DESC_F_WRITE : 0) |
				  (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		de->next = (u16)(i + 1 < n ? i + 1 : 0);
	}
	vq_publish(d, vq, 0);
	return 0;
}

bool vq_wait(struct vq *vq, u64 ms, u32 *id, u32 *len)
{
	u64 dl = deadline_ms(ms);

	while (vq_used_idx(vq) == vq->last_used) {
		if (expired(dl))
			return false;
		cpu_relax();
	}
	mb();
	{
		u64 e = vq->used + 4 + 8ull * (vq->last_used % vq->size);

		if (id)
			*id = mr32(e);
		if (len)
			*len = mr32(e + 4);
	}
	vq->last_used++;
	return true;
}

/* ---- "the device works" -------------------------------------------------- */

static bool rng_works(struct vdev *d, char *facts, unsigned int size)
{
	struct buf b = { bufarea(d), 64, true };
	u32 len = 0;

	memset((void *)b.addr, 0, 64);
	vq_submit(d, &d->vq[0], &b, 1);
	if (!vq_wait(&d->vq[0], PATIENCE_MS, NULL, &len) || len == 0 ||
	    len > 64) {
		fmt(facts, size, "rng-request-failed len=%u", len);
		return false;
	}
	return true;
}

static bool blk_works(struct vdev *d, char *facts, unsigned int size)
{
	struct virtio_blk_outhdr *h = (void *)bufarea(d);
	u8 *status = (u8 *)(bufarea(d) + 0x100);
	struct buf b[3] = {
		{ bufarea(d), sizeof(*h), false },
		{ bufarea(d) + 0x1000, 512, true },
		{ bufarea(d) + 0x100, 1, true },
	};
	u32 len = 0;

	h->type = VIRTIO_BLK_T_IN;
	h->ioprio = 0;
	h->sector = 0;
	*status = 0xee;
	vq_submit(d, &d->vq[0], b, 3);
	if (!vq_wait(&d->vq[0], PATIENCE_MS, NULL, &len) ||
	    *status != VIRTIO_BLK_S_OK) {
		fmt(facts, size, "blk-read-failed status=%u len=%u", *status,
		    len);
		return false;
	}
	return true;
}

static bool console_works(struct vdev *d, char *facts, unsigned int size)
{
	struct buf b = { bufarea(d), 1, false };
	u32 len = 0;

	*(char *)bufarea(d) = '\n';
	vq_submit(d, &d->vq[1], &b, 1);
	if (!vq_wait(&d->vq[1], PATIENCE_MS, NULL, &len)) {
		fmt(facts, size, "console-tx-failed");
		return false;
	}
	return true;
}

u64 base_features(const struct vdev *d)
{
	if (d->type == VIRTIO_ID_NET && vlegacy(d))
		return 1ull << VIRTIO_NET_F_MRG_RXBUF;
	return 0;
}

u32 net_hdr_len(const struct vdev *d)
{
	if (!vlegacy(d) || (d->features & (1ull << VIRTIO_NET_F_MRG_RXBUF)))
		return sizeof(struct virtio_net_hdr_mrg_rxbuf);
	return sizeof(struct virtio_net_hdr);
}

/*
 * Sends one frame and receives one: the host side injects frames into the
 * tap all through the run.
 */
static bool net_works(struct vdev *d, char *facts, unsigned int size)
{
	u64 a = bufarea(d);
	u32 h = net_hdr_len(d), len = 0;
	struct buf tx = { a, h + 60, false }, rx = { a + 0x1000, 2048, true };

	memset((void *)a, 0, h + 60);
	memset((void *)(a + h), 0xff, 6);
	mw8(a + h + 12, 0x88);
	mw8(a + h + 13, 0xb5);
	vq_submit(d, &d->vq[1], &tx, 1);
	if (!vq_wait(&d->vq[1], PATIENCE_MS, NULL, &len)) {
		fmt(facts, size, "net-tx-failed");
		return false;
	}
	vq_submit(d, &d->vq[0], &rx, 1);
	if (!vq_wait(&d->vq[0], PATIENCE_MS, NULL, &len) || len < h + 14 ||
	    len > 2048) {
		fmt(facts, size, "net-rx-failed len=%u", len);
		return false;
	}
	return true;
}

bool dev_works(struct vdev *d, char *facts, unsigned int size)
{
	unsigned int nq =
	    d->type == VIRTIO_ID_CONSOLE || d->type == VIRTIO_ID_NET ? 2 : 1;

	if (!v_init(d, base_features(d), nq)) {
		fmt(facts, size, "reinit-failed status=0x%x", v_status(d));
		return false;
	}
	switch (d->type) {
	case VIRTIO_ID_RNG:
		return rng_works(d, facts, size);
	case VIRTIO_ID_BLOCK:
		return blk_works(d, facts, size);
	case VIRTIO_ID_CONSOLE:
		return console_works(d, facts, size);
	case VIRTIO_ID_NET:
		return net_works(d, facts, size);
	}
	return true;
}
