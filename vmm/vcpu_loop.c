// SPDX-License-Identifier: MIT
#include "vmm/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 1ULL

static const char *const exit_reason_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN (triple fault)",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
};

static const char *exit_reason_name(uint32_t reason)
{
	if (reason < sizeof(exit_reason_names) / sizeof(exit_reason_names[0]) &&
	    exit_reason_names[reason])
		return exit_reason_names[reason];
	return "unexpected";
}

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only here to make KVM_RUN return EINTR */
}

/* "rip=... bytes at rip: ..." for crash diagnostics. */
static void vcpu_describe_rip(struct vcpu_thread *t, char *out, size_t size)
{
	struct kvm_regs regs;
	uint64_t gpa;
	uint8_t code[16];
	size_t n = 0;
	int i;

	if (kvm_vcpu_get_regs(&t->vcpu, &regs) < 0) {
		snprintf(out, size, "rip unknown");
		return;
	}
	n += (size_t)snprintf(out, size, "rip=%#llx",
			      (unsigned long long)regs.rip);
	if (kvm_vcpu_translate(&t->vcpu, regs.rip, &gpa) < 0 ||
	    guest_mem_read(&t->m->mem, gpa, code, sizeof(code)) < 0)
		return;
	n += (size_t)snprintf(out + n, size - n, " code:");
	for (i = 0; i < 16 && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, " %02x", code[i]);
}

static void vcpu_crash(struct vcpu_thread *t, const char *what)
{
	struct kvm_run *run = t->vcpu.run;
	char where[128], extra[256] = "";
	size_t n = 0;
	uint32_t i;

	vcpu_describe_rip(t, where, sizeof(where));
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		n += (size_t)snprintf(
		    extra, sizeof(extra),
		    " suberror=%u data:", run->internal.suberror);
		for (i = 0;
		     i < run->internal.ndata && i < 8 && n < sizeof(extra); i++)
			n += (size_t)snprintf(
			    extra + n, sizeof(extra) - n, " %#llx",
			    (unsigned long long)run->internal.data[i]);
	} else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		snprintf(extra, sizeof(extra), " hw_reason=%#llx",
			 (unsigned long long)
			     run->fail_entry.hardware_entry_failure_reason);
	}
	machine_request_stop(t->m, VIREO_EXIT_GUEST_CRASH,
			     "guest crashed: %s on vCPU %u (%s)%s", what,
			     t->vcpu.id, where, extra);
}

static void vcpu_handle_io(struct vcpu_thread *t)
{
	struct kvm_run *run = t->vcpu.run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	atomic_fetch_add(&t->stats.pio_exits, 1);
	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (!bus_write(&t->m->pio, run->io.port, data,
				       run->io.size))
				log_debug("unclaimed port write %#x",
					  run->io.port);
		} else if (!bus_read(&t->m->pio, run->io.port, data,
				     run->io.size)) {
			/* An absent ISA device floats the bus high. */
			memset(data, 0xff, run->io.size);
		}
	}
}

static void vcpu_handle_mmio(struct vcpu_thread *t)
{
	struct kvm_run *run = t->vcpu.run;

	atomic_fetch_add(&t->stats.mmio_exits, 1);
	if (run->mmio.len > 8)
		return;
	if (run->mmio.is_write) {
		if (!bus_write(&t->m->mmio, run->mmio.phys_addr, run->mmio.data,
			       run->mmio.len))
			log_debug("unclaimed mmio write %#llx",
				  (unsigned long long)run->mmio.phys_addr);
	} else if (!bus_read(&t->m->mmio, run->mmio.phys_addr, run->mmio.data,
			     run->mmio.len)) {
		memset(run->mmio.data, 0xff, run->mmio.len);
	}
}

static void vcpu_handle_system_event(struct vcpu_thread *t)
{
	switch (t->vcpu.run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		machine_request_stop(t->m, VIREO_EXIT_GUEST_DONE,
				     "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		machine_request_stop(t->m, VIREO_EXIT_GUEST_DONE,
				     "guest requested a reset");
		break;
	default:
		vcpu_crash(t, "system event (crash)");
		break;
	}
}

static void *vcpu_thread_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct kvm_run *run = t->vcpu.run;
	sigset_t unblock;

	sigemptyset(&unblock);
	sigaddset(&unblock, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

	while (!atomic_load(&t->m->stopping)) {
		if (kvm_vcpu_run(&t->vcpu) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue;
			}
			machine_request_stop(t->m, VIREO_EXIT_ERROR,
					     "KVM_RUN on vCPU %u: %s",
					     t->vcpu.id, strerror(errno));
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu_handle_io(t);
			break;
		case KVM_EXIT_MMIO:
			vcpu_handle_mmio(t);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vcpu_handle_system_event(t);
			break;
		case KVM_EXIT_SHUTDOWN:
		case KVM_EXIT_INTERNAL_ERROR:
		case KVM_EXIT_FAIL_ENTRY:
		default:
			atomic_fetch_add(&t->stats.other_exits, 1);
			vcpu_crash(t, exit_reason_name(run->exit_reason));
			break;
		}
	}
	return NULL;
}

static int vcpu_setup(struct machine *m, struct vcpu_thread *t, unsigned int id,
		      struct err *e)
{
	const struct kvm_msr_entry msrs[] = {
		{ .index = MSR_IA32_MISC_ENABLE,
		  .data = MISC_ENABLE_FAST_STRING },
	};
	struct kvm_cpuid2 *cpuid;
	int ret;

	t->m = m;
	t->vcpu.fd = -1;
	if (kvm_vcpu_create(&t->vcpu, &m->vm, id, e) < 0)
		return -1;
	cpuid = kvm_cpuid_for_vcpu(&m->sys, id, m->nr_vcpus, e);
	if (!cpuid)
		return -1;
	ret = kvm_vcpu_set_cpuid(&t->vcpu, cpuid, e);
	free(cpuid);
	if (ret < 0 || kvm_vcpu_setup_lapic_lints(&t->vcpu, e) < 0)
		return -1;
	/* Not every KVM flavour accepts it; Linux copes without. */
	if (kvm_vcpu_set_msrs(&t->vcpu, msrs, 1, NULL) < 0)
		log_debug("vCPU %u: MISC_ENABLE not accepted", id);
	return 0;
}

int vcpus_create(struct machine *m, struct err *e)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	unsigned int i;

	if (m->nr_vcpus > m->sys.max_vcpus)
		return err_set(
		    e, "--cpus %u is more than this host's KVM allows (%u)",
		    m->nr_vcpus, m->sys.max_vcpus);
	/* No SA_RESTART: the kick must interrupt KVM_RUN. */
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	m->vcpus = calloc(m->nr_vcpus, sizeof(*m->vcpus));
	if (!m->vcpus)
		return err_set(e, "out of memory");
	for (i = 0; i < m->nr_vcpus; i++)
		m->vcpus[i].vcpu.fd = -1;
	for (i = 0; i < m->nr_vcpus; i++)
		if (vcpu_setup(m, &m->vcpus[i], i, e) < 0)
			return -1;
	return 0;
}

int vcpus_start(struct machine *m, struct err *e)
{
	unsigned int i;
	int ret;

	for (i = 0; i < m->nr_vcpus; i++) {
		ret = pthread_create(&m->vcpus[i].thread, NULL,
				     vcpu_thread_main, &m->vcpus[i]);
		if (ret != 0)
			return err_errno(e, ret, "cannot start vCPU thread %u",
					 i);
		m->vcpus[i].started = 1;
	}
	return 0;
}

void vcpus_stop(struct machine *m)
{
	unsigned int i;

	if (!m->vcpus)
		return;
	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu_thread *t = &m->vcpus[i];

		if (!t->started)
			continue;
		/* immediate_exit covers a kick that lands before KVM_RUN. */
		t->vcpu.run->immediate_exit = 1;
		pthread_kill(t->thread, VCPU_KICK_SIGNAL);
	}
	for (i = 0; i < m->nr_vcpus; i++) {
		if (m->vcpus[i].started)
			pthread_join(m->vcpus[i].thread, NULL);
		m->vcpus[i].started = 0;
	}
}

void vcpus_destroy(struct machine *m)
{
	unsigned int i;

	if (!m->vcpus)
		return;
	for (i = 0; i < m->nr_vcpus; i++)
		kvm_vcpu_destroy(&m->vcpus[i].vcpu);
	free(m->vcpus);
	m->vcpus = NULL;
}

void vcpus_print_stats(struct machine *m)
{
	uint64_t pio = 0, mmio = 0, other = 0;
	unsigned int i;

	for (i = 0; i < m->nr_vcpus; i++) {
		pio += atomic_load(&m->vcpus[i].stats.pio_exits);
		mmio += atomic_load(&m->vcpus[i].stats.mmio_exits);
		other += atomic_load(&m->vcpus[i].stats.other_exits);
	}
	log_info(
	    "stats: userspace vcpu exits=%llu (pio=%llu mmio=%llu other=%llu)",
	    (unsigned long long)(pio + mmio + other), (unsigned long long)pio,
	    (unsigned long long)mmio, (unsigned long long)other);
}
