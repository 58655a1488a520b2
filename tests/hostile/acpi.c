// SPDX-License-Identifier: MIT
/*
 * Reads only what a driver needs from ACPI: MCFG for the ECAM window and the
 * DSDT's virtio-mmio (LNRO0005) devices. Tables are checked by signature and
 * length before use; a missing or broken table just means "not found".
 */
#include "platform.h"

struct platform plat = { .reset_space = 0xff };

static bool sig_at(u64 a, const char *sig, unsigned int n)
{
	return memcmp((const void *)a, sig, n) == 0;
}

static u64 find_rsdp(void)
{
	u64 a;

	if (boot.rsdp && sig_at(boot.rsdp, "RSD PTR ", 8))
		return boot.rsdp;
	for (a = 0xe0000; a < 0x100000; a += 16)
		if (sig_at(a, "RSD PTR ", 8))
			return a;
	return 0;
}

static void parse_mcfg(u64 t, u32 len)
{
	/* Header 36 + reserved 8, then 16-byte allocation entries. */
	if (len >= 44 + 16)
		plat.ecam = mr64(t + 44);
}

/* AML resource template: Memory32Fixed (0x86) and Interrupt (0x89). */
static void parse_lnro(u64 at, u64 end)
{
	u64 base = 0, p;
	u32 gsi = 0;

	for (p = at; p + 12 < end && p < at + 256; p++) {
		if (!base && mr8(p) == 0x86 && mr8(p + 1) == 9 &&
		    mr8(p + 2) == 0)
			base = mr32(p + 4);
		if (!gsi && mr8(p) == 0x89 && mr8(p + 1) >= 6 &&
		    mr8(p + 4) == 1)
			gsi = mr32(p + 5);
		if (base && gsi)
			break;
	}
	if (base && plat.nr_mmio < MAX_MMIO_DEVS) {
		plat.mmio_base[plat.nr_mmio] = base;
		plat.mmio_gsi[plat.nr_mmio++] = gsi;
		plat.mmio_from_acpi = true;
	}
}

static void parse_dsdt(u64 t, u32 len)
{
	u64 p, end = t + len;

	plat.dsdt = t;
	for (p = t + 36; p + 8 < end; p++)
		if (sig_at(p, "LNRO0005", 8))
			parse_lnro(p + 8, end);
}

void acpi_scan(void)
{
	u64 rsdp = find_rsdp(), xsdt, rsdt;
	u32 len, i, n;

	if (!rsdp)
		return;
	xsdt = mr8(rsdp + 15) >= 2 ? mr64(rsdp + 24) : 0;
	rsdt = mr32(rsdp + 16);
	if (xsdt && xsdt < 0x100000000ull && sig_at(xsdt, "XSDT", 4)) {
		len = mr32(xsdt + 4);
		n = len > 36 ? (len - 36) / 8 : 0;
	} else if (rsdt && sig_at(rsdt, "RSDT", 4)) {
		xsdt = 0;
		len = mr32(rsdt + 4);
		n = len > 36 ? (len - 36) / 4 : 0;
	} else {
		return;
	}
	for (i = 0; i < n && i < 32; i++) {
		u64 t =
		    xsdt ? mr64(xsdt + 36 + 8 * i) : mr32(rsdt + 36 + 4 * i);

		if (!t || t >= 0x100000000ull)
			continue;
		len = mr32(t + 4);
		if (sig_at(t, "MCFG", 4))
			parse_mcfg(t, len);
		/* Flags bit 10: RESET_REG_SUP; the GAS at 116, the value at
		 * 128. */
		if (sig_at(t, "FACP", 4) && len >= 129 &&
		    (mr32(t + 112) & (1u << 10))) {
			plat.reset_space = mr8(t + 116);
			plat.reset_addr = mr64(t + 120);
			plat.reset_value = mr8(t + 128);
		}
		if (sig_at(t, "FACP", 4) && len >= 148) {
			u64 d = mr64(t + 140);

			if (!d)
				d = mr32(t + 40);
			if (d && d < 0x100000000ull && sig_at(d, "DSDT", 4))
				parse_dsdt(d, mr32(d + 4));
		}
	}
}

/* virtio_mmio.device=<size>@<base>:<irq>, as Linux parses it. */
void mmio_scan_cmdline(const char *s)
{
	static const char key[] = "virtio_mmio.device=";

	if (plat.mmio_from_acpi)
		return;
	for (; s && *s; s++) {
		const char *p;
		u64 base;
		u32 gsi;

		if (strncmp(s, key, sizeof(key) - 1))
			continue;
		p = s + sizeof(key) - 1;
		parse_u64(p, &p);
		if (*p == 'K' || *p == 'k' || *p == 'M')
			p++;
		if (*p++ != '@')
			continue;
		base = parse_u64(p, &p);
		gsi = *p == ':' ? (u32)parse_u64(p + 1, NULL) : 0;
		if (plat.nr_mmio < MAX_MMIO_DEVS) {
			plat.mmio_base[plat.nr_mmio] = base;
			plat.mmio_gsi[plat.nr_mmio++] = gsi;
		}
	}
}
