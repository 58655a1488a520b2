// SPDX-License-Identifier: MIT
/*
 * devices/block/aio: a reset's wait for in-flight I/O survives signals
 * (io_uring_wait_cqe -EINTR), the synchronous fallback reports
 * transfers longer than INT_MAX exactly, with io_uring the first write
 * decides where writes go without losing or misreporting any, a polling
 * owner's look leaves the eventfd signalled, and aio_landed() tells what
 * the kernel still holds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
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

/* An io_uring aio for fd's tests (skipped without io_uring), none done. */
static void at_uring(struct aio *a, unsigned int depth, int fd)
{
	struct err e;

	cr_assert_geq(fd, 0);
	cr_assert_eq(aio_init(a, depth, true, at_complete, NULL, &e), 0, "%s",
		     e.msg);
	if (!a->uring) {
		aio_destroy(a);
		close(fd);
		cr_skip_test("io_uring unavailable");
	}
	at.done = 0;
}

/* Writes then reads back 4 KiB blocks of a file under dir through io_uring. */
static void at_write_read_back(const char *dir)
{
	char path[64];
	uint8_t out[3][4096], in[4096];
	struct iovec iov;
	struct aio a;
	int fd, i;

	snprintf(path, sizeof(path), "%s/vireo-aio-XXXXXX", dir);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "%s", path);
	unlink(path);
	at_uring(&a, 4, fd);
	for (i = 0; i < 3; i++) {
		memset(out[i], 'a' + i, sizeof(out[i]));
		iov = (struct iovec){ out[i], sizeof(out[i]) };
		cr_assert_eq(aio_writev(&a, fd, &iov, 1, 4096ULL * i, NULL), 0);
		aio_submit(&a);
		aio_drain(&a);
		cr_assert_eq(at.done, i + 1);
		cr_assert_eq(at.res, 4096, "%s: write %d: %lld", dir, i,
			     (long long)at.res);
		cr_assert_neq(a.writes, AIO_WRITES_PROBE,
			      "%s: the first write decided nothing", dir);
	}
	for (i = 0; i < 3; i++) {
		iov = (struct iovec){ in, sizeof(in) };
		cr_assert_eq(aio_readv(&a, fd, &iov, 1, 4096ULL * i, NULL), 0);
		aio_submit(&a);
		aio_drain(&a);
		cr_assert_eq(at.res, 4096);
		cr_assert_arr_eq(in, out[i], sizeof(in), "%s: block %d", dir,
				 i);
	}
	aio_destroy(&a);
	close(fd);
}

Test(aio, writes_land_whichever_way_the_filesystem_takes_them)
{
	at_write_read_back("/var/tmp");
	at_write_read_back("/dev/shm");
}

Test(aio, a_failing_first_write_reports_its_error)
{
	uint8_t block[512] = { 0 };
	struct iovec iov = { block, sizeof(block) };
	struct aio a;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	at_uring(&a, 1, fd);
	cr_assert_eq(aio_writev(&a, fd, &iov, 1, 0, NULL), 0);
	aio_submit(&a);
	aio_drain(&a);
	cr_assert_eq(at.done, 1);
	cr_assert_eq(at.res, -EBADF, "%lld", (long long)at.res);
	cr_assert_eq(a.inflight, 0);
	aio_destroy(&a);
	close(fd);
}

/* /dev/null takes RWF_NOWAIT writes: later writes go through io_uring. */
Test(aio, a_file_that_writes_without_blocking_keeps_io_uring)
{
	uint8_t block[4096] = { 0 };
	struct iovec iov = { block, sizeof(block) };
	struct aio a;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	at_uring(&a, 2, fd);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(aio_writev(&a, fd, &iov, 1, 0, NULL), 0);
		cr_assert_eq(a.writes, AIO_WRITES_URING);
		/* The probe wrote the first inline; io_uring has the second. */
		cr_assert_eq(a.unsubmitted, (unsigned int)i);
		aio_submit(&a);
		aio_drain(&a);
		cr_assert_eq(at.done, i + 1);
		cr_assert_eq(at.res, 4096, "write %d: %lld", i,
			     (long long)at.res);
	}
	aio_destroy(&a);
	close(fd);
}

static bool at_eventfd_readable(const struct aio *a)
{
	struct pollfd p = { .fd = a->efd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/*
 * A polling owner takes completions without the eventfd's read syscall; it
 * stays readable, so an owner that goes back to sleep still wakes for them.
 */
Test(aio, delivering_leaves_the_eventfd_for_the_next_reap)
{
	uint8_t block[512];
	struct iovec iov = { block, sizeof(block) };
	struct aio a;
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	at_uring(&a, 1, fd);
	memset(block, 0xff, sizeof(block));
	cr_assert_eq(aio_readv(&a, fd, &iov, 1, 0, NULL), 0);
	aio_submit(&a);
	while (!aio_completions_waiting(&a))
		usleep(100);
	aio_deliver(&a);
	cr_assert_eq(at.done, 1);
	cr_assert_eq(at.res, (int64_t)sizeof(block));
	cr_assert_eq(block[0], 0);
	cr_assert(at_eventfd_readable(&a), "the completion's signal was lost");
	aio_reap(&a);
	cr_assert_eq(at.done, 1, "delivered twice");
	cr_assert_not(at_eventfd_readable(&a));
	aio_destroy(&a);
	close(fd);
}

/*
 * What a paused device may still have writing guest memory: nothing while
 * the read is only queued, the read while the kernel holds it, nothing
 * once it finished, delivered or not.
 */
Test(aio, landed_says_whether_the_kernel_still_holds_an_operation,
     .timeout = 10)
{
	struct pollfd pfd;
	struct aio a;
	struct err e;
	uint8_t byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };

	at.done = 0;
	cr_assert_eq(pipe(at.pipe), 0);
	cr_assert_eq(aio_init(&a, 4, true, at_complete, NULL, &e), 0, "%s",
		     e.msg);
	if (!a.uring) {
		aio_destroy(&a);
		cr_skip_test("io_uring unavailable");
	}
	cr_assert_eq(aio_readv(&a, at.pipe[0], &iov, 1, 0, NULL), 0);
	cr_assert(aio_landed(&a), "a queued read is not the kernel's yet");
	aio_submit(&a);
	cr_assert_not(aio_landed(&a), "the read waits on an empty pipe");
	cr_assert_eq(write(at.pipe[1], "x", 1), 1);
	pfd = (struct pollfd){ .fd = a.efd, .events = POLLIN };
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "no completion");
	cr_assert(aio_landed(&a));
	cr_assert_eq(at.done, 0, "landed is not delivered");
	aio_reap(&a);
	cr_assert_eq(at.done, 1);
	cr_assert_eq(byte, 'x');
	cr_assert(aio_landed(&a));
	aio_destroy(&a);
	close(at.pipe[0]);
	close(at.pipe[1]);
}
