/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_SANDBOX_H
#define VIREO_VMM_SANDBOX_SANDBOX_H

/*
 * The order of --jail, --rlimit and --uid/--gid around the machine's life
 * (docs/security.md):
 *   sandbox_begin()     before anything is opened or any thread exists;
 *   machine_create()    opens /dev/kvm, images, taps, sockets, the trace;
 *   sandbox_lockdown()  pivot into the jail, limits, then the id drop,
 *                       before machine_run() starts vCPUs, the API and
 *                       seccomp filters.
 */

#include "util/err.h"
#include "vmm/config.h"

struct machine;

/* The options' consistency; no side effects. */
int sandbox_check(const struct vm_config *cfg, struct err *e);

/*
 * no_new_privs (always), the capability sets that are per thread, and with
 * --jail the fork (the jail's parent exits with the child's status, see
 * jail_fork): 0 to go on building the machine, -1 with e set.
 */
int sandbox_begin(const struct vm_config *cfg, struct err *e);

int sandbox_lockdown(struct machine *m, struct err *e);

#endif
