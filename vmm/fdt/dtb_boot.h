/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_FDT_DTB_BOOT_H
#define VIREO_VMM_FDT_DTB_BOOT_H

/*
 * Handing the DTB to an x86 Linux kernel, and what a --dtb machine may
 * hold. Pure code: guest memory through guest_mem only.
 */

#include <stddef.h>
#include <stdint.h>

#include "kvm/guest_mem.h"
#include "util/err.h"
#include "vmm/config.h"

/*
 * One struct setup_data (type SETUP_DTB, next 0) followed by the blob, at
 * gpa; the whole must fit in max bytes. The caller points the zero page's
 * hdr.setup_data at gpa.
 */
int dtb_setup_data_write(const struct guest_mem *m, uint64_t gpa, uint64_t max,
			 const void *dtb, size_t len, struct err *e);

/*
 * --dtb (and --dump-dtb) machines: every virtio device on virtio-mmio
 * (the tree has no PCI host bridge node), the 64-bit boot protocol entry
 * (setup_data; PVH has none). One line naming the option at fault.
 */
int dtb_config_check(const struct vm_config *cfg, struct err *e);

#endif
