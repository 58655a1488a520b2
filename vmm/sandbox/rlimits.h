/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_RLIMITS_H
#define VIREO_VMM_SANDBOX_RLIMITS_H

/*
 * --rlimit NAME=VALUE (nofile, fsize, memlock): resource limits vireo
 * sets on itself before the guest runs; with --jail every one gets its
 * default when not given. Why each default is what it is: docs/security.md.
 */

#include <stdint.h>

#include "util/err.h"
#include "vmm/config.h"

#define RLIMITS_UNLIMITED UINT64_MAX
/* Far above what vireo opens (a few hundred fds with 16 disks x 16
 * queues), so a guest never finds it; a compromised vireo cannot
 * exhaust the host's file table. */
#define RLIMITS_DEFAULT_NOFILE 4096
/* Nothing vireo writes grows but the trace and a stdout file. */
#define RLIMITS_DEFAULT_FSIZE_MIN (16ULL << 30)
/* vireo locks no memory; io_uring rings count here on kernels < 5.12. */
#define RLIMITS_DEFAULT_MEMLOCK (8ULL << 20)
/* fds opened after the lockdown: 64 vsock and 8 API connections, and
 * room for resets. */
#define RLIMITS_NOFILE_HEADROOM 128

/* "nofile=N", "fsize=SIZE", "memlock=SIZE"; SIZE: bytes, K/M/G/T suffix,
 * or "unlimited". */
int rlimits_parse(const char *arg, struct vm_sandbox_config *sb, struct err *e);

const char *rlimits_name(enum vm_rlimit r);

/*
 * The value r gets: the user's, else its default. Writable disks never
 * grow (every request is checked against the image's size) but writes
 * into them count against RLIMIT_FSIZE, so fsize is at least the largest.
 */
uint64_t rlimits_value(const struct vm_sandbox_config *sb, enum vm_rlimit r,
		       uint64_t largest_disk);

/*
 * Sets each limit the user gave, and with defaults every other one too
 * (soft = hard, so it cannot be raised again); nofile must
 * leave RLIMITS_NOFILE_HEADROOM above highest_fd. An oversized write then
 * fails with EFBIG instead of killing vireo with SIGXFSZ.
 */
int rlimits_apply(const struct vm_sandbox_config *sb, bool defaults,
		  uint64_t largest_disk, int highest_fd, struct err *e);

#endif
