// SPDX-License-Identifier: MIT
#include "vmm/console_route.h"

#include "vmm/machine.h"

struct console_route console_route_for(const struct vm_config *cfg)
{
	bool virtio = cfg->console == VM_CONSOLE_VIRTIO;

	return (struct console_route){
		.input = virtio ? CONSOLE_INPUT_VIRTIO : CONSOLE_INPUT_UART,
		.virtio_console = virtio,
		.uart_to_stdout = true,
	};
}

size_t console_route_input(void *machine, const uint8_t *buf, size_t len)
{
	struct machine *m = machine;

	switch (m->console_route.input) {
	case CONSOLE_INPUT_VIRTIO:
		/* Not plugged yet (or failed): input waits, it is not lost. */
		return m->vcon ? virtio_console_receive(m->vcon, buf, len) : 0;
	case CONSOLE_INPUT_UART:
		return uart_8250_receive(&m->uart, buf, len);
	}
	return 0;
}

void console_route_uart_output(void *machine, uint8_t byte)
{
	struct machine *m = machine;

	if (m->console_route.uart_to_stdout)
		stdio_console_write(&m->console, &byte, 1);
}
