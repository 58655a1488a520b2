#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a few well-formed inputs for fuzz_virtq (layout: fuzz_virtq.c)."""
import os
import struct
import sys

DESC, AVAIL, USED, IND, BUF = 0x100, 0x200, 0x300, 0x600, 0x800
NEXT, WRITE, INDIRECT = 1, 2, 4


def seed(log2size, features, start, iters, chains, indirect=None):
    size = 1 << log2size
    mem = bytearray(0x1000)
    struct.pack_into("<BBHHHBHB", mem, 0, log2size, 0, DESC, AVAIL, USED,
                     features, start, iters)
    # Guest-write script: harmless writes into an unused page.
    for i in range(12, DESC - 2, 3):
        struct.pack_into("<HB", mem, i, 0xf000 + i, 0x5a)
    for i, (addr, length, flags, nxt) in enumerate(chains[0]):
        struct.pack_into("<QIHH", mem, DESC + 16 * i, addr, length, flags, nxt)
    for i, (addr, length, flags, nxt) in enumerate(indirect or []):
        struct.pack_into("<QIHH", mem, IND + 16 * i, addr, length, flags, nxt)
    heads = chains[1]
    for n, head in enumerate(heads):
        struct.pack_into("<H", mem, AVAIL + 4 + 2 * ((start + n) % size), head)
    struct.pack_into("<H", mem, AVAIL + 2, (start + len(heads)) & 0xffff)
    for i in range(BUF, BUF + 0x400):
        mem[i] = i & 0xff
    return bytes(mem)


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {
        # blk-like request: 2 out, 1 in; and a lone writable buffer.
        "chain": seed(3, 0, 0, 8, ([(BUF, 16, NEXT, 1), (BUF + 16, 64, NEXT, 2),
                                    (BUF + 0x100, 32, WRITE, 0),
                                    (BUF + 0x200, 128, WRITE, 0)], [0, 3])),
        # indirect table with event idx.
        "indirect": seed(2, 3, 0, 8, ([(IND, 48, INDIRECT, 0)], [0]),
                         [(BUF, 8, NEXT, 1), (BUF + 8, 8, NEXT, 2),
                          (BUF + 0x100, 100, WRITE, 0)]),
        # indices about to wrap at 65535.
        "wrap": seed(2, 1, 65534, 8, ([(BUF, 4, 0, 0), (BUF + 4, 4, WRITE, 0),
                                       (BUF + 8, 4, 0, 0),
                                       (BUF + 12, 4, WRITE, 0)], [0, 1, 2, 3])),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "seeds", "virtq"))
