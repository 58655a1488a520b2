// SPDX-License-Identifier: MIT
#include "vmm/fdt/dtb.h"

#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

/* Pins of the IOAPIC KVM emulates (KVM_IOAPIC_NUM_PINS, not in UAPI). */
#define DTB_IOAPIC_PINS 24
#define DTB_APIC_PAGE 0x1000
#define DTB_UART_REGS 8
/* First cell of an ISA address: 1 = I/O space (ISA bus binding). */
#define DTB_ISA_IO 1

/* Sequential-write state: the first libfdt error sticks, later calls no-op. */
struct dtb_writer {
	void *fdt;
	int err;
};

static void w_check(struct dtb_writer *w, int ret)
{
	if (!w->err && ret < 0)
		w->err = ret;
}

static void w_begin(struct dtb_writer *w, const char *name)
{
	if (!w->err)
		w_check(w, fdt_begin_node(w->fdt, name));
}

static void w_end(struct dtb_writer *w)
{
	if (!w->err)
		w_check(w, fdt_end_node(w->fdt));
}

static void w_str(struct dtb_writer *w, const char *name, const char *s)
{
	if (!w->err)
		w_check(w, fdt_property_string(w->fdt, name, s));
}

static void w_u32(struct dtb_writer *w, const char *name, uint32_t v)
{
	if (!w->err)
		w_check(w, fdt_property_u32(w->fdt, name, v));
}

static void w_empty(struct dtb_writer *w, const char *name)
{
	if (!w->err)
		w_check(w, fdt_property(w->fdt, name, NULL, 0));
}

/* A property of big-endian 32-bit cells. */
static void w_cells(struct dtb_writer *w, const char *name, const uint32_t *v,
		    unsigned int n)
{
	fdt32_t be[4];
	unsigned int i;

	if (n > 4) {
		w_check(w, -FDT_ERR_INTERNAL);
		return;
	}
	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	if (!w->err)
		w_check(w, fdt_property(w->fdt, name, be,
					(int)(n * sizeof(fdt32_t))));
}

/* reg with #address-cells = #size-cells = 2, as the root declares. */
static void w_reg64(struct dtb_writer *w, uint64_t base, uint64_t size)
{
	uint32_t v[4] = { (uint32_t)(base >> 32), (uint32_t)base,
			  (uint32_t)(size >> 32), (uint32_t)size };

	w_cells(w, "reg", v, 4);
}

int dtb_uart_path(uint16_t port, char *buf, size_t size)
{
	int n = snprintf(buf, size, "/isa/serial@i%x", port);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int dtb_check(const struct dtb_config *c, struct err *e)
{
	unsigned int i;

	if (c->nr_cpus == 0 || c->nr_cpus > DTB_MAX_CPUS)
		return err_set(e, "device tree: %u CPUs (expected 1 to %d)",
			       c->nr_cpus, DTB_MAX_CPUS);
	if (c->nr_mem == 0 || c->nr_mem > DTB_MAX_MEM_RANGES)
		return err_set(e,
			       "device tree: %u memory ranges (expected 1 "
			       "to %d)",
			       c->nr_mem, DTB_MAX_MEM_RANGES);
	for (i = 0; i < c->nr_mem; i++)
		if (c->mem[i].size == 0 ||
		    c->mem[i].base + c->mem[i].size < c->mem[i].base)
			return err_set(e,
				       "device tree: memory range %u "
				       "(0x%" PRIx64 ", size 0x%" PRIx64
				       ") is empty or wraps",
				       i, c->mem[i].base, c->mem[i].size);
	if (c->nr_mmio > DTB_MAX_MMIO_DEVICES || (c->nr_mmio && !c->mmio))
		return err_set(e,
			       "device tree: %u virtio-mmio devices (at most "
			       "%d)",
			       c->nr_mmio, DTB_MAX_MMIO_DEVICES);
	for (i = 0; i < c->nr_mmio; i++) {
		const struct dtb_mmio_device *d = &c->mmio[i];

		if (d->gsi >= DTB_IOAPIC_PINS)
			return err_set(e,
				       "device tree: virtio-mmio device at "
				       "0x%" PRIx64 " on GSI %u, the IOAPIC "
				       "has pins 0-%d",
				       d->base, d->gsi, DTB_IOAPIC_PINS - 1);
		if (d->size == 0 || d->base + d->size < d->base)
			return err_set(e,
				       "device tree: virtio-mmio device at "
				       "0x%" PRIx64 " has an empty or wrapping "
				       "range",
				       d->base);
	}
	if (c->uart && c->uart->irq >= DTB_IOAPIC_PINS)
		return err_set(e,
			       "device tree: 8250 on IRQ %u, the IOAPIC "
			       "has pins 0-23",
			       c->uart->irq);
	return 0;
}

static void dtb_chosen(struct dtb_writer *w, const struct dtb_config *c,
		       const char *uart_path)
{
	if (c->uart) {
		w_begin(w, "aliases");
		w_str(w, "serial0", uart_path);
		w_end(w);
	}
	w_begin(w, "chosen");
	if (c->bootargs && *c->bootargs)
		w_str(w, "bootargs", c->bootargs);
	if (c->uart)
		w_str(w, "stdout-path", "serial0:115200n8");
	w_end(w);
}

static void dtb_memory(struct dtb_writer *w, const struct dtb_config *c)
{
	char name[40];
	unsigned int i;

	for (i = 0; i < c->nr_mem; i++) {
		snprintf(name, sizeof(name), "memory@%" PRIx64, c->mem[i].base);
		w_begin(w, name);
		w_str(w, "device_type", "memory");
		w_reg64(w, c->mem[i].base, c->mem[i].size);
		w_end(w);
	}
}

/* Linux reads each CPU's reg as its local APIC ID (of_get_cpu_hwid). */
static void dtb_cpus(struct dtb_writer *w, const struct dtb_config *c)
{
	char name[24];
	unsigned int i;

	w_begin(w, "cpus");
	w_u32(w, "#address-cells", 1);
	w_u32(w, "#size-cells", 0);
	for (i = 0; i < c->nr_cpus; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		w_begin(w, name);
		w_str(w, "device_type", "cpu");
		w_u32(w, "reg", i);
		w_end(w);
	}
	w_end(w);
}

static void dtb_apics(struct dtb_writer *w, const struct dtb_config *c)
{
	char name[40];

	snprintf(name, sizeof(name), "lapic@%" PRIx64, c->lapic_addr);
	w_begin(w, name);
	w_str(w, "compatible", "intel,ce4100-lapic");
	w_reg64(w, c->lapic_addr, DTB_APIC_PAGE);
	w_end(w);

	/* Two interrupt cells: the pin, then DTB_IOAPIC_* (trigger/polarity).
	 */
	snprintf(name, sizeof(name), "interrupt-controller@%" PRIx64,
		 c->ioapic_addr);
	w_begin(w, name);
	w_str(w, "compatible", "intel,ce4100-ioapic");
	w_reg64(w, c->ioapic_addr, DTB_APIC_PAGE);
	w_empty(w, "interrupt-controller");
	w_u32(w, "#interrupt-cells", 2);
	w_u32(w, "#address-cells", 0);
	w_u32(w, "phandle", DTB_PHANDLE_IOAPIC);
	w_end(w);
}

/*
 * The 8250 sits in I/O port space, which only an ISA-style bus can
 * address (first cell 1 = I/O). The bus has no "ranges": x86 port space
 * is not mapped into memory, so nothing should translate it as if it
 * were; Linux finds this UART through its legacy ISA probe.
 */
static void dtb_uart(struct dtb_writer *w, const struct dtb_uart *u)
{
	uint32_t reg[3] = { DTB_ISA_IO, u->port, DTB_UART_REGS };
	uint32_t irq[2] = { u->irq, DTB_IOAPIC_EDGE_RISING };
	char name[24];

	w_begin(w, "isa");
	w_str(w, "device_type", "isa");
	w_u32(w, "#address-cells", 2);
	w_u32(w, "#size-cells", 1);
	snprintf(name, sizeof(name), "serial@i%x", u->port);
	w_begin(w, name);
	w_str(w, "compatible", "ns16550a");
	w_cells(w, "reg", reg, 3);
	w_cells(w, "interrupts", irq, 2);
	w_u32(w, "clock-frequency", u->clock_hz);
	w_end(w);
	w_end(w);
}

static void dtb_virtio_mmio(struct dtb_writer *w,
			    const struct dtb_mmio_device *d)
{
	uint32_t irq[2] = { d->gsi, DTB_IOAPIC_EDGE_RISING };
	char name[40];

	snprintf(name, sizeof(name), "virtio@%" PRIx64, d->base);
	w_begin(w, name);
	w_str(w, "compatible", "virtio,mmio");
	w_reg64(w, d->base, d->size);
	w_cells(w, "interrupts", irq, 2);
	/* The device reads and writes guest RAM directly, cache-coherently. */
	w_empty(w, "dma-coherent");
	w_end(w);
}

static int dtb_write(void *buf, size_t size, const struct dtb_config *c,
		     const char *uart_path)
{
	struct dtb_writer w = { .fdt = buf };
	unsigned int i;

	w_check(&w, fdt_create(buf, (int)size));
	if (!w.err)
		w_check(&w, fdt_finish_reservemap(buf));
	w_begin(&w, "");
	w_str(&w, "compatible", "vireo,x86-64");
	w_str(&w, "model", "vireo virtual machine");
	w_u32(&w, "#address-cells", 2);
	w_u32(&w, "#size-cells", 2);
	w_u32(&w, "interrupt-parent", DTB_PHANDLE_IOAPIC);
	dtb_chosen(&w, c, uart_path);
	dtb_memory(&w, c);
	dtb_cpus(&w, c);
	dtb_apics(&w, c);
	if (c->uart)
		dtb_uart(&w, c->uart);
	for (i = 0; i < c->nr_mmio; i++)
		dtb_virtio_mmio(&w, &c->mmio[i]);
	w_end(&w);
	if (!w.err)
		w_check(&w, fdt_finish(buf));
	return w.err;
}

int dtb_build(const struct dtb_config *c, void **out, size_t *len,
	      struct err *e)
{
	char uart_path[32] = "";
	size_t size;
	int ret;

	if (dtb_check(c, e) < 0)
		return -1;
	if (c->uart &&
	    dtb_uart_path(c->uart->port, uart_path, sizeof(uart_path)) < 0)
		return err_set(e, "device tree: 8250 path too long");
	/* Grows until the tree fits; a machine's tree is a few KiB. */
	for (size = 4096; size <= (1u << 20); size *= 2) {
		void *buf = calloc(1, size);

		if (!buf)
			return err_set(e, "device tree: out of memory");
		ret = dtb_write(buf, size, c, uart_path);
		if (ret == 0) {
			*out = buf;
			*len = fdt_totalsize(buf);
			return 0;
		}
		free(buf);
		if (ret != -FDT_ERR_NOSPACE)
			return err_set(e, "device tree: libfdt: %s",
				       fdt_strerror(ret));
	}
	return err_set(e, "device tree larger than 1 MiB");
}
