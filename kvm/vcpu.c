// SPDX-License-Identifier: MIT
#include "kvm/kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

int kvm_vcpu_create(struct kvm_vcpu *vcpu, struct kvm_vm *vm, unsigned int id,
		    struct err *e)
{
	void *run;
	int fd;

	fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (fd < 0)
		return err_errno(e, errno, "KVM_CREATE_VCPU %u", id);
	run = mmap(NULL, (size_t)vm->sys->vcpu_mmap_size,
		   PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		close(fd);
		return err_errno(e, errno, "mmap of vCPU %u run area", id);
	}
	*vcpu = (struct kvm_vcpu){
		.fd = fd,
		.id = id,
		.run = run,
		.run_size = (size_t)vm->sys->vcpu_mmap_size,
	};
	return 0;
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	return ioctl(vcpu->fd, KVM_GET_REGS, regs);
}

int kvm_vcpu_get_mp_state(struct kvm_vcpu *vcpu, uint32_t *state)
{
	struct kvm_mp_state mp;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return -1;
	*state = mp.mp_state;
	return 0;
}

int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs,
		      struct err *e)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return err_errno(e, errno, "KVM_SET_REGS (vCPU %u)", vcpu->id);
	return 0;
}

int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	return ioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs,
		       struct err *e)
{
	if (ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0)
		return err_errno(e, errno, "KVM_SET_SREGS (vCPU %u)", vcpu->id);
	return 0;
}

int kvm_vcpu_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu,
		     struct err *e)
{
	if (ioctl(vcpu->fd, KVM_SET_FPU, fpu) < 0)
		return err_errno(e, errno, "KVM_SET_FPU (vCPU %u)", vcpu->id);
	return 0;
}

int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid,
		       struct err *e)
{
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
		return err_errno(e, errno, "KVM_SET_CPUID2 (vCPU %u)",
				 vcpu->id);
	return 0;
}

int kvm_vcpu_set_msrs(struct kvm_vcpu *vcpu, const struct kvm_msr_entry *msrs,
		      unsigned int nr, struct err *e)
{
	struct kvm_msrs *m;
	int ret;

	m = calloc(1, sizeof(*m) + nr * sizeof(*msrs));
	if (!m)
		return err_set(e, "out of memory");
	m->nmsrs = nr;
	memcpy(m->entries, msrs, nr * sizeof(*msrs));
	ret = ioctl(vcpu->fd, KVM_SET_MSRS, m);
	free(m);
	if (ret < 0)
		return err_errno(e, errno, "KVM_SET_MSRS (vCPU %u)", vcpu->id);
	/* KVM returns how many it set; stopping early names the culprit. */
	if ((unsigned int)ret != nr)
		return err_set(e, "KVM_SET_MSRS (vCPU %u): MSR %#x rejected",
			       vcpu->id, msrs[ret].index);
	return 0;
}

static void lapic_set_lvt_mode(struct kvm_lapic_state *lapic, int reg,
			       uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &lapic->regs[reg], sizeof(v));
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&lapic->regs[reg], &v, sizeof(v));
}

int kvm_vcpu_setup_lapic_lints(struct kvm_vcpu *vcpu, struct err *e)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return err_errno(e, errno, "KVM_GET_LAPIC (vCPU %u)", vcpu->id);
	lapic_set_lvt_mode(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set_lvt_mode(&lapic, APIC_LVT1, APIC_MODE_NMI);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return err_errno(e, errno, "KVM_SET_LAPIC (vCPU %u)", vcpu->id);
	return 0;
}

int kvm_vcpu_translate(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	struct kvm_translation t = { .linear_address = gva };

	if (ioctl(vcpu->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return -1;
	*gpa = t.physical_address;
	return 0;
}

int kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0);
}
