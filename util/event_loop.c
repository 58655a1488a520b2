// SPDX-License-Identifier: MIT
#include "util/event_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int event_loop_init(struct event_loop *loop, struct err *e)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->running = 0;
	loop->waits = 0;
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

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0)
		return err_errno(e, errno, "epoll_ctl(ADD fd %d)", src->fd);
	return 0;
}

void event_loop_del(struct event_loop *loop, struct event_source *src)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

int event_loop_run(struct event_loop *loop)
{
	struct epoll_event evs[16];
	int i, n;

	loop->running = 1;
	while (loop->running) {
		loop->waits++;
		n = epoll_wait(loop->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < n && loop->running; i++) {
			struct event_source *src = evs[i].data.ptr;

			src->ready(src, evs[i].events);
		}
	}
	return 0;
}

void event_loop_stop(struct event_loop *loop)
{
	loop->running = 0;
}
