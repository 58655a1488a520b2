/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_CONSOLE_ROUTE_H
#define VIREO_VMM_CONSOLE_ROUTE_H

/*
 * Which guest console is wired to vireo's stdin and stdout, decided here
 * and nowhere else: the 8250 (ttyS0) always prints, because the kernel's
 * early output goes there whatever the console; stdin goes to exactly one
 * device, the 8250 by default or the virtio-console (hvc0) with
 * --console virtio, which only then exists.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

struct machine;

enum console_input_dev {
	CONSOLE_INPUT_UART,
	CONSOLE_INPUT_VIRTIO,
};

struct console_route {
	enum console_input_dev input;
	bool virtio_console; /* create a virtio-console device */
	bool uart_to_stdout;
};

struct console_route console_route_for(const struct vm_config *cfg);

/* stdio_console's deliver callback: stdin to the routed device. */
size_t console_route_input(void *machine, const uint8_t *buf, size_t len);

/* The 8250's transmitter: to stdout when routed there. */
void console_route_uart_output(void *machine, uint8_t byte);

#endif
