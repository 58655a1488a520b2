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
	uint16_t v = PM1_SCI_EN;

	(void)opaque;
	/* Never asleep, so WAK_STS never needs setting; no events. */
	memset(data, 0, len);
	if (offset == ACPI_SLEEP_PM1_CNT_OFFSET)
		memcpy(data, &v, len < 2 ? len : 2);
}

static void acpi_sleep_write(void *opaque, uint64_t offset, const void *data,
			     unsigned int len)
{
	struct acpi_sleep *s = opaque;
	uint16_t v = 0;

	memcpy(&v, data, len < 2 ? len : 2);
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
