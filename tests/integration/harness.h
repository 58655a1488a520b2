/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_HARNESS_H
#define VIREO_TESTS_HARNESS_H

/*
 * Runs the vireo binary named by $VIREO (default build/vireo) as a child,
 * stdin from /dev/null, and captures stdout+stderr with wall-clock timing.
 * Guests here are slow (PVM hosts emulate most kernel code), so timeouts
 * are generous and only guard against hangs.
 */

#include <stdbool.h>
#include <stddef.h>

#define GUEST_OUT "guest-images/out"

struct vm_result {
	int status; /* exit status, 128+sig if killed, -1 on timeout */
	bool timed_out;
	char *output; /* stdout and stderr interleaved */
	double t_userspace; /* seconds to VIREO-USERSPACE, -1 if never */
	double t_total;
};

/*
 * Something to do once `when` has appeared in the output (searched from
 * where the previous action fired): send a signal and/or type input.
 */
struct vm_action {
	const char *when;
	int signal;
	const char *input;
	void (*call)(void); /* run in the test process */
};

/* Runs with stdin on a pipe the actions type into. */
void vm_run_actions(const char *const *argv, const struct vm_action *actions,
		    unsigned int nr, unsigned int timeout_s,
		    struct vm_result *r);

/* argv: vireo arguments after "vireo" (NULL-terminated). */
void vm_run(const char *const *argv, unsigned int timeout_s,
	    struct vm_result *r);
/* Sends sig to the VM once line_prefix has appeared, then waits. */
void vm_run_signal_after(const char *const *argv, const char *line_prefix,
			 int sig, unsigned int timeout_s, struct vm_result *r);
void vm_result_free(struct vm_result *r);

/*
 * Fills argv with "run --kernel <micro vmlinux> --initrd <initramfs>
 * --memory 256M", the start of every micro-guest run; returns the count.
 */
int micro_argv(const char **argv);

/* The micro guest's command line (tests/guest-cmdline) plus extra. */
const char *guest_cmdline(const char *extra);

/*
 * On PVM hosts an SMP guest's user processes intermittently die of SIGSEGV
 * (seen under QEMU too: guest-images/README.md). SMP runs are retried,
 * loudly; a vireo bug that fails every time still fails the test.
 */
#define SMP_ATTEMPTS 3
void vm_run_attempts(const char *const *argv, const struct vm_action *actions,
		     unsigned int nr, unsigned int timeout_s,
		     unsigned int attempts,
		     bool (*ok)(const struct vm_result *r),
		     struct vm_result *r);

/*
 * The host's KVM is kvm_pvm, where guests run ~10x slower and some guest
 * paths are known to fail (../shared/platform-pvm.md): tests size their
 * workloads and name known issues by it.
 */
bool pvm_host(void);

/* The guest's self-check ran to its end with no failure and it reset. */
bool vm_self_check_passed(const struct vm_result *r);

/* Value of key=... on the first "VIREO-CHECK <name> " line having it. */
const char *check_value(const struct vm_result *r, const char *name,
			const char *key, char *buf, unsigned int size);
/*
 * Aborts the test with the output tail when /dev/kvm or the guest is missing.
 */
void require_guest(void);

/* sha256 of buf as sha256sum prints it ("" if that failed). */
void sha256_hex(const void *buf, size_t len, char out[65]);

/*
 * Runs vireo run --kernel <micro vmlinux> ARGS as root without capability
 * cap in its bounding set (setpriv name: "net_admin"): exit status 2 and
 * one line containing want.
 */
void vm_expect_error_without_cap(const char *cap, const char *args,
				 const char *want);

/* The last part of the output, for assertion messages. */
const char *output_tail(const struct vm_result *r);
#endif
