// SPDX-License-Identifier: MIT
#include "kvm/kvm.h"

#include <stdlib.h>
#include <string.h>

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)

/* Leaf 0xB / 0x1F level types. */
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2

static unsigned int bits_for(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static void cpuid_fix_topology(struct kvm_cpuid_entry2 *ent,
			       unsigned int vcpu_id, unsigned int nr_cpus)
{
	unsigned int core_bits = bits_for(nr_cpus);

	switch (ent->function) {
	case 1:
		/* Initial APIC ID and logical processor count. */
		ent->ebx = (ent->ebx & 0x0000ffffu) | (vcpu_id << 24) |
			   ((nr_cpus & 0xff) << 16);
		ent->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (nr_cpus > 1)
			ent->edx |= CPUID_1_EDX_HTT;
		break;
	case 4:
		/*
		 * Cores per package, minus one, in EAX[31:26]; no SMT siblings.
		 */
		ent->eax =
		    (ent->eax & 0x03ffc3ffu) | (((1u << core_bits) - 1) << 26);
		break;
	case 0xb:
	case 0x1f:
		/* One thread per core, nr_cpus cores in one package. */
		if (ent->index == 0) {
			ent->eax = 0;
			ent->ebx = 1;
			ent->ecx = (TOPO_LEVEL_SMT << 8);
		} else if (ent->index == 1) {
			ent->eax = core_bits;
			ent->ebx = nr_cpus;
			ent->ecx = (TOPO_LEVEL_CORE << 8) | 1;
		} else {
			ent->eax = 0;
			ent->ebx = 0;
			ent->ecx = ent->index;
		}
		ent->edx = vcpu_id;
		break;
	default:
		break;
	}
}

struct kvm_cpuid2 *kvm_cpuid_for_vcpu(const struct kvm_sys *sys,
				      unsigned int vcpu_id,
				      unsigned int nr_cpus, struct err *e)
{
	const struct kvm_cpuid2 *src = sys->supported_cpuid;
	size_t size = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	unsigned int i;

	if (!c) {
		err_set(e, "out of memory");
		return NULL;
	}
	memcpy(c, src, size);
	for (i = 0; i < c->nent; i++)
		cpuid_fix_topology(&c->entries[i], vcpu_id, nr_cpus);
	return c;
}
