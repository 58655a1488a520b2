// SPDX-License-Identifier: MIT
/*
 * The fixed ACPI power button behind PUT /actions shutdown, as Linux's
 * ACPICA sees it: PWRBTN_STS in PM1 status, the SCI (level) raised only
 * while the event is enabled and pending, dropped when the guest clears
 * the status by writing a one.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "devices/legacy/acpi_sleep.h"

#define PWRBTN 0x0100

static int sci_level = -1, sci_changes;

static void set_sci(void *opaque, int level)
{
	(void)opaque;
	sci_level = level;
	sci_changes++;
}

static void ignore_poweroff(void *opaque)
{
	(void)opaque;
}

static struct acpi_sleep new_pm(void)
{
	sci_level = -1;
	sci_changes = 0;
	return (struct acpi_sleep){ .poweroff = ignore_poweroff,
				    .s5_type = 5,
				    .set_sci = set_sci,
				    .lock = PTHREAD_MUTEX_INITIALIZER };
}

static uint16_t rd16(struct acpi_sleep *s, uint64_t off)
{
	uint16_t v = 0xdead;

	acpi_sleep_bus_ops.read(s, off, &v, 2);
	return v;
}

static void wr16(struct acpi_sleep *s, uint64_t off, uint16_t v)
{
	acpi_sleep_bus_ops.write(s, off, &v, 2);
}

Test(api_power_button, press_raises_sci_until_the_guest_clears_it)
{
	struct acpi_sleep s = new_pm();

	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET), 0);
	wr16(&s, ACPI_SLEEP_PM1_EN_OFFSET, PWRBTN); /* the button driver */
	cr_assert_eq(sci_changes, 0, "nothing pending: no SCI");
	acpi_sleep_power_button(&s);
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET) & PWRBTN, PWRBTN);
	cr_assert_eq(sci_level, 1);
	/* Writing zero changes nothing; writing the bit clears it. */
	wr16(&s, ACPI_SLEEP_PM1_EVT_OFFSET, 0);
	cr_assert_eq(sci_level, 1);
	wr16(&s, ACPI_SLEEP_PM1_EVT_OFFSET, PWRBTN);
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET) & PWRBTN, 0);
	cr_assert_eq(sci_level, 0);
	cr_assert_eq(sci_changes, 2);
}

Test(api_power_button, disabled_event_latches_without_sci)
{
	struct acpi_sleep s = new_pm();

	acpi_sleep_power_button(&s);
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET) & PWRBTN, PWRBTN);
	cr_assert_eq(sci_changes, 0, "not enabled: no SCI");
	/* Enabling it with the status pending raises the SCI then. */
	wr16(&s, ACPI_SLEEP_PM1_EN_OFFSET, PWRBTN);
	cr_assert_eq(sci_level, 1);
	wr16(&s, ACPI_SLEEP_PM1_EN_OFFSET, 0);
	cr_assert_eq(sci_level, 0);
}

Test(api_power_button, guest_cannot_set_status_bits)
{
	struct acpi_sleep s = new_pm();

	wr16(&s, ACPI_SLEEP_PM1_EN_OFFSET, 0xffff);
	wr16(&s, ACPI_SLEEP_PM1_EVT_OFFSET, 0xffff);
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET), 0);
	cr_assert_eq(sci_changes, 0);
	/* Byte access to the high half of status clears the button too. */
	acpi_sleep_power_button(&s);
	{
		uint8_t one = 1;

		acpi_sleep_bus_ops.write(&s, ACPI_SLEEP_PM1_EVT_OFFSET + 1,
					 &one, 1);
	}
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET), 0);
	cr_assert_eq(sci_level, 0);
}
