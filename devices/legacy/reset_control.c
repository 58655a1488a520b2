// SPDX-License-Identifier: MIT
#include "devices/legacy/reset.h"

#include <string.h>

#define RCR_SYS_RESET 0x02
#define RCR_RESET_CPU 0x04

static void reset_control_read(void *opaque, uint64_t offset, void *data,
			       unsigned int len)
{
	struct reset_control *rc = opaque;

	(void)offset;
	memset(data, 0, len);
	*(uint8_t *)data = rc->value;
}

static void reset_control_write(void *opaque, uint64_t offset, const void *data,
				unsigned int len)
{
	struct reset_control *rc = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)offset;
	(void)len;
	/* The reset happens on the write that sets RESET_CPU. */
	if (v & RCR_RESET_CPU)
		rc->sink.reset(rc->sink.opaque);
	rc->value = v & RCR_SYS_RESET;
}

const struct bus_ops reset_control_bus_ops = {
	.read = reset_control_read,
	.write = reset_control_write,
};
