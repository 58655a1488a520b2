// SPDX-License-Identifier: MIT
#include "vmm/sandbox/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/sandbox/seccomp_rules.h"

static const char *const class_names[SANDBOX_NR_CLASSES] = {
	[SANDBOX_MAIN] = "main",
	[SANDBOX_VCPU] = "vCPU",
	[SANDBOX_API] = "API",
	[SANDBOX_TRACE] = "trace writer",
	[SANDBOX_DEV_CONSOLE] = "virtio-console I/O",
	[SANDBOX_DEV_RNG] = "virtio-rng I/O",
	[SANDBOX_DEV_BLK] = "virtio-blk I/O",
	[SANDBOX_DEV_NET] = "virtio-net I/O",
	[SANDBOX_DEV_VSOCK] = "virtio-vsock I/O",
};

const char *sandbox_class_name(enum sandbox_class cls)
{
	return (unsigned int)cls < SANDBOX_NR_CLASSES ? class_names[cls]
						      : "unknown";
}

int sandbox_device_class(const char *type_name)
{
	static const struct {
		const char *type;
		enum sandbox_class cls;
	} map[] = {
		{ "console", SANDBOX_DEV_CONSOLE }, { "rng", SANDBOX_DEV_RNG },
		{ "blk", SANDBOX_DEV_BLK },	    { "net", SANDBOX_DEV_NET },
		{ "vsock", SANDBOX_DEV_VSOCK },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].type, type_name))
			return (int)map[i].cls;
	return -1;
}

/*
 * The SIGSYS handler may call only async-signal-safe functions, so the
 * syscall names it prints are resolved once, before any filter, into
 * this table; and a signal handler has no argument to carry a context,
 * hence the one piece of process-wide state here (written once, read-only
 * afterwards). The thread's class is thread-local for the same reason.
 */
#define NAMED_SYSCALLS 512
#define SYSCALL_NAME_MAX 24
static char syscall_names[NAMED_SYSCALLS][SYSCALL_NAME_MAX];
static atomic_bool names_ready;
static _Thread_local int thread_class = -1;

static void fill_names(void)
{
	int nr;

	for (nr = 0; nr < NAMED_SYSCALLS; nr++) {
		char *n =
		    seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (n) {
			strncpy(syscall_names[nr], n, SYSCALL_NAME_MAX - 1);
			free(n);
		}
	}
}

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
	if (atomic_load(&names_ready) && nr < NAMED_SYSCALLS &&
	    syscall_names[nr][0]) {
		n = put_str(line, n, sizeof(line), syscall_names[nr]);
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
	if (!atomic_load(&names_ready)) {
		fill_names();
		atomic_store(&names_ready, true);
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return err_errno(e, errno, "seccomp: sigaction(SIGSYS)");
	return 0;
}

int seccomp_enter(enum vm_seccomp mode, enum sandbox_class cls, struct err *e)
{
	scmp_filter_ctx ctx;
	int rc;

	if (mode == VM_SECCOMP_OFF)
		return 0;
	ctx =
	    seccomp_init(mode == VM_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!ctx)
		return err_set(e,
			       "seccomp: cannot build the %s thread's filter",
			       sandbox_class_name(cls));
	rc = seccomp_rules_add(ctx, cls);
	thread_class = (int)cls;
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		thread_class = -1;
		return err_errno(e, -rc,
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
