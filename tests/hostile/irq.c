// SPDX-License-Identifier: MIT
/*
 * Our own IDT: exceptions print where they happened and reset the machine
 * (so a guest bug shows as a line, not a triple fault), device vectors count
 * arrivals so tests observe MSI-X and IOAPIC interrupts instead of assuming.
 */
#include "platform.h"

#define LAPIC 0xfee00000ull
#define LAPIC_SVR 0xf0
#define LAPIC_EOI 0xb0
#define LAPIC_TPR 0x80
#define IOAPIC 0xfec00000ull

volatile u32 irq_count[256];

struct idt_gate {
	u16 off0, sel;
	u8 ist, type;
	u16 off1;
	u32 off2, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
extern const u64 isr_stubs[256];

struct frame {
	u64 vec, err, rip, cs, rflags;
};

void isr_dispatch(struct frame *f);
void isr_dispatch(struct frame *f)
{
	if (f->vec < 32) {
		u64 cr2;

		__asm__ volatile("mov %%cr2,%0" : "=r"(cr2));
		print("\nHOSTILE-EXCEPTION vector=%lu err=0x%lx rip=0x%lx "
		      "cr2=0x%lx\n",
		      f->vec, f->err, f->rip, cr2);
		print("HOSTILE-END pass=0 fail=1\n");
		machine_reset();
	}
	irq_count[f->vec & 0xff]++;
	mw32(LAPIC + LAPIC_EOI, 0);
}

void ioapic_route(u32 gsi, u8 vector, bool masked)
{
	u32 lo = vector | (masked ? 0x10000u : 0);

	/* Edge, active high, fixed delivery to APIC ID 0. */
	mw32(IOAPIC, 0x10 + 2 * gsi + 1);
	mw32(IOAPIC + 0x10, 0);
	mw32(IOAPIC, 0x10 + 2 * gsi);
	mw32(IOAPIC + 0x10, lo);
}

void irq_load_idt(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) d = { sizeof(idt) - 1, (u64)idt };

	__asm__ volatile("lidt %0" ::"m"(d));
}

void irq_init(void)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		u64 a = isr_stubs[i];

		idt[i] = (struct idt_gate){ .off0 = (u16)a,
					    .sel = 0x08,
					    .type = 0x8e,
					    .off1 = (u16)(a >> 16),
					    .off2 = (u32)(a >> 32) };
	}
	irq_load_idt();
	/* Mask the 8259s: every device interrupt comes through the APICs. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	mw32(LAPIC + LAPIC_TPR, 0);
	mw32(LAPIC + LAPIC_SVR, 0x1ff);
}

bool irq_wait(u8 vec, u32 before, u64 ms)
{
	u64 dl = deadline_ms(ms);
	bool got;

	irq_enable();
	while (!(got = irq_count[vec] != before) && !expired(dl))
		__asm__ volatile("pause");
	irq_disable();
	return got;
}
