// SPDX-License-Identifier: MIT
#include "devices/legacy/reset.h"

#include <string.h>

#define I8042_CMD_PULSE_RESET 0xfe
#define CMD_OFFSET (I8042_CMD_PORT - I8042_DATA_PORT)

/*
 * No keyboard or mouse sits behind this controller: reads report an idle
 * controller with empty buffers, so probes and reboot's wait loop finish.
 */
static void i8042_read(void *opaque, uint64_t offset, void *data,
		       unsigned int len)
{
	(void)opaque;
	(void)offset;
	memset(data, 0, len);
}

static void i8042_write(void *opaque, uint64_t offset, const void *data,
			unsigned int len)
{
	struct i8042 *kbc = opaque;

	(void)len;
	if (offset == CMD_OFFSET &&
	    *(const uint8_t *)data == I8042_CMD_PULSE_RESET)
		kbc->sink.reset(kbc->sink.opaque);
}

const struct bus_ops i8042_bus_ops = {
	.read = i8042_read,
	.write = i8042_write,
};
