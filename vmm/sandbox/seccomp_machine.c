// SPDX-License-Identifier: MIT
#include "vmm/sandbox/seccomp_machine.h"

#include "util/log.h"
#include "util/trace.h"
#include "vmm/device_types.h"
#include "vmm/machine.h"
#include "vmm/sandbox/seccomp.h"

int seccomp_machine_begin(struct machine *m, struct err *e)
{
	const enum vm_seccomp *mode = &m->cfg->seccomp;
	struct thread_hook trace_hook = seccomp_hook(mode, SANDBOX_TRACE);
	unsigned int i;

	if (*mode == VM_SECCOMP_OFF) {
		log_warn("seccomp filters are off (--no-seccomp): any vireo "
			 "thread a guest takes over can make any system call");
		return 0;
	}
	if (seccomp_prepare(*mode, e) < 0)
		return -1;
	trace_enter_sandbox(m->trace, &trace_hook);
	for (i = 0; i < m->nr_vdevs; i++) {
		const struct device_type *type = m->vdevs[i].type;
		struct virtio_device *vdev =
		    type->vdev ? type->vdev(m->vdevs[i].dev) : NULL;
		int cls = sandbox_device_class(type->name);

		if (!vdev)
			continue;
		if (cls < 0)
			return err_set(e,
				       "seccomp: no filter for device type %s",
				       type->name);
		vdev->enter = seccomp_hook(mode, (enum sandbox_class)cls);
		if (virtio_device_spawn(vdev) < 0)
			return err_set(e, "cannot start the %s I/O thread",
				       type->name);
	}
	m->api.enter = seccomp_hook(mode, SANDBOX_API);
	return 0;
}

int seccomp_machine_main(struct machine *m, struct err *e)
{
	return seccomp_enter(m->cfg->seccomp, SANDBOX_MAIN, e);
}
