/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_SECCOMP_BPF_H
#define VIREO_VMM_SANDBOX_SECCOMP_BPF_H

/*
 * The filters as BPF compiled at build time (build/seccomp-gen writes
 * build/gen/seccomp_filters.c from vmm/sandbox/seccomp_rules.c), so that
 * a thread's start costs a copy and one seccomp(2), not libseccomp.
 */

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"
#include "vmm/sandbox/seccomp.h"

/*
 * Stands for the process id in the tgkill rule until load time (the pid
 * is known only then, and is 1 under --jail): above any pid_max (2^22),
 * and the generator fails the build unless it is the operand of exactly
 * that one comparison.
 */
#define SECCOMP_PID_SENTINEL 0x7e5eed17u

/* Room for the longest program (a thread copies it onto its stack). */
#define SECCOMP_BPF_MAX_INSNS 256

/* Syscall numbers the SIGSYS line can name. */
#define SECCOMP_NAMED_SYSCALLS 512

struct seccomp_bpf {
	const struct sock_filter *insns;
	unsigned short len;
};

/* Generated: one program per class, the sanitizer rules in ASan builds. */
extern const struct seccomp_bpf seccomp_bpf_programs[SANDBOX_NR_CLASSES];
extern const char *const seccomp_syscall_names[SECCOMP_NAMED_SYSCALLS];

/*
 * cls's program for mode into out (SECCOMP_BPF_MAX_INSNS): pid in the
 * tgkill rule, and with VM_SECCOMP_LOG the audit log where the program
 * would raise SIGSYS. Its length, or 0 for no such class.
 */
size_t seccomp_bpf_program(enum vm_seccomp mode, enum sandbox_class cls,
			   uint32_t pid, struct sock_filter *out);

#endif
