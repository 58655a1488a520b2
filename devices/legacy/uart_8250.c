// SPDX-License-Identifier: MIT
#include "devices/legacy/uart_8250.h"

#include <string.h>

#define REG_RBR_THR 0
#define REG_IER 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08

#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

static uint8_t uart_iir(const struct uart_8250 *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

/* Called with the lock held; the line follows "an interrupt is pending". */
static void uart_update_irq(struct uart_8250 *u)
{
	int level = !(uart_iir(u) & IIR_NO_INT);

	if (level != u->irq_level) {
		u->irq_level = level;
		u->be.set_irq(u->be.opaque, level);
	}
}

static void uart_rx_push(struct uart_8250 *u, uint8_t byte)
{
	if (u->rx_count == UART_8250_RX_FIFO)
		return;
	u->rx[(u->rx_head + u->rx_count) % UART_8250_RX_FIFO] = byte;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart_8250 *u, int *drained)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_8250_RX_FIFO;
	u->rx_count--;
	*drained = u->rx_count == 0;
	return byte;
}

static uint8_t uart_msr(const struct uart_8250 *u)
{
	uint8_t msr = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	/*
	 * Loopback wires modem outputs to inputs; Linux autoconfig checks it.
	 */
	if (u->mcr & MCR_RTS)
		msr |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		msr |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		msr |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		msr |= MSR_DCD;
	return msr;
}

static void uart_read(void *opaque, uint64_t offset, void *data,
		      unsigned int len)
{
	struct uart_8250 *u = opaque;
	int drained = 0;
	uint8_t v = 0;

	pthread_mutex_lock(&u->lock);
	switch (offset) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			v = u->dll;
		else
			v = uart_rx_pop(u, &drained);
		break;
	case REG_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case REG_IIR_FCR:
		v = uart_iir(u);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			u->thr_ipending = 0;
		break;
	case REG_LCR:
		v = u->lcr;
		break;
	case REG_MCR:
		v = u->mcr;
		break;
	case REG_LSR:
		v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
		break;
	case REG_MSR:
		v = uart_msr(u);
		break;
	case REG_SCR:
		v = u->scr;
		break;
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	memset(data, 0, len);
	*(uint8_t *)data = v;
	if (drained && u->be.rx_space)
		u->be.rx_space(u->be.opaque);
}

static void uart_write(void *opaque, uint64_t offset, const void *data,
		       unsigned int len)
{
	struct uart_8250 *u = opaque;
	uint8_t v = *(const uint8_t *)data;
	int tx = -1, drained = 0;

	(void)len;
	pthread_mutex_lock(&u->lock);
	switch (offset) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
		} else {
			if (u->mcr & MCR_LOOP)
				uart_rx_push(u, v);
			else
				tx = v;
			/* Transmission is instant: THR is empty again. */
			u->thr_ipending = 1;
		}
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
		} else {
			if (!(u->ier & IER_THRI) && (v & IER_THRI))
				u->thr_ipending = 1;
			u->ier = v & 0x0f;
		}
		break;
	case REG_IIR_FCR:
		u->fcr = v & (FCR_ENABLE | 0xc0);
		if (v & FCR_CLEAR_RX) {
			/* A backend stopped on a full FIFO must hear of it. */
			drained = u->rx_count != 0;
			u->rx_head = u->rx_count = 0;
		}
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & 0x1f;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR writes are ignored, as on hardware */
		break;
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (tx >= 0)
		u->be.tx(u->be.opaque, (uint8_t)tx);
	if (drained && u->be.rx_space)
		u->be.rx_space(u->be.opaque);
}

const struct bus_ops uart_8250_bus_ops = {
	.read = uart_read,
	.write = uart_write,
};

void uart_8250_init(struct uart_8250 *u, const struct uart_8250_backend *be)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->be = *be;
	u->mcr = MCR_OUT2;
	u->dll = 0x0c; /* 9600 baud, what firmware would leave */
}

void uart_8250_destroy(struct uart_8250 *u)
{
	pthread_mutex_destroy(&u->lock);
}

size_t uart_8250_receive(struct uart_8250 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_count < UART_8250_RX_FIFO)
		uart_rx_push(u, buf[n++]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart_8250_rx_space(struct uart_8250 *u)
{
	size_t space;

	pthread_mutex_lock(&u->lock);
	space = UART_8250_RX_FIFO - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return space;
}
