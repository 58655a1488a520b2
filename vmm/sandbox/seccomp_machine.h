/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_SECCOMP_MACHINE_H
#define VIREO_VMM_SANDBOX_SECCOMP_MACHINE_H

/*
 * The machine's side of the seccomp sandbox, in machine_run() order:
 * seccomp_machine_begin() before any guest-facing thread starts (after
 * the privilege drop and jail, which need every thread still able to
 * change its ids), then the vCPU and API threads start and load their own
 * filters, then seccomp_machine_main() confines the main thread.
 */

#include "util/err.h"

struct machine;

/*
 * SIGSYS handler; the trace writer's filter; every virtio device's I/O
 * thread made now, from this still unfiltered thread, loading its
 * device type's filter; the API thread's hook. With --no-seccomp, the one
 * warning line.
 */
int seccomp_machine_begin(struct machine *m, struct err *e);

/* The main thread's filter: last, so the threads it starts are not
 * confined by it on top of their own. */
int seccomp_machine_main(struct machine *m, struct err *e);

#endif
