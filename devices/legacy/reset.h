/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_LEGACY_RESET_H
#define VIREO_DEVICES_LEGACY_RESET_H

/*
 * The two ways a firmware-less x86 guest asks to be reset: the i8042
 * keyboard controller's pulse-reset command (Linux reboot=k) and the
 * 0xCF9 reset control register (reboot=p). Both only report the request;
 * the machine decides what a reset means.
 */

#include <stdint.h>

#include "bus/bus.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define RESET_CONTROL_PORT 0xcf9

struct reset_sink {
	void (*reset)(void *opaque);
	void *opaque;
};

struct i8042 {
	struct reset_sink sink;
};

struct reset_control {
	struct reset_sink sink;
	uint8_t value;
};

/* Register at I8042_DATA_PORT, length 5 (0x60..0x64). */
extern const struct bus_ops i8042_bus_ops;
/* Register at RESET_CONTROL_PORT, length 1. */
extern const struct bus_ops reset_control_bus_ops;

#endif
