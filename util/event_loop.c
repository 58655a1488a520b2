// SPDX-License-Identifier: MIT
#include "util/event_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int event_loop_init(struct event_loop *loop, struct err *e)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->running = 0;
	loop->waits = 0;
	loop->poll_ns = 0;
	loop->polled = 0;
	loop->checks = 0;
	loop->nr_pollers = 0;
	if (loop->epfd < 0)
		return err_errno(e, errno, "epoll_create1");
	return 0;
}

void event_loop_destroy(struct event_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int event_loop_add(struct event_loop *loop, struct event_source *src,
		   uint32_t events, struct err *e)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	if (src->poll && loop->nr_pollers == EVENT_LOOP_MAX_POLLERS)
		return err_set(e, "event loop: more than %d polled sources",
			       EVENT_LOOP_MAX_POLLERS);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0)
		return err_errno(e, errno, "epoll_ctl(ADD fd %d)", src->fd);
	if (src->poll)
		loop->pollers[loop->nr_pollers++] = src;
	return 0;
}

void event_loop_del(struct event_loop *loop, struct event_source *src)
{
	unsigned int i;

	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	for (i = 0; i < loop->nr_pollers; i++)
		if (loop->pollers[i] == src) {
			loop->pollers[i] = loop->pollers[--loop->nr_pollers];
			break;
		}
}

/* Before a blocking wait: true if a source found (and did) work. */
static bool event_loop_before_sleep(struct event_loop *loop)
{
	bool work = false;
	unsigned int i;

	for (i = 0; i < loop->nr_pollers && loop->running; i++)
		if (loop->pollers[i]->sleep &&
		    loop->pollers[i]->sleep(loop->pollers[i]))
			work = true;
	return work;
}

/* One round over the polled sources: true if any found work. */
static bool event_loop_poll(struct event_loop *loop)
{
	bool work = false;
	unsigned int i;

	for (i = 0; i < loop->nr_pollers && loop->running; i++)
		if (loop->pollers[i]->poll(loop->pollers[i])) {
			loop->polled++;
			work = true;
		}
	return work;
}

int event_loop_run(struct event_loop *loop)
{
	struct epoll_event evs[16];
	int i, n;

	uint64_t busy_until = 0, next_check = 0;

	loop->running = 1;
	while (loop->running) {
		uint64_t now = loop->poll_ns ? now_ns() : 0;
		bool polling =
		    loop->poll_ns && loop->nr_pollers && now < busy_until;

		if (!polling && loop->poll_ns &&
		    event_loop_before_sleep(loop)) {
			busy_until = now_ns() + loop->poll_ns;
			continue;
		}
		/*
		 * A non-blocking epoll_wait is a syscall, dearer than a
		 * round over the polled sources: between fd checks, poll.
		 */
		if (polling && now < next_check) {
			if (event_loop_poll(loop))
				busy_until = now + loop->poll_ns;
			continue;
		}
		if (polling) {
			next_check = now + EVENT_LOOP_CHECK_NS;
			loop->checks++;
		} else {
			loop->waits++;
		}
		n = epoll_wait(loop->epfd, evs, 16, polling ? 0 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < n && loop->running; i++) {
			struct event_source *src = evs[i].data.ptr;

			src->ready(src, evs[i].events);
		}
		if (loop->poll_ns && loop->running &&
		    (event_loop_poll(loop) || n > 0))
			busy_until = now_ns() + loop->poll_ns;
	}
	return 0;
}

void event_loop_stop(struct event_loop *loop)
{
	loop->running = 0;
}
