/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_SECCOMP_RULES_H
#define VIREO_VMM_SANDBOX_SECCOMP_RULES_H

#include <seccomp.h>

#include "vmm/sandbox/seccomp.h"

/* Adds cls's allow-list to ctx; a negative errno from libseccomp. */
int seccomp_rules_add(scmp_filter_ctx ctx, enum sandbox_class cls);

#endif
