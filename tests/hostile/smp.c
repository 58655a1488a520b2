// SPDX-License-Identifier: MIT
#include "smp.h"

#include "platform.h"

#define LAPIC 0xfee00000ull
#define ICR_LO 0x300
#define ICR_HI 0x310
#define AP_TRAMPOLINE 0x70000ull
#define VEC_WAKE 0x30

extern const u8 ap_tramp[], ap_tramp_end[];

/* Shared with the AP: written by one side, polled by the other. */
static volatile struct {
	ap_job_fn fn;
	void *arg;
	u32 seq, done_seq;
	bool stop, alive;
	u64 iterations;
} job;

static void icr(u32 dest, u32 lo)
{
	u64 dl = deadline_ms(10);

	mw32(LAPIC + ICR_HI, dest << 24);
	mw32(LAPIC + ICR_LO, lo);
	while (mr32(LAPIC + ICR_LO) & 0x1000 && !expired(dl))
		cpu_relax();
}

void ap_main(void);
void ap_main(void)
{
	u32 seen = 0;

	irq_load_idt();
	mw32(LAPIC + 0xf0, 0x1ff);
	job.alive = true;
	for (;;) {
		u64 i = 0;

		/* hlt with interrupts on: the wake IPI ends it. */
		while (job.seq == seen)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		seen = job.seq;
		while (!job.stop)
			job.fn(job.arg, i++);
		job.iterations = i;
		job.done_seq = seen;
	}
}

bool smp_ready(void)
{
	return job.alive;
}

bool smp_start(void)
{
	u64 dl;

	memcpy((void *)AP_TRAMPOLINE, ap_tramp,
	       (size_t)(ap_tramp_end - ap_tramp));
	mb();
	icr(1, 0x4500); /* INIT */
	delay_us(10000);
	icr(1, 0x4600 | (u32)(AP_TRAMPOLINE >> 12)); /* SIPI */
	delay_us(200);
	if (!job.alive)
		icr(1, 0x4600 | (u32)(AP_TRAMPOLINE >> 12));
	dl = deadline_ms(500);
	while (!job.alive && !expired(dl))
		cpu_relax();
	return job.alive;
}

void smp_run(ap_job_fn fn, void *arg)
{
	job.fn = fn;
	job.arg = arg;
	job.stop = false;
	mb();
	job.seq++;
	icr(1, VEC_WAKE);
}

u64 smp_stop(void)
{
	u64 dl = deadline_ms(1000);

	job.stop = true;
	mb();
	while (job.done_seq != job.seq && !expired(dl))
		cpu_relax();
	return job.iterations;
}
