// SPDX-License-Identifier: MIT
#include "vmm/stdio_console.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ESCAPE_CHAR 0x01 /* Ctrl-A */

/*
 * The terminal state must be restorable from a fatal-signal handler and
 * from atexit(), neither of which can be handed a pointer: this is the one
 * piece of process-wide state vireo keeps, written before threads start.
 */
static struct {
	int fd;
	int saved;
	struct termios termios;
} tty_restore = { .fd = -1 };

static void tty_restore_now(void)
{
	if (tty_restore.saved)
		tcsetattr(tty_restore.fd, TCSAFLUSH, &tty_restore.termios);
}

static void tty_fatal_signal(int sig)
{
	tty_restore_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tty_enter_raw(struct stdio_console *c)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE };
	struct termios raw;
	size_t i;

	if (tcgetattr(c->in_fd, &tty_restore.termios) < 0)
		return;
	tty_restore.fd = c->in_fd;
	tty_restore.saved = 1;
	atexit(tty_restore_now);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], tty_fatal_signal);
	raw = tty_restore.termios;
	cfmakeraw(&raw);
	/* Keep output post-processing off: the guest sends its own CR LF. */
	tcsetattr(c->in_fd, TCSAFLUSH, &raw);
	c->raw = true;
}

static void console_watch_stdin(struct stdio_console *c, bool on)
{
	if (on == c->in_watched)
		return;
	if (on) {
		if (event_loop_add(c->loop, &c->in_src, EPOLLIN, NULL) < 0)
			return;
	} else {
		event_loop_del(c->loop, &c->in_src);
	}
	c->in_watched = on;
}

/* Pushes pending input into the device; true when all of it went. */
static bool console_flush_pending(struct stdio_console *c)
{
	while (c->pending_off < c->pending_len) {
		size_t n = c->deliver(c->opaque, c->pending + c->pending_off,
				      c->pending_len - c->pending_off);

		if (n == 0)
			return false;
		c->pending_off += n;
	}
	c->pending_off = c->pending_len = 0;
	return true;
}

/* Strips the escape sequences out of buf into c->pending. */
static void console_filter_input(struct stdio_console *c, const uint8_t *buf,
				 size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t ch = buf[i];

		if (!c->is_tty) {
			c->pending[c->pending_len++] = ch;
			continue;
		}
		if (c->escape) {
			c->escape = false;
			if (ch == 'x' || ch == 'X') {
				c->quit(c->opaque);
				return;
			}
			if (ch != ESCAPE_CHAR)
				c->pending[c->pending_len++] = ESCAPE_CHAR;
			c->pending[c->pending_len++] = ch;
		} else if (ch == ESCAPE_CHAR) {
			c->escape = true;
		} else {
			c->pending[c->pending_len++] = ch;
		}
	}
}

static void console_stdin_ready(struct event_source *src, uint32_t events)
{
	struct stdio_console *c = src->opaque;
	uint8_t buf[sizeof(c->pending) / 2];
	ssize_t n;

	(void)events;
	n = read(c->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* EOF or error: the guest just gets no more input. */
		console_watch_stdin(c, false);
		return;
	}
	console_filter_input(c, buf, (size_t)n);
	if (!console_flush_pending(c))
		console_watch_stdin(c, false);
}

static void console_space_ready(struct event_source *src, uint32_t events)
{
	struct stdio_console *c = src->opaque;
	uint64_t v;

	(void)events;
	if (read(c->space_efd, &v, sizeof(v)) < 0)
		return;
	if (console_flush_pending(c))
		console_watch_stdin(c, true);
}

/*
 * A non-blocking description of stdout of our own: setting O_NONBLOCK on
 * the inherited one would change it for every process sharing it (the
 * shell). Regular files never block and must keep their offset/append
 * mode, so they are written as they are.
 */
static int console_open_out(int fd)
{
	struct stat st;
	char path[64];

	if (fstat(fd, &st) < 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

static bool console_is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Writes buf[0..len) without blocking; bytes written, 0 on EAGAIN. */
static size_t console_out_raw(struct stdio_console *c, const uint8_t *buf,
			      size_t len)
{
	size_t done = 0;

	while (done < len) {
		/* A socket cannot be reopened: it gets per-call MSG_DONTWAIT.
		 */
		ssize_t n = c->out_is_socket
				? send(c->out_fd, buf + done, len - done,
				       MSG_DONTWAIT | MSG_NOSIGNAL)
				: write(c->out_fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* stdout gone: the guest keeps running, output lost */
			return len;
		}
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

/* out_lock held: wait for stdout to drain (event loop thread). */
static void console_out_watch(struct stdio_console *c)
{
	if (c->out_watched || !c->loop)
		return;
	if (event_loop_add(c->loop, &c->out_src, EPOLLOUT, NULL) == 0)
		c->out_watched = true;
}

static void console_out_ready(struct event_source *src, uint32_t events)
{
	struct stdio_console *c = src->opaque;
	void (*space)(void *);
	size_t n;

	(void)events;
	pthread_mutex_lock(&c->out_lock);
	n = console_out_raw(c, c->out_buf, c->out_len);
	memmove(c->out_buf, c->out_buf + n, c->out_len - n);
	c->out_len -= n;
	if (c->out_len == 0 && c->out_watched) {
		event_loop_del(c->loop, &c->out_src);
		c->out_watched = false;
	}
	space = c->out_len == 0 ? c->out_space : NULL;
	pthread_mutex_unlock(&c->out_lock);
	if (space)
		space(c->out_space_opaque);
}

int stdio_console_init(struct stdio_console *c, struct event_loop *loop,
		       size_t (*deliver)(void *, const uint8_t *, size_t),
		       void (*quit)(void *), void *opaque, struct err *e)
{
	*c = (struct stdio_console){
		.in_fd = STDIN_FILENO,
		.out_fd = STDOUT_FILENO,
		.own_out_fd = -1,
		.loop = loop,
		.deliver = deliver,
		.quit = quit,
		.opaque = opaque,
	};
	pthread_mutex_init(&c->out_lock, NULL);
	c->own_out_fd = console_open_out(STDOUT_FILENO);
	if (c->own_out_fd >= 0)
		c->out_fd = c->own_out_fd;
	else
		c->out_is_socket = console_is_socket(STDOUT_FILENO);
	c->out_src = (struct event_source){
		.fd = c->out_fd,
		.ready = console_out_ready,
		.opaque = c,
	};
	c->space_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->space_efd < 0)
		return err_errno(e, errno, "eventfd");
	c->space_src = (struct event_source){
		.fd = c->space_efd,
		.ready = console_space_ready,
		.opaque = c,
	};
	c->in_src = (struct event_source){
		.fd = c->in_fd,
		.ready = console_stdin_ready,
		.opaque = c,
	};
	if (event_loop_add(loop, &c->space_src, EPOLLIN, e) < 0)
		return -1;
	c->is_tty = isatty(c->in_fd);
	if (c->is_tty)
		tty_enter_raw(c);
	/* epoll refuses regular files (stdin < file): they are not watched. */
	console_watch_stdin(c, true);
	return 0;
}

void stdio_console_destroy(struct stdio_console *c)
{
	if (!c->loop)
		return; /* never initialised, or already torn down */
	console_watch_stdin(c, false);
	if (c->space_efd >= 0) {
		event_loop_del(c->loop, &c->space_src);
		close(c->space_efd);
		c->space_efd = -1;
	}
	pthread_mutex_lock(&c->out_lock);
	if (c->out_watched)
		event_loop_del(c->loop, &c->out_src);
	c->out_watched = false;
	/* Whatever stdout still refuses now is lost: never wait for it. */
	if (c->out_len)
		c->out_dropped +=
		    c->out_len - console_out_raw(c, c->out_buf, c->out_len);
	c->out_len = 0;
	c->loop = NULL;
	pthread_mutex_unlock(&c->out_lock);
	if (c->own_out_fd >= 0)
		close(c->own_out_fd);
	c->own_out_fd = -1;
	c->out_fd = STDOUT_FILENO;
	if (c->raw) {
		tty_restore_now();
		c->raw = false;
	}
}

void stdio_console_write(struct stdio_console *c, const uint8_t *buf,
			 size_t len)
{
	size_t n = 0, room;

	pthread_mutex_lock(&c->out_lock);
	/* Buffered bytes go first: output stays in order. */
	if (c->out_len == 0)
		n = console_out_raw(c, buf, len);
	if (n < len) {
		room = sizeof(c->out_buf) - c->out_len;
		if (len - n > room) {
			c->out_dropped += len - n - room;
			len = n + room;
		}
		memcpy(c->out_buf + c->out_len, buf + n, len - n);
		c->out_len += len - n;
		if (c->out_len)
			console_out_watch(c);
	}
	pthread_mutex_unlock(&c->out_lock);
}

size_t stdio_console_try_write(struct stdio_console *c, const uint8_t *buf,
			       size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&c->out_lock);
	if (c->out_len == 0)
		n = console_out_raw(c, buf, len);
	if (n < len)
		console_out_watch(c);
	pthread_mutex_unlock(&c->out_lock);
	return n;
}

void stdio_console_set_out_space(struct stdio_console *c,
				 void (*out_space)(void *), void *opaque)
{
	pthread_mutex_lock(&c->out_lock);
	c->out_space = out_space;
	c->out_space_opaque = opaque;
	pthread_mutex_unlock(&c->out_lock);
}

void stdio_console_kick(struct stdio_console *c)
{
	uint64_t one = 1;

	if (write(c->space_efd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wakeup is already pending */
	}
}
