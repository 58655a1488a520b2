// SPDX-License-Identifier: MIT
/*
 * devices/block/aio: a reset's wait for in-flight I/O survives signals
 * (io_uring_wait_cqe -EINTR), and the synchronous fallback reports
 * transfers longer than INT_MAX exactly.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/block/aio.h"

static struct {
	int done;
	int64_t res;
	int pipe[2];
	pthread_t drainer;
} at;

static void at_complete(void *opaque, void *tag, int64_t res)
{
	(void)opaque;
	(void)tag;
	at.done++;
	at.res = res;
}

static void at_on_signal(int sig)
{
	(void)sig;
}

/* Interrupts the draining thread many times, then lets the read finish. */
static void *at_signaller(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		pthread_kill(at.drainer, SIGUSR1);
		usleep(1000);
	}
	cr_assert_eq(write(at.pipe[1], "x", 1), 1);
	return NULL;
}

Test(aio, drain_waits_through_signals, .timeout = 10)
{
	struct sigaction sa = { .sa_handler = at_on_signal }; /* no restart */
	struct aio a;
	struct err e;
	uint8_t byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	pthread_t sig;

	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	cr_assert_eq(pipe(at.pipe), 0);
	cr_assert_eq(aio_init(&a, 4, true, at_complete, NULL, &e), 0, "%s",
		     e.msg);
	if (!a.uring) {
		aio_destroy(&a);
		cr_skip_test("io_uring unavailable");
	}
	/* A read from an empty pipe stays in flight until the signaller. */
	cr_assert_eq(aio_readv(&a, at.pipe[0], &iov, 1, 0, NULL), 0);
	aio_submit(&a);
	at.drainer = pthread_self();
	cr_assert_eq(pthread_create(&sig, NULL, at_signaller, NULL), 0);
	aio_drain(&a);
	cr_assert_eq(at.done, 1, "drain returned with the read in flight");
	cr_assert_eq(a.inflight, 0);
	cr_assert_eq(at.res, 1);
	cr_assert_eq(byte, 'x');
	pthread_join(sig, NULL);
	aio_destroy(&a);
}

Test(aio, sync_transfer_longer_than_int_max)
{
	const size_t len = 3ULL << 30;
	struct aio a;
	struct err e;
	struct iovec iov;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	/* Never touched: /dev/null does not read what it is given. */
	iov.iov_base = mmap(NULL, len, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(iov.iov_base, MAP_FAILED);
	iov.iov_len = len;
	cr_assert_eq(aio_init(&a, 1, false, at_complete, NULL, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(aio_writev(&a, fd, &iov, 1, 0, NULL), 0);
	aio_reap(&a);
	cr_assert_eq(at.done, 1);
	cr_assert_eq(at.res, (int64_t)len, "result %lld", (long long)at.res);
	aio_destroy(&a);
	munmap(iov.iov_base, len);
	close(fd);
}
