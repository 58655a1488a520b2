/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_SIZE_H
#define VIREO_UTIL_SIZE_H

#include <stdint.h>

/*
 * Parses "512M", "2G", "1GiB", "4096K", "1T"; a bare number means MiB (as
 * QEMU's -m). Returns -1 on anything else, zero, or overflow.
 */
int size_parse(const char *s, uint64_t *bytes);

/* Parses a decimal unsigned int in [min, max]; -1 otherwise. */
int uint_parse(const char *s, unsigned int min, unsigned int max,
	       unsigned int *out);

#endif
