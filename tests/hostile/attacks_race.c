// SPDX-License-Identifier: MIT
/*
 * Races against a second vCPU (needs --cpus 2): one CPU drives the device
 * the normal way while the other kicks, rewrites rings and flips registers
 * underneath it. Only the end state is judged: vireo survives, and the
 * device works after a reset.
 */
#include "platform.h"
#include "scenario.h"
#include "smp.h"

struct race {
	struct vdev *d;
	struct vq *vq;
	u64 seed;
	u64 notify; /* modern PCI notify address of the queue */
};

static struct race rc;

static bool have_ap(char *facts, unsigned int size)
{
	static int tried;

	if (!tried++)
		smp_start();
	if (!smp_ready())
		fmt(facts, size, "no second vCPU");
	return smp_ready();
}

static void ap_notify(struct vdev *d, u16 q)
{
	switch (d->kind) {
	case VK_PCI:
		mw16(rc.notify, q);
		break;
	case VK_PCI_LEGACY:
		outw((u16)(d->io + VIRTIO_PCI_QUEUE_NOTIFY), q);
		break;
	default:
		mw32(d->base + VIRTIO_MMIO_QUEUE_NOTIFY, q);
	}
}

static void job_notify(void *arg, u64 i)
{
	(void)arg;
	ap_notify(rc.d, (u16)(i & 255 ? rc.vq->q : i));
}

static void job_desc_garbage(void *arg, u64 i)
{
	struct vring_desc *de = vq_desc(rc.vq, (unsigned int)(i & 3));
	u64 r = rnd_next(&rc.seed);

	(void)arg;
	de->addr = i & 1 ? BIG_BASE + (r & 0xffff) : 0x7fff00000000ull;
	de->len = (u32)(r >> 20);
	de->flags = (u16)(r >> 40);
	de->next = (u16)(r >> 56);
	ap_notify(rc.d, rc.vq->q);
}

static void job_status(void *arg, u64 i)
{
	static const u8 s[] = { 0, 0x0f, 0x01, 0x8b, 0x07, 0x0b };

	(void)arg;
	v_set_status(rc.d, s[i % sizeof(s)]);
}

static void job_avail(void *arg, u64 i)
{
	(void)arg;
	mw16(rc.vq->avail + 2, (u16)(mr16(rc.vq->avail + 2) + (i & 7)));
	mw16(rc.vq->avail + 4 + 2ull * (i % rc.vq->size), (u16)(i >> 3));
	ap_notify(rc.d, rc.vq->q);
}

static void job_msix_mask(void *arg, u64 i)
{
	(void)arg;
	mw32(rc.d->msix_table + 12, (u32)(i & 1));
	if (!(i & 15))
		pci_write(rc.d->pdev, rc.d->pfn, rc.d->msix_cap + 2, 2,
			  (u16)(0x8000 | (i & 16 ? 0x4000 : 0)));
}

static bool race_setup(struct vdev *d, char *facts, unsigned int size)
{
	if (!have_ap(facts, size))
		return false;
	if (!bring_up(d, 0)) {
		fmt(facts, size, "bring-up");
		return false;
	}
	rc.d = d;
	rc.vq = &d->vq[d->type == VIRTIO_ID_CONSOLE ? 1 : 0];
	rc.seed = 0xfeedull + d->slot;
	if (d->kind == VK_PCI) {
		v_select(d, rc.vq->q);
		rc.notify = d->notify +
			    (u64)mr16(d->common + VIRTIO_PCI_COMMON_Q_NOFF) *
				d->notify_mult;
	}
	return true;
}

/* BSP: n rounds of one good request, each waited for briefly. */
static unsigned int good_requests(struct vdev *d, unsigned int n, bool reinit)
{
	struct buf b = { bufarea(d), 16, d->type != VIRTIO_ID_CONSOLE };
	unsigned int i, done = 0;

	for (i = 0; i < n; i++) {
		if (reinit && !bring_up(d, 0))
			continue;
		vq_submit(d, rc.vq, &b, 1);
		done += vq_wait(rc.vq, 10, NULL, NULL);
		if (reinit)
			v_reset(d);
	}
	return done;
}

#define RACE(name, job, reinit)                                                \
	static enum result name(struct vdev *d, char *facts,                   \
				unsigned int size)                             \
	{                                                                      \
		unsigned int done;                                             \
		u64 it;                                                        \
		if (!race_setup(d, facts, size))                               \
			return smp_ready() ? R_FAIL : R_SKIP;                  \
		smp_run(job, NULL);                                            \
		done = good_requests(d, 30, reinit);                           \
		it = smp_stop();                                               \
		return factf(facts, size, R_PASS,                              \
			     "30 rounds, %u completed, AP x%lu", done, it);    \
	}

RACE(race_notify_vs_reset, job_notify, true)
RACE(race_desc_rewrite, job_desc_garbage, false)
RACE(race_status_vs_completion, job_status, false)
RACE(race_avail_idx, job_avail, false)

static enum result race_msix_mask(struct vdev *d, char *facts,
				  unsigned int size)
{
	unsigned int done;
	u64 it;

	if (!d->msix_cap)
		return factf(facts, size, R_SKIP, "no MSI-X");
	if (!race_setup(d, facts, size))
		return smp_ready() ? R_FAIL : R_SKIP;
	pci_write(d->pdev, d->pfn, d->msix_cap + 2, 2, 0x8000);
	mw32(d->msix_table, 0xfee00000u);
	mw32(d->msix_table + 4, 0);
	mw32(d->msix_table + 8, VEC_MSIX_BASE + 2);
	v_set_vectors(d, VIRTIO_MSI_NO_VECTOR, 0);
	smp_run(job_msix_mask, NULL);
	irq_enable();
	done = good_requests(d, 30, false);
	irq_disable();
	it = smp_stop();
	v_set_vectors(d, VIRTIO_MSI_NO_VECTOR, VIRTIO_MSI_NO_VECTOR);
	mw32(d->msix_table + 12, 1);
	pci_write(d->pdev, d->pfn, d->msix_cap + 2, 2, 0);
	return factf(facts, size, R_PASS,
		     "%u completed, %u interrupts, AP x%lu", done,
		     irq_count[VEC_MSIX_BASE + 2], it);
}

/*
 * The BAR moves back and forth while the AP kicks its first address. Each
 * move costs vireo a re-registration of its notify ioeventfds (~150 ms on
 * a loaded PVM host): 10 moves, both halves of the BAR each time.
 */
#define BAR_MOVES 10
static enum result race_bar_move_vs_notify(struct vdev *d, char *facts,
					   unsigned int size)
{
	unsigned int bar = d->bar_modern_idx, i;
	bool io;
	u64 old, lo;

	if (!race_setup(d, facts, size))
		return smp_ready() ? R_FAIL : R_SKIP;
	old = pci_bar_addr(d->pdev, d->pfn, bar, &io);
	lo = 0x10 + 4 * bar;
	smp_run(job_notify, NULL);
	for (i = 0; i < BAR_MOVES; i++) {
		u64 a = i & 1 ? old : old + 0x8000000ull;

		pci_write(d->pdev, d->pfn, (unsigned int)lo, 4, (u32)a);
		pci_write(d->pdev, d->pfn, (unsigned int)lo + 4, 4,
			  (u32)(a >> 32));
	}
	pci_write(d->pdev, d->pfn, (unsigned int)lo, 4, (u32)old);
	pci_write(d->pdev, d->pfn, (unsigned int)lo + 4, 4, (u32)(old >> 32));
	return factf(facts, size, R_PASS, "%u moves, AP x%lu", BAR_MOVES,
		     smp_stop());
}

const struct scenario race_scenarios[] = {
	{ "race_notify_vs_reset", ON_ANY, race_notify_vs_reset },
	{ "race_desc_rewrite", ON_ANY, race_desc_rewrite },
	{ "race_status_vs_completion", ON_ANY, race_status_vs_completion },
	{ "race_avail_idx", ON_ANY, race_avail_idx },
	{ "race_msix_mask", ON_PCI | ON_RNG, race_msix_mask },
	{ "race_bar_move_vs_notify", ON_PCI_MODERN, race_bar_move_vs_notify },
};
const unsigned int nr_race_scenarios =
    sizeof(race_scenarios) / sizeof(race_scenarios[0]);
