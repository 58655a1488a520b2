// SPDX-License-Identifier: MIT
#include "hostile.h"
#include "platform.h"

#define COM1 0x3f8
#define LSR_THRE 0x20
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_GATE 0x61
#define PIT_HZ 1193182u

struct boot boot;
u64 tsc_per_ms = 1000000; /* until calibrated: ~1 GHz */

/* One string instruction each: loops cost dearly where guests are emulated. */
void *memset(void *d, int c, size_t n)
{
	void *p = d;

	__asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *p = d;

	__asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

void putc_serial(char c)
{
	unsigned int spins = 100000;

	/* Bounded: a UART that never drains must not hang the run. */
	while (!(inb(COM1 + 5) & LSR_THRE) && --spins)
		cpu_relax();
	outb(COM1, (u8)c);
}

void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->buf) {
		if (o->len + 1 < o->size)
			o->buf[o->len] = c;
	} else {
		if (c == '\n')
			putc_serial('\r');
		putc_serial(c);
	}
	o->len++;
}

static void out_num(struct out *o, u64 v, unsigned int base, bool neg)
{
	char tmp[24];
	int n = 0;

	if (neg)
		out_c(o, '-');
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		out_c(o, tmp[--n]);
}

static void vout(struct out *o, const char *f, va_list ap)
{
	for (; *f; f++) {
		int l = 0;
		u64 v;

		if (*f != '%') {
			out_c(o, *f);
			continue;
		}
		f++;
		while (*f == 'l') {
			l++;
			f++;
		}
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			while (*s)
				out_c(o, *s++);
			break;
		}
		case 'c':
			out_c(o, (char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t sv = l ? va_arg(ap, int64_t) : va_arg(ap, int);

			out_num(o, sv < 0 ? (u64)-sv : (u64)sv, 10, sv < 0);
			break;
		}
		case 'u':
		case 'x':
			v = l ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			out_num(o, v, *f == 'x' ? 16 : 10, false);
			break;
		case '%':
			out_c(o, '%');
			break;
		default:
			return;
		}
	}
}

void vprint(const char *f, va_list ap)
{
	struct out o = { 0 };

	vout(&o, f, ap);
}

void print(const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vprint(f, ap);
	va_end(ap);
}

int vfmt(char *buf, size_t size, const char *f, va_list ap)
{
	struct out o = { .buf = buf, .size = size };

	vout(&o, f, ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vfmt(buf, size, f, ap);
	va_end(ap);
	return n;
}

u64 parse_u64(const char *s, const char **end)
{
	unsigned int base = 10;
	u64 v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		v = v * base + d;
	}
	if (end)
		*end = s;
	return v;
}

void machine_reset(void)
{
	/* The FADT's reset register, then 0xCF9, then the keyboard controller.
	 */
	if (plat.reset_space == 1)
		outb((u16)plat.reset_addr, plat.reset_value);
	else if (plat.reset_space == 0 && plat.reset_addr)
		mw8(plat.reset_addr, plat.reset_value);
	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06);
	outb(0x64, 0xfe);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

/* The hypervisor's TSC leaf, then the CPU's base clock; 0 if neither. */
static u64 tsc_khz_from_cpuid(void)
{
	u32 a, b, c, d;

	cpuid(0x40000000, &a, &b, &c, &d);
	if (a >= 0x40000010 && a < 0x40000100) {
		cpuid(0x40000010, &a, &b, &c, &d);
		if (a)
			return a;
	}
	cpuid(0, &a, &b, &c, &d);
	if (a >= 0x16) {
		cpuid(0x16, &a, &b, &c, &d);
		if (a)
			return (u64)a * 1000;
	}
	return 0;
}

/*
 * CPUID when it states the rate. Else PIT channel 2 counts 10 ms with the
 * speaker gate and the TSC delta over it gives the rate (an emulated PIT on
 * a loaded host reads late: too high, so waits get longer, never shorter).
 * A gate that reads done at once means no PIT (microvm): guess 2 GHz.
 */
void time_init(void)
{
	u32 ticks = PIT_HZ / 100;
	u64 t0, t1, best = 0;
	unsigned int spins, round;

	tsc_per_ms = tsc_khz_from_cpuid();
	if (tsc_per_ms)
		return;
	/* The shortest of three: a preempted vCPU only makes a round longer. */
	for (round = 0; round < 3; round++) {
		spins = 0;
		outb(PIT_GATE, (u8)((inb(PIT_GATE) & ~0x02) | 0x01));
		outb(PIT_CMD, 0xb0); /* channel 2, lo/hi, mode 0 */
		outb(PIT_CH2, (u8)ticks);
		outb(PIT_CH2, (u8)(ticks >> 8));
		t0 = rdtsc();
		while (!(inb(PIT_GATE) & 0x20) && ++spins < 2000000)
			;
		t1 = rdtsc();
		if (spins >= 16 && spins < 2000000 && t1 - t0 > 10000 &&
		    (!best || t1 - t0 < best))
			best = t1 - t0;
	}
	tsc_per_ms = best ? best / 10 : 2000000;
}

void delay_us(u64 us)
{
	u64 end = rdtsc() + us * tsc_per_ms / 1000;

	while (!expired(end))
		cpu_relax();
}

u64 rnd_next(u64 *s)
{
	u64 x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}
