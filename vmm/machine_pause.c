// SPDX-License-Identifier: MIT
#include "vmm/machine.h"

int machine_pause_locked(struct machine *m, struct err *e)
{
	/* vCPUs first: with them parked no driver kicks a device. */
	if (vcpus_pause(m, e) < 0)
		return -1;
	virtio_devices_suspend(m, true);
	return 0;
}

void machine_resume_locked(struct machine *m)
{
	virtio_devices_suspend(m, false);
	vcpus_resume(m);
}
