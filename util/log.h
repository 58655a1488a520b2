/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_LOG_H
#define VIREO_UTIL_LOG_H

#include <stdbool.h>

/*
 * vireo's own messages go to stderr, prefixed, so they never mix with the
 * guest console on stdout.
 */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A guest's mistake, logged once per flag (one flag per device and kind of
 * mistake): nothing a guest does may produce unbounded output. Later
 * occurrences go to log_debug.
 */
void log_guest_once(bool *logged, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set once at start-up from the command line, before any thread exists. */
void log_set_verbose(int verbose);

#endif
