// SPDX-License-Identifier: MIT
/* The thread classes' names, shared by vireo and build/seccomp-gen. */
#include "vmm/sandbox/seccomp.h"

#include <string.h>

static const char *const class_names[SANDBOX_NR_CLASSES] = {
	[SANDBOX_MAIN] = "main",
	[SANDBOX_VCPU] = "vCPU",
	[SANDBOX_API] = "API",
	[SANDBOX_TRACE] = "trace writer",
	[SANDBOX_DEV_CONSOLE] = "virtio-console I/O",
	[SANDBOX_DEV_RNG] = "virtio-rng I/O",
	[SANDBOX_DEV_BLK] = "virtio-blk I/O",
	[SANDBOX_DEV_NET] = "virtio-net I/O",
	[SANDBOX_DEV_VSOCK] = "virtio-vsock I/O",
	[SANDBOX_JAIL_PARENT] = "jail parent",
};

const char *sandbox_class_name(enum sandbox_class cls)
{
	return (unsigned int)cls < SANDBOX_NR_CLASSES ? class_names[cls]
						      : "unknown";
}

int sandbox_device_class(const char *type_name)
{
	static const struct {
		const char *type;
		enum sandbox_class cls;
	} map[] = {
		{ "console", SANDBOX_DEV_CONSOLE }, { "rng", SANDBOX_DEV_RNG },
		{ "blk", SANDBOX_DEV_BLK },	    { "net", SANDBOX_DEV_NET },
		{ "vsock", SANDBOX_DEV_VSOCK },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].type, type_name))
			return (int)map[i].cls;
	return -1;
}
