/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_LEGACY_UART_8250_H
#define VIREO_DEVICES_LEGACY_UART_8250_H

/*
 * A 16550A-compatible UART as Linux's 8250 driver expects it: FIFO
 * detection, loopback for autoconfig, THRE interrupts. Transmit is
 * instantaneous; received bytes queue in a software FIFO filled by the
 * host backend. The device knows nothing of terminals or KVM: output,
 * the interrupt line and "receive space available" go through callbacks.
 */

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define UART_8250_NR_PORTS 8
#define UART_8250_RX_FIFO 4096

struct uart_8250_backend {
	void (*tx)(void *opaque, uint8_t byte);
	void (*set_irq)(void *opaque, int level);
	/* The RX FIFO drained: the backend may push more input. */
	void (*rx_space)(void *opaque);
	void *opaque;
};

struct uart_8250 {
	pthread_mutex_t lock;
	struct uart_8250_backend be;
	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
	uint8_t dll, dlm;
	int thr_ipending;
	int irq_level;
	uint8_t rx[UART_8250_RX_FIFO];
	size_t rx_head, rx_count;
};

extern const struct bus_ops uart_8250_bus_ops;

void uart_8250_init(struct uart_8250 *u, const struct uart_8250_backend *be);
void uart_8250_destroy(struct uart_8250 *u);

/* Queues host input for the guest; returns how many bytes fit. */
size_t uart_8250_receive(struct uart_8250 *u, const uint8_t *buf, size_t len);
size_t uart_8250_rx_space(struct uart_8250 *u);

#endif
