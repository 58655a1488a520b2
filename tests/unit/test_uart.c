// SPDX-License-Identifier: MIT
/*
 * The 8250 UART (devices/legacy/uart_8250.c) through its bus ops, the way
 * Linux's 8250 driver probes and drives it, with a fake backend that
 * records transmitted bytes, interrupt line changes and rx_space calls.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "devices/legacy/uart_8250.h"

#define UT_RBR 0
#define UT_THR 0
#define UT_DLL 0
#define UT_IER 1
#define UT_DLM 1
#define UT_IIR 2
#define UT_FCR 2
#define UT_LCR 3
#define UT_MCR 4
#define UT_LSR 5
#define UT_MSR 6
#define UT_SCR 7

static struct {
	struct uart_8250 u;
	uint8_t tx[64];
	unsigned int nr_tx;
	int irq; /* current line level as the backend saw it */
	unsigned int irq_raises, irq_lowers;
	unsigned int rx_space_calls;
} ut;

static void ut_tx(void *opaque, uint8_t byte)
{
	cr_assert_eq(opaque, &ut);
	if (ut.nr_tx < sizeof(ut.tx))
		ut.tx[ut.nr_tx] = byte;
	ut.nr_tx++;
}

static void ut_set_irq(void *opaque, int level)
{
	cr_assert_eq(opaque, &ut);
	cr_assert_neq(level, ut.irq, "irq set to the level it already had");
	ut.irq = level;
	if (level)
		ut.irq_raises++;
	else
		ut.irq_lowers++;
}

static void ut_rx_space(void *opaque)
{
	cr_assert_eq(opaque, &ut);
	ut.rx_space_calls++;
}

static void ut_setup(void)
{
	static const struct uart_8250_backend be = {
		.tx = ut_tx,
		.set_irq = ut_set_irq,
		.rx_space = ut_rx_space,
	};
	struct uart_8250_backend b = be;

	memset(&ut, 0, sizeof(ut));
	b.opaque = &ut;
	uart_8250_init(&ut.u, &b);
}

static void ut_teardown(void)
{
	uart_8250_destroy(&ut.u);
}

TestSuite(uart, .init = ut_setup, .fini = ut_teardown);

static uint8_t ut_in(unsigned int reg)
{
	uint8_t v = 0xee;

	uart_8250_bus_ops.read(&ut.u, reg, &v, 1);
	return v;
}

static void ut_out(unsigned int reg, uint8_t v)
{
	uart_8250_bus_ops.write(&ut.u, reg, &v, 1);
}

static void ut_receive(const char *s)
{
	size_t n = strlen(s);

	cr_assert_eq(uart_8250_receive(&ut.u, (const uint8_t *)s, n), n);
}

Test(uart, thr_write_transmits)
{
	ut_out(UT_THR, 'h');
	ut_out(UT_THR, 'i');
	ut_out(UT_THR, 0x00);
	ut_out(UT_THR, 0xff);
	cr_assert_eq(ut.nr_tx, 4);
	cr_assert_eq(memcmp(ut.tx, "hi\x00\xff", 4), 0);
	cr_assert_eq(ut.irq_raises, 0, "interrupt without IER");
}

Test(uart, lsr_transmitter_always_empty)
{
	cr_assert_eq(ut_in(UT_LSR), 0x60);
	ut_out(UT_THR, 'x');
	cr_assert_eq(ut_in(UT_LSR), 0x60);
	ut_receive("a");
	cr_assert_eq(ut_in(UT_LSR), 0x61, "DR not set");
	cr_assert_eq(ut_in(UT_RBR), 'a');
	cr_assert_eq(ut_in(UT_LSR), 0x60, "DR not cleared");
}

Test(uart, thre_interrupt_cycle)
{
	ut_out(UT_FCR, 0x01);
	cr_assert_eq(ut_in(UT_IIR), 0xc1, "interrupt pending before IER");
	ut_out(UT_IER, 0x02);
	cr_assert_eq(ut.irq, 1, "enabling THRI did not raise the line");
	cr_assert_eq(ut.irq_raises, 1);
	/* Reading IIR reports THRE and acknowledges it. */
	cr_assert_eq(ut_in(UT_IIR), 0xc2);
	cr_assert_eq(ut.irq, 0);
	cr_assert_eq(ut_in(UT_IIR), 0xc1);
	/* Each transmitted byte empties THR again. */
	ut_out(UT_THR, 'a');
	cr_assert_eq(ut.irq, 1);
	cr_assert_eq(ut.irq_raises, 2);
	cr_assert_eq(ut_in(UT_IIR), 0xc2);
	cr_assert_eq(ut.irq, 0);
	/* Disabling IER drops a pending THRE interrupt. */
	ut_out(UT_THR, 'b');
	cr_assert_eq(ut.irq, 1);
	ut_out(UT_IER, 0x00);
	cr_assert_eq(ut.irq, 0);
	cr_assert_eq(ut_in(UT_IIR), 0xc1);
	cr_assert_eq(ut.nr_tx, 2);
}

Test(uart, thre_interrupt_without_fifo)
{
	ut_out(UT_IER, 0x02);
	cr_assert_eq(ut_in(UT_IIR), 0x02);
	cr_assert_eq(ut_in(UT_IIR), 0x01);
	cr_assert_eq(ut.irq, 0);
}

Test(uart, thre_reasserts_when_ier_retoggled)
{
	/* serial8250_do_startup()'s UART_BUG_THRE test. */
	ut_out(UT_IER, 0x02);
	cr_assert_eq(ut_in(UT_IIR) & 0x0f, 0x02);
	ut_out(UT_IER, 0x00);
	ut_out(UT_IER, 0x02);
	cr_assert_eq(ut_in(UT_IIR) & 0x0f, 0x02, "THRE not re-asserted");
}

Test(uart, receive_interrupt_and_fifo_order)
{
	ut_out(UT_FCR, 0x01);
	ut_out(UT_IER, 0x01);
	cr_assert_eq(ut.irq, 0);
	ut_receive("abc");
	cr_assert_eq(ut.irq, 1);
	cr_assert_eq(ut_in(UT_IIR), 0xc4);
	cr_assert_eq(ut_in(UT_IIR), 0xc4, "RDI is not acknowledged by IIR");
	cr_assert_eq(ut_in(UT_LSR) & 0x01, 0x01);
	cr_assert_eq(ut_in(UT_RBR), 'a');
	cr_assert_eq(ut_in(UT_RBR), 'b');
	cr_assert_eq(ut.irq, 1);
	cr_assert_eq(ut.rx_space_calls, 0, "rx_space before drained");
	cr_assert_eq(ut_in(UT_RBR), 'c');
	cr_assert_eq(ut.irq, 0);
	cr_assert_eq(ut_in(UT_IIR), 0xc1);
	cr_assert_eq(ut_in(UT_LSR) & 0x01, 0);
	cr_assert_eq(ut.rx_space_calls, 1);
	/* Reading an empty RBR neither underflows nor signals again. */
	ut_in(UT_RBR);
	cr_assert_eq(ut.rx_space_calls, 1);
	cr_assert_eq(uart_8250_rx_space(&ut.u), UART_8250_RX_FIFO);
}

Test(uart, receive_priority_over_thre)
{
	ut_out(UT_IER, 0x03);
	ut_receive("z");
	cr_assert_eq(ut_in(UT_IIR), 0x04);
	cr_assert_eq(ut_in(UT_RBR), 'z');
	/* Now THRE shows. */
	cr_assert_eq(ut_in(UT_IIR), 0x02);
	cr_assert_eq(ut_in(UT_IIR), 0x01);
}

Test(uart, rx_fifo_capacity)
{
	static uint8_t big[UART_8250_RX_FIFO + 100];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	cr_assert_eq(uart_8250_receive(&ut.u, big, sizeof(big)),
		     UART_8250_RX_FIFO);
	cr_assert_eq(uart_8250_rx_space(&ut.u), 0);
	cr_assert_eq(uart_8250_receive(&ut.u, big, 1), 0, "overfilled");
	cr_assert_eq(ut_in(UT_RBR), 0);
	cr_assert_eq(uart_8250_rx_space(&ut.u), 1);
	cr_assert_eq(uart_8250_receive(&ut.u, big + 7, 5), 1);
	for (i = 1; i < UART_8250_RX_FIFO; i++)
		cr_assert_eq(ut_in(UT_RBR), (uint8_t)i, "byte %zu", i);
	cr_assert_eq(ut_in(UT_RBR), 7, "wrap-around lost the last byte");
	cr_assert_eq(ut_in(UT_LSR) & 0x01, 0);
	cr_assert_eq(ut.rx_space_calls, 1);
}

Test(uart, fifo_clear_empties_rx_and_tells_backend)
{
	static uint8_t big[UART_8250_RX_FIFO];

	memset(big, 'q', sizeof(big));
	/* The backend filled the FIFO and now waits for rx_space. */
	cr_assert_eq(uart_8250_receive(&ut.u, big, sizeof(big)), sizeof(big));
	cr_assert_eq(uart_8250_receive(&ut.u, big, 1), 0);
	/* serial8250_clear_fifos() at port startup. */
	ut_out(UT_FCR, 0x01 | 0x02 | 0x04);
	ut_out(UT_FCR, 0x00);
	cr_assert_eq(ut_in(UT_LSR) & 0x01, 0);
	cr_assert_eq(uart_8250_rx_space(&ut.u), UART_8250_RX_FIFO);
	cr_assert_eq(ut.rx_space_calls, 1,
		     "FIFO cleared but the backend was not told: input stalls");
}

Test(uart, dlab_divisor_latch)
{
	ut_out(UT_IER, 0x05);
	ut_receive("r");
	ut_out(UT_LCR, 0x83);
	cr_assert_eq(ut_in(UT_DLL), 0x0c, "firmware divisor (9600 baud)");
	cr_assert_eq(ut_in(UT_DLM), 0x00);
	ut_out(UT_DLL, 0x01);
	ut_out(UT_DLM, 0x02);
	cr_assert_eq(ut_in(UT_DLL), 0x01);
	cr_assert_eq(ut_in(UT_DLM), 0x02);
	cr_assert_eq(ut.nr_tx, 0, "DLL write transmitted");
	ut_out(UT_LCR, 0x03);
	cr_assert_eq(ut_in(UT_LCR), 0x03);
	cr_assert_eq(ut_in(UT_IER), 0x05, "DLM write changed IER");
	cr_assert_eq(ut_in(UT_RBR), 'r', "DLL read consumed RX");
	/* And back: the divisor is remembered. */
	ut_out(UT_LCR, 0x80);
	cr_assert_eq(ut_in(UT_DLL), 0x01);
	cr_assert_eq(ut_in(UT_DLM), 0x02);
}

Test(uart, loopback_modem_lines)
{
	/* autoconfig(): MCR = LOOP | 0x0A; (MSR & 0xF0) must be 0x90. */
	ut_out(UT_MCR, 0x1a);
	cr_assert_eq(ut_in(UT_MSR) & 0xf0, 0x90);
	ut_out(UT_MCR, 0x1f);
	cr_assert_eq(ut_in(UT_MSR) & 0xf0, 0xf0);
	ut_out(UT_MCR, 0x10);
	cr_assert_eq(ut_in(UT_MSR) & 0xf0, 0x00);
	/* Out of loopback: carrier, DSR and CTS asserted. */
	ut_out(UT_MCR, 0x0b);
	cr_assert_eq(ut_in(UT_MCR), 0x0b);
	cr_assert_eq(ut_in(UT_MSR) & 0xf0, 0xb0);
}

Test(uart, loopback_thr_goes_to_rx)
{
	ut_out(UT_IER, 0x01);
	ut_out(UT_MCR, 0x1b);
	ut_out(UT_THR, 0x55);
	ut_out(UT_THR, 0xaa);
	cr_assert_eq(ut.nr_tx, 0, "loopback byte went to the host");
	cr_assert_eq(ut_in(UT_LSR) & 0x01, 0x01);
	cr_assert_eq(ut.irq, 1);
	cr_assert_eq(ut_in(UT_RBR), 0x55);
	cr_assert_eq(ut_in(UT_RBR), 0xaa);
	cr_assert_eq(ut.irq, 0);
	ut_out(UT_MCR, 0x0b);
	ut_out(UT_THR, 0x33);
	cr_assert_eq(ut.nr_tx, 1);
	cr_assert_eq(ut.tx[0], 0x33);
	cr_assert_eq(ut_in(UT_LSR) & 0x01, 0);
}

Test(uart, scratch_register)
{
	cr_assert_eq(ut_in(UT_SCR), 0);
	ut_out(UT_SCR, 0xa5);
	cr_assert_eq(ut_in(UT_SCR), 0xa5);
	ut_out(UT_SCR, 0x5a);
	cr_assert_eq(ut_in(UT_SCR), 0x5a);
	cr_assert_eq(ut.nr_tx, 0);
}

Test(uart, fcr_fifo_enable_bits_in_iir)
{
	cr_assert_eq(ut_in(UT_IIR), 0x01);
	ut_out(UT_FCR, 0x07);
	cr_assert_eq(ut_in(UT_IIR) & 0xc0, 0xc0, "not seen as a 16550A");
	ut_out(UT_FCR, 0xc1); /* 14-byte trigger */
	cr_assert_eq(ut_in(UT_IIR), 0xc1);
	ut_out(UT_FCR, 0x00);
	cr_assert_eq(ut_in(UT_IIR), 0x01);
}

Test(uart, lsr_and_msr_writes_ignored)
{
	ut_out(UT_LSR, 0x00);
	ut_out(UT_MSR, 0x00);
	cr_assert_eq(ut_in(UT_LSR), 0x60);
	cr_assert_eq(ut_in(UT_MSR) & 0xf0, 0xb0);
}

Test(uart, wide_reads_zero_extend)
{
	uint32_t v = 0xffffffff;

	uart_8250_bus_ops.read(&ut.u, UT_LSR, &v, 4);
	cr_assert_eq(v, 0x60);
}
