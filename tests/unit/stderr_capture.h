/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_UNIT_STDERR_CAPTURE_H
#define VIREO_TESTS_UNIT_STDERR_CAPTURE_H

/* Counts what the code under test writes to fd 2, in a test process. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct stderr_capture {
	int fd, saved;
};

static inline void stderr_capture_begin(struct stderr_capture *c)
{
	char path[] = "/tmp/vireo-stderr-XXXXXX";

	c->fd = mkstemp(path);
	c->saved = dup(2);
	cr_assert(c->fd >= 0 && c->saved >= 0);
	unlink(path);
	fflush(stderr);
	cr_assert_eq(dup2(c->fd, 2), 2);
}

/* Restores fd 2; returns how many bytes were written meanwhile. */
static inline long stderr_capture_end(struct stderr_capture *c)
{
	off_t size;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	size = lseek(c->fd, 0, SEEK_END);
	close(c->fd);
	return (long)size;
}

#endif
