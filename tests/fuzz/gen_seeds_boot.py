#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes small well-formed kernel images for fuzz_elf and fuzz_bzimage:
the unit tests' fixtures (tests/unit/test_boot_elf.c, test_boot_payload.c)
laid out for the fuzzers' fake RAM (fuzz_boot_common.h)."""
import gzip
import lzma
import os
import struct
import sys
import zlib

PT_LOAD, PT_NOTE = 1, 4
TEXT_PADDR, DATA_PADDR = 0x1000000, 0x1200000
VIRT = 0xffffffff80000000


def note(name, ntype, desc):
    name = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def elf(pvh=8, low=False, vaddr_entry=False):
    """Text + data/bss PT_LOADs and a PT_NOTE (build id, Xen PVH entry)."""
    text_off, text_len, data_off, data_filesz, data_memsz = 0x100, 0x200, 0x300, 0x80, 0x1000
    text_pa = 0x100000 if low else TEXT_PADDR
    data_pa = 0x180000 if low else DATA_PADDR
    notes = note("GNU", 3, bytes(range(20)))
    if pvh == 8:
        notes += note("Xen", 18, struct.pack("<Q", text_pa + 0x100))
    elif pvh == 4:
        notes += note("Xen", 18, struct.pack("<I", text_pa + 0x100))
    note_off = 0x380
    entry = (VIRT + text_pa + 0x40) if vaddr_entry else text_pa + 0x40
    phdrs = [
        (PT_LOAD, 5, text_off, VIRT + text_pa, text_pa, text_len, text_len, 0x200000),
        (PT_LOAD, 6, data_off, VIRT + data_pa, data_pa, data_filesz, data_memsz, 0x200000),
        (PT_NOTE, 4, note_off, 0, 0, len(notes), len(notes), 4),
    ]
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, 64, 0, 0, 64, 56,
                             len(phdrs), 0, 0, 0)
    img = bytearray(note_off + len(notes))
    img[: len(eh)] = eh
    for i, ph in enumerate(phdrs):
        struct.pack_into("<IIQQQQQQ", img, 64 + 56 * i, *ph)
    for i in range(text_len):
        img[text_off + i] = (i * 7 + 1) & 0xff
    for i in range(data_filesz):
        img[data_off + i] = 0x5a ^ (i & 0xff)
    img[note_off:] = notes
    return bytes(img)


def bzimage(payload, init_size=0x200000, relocatable=1, pref=0x1000000):
    """A protocol 2.15 64-bit bzImage whose payload follows 0x300 bytes of
    decompressor code, with the kernel's 4-byte size trailer."""
    setup_sects, head = 4, 0x300
    kernel = (head + len(payload) + 4 + 15) & ~15
    img = bytearray((setup_sects + 1) * 512 + kernel)
    hdr = 0x1F1

    def put(off, fmt, v):
        struct.pack_into("<" + fmt, img, hdr + off, v)

    put(0x00, "B", setup_sects)
    put(0x03, "I", kernel // 16)  # syssize
    put(0x0D, "H", 0xAA55)
    img[0x200] = 0xEB
    img[0x201] = hdr + 0x77 - 0x202  # header through init_size/handover
    img[0x202:0x206] = b"HdrS"
    put(0x15, "H", 0x020F)
    put(0x20, "B", 1)  # loadflags: LOADED_HIGH
    put(0x3B, "I", 0x7FFFFFFF)  # initrd_addr_max
    put(0x3F, "I", 0x200000)  # kernel_alignment
    put(0x43, "B", relocatable)
    put(0x44, "B", 21)  # min_alignment
    put(0x45, "H", 0x3)  # xloadflags: KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
    put(0x47, "I", 2047)  # cmdline_size
    put(0x57, "I", head)  # payload_offset
    put(0x5B, "I", len(payload))  # payload_length
    put(0x67, "Q", pref)  # pref_address
    put(0x6F, "I", init_size)
    base = (setup_sects + 1) * 512
    for i in range(head):
        img[base + i] = (i * 13 + 3) & 0xff
    img[base + head: base + head + len(payload)] = payload
    return bytes(img)


def xz(data, dict_size=1 << 16):
    filters = [{"id": lzma.FILTER_X86},
               {"id": lzma.FILTER_LZMA2, "preset": 6, "dict_size": dict_size}]
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                         filters=filters) + struct.pack("<I", len(data))


def xz_dict_byte(stream, byte):
    """The same stream asking for another LZMA2 dictionary (40: 4 GiB - 1),
    block header CRC32 fixed up: what a decompression bomb looks like."""
    d = bytearray(stream)
    blk = 12  # after the stream header
    hsize = (d[blk] + 1) * 4
    i = d.index(b"\x21\x01", blk, blk + hsize)
    d[i + 2] = byte
    crc = zlib.crc32(bytes(d[blk: blk + hsize - 4]))
    d[blk + hsize - 4: blk + hsize] = struct.pack("<I", crc)
    return bytes(d)


def main(root):
    vmlinux = elf()
    seeds = {
        "elf": {
            "pvh64": vmlinux,
            "pvh32": elf(pvh=4),
            "nopvh": elf(pvh=0),
            "low": elf(low=True),
            "vaddr_entry": elf(vaddr_entry=True),
        },
        "bzimage": {
            "gzip": bzimage(gzip.compress(vmlinux, 9, mtime=0)),
            "xz": bzimage(xz(vmlinux)),
            "xz_huge_dict": bzimage(xz_dict_byte(xz(vmlinux), 40)),
            "elf": bzimage(vmlinux),
            "fallback": bzimage(b"\x02\x21\x4c\x18" + bytes(64)),
            "fixed": bzimage(gzip.compress(elf(pvh=0, low=True), 9, mtime=0),
                             init_size=0x90000, relocatable=0, pref=0),
        },
    }
    for target, files in seeds.items():
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, blob in files.items():
            assert len(blob) < 64 << 10
            with open(os.path.join(d, name), "wb") as f:
                f.write(blob)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "seeds"))
