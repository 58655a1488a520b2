// SPDX-License-Identifier: MIT
#include "devices/legacy/acpi_sleep.h"

#include <string.h>

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x1c
#define SLP_EN 0x20

#define PM1_SCI_EN 0x0001
/* PM1 status/enable bit 8: the fixed power button (ACPI 6.4, 4.8.3.1). */
#define PM1_PWRBTN 0x0100
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK 0x1c00
#define PM1_SLP_EN 0x2000

static void acpi_sleep_read(void *opaque, uint64_t offset, void *data,
			    unsigned int len)
{
	struct acpi_sleep *s = opaque;
	uint8_t regs[ACPI_SLEEP_NR_PORTS] = { 0 };
	uint16_t en, sts;

	pthread_mutex_lock(&s->lock);
	en = s->pm1_enable;
	sts = s->pm1_status;
	pthread_mutex_unlock(&s->lock);
	/* Never asleep, so WAK_STS never needs setting. */
	regs[ACPI_SLEEP_PM1_EVT_OFFSET] = (uint8_t)sts;
	regs[ACPI_SLEEP_PM1_EVT_OFFSET + 1] = (uint8_t)(sts >> 8);
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

/* Level-triggered: asserted exactly while an enabled event is pending. */
static void update_sci(struct acpi_sleep *s)
{
	int level = (s->pm1_status & s->pm1_enable) != 0;

	if (!s->set_sci || level == s->sci_level)
		return;
	s->sci_level = level;
	s->set_sci(s->opaque, level);
}

/*
 * PM1 enable keeps what the guest writes: Linux enables the global lock
 * event and reads the bit back, and without it logs two ACPI errors and
 * drops the global lock. PM1 status bits are cleared by writing ones.
 */
static void latch_pm1(struct acpi_sleep *s, uint64_t offset,
		      const uint8_t *data, unsigned int len)
{
	uint16_t en = s->pm1_enable, clear = 0;
	uint8_t bytes[2] = { (uint8_t)en, (uint8_t)(en >> 8) };

	for (unsigned int i = 0; i < len; i++) {
		uint64_t reg = offset + i;

		if (reg >= ACPI_SLEEP_PM1_EN_OFFSET &&
		    reg < ACPI_SLEEP_PM1_EN_OFFSET + 2u)
			bytes[reg - ACPI_SLEEP_PM1_EN_OFFSET] = data[i];
		if (reg >= ACPI_SLEEP_PM1_EVT_OFFSET &&
		    reg < ACPI_SLEEP_PM1_EVT_OFFSET + 2u)
			clear |=
			    (uint16_t)(data[i]
				       << (8 *
					   (reg - ACPI_SLEEP_PM1_EVT_OFFSET)));
	}
	s->pm1_enable = (uint16_t)(bytes[0] | bytes[1] << 8);
	s->pm1_status &= (uint16_t)~clear;
	update_sci(s);
}

void acpi_sleep_power_button(struct acpi_sleep *s)
{
	pthread_mutex_lock(&s->lock);
	s->pm1_status |= PM1_PWRBTN;
	update_sci(s);
	pthread_mutex_unlock(&s->lock);
}

static void acpi_sleep_write(void *opaque, uint64_t offset, const void *data,
			     unsigned int len)
{
	struct acpi_sleep *s = opaque;
	uint16_t v = 0;

	memcpy(&v, data, len < 2 ? len : 2);
	pthread_mutex_lock(&s->lock);
	latch_pm1(s, offset, data, len);
	pthread_mutex_unlock(&s->lock);
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
