/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_PCI_MSIX_H
#define VIREO_BUS_PCI_MSIX_H

/*
 * MSI-X for one PCI function: the capability, the vector table and PBA in
 * a BAR of their own, and per vector a KVM MSI route with an irqfd, so a
 * device thread raises an interrupt with one eventfd write and no vCPU
 * exit. Masked vectors (per vector or whole function) and a function
 * without bus mastering latch a pending bit that fires on unmask.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/pci/pci.h"
#include "kvm/irq_router.h"

#define MSIX_MAX_VECTORS 64
#define MSIX_BAR_SIZE 0x1000
#define MSIX_PBA_OFFSET 0x800
#define MSIX_NO_VECTOR 0xffff

struct msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl;
	uint32_t gsi;
	int irqfd;
	bool pending;
};

struct msix {
	pthread_mutex_t lock;
	struct pci_function *fn;
	struct irq_router *router;
	struct kvm_vm *vm;
	uint8_t cap;
	unsigned int nr;
	/* The command register's bus-master bit (off at reset). */
	bool bus_master;
	struct msix_vector vec[MSIX_MAX_VECTORS];
};

/*
 * Adds the capability and declares `bar` as the table/PBA BAR. Without vm
 * (unit tests) the vectors are plain eventfds with no KVM route.
 */
int msix_init(struct msix *x, struct pci_function *fn, unsigned int nr, int bar,
	      struct irq_router *router, struct kvm_vm *vm, struct err *e);
void msix_destroy(struct msix *x);

/* Raises vector (or latches it pending when masked); any thread. */
void msix_notify(struct msix *x, uint16_t vector);
bool msix_enabled(struct msix *x);
/* Bus mastering off latches every interrupt; on delivers the latched. */
void msix_set_bus_master(struct msix *x, bool on);

/* The function's cfg_written hook must forward here. */
void msix_cfg_written(struct msix *x, uint32_t offset, unsigned int len);

#endif
