/* SPDX-License-Identifier: MIT */
#ifndef HOSTILE_SMP_H
#define HOSTILE_SMP_H
/*
 * A second vCPU that races the first: the BSP hands it one job at a time
 * (a function run in a loop until told to stop) and wakes it by IPI; between
 * jobs it halts, so an idle AP costs the host nothing.
 */
#include "hostile.h"

typedef void (*ap_job_fn)(void *arg, u64 iteration);

bool smp_start(void); /* true once the AP answered */
bool smp_ready(void);
/* Starts fn looping on the AP; smp_stop waits for it to finish. */
void smp_run(ap_job_fn fn, void *arg);
u64 smp_stop(void); /* iterations the AP ran */
#endif
