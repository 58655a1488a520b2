// SPDX-License-Identifier: MIT
/*
 * Guest output never holds vireo hostage: with stdout a pipe nobody reads
 * (the 8250 on a vCPU and the device threads write into it), SIGTERM
 * still ends vireo promptly.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static double cb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to secs for pid; true with *status when it exited. */
static bool cb_wait(pid_t pid, double secs, int *status)
{
	double end = cb_now() + secs;

	while (cb_now() < end) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(20000);
	}
	return false;
}

Test(console_blocked, sigterm_with_stdout_blocked, .timeout = 240)
{
	const char *vireo = getenv("VIREO") && *getenv("VIREO")
				? getenv("VIREO")
				: "build/vireo";
	/* Every boot message on the serial console, from the first line. */
	const char *cmdline = guest_cmdline("loglevel=8");
	static char fill[4096];
	int out[2], status = 0;
	pid_t pid;

	require_guest();
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	/* The smallest pipe, full before vireo starts: nobody ever reads. */
	fcntl(out[1], F_SETPIPE_SZ, 4096);
	fcntl(out[1], F_SETFL, O_NONBLOCK);
	while (write(out[1], fill, sizeof(fill)) > 0)
		;
	fcntl(out[1], F_SETFL, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(null, 2);
		execl(vireo, vireo, "run", "--kernel",
		      GUEST_OUT "/micro/vmlinux", "--initrd",
		      GUEST_OUT "/initramfs.cpio", "--cmdline", cmdline,
		      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	/* The guest boots and prints (the 8250, then hvc) into it. */
	cr_assert_not(cb_wait(pid, 40, &status),
		      "vireo ended early, status %#x", status);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	if (!cb_wait(pid, 30, &status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		cr_assert_fail("vireo did not exit within 30 s of SIGTERM with "
			       "stdout blocked");
	}
	cr_assert(WIFEXITED(status), "status %#x", status);
	cr_assert_eq(WEXITSTATUS(status), 128 + SIGTERM, "status %d",
		     WEXITSTATUS(status));
	close(out[0]);
}
