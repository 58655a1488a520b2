/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_SECCOMP_H
#define VIREO_VMM_SANDBOX_SECCOMP_H

/*
 * One seccomp filter per thread class (docs/seccomp.md), compiled to BPF
 * at build time (seccomp_bpf.h). A thread loads its class's filter itself,
 * first thing; a syscall outside it is SIGSYS (the handler names the
 * class and the syscall, then _exit(1)), or in log mode an audit record
 * and nothing else.
 */

#include <stdbool.h>

#include "util/err.h"
#include "util/thread_hook.h"
#include "vmm/config.h"

enum sandbox_class {
	SANDBOX_MAIN, /* event loop: signals, stdio, stop, teardown */
	SANDBOX_VCPU, /* KVM_RUN and the exits it handles */
	SANDBOX_API, /* control API server */
	SANDBOX_TRACE, /* --trace writer */
	SANDBOX_DEV_CONSOLE, /* one class per virtio device type */
	SANDBOX_DEV_RNG,
	SANDBOX_DEV_BLK,
	SANDBOX_DEV_NET,
	SANDBOX_DEV_VSOCK,
	SANDBOX_JAIL_PARENT, /* --jail: the process outside the PID namespace */
	SANDBOX_NR_CLASSES,
};

const char *sandbox_class_name(enum sandbox_class cls);

/* The class of a virtio device type's I/O thread ("blk", ...), or -1. */
int sandbox_device_class(const char *type_name);

/*
 * Once per process, before any filter: the SIGSYS handler and the
 * syscall-name table it reads. Harmless when repeated or mode is off.
 */
int seccomp_prepare(enum vm_seccomp mode, struct err *e);

/* Loads cls's filter into the calling thread (nothing when off). */
int seccomp_enter(enum vm_seccomp mode, enum sandbox_class cls, struct err *e);

/*
 * A thread_hook for threads outside vmm/: ctx points to the
 * enum vm_seccomp. A filter that cannot be loaded ends vireo (exit 1):
 * the thread must not go on unconfined.
 */
void seccomp_thread_enter(const void *ctx, unsigned int cls);

static inline struct thread_hook seccomp_hook(const enum vm_seccomp *mode,
					      enum sandbox_class cls)
{
	return (struct thread_hook){
		.enter = seccomp_thread_enter,
		.ctx = mode,
		.cls = cls,
	};
}

#endif
