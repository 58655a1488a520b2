/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_JAIL_H
#define VIREO_VMM_SANDBOX_JAIL_H

/*
 * --jail DIR: vireo runs as PID 1 of a new PID namespace, in new mount,
 * IPC and UTS namespaces, with DIR as its root once everything it needs is
 * open. A KVM VM belongs to the mm that created it, and only children
 * enter a new PID namespace, so the fork comes before /dev/kvm is opened:
 * the child builds and runs the machine, the parent only waits.
 */

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"
#include "vmm/config.h"

/* DIR exists and is a directory, and we may make namespaces. */
int jail_check(const char *dir, struct err *e);

/*
 * Forks into the new namespaces. Returns 0 in the child (go on building
 * the machine), -1 with e set when nothing was forked; the parent never
 * returns: it exits with the child's status (128 + N if signal N killed
 * it). It forwards SIGINT, SIGTERM, SIGHUP, SIGUSR2 and SIGRTMIN+1, which
 * the child keeps blocked until its signalfd reads them: PID 1 drops
 * signals it has no handler for. The parent runs under the jail-parent
 * seccomp filter (unless mode is off).
 */
int jail_fork(enum vm_seccomp mode, struct err *e);

/*
 * Makes dir the root (nosuid, nodev, noexec) and the host's root
 * unreachable; the working directory becomes "/".
 */
int jail_pivot(const char *dir, struct err *e);

/*
 * path as seen from inside the jail rooted at root (a realpath): 1 with
 * out filled when path is under root, 0 when it is not, -1 when its
 * directory cannot be resolved or out is too small.
 */
int jail_inner_path(const char *root, const char *path, char *out,
		    size_t out_len);

#endif
