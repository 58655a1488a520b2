/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_SECCOMP_RULES_H
#define VIREO_VMM_SANDBOX_SECCOMP_RULES_H

/*
 * The allow-lists, in libseccomp terms. Build-time code: build/seccomp-gen
 * and the unit tests link it, vireo runs only the BPF it generated
 * (vmm/sandbox/seccomp_bpf.h).
 */

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/sandbox/seccomp.h"

/*
 * Adds cls's allow-list to ctx: tgkill only to pid; sanitizer adds what
 * the ASan/UBSan runtime needs. A negative errno from libseccomp.
 */
int seccomp_rules_add(scmp_filter_ctx ctx, enum sandbox_class cls, uint32_t pid,
		      bool sanitizer);

/*
 * cls's whole filter as libseccomp exports it (default action SIGSYS, or
 * the audit log with log), into out: its length in instructions, or a
 * negative errno (-E2BIG when it needs cap or more).
 */
int seccomp_rules_export(enum sandbox_class cls, uint32_t pid, bool sanitizer,
			 bool log, struct sock_filter *out, size_t cap);

#endif
