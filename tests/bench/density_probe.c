// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD probe for the start and density benchmarks: measures any
 * vireo build from outside, so "before" and "after" are taken the same
 * way. At the process's first KVM_RUN it prints one line to stderr,
 *   probe: first-kvm-run wall_us=W cpu_us=C
 * where W counts from VIREO_PROBE_T0_NS (CLOCK_MONOTONIC, taken by the
 * launcher just before execve) and C is the process's CPU time so far.
 * VIREO_PROBE_EXIT=1 then ends the process (status 0) instead of running
 * the guest, so the start can be repeated many times cheaply.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

static atomic_int probe_seen;

static long long probe_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real =
		    (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (req == KVM_RUN && atomic_exchange(&probe_seen, 1) == 0) {
		long long now = probe_ns(CLOCK_MONOTONIC);
		long long cpu = probe_ns(CLOCK_PROCESS_CPUTIME_ID);
		const char *t0 = getenv("VIREO_PROBE_T0_NS");
		const char *ex = getenv("VIREO_PROBE_EXIT");

		fprintf(stderr,
			"probe: first-kvm-run wall_us=%lld cpu_us=%lld\n",
			t0 ? (now - atoll(t0)) / 1000 : -1LL, cpu / 1000);
		if (ex && *ex == '1')
			_exit(0);
	}
	return real(fd, req, arg);
}
