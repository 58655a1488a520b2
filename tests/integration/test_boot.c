// SPDX-License-Identifier: MIT
/*
 * Boots the real micro guest and checks what the guest itself reports
 * through its self-check lines on the serial console.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BOOT_TIMEOUT 240

/* Criterion's limit for an SMP test covers every attempt. */
#define SMP_TEST_TIMEOUT (SMP_ATTEMPTS * BOOT_TIMEOUT + 30)

/*
 * extra: more vireo arguments (NULL-terminated) or NULL; act: something
 * to do while the guest runs, or NULL.
 */
static void boot_and_check_acting(const char *kernel, const char *cpus,
				  const char *mem, const char *checks,
				  const char *const *extra,
				  const struct vm_action *act,
				  struct vm_result *r)
{
	unsigned int attempts = strcmp(cpus, "1") ? SMP_ATTEMPTS : 1;
	/* A guest whose reset itself crashed would idle until the timeout. */
	struct vm_action acts[2] = { { .when = "VIREO-RESET-FAILED",
				       .signal = SIGKILL } };
	const char *argv[24];
	char check_arg[64];
	int n = 0;

	require_guest();
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = kernel;
	argv[n++] = "--initrd";
	argv[n++] = GUEST_OUT "/initramfs.cpio";
	argv[n++] = "--cpus";
	argv[n++] = cpus;
	argv[n++] = "--memory";
	argv[n++] = mem;
	argv[n++] = "--cmdline";
	snprintf(check_arg, sizeof(check_arg), "vireo.check=%s", checks);
	argv[n++] = guest_cmdline(check_arg);
	while (extra && *extra && n < 23)
		argv[n++] = *extra++;
	argv[n] = NULL;
	if (act) {
		acts[1] = acts[0];
		acts[0] = *act;
	}
	vm_run_attempts(argv, acts, act ? 2 : 1, BOOT_TIMEOUT, attempts,
			vm_self_check_passed, r);
	cr_log_info(
	    "%s cpus=%s mem=%s: userspace after %.1f s, exit after %.1f s",
	    kernel, cpus, mem, r->t_userspace, r->t_total);
	cr_assert(!r->timed_out, "guest timed out:\n%s", output_tail(r));
	cr_assert(strstr(r->output, "VIREO-USERSPACE"),
		  "guest never reached userspace:\n%s", output_tail(r));
	cr_assert(strstr(r->output, "VIREO-CHECK-END"),
		  "self-check did not finish:\n%s", output_tail(r));
	cr_assert(strstr(strstr(r->output, "VIREO-CHECK-END"), " fail=0"),
		  "self-check failed:\n%s", output_tail(r));
	/* The self-check ends with a reset through the i8042: status 0. */
	cr_assert_eq(r->status, 0, "exit status %d:\n%s", r->status,
		     output_tail(r));
}

static void boot_and_check(const char *kernel, const char *cpus,
			   const char *mem, const char *checks,
			   const char *const *extra, struct vm_result *r)
{
	boot_and_check_acting(kernel, cpus, mem, checks, extra, NULL, r);
}

static long mem_total_kb(const struct vm_result *r)
{
	char buf[64];

	cr_assert(check_value(r, "mem", "total_kb", buf, sizeof(buf)),
		  "no mem line:\n%s", output_tail(r));
	return atol(buf);
}

static void expect_cpus(const struct vm_result *r, const char *online,
			const char *list)
{
	char buf[64];

	cr_assert(check_value(r, "cpus", "online", buf, sizeof(buf)),
		  "no cpus line:\n%s", output_tail(r));
	cr_assert_str_eq(buf, online, "guest reports %s CPUs online:\n%s", buf,
			 output_tail(r));
	cr_assert(check_value(r, "cpus", "list", buf, sizeof(buf)),
		  "no cpu list:\n%s", output_tail(r));
	cr_assert_str_eq(buf, list, "guest reports CPUs %s online:\n%s", buf,
			 output_tail(r));
}

/*
 * An unnamed copy of path in dir, made immutable (chattr +i: needs root and
 * a filesystem that keeps the flag, tmpfs or ext4); its fd, and a path to it
 * that vireo can open. Unnamed: nothing is left behind, even by a failure.
 */
static int immutable_copy(const char *path, const char *dir, char *name,
			  size_t len)
{
	int in = open(path, O_RDONLY | O_CLOEXEC);
	int out = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int flags = 0;
	char buf[1 << 16];
	ssize_t n;

	cr_assert_geq(in, 0, "%s: %s", path, strerror(errno));
	cr_assert_geq(out, 0, "O_TMPFILE in %s: %s", dir, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	cr_assert_eq(ioctl(out, FS_IOC_GETFLAGS, &flags), 0, "%s",
		     strerror(errno));
	flags |= FS_IMMUTABLE_FL;
	cr_assert_eq(ioctl(out, FS_IOC_SETFLAGS, &flags), 0,
		     "chattr +i in %s: %s", dir, strerror(errno));
	snprintf(name, len, "/proc/%d/fd/%d", (int)getpid(), out);
	return out;
}

/*
 * The kernel is an immutable file: vireo maps it rather than copying it,
 * with no flag, and says so (--verbose).
 */
Test(boot, elf_1cpu_256m, .timeout = BOOT_TIMEOUT + 30)
{
	static const char *const verbose[] = { "--verbose", NULL };
	struct vm_result r;
	char kernel[64];
	long kb;
	int fd = immutable_copy(GUEST_OUT "/micro/vmlinux", "/tmp", kernel,
				sizeof(kernel));

	boot_and_check(kernel, "1", "256M", "cpus,mem", verbose, &r);
	close(fd);
	cr_assert(strstr(r.output, "kernel pages mapped into guest RAM, not "
				   "copied: an immutable file"),
		  "the immutable kernel was not mapped:\n%s", output_tail(&r));
	expect_cpus(&r, "1", "0");
	kb = mem_total_kb(&r);
	/* MemTotal excludes the kernel image and reserved ranges. */
	cr_assert(kb > 200 * 1024 && kb <= 256 * 1024, "MemTotal %ld kB", kb);
	vm_result_free(&r);
}

Test(boot, elf_2cpu_1g, .timeout = SMP_TEST_TIMEOUT)
{
	struct vm_result r;
	long kb;

	boot_and_check(GUEST_OUT "/micro/vmlinux", "2", "1G", "cpus,mem", NULL,
		       &r);
	expect_cpus(&r, "2", "0-1");
	kb = mem_total_kb(&r);
	cr_assert(kb > 900 * 1024 && kb <= 1024 * 1024, "MemTotal %ld kB", kb);
	vm_result_free(&r);
}

Test(boot, bzimage_2cpu_256m, .timeout = SMP_TEST_TIMEOUT)
{
	struct vm_result r;

	/*
	 * A disk too: virtio-blk has one request queue per vCPU, both polled
	 * by its I/O thread (poll=50: kicks off while it polls).
	 */
	static const char *const disk[] = {
		"--disk", GUEST_OUT "/tools.ext4,ro,serial=vireo-tools,poll=50",
		NULL
	};
	char buf[32];

	boot_and_check(GUEST_OUT "/micro/bzImage", "2", "256M", "cpus,mem,blk",
		       disk, &r);
	expect_cpus(&r, "2", "0-1");
	cr_assert_str_eq(check_value(&r, "blk", "mq", buf, sizeof(buf)) ?: "",
			 "2", "blk-mq hardware queues:\n%s", output_tail(&r));
	cr_assert_str_eq(check_value(&r, "blk", "serial", buf, sizeof(buf))
			     ?: "",
			 "vireo-tools", "serial:\n%s", output_tail(&r));
	vm_result_free(&r);
}

/* pvh_entry_1cpu's kernel: a writable copy, and what it held. */
static struct {
	char path[64];
	uint8_t *orig;
	size_t len;
	bool same; /* the file still held orig when the writer came */
	double held_ms; /* how long its open waited */
} lease_kernel;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * Someone rewrites the kernel file while the guest runs from its pages:
 * open(O_TRUNC) waits for vireo to copy them in and let its lease go.
 */
static void rewrite_kernel(void)
{
	static const char junk[4096] = { 0x0f, 0x0b }; /* ud2 */
	uint8_t *now = malloc(lease_kernel.len);
	int fd = open(lease_kernel.path, O_RDONLY);
	double t0;

	lease_kernel.same =
	    now && fd >= 0 &&
	    read(fd, now, lease_kernel.len) == (ssize_t)lease_kernel.len &&
	    memcmp(now, lease_kernel.orig, lease_kernel.len) == 0;
	free(now);
	if (fd >= 0)
		close(fd);
	t0 = now_ms();
	fd = open(lease_kernel.path, O_WRONLY | O_TRUNC);
	lease_kernel.held_ms = now_ms() - t0;
	if (fd >= 0) {
		if (write(fd, junk, sizeof(junk)) < 0) {
			/* the guest then sees nothing changed either way */
		}
		close(fd);
	}
}

/*
 * A kernel file that can change is mapped under a read lease by default:
 * rewritten and truncated while the guest runs from its pages (from its
 * first console line on), the guest boots and finishes its checks as if
 * nothing happened, and vireo says it copied the pages in. The guest's own
 * writes (it patches its text at boot) never reached the file. With the
 * PVH entry.
 */
Test(boot, pvh_entry_1cpu, .timeout = BOOT_TIMEOUT + 30)
{
	static const char *const pvh[] = { "--pvh", "--verbose", NULL };
	/*
	 * Early, so the guest cannot be done before vireo has acted: a VM
	 * that exits lets its lease go, and the writer then proceeds with no
	 * copy to make.
	 */
	const struct vm_action rewrite = { .when = "Linux version",
					   .call = rewrite_kernel };
	struct vm_result r;
	FILE *in = fopen(GUEST_OUT "/micro/vmlinux", "rb");
	int fd;

	require_guest();
	cr_assert(in, "%s", strerror(errno));
	cr_assert_eq(fseek(in, 0, SEEK_END), 0);
	lease_kernel.len = (size_t)ftell(in);
	rewind(in);
	lease_kernel.orig = malloc(lease_kernel.len);
	cr_assert(lease_kernel.orig);
	cr_assert_eq(fread(lease_kernel.orig, 1, lease_kernel.len, in),
		     lease_kernel.len);
	fclose(in);
	strcpy(lease_kernel.path, "/tmp/vireo-lease-vmlinux-XXXXXX");
	fd = mkstemp(lease_kernel.path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, lease_kernel.orig, lease_kernel.len),
		     (ssize_t)lease_kernel.len);
	close(fd);

	boot_and_check_acting(lease_kernel.path, "1", "256M", "cpus,mem", pvh,
			      &rewrite, &r);
	unlink(lease_kernel.path);
	expect_cpus(&r, "1", "0");
	cr_assert(strstr(r.output, "kernel pages mapped into guest RAM, not "
				   "copied: a read lease"),
		  "the kernel was not mapped under a lease:\n%s",
		  output_tail(&r));
	cr_assert(strstr(r.output, "kernel file about to be written: pages "
				   "mapped into guest RAM copied in"),
		  "vireo did not copy the kernel in:\n%s", output_tail(&r));
	cr_assert(lease_kernel.same, "the guest's writes reached the file");
	cr_log_info("the writer waited %.1f ms for vireo",
		    lease_kernel.held_ms);
	free(lease_kernel.orig);
	vm_result_free(&r);
}
