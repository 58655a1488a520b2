// SPDX-License-Identifier: MIT
#include "devices/legacy/acpi_sleep.h"

#include <string.h>

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x1c
#define SLP_EN 0x20

static void acpi_sleep_read(void *opaque, uint64_t offset, void *data,
			    unsigned int len)
{
	(void)opaque;
	(void)offset;
	/* Never asleep, so WAK_STS never needs setting. */
	memset(data, 0, len);
}

static void acpi_sleep_write(void *opaque, uint64_t offset, const void *data,
			     unsigned int len)
{
	struct acpi_sleep *s = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	if (offset != 0 || !(v & SLP_EN))
		return;
	if (((v & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == s->s5_type)
		s->poweroff(s->opaque);
}

const struct bus_ops acpi_sleep_bus_ops = {
	.read = acpi_sleep_read,
	.write = acpi_sleep_write,
};
