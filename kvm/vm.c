// SPDX-License-Identifier: MIT
#include "kvm/kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int kvm_vm_create(struct kvm_vm *vm, const struct kvm_sys *sys, struct err *e)
{
	int fd;

	do
		fd = ioctl(sys->fd, KVM_CREATE_VM, 0);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return err_errno(e, errno, "KVM_CREATE_VM");
	*vm = (struct kvm_vm){ .fd = fd, .sys = sys };
	return 0;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
}

int kvm_vm_add_memory(struct kvm_vm *vm, uint64_t gpa, uint64_t size,
		      void *host, struct err *e)
{
	struct kvm_userspace_memory_region r = {
		.slot = vm->next_slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return err_errno(
		    e, errno,
		    "KVM_SET_USER_MEMORY_REGION (slot %u, %#llx+%#llx)", r.slot,
		    (unsigned long long)gpa, (unsigned long long)size);
	vm->next_slot++;
	return 0;
}

int kvm_vm_create_irqchip(struct kvm_vm *vm, struct err *e)
{
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_errno(e, errno, "KVM_CREATE_IRQCHIP");
	return 0;
}

int kvm_vm_create_pit(struct kvm_vm *vm, struct err *e)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_errno(e, errno, "KVM_CREATE_PIT2");
	return 0;
}

int kvm_vm_set_x86_special_pages(struct kvm_vm *vm, uint64_t tss_gpa,
				 struct err *e)
{
	/* Three pages of TSS, then the identity-map page right after. */
	uint64_t ident = tss_gpa + 3 * 4096;

	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)tss_gpa) < 0)
		return err_errno(e, errno, "KVM_SET_TSS_ADDR");
	if (ioctl(vm->sys->fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		return err_errno(e, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	return 0;
}

int kvm_vm_irq_line(struct kvm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	return ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

int kvm_vm_set_gsi_routing(struct kvm_vm *vm,
			   const struct kvm_irq_routing_entry *entries,
			   unsigned int nr, struct err *e)
{
	struct kvm_irq_routing *r;
	int ret;

	r = calloc(1, sizeof(*r) + nr * sizeof(*entries));
	if (!r)
		return err_set(e, "out of memory");
	r->nr = nr;
	memcpy(r->entries, entries, nr * sizeof(*entries));
	ret = ioctl(vm->fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	if (ret < 0)
		return err_errno(e, errno, "KVM_SET_GSI_ROUTING (%u entries)",
				 nr);
	return 0;
}

int kvm_vm_irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, bool assign,
		 struct err *e)
{
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0)
		return err_errno(e, errno, "KVM_IRQFD (gsi %u)", gsi);
	return 0;
}

int kvm_vm_ioeventfd(struct kvm_vm *vm, int fd, uint64_t addr, uint32_t len,
		     bool pio, int64_t datamatch, bool assign, struct err *e)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = fd,
	};

	if (pio)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (datamatch >= 0) {
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		io.datamatch = (uint64_t)datamatch;
	}
	if (!assign)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vm->fd, KVM_IOEVENTFD, &io) < 0)
		return err_errno(e, errno, "KVM_IOEVENTFD (%s %#llx)",
				 pio ? "port" : "mmio",
				 (unsigned long long)addr);
	return 0;
}
