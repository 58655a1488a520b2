// SPDX-License-Identifier: MIT
#include "vmm/vcpu_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vmm/config.h"

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
	    guest_mem_read(t->ctx->mem, gpa, code, sizeof(code)) < 0)
		return;
	n += (size_t)snprintf(out + n, size - n, " code:");
	for (i = 0; i < 16 && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, " %02x", code[i]);
}

static void vcpu_stop(struct vcpu_thread *t, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void vcpu_stop(struct vcpu_thread *t, int status, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	t->ctx->request_stop(t->ctx->opaque, status, reason);
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
	vcpu_stop(t, VIREO_EXIT_GUEST_CRASH,
		  "guest crashed: %s on vCPU %u (%s)%s", what, t->vcpu.id,
		  where, extra);
}

static void vcpu_handle_io(struct vcpu_thread *t)
{
	struct kvm_run *run = t->vcpu.run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	atomic_fetch_add(&t->stats.pio_exits, 1);
	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (!bus_write(t->ctx->pio, run->io.port, data,
				       run->io.size))
				log_debug("unclaimed port write %#x",
					  run->io.port);
		} else if (!bus_read(t->ctx->pio, run->io.port, data,
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
		if (!bus_write(t->ctx->mmio, run->mmio.phys_addr,
			       run->mmio.data, run->mmio.len))
			log_debug("unclaimed mmio write %#llx",
				  (unsigned long long)run->mmio.phys_addr);
	} else if (!bus_read(t->ctx->mmio, run->mmio.phys_addr, run->mmio.data,
			     run->mmio.len)) {
		memset(run->mmio.data, 0xff, run->mmio.len);
	}
}

static void vcpu_handle_system_event(struct vcpu_thread *t)
{
	switch (t->vcpu.run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vcpu_stop(t, VIREO_EXIT_GUEST_DONE, "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vcpu_stop(t, VIREO_EXIT_GUEST_DONE, "guest requested a reset");
		break;
	default:
		vcpu_crash(t, "system event (crash)");
		break;
	}
}

void vcpu_handle_exit(struct vcpu_thread *t)
{
	struct kvm_run *run = t->vcpu.run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(t);
		break;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(t);
		break;
	case KVM_EXIT_INTR:
		atomic_fetch_add(&t->stats.intr_exits, 1);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		atomic_fetch_add(&t->stats.system_event_exits, 1);
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

/*
 * Where a guest that seems stuck is: halted (waiting for an interrupt that
 * does not come) or running (spinning at rip), interrupts on or off.
 */
static void vcpu_report(struct vcpu_thread *t)
{
	static const char *const states[] = {
		[KVM_MP_STATE_RUNNABLE] = "running",
		[KVM_MP_STATE_UNINITIALIZED] = "waiting for INIT/SIPI",
		[KVM_MP_STATE_INIT_RECEIVED] = "INIT received",
		[KVM_MP_STATE_HALTED] = "halted",
		[KVM_MP_STATE_SIPI_RECEIVED] = "SIPI received",
	};
	struct kvm_regs regs;
	char where[128];
	uint32_t mp = UINT32_MAX;
	const char *state = "state unknown";

	if (kvm_vcpu_get_mp_state(&t->vcpu, &mp) == 0 &&
	    mp < sizeof(states) / sizeof(states[0]) && states[mp])
		state = states[mp];
	vcpu_describe_rip(t, where, sizeof(where));
	if (kvm_vcpu_get_regs(&t->vcpu, &regs) < 0)
		regs.rflags = 0;
	log_info("vCPU %u: %s, interrupts %s, %s", t->vcpu.id, state,
		 regs.rflags & (1u << 9) ? "on" : "off", where);
}

/* Waits, outside KVM_RUN, until the VM is resumed or stopped. */
static void vcpu_park(struct vcpu_thread *t)
{
	struct vcpu_pause *p = t->ctx->pause;

	pthread_mutex_lock(&p->lock);
	p->nr_parked++;
	pthread_cond_broadcast(&p->cond);
	while (atomic_load(&p->requested) && !atomic_load(t->ctx->stopping))
		pthread_cond_wait(&p->cond, &p->lock);
	p->nr_parked--;
	pthread_mutex_unlock(&p->lock);
}

void *vcpu_thread_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct kvm_run *run = t->vcpu.run;
	sigset_t unblock;

	sigemptyset(&unblock);
	sigaddset(&unblock, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

	while (!atomic_load(t->ctx->stopping)) {
		if (t->ctx->pause && atomic_load(&t->ctx->pause->requested)) {
			vcpu_park(t);
			continue;
		}
		if (kvm_vcpu_run(&t->vcpu) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				atomic_fetch_add(&t->stats.intr_exits, 1);
				run->immediate_exit = 0;
				if (atomic_exchange(&t->report, 0))
					vcpu_report(t);
				continue;
			}
			vcpu_stop(t, VIREO_EXIT_ERROR, "KVM_RUN on vCPU %u: %s",
				  t->vcpu.id, strerror(errno));
			break;
		}
		vcpu_handle_exit(t);
	}
	return NULL;
}
