/* SPDX-License-Identifier: MIT */
#ifndef VIREO_KVM_IRQ_ROUTER_H
#define VIREO_KVM_IRQ_ROUTER_H

/*
 * KVM_SET_GSI_ROUTING replaces the whole table, so one owner keeps it: the
 * default IOAPIC/PIC routes for GSIs 0-23 plus one MSI route per allocated
 * GSI. Setting an MSI route (re-)commits the table, allocating one does not,
 * so the start path issues a single KVM_SET_GSI_ROUTING.
 */

#include <pthread.h>
#include <stdint.h>

#include "kvm/kvm.h"

#define IRQ_ROUTER_IOAPIC_PINS 24
#define IRQ_ROUTER_MAX_ROUTES 1024

struct irq_router {
	struct kvm_vm *vm;
	pthread_mutex_t lock;
	struct kvm_irq_routing_entry entries[IRQ_ROUTER_MAX_ROUTES];
	unsigned int nr;
	uint32_t next_gsi;
};

int irq_router_init(struct irq_router *r, struct kvm_vm *vm, struct err *e);
void irq_router_destroy(struct irq_router *r);
/*
 * A fresh GSI for an MSI route, known to KVM only once irq_router_set_msi()
 * gives it an address (until then an irqfd on it injects nothing).
 */
int irq_router_alloc_msi(struct irq_router *r, uint32_t *gsi, struct err *e);
int irq_router_set_msi(struct irq_router *r, uint32_t gsi, uint64_t addr,
		       uint32_t data, struct err *e);

#endif
