// SPDX-License-Identifier: MIT
/*
 * vmm/stdio_console output with stdout a pipe nobody reads: no call ever
 * blocks (vCPUs and device threads write with locks held), what does not
 * fit is dropped and counted, and teardown completes.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/stdio_console.h"

static struct {
	struct event_loop loop;
	struct stdio_console con;
	int pipe[2];
} sc;

static size_t sc_deliver(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	return len;
}

static void sc_quit(void *opaque)
{
	(void)opaque;
}

static int64_t sc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* stdin from /dev/null (never a terminal here), stdout a pipe. */
static void sc_setup(void)
{
	struct err e;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_geq(null, 0);
	cr_assert_eq(dup2(null, STDIN_FILENO), STDIN_FILENO);
	close(null);
	cr_assert_eq(pipe(sc.pipe), 0);
	cr_assert_eq(dup2(sc.pipe[1], STDOUT_FILENO), STDOUT_FILENO);
	cr_assert_eq(event_loop_init(&sc.loop, &e), 0);
	cr_assert_eq(stdio_console_init(&sc.con, &sc.loop, sc_deliver, sc_quit,
					NULL, &e),
		     0, "%s", e.msg);
}

TestSuite(stdio_console, .init = sc_setup, .timeout = 10);

Test(stdio_console, write_never_blocks_on_a_full_pipe)
{
	static uint8_t big[1 << 20];
	int64_t t0 = sc_now_ns();

	memset(big, 'a', sizeof(big));
	/* 2 MiB into a 64 KiB pipe nobody reads. */
	stdio_console_write(&sc.con, big, sizeof(big));
	stdio_console_write(&sc.con, big, sizeof(big));
	cr_assert_lt(sc_now_ns() - t0, 1000000000LL, "write blocked");
	stdio_console_destroy(&sc.con);
	cr_assert_lt(sc_now_ns() - t0, 1000000000LL, "teardown blocked");
}

Test(stdio_console, full_pipe_refuses_and_counts)
{
	static uint8_t big[1 << 20];
	char got[4096];

	stdio_console_write(&sc.con, big, sizeof(big));
	cr_assert_gt(sc.con.out_dropped, 0, "nothing dropped");
	cr_assert_eq(stdio_console_try_write(&sc.con, big, 10), 0,
		     "try_write took bytes into a full pipe");
	/* Once stdout drains, buffered output goes out first. */
	cr_assert_gt(read(sc.pipe[0], got, sizeof(got)), 0);
	stdio_console_destroy(&sc.con);
}

/* stdout a socket (cannot be reopened): still never blocks. */
Test(stdio_console_socket, full_socket_never_blocks, .timeout = 10)
{
	static uint8_t big[1 << 20];
	struct event_loop loop;
	struct stdio_console con;
	struct err e;
	int sv[2], null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int64_t t0;

	cr_assert_geq(null, 0);
	cr_assert_eq(dup2(null, STDIN_FILENO), STDIN_FILENO);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(dup2(sv[1], STDOUT_FILENO), STDOUT_FILENO);
	cr_assert_eq(event_loop_init(&loop, &e), 0);
	cr_assert_eq(
	    stdio_console_init(&con, &loop, sc_deliver, sc_quit, NULL, &e), 0);
	t0 = sc_now_ns();
	stdio_console_write(&con, big, sizeof(big));
	stdio_console_write(&con, big, sizeof(big));
	cr_assert_lt(sc_now_ns() - t0, 1000000000LL, "write blocked");
	cr_assert_gt(con.out_dropped, 0);
	stdio_console_destroy(&con);
}
