/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_LEGACY_ACPI_SLEEP_H
#define VIREO_DEVICES_LEGACY_ACPI_SLEEP_H

/*
 * The ACPI sleep registers the FADT points at: the hardware-reduced sleep
 * control/status bytes (ACPI 6.4, 4.8.3.7) and the PM1a event and control
 * blocks (4.8.3.1-2). Writing SLP_EN with the SLP_TYP of \_S5 to either
 * asks for power-off, which is only reported to the sink. PM1 control
 * reads with SCI_EN set: the machine is always in ACPI mode. PM1 enable
 * holds what the guest writes. The one event is the fixed power button
 * (acpi_sleep_power_button()): PWRBTN_STS is set, and the SCI is held
 * asserted (level) while a status bit is set and enabled; the guest
 * clears status bits by writing ones to them.
 * Other sleep states are not offered (the DSDT names only \_S5).
 */

#include <pthread.h>
#include <stdint.h>

#include "bus/bus.h"

/*
 * From the base: sleep control (0), sleep status (1), PM1a event block
 * (4-7: status, enable), PM1a control (8-9: SCI_EN, SLP_TYP, SLP_EN).
 */
#define ACPI_SLEEP_NR_PORTS 10
#define ACPI_SLEEP_PM1_EVT_OFFSET 4
#define ACPI_SLEEP_PM1_EN_OFFSET 6
#define ACPI_SLEEP_PM1_CNT_OFFSET 8

struct acpi_sleep {
	void (*poweroff)(void *opaque);
	void *opaque;
	uint8_t s5_type;
	uint16_t pm1_enable; /* guest-written, read back as written */
	/* SCI line level; NULL: no SCI (and no button). */
	void (*set_sci)(void *opaque, int level);
	/* PM1 status/enable and the SCI level change together. */
	pthread_mutex_t lock;
	uint16_t pm1_status;
	int sci_level;
};

/* Any thread: a press of the fixed power button. */
void acpi_sleep_power_button(struct acpi_sleep *s);

/* Register at the sleep control port, length ACPI_SLEEP_NR_PORTS. */
extern const struct bus_ops acpi_sleep_bus_ops;

#endif
