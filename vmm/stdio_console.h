/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_STDIO_CONSOLE_H
#define VIREO_VMM_STDIO_CONSOLE_H

/*
 * vireo's own stdin/stdout as the guest console's host side. On a terminal:
 * raw mode while the guest runs (restored on every exit path, fatal signals
 * included) and the QEMU-style escape Ctrl-A X to quit, Ctrl-A Ctrl-A to
 * send a literal Ctrl-A. Input is delivered to whichever device is the
 * console; when that device is full, stdin is not read until it drains.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "util/event_loop.h"

struct stdio_console {
	int in_fd, out_fd;
	bool is_tty, raw, escape, in_watched;
	struct event_loop *loop;
	struct event_source in_src, space_src;
	int space_efd;
	uint8_t pending[256];
	size_t pending_off, pending_len;
	/* Returns how many bytes the device took. */
	size_t (*deliver)(void *opaque, const uint8_t *buf, size_t len);
	void (*quit)(void *opaque);
	void *opaque;
};

int stdio_console_init(struct stdio_console *c, struct event_loop *loop,
		       size_t (*deliver)(void *, const uint8_t *, size_t),
		       void (*quit)(void *), void *opaque, struct err *e);
void stdio_console_destroy(struct stdio_console *c);
/* Any thread: guest output. */
void stdio_console_write(struct stdio_console *c, const uint8_t *buf,
			 size_t len);
/* Any thread: the device has room for input again. */
void stdio_console_kick(struct stdio_console *c);

#endif
