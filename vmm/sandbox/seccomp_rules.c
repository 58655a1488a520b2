// SPDX-License-Identifier: MIT
/*
 * The allow-list of each thread class. Found by running every integration
 * suite with the filters on (and --seccomp=log / strace -f), not guessed;
 * docs/seccomp.md says why each class needs what it has.
 */
#include "vmm/sandbox/seccomp_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Syscalls allowed whatever their arguments, one list per need. */
struct plain_list {
	const int *nr;
	size_t n;
};

#define LIST(...)                                                              \
	{                                                                      \
		(const int[]){ __VA_ARGS__ },                                  \
		    sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int)         \
	}

/*
 * Every thread: glibc's allocator and stdio (log lines on stderr), futexes
 * behind its mutexes, thread exit, clocks, and what the SIGSYS handler
 * itself calls (write, exit_group): a handler that trapped again would
 * die without its line.
 */
static const struct plain_list common = LIST(
    SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(futex),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(brk), SCMP_SYS(munmap),
    SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(sched_yield), SCMP_SYS(restart_syscall),
    SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(lseek));

/* An event loop over eventfds (kicks, stop requests, completions). */
static const struct plain_list event_loop =
    LIST(SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	 SCMP_SYS(read), SCMP_SYS(readv));

/* The main thread: signalfd, stdio console, stop and teardown. */
static const struct plain_list main_thread =
    LIST(SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(sendto), SCMP_SYS(unlink),
	 SCMP_SYS(getrusage), SCMP_SYS(mincore), SCMP_SYS(pread64),
	 SCMP_SYS(io_uring_enter), SCMP_SYS(fdatasync), SCMP_SYS(fsync),
	 SCMP_SYS(flock), SCMP_SYS(shutdown), SCMP_SYS(rt_sigaction),
	 SCMP_SYS(sigaltstack), SCMP_SYS(getrandom));

/* vCPUs: device activation and resets run on the vCPU that wrote them. */
static const struct plain_list vcpu =
    LIST(SCMP_SYS(eventfd2), SCMP_SYS(timerfd_create),
	 SCMP_SYS(timerfd_settime), SCMP_SYS(io_uring_enter), SCMP_SYS(poll));

static const struct plain_list api =
    LIST(SCMP_SYS(accept4), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(read),
	 SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(shutdown),
	 SCMP_SYS(mincore), SCMP_SYS(getrusage), SCMP_SYS(io_uring_enter));

static const struct plain_list trace = LIST(SCMP_SYS(fsync));

static const struct plain_list dev_common =
    LIST(SCMP_SYS(timerfd_settime), SCMP_SYS(poll));
static const struct plain_list dev_console =
    LIST(SCMP_SYS(sendto), SCMP_SYS(recvfrom));
static const struct plain_list dev_rng = LIST(SCMP_SYS(getrandom));
static const struct plain_list dev_blk =
    LIST(SCMP_SYS(io_uring_enter), SCMP_SYS(preadv), SCMP_SYS(pwritev),
	 SCMP_SYS(pwritev2), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	 SCMP_SYS(fdatasync), SCMP_SYS(fsync), SCMP_SYS(fallocate));
static const struct plain_list dev_net = LIST(
    SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto));
static const struct plain_list dev_vsock =
    LIST(SCMP_SYS(connect), SCMP_SYS(accept4), SCMP_SYS(recvmsg),
	 SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	 SCMP_SYS(shutdown), SCMP_SYS(getsockopt));

/*
 * The --jail parent only waits for its child and forwards signals to it
 * (vmm/sandbox/jail.c): no fds, no files, no sockets, no KVM.
 */
static const struct plain_list jail_parent =
    LIST(SCMP_SYS(rt_sigtimedwait), SCMP_SYS(kill), SCMP_SYS(wait4),
	 SCMP_SYS(waitid));

/* ioctl request numbers, per class. */
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN,	KVM_GET_REGS,  KVM_GET_SREGS,	KVM_TRANSLATE,
	KVM_IRQ_LINE,	KVM_IRQFD,     KVM_IOEVENTFD,	KVM_SET_GSI_ROUTING,
	KVM_SIGNAL_MSI, TUNSETOFFLOAD, TUNSETVNETHDRSZ, KVM_GET_MP_STATE,
};
static const unsigned long main_ioctls[] = {
	KVM_IRQ_LINE,	KVM_IRQFD, KVM_IOEVENTFD, KVM_SET_GSI_ROUTING,
	KVM_SIGNAL_MSI, TCGETS,	   TCSETS,	  TCSETSW,
	TCSETSF,
};
static const unsigned long api_ioctls[] = {
	KVM_IRQ_LINE,	     KVM_IRQFD,	     KVM_IOEVENTFD,
	KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI,
};
static const unsigned long net_ioctls[] = { TUNSETOFFLOAD };

/* libseccomp's SCMP_A*_64 leave datum_b out, which clang -Wextra flags. */
static struct scmp_arg_cmp arg_eq(unsigned int arg, uint64_t v)
{
	return (struct scmp_arg_cmp){
		.arg = arg, .op = SCMP_CMP_EQ, .datum_a = v, .datum_b = 0
	};
}

/* (argument & mask) == v */
static struct scmp_arg_cmp arg_masked(unsigned int arg, uint64_t mask,
				      uint64_t v)
{
	return (struct scmp_arg_cmp){ .arg = arg,
				      .op = SCMP_CMP_MASKED_EQ,
				      .datum_a = mask,
				      .datum_b = v };
}

static int allow_list(scmp_filter_ctx ctx, const struct plain_list *l)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < l->n && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, l->nr[i], 0);
	return rc;
}

static int allow_ioctls(scmp_filter_ctx ctx, const unsigned long *req, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      arg_eq(1, req[i]));
	return rc;
}

/*
 * Memory may be mapped and protected, never executable: a thread taken
 * over by a guest cannot make new code. tgkill only inside this process
 * (glibc's abort and pthread_kill).
 */
static int allow_memory_and_signals(scmp_filter_ctx ctx, uint32_t pid)
{
	int rc;

	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			      arg_masked(2, PROT_EXEC, 0));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect),
				      1, arg_masked(2, PROT_EXEC, 0));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				      arg_eq(0, pid));
	return rc;
}

/* fcntl for flags and duplicates only (no locks, no leases, no owners). */
static int allow_fcntl(scmp_filter_ctx ctx)
{
	static const int cmds[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD,
				    F_DUPFD_CLOEXEC };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				      arg_eq(1, (uint64_t)cmds[i]));
	return rc;
}

/*
 * A mapped kernel's or initrd's read lease let go (vmm/mapped_images.c):
 * taking one is done before the filter.
 */
static int allow_lease_release(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 2,
				arg_eq(1, F_SETLEASE), arg_eq(2, F_UNLCK));
}

/* New sockets are AF_UNIX only (vsock's host side: Unix sockets). */
static int allow_unix_socket(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				arg_eq(0, AF_UNIX));
}

/*
 * Read-only opens: /proc/self/statm for --stats (main thread) and GET /vm
 * (API thread); in sanitizer builds /proc/self/maps for reports and the
 * leak check at exit. Nothing can be created, written or truncated.
 */
static int allow_open_read_only(scmp_filter_ctx ctx, bool sanitizer)
{
	/* O_TMPFILE without its O_DIRECTORY bit: directories may be read. */
	const uint64_t denied = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND |
				(O_TMPFILE & ~O_DIRECTORY);

	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				  arg_masked(2, denied, O_RDONLY));

	/* The sanitizer runtime makes raw open(2) calls, not openat. */
	if (rc == 0 && sanitizer)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				      arg_masked(1, denied, O_RDONLY));
	return rc;
}

/*
 * The ASan/UBSan runtime: LeakSanitizer stops the world at exit from the
 * main thread (a tracer task made with clone, ptrace, /proc/self/task),
 * and reports read /proc/self/maps. Sanitizer builds only.
 */
static const struct plain_list sanitizer_leaks = LIST(
    SCMP_SYS(clone), SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(getdents64),
    SCMP_SYS(getdents), SCMP_SYS(prctl), SCMP_SYS(sched_getaffinity),
    SCMP_SYS(getppid), SCMP_SYS(pipe2), SCMP_SYS(kill));
/* Any thread's error report: /proc/self/maps, the binary's path. */
static const struct plain_list sanitizer_report =
    LIST(SCMP_SYS(read), SCMP_SYS(readlink), SCMP_SYS(sigaltstack),
	 SCMP_SYS(rt_sigaction));

/* Argument-checked rules a class may add to its lists and ioctls. */
enum {
	WITH_FCNTL = 1, /* allow_fcntl */
	WITH_OPEN_READ_ONLY = 2, /* allow_open_read_only */
	WITH_UNIX_SOCKET = 4, /* allow_unix_socket */
	WITH_LEASE_RELEASE = 8, /* allow_lease_release */
};

struct class_rules {
	const struct plain_list *lists[3];
	const unsigned long *ioctls;
	size_t nr_ioctls;
	unsigned int with;
};

#define IOCTLS(a) .ioctls = a, .nr_ioctls = sizeof(a) / sizeof(a[0])

static const struct class_rules class_rules[SANDBOX_NR_CLASSES] = {
	[SANDBOX_MAIN] = { .lists = { &event_loop, &main_thread },
			   IOCTLS(main_ioctls),
			   .with = WITH_FCNTL | WITH_OPEN_READ_ONLY |
				   WITH_LEASE_RELEASE },
	[SANDBOX_VCPU] = { .lists = { &event_loop, &vcpu },
			   IOCTLS(vcpu_ioctls),
			   .with = WITH_FCNTL },
	[SANDBOX_API] = { .lists = { &event_loop, &api },
			  IOCTLS(api_ioctls),
			  .with = WITH_OPEN_READ_ONLY },
	[SANDBOX_TRACE] = { .lists = { &trace } },
	[SANDBOX_DEV_CONSOLE] = { .lists = { &event_loop, &dev_common,
					     &dev_console },
				  .with = WITH_FCNTL },
	[SANDBOX_DEV_RNG] = { .lists = { &event_loop, &dev_common, &dev_rng } },
	[SANDBOX_DEV_BLK] = { .lists = { &event_loop, &dev_common, &dev_blk } },
	[SANDBOX_DEV_NET] = { .lists = { &event_loop, &dev_common, &dev_net },
			      IOCTLS(net_ioctls),
			      .with = WITH_FCNTL },
	[SANDBOX_DEV_VSOCK] = { .lists = { &event_loop, &dev_common,
					   &dev_vsock },
				.with = WITH_UNIX_SOCKET },
	[SANDBOX_JAIL_PARENT] = { .lists = { &jail_parent } },
};

/*
 * The SIGSYS handler's terminal repair, on stdin only; not where the class
 * allows those ioctls anyway (libseccomp 2.5 leaks the rule it prunes).
 */
static int allow_stdin_tty(scmp_filter_ctx ctx, const struct class_rules *r)
{
	static const unsigned long req[] = { TCGETS, TCSETS };
	size_t i, k;
	int rc = 0;

	for (i = 0; i < 2 && rc == 0; i++) {
		for (k = 0; k < r->nr_ioctls && r->ioctls[k] != req[i]; k++)
			;
		if (k == r->nr_ioctls)
			rc = seccomp_rule_add(
			    ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
			    arg_eq(0, STDIN_FILENO), arg_eq(1, req[i]));
	}
	return rc;
}

static int add_class(scmp_filter_ctx ctx, const struct class_rules *r,
		     bool sanitizer)
{
	unsigned int with = r->with | (sanitizer ? WITH_OPEN_READ_ONLY : 0);
	size_t i;
	int rc = 0;

	for (i = 0; i < 3 && r->lists[i] && rc == 0; i++)
		rc = allow_list(ctx, r->lists[i]);
	if (rc == 0)
		rc = allow_ioctls(ctx, r->ioctls, r->nr_ioctls);
	if (rc == 0 && (with & WITH_FCNTL))
		rc = allow_fcntl(ctx);
	if (rc == 0 && (with & WITH_OPEN_READ_ONLY))
		rc = allow_open_read_only(ctx, sanitizer);
	if (rc == 0 && (with & WITH_UNIX_SOCKET))
		rc = allow_unix_socket(ctx);
	if (rc == 0 && (with & WITH_LEASE_RELEASE))
		rc = allow_lease_release(ctx);
	return rc;
}

int seccomp_rules_add(scmp_filter_ctx ctx, enum sandbox_class cls, uint32_t pid,
		      bool sanitizer)
{
	int rc;

	if ((unsigned int)cls >= SANDBOX_NR_CLASSES)
		return -EINVAL;
	rc = allow_list(ctx, &common);
	if (rc == 0)
		rc = allow_memory_and_signals(ctx, pid);
	if (rc == 0)
		rc = add_class(ctx, &class_rules[cls], sanitizer);
	if (rc == 0)
		rc = allow_stdin_tty(ctx, &class_rules[cls]);
	if (rc == 0 && sanitizer && cls == SANDBOX_MAIN)
		rc = allow_list(ctx, &sanitizer_leaks);
	if (rc == 0 && sanitizer)
		rc = allow_list(ctx, &sanitizer_report);
	return rc;
}

/* libseccomp writes its export to a descriptor; a memfd keeps it off disk. */
int seccomp_rules_export(enum sandbox_class cls, uint32_t pid, bool sanitizer,
			 bool log, struct sock_filter *out, size_t cap)
{
	scmp_filter_ctx ctx = seccomp_init(log ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	size_t got = 0;
	ssize_t n = 1;
	int fd, rc;

	if (!ctx)
		return -ENOMEM;
	/*
	 * Syscall numbers in a binary tree, not an if-chain: the kernel runs
	 * the program for every syscall number when it loads it (its action
	 * cache), ~30% less load time per thread; per-call cost measured equal.
	 */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc == 0)
		rc = seccomp_rules_add(ctx, cls, pid, sanitizer);
	fd = rc == 0 ? memfd_create("vireo-seccomp-bpf", MFD_CLOEXEC) : -1;
	if (rc == 0 && fd < 0)
		rc = -errno;
	if (rc == 0)
		rc = seccomp_export_bpf(ctx, fd);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	while (rc == 0 && n > 0 && got < cap * sizeof(*out)) {
		n = read(fd, (char *)out + got, cap * sizeof(*out) - got);
		if (n < 0)
			rc = -errno;
		else
			got += (size_t)n;
	}
	/* A full buffer may have more behind it: too long to take. */
	if (rc == 0 && (got % sizeof(*out) || got == cap * sizeof(*out)))
		rc = -E2BIG;
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return rc < 0 ? rc : (int)(got / sizeof(*out));
}
