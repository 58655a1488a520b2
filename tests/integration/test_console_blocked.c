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
#include <sys/ioctl.h>
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
	static char fill[4095];
	int out[2], status = 0, queued = 0;
	double end;
	pid_t pid;

	require_guest();
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	/*
	 * The smallest pipe, nobody ever reads it, one byte short of full:
	 * the guest's first byte fills it, which tells us it is printing.
	 */
	cr_assert_eq(fcntl(out[1], F_SETPIPE_SZ, 4096), 4096);
	cr_assert_eq(write(out[1], fill, sizeof(fill)), (ssize_t)sizeof(fill));
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
	end = cb_now() + 200;
	while (queued < 4096 && cb_now() < end) {
		cr_assert_eq(ioctl(out[0], FIONREAD, &queued), 0);
		cr_assert_eq(waitpid(pid, &status, WNOHANG), 0,
			     "vireo ended early, status %#x", status);
		usleep(100000);
	}
	if (queued < 4096) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		cr_assert_fail("the guest printed nothing in 200 s");
	}
	/* The guest keeps printing (a vCPU in the 8250) into the full pipe. */
	cr_assert_not(cb_wait(pid, 5, &status), "vireo ended early, status %#x",
		      status);
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
