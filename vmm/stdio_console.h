/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_STDIO_CONSOLE_H
#define VIREO_VMM_STDIO_CONSOLE_H

/*
 * vireo's own stdin/stdout as the guest console's host side. On a terminal:
 * raw mode while the guest runs (restored on every exit path, fatal signals
 * included) and the QEMU-style escape Ctrl-A X to quit, Ctrl-A Ctrl-A to
 * send a literal Ctrl-A. Input is delivered to whichever device is the
 * console; when that device is full, stdin is not read until it drains.
 *
 * Output never blocks a caller (vCPUs write with locks held): stdout is
 * written through a non-blocking file description; what it cannot take
 * now is either refused (stdio_console_try_write, for a device that waits
 * for space) or kept in a bounded buffer flushed when stdout drains, and
 * dropped with a count beyond it (stdio_console_write, the 8250).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "util/event_loop.h"

struct stdio_console {
	int in_fd, out_fd;
	int own_out_fd; /* our non-blocking reopening of stdout, or -1 */
	bool out_is_socket; /* not reopenable: send(MSG_DONTWAIT) */
	pthread_mutex_t out_lock; /* out_buf, out_watched, the writes */
	uint8_t out_buf[65536];
	size_t out_len;
	bool out_watched; /* waiting for EPOLLOUT on out_fd */
	struct event_source out_src;
	uint64_t out_dropped; /* bytes lost to a full buffer */
	void (*out_space)(void *opaque); /* try_write may be retried */
	void *out_space_opaque;
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
/* Any thread, never blocks: guest output, buffered or dropped. */
void stdio_console_write(struct stdio_console *c, const uint8_t *buf,
			 size_t len);
/*
 * Any thread, never blocks: writes what stdout takes now and returns how
 * much that was; when short, the out_space callback runs (event loop
 * thread) once stdout is writable again.
 */
size_t stdio_console_try_write(struct stdio_console *c, const uint8_t *buf,
			       size_t len);
void stdio_console_set_out_space(struct stdio_console *c,
				 void (*out_space)(void *), void *opaque);
/* Any thread: the device has room for input again. */
void stdio_console_kick(struct stdio_console *c);

#endif
