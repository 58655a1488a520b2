// SPDX-License-Identifier: MIT
/*
 * The event loop's polling window (util/event_loop.c): after work it polls
 * for poll_ns, then sleeps in epoll_wait again; without poll_ns it never
 * polls.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util/event_loop.h"

struct el_fixture {
	struct event_loop loop;
	struct event_source work, stop;
	unsigned int work_events, poll_calls, poll_budget;
};

static void el_work_ready(struct event_source *src, uint32_t events)
{
	struct el_fixture *f = src->opaque;
	uint64_t v;

	(void)events;
	if (read(src->fd, &v, sizeof(v)) == sizeof(v))
		f->work_events++;
}

/* Finds work poll_budget times, then none. */
static bool el_work_poll(struct event_source *src)
{
	struct el_fixture *f = src->opaque;

	f->poll_calls++;
	if (!f->poll_budget)
		return false;
	f->poll_budget--;
	return true;
}

/* Always finds work: the loop never leaves its polling window. */
static bool el_busy_poll(struct event_source *src)
{
	struct el_fixture *f = src->opaque;

	f->poll_calls++;
	return true;
}

static void el_stop_ready(struct event_source *src, uint32_t events)
{
	struct el_fixture *f = src->opaque;

	(void)events;
	event_loop_stop(&f->loop);
}

static void el_init(struct el_fixture *f, uint64_t poll_ns)
{
	struct err e;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(event_loop_init(&f->loop, &e), 0);
	f->loop.poll_ns = poll_ns;
	f->work = (struct event_source){
		.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
		.ready = el_work_ready,
		.opaque = f,
		.poll = el_work_poll,
	};
	f->stop = (struct event_source){
		.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
		.ready = el_stop_ready,
		.opaque = f,
	};
	cr_assert_geq(f->work.fd, 0);
	cr_assert_geq(f->stop.fd, 0);
	cr_assert_eq(event_loop_add(&f->loop, &f->work, EPOLLIN, &e), 0);
	cr_assert_eq(event_loop_add(&f->loop, &f->stop, EPOLLIN, &e), 0);
}

static void el_fini(struct el_fixture *f)
{
	close(f->work.fd);
	close(f->stop.fd);
	event_loop_destroy(&f->loop);
}

/* One kick on the work fd at once, the stop 100 ms later. */
static void *el_driver(void *arg)
{
	struct el_fixture *f = arg;
	struct timespec ms100 = { 0, 100 * 1000 * 1000 };
	uint64_t one = 1;

	cr_assert_eq(write(f->work.fd, &one, sizeof(one)), sizeof(one));
	nanosleep(&ms100, NULL);
	cr_assert_eq(write(f->stop.fd, &one, sizeof(one)), sizeof(one));
	return NULL;
}

static void el_run(struct el_fixture *f)
{
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, el_driver, f), 0);
	cr_assert_eq(event_loop_run(&f->loop), 0);
	pthread_join(t, NULL);
}

Test(event_loop, polls_after_work_then_sleeps_again)
{
	struct el_fixture f;

	el_init(&f, 2 * 1000 * 1000); /* 2 ms */
	f.poll_budget = 3;
	el_run(&f);
	cr_assert_eq(f.work_events, 1);
	/* Every unit of work the polls found was taken, and counted. */
	cr_assert_eq(f.poll_budget, 0);
	cr_assert_eq(f.loop.polled, 3);
	/* It kept polling past the work it found... */
	cr_assert_gt(f.poll_calls, 3);
	/*
	 * ...but slept again before the stop came 100 ms later: a blocking
	 * wait before the kick, one after the window, one for the stop.
	 */
	cr_assert_geq(f.loop.waits, 2, "waits %lu",
		      (unsigned long)f.loop.waits);
	el_fini(&f);
}

static uint64_t el_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * A source that always has work keeps the loop polling: the stop still gets
 * through, from an fd check, and those checks (a syscall each) come once per
 * EVENT_LOOP_CHECK_NS, not once per round.
 */
Test(event_loop, fds_are_checked_while_polling_but_not_every_round,
     .timeout = 10)
{
	struct el_fixture f;
	uint64_t t0, ns;

	el_init(&f, 1000 * 1000 * 1000);
	f.work.poll = el_busy_poll;
	t0 = el_now_ns();
	el_run(&f);
	ns = el_now_ns() - t0;
	cr_assert_geq(f.loop.checks, 1);
	cr_assert_leq(f.loop.checks, ns / EVENT_LOOP_CHECK_NS + 2,
		      "%lu checks in %lu ns", (unsigned long)f.loop.checks,
		      (unsigned long)ns);
	cr_assert_gt(f.poll_calls, f.loop.checks);
	el_fini(&f);
}

Test(event_loop, never_polls_without_poll_ns)
{
	struct el_fixture f;

	el_init(&f, 0);
	f.poll_budget = 3;
	el_run(&f);
	cr_assert_eq(f.work_events, 1);
	cr_assert_eq(f.poll_calls, 0);
	cr_assert_eq(f.loop.polled, 0);
	el_fini(&f);
}

Test(event_loop, removed_sources_are_not_polled)
{
	struct el_fixture f;

	el_init(&f, 1000 * 1000);
	cr_assert_eq(f.loop.nr_pollers, 1);
	event_loop_del(&f.loop, &f.work);
	cr_assert_eq(f.loop.nr_pollers, 0);
	el_fini(&f);
}

Test(event_loop, polled_sources_are_bounded)
{
	struct event_loop loop;
	struct event_source src[EVENT_LOOP_MAX_POLLERS + 1];
	struct err e;
	unsigned int i;

	cr_assert_eq(event_loop_init(&loop, &e), 0);
	for (i = 0; i <= EVENT_LOOP_MAX_POLLERS; i++) {
		src[i] = (struct event_source){
			.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
			.ready = el_work_ready,
			.poll = el_work_poll,
		};
		cr_assert_eq(event_loop_add(&loop, &src[i], EPOLLIN, &e),
			     i < EVENT_LOOP_MAX_POLLERS ? 0 : -1);
	}
	cr_assert(strstr(e.msg, "polled sources"), "%s", e.msg);
	for (i = 0; i <= EVENT_LOOP_MAX_POLLERS; i++)
		close(src[i].fd);
	event_loop_destroy(&loop);
}
