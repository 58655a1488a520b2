/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_EVENT_LOOP_H
#define VIREO_UTIL_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/*
 * An epoll loop: each source is an fd with a callback. Sources are owned by
 * whoever adds them; the loop only dispatches.
 *
 * Polling (poll_ns > 0): after any work the loop keeps calling the sources'
 * poll() for poll_ns before it sleeps in epoll_wait again, so work that
 * arrives meanwhile (a ring filled without a kick, a completion) is picked
 * up without a wakeup. poll() does the work it finds and says whether there
 * was any. fds are still checked while polling, every EVENT_LOOP_CHECK_NS,
 * so nothing else waits longer than that.
 */
struct event_source {
	int fd;
	void (*ready)(struct event_source *src, uint32_t events);
	void *opaque;
	bool (*poll)(struct event_source *src); /* optional */
	/*
	 * Optional, with poll: called before every blocking wait of a polling
	 * loop (the source may have told its peer not to signal while
	 * polled: it asks again here); true if work came meanwhile and was
	 * done, and the loop polls on instead of sleeping.
	 */
	bool (*sleep)(struct event_source *src);
};

#define EVENT_LOOP_MAX_POLLERS 16
/*
 * While polling, the fds are checked this often: a stop or reset waits at
 * most this long, and the check's syscall costs a few percent of the
 * polling thread where a syscall costs a microsecond.
 */
#define EVENT_LOOP_CHECK_NS (20 * 1000)

struct event_loop {
	int epfd;
	int running;
	uint64_t waits; /* blocking epoll_wait calls, for --stats */
	uint64_t poll_ns; /* 0: never poll */
	uint64_t polled; /* poll() calls that found work */
	uint64_t checks; /* non-blocking epoll_wait calls while polling */
	unsigned int nr_pollers;
	struct event_source *pollers[EVENT_LOOP_MAX_POLLERS];
};

int event_loop_init(struct event_loop *loop, struct err *e);
void event_loop_destroy(struct event_loop *loop);
int event_loop_add(struct event_loop *loop, struct event_source *src,
		   uint32_t events, struct err *e);
void event_loop_del(struct event_loop *loop, struct event_source *src);
/* Dispatches until event_loop_stop(); returns -1 on epoll failure. */
int event_loop_run(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);

#endif
