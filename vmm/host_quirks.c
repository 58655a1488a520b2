// SPDX-License-Identifier: MIT
#include "vmm/host_quirks.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct host_quirk {
	const char *module; /* present under /sys/module on such hosts */
	const char *name;
	const char *guest_params;
};

/*
 * PVM runs guest kernel code through KVM's instruction emulator after
 * every trap. The emulator lacks CMPXCHG16B and the XSAVE family, and
 * Linux's SMAP (CLAC/STAC) and POPCNT alternatives fail there; with
 * FSGSBASE, FS base changes bypass what PVM tracks. Linux must not use
 * any of them (guest-images/README.md lists each failure).
 */
static const struct host_quirk host_quirks[] = {
	{ "kvm_pvm", "PVM (software virtualization)",
	  "noxsave nofsgsbase clearcpuid=cx16,popcnt,smap" },
};

const char *host_quirks_guest_params(const char **host_name)
{
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(host_quirks) / sizeof(host_quirks[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s",
			 host_quirks[i].module);
		if (access(path, F_OK) == 0) {
			*host_name = host_quirks[i].name;
			return host_quirks[i].guest_params;
		}
	}
	return NULL;
}

int cmdline_append(char *out, size_t out_size, const char *cmdline,
		   const char *extra)
{
	int n;

	if (!extra || !*extra)
		n = snprintf(out, out_size, "%s", cmdline);
	else if (!*cmdline)
		n = snprintf(out, out_size, "%s", extra);
	else
		n = snprintf(out, out_size, "%s %s", cmdline, extra);
	return (n < 0 || (size_t)n >= out_size) ? -1 : 0;
}
