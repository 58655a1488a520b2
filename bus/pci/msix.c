// SPDX-License-Identifier: MIT
#include "bus/pci/msix.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MSIX_CTRL_ENABLE PCI_MSIX_FLAGS_ENABLE
#define MSIX_CTRL_FUNCTION_MASK PCI_MSIX_FLAGS_MASKALL
#define MSIX_VECTOR_MASKED PCI_MSIX_ENTRY_CTRL_MASKBIT

static uint16_t msix_ctrl(const struct msix *x)
{
	uint16_t v;

	memcpy(&v, &x->fn->cfg[x->cap + 2], 2);
	return v;
}

static bool vector_deliverable(const struct msix *x, unsigned int i)
{
	uint16_t ctrl = msix_ctrl(x);

	/* An MSI is a memory write: no bus mastering, no interrupt. */
	return x->bus_master && (ctrl & MSIX_CTRL_ENABLE) &&
	       !(ctrl & MSIX_CTRL_FUNCTION_MASK) &&
	       !(x->vec[i].ctrl & MSIX_VECTOR_MASKED);
}

static void vector_fire(struct msix_vector *v)
{
	uint64_t one = 1;

	if (write(v->irqfd, &one, sizeof(one)) < 0) {
		/* counter saturated: the interrupt is already pending */
	}
}

/* Lock held. Delivers latched interrupts whose vectors are now open. */
static void msix_flush_pending(struct msix *x)
{
	unsigned int i;

	for (i = 0; i < x->nr; i++) {
		if (x->vec[i].pending && vector_deliverable(x, i)) {
			x->vec[i].pending = false;
			vector_fire(&x->vec[i]);
		}
	}
}

void msix_notify(struct msix *x, uint16_t vector)
{
	if (vector >= x->nr)
		return;
	pthread_mutex_lock(&x->lock);
	if (vector_deliverable(x, vector))
		vector_fire(&x->vec[vector]);
	else
		x->vec[vector].pending = true;
	pthread_mutex_unlock(&x->lock);
}

void msix_set_bus_master(struct msix *x, bool on)
{
	pthread_mutex_lock(&x->lock);
	x->bus_master = on;
	msix_flush_pending(x);
	pthread_mutex_unlock(&x->lock);
}

bool msix_enabled(struct msix *x)
{
	return msix_ctrl(x) & MSIX_CTRL_ENABLE;
}

void msix_cfg_written(struct msix *x, uint32_t offset, unsigned int len)
{
	if (offset + len <= x->cap + 2u || offset >= x->cap + 4u)
		return;
	pthread_mutex_lock(&x->lock);
	msix_flush_pending(x);
	pthread_mutex_unlock(&x->lock);
}

static void msix_table_read(void *opaque, uint64_t offset, void *data,
			    unsigned int len)
{
	struct msix *x = opaque;
	uint64_t v = 0;

	memset(data, 0, len);
	if ((len != 4 && len != 8) || (offset & (len - 1)))
		return;
	pthread_mutex_lock(&x->lock);
	if (offset < (uint64_t)x->nr * 16) {
		memcpy(&v, (uint8_t *)&x->vec[offset / 16] + offset % 16,
		       len == 8 && offset % 16 < 12 ? 8 : 4);
	} else if (offset >= MSIX_PBA_OFFSET &&
		   offset < MSIX_PBA_OFFSET + 8 * ((x->nr + 63) / 64)) {
		unsigned int i,
		    base = (unsigned int)(offset - MSIX_PBA_OFFSET) * 8;

		for (i = 0; i < len * 8 && base + i < x->nr; i++)
			if (x->vec[base + i].pending)
				v |= 1ull << i;
	}
	pthread_mutex_unlock(&x->lock);
	memcpy(data, &v, len);
}

static void msix_table_write_dword(struct msix *x, unsigned int i,
				   unsigned int reg, uint32_t v)
{
	struct msix_vector *vec = &x->vec[i];
	bool was_masked = vec->ctrl & MSIX_VECTOR_MASKED;

	switch (reg) {
	case 0:
		vec->addr_lo = v;
		break;
	case 4:
		vec->addr_hi = v;
		break;
	case 8:
		vec->data = v;
		break;
	default:
		vec->ctrl = v & MSIX_VECTOR_MASKED;
		break;
	}
	if (x->router &&
	    (reg < 12 || (was_masked && !(vec->ctrl & MSIX_VECTOR_MASKED))))
		irq_router_set_msi(x->router, vec->gsi,
				   ((uint64_t)vec->addr_hi << 32) |
				       vec->addr_lo,
				   vec->data, NULL);
}

static void msix_table_write(void *opaque, uint64_t offset, const void *data,
			     unsigned int len)
{
	struct msix *x = opaque;
	uint64_t v = 0;
	unsigned int i;

	/* The PBA is read-only; odd-sized or unaligned writes are ignored. */
	if ((len != 4 && len != 8) || (offset & (len - 1)) ||
	    offset >= (uint64_t)x->nr * 16)
		return;
	memcpy(&v, data, len);
	i = (unsigned int)(offset / 16);
	pthread_mutex_lock(&x->lock);
	msix_table_write_dword(x, i, offset % 16, (uint32_t)v);
	if (len == 8)
		msix_table_write_dword(x, i, offset % 16 + 4,
				       (uint32_t)(v >> 32));
	msix_flush_pending(x);
	pthread_mutex_unlock(&x->lock);
}

static const struct bus_ops msix_bar_ops = {
	.read = msix_table_read,
	.write = msix_table_write,
};

int msix_init(struct msix *x, struct pci_function *fn, unsigned int nr, int bar,
	      struct irq_router *router, struct kvm_vm *vm, struct err *e)
{
	unsigned int i;
	uint16_t ctrl;
	uint32_t table, pba;

	memset(x, 0, sizeof(*x));
	if (nr == 0 || nr > MSIX_MAX_VECTORS)
		return err_set(e, "bad MSI-X vector count %u", nr);
	pthread_mutex_init(&x->lock, NULL);
	x->fn = fn;
	x->router = router;
	x->vm = vm;
	x->nr = nr;
	for (i = 0; i < nr; i++)
		x->vec[i].irqfd = -1;
	x->cap = pci_function_add_cap(fn, PCI_CAP_ID_MSIX, 12);
	if (!x->cap)
		return err_set(e, "no room for the MSI-X capability");
	ctrl = (uint16_t)(nr - 1);
	pci_cfg_set16(fn, x->cap + 2, ctrl);
	fn->wmask[x->cap + 3] =
	    (MSIX_CTRL_ENABLE | MSIX_CTRL_FUNCTION_MASK) >> 8;
	table = 0 | (uint32_t)bar;
	pba = MSIX_PBA_OFFSET | (uint32_t)bar;
	pci_cfg_set32(fn, x->cap + 4, table);
	pci_cfg_set32(fn, x->cap + 8, pba);
	pci_function_set_bar(fn, bar, PCI_BAR_KIND_MEM32, MSIX_BAR_SIZE,
			     &msix_bar_ops, x);

	for (i = 0; i < nr; i++) {
		struct msix_vector *v = &x->vec[i];

		v->ctrl = MSIX_VECTOR_MASKED;
		v->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->irqfd < 0)
			return err_errno(e, errno, "eventfd");
		if (!vm)
			continue;
		if (irq_router_alloc_msi(router, &v->gsi, e) < 0 ||
		    kvm_vm_irqfd(vm, v->irqfd, v->gsi, true, e) < 0)
			return -1;
	}
	return 0;
}

void msix_destroy(struct msix *x)
{
	unsigned int i;

	for (i = 0; i < x->nr; i++) {
		if (x->vec[i].irqfd < 0)
			continue;
		if (x->vm)
			kvm_vm_irqfd(x->vm, x->vec[i].irqfd, x->vec[i].gsi,
				     false, NULL);
		close(x->vec[i].irqfd);
		x->vec[i].irqfd = -1;
	}
	if (x->fn)
		pthread_mutex_destroy(&x->lock);
}
