/* SPDX-License-Identifier: MIT */
#ifndef VIREO_KVM_KVM_H
#define VIREO_KVM_KVM_H

/*
 * Thin typed wrappers over the KVM ioctls. Nothing here knows about
 * devices or machine layout; every failure comes back as a one-line
 * message in struct err naming the ioctl.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "util/err.h"

struct kvm_sys {
	int fd;
	int vcpu_mmap_size;
	unsigned int max_vcpus;
	struct kvm_cpuid2 *supported_cpuid;
};

struct kvm_vm {
	int fd;
	const struct kvm_sys *sys;
	unsigned int next_slot;
};

struct kvm_vcpu {
	int fd;
	unsigned int id;
	struct kvm_run *run;
	size_t run_size;
};

/* Opens the device, checks the API version and every capability we use. */
int kvm_sys_open(struct kvm_sys *sys, const char *path, struct err *e);
void kvm_sys_close(struct kvm_sys *sys);

int kvm_vm_create(struct kvm_vm *vm, const struct kvm_sys *sys, struct err *e);
void kvm_vm_destroy(struct kvm_vm *vm);

int kvm_vm_add_memory(struct kvm_vm *vm, uint64_t gpa, uint64_t size,
		      void *host, struct err *e);
/* In-kernel PIC + IOAPIC + LAPICs, and PIT with speaker port. */
int kvm_vm_create_irqchip(struct kvm_vm *vm, struct err *e);
int kvm_vm_create_pit(struct kvm_vm *vm, struct err *e);
/* The two x86 pages KVM needs for real-mode emulation on VMX. */
int kvm_vm_set_x86_special_pages(struct kvm_vm *vm, uint64_t tss_gpa,
				 struct err *e);
int kvm_vm_irq_line(struct kvm_vm *vm, uint32_t gsi, int level);
int kvm_vm_set_gsi_routing(struct kvm_vm *vm,
			   const struct kvm_irq_routing_entry *entries,
			   unsigned int nr, struct err *e);
int kvm_vm_irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, bool assign,
		 struct err *e);
/* len 0 = any width; datamatch < 0 = no match on value. */
int kvm_vm_ioeventfd(struct kvm_vm *vm, int fd, uint64_t addr, uint32_t len,
		     bool pio, int64_t datamatch, bool assign, struct err *e);

int kvm_vcpu_create(struct kvm_vcpu *vcpu, struct kvm_vm *vm, unsigned int id,
		    struct err *e);
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);
int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
/* KVM_MP_STATE_*: RUNNABLE, HALTED (waiting for an interrupt), ... */
int kvm_vcpu_get_mp_state(struct kvm_vcpu *vcpu, uint32_t *state);
int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs,
		      struct err *e);
int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs,
		       struct err *e);
int kvm_vcpu_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu,
		     struct err *e);
int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid,
		       struct err *e);
int kvm_vcpu_set_msrs(struct kvm_vcpu *vcpu, const struct kvm_msr_entry *msrs,
		      unsigned int nr, struct err *e);
/* LINT0 as ExtINT and LINT1 as NMI, as the MP table describes them. */
int kvm_vcpu_setup_lapic_lints(struct kvm_vcpu *vcpu, struct err *e);
/* Guest-virtual to guest-physical through the vCPU's page tables. */
int kvm_vcpu_translate(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa);
/* Returns the ioctl result: 0, or -1 with errno (EINTR when kicked). */
int kvm_vcpu_run(struct kvm_vcpu *vcpu);

/*
 * The CPUID table for one vCPU: KVM's supported set with this vCPU's APIC
 * ID and an nr_cpus-core single-socket topology. Caller frees.
 */
struct kvm_cpuid2 *kvm_cpuid_for_vcpu(const struct kvm_sys *sys,
				      unsigned int vcpu_id,
				      unsigned int nr_cpus, struct err *e);

#endif
