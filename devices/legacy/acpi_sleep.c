// SPDX-License-Identifier: MIT
#include "devices/legacy/acpi_sleep.h"

#include <string.h>

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x1c
#define SLP_EN 0x20

#define PM1_SCI_EN 0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK 0x1c00
#define PM1_SLP_EN 0x2000

static void acpi_sleep_read(void *opaque, uint64_t offset, void *data,
			    unsigned int len)
{
	struct acpi_sleep *s = opaque;
	uint8_t regs[ACPI_SLEEP_NR_PORTS] = { 0 };
	uint16_t en = __atomic_load_n(&s->pm1_enable, __ATOMIC_RELAXED);

	/* Never asleep, so WAK_STS never needs setting; no event status. */
	regs[ACPI_SLEEP_PM1_EN_OFFSET] = (uint8_t)en;
	regs[ACPI_SLEEP_PM1_EN_OFFSET + 1] = (uint8_t)(en >> 8);
	regs[ACPI_SLEEP_PM1_CNT_OFFSET] = PM1_SCI_EN;
	memset(data, 0, len);
	if (offset < ACPI_SLEEP_NR_PORTS)
		memcpy(data, regs + offset,
		       len < ACPI_SLEEP_NR_PORTS - offset
			   ? len
			   : ACPI_SLEEP_NR_PORTS - offset);
}

/*
 * PM1 enable keeps what the guest writes: Linux enables the global lock
 * event and reads the bit back, and without it logs two ACPI errors and
 * drops the global lock. No event ever fires, so nothing else follows.
 */
static void latch_pm1_enable(struct acpi_sleep *s, uint64_t offset,
			     const uint8_t *data, unsigned int len)
{
	uint16_t en = __atomic_load_n(&s->pm1_enable, __ATOMIC_RELAXED);
	uint8_t bytes[2] = { (uint8_t)en, (uint8_t)(en >> 8) };

	for (unsigned int i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg >= ACPI_SLEEP_PM1_EN_OFFSET &&
		    reg < ACPI_SLEEP_PM1_EN_OFFSET + 2u)
			bytes[reg - ACPI_SLEEP_PM1_EN_OFFSET] = data[i];
	}
	__atomic_store_n(&s->pm1_enable, (uint16_t)(bytes[0] | bytes[1] << 8),
			 __ATOMIC_RELAXED);
}

static void acpi_sleep_write(void *opaque, uint64_t offset, const void *data,
			     unsigned int len)
{
	struct acpi_sleep *s = opaque;
	uint16_t v = 0;

	memcpy(&v, data, len < 2 ? len : 2);
	latch_pm1_enable(s, offset, data, len);
	if (offset == 0 && (v & SLP_EN) &&
	    ((v & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == s->s5_type)
		s->poweroff(s->opaque);
	if (offset == ACPI_SLEEP_PM1_CNT_OFFSET && len >= 2 &&
	    (v & PM1_SLP_EN) &&
	    ((v & PM1_SLP_TYP_MASK) >> PM1_SLP_TYP_SHIFT) == s->s5_type)
		s->poweroff(s->opaque);
}

const struct bus_ops acpi_sleep_bus_ops = {
	.read = acpi_sleep_read,
	.write = acpi_sleep_write,
};
