/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_SANDBOX_PRIVDROP_H
#define VIREO_VMM_SANDBOX_PRIVDROP_H

/*
 * --uid/--gid: vireo gives up root for good once everything it needs is
 * open. Two steps, because the kernel keeps the bounding, inheritable and
 * ambient capability sets and no_new_privs per thread: privdrop_prepare()
 * runs before any thread exists so every later thread inherits them, and
 * privdrop_commit() changes the ids, which glibc applies to every thread.
 */

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* "N": a numeric id, 0 to 4294967294 (-1 means "unchanged" to setresuid). */
int privdrop_parse_id(const char *arg, uint32_t *id);

/* Whether this thread has capability cap (<linux/capability.h>) now. */
bool privdrop_has_cap(int cap);

/* no_new_privs for this thread; idempotent, never fails on Linux >= 3.5. */
int privdrop_no_new_privs(struct err *e);

/*
 * no_new_privs, and with drop: empty bounding, inheritable and ambient
 * sets (the effective and permitted ones go at commit).
 */
int privdrop_prepare(bool drop, struct err *e);

/*
 * setgroups(0), setresgid, setresuid, then checks that root cannot be
 * regained and that no capability is left; not dumpable.
 */
int privdrop_commit(uint32_t uid, uint32_t gid, struct err *e);

#endif
