// SPDX-License-Identifier: MIT
#include "util/bg_job.h"

static void *bg_job_main(void *arg)
{
	struct bg_job *j = arg;

	j->ret = j->fn(j->arg, &j->err);
	return NULL;
}

int bg_job_start(struct bg_job *j, int (*fn)(void *arg, struct err *e),
		 void *arg, struct err *e)
{
	int ret;

	*j = (struct bg_job){ .fn = fn, .arg = arg };
	ret = pthread_create(&j->thread, NULL, bg_job_main, j);
	if (ret != 0)
		return err_errno(e, ret, "cannot start a helper thread");
	return 0;
}

int bg_job_join(struct bg_job *j, struct err *e)
{
	pthread_join(j->thread, NULL);
	if (j->ret < 0 && e)
		*e = j->err;
	return j->ret;
}
