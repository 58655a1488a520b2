#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes driver-like register sequences for fuzz_virtio_pci,
fuzz_virtio_mmio and fuzz_pci_cfg (input layout: tests/fuzz/fuzz_ops.h)."""
import os
import struct
import sys

W = 0x80
ACK, DRV, DOK, FOK = 1, 2, 4, 8


def op(target, width, off, val=0, write=False):
    log2 = {1: 0, 2: 1, 4: 2, 8: 3}[width]
    return struct.pack("<BBHI", target | (W if write else 0), log2, off,
                       val & 0xffffffff)


def wr(target, width, off, val):
    return op(target, width, off, val, True)


# --- virtio-pci: 0 modern BAR, 1 legacy BAR, 2 MSI-X, 3 config, 4 events
def pci_modern():
    s = [wr(3, 2, 4, 0x7)]  # command: I/O, memory, bus master
    s += [wr(3, 2, 0x42, 0x8000)]  # MSI-X enable (cap after the 0x40 one)
    s += [wr(2, 4, 12, 0), wr(2, 4, 16 + 12, 0)]  # unmask vectors 0, 1
    s += [wr(0, 1, 0x14, 0), wr(0, 1, 0x14, ACK), wr(0, 1, 0x14, ACK | DRV)]
    s += [wr(0, 4, 0x00, 1), op(0, 4, 0x04), wr(0, 4, 0x08, 0),
          wr(0, 4, 0x0c, 1 << 3), wr(0, 4, 0x08, 1), wr(0, 4, 0x0c, 1)]
    s += [wr(0, 1, 0x14, ACK | DRV | FOK), op(0, 1, 0x14)]
    s += [wr(0, 2, 0x10, 0)]
    for q in range(2):
        base = 0x100000 * (q + 1)
        s += [wr(0, 2, 0x16, q), op(0, 2, 0x18), wr(0, 2, 0x18, 64),
              wr(0, 2, 0x1a, q + 1), wr(0, 4, 0x20, base),
              wr(0, 4, 0x24, 0), wr(0, 4, 0x28, base + 0x400),
              wr(0, 4, 0x30, base + 0x800), wr(0, 2, 0x1c, 1)]
    s += [wr(0, 1, 0x14, ACK | DRV | FOK | DOK)]
    s += [wr(0, 2, 0x3000, 0), wr(0, 4, 0x3004, 1), op(4, 1, 0, 1),
          op(4, 1, 1), op(0, 1, 0x1000), op(0, 4, 0x2000), op(0, 8, 0x2000)]
    s += [wr(3, 2, 4, 0x3), op(4, 1, 0, 0), wr(3, 2, 4, 0x7), op(2, 8, 0x800)]
    s += [wr(0, 1, 0x14, ACK | DRV | DOK), wr(0, 1, 0x14, 0)]
    return b"".join(s)


def pci_legacy():
    s = [wr(3, 2, 4, 0x5)]
    s += [wr(1, 1, 0x12, 0), wr(1, 1, 0x12, ACK), wr(1, 1, 0x12, ACK | DRV),
          op(1, 4, 0x00), wr(1, 4, 0x04, 1 << 3)]
    for q in range(3):
        s += [wr(1, 2, 0x0e, q), op(1, 2, 0x0c), wr(1, 4, 0x08, 0x100 + q)]
    s += [wr(1, 1, 0x12, ACK | DRV | DOK), wr(1, 2, 0x10, 1), op(1, 1, 0x13)]
    s += [wr(1, 2, 0x0e, 1), wr(1, 4, 0x08, 0), wr(1, 4, 0x08, 0x200)]
    s += [op(1, 4, 0x14), op(1, 4, 0x18), wr(1, 1, 0x12, ACK | DRV)]
    for i in range(8):
        s += [wr(1, 1, 0x12, ACK | DRV), wr(1, 1, 0x12, ACK | DRV | DOK)]
    return b"".join(s)


# --- virtio-mmio: targets 1-3 registers, 0 device events
def mmio(legacy):
    r = 1
    s = [wr(r, 4, 0x70, 0), op(r, 4, 0x00), op(r, 4, 0x04), op(r, 4, 0x08),
         wr(r, 4, 0x70, ACK), wr(r, 4, 0x70, ACK | DRV), wr(r, 4, 0x14, 1),
         op(r, 4, 0x10), wr(r, 4, 0x24, 0), wr(r, 4, 0x20, 1 << 3)]
    if not legacy:
        s += [wr(r, 4, 0x24, 1), wr(r, 4, 0x20, 1),
              wr(r, 4, 0x70, ACK | DRV | FOK)]
    else:
        s += [wr(r, 4, 0x28, 4096)]
    for q in range(2):
        s += [wr(r, 4, 0x30, q), op(r, 4, 0x34), wr(r, 4, 0x38, 64)]
        if legacy:
            s += [wr(r, 4, 0x3c, 4096), wr(r, 4, 0x40, 0x100 + q)]
        else:
            s += [wr(r, 4, 0x80, 0x100000 * (q + 1)), wr(r, 4, 0x84, 0),
                  wr(r, 4, 0x90, 0x100000 * (q + 1) + 0x400),
                  wr(r, 4, 0xa0, 0x100000 * (q + 1) + 0x800),
                  wr(r, 4, 0x44, 1)]
    st = ACK | DRV | DOK | (0 if legacy else FOK)
    s += [wr(r, 4, 0x70, st), wr(r, 4, 0x50, 1), op(0, 4, 0, 1),
          op(r, 4, 0x60), wr(r, 4, 0x64, 1), op(r, 4, 0x100), op(r, 2, 0x106),
          op(r, 4, 0xfc), op(r, 8, 0x100)]
    if legacy:
        s += [wr(r, 4, 0x30, 1), wr(r, 4, 0x40, 0)]
    s += [wr(r, 4, 0x70, ACK | DRV), wr(r, 4, 0x70, 0)]
    return bytes([1 if legacy else 0]) + b"".join(s)


# --- PCI config: 0 CF8, 1 CFC, 2 ECAM, 3 memory window, 4 I/O ports
def pci_cfg():
    s = []
    for slot in range(3):
        addr = 0x80000000 | slot << 11
        s += [wr(0, 4, 0, addr), op(1, 4, 0), op(1, 2, 2), op(1, 1, 3)]
        s += [op(2, 4, slot << 12), op(2, 8, slot << 12),
              op(2, 4, (slot << 12) | 0x100)]
    # Size and move BAR 4 of slot 1, toggle decode and bus master.
    s += [wr(2, 4, (1 << 12) | 0x20, 0xffffffff), op(2, 4, (1 << 12) | 0x20),
          wr(2, 4, (1 << 12) | 0x20, 0xe0100000),
          wr(2, 2, (1 << 12) | 0x04, 0x0), wr(2, 2, (1 << 12) | 0x04, 0x7),
          wr(0, 4, 0, 0x80000800 | 0x10), wr(1, 4, 0, 0xffffffff),
          op(1, 4, 0), wr(1, 4, 0, 0xc001), op(2, 8, (1 << 12) | 0x10)]
    s += [op(3, 4, 0x4000), op(3, 1, 0x4400), op(4, 1, 0), op(4, 4, 0x12),
          op(2, 8, (1 << 12) | 0xffc), op(2, 8, 0x0ff8), op(2, 2, 1 << 14)]
    return b"".join(s)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "seeds")
    seeds = {
        "virtio_pci": {"modern": pci_modern(), "legacy": pci_legacy()},
        "virtio_mmio": {"v2": mmio(False), "v1": mmio(True)},
        "pci_cfg": {"probe": pci_cfg()},
    }
    for target, files in seeds.items():
        os.makedirs(os.path.join(root, target), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(root, target, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
