// SPDX-License-Identifier: MIT
#include "kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct kvm_required_cap {
	int cap;
	const char *name;
};

/* Everything vireo relies on; a missing one is named in the error. */
static const struct kvm_required_cap kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "IRQCHIP" },
	{ KVM_CAP_PIT2, "PIT2" },
	{ KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" },
	{ KVM_CAP_IRQFD, "IRQFD" },
	{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
	{ KVM_CAP_IRQ_ROUTING, "IRQ_ROUTING" },
	{ KVM_CAP_EXT_CPUID, "EXT_CPUID" },
	{ KVM_CAP_MP_STATE, "MP_STATE" },
	{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
	{ KVM_CAP_SIGNAL_MSI, "SIGNAL_MSI" },
};

static int kvm_get_supported_cpuid(struct kvm_sys *sys, struct err *e)
{
	unsigned int nent = 128;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(
		    1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));

		if (!c)
			return err_set(e, "out of memory");
		c->nent = nent;
		if (ioctl(sys->fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			sys->supported_cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG || nent >= 4096)
			return err_errno(e, errno, "KVM_GET_SUPPORTED_CPUID");
		nent *= 2;
	}
}

int kvm_sys_open(struct kvm_sys *sys, const char *path, struct err *e)
{
	size_t i;
	int ver, n;

	*sys = (struct kvm_sys){ .fd = -1 };
	sys->fd = open(path, O_RDWR | O_CLOEXEC);
	if (sys->fd < 0) {
		if (errno == ENOENT)
			return err_set(
			    e,
			    "%s not found: KVM is not available on this host "
			    "(load kvm_intel/kvm_amd or kvm_pvm)",
			    path);
		if (errno == EACCES || errno == EPERM)
			return err_set(e,
				       "no permission to open %s (add yourself "
				       "to group kvm or run as root)",
				       path);
		return err_errno(e, errno, "cannot open %s", path);
	}
	ver = ioctl(sys->fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		err_set(e, "%s: KVM API version %d, vireo needs %d", path, ver,
			KVM_API_VERSION);
		goto fail;
	}
	for (i = 0;
	     i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]);
	     i++) {
		if (ioctl(sys->fd, KVM_CHECK_EXTENSION,
			  kvm_required_caps[i].cap) <= 0) {
			err_set(e, "%s lacks required capability KVM_CAP_%s",
				path, kvm_required_caps[i].name);
			goto fail;
		}
	}
	sys->vcpu_mmap_size = ioctl(sys->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sys->vcpu_mmap_size <= 0) {
		err_errno(e, errno, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	n = ioctl(sys->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(sys->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	sys->max_vcpus = n > 0 ? (unsigned int)n : 4;
	if (kvm_get_supported_cpuid(sys, e) < 0)
		goto fail;
	return 0;
fail:
	close(sys->fd);
	sys->fd = -1;
	return -1;
}

void kvm_sys_close(struct kvm_sys *sys)
{
	if (sys->fd >= 0)
		close(sys->fd);
	sys->fd = -1;
	free(sys->supported_cpuid);
	sys->supported_cpuid = NULL;
}
