#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a few well-formed inputs for fuzz_virtq_packed (layout: its .c)."""
import os
import struct
import sys

DESC, DRV, DEV, IND, BUF = 0x100, 0x80, 0x90, 0x600, 0x800
NEXT, WRITE, INDIRECT = 1, 2, 4
AVAIL, USED = 1 << 7, 1 << 15


def seed(size, features, start, iters, chains, indirect=None):
    """chains: lists of (addr, len, flags) per buffer id, laid from start."""
    mem = bytearray(0x1000)
    wrap = not features & 8
    struct.pack_into("<HHHHBHB", mem, 0, size, DESC, DRV, DEV, features,
                     start, iters)
    # Guest-write script: harmless writes into an unused page.
    for i in range(12, DRV - 2, 3):
        struct.pack_into("<HB", mem, i, 0xf000 + i, 0x5a)
    pos = start % size
    for buf_id, chain in enumerate(chains):
        for addr, length, flags in chain:
            bits = AVAIL if wrap else USED
            struct.pack_into("<QIHH", mem, DESC + 16 * pos, addr, length,
                             buf_id, flags | bits)
            pos += 1
            if pos == size:
                pos, wrap = 0, not wrap
    for i, (addr, length, flags) in enumerate(indirect or []):
        struct.pack_into("<QIHH", mem, IND + 16 * i, addr, length, 0, flags)
    for i in range(BUF, BUF + 0x400):
        mem[i] = i & 0xff
    return bytes(mem)


def main(out):
    os.makedirs(out, exist_ok=True)
    blk = [(BUF, 16, NEXT), (BUF + 16, 64, NEXT), (BUF + 0x100, 1, WRITE)]
    seeds = {
        "chain": seed(8, 1, 0, 8, [blk, [(BUF + 0x200, 128, WRITE)]]),
        # chains straddling the end of the ring, lap 0 start
        "wrap": seed(4, 1 | 8, 3, 16, [blk, [(BUF, 8, WRITE)], blk]),
        "indirect": seed(16, 3, 0, 8, [[(IND, 48, INDIRECT)]],
                         [(BUF, 16, 0), (BUF + 16, 16, 0),
                          (BUF + 0x100, 64, WRITE)]),
        "odd_size": seed(5, 0, 2, 16, [blk, blk, [(BUF, 4, WRITE)]]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/seeds/virtq_packed")
