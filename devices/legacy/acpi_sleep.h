/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_LEGACY_ACPI_SLEEP_H
#define VIREO_DEVICES_LEGACY_ACPI_SLEEP_H

/*
 * The hardware-reduced ACPI sleep registers (ACPI 6.4, 4.8.3.7): a control
 * byte and a status byte the FADT points at. Writing SLP_EN with the
 * SLP_TYP of \_S5 asks for power-off, which is only reported to the sink.
 * Other sleep states are not offered (the DSDT names only \_S5).
 */

#include <stdint.h>

#include "bus/bus.h"

#define ACPI_SLEEP_NR_PORTS 2 /* control, then status */

struct acpi_sleep {
	void (*poweroff)(void *opaque);
	void *opaque;
	uint8_t s5_type;
};

/* Register at the sleep control port, length ACPI_SLEEP_NR_PORTS. */
extern const struct bus_ops acpi_sleep_bus_ops;

#endif
