/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_LOG_H
#define VIREO_UTIL_LOG_H

/*
 * vireo's own messages go to stderr, prefixed, so they never mix with the
 * guest console on stdout.
 */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set once at start-up from the command line, before any thread exists. */
void log_set_verbose(int verbose);

#endif
