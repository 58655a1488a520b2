/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_MACHINE_DTB_H
#define VIREO_VMM_MACHINE_DTB_H

#include "vmm/boot/boot.h"
#include "vmm/machine.h"

/*
 * --dtb / --dump-dtb: describes the machine as built (RAM, vCPUs, APICs,
 * the 8250, every virtio-mmio device, the final command line) in a DTB;
 * writes it to --dump-dtb's file, and for --dtb into guest RAM as
 * setup_data (t->setup_data). Nothing to do for other machines.
 */
int machine_dtb_setup(struct machine *m, struct boot_tables *t, struct err *e);

#endif
