// SPDX-License-Identifier: MIT
/*
 * hostile.idle=MS: leave every device with a poisoned ring (a descriptor
 * loop behind an avail index far ahead) and halt for MS milliseconds, woken
 * only by the LAPIC timer. The host samples vireo's CPU time between the two
 * marker lines: a device thread that spins on a bad ring shows up there.
 */
#include "platform.h"
#include "scenario.h"

#define LAPIC 0xfee00000ull
#define LVT_TIMER 0x320
#define TIMER_INIT 0x380
#define TIMER_DIV 0x3e0
#define VEC_TIMER 0x31

static void poison(struct vdev *d)
{
	struct vq *vq;

	if (!bring_up(d, 0))
		return;
	vq = &d->vq[d->type == VIRTIO_ID_CONSOLE ? 1 : 0];
	*vq_desc(vq, 0) =
	    (struct vring_desc){ BIG_BASE, 16, VRING_DESC_F_NEXT, 0 };
	vq->avail_idx = (u16)(vq->avail_idx + 500);
	mw16(vq->avail + 2, vq->avail_idx);
	v_notify(d, vq->q);
}

void idle_run(u64 ms)
{
	u64 end;
	unsigned int i;

	for (i = 0; i < nr_devs; i++)
		poison(&devs[i]);
	print("HOSTILE-IDLE-START ms=%lu\n", ms);
	/* Periodic; its rate does not matter, the TSC says when to stop. */
	mw32(LAPIC + TIMER_DIV, 0xb); /* divide by 1 */
	mw32(LAPIC + LVT_TIMER, (1u << 17) | VEC_TIMER);
	mw32(LAPIC + TIMER_INIT, 20000000);
	end = deadline_ms(ms);
	while (!expired(end))
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	mw32(LAPIC + TIMER_INIT, 0);
	mw32(LAPIC + LVT_TIMER, 1u << 16);
	print("HOSTILE-IDLE-END timer_ticks=%u\n", irq_count[VEC_TIMER]);
	for (i = 0; i < nr_devs; i++)
		v_reset(&devs[i]);
}
