// SPDX-License-Identifier: MIT
/* vCPU threads: creation, start, stop, exit counters. */
#include "vmm/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "util/log.h"
#include "vmm/sandbox/seccomp.h"

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING 1ULL
/* A vCPU leaves KVM_RUN within a signal's delivery; this is a safety net. */
#define VCPUS_PAUSE_TIMEOUT_S 5

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only here to make KVM_RUN return EINTR */
}

static void machine_stop_from_vcpu(void *opaque, int status, const char *reason)
{
	machine_request_stop(opaque, status, "%s", reason);
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

	t->ctx = &m->vcpu_ctx;
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

	m->vcpu_ctx = (struct vcpu_loop_ctx){
		.pio = &m->pio,
		.mmio = &m->mmio,
		.mem = &m->mem,
		.stopping = &m->stopping,
		.request_stop = machine_stop_from_vcpu,
		.opaque = m,
		.pause = &m->pause,
	};
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

/* Marks the start as done just before the vCPU's first KVM_RUN. */
static void *vcpu_thread_entry(void *arg)
{
	struct vcpu_thread *t = arg;
	struct machine *m = t->ctx->opaque;
	struct err e;

	/* Before the guest runs a single instruction on this vCPU. */
	if (seccomp_enter(m->cfg->seccomp, SANDBOX_VCPU, &e) < 0) {
		machine_request_stop(m, VIREO_EXIT_ERROR, "%s", e.msg);
		return NULL;
	}
	stats_first_run(&m->stats);
	return vcpu_thread_main(arg);
}

/*
 * An exit handler runs one bus access (PCI config, a UART register) and
 * perhaps a log line: far below glibc's 8 MiB default. ASan frames are
 * several times larger.
 */
#ifdef __SANITIZE_ADDRESS__
#define VCPU_THREAD_STACK (1u << 20)
#else
#define VCPU_THREAD_STACK (256u << 10)
#endif

int vcpus_start(struct machine *m, struct err *e)
{
	pthread_attr_t attr;
	unsigned int i;
	int ret = pthread_attr_init(&attr);

	if (ret != 0)
		return err_errno(e, ret, "pthread_attr_init");
	pthread_attr_setstacksize(&attr, VCPU_THREAD_STACK);
	for (i = 0; i < m->nr_vcpus; i++) {
		ret = pthread_create(&m->vcpus[i].thread, &attr,
				     vcpu_thread_entry, &m->vcpus[i]);
		if (ret != 0)
			break;
		m->vcpus[i].started = 1;
	}
	pthread_attr_destroy(&attr);
	if (ret != 0)
		return err_errno(e, ret, "cannot start vCPU thread %u", i);
	return 0;
}

/* Out of KVM_RUN now: immediate_exit covers a kick before KVM_RUN. */
static void vcpus_kick(struct machine *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu_thread *t = &m->vcpus[i];

		if (!t->started)
			continue;
		t->vcpu.run->immediate_exit = 1;
		pthread_kill(t->thread, VCPU_KICK_SIGNAL);
	}
}

int vcpus_pause(struct machine *m, struct err *e)
{
	struct vcpu_pause *p = &m->pause;
	unsigned int started = 0, i;
	struct timespec deadline;
	int ret = 0;

	for (i = 0; i < m->nr_vcpus; i++)
		started += m->vcpus[i].started ? 1u : 0u;
	atomic_store(&p->requested, 1);
	vcpus_kick(m);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += VCPUS_PAUSE_TIMEOUT_S;
	pthread_mutex_lock(&p->lock);
	while (p->nr_parked < started && !atomic_load(&m->stopping) &&
	       ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&p->cond, &p->lock, &deadline);
	pthread_mutex_unlock(&p->lock);
	if (ret == ETIMEDOUT || atomic_load(&m->stopping)) {
		vcpus_resume(m);
		return err_set(e, ret == ETIMEDOUT
				      ? "vCPUs did not stop in time"
				      : "the VM is stopping");
	}
	return 0;
}

void vcpus_resume(struct machine *m)
{
	struct vcpu_pause *p = &m->pause;

	pthread_mutex_lock(&p->lock);
	atomic_store(&p->requested, 0);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void vcpus_wake(struct machine *m)
{
	pthread_mutex_lock(&m->pause.lock);
	pthread_cond_broadcast(&m->pause.cond);
	pthread_mutex_unlock(&m->pause.lock);
}

void vcpus_stop(struct machine *m)
{
	unsigned int i;

	if (!m->vcpus)
		return;
	vcpus_wake(m); /* parked threads see stopping once woken */
	vcpus_kick(m);
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
	char line[256];
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
	machine_stats_format(m, line, sizeof(line));
	log_info("%s", line);
}

int machine_stats_format(struct machine *m, char *buf, size_t len)
{
	return stats_format(&m->stats, m->ram.host, m->ram.size, buf, len);
}

void vcpus_report_where(struct machine *m)
{
	unsigned int i;

	for (i = 0; i < m->nr_vcpus; i++)
		atomic_store(&m->vcpus[i].report, 1);
	vcpus_kick(m);
}
