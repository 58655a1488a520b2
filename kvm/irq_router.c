// SPDX-License-Identifier: MIT
#include "kvm/irq_router.h"

#include <string.h>

/* ISA IRQs 0-15 reach both PICs and the IOAPIC, as after KVM_CREATE_IRQCHIP. */
static void irq_router_add_defaults(struct irq_router *r)
{
	uint32_t gsi;

	for (gsi = 0; gsi < IRQ_ROUTER_IOAPIC_PINS; gsi++) {
		if (gsi < 16 && gsi != 2) {
			r->entries[r->nr++] = (struct kvm_irq_routing_entry){
				.gsi = gsi,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = {
					.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
							     KVM_IRQCHIP_PIC_SLAVE,
					.pin = gsi % 8,
				},
			};
		}
		r->entries[r->nr++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC,
				       .pin = gsi },
		};
	}
}

int irq_router_init(struct irq_router *r, struct kvm_vm *vm, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->vm = vm;
	r->next_gsi = IRQ_ROUTER_IOAPIC_PINS;
	pthread_mutex_init(&r->lock, NULL);
	irq_router_add_defaults(r);
	return kvm_vm_set_gsi_routing(vm, r->entries, r->nr, e);
}

void irq_router_destroy(struct irq_router *r)
{
	pthread_mutex_destroy(&r->lock);
}

int irq_router_alloc_msi(struct irq_router *r, uint32_t *gsi, struct err *e)
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (r->nr == IRQ_ROUTER_MAX_ROUTES) {
		ret = err_set(e, "out of interrupt routes");
	} else {
		/*
		 * Not committed yet: each KVM_SET_GSI_ROUTING waits for an SRCU
		 * grace period, and an MSI route means nothing until the guest
		 * programs it (irq_router_set_msi() commits the whole table).
		 */
		*gsi = r->next_gsi++;
		r->entries[r->nr++] = (struct kvm_irq_routing_entry){
			.gsi = *gsi,
			.type = KVM_IRQ_ROUTING_MSI,
		};
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_router_set_msi(struct irq_router *r, uint32_t gsi, uint64_t addr,
		       uint32_t data, struct err *e)
{
	unsigned int i;
	int ret = -1;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nr; i++) {
		struct kvm_irq_routing_entry *ent = &r->entries[i];

		if (ent->gsi != gsi || ent->type != KVM_IRQ_ROUTING_MSI)
			continue;
		if (ent->u.msi.address_lo == (uint32_t)addr &&
		    ent->u.msi.address_hi == (uint32_t)(addr >> 32) &&
		    ent->u.msi.data == data) {
			ret = 0; /* unchanged: spare the ioctl */
			break;
		}
		ent->u.msi.address_lo = (uint32_t)addr;
		ent->u.msi.address_hi = (uint32_t)(addr >> 32);
		ent->u.msi.data = data;
		ret = kvm_vm_set_gsi_routing(r->vm, r->entries, r->nr, e);
		break;
	}
	pthread_mutex_unlock(&r->lock);
	if (i == r->nr)
		return err_set(e, "no MSI route for GSI %u", gsi);
	return ret;
}
