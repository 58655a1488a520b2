/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_EVENT_LOOP_H
#define VIREO_UTIL_EVENT_LOOP_H

#include <stdint.h>

#include "util/err.h"

/*
 * An epoll loop: each source is an fd with a callback. Sources are owned by
 * whoever adds them; the loop only dispatches.
 */
struct event_source {
	int fd;
	void (*ready)(struct event_source *src, uint32_t events);
	void *opaque;
};

struct event_loop {
	int epfd;
	int running;
	uint64_t waits; /* epoll_wait calls, for --stats */
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
