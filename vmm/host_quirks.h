/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_HOST_QUIRKS_H
#define VIREO_VMM_HOST_QUIRKS_H

#include <stddef.h>

/*
 * Guest kernel parameters a given KVM implementation needs. Returns the
 * parameters to append for this host (NULL when none) and sets *host_name
 * for the notice line.
 */
const char *host_quirks_guest_params(const char **host_name);

/* Appends extra to cmdline into out; -1 when it does not fit. */
int cmdline_append(char *out, size_t out_size, const char *cmdline,
		   const char *extra);

#endif
