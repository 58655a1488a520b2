// SPDX-License-Identifier: MIT
/*
 * ACPI sleep/PM1 registers as Linux's ACPICA drives them: power-off through
 * either sleep register, SCI_EN always set, and the PM1 enable register
 * reading back what was written (the global lock event check).
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
	cr_assert_eq(rd16(&s, ACPI_SLEEP_PM1_EVT_OFFSET), 0, "no event status");
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
