/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_ERR_H
#define VIREO_UTIL_ERR_H

#include <stddef.h>

/*
 * An error travels up as a one-line message so that the CLI can print
 * exactly one clear line and exit 2, without any layer calling exit().
 */
struct err {
	char msg[512];
};

/* Formats into e (if non-NULL) and returns -1 so callers can `return
 * err_set(...)`. */
int err_set(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like err_set() but appends ": strerror(errno_val)". */
int err_errno(struct err *e, int errno_val, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context ("loading kernel: ..."). */
int err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
