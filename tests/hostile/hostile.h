/* SPDX-License-Identifier: MIT */
#ifndef HOSTILE_H
#define HOSTILE_H
/*
 * The hostile guest: a freestanding x86-64 program that drives vireo's
 * virtio devices the way the worst driver would. No libc: port and MMIO
 * accessors, a serial printer and a few string helpers live here.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

static inline void outb(u16 p, u8 v)
{
	__asm__ volatile("outb %0,%1" ::"a"(v), "Nd"(p));
}
static inline void outw(u16 p, u16 v)
{
	__asm__ volatile("outw %0,%1" ::"a"(v), "Nd"(p));
}
static inline void outl(u16 p, u32 v)
{
	__asm__ volatile("outl %0,%1" ::"a"(v), "Nd"(p));
}
static inline u8 inb(u16 p)
{
	u8 v;
	__asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline u16 inw(u16 p)
{
	u16 v;
	__asm__ volatile("inw %1,%0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline u32 inl(u16 p)
{
	u32 v;
	__asm__ volatile("inl %1,%0" : "=a"(v) : "Nd"(p));
	return v;
}

/* Explicit widths: the compiler must not merge or split device accesses. */
static inline u8 mr8(u64 a)
{
	return *(volatile u8 *)a;
}
static inline u16 mr16(u64 a)
{
	return *(volatile u16 *)a;
}
static inline u32 mr32(u64 a)
{
	return *(volatile u32 *)a;
}
static inline u64 mr64(u64 a)
{
	return *(volatile u64 *)a;
}
static inline void mw8(u64 a, u8 v)
{
	*(volatile u8 *)a = v;
}
static inline void mw16(u64 a, u16 v)
{
	*(volatile u16 *)a = v;
}
static inline void mw32(u64 a, u32 v)
{
	*(volatile u32 *)a = v;
}
static inline void mw64(u64 a, u64 v)
{
	*(volatile u64 *)a = v;
}

static inline void mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

void putc_serial(char c);
void puts_serial(const char *s);
void vprint(const char *fmt, va_list ap);
void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* snprintf-alike for %s %d %u %x %lx %llx %lu %c (no padding flags). */
int fmt(char *buf, size_t size, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
int vfmt(char *buf, size_t size, const char *f, va_list ap);

u64 parse_u64(const char *s, const char **end);
__attribute__((noreturn)) void machine_reset(void);

/* Time: TSC ticks, calibrated once against the PIT. */
extern u64 tsc_per_ms;
void time_init(void);
static inline u64 deadline_ms(u64 ms)
{
	return rdtsc() + ms * tsc_per_ms;
}
static inline bool expired(u64 dl)
{
	return (int64_t)(rdtsc() - dl) >= 0;
}
void delay_us(u64 us);
/*
 * How long to wait for something that must happen (a completion, an
 * interrupt): generous, as it only costs time when it fails, and a loaded
 * host may not run the device thread for a while.
 */
#define PATIENCE_MS 2000

/* A seeded xorshift for the random mutations. */
u64 rnd_next(u64 *s);

/* Boot information, whichever entry we came through. */
struct boot {
	const char *cmdline;
	u64 rsdp; /* 0: scan the BIOS area */
	u64 ram_top; /* first byte past low RAM we may use */
};
extern struct boot boot;

#endif
