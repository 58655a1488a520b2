// SPDX-License-Identifier: MIT
/*
 * ACPI sleep/PM1 registers as Linux's ACPICA drives them: power-off through
 * either sleep register, SCI_EN always set, the PM1 enable register
 * reading back what was written (the global lock event check), and the
 * fixed power button behind the control API's shutdown: PWRBTN_STS, the
 * SCI (level) raised only while the event is enabled and pending, dropped
 * when the guest clears the status by writing a one.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "devices/legacy/acpi_sleep.h"

#define S5 5

static int poweroffs;

static void count_poweroff(void *opaque)
{
	(void)opaque;
	poweroffs++;
}

static struct acpi_sleep new_sleep(void)
{
	poweroffs = 0;
	return (struct acpi_sleep){ .poweroff = count_poweroff, .s5_type = S5 };
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

Test(acpi_sleep, pm1_control_reads_sci_en)
{
	struct acpi_sleep s = new_sleep();

	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_CNT_OFFSET), 1);
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET), 0, "no event yet");
}

Test(acpi_sleep, pm1_enable_reads_back_what_was_written)
{
	struct acpi_sleep s = new_sleep();
	uint8_t hi = 0;

	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EN_OFFSET), 0);
	wr16(&s, ACPI_SLEEP_PM1_EN_OFFSET, 0x0020); /* GBL_EN */
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EN_OFFSET), 0x0020);
	/* A byte write to the high half keeps the low one. */
	hi = 0x01; /* PWRBTN_EN */
	acpi_sleep_bus_ops.write(&s, ACPI_SLEEP_PM1_EN_OFFSET + 1, &hi, 1);
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EN_OFFSET), 0x0120);
	/* The whole event block as one dword: status 0, enable above it. */
	{
		uint32_t evt = 0;

		acpi_sleep_bus_ops.read(&s, ACPI_SLEEP_PM1_EVT_OFFSET, &evt, 4);
		cr_assert_eq(evt, 0x01200000u);
	}
	/* Writing status (write-1-to-clear) leaves enable alone. */
	wr16(&s, ACPI_SLEEP_PM1_EVT_OFFSET, 0xffff);
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EN_OFFSET), 0x0120);
	cr_assert_eq(poweroffs, 0);
}

Test(acpi_sleep, s5_through_pm1_control_powers_off)
{
	struct acpi_sleep s = new_sleep();

	wr16(&s, ACPI_SLEEP_PM1_CNT_OFFSET,
	     (uint16_t)(S5 << 10)); /* no SLP_EN */
	cr_assert_eq(poweroffs, 0);
	wr16(&s, ACPI_SLEEP_PM1_CNT_OFFSET, (uint16_t)(3 << 10 | 0x2000));
	cr_assert_eq(poweroffs, 0, "S3 is not offered");
	wr16(&s, ACPI_SLEEP_PM1_CNT_OFFSET, (uint16_t)(S5 << 10 | 0x2000));
	cr_assert_eq(poweroffs, 1);
}

Test(acpi_sleep, s5_through_sleep_control_powers_off)
{
	struct acpi_sleep s = new_sleep();
	uint8_t v = (uint8_t)(S5 << 2 | 0x20);

	acpi_sleep_bus_ops.write(&s, 0, &v, 1);
	cr_assert_eq(poweroffs, 1);
}

Test(acpi_sleep, reads_past_the_block_are_zero)
{
	struct acpi_sleep s = new_sleep();
	uint32_t v = 0xffffffff;

	acpi_sleep_bus_ops.read(&s, ACPI_SLEEP_NR_PORTS - 1, &v, 4);
	cr_assert_eq(v, 0);
}

#define PWRBTN 0x0100

static int sci_level = -1, sci_changes;

static void set_sci(void *opaque, int level)
{
	(void)opaque;
	sci_level = level;
	sci_changes++;
}

static struct acpi_sleep new_pm(void)
{
	struct acpi_sleep s = new_sleep();

	sci_level = -1;
	sci_changes = 0;
	s.set_sci = set_sci;
	return s;
}

Test(acpi_sleep, power_button_raises_sci_until_the_guest_clears_it)
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

Test(acpi_sleep, power_button_disabled_event_latches_without_sci)
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

Test(acpi_sleep, power_button_guest_cannot_set_status_bits)
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
