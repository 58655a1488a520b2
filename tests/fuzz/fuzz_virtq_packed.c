// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the packed virtqueue: the input is the guest.
 *
 * Guest memory as in fuzz_virtq.c: 64 KiB at gpa 0, two exactly-sized
 * heap regions of 32 KiB, so ASan flags any stray access. The input is
 * copied to gpa 0; its first bytes double as the queue configuration:
 *
 *   [0..1]   queue size (le16; 0 and > 32768 must be refused)
 *   [2..3]   desc gpa   [4..5] driver event gpa   [6..7] device event gpa
 *   [8]      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 misalign the
 *            gpas as given (else round them), bit 3 start in lap 0
 *   [9..10]  starting ring position (mod size), for wrap-around
 *   [11]     iterations
 *   [12..]   per-iteration "guest writes": (le16 offset, byte) triples
 *
 * Each iteration pops a chain, checks its iovecs against the fake RAM,
 * copies through it, and completes it now, later (out of order) or gives
 * it back (unpop), asking about interrupts and kicks on the way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_virtq_ram.h"

#define FZ_MAX_ITERS 64
#define FZ_SCRIPT 12
#define FZ_HELD 4

static struct virtq_chain fz_chain;
static uint8_t fz_scratch[1024];

struct fz_held {
	uint16_t id[FZ_HELD];
	uint32_t len[FZ_HELD];
	unsigned int n;
};

/* Completes the held chains newest first: out of order. */
static void fz_release(struct virtq *q, struct fz_held *h)
{
	while (h->n) {
		h->n--;
		fz_check(virtq_push_used(q, h->id[h->n], h->len[h->n]) == 0);
	}
	virtq_needs_interrupt(q);
}

static void fz_run(struct virtq *q, const uint8_t *data, size_t size,
		   uint8_t *const host[2], unsigned int iters)
{
	unsigned int i, script = FZ_SCRIPT;
	struct fz_held held = { .n = 0 };

	for (i = 0; i < iters; i++) {
		enum virtq_pop_result r;
		size_t n;

		if (script + 3 <= size) {
			uint16_t off = fz_le16(data + script);

			host[off / FZ_REGION][off % FZ_REGION] =
			    data[script + 2];
			script += 3;
		}
		if (i % 4 == 1)
			virtq_disable_kicks(q);
		r = virtq_pop_chain(q, &fz_chain);
		if (r == VIRTQ_POP_BROKEN) {
			fz_check(q->broken);
			fz_check(fz_chain.nr_out == 0 && fz_chain.nr_in == 0);
			fz_check(!virtq_has_avail(q));
			break;
		}
		if (r == VIRTQ_POP_EMPTY) {
			fz_check(!q->broken);
			fz_release(q, &held);
			virtq_enable_kicks(q);
			continue;
		}
		fz_check(r == VIRTQ_POP_OK);
		fz_check_chain(q, &fz_chain, host);
		fz_check(q->inflight_descs <= q->size);
		if (i % 5 == 2) {
			virtq_unpop(q, 1);
			continue;
		}
		n = virtq_chain_read(&fz_chain, i * 7, fz_scratch,
				     sizeof(fz_scratch));
		fz_check(n <= sizeof(fz_scratch) && n <= fz_chain.out_len);
		n = virtq_chain_write(&fz_chain, i * 3, fz_scratch, n);
		fz_check(n <= fz_chain.in_len);
		held.id[held.n] = fz_chain.head;
		held.len[held.n++] = (uint32_t)n;
		if (held.n == FZ_HELD || i % 3 == 0)
			fz_release(q, &held);
		fz_check(virtq_push_used(q, q->size, 0) == -1);
		if (i % 4 == 3)
			virtq_enable_kicks(q);
	}
	/* Chains popped before the queue broke can still be completed. */
	fz_release(q, &held);
	fz_check(q->inflight_descs == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[FZ_SCRIPT] = { 0 };
	uint8_t *host[2];
	struct guest_mem m = { 0 };
	struct virtq q;
	uint16_t qsize;
	uint64_t desc, drv, dev;

	memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
	fz_ram_setup(data, size, host, &m);
	if (size > FZ_RAM)
		size = FZ_RAM;

	qsize = fz_le16(hdr);
	desc = fz_le16(hdr + 2);
	drv = fz_le16(hdr + 4);
	dev = fz_le16(hdr + 6);
	if (!(hdr[8] & 4)) {
		desc &= ~15ULL;
		drv &= ~3ULL;
		dev &= ~3ULL;
	}
	if (virtq_init_packed(&q, &m, qsize, desc, drv, dev, hdr[8] & 1,
			      hdr[8] & 2) < 0) {
		fz_check(q.broken && !q.slots);
		fz_check(virtq_pop_chain(&q, &fz_chain) == VIRTQ_POP_BROKEN);
		fz_check(virtq_push_used(&q, 0, 0) == -1);
		fz_check(!virtq_needs_interrupt(&q));
		goto out;
	}
	q.last_avail_idx = q.used_idx = (uint16_t)(fz_le16(hdr + 9) % qsize);
	q.avail_wrap = q.used_wrap = !(hdr[8] & 8);
	fz_run(&q, data, size, host, hdr[11] % (FZ_MAX_ITERS + 1));
	virtq_release(&q);
out:
	free(host[0]);
	free(host[1]);
	return 0;
}
