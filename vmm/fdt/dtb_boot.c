// SPDX-License-Identifier: MIT
#include "vmm/fdt/dtb_boot.h"

#include <asm/bootparam.h>
#include <inttypes.h>

int dtb_setup_data_write(const struct guest_mem *m, uint64_t gpa, uint64_t max,
			 const void *dtb, size_t len, struct err *e)
{
	struct setup_data sd = {
		.next = 0,
		.type = SETUP_DTB,
		.len = (uint32_t)len,
	};

	if (len > UINT32_MAX || len > max || sizeof(sd) > max - len)
		return err_set(e,
			       "device tree of %zu bytes does not fit in the "
			       "%" PRIu64 " bytes at 0x%" PRIx64,
			       len, max, gpa);
	if (guest_mem_write(m, gpa, &sd, sizeof(sd)) ||
	    guest_mem_write(m, gpa + sizeof(sd), dtb, len))
		return err_set(e,
			       "device tree setup_data at 0x%" PRIx64
			       " is outside guest RAM",
			       gpa);
	return 0;
}

int dtb_config_check(const struct vm_config *cfg, struct err *e)
{
	static const char *const devs[] = { "console", "rng", "blk", "net" };
	bool present[] = { cfg->console == VM_CONSOLE_VIRTIO, cfg->rng,
			   cfg->nr_disks > 0, cfg->nr_nets > 0 };
	size_t i;

	if (cfg->pvh_entry)
		return err_set(e, "--dtb needs the 64-bit boot protocol entry "
				  "(the DTB travels in the zero page's "
				  "setup_data): drop --pvh");
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		enum vm_transport t = vm_config_transport(cfg, devs[i]);

		if (present[i] && t != VM_TRANSPORT_MMIO &&
		    t != VM_TRANSPORT_MMIO_LEGACY)
			return err_set(
			    e,
			    "--dtb: the virtio %s device is on PCI, which the "
			    "device tree cannot describe (vireo's x86 tree "
			    "has no PCI host bridge node); use --transport "
			    "mmio or --virtio-transport %s=mmio",
			    devs[i], devs[i]);
	}
	return 0;
}
