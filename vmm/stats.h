/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_STATS_H
#define VIREO_VMM_STATS_H

/*
 * What the VMM itself costs: time from exec to the first KVM_RUN (wall and
 * CPU) and resident memory beyond guest RAM. One line, for --stats at exit
 * and for a control API's metrics.
 */

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct stats_clock {
	uint64_t wall_ns; /* CLOCK_MONOTONIC */
	uint64_t cpu_ns; /* CLOCK_PROCESS_CPUTIME_ID: all threads */
};

struct vmm_stats {
	struct stats_clock created; /* machine_create() entered */
	struct stats_clock first_run; /* just before the first KVM_RUN */
	atomic_int ran;
};

struct stats_clock stats_clock_now(void);

/* At machine creation: the origin the start time counts from. */
void stats_start(struct vmm_stats *s);

/* Before a vCPU's first KVM_RUN; only the first call of all counts. */
void stats_first_run(struct vmm_stats *s);

/*
 * Exec to first KVM_RUN in ns; 0 before the first run. Everything before
 * machine_create() (exec, dynamic linking, argument parsing) is CPU-bound
 * and single-threaded, so the process's CPU time at creation stands for
 * its wall time: wall = (first_run - created) + cpu(created).
 */
uint64_t stats_start_wall_ns(const struct vmm_stats *s);
uint64_t stats_start_cpu_ns(const struct vmm_stats *s);

/*
 * Resident bytes of this process outside guest RAM [ram, ram + size):
 * total RSS (/proc/self/statm) minus guest RAM's resident pages (mincore).
 * *ram_resident gets the latter. -1 when either cannot be read.
 */
int stats_mem_beyond_ram(const void *ram, uint64_t size, uint64_t *beyond,
			 uint64_t *ram_resident);

/* Formats the one-line summary ("start: wall=... cpu=..., memory: ..."). */
int stats_format(const struct vmm_stats *s, const void *ram, uint64_t size,
		 char *buf, size_t len);

#endif
