/* SPDX-License-Identifier: MIT */
#ifndef VIREO_UTIL_BG_JOB_H
#define VIREO_UTIL_BG_JOB_H

#include <pthread.h>

#include "util/err.h"

/*
 * One function run on a helper thread while its starter goes on: for calls
 * that mostly wait (on a kthread, an RCU grace period) rather than work.
 * bg_job_join(), which every path of the starter must reach, returns the
 * function's result and, on failure, its error.
 */
struct bg_job {
	pthread_t thread;
	int (*fn)(void *arg, struct err *e);
	void *arg;
	struct err err;
	int ret;
};

int bg_job_start(struct bg_job *j, int (*fn)(void *arg, struct err *e),
		 void *arg, struct err *e);
/* e may be NULL: the starter failed already and keeps its own error. */
int bg_job_join(struct bg_job *j, struct err *e);

#endif
