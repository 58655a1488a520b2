// SPDX-License-Identifier: MIT
/*
 * hostile.chaos=SECONDS,seed=N[,rounds=R]: seeded random mutation of rings and
 * transport registers for a bounded time, or for R rounds (SECONDS then only
 * bounds a slow host): a round count makes a run the same on a loaded machine
 * as on an idle one. Each round mutates one device for a burst,
 * then resets it and requires one good request; a failing round prints its
 * seed and number so it can be replayed alone.
 */
#include "scenario.h"

/* Addresses a mutated descriptor may name: never this guest's own image. */
static u64 chaos_addr(u64 r)
{
	switch (r & 7) {
	case 0:
		return 0x7fffffffffffull & (r >> 3);
	case 1:
		return 0xffffffffffffffffull - (r >> 50);
	case 2:
		return 0xfec00000ull + ((r >> 8) & 0x13fffff);
	case 3:
		return 0x10000000ull - ((r >> 8) & 0xffff);
	default:
		return BIG_BASE + ((r >> 8) & (BIG_SIZE - 1));
	}
}

static void mutate_ring(struct vdev *d, struct vq *vq, u64 *seed)
{
	u64 r = rnd_next(seed);
	unsigned int i = (unsigned int)(r % vq->size);
	struct vring_desc *de = vq_desc(vq, i);

	switch ((r >> 16) % 6) {
	case 0:
		de->addr = chaos_addr(rnd_next(seed));
		break;
	case 1:
		de->len = (u32)rnd_next(seed);
		break;
	case 2:
		de->flags = (u16)rnd_next(seed);
		break;
	case 3:
		de->next = (u16)rnd_next(seed);
		break;
	case 4:
		vq_publish(d, vq, (u16)(rnd_next(seed) % (vq->size + 4u)));
		return;
	case 5:
		vq->avail_idx = (u16)(vq->avail_idx + (rnd_next(seed) & 0x3ff));
		mw16(vq->avail + 2, vq->avail_idx);
		break;
	}
	v_notify(d, vq->q);
}

static void mutate_register(struct vdev *d, u64 *seed)
{
	u64 r = rnd_next(seed);
	u32 v = (u32)rnd_next(seed);

	switch (r % 8) {
	case 0:
		v_set_status(d, (u8)v);
		break;
	case 1:
		v_select(d, v & 0x1ff);
		break;
	case 2:
		v_queue_size(d, v & 0x3ff);
		break;
	case 3:
		v_set_features(d, rnd_next(seed));
		break;
	case 4:
		v_queue_enable(d, v & 1 ? v : 1);
		break;
	case 5:
		v_queue_addrs(d, chaos_addr(v), chaos_addr(rnd_next(seed)),
			      chaos_addr(r));
		break;
	case 6:
		v_cfg_write(d, v & 0xff, 1u << (r >> 8 & 2), (u32)r);
		break;
	case 7:
		v_notify(d, v & 7);
		break;
	}
}

void chaos_run(u64 seconds, u64 seed, u64 rounds, unsigned int *pass,
	       unsigned int *fail)
{
	u64 end = deadline_ms(seconds * 1000), s = seed ? seed : 1;
	unsigned int round = 0, ok = 0, bad = 0;

	while (!expired(end) && nr_devs && (!rounds || round < rounds)) {
		struct vdev *d = &devs[rnd_next(&s) % nr_devs];
		u64 round_seed = s;
		char f[96] = "";
		unsigned int i;

		if (d->type == VIRTIO_ID_RNG || d->type == VIRTIO_ID_BLOCK ||
		    d->type == VIRTIO_ID_CONSOLE) {
			if (bring_up(d, 0)) {
				struct vq *vq =
				    &d->vq[d->type == VIRTIO_ID_CONSOLE ? 1
									: 0];

				for (i = 0; i < 16; i++) {
					if (rnd_next(&s) & 3)
						mutate_ring(d, vq, &s);
					else
						mutate_register(d, &s);
				}
			}
			if (dev_works(d, f, sizeof(f))) {
				ok++;
			} else {
				bad++;
				print("HOSTILE chaos_round fail %s seed=%lu "
				      "round=%u round_seed=%lu %s\n",
				      d->name, seed, round, round_seed, f);
			}
		}
		round++;
	}
	/* Fewer rounds than asked: the time bound cut the run short. */
	print("HOSTILE chaos %s rounds=%u of=%lu ok=%u bad=%u seed=%lu\n",
	      bad || round < rounds ? "fail" : "pass", round, rounds, ok, bad,
	      seed);
	if (bad || round < rounds)
		(*fail)++;
	else
		(*pass)++;
}
