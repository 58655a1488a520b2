// SPDX-License-Identifier: MIT
#include "vmm/machine.h"
#include "vmm/acpi/tables.h"
#include "vmm/layout.h"

#include <string.h>

#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define POST_PORT 0x80

static void machine_reset_requested(void *opaque)
{
	machine_request_stop(opaque, VIREO_EXIT_GUEST_DONE,
			     "guest requested a reset");
}

static void machine_poweroff_requested(void *opaque)
{
	machine_request_stop(opaque, VIREO_EXIT_GUEST_DONE,
			     "guest powered off (ACPI S5)");
}

static void uart_set_irq(void *opaque, int level)
{
	struct machine *m = opaque;

	kvm_vm_irq_line(&m->vm, COM1_IRQ, level);
}

static void acpi_set_sci(void *opaque, int level)
{
	struct machine *m = opaque;

	kvm_vm_irq_line(&m->vm, LAYOUT_ACPI_SCI_IRQ, level);
}

static void uart_rx_space(void *opaque)
{
	struct machine *m = opaque;

	stdio_console_kick(&m->console);
}

static void console_quit(void *opaque)
{
	machine_request_stop(opaque, VIREO_EXIT_GUEST_DONE,
			     "quit from the console (Ctrl-A X)");
}

/* Firmware POST codes and I/O delays: accepted and dropped. */
static const struct bus_ops sink_bus_ops = { 0 };

int legacy_devices_create(struct machine *m, struct err *e)
{
	const struct uart_8250_backend be = {
		.tx = console_route_uart_output,
		.set_irq = uart_set_irq,
		.rx_space = uart_rx_space,
		.opaque = m,
	};

	uart_8250_init(&m->uart, &be);
	m->kbc.sink = (struct reset_sink){ machine_reset_requested, m };
	m->rcr.sink = (struct reset_sink){ machine_reset_requested, m };

	if (bus_register(&m->pio, COM1_PORT, UART_8250_NR_PORTS,
			 &uart_8250_bus_ops, &m->uart, "8250 UART", e) < 0 ||
	    bus_register(&m->pio, I8042_DATA_PORT, 5, &i8042_bus_ops, &m->kbc,
			 "i8042", e) < 0 ||
	    bus_register(&m->pio, RESET_CONTROL_PORT, 1, &reset_control_bus_ops,
			 &m->rcr, "reset control", e) < 0 ||
	    bus_register(&m->pio, POST_PORT, 1, &sink_bus_ops, NULL,
			 "POST port", e) < 0)
		return -1;
	m->sleep = (struct acpi_sleep){
		.poweroff = machine_poweroff_requested,
		.opaque = m,
		.s5_type = ACPI_S5_SLEEP_TYPE,
		.set_sci = acpi_set_sci,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	if (m->cfg->acpi &&
	    bus_register(&m->pio, LAYOUT_ACPI_SLEEP_CONTROL_PORT,
			 ACPI_SLEEP_NR_PORTS, &acpi_sleep_bus_ops, &m->sleep,
			 "ACPI sleep control", e) < 0)
		return -1;
	return stdio_console_init(&m->console, &m->loop, console_route_input,
				  console_quit, m, e);
}

void legacy_devices_destroy(struct machine *m)
{
	stdio_console_destroy(&m->console);
	if (m->uart.be.tx)
		uart_8250_destroy(&m->uart);
}
