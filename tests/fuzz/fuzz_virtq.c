// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the split virtqueue: the input is the guest.
 *
 * Guest memory is 64 KiB at gpa 0 made of two regions of 32 KiB, each its
 * own exactly-sized heap block, so ASan flags any access outside RAM and
 * any access that strays from one region into the other. The input is
 * copied to gpa 0 (the rest is zero); its first bytes double as the
 * queue configuration:
 *
 *   [0]      queue size: 1 << (b & 15), or with bit 7 set, b[0..1] raw
 *   [2..3]   desc gpa   [4..5] avail gpa   [6..7] used gpa (le16)
 *   [8]      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 misalign the
 *            ring gpas as given (else round them to their alignment)
 *   [9..10]  starting ring index (as after a long run), for wrap-around
 *   [11]     iterations
 *   [12..]   per-iteration "guest writes": (le16 offset, byte) triples
 *            applied between device steps, a driver racing with us
 *
 * Each iteration pops a chain, checks every iovec against the fake RAM,
 * reads the out side, writes the in side (which may land on the rings
 * themselves), pushes it used and asks about interrupts and kicks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_virtq_ram.h"

#define FZ_MAX_ITERS 64
#define FZ_SCRIPT 12

static struct virtq_chain fz_chain;
static uint8_t fz_scratch[1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[FZ_SCRIPT] = { 0 };
	uint8_t *host[2];
	struct guest_mem m = { 0 };
	struct virtq q;
	uint16_t qsize, start;
	uint64_t desc, avail, used;
	unsigned int iters, i, script = FZ_SCRIPT;
	bool misalign;

	memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
	fz_ram_setup(data, size, host, &m);
	if (size > FZ_RAM)
		size = FZ_RAM;

	qsize =
	    (hdr[0] & 0x80) ? fz_le16(hdr) : (uint16_t)(1u << (hdr[0] & 15));
	misalign = hdr[8] & 4;
	desc = fz_le16(hdr + 2);
	avail = fz_le16(hdr + 4);
	used = fz_le16(hdr + 6);
	if (!misalign) {
		desc &= ~15ULL;
		avail &= ~1ULL;
		used &= ~3ULL;
	}
	if (virtq_init(&q, &m, qsize, desc, avail, used, hdr[8] & 1,
		       hdr[8] & 2) < 0) {
		fz_check(q.broken);
		fz_check(virtq_pop_chain(&q, &fz_chain) == VIRTQ_POP_BROKEN);
		fz_check(virtq_push_used(&q, 0, 0) == -1);
		fz_check(!virtq_needs_interrupt(&q));
		goto out;
	}
	start = fz_le16(hdr + 9);
	q.last_avail_idx = q.used_idx = q.signalled_used = start;
	iters = hdr[11] % (FZ_MAX_ITERS + 1);

	for (i = 0; i < iters; i++) {
		enum virtq_pop_result r;
		size_t n;

		/* The guest moves, anywhere in RAM, while we work. */
		if (script + 3 <= size) {
			uint16_t off = fz_le16(data + script);

			host[off / FZ_REGION][off % FZ_REGION] =
			    data[script + 2];
			script += 3;
		}

		if (i % 4 == 1)
			virtq_disable_kicks(&q);
		r = virtq_pop_chain(&q, &fz_chain);
		if (r == VIRTQ_POP_BROKEN) {
			fz_check(q.broken);
			fz_check(fz_chain.nr_out == 0 && fz_chain.nr_in == 0);
			fz_check(!virtq_has_avail(&q));
			fz_check(virtq_pop_chain(&q, &fz_chain) ==
				 VIRTQ_POP_BROKEN);
			break;
		}
		if (r == VIRTQ_POP_EMPTY) {
			fz_check(!q.broken);
			virtq_enable_kicks(&q);
			break;
		}
		fz_check(r == VIRTQ_POP_OK);
		fz_check_chain(&q, &fz_chain, host);

		n = virtq_chain_read(&fz_chain, i * 7, fz_scratch,
				     sizeof(fz_scratch));
		fz_check(n <= sizeof(fz_scratch) && n <= fz_chain.out_len);
		n = virtq_chain_write(&fz_chain, i * 3, fz_scratch, n);
		fz_check(n <= fz_chain.in_len);
		fz_check(virtq_push_used(&q, fz_chain.head, (uint32_t)n) == 0);
		fz_check(virtq_push_used(&q, q.size, 0) == -1);
		virtq_needs_interrupt(&q);
		if (i % 4 == 3)
			virtq_enable_kicks(&q);
	}
out:
	free(host[0]);
	free(host[1]);
	return 0;
}
