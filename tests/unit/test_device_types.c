// SPDX-License-Identifier: MIT
/*
 * The device-type table (vmm/device_types.c) and what is derived from it:
 * CLI names, help text, PCI identity; and the console routing decision
 * (vmm/console_route.c).
 */
#include <criterion/criterion.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vsock.h"
#include "vmm/console_route.h"
#include "vmm/device_types.h"
#include "vmm/machine.h"

Test(device_types, names_unique_and_found_by_exact_length)
{
	size_t i, j;

	cr_assert_geq(nr_device_types, 4);
	for (i = 0; i < nr_device_types; i++) {
		const char *n = device_types[i].name;

		cr_assert_eq(device_type_find(n, strlen(n)), &device_types[i]);
		/* A prefix is not a name. */
		cr_assert_null(device_type_find(n, strlen(n) - 1));
		for (j = i + 1; j < nr_device_types; j++)
			cr_assert_str_neq(n, device_types[j].name);
		cr_assert(device_types[i].create && device_types[i].destroy);
	}
	cr_assert_null(device_type_find("blkx", 4));
	cr_assert_null(device_type_find("", 0));
}

/* The rows carry what bus/pci/virtio_pci.c hard-codes today. */
Test(device_types, ids_match_the_devices_and_the_spec)
{
	static const struct {
		const char *name;
		uint16_t virtio_id, transitional;
		uint32_t class_code;
		const struct virtio_dev_ops *ops;
	} want[] = {
		{ "console", VIRTIO_ID_CONSOLE, 0x1003, 0x078000,
		  &virtio_console_ops },
		{ "rng", VIRTIO_ID_RNG, 0x1005, 0x00ff00, &virtio_rng_ops },
		{ "blk", VIRTIO_ID_BLOCK, 0x1001, 0x018000, NULL },
		{ "net", VIRTIO_ID_NET, 0x1000, 0x020000, &virtio_net_ops },
		/* virtio 1.2, 4.1.2.1: no transitional ID for vsock */
		{ "vsock", VIRTIO_ID_VSOCK, 0, 0x078000, &virtio_vsock_ops },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct device_type *t =
		    device_type_find(want[i].name, strlen(want[i].name));

		cr_assert_not_null(t, "%s missing", want[i].name);
		cr_assert_eq(t->virtio_id, want[i].virtio_id, "%s", t->name);
		cr_assert_eq(t->pci_transitional_id, want[i].transitional, "%s",
			     t->name);
		cr_assert_eq(t->pci_class, want[i].class_code, "%s", t->name);
		if (want[i].ops)
			cr_assert_eq(want[i].ops->device_id, t->virtio_id, "%s",
				     t->name);
	}
}

Test(device_types, names_listed_in_order)
{
	char buf[128], small[8];

	cr_assert_str_eq(device_type_names(buf, sizeof(buf)),
			 "console, rng, blk, net or vsock");
	/* Truncated, still terminated. */
	cr_assert_eq(strlen(device_type_names(small, sizeof(small))), 7);
}

Test(device_types, cli_takes_every_name_and_help_lists_them)
{
	struct vm_config cfg;
	enum cli_action action;
	struct err e;
	char arg[64], *help = NULL;
	size_t i, help_len = 0;
	FILE *f;

	for (i = 0; i < nr_device_types; i++) {
		char *argv[] = {
			"vireo", "run", "--kernel", "k", "--virtio-transport",
			arg,	 NULL
		};

		snprintf(arg, sizeof(arg), "%s=mmio", device_types[i].name);
		cr_assert_eq(cli_parse(6, argv, &cfg, &action, &e), 0, "%s",
			     e.msg);
		cr_assert_eq(cfg.transport_overrides[0].dev,
			     device_types[i].name);
		cr_assert_eq(vm_config_transport(&cfg, device_types[i].name),
			     VM_TRANSPORT_MMIO);
	}
	{
		char *argv[] = { "vireo",
				 "run",
				 "--kernel",
				 "k",
				 "--virtio-transport",
				 "gpu=mmio",
				 NULL };

		cr_assert_eq(cli_parse(6, argv, &cfg, &action, &e), -1);
		cr_assert(strstr(e.msg, "console, rng, blk, net or vsock"),
			  "%s", e.msg);
	}
	f = open_memstream(&help, &help_len);
	cr_assert(f);
	cli_print_help(f);
	fclose(f);
	cr_assert(strstr(help, "DEV: console, rng, blk, net or vsock"), "%s",
		  help);
	free(help);
}

Test(console_route, serial_and_virtio)
{
	struct vm_config cfg = { .console = VM_CONSOLE_SERIAL };
	struct console_route r = console_route_for(&cfg);

	cr_assert_eq(r.input, CONSOLE_INPUT_UART);
	cr_assert_not(r.virtio_console);
	cr_assert(r.uart_to_stdout);
	cfg.console = VM_CONSOLE_VIRTIO;
	r = console_route_for(&cfg);
	cr_assert_eq(r.input, CONSOLE_INPUT_VIRTIO);
	cr_assert(r.virtio_console);
	/* Early boot output still comes out of the 8250. */
	cr_assert(r.uart_to_stdout);
}

static void crt_tx(void *opaque, uint8_t byte)
{
	(void)opaque;
	(void)byte;
}

static void crt_irq(void *opaque, int level)
{
	(void)opaque;
	(void)level;
}

/* stdin reaches only the routed device; with no virtio-console yet it waits. */
Test(console_route, input_goes_to_one_device)
{
	struct vm_config cfg = { .console = VM_CONSOLE_SERIAL };
	const struct uart_8250_backend be = { .tx = crt_tx,
					      .set_irq = crt_irq };
	struct machine *m = calloc(1, sizeof(*m));
	size_t space;

	cr_assert(m);
	m->cfg = &cfg;
	uart_8250_init(&m->uart, &be);
	m->console_route = console_route_for(&cfg);
	space = uart_8250_rx_space(&m->uart);
	cr_assert_eq(console_route_input(m, (const uint8_t *)"ab", 2), 2);
	cr_assert_eq(uart_8250_rx_space(&m->uart), space - 2);

	cfg.console = VM_CONSOLE_VIRTIO;
	m->console_route = console_route_for(&cfg);
	cr_assert_eq(console_route_input(m, (const uint8_t *)"cd", 2), 0);
	cr_assert_eq(uart_8250_rx_space(&m->uart), space - 2);
	uart_8250_destroy(&m->uart);
	free(m);
}
