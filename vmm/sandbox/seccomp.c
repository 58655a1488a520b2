// SPDX-License-Identifier: MIT
#include "vmm/sandbox/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/sandbox/seccomp_bpf.h"

/*
 * A signal handler has no argument to carry a context, so the thread's
 * class is thread-local; the syscall names are a generated constant table
 * (seccomp_bpf.h), readable from the handler.
 */
static _Thread_local int thread_class = -1;

static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		buf[at++] = *s++;
	return at;
}

static size_t put_uint(char *buf, size_t at, size_t cap, unsigned long v)
{
	char digits[24];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && at < cap)
		buf[at++] = digits[--n];
	return at;
}

/*
 * _exit skips the console's terminal restore (its saved state is not
 * reachable from here): a terminal left raw gets line editing, echo and
 * output processing back, as `stty sane` would. ioctl on stdin only.
 */
static void tty_sane(void)
{
	struct termios t;

	if (ioctl(STDIN_FILENO, TCGETS, &t) < 0)
		return;
	t.c_iflag |= BRKINT | ICRNL | IXON;
	t.c_oflag |= OPOST | ONLCR;
	t.c_lflag |= ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN;
	ioctl(STDIN_FILENO, TCSETS, &t);
}

/*
 * Async-signal-safe: only write(2) and _exit(2), both in every filter.
 * CR LF as in every vireo line: the terminal may be in raw mode.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *uctx)
{
	char line[160];
	size_t n = 0;
	unsigned int nr = (unsigned int)si->si_syscall;
	int cls = thread_class;

	(void)sig;
	(void)uctx;
	n = put_str(line, n, sizeof(line), "\r\nvireo: seccomp: the ");
	n = put_str(line, n, sizeof(line),
		    cls >= 0 ? sandbox_class_name(cls) : "unsandboxed");
	n = put_str(line, n, sizeof(line),
		    " thread made a forbidden system call ");
	if (nr < SECCOMP_NAMED_SYSCALLS && seccomp_syscall_names[nr]) {
		n = put_str(line, n, sizeof(line), seccomp_syscall_names[nr]);
		n = put_str(line, n, sizeof(line), " (");
		n = put_uint(line, n, sizeof(line), nr);
		n = put_str(line, n, sizeof(line), ")");
	} else {
		n = put_uint(line, n, sizeof(line), nr);
	}
	n = put_str(line, n, sizeof(line), "; exiting\r\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nothing left to tell */
	}
	tty_sane();
	_exit(1);
}

int seccomp_prepare(enum vm_seccomp mode, struct err *e)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler,
				.sa_flags = SA_SIGINFO };

	if (mode == VM_SECCOMP_OFF)
		return 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return err_errno(e, errno, "seccomp: sigaction(SIGSYS)");
	return 0;
}

/*
 * The program is patched on this thread's stack: nothing allocated, and
 * no table shared between threads is written. no_new_privs first, as the
 * kernel requires of an unprivileged filter.
 */
int seccomp_enter(enum vm_seccomp mode, enum sandbox_class cls, struct err *e)
{
	struct sock_filter insns[SECCOMP_BPF_MAX_INSNS];
	struct sock_fprog prog = { .filter = insns };

	if (mode == VM_SECCOMP_OFF)
		return 0;
	prog.len = (unsigned short)seccomp_bpf_program(
	    mode, cls, (uint32_t)getpid(), insns);
	if (!prog.len)
		return err_set(e, "seccomp: no filter for thread class %d",
			       (int)cls);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_errno(e, errno,
				 "seccomp: no_new_privs for the %s thread",
				 sandbox_class_name(cls));
	thread_class = (int)cls;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		int err = errno;

		thread_class = -1;
		return err_errno(e, err,
				 "seccomp: cannot load the %s thread's "
				 "filter",
				 sandbox_class_name(cls));
	}
	return 0;
}

void seccomp_thread_enter(const void *ctx, unsigned int cls)
{
	struct err e;

	if (seccomp_enter(*(const enum vm_seccomp *)ctx,
			  (enum sandbox_class)cls, &e) < 0) {
		log_info("%s", e.msg);
		_exit(1);
	}
}
