/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_VCPU_LOOP_H
#define VIREO_VMM_VCPU_LOOP_H

/*
 * The vCPU threads' run loop and exit handling. A thread sees only what an
 * exit needs (struct vcpu_loop_ctx), not the whole machine: that keeps the
 * hot path's dependencies visible and lets unit tests drive exits with a
 * fake kvm_run and plain buses.
 */

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bus/bus.h"
#include "kvm/guest_mem.h"
#include "kvm/kvm.h"

/* Interrupts KVM_RUN to stop a vCPU thread; unblocked only in those. */
#define VCPU_KICK_SIGNAL SIGUSR1

/*
 * A paused VM (the control API): every vCPU thread parks outside KVM_RUN
 * until resumed or stopped. requested is read on every loop turn without
 * the lock; parking and waking go through it.
 */
struct vcpu_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_int requested;
	unsigned int nr_parked; /* under lock */
};

struct vcpu_loop_ctx {
	struct bus *pio, *mmio;
	/* For the code bytes in a crash report. */
	const struct guest_mem *mem;
	/* Non-zero once a stop was requested; the loops then end. */
	const atomic_int *stopping;
	/*
	 * Any vCPU thread; the first request wins (enum vireo_exit_status,
	 * reason printed on exit when status != 0).
	 */
	void (*request_stop)(void *opaque, int status, const char *reason);
	void *opaque;
	struct vcpu_pause *pause; /* NULL: never paused */
};

struct vcpu_stats {
	atomic_uint_fast64_t pio_exits, mmio_exits, other_exits;
	/* Signals (stop, pause) and system events: never the guest's data. */
	atomic_uint_fast64_t intr_exits, system_event_exits;
};

struct vcpu_thread {
	const struct vcpu_loop_ctx *ctx;
	struct kvm_vcpu vcpu;
	pthread_t thread;
	int started;
	struct vcpu_stats stats;
	/* Set, then kicked: the thread logs where its guest is (SIGUSR2). */
	atomic_int report;
};

/* Acts on the exit KVM_RUN left in t->vcpu.run. */
void vcpu_handle_exit(struct vcpu_thread *t);

/* The thread body: KVM_RUN until *ctx->stopping. */
void *vcpu_thread_main(void *arg);

#endif
