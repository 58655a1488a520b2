// SPDX-License-Identifier: MIT
/*
 * devbench handoff SECONDS: the floor under any eventfd-notified device at
 * queue depth 1. A driver thread writes a kick eventfd and blocks reading
 * an interrupt eventfd, as devbench's fake driver does; a device thread
 * waits in epoll_wait on the kick, as vireo's device threads do, reads it
 * and writes the interrupt. No ring, no I/O: one round trip is the two
 * thread hand-offs every QD1 virtio request pays on top of its I/O, which
 * fio's single-threaded QD1 loop never pays.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/devbench.h"

struct handoff {
	int kick, irq, ep;
	atomic_bool stop;
};

static void *handoff_device(void *arg)
{
	struct handoff *h = arg;
	uint64_t v, one = 1;

	while (!atomic_load(&h->stop)) {
		struct epoll_event ev;

		if (epoll_wait(h->ep, &ev, 1, 100) <= 0)
			continue;
		if (read(h->kick, &v, sizeof(v)) == sizeof(v) &&
		    write(h->irq, &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

static double handoff_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int db_handoff_main(int argc, char **argv)
{
	struct handoff h = { .kick = -1, .irq = -1, .ep = -1 };
	struct epoll_event ev = { .events = EPOLLIN };
	double secs, t0, t;
	uint64_t v, one = 1, n = 0;
	pthread_t dev;

	if (argc != 3 || (secs = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: devbench handoff SECONDS\n");
		return 2;
	}
	h.kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h.irq = eventfd(0, EFD_CLOEXEC);
	h.ep = epoll_create1(EPOLL_CLOEXEC);
	if (h.kick < 0 || h.irq < 0 || h.ep < 0 ||
	    epoll_ctl(h.ep, EPOLL_CTL_ADD, h.kick, &ev) < 0 ||
	    pthread_create(&dev, NULL, handoff_device, &h) != 0) {
		perror("devbench handoff");
		return 1;
	}
	t0 = t = handoff_now();
	while (t - t0 < secs) {
		if (write(h.kick, &one, sizeof(one)) != sizeof(one) ||
		    read(h.irq, &v, sizeof(v)) != sizeof(v)) {
			perror("devbench handoff");
			return 1;
		}
		if (++n % 256 == 0)
			t = handoff_now();
	}
	t = handoff_now();
	atomic_store(&h.stop, true);
	pthread_join(dev, NULL);
	close(h.ep);
	close(h.kick);
	close(h.irq);
	printf("devbench|handoff|round_trips=%llu|rtt_ns=%.0f\n",
	       (unsigned long long)n, (t - t0) * 1e9 / (double)n);
	return 0;
}
