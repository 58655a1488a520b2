// SPDX-License-Identifier: MIT
/* Bad input: exactly one line on stderr, exit status 2, never a crash. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

struct bad_input {
	const char *name;
	const char *argv[12];
	const char *expect; /* substring of the message */
};

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void expect_usage_error(const struct bad_input *t)
{
	struct vm_result r;

	vm_run(t->argv, 30, &r);
	cr_assert_eq(r.status, 2, "%s: status %d, output:\n%s", t->name,
		     r.status, r.output);
	cr_assert_eq(count_lines(r.output), 1, "%s: want one line, got:\n%s",
		     t->name, r.output);
	cr_assert(strstr(r.output, t->expect), "%s: '%s' not in:\n%s", t->name,
		  t->expect, r.output);
	vm_result_free(&r);
}

#define K GUEST_OUT "/micro/vmlinux"

static const struct bad_input bad_inputs[] = {
	{ "no command", { NULL }, "no command" },
	{ "unknown command", { "fly", NULL }, "unknown command" },
	{ "missing kernel option", { "run", NULL }, "missing --kernel" },
	{ "missing kernel file",
	  { "run", "--kernel", "/nonexistent/vmlinux", NULL },
	  "No such file" },
	{ "kernel is a directory",
	  { "run", "--kernel", "/tmp", NULL },
	  "not a regular file" },
	{ "missing initrd",
	  { "run", "--kernel", K, "--initrd", "/nonexistent", NULL },
	  "initrd" },
	{ "cpus 0", { "run", "--kernel", K, "--cpus", "0", NULL }, "--cpus" },
	{ "cpus junk",
	  { "run", "--kernel", K, "--cpus", "two", NULL },
	  "--cpus" },
	{ "memory 0",
	  { "run", "--kernel", K, "--memory", "0", NULL },
	  "--memory" },
	{ "memory 1T",
	  { "run", "--kernel", K, "--memory", "1T", NULL },
	  "more than this host has" },
	{ "memory junk",
	  { "run", "--kernel", K, "--memory", "lots", NULL },
	  "--memory" },
	{ "unknown option",
	  { "run", "--kernel", K, "--frobnicate", NULL },
	  "unknown option" },
	{ "option without value",
	  { "run", "--kernel", NULL },
	  "needs a value" },
	{ "no kvm device",
	  { "run", "--kernel", K, "--kvm", "/nonexistent/kvm", NULL },
	  "not found" },
	{ "kvm not a kvm device",
	  { "run", "--kernel", K, "--kvm", "/dev/null", NULL },
	  "API version" },
	{ "corrupt kernel",
	  { "run", "--kernel", "/etc/hostname", NULL },
	  "unknown kernel format" },
	{ "disk serial given twice",
	  { "run", "--kernel", K, "--disk",
	    "/tmp/x.img,serial=ABCDEFGH,serial=XY", NULL },
	  "serial given twice" },
	{ "net tap given twice",
	  { "run", "--kernel", K, "--net", "tap=vt0,tap=vt1", NULL },
	  "tap given twice" },
	{ "unknown virtio device type",
	  { "run", "--kernel", K, "--virtio-transport", "gpu=mmio", NULL },
	  "console, rng, blk, net or vsock" },
	{ "kernel is a character device",
	  { "run", "--kernel", "/dev/zero", NULL },
	  "not a regular file" },
};

#define NR_BAD_INPUTS (sizeof(bad_inputs) / sizeof(bad_inputs[0]))

/*
 * Criterion runs each parameter in a fresh process (addresses differ under
 * ASLR), so the parameter is an index into the table, not a pointer.
 */
ParameterizedTestParameters(cli, bad_input)
{
	static unsigned int indices[NR_BAD_INPUTS];
	unsigned int i;

	for (i = 0; i < NR_BAD_INPUTS; i++)
		indices[i] = i;
	return cr_make_param_array(unsigned int, indices, NR_BAD_INPUTS);
}

ParameterizedTest(unsigned int *index, cli, bad_input, .timeout = 40)
{
	const struct bad_input *t = &bad_inputs[*index];

	if (strstr(t->name, "kvm") || strstr(t->name, "kernel") ||
	    strstr(t->name, "memory 1T") || strstr(t->name, "initrd"))
		cr_assert(access(K, R_OK) == 0,
			  "guest image missing: run 'make guest'");
	expect_usage_error(t);
}

Test(cli, truncated_vmlinux_exit_2, .timeout = 40)
{
	static char path[] = "/tmp/vireo-trunc-XXXXXX";
	const char *argv[] = { "run", "--kernel", path, NULL };
	char cmd[256];
	struct vm_result r;
	int fd;

	cr_assert(access(K, R_OK) == 0,
		  "guest image missing: run 'make guest'");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "head -c 3000000 %s > %s", K, path);
	cr_assert(system(cmd) == 0);
	vm_run(argv, 30, &r);
	unlink(path);
	cr_assert_eq(r.status, 2, "status %d:\n%s", r.status, r.output);
	cr_assert_eq(count_lines(r.output), 1, "%s", r.output);
	vm_result_free(&r);
}

/* A FIFO nobody writes to: open() would block forever. */
Test(cli, fifo_kernel_exit_2, .timeout = 40)
{
	static char path[] = "/tmp/vireo-fifo-XXXXXX";
	const char *argv[] = { "run", "--kernel", path, NULL };
	struct vm_result r;
	int fd;

	fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	unlink(path);
	cr_assert_eq(mkfifo(path, 0600), 0);
	vm_run(argv, 30, &r);
	unlink(path);
	cr_assert_eq(r.status, 2, "status %d:\n%s", r.status, r.output);
	cr_assert_eq(count_lines(r.output), 1, "%s", r.output);
	cr_assert(strstr(r.output, "not a regular file"), "%s", r.output);
	vm_result_free(&r);
}

Test(cli, help_and_version)
{
	const char *help[] = { "--help", NULL }, *ver[] = { "--version", NULL };
	struct vm_result r;

	vm_run(help, 10, &r);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.output, "--kernel") && strstr(r.output, "--cpus"));
	vm_result_free(&r);
	vm_run(ver, 10, &r);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.output, "vireo "));
	vm_result_free(&r);
}
