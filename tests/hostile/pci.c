// SPDX-License-Identifier: MIT
#include "platform.h"

static u32 cf8_addr(unsigned int dev, unsigned int fn, unsigned int off)
{
	return 0x80000000u | (dev << 11) | (fn << 8) | (off & 0xfc);
}

u32 pci_cf8_read(unsigned int dev, unsigned int fn, unsigned int off,
		 unsigned int len)
{
	u16 port = (u16)(0xcfc + (off & 3));

	outl(0xcf8, cf8_addr(dev, fn, off));
	if (len == 1)
		return inb(port);
	if (len == 2)
		return inw(port);
	return inl(port);
}

void pci_cf8_write(unsigned int dev, unsigned int fn, unsigned int off,
		   unsigned int len, u32 v)
{
	u16 port = (u16)(0xcfc + (off & 3));

	outl(0xcf8, cf8_addr(dev, fn, off));
	if (len == 1)
		outb(port, (u8)v);
	else if (len == 2)
		outw(port, (u16)v);
	else
		outl(port, v);
}

static u64 ecam_addr(unsigned int dev, unsigned int fn, unsigned int off)
{
	return plat.ecam + ((u64)dev << 15) + ((u64)fn << 12) + (off & 0xfff);
}

u32 pci_ecam_read(unsigned int dev, unsigned int fn, unsigned int off,
		  unsigned int len)
{
	u64 a = ecam_addr(dev, fn, off);

	if (len == 1)
		return mr8(a);
	if (len == 2)
		return mr16(a);
	return mr32(a);
}

void pci_ecam_write(unsigned int dev, unsigned int fn, unsigned int off,
		    unsigned int len, u32 v)
{
	u64 a = ecam_addr(dev, fn, off);

	if (len == 1)
		mw8(a, (u8)v);
	else if (len == 2)
		mw16(a, (u16)v);
	else
		mw32(a, v);
}

u32 pci_read(unsigned int dev, unsigned int fn, unsigned int off,
	     unsigned int len)
{
	return plat.ecam ? pci_ecam_read(dev, fn, off, len)
			 : pci_cf8_read(dev, fn, off, len);
}

void pci_write(unsigned int dev, unsigned int fn, unsigned int off,
	       unsigned int len, u32 v)
{
	if (plat.ecam)
		pci_ecam_write(dev, fn, off, len, v);
	else
		pci_cf8_write(dev, fn, off, len, v);
}

unsigned int pci_find_cap(unsigned int dev, unsigned int fn, u8 id,
			  unsigned int start)
{
	unsigned int off, hops = 0;

	if (!(pci_read(dev, fn, 0x06, 2) & 0x10))
		return 0;
	off = start ? pci_read(dev, fn, start + 1, 1)
		    : pci_read(dev, fn, 0x34, 1);
	/* A looping list must not hang us: 48 capabilities fill the space. */
	while (off >= 0x40 && off < 0x100 && hops++ < 48) {
		if (pci_read(dev, fn, off, 1) == id)
			return off;
		off = pci_read(dev, fn, off + 1, 1);
	}
	return 0;
}

u64 pci_bar_addr(unsigned int dev, unsigned int fn, unsigned int bar, bool *io)
{
	u32 lo = pci_read(dev, fn, 0x10 + 4 * bar, 4);

	*io = lo & 1;
	if (lo & 1)
		return lo & ~3u;
	if ((lo & 6) == 4 && bar < 5)
		return (lo & ~0xfull) |
		       ((u64)pci_read(dev, fn, 0x14 + 4 * bar, 4) << 32);
	return lo & ~0xfull;
}
