// SPDX-License-Identifier: MIT
/*
 * Each thread class's seccomp filter, loaded in a forked child: what the
 * class must not do ends the child with exit 1 and the SIGSYS line naming
 * the class and the syscall; what it needs still works. No /dev/kvm: a
 * KVM ioctl on /dev/null reaches the kernel (ENOTTY) or is trapped first.
 * The programs vireo loads were compiled at build time: they must be what
 * libseccomp builds from the same rules now, once patched for this pid.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/config_file.h"
#include "vmm/config_json.h"
#include "vmm/sandbox/seccomp.h"
#include "vmm/sandbox/seccomp_bpf.h"
#include "vmm/sandbox/seccomp_rules.h"

struct child {
	int status;
	char err[1024];
};

/* A descriptor opened before the filter, for calls that need one. */
static int devnull_fd(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		_exit(4);
	return fd;
}

/*
 * Runs body in a child confined to cls (mode); body returns what the
 * child exits with when it is not killed.
 */
static struct child run_confined(enum vm_seccomp mode, enum sandbox_class cls,
				 int (*body)(int fd))
{
	struct child c = { 0 };
	int pipefd[2];
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct err e;
		int fd = devnull_fd();

		close(pipefd[0]);
		dup2(pipefd[1], STDERR_FILENO);
		if (seccomp_prepare(mode, &e) < 0 ||
		    seccomp_enter(mode, cls, &e) < 0) {
			dprintf(STDERR_FILENO, "%s\n", e.msg);
			_exit(3);
		}
		_exit(body(fd));
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], c.err + got, sizeof(c.err) - 1 - got)) > 0)
		got += (size_t)n;
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &c.status, 0), pid);
	return c;
}

/* Killed by the filter: exit 1, the last line naming class and syscall. */
static void assert_trapped(enum sandbox_class cls, int (*body)(int fd),
			   const char *syscall_name)
{
	struct child c = run_confined(VM_SECCOMP_ON, cls, body);
	char want[160];

	snprintf(want, sizeof(want),
		 "vireo: seccomp: the %s thread made a forbidden system call "
		 "%s (",
		 sandbox_class_name(cls), syscall_name);
	cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 1,
		  "%s thread, %s: status 0x%x, stderr '%s'",
		  sandbox_class_name(cls), syscall_name, c.status, c.err);
	cr_assert(strstr(c.err, want), "%s: stderr '%s' lacks '%s'",
		  syscall_name, c.err, want);
	cr_assert_eq(c.err[strlen(c.err) - 1], '\n');
	cr_assert_str_eq(strstr(c.err, want) + strlen(want) +
			     strcspn(strstr(c.err, want) + strlen(want), ")"),
			 "); exiting\r\n", "not the last line: '%s'", c.err);
}

struct forbidden {
	enum sandbox_class cls;
	int (*body)(int fd);
	const char *syscall_name;
};

#define assert_all_trapped(cases)                                              \
	for (size_t i_ = 0; i_ < sizeof(cases) / sizeof(cases[0]); i_++)       \
	assert_trapped(cases[i_].cls, cases[i_].body, cases[i_].syscall_name)

static void assert_allowed(enum sandbox_class cls, int (*body)(int fd))
{
	struct child c = run_confined(VM_SECCOMP_ON, cls, body);

	cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0,
		  "%s thread: status 0x%x, stderr '%s'",
		  sandbox_class_name(cls), c.status, c.err);
}

/* The forbidden calls; each returns 0 only if the kernel let it through. */
static int do_execve(int fd)
{
	char *argv[] = { "/bin/true", NULL };

	(void)fd;
	syscall(SYS_execve, "/bin/true", argv, NULL);
	return 0;
}

static int do_open_new_file(int fd)
{
	(void)fd;
	syscall(SYS_openat, AT_FDCWD, "/tmp/vireo-seccomp-test-new",
		O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	return 0;
}

/* Taking a lease (before the filter, in vireo) and naming a signal owner. */
static int do_lease_take(int fd)
{
	syscall(SYS_fcntl, fd, F_SETLEASE, F_RDLCK);
	return 0;
}

static int do_setown(int fd)
{
	syscall(SYS_fcntl, fd, F_SETOWN, 1);
	return 0;
}

/* A mapped image's lease let go (whatever the kernel answers). */
static int main_releases_a_lease(int fd)
{
	syscall(SYS_fcntl, fd, F_SETLEASE, F_UNLCK);
	return 0;
}

static int do_open_read(int fd)
{
	(void)fd;
	syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY | O_CLOEXEC);
	return 0;
}

static int do_inet_socket(int fd)
{
	(void)fd;
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	return 0;
}

static int do_unix_socket(int fd)
{
	(void)fd;
	syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	return 0;
}

static int do_fork(int fd)
{
	(void)fd;
	if (syscall(SYS_fork) == 0)
		_exit(0);
	return 0;
}

static int do_thread_clone(int fd)
{
	(void)fd;
	/* The flags pthread_create uses: no new threads either. */
	syscall(SYS_clone,
		CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
		    CLONE_THREAD | CLONE_SYSVSEM,
		NULL, NULL, NULL, 0);
	return 0;
}

static int do_mmap_exec(int fd)
{
	(void)fd;
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static int do_mprotect_exec(int fd)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)fd;
	if (p == MAP_FAILED)
		return 5;
	syscall(SYS_mprotect, p, 4096, PROT_READ | PROT_EXEC);
	return 0;
}

static int do_kvm_create_vm(int fd)
{
	syscall(SYS_ioctl, fd, KVM_CREATE_VM, 0);
	return 0;
}

static int do_kvm_set_memory(int fd)
{
	struct kvm_userspace_memory_region r = { 0 };

	syscall(SYS_ioctl, fd, KVM_SET_USER_MEMORY_REGION, &r);
	return 0;
}

static int do_kvm_create_vcpu(int fd)
{
	syscall(SYS_ioctl, fd, KVM_CREATE_VCPU, 0);
	return 0;
}

static int do_tgkill_other(int fd)
{
	(void)fd;
	/* Signal 0 to init: only the permission check, had it got there. */
	syscall(SYS_tgkill, 1, 1, 0);
	return 0;
}

/* The test process: the pid a filter patched before fork would allow. */
static pid_t parent_pid;

static int do_tgkill_parent(int fd)
{
	(void)fd;
	syscall(SYS_tgkill, parent_pid, parent_pid, 0);
	return 0;
}

static int tgkill_self_works(int fd)
{
	(void)fd;
	return syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0) < 0;
}

static int do_setresuid(int fd)
{
	(void)fd;
	syscall(SYS_setresuid, -1, -1, -1);
	return 0;
}

static int do_ptrace(int fd)
{
	(void)fd;
	syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
	return 0;
}

/* What the classes need, each returning nonzero if it was refused. */
static int memory_works(void)
{
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_NONE) < 0)
		return 1;
	memset((char *)p + 4096, 1, 4096);
	return munmap(p, 1 << 20) < 0 ? 1 : 0;
}

static int vcpu_needs(int fd)
{
	/* Not a KVM fd: the kernel answers ENOTTY, the filter let it in. */
	if (ioctl(fd, KVM_RUN, 0) == 0 || errno != ENOTTY)
		return 1;
	if (ioctl(fd, KVM_IRQFD, NULL) == 0 || errno != ENOTTY)
		return 1;
	if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0) < 0)
		return 1;
	fprintf(stderr, "a log line\n");
	return memory_works();
}

static int blk_needs(int fd)
{
	char buf[16];

	if (pread(fd, buf, sizeof(buf), 0) < 0)
		return 1;
	/* /dev/null cannot sync (EINVAL): the call still reached the kernel */
	if (fdatasync(fd) < 0 && errno != EINVAL)
		return 1;
	return memory_works();
}

static int rng_needs(int fd)
{
	char buf[16];

	(void)fd;
	return getrandom(buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) ? 0 : 1;
}

static int vsock_needs(int fd)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)fd;
	if (s < 0)
		return 1;
	close(s);
	return 0;
}

static int api_needs(int fd)
{
	int f = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	char buf[64];

	(void)fd;
	if (f < 0 || read(f, buf, sizeof(buf)) <= 0)
		return 1;
	close(f);
	/* A directory too: O_DIRECTORY is not O_TMPFILE. */
	f = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f < 0)
		return 1;
	close(f);
	return 0;
}

static const enum sandbox_class device_classes[] = {
	SANDBOX_DEV_CONSOLE, SANDBOX_DEV_RNG,	SANDBOX_DEV_BLK,
	SANDBOX_DEV_NET,     SANDBOX_DEV_VSOCK,
};
#define NR_DEVICE_CLASSES (sizeof(device_classes) / sizeof(device_classes[0]))

Test(seccomp, a_device_thread_cannot_execve_open_or_make_inet_sockets)
{
	size_t i;

	for (i = 0; i < NR_DEVICE_CLASSES; i++) {
		assert_trapped(device_classes[i], do_execve, "execve");
		assert_trapped(device_classes[i], do_open_new_file, "openat");
		assert_trapped(device_classes[i], do_inet_socket, "socket");
		assert_trapped(device_classes[i], do_fork, "fork");
		assert_trapped(device_classes[i], do_thread_clone, "clone");
		assert_trapped(device_classes[i], do_mmap_exec, "mmap");
		assert_trapped(device_classes[i], do_kvm_create_vm, "ioctl");
	}
}

Test(seccomp, only_vsock_makes_sockets_and_only_unix_ones)
{
	size_t i;

	for (i = 0; i < NR_DEVICE_CLASSES; i++)
		if (device_classes[i] != SANDBOX_DEV_VSOCK)
			assert_trapped(device_classes[i], do_unix_socket,
				       "socket");
	assert_allowed(SANDBOX_DEV_VSOCK, vsock_needs);
}

Test(seccomp, device_threads_keep_what_they_need)
{
	assert_allowed(SANDBOX_DEV_BLK, blk_needs);
	assert_allowed(SANDBOX_DEV_RNG, rng_needs);
	/* getrandom is the rng thread's alone */
	assert_trapped(SANDBOX_DEV_BLK, rng_needs, "getrandom");
}

Test(seccomp, a_vcpu_thread_cannot_open_socket_execve_or_fork)
{
	static const struct forbidden cases[] = {
		{ SANDBOX_VCPU, do_open_new_file, "openat" },
		{ SANDBOX_VCPU, do_unix_socket, "socket" },
		{ SANDBOX_VCPU, do_inet_socket, "socket" },
		{ SANDBOX_VCPU, do_execve, "execve" },
		{ SANDBOX_VCPU, do_fork, "fork" },
		{ SANDBOX_VCPU, do_thread_clone, "clone" },
		{ SANDBOX_VCPU, do_setresuid, "setresuid" },
		{ SANDBOX_VCPU, do_ptrace, "ptrace" },
		{ SANDBOX_VCPU, do_tgkill_other, "tgkill" },
		/* KVM ioctls outside the vCPU's set */
		{ SANDBOX_VCPU, do_kvm_create_vm, "ioctl" },
		{ SANDBOX_VCPU, do_kvm_set_memory, "ioctl" },
		{ SANDBOX_VCPU, do_kvm_create_vcpu, "ioctl" },
	};

	assert_all_trapped(cases);
#ifndef __SANITIZE_ADDRESS__
	assert_trapped(SANDBOX_VCPU, do_open_read, "openat");
#else
	/* Sanitizer builds let every class read for error reports. */
	assert_allowed(SANDBOX_VCPU, do_open_read);
#endif
}

Test(seccomp, a_vcpu_thread_keeps_its_kvm_ioctls)
{
	assert_allowed(SANDBOX_VCPU, vcpu_needs);
}

Test(seccomp, nothing_maps_or_protects_memory_executable)
{
	enum sandbox_class cls;

	for (cls = 0; cls < SANDBOX_NR_CLASSES; cls++) {
		assert_trapped(cls, do_mmap_exec, "mmap");
		assert_trapped(cls, do_mprotect_exec, "mprotect");
	}
}

Test(seccomp, the_api_thread_cannot_execve_or_open_for_writing)
{
	static const struct forbidden cases[] = {
		{ SANDBOX_API, do_execve, "execve" },
		{ SANDBOX_API, do_open_new_file, "openat" },
		{ SANDBOX_API, do_inet_socket, "socket" },
		{ SANDBOX_API, do_unix_socket, "socket" },
		{ SANDBOX_API, do_kvm_create_vm, "ioctl" },
	};

	assert_all_trapped(cases);
	/* GET /vm reads /proc/self/statm */
	assert_allowed(SANDBOX_API, api_needs);
}

Test(seccomp, the_trace_writer_and_main_thread_are_confined_too)
{
	static const struct forbidden cases[] = {
		{ SANDBOX_TRACE, do_open_new_file, "openat" },
		{ SANDBOX_TRACE, do_unix_socket, "socket" },
		{ SANDBOX_TRACE, do_execve, "execve" },
		{ SANDBOX_MAIN, do_execve, "execve" },
		{ SANDBOX_MAIN, do_open_new_file, "openat" },
		{ SANDBOX_MAIN, do_inet_socket, "socket" },
		{ SANDBOX_MAIN, do_kvm_create_vcpu, "ioctl" },
		{ SANDBOX_MAIN, do_setresuid, "setresuid" },
		{ SANDBOX_MAIN, do_lease_take, "fcntl" },
		{ SANDBOX_MAIN, do_setown, "fcntl" },
		{ SANDBOX_VCPU, main_releases_a_lease, "fcntl" },
		{ SANDBOX_JAIL_PARENT, do_execve, "execve" },
		{ SANDBOX_JAIL_PARENT, do_open_new_file, "openat" },
		{ SANDBOX_JAIL_PARENT, do_unix_socket, "socket" },
		{ SANDBOX_JAIL_PARENT, do_fork, "fork" },
		{ SANDBOX_JAIL_PARENT, do_kvm_create_vm, "ioctl" },
	};

	assert_all_trapped(cases);
	assert_allowed(SANDBOX_MAIN, main_releases_a_lease);
}

Test(seccomp, log_mode_lets_a_forbidden_call_through)
{
	struct child c =
	    run_confined(VM_SECCOMP_LOG, SANDBOX_DEV_RNG, do_inet_socket);

	cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0,
		  "status 0x%x, stderr '%s'", c.status, c.err);
	cr_assert_eq(c.err[0], 0, "log mode wrote '%s'", c.err);
}

static int read_status_field(pid_t pid, const char *field)
{
	char path[64], line[256];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = atoi(line + strlen(field));
	fclose(f);
	return v;
}

static int wait_for_kill(int fd)
{
	(void)fd;
	write(STDERR_FILENO, "in\n", 3);
	for (;;)
		pause();
	return 0;
}

/* What /proc/PID/task/TID/status shows for every confined vireo thread. */
Test(seccomp, a_confined_thread_shows_filter_mode_and_no_new_privs)
{
	int pipefd[2], status;
	char c;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct err e;

		dup2(pipefd[1], STDERR_FILENO);
		if (seccomp_prepare(VM_SECCOMP_ON, &e) < 0 ||
		    seccomp_enter(VM_SECCOMP_ON, SANDBOX_VCPU, &e) < 0)
			_exit(3);
		_exit(wait_for_kill(-1));
	}
	close(pipefd[1]);
	cr_assert_eq(read(pipefd[0], &c, 1), 1);
	cr_assert_eq(read_status_field(pid, "Seccomp:"), 2);
	cr_assert_eq(read_status_field(pid, "NoNewPrivs:"), 1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
}

Test(seccomp, off_loads_nothing)
{
	struct child c =
	    run_confined(VM_SECCOMP_OFF, SANDBOX_DEV_RNG, do_inet_socket);

	cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	cr_assert_eq(sandbox_device_class("blk"), SANDBOX_DEV_BLK);
	cr_assert_eq(sandbox_device_class("floppy"), -1);
}

static int parse(struct vm_config *cfg, struct err *e, int argc, char **argv)
{
	enum cli_action action;

	return cli_parse(argc, argv, cfg, &action, e);
}

Test(seccomp, on_by_default_log_and_off_from_the_command_line)
{
	struct vm_config cfg;
	struct err e;

	cr_assert_eq(parse(&cfg, &e, 4,
			   (char *[]){ "vireo", "run", "--kernel", "k", NULL }),
		     0);
	cr_assert_eq(cfg.seccomp, VM_SECCOMP_ON);
	cr_assert_eq(parse(&cfg, &e, 5,
			   (char *[]){ "vireo", "run", "--kernel", "k",
				       "--seccomp=log", NULL }),
		     0);
	cr_assert_eq(cfg.seccomp, VM_SECCOMP_LOG);
	cr_assert_eq(parse(&cfg, &e, 5,
			   (char *[]){ "vireo", "run", "--kernel", "k",
				       "--no-seccomp", NULL }),
		     0);
	cr_assert_eq(cfg.seccomp, VM_SECCOMP_OFF);
	cr_assert_eq(parse(&cfg, &e, 5,
			   (char *[]){ "vireo", "run", "--kernel", "k",
				       "--seccomp=kill", NULL }),
		     -1);
	cr_assert(strstr(e.msg, "--seccomp 'kill'"), "%s", e.msg);
}

Test(seccomp, the_config_file_and_print_config_carry_the_mode)
{
	char path[] = "/tmp/vireo-seccomp-cfg-XXXXXX";
	int fd = mkstemp(path);
	const char *doc = "{\"kernel\": \"k\", \"seccomp\": \"off\"}";
	struct vm_config cfg;
	struct err e;
	json_t *j;

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	cr_assert_eq(
	    parse(&cfg, &e, 4,
		  (char *[]){ "vireo", "run", "--config", path, NULL }),
	    0, "%s", e.msg);
	cr_assert_eq(cfg.seccomp, VM_SECCOMP_OFF);
	j = vm_config_to_json(&cfg);
	cr_assert_str_eq(json_string_value(json_object_get(j, "seccomp")),
			 "off");
	json_decref(j);
	config_file_free(&cfg);
	unlink(path);
}

/* The pid is patched in when a thread loads its filter, not before. */
Test(seccomp, tgkill_reaches_this_process_only_whatever_its_pid)
{
	enum sandbox_class cls;

	parent_pid = getpid();
	for (cls = 0; cls < SANDBOX_NR_CLASSES; cls++) {
		assert_trapped(cls, do_tgkill_parent, "tgkill");
		assert_allowed(cls, tgkill_self_works);
	}
}

/*
 * In a new PID namespace, as under --jail: the own process is pid 1 there,
 * tgkill to it works, and to pid 2 still ends the process (exit 1).
 */
static int pid_1_confined(void)
{
	struct err e;

	if (getpid() != 1)
		return 11;
	dup2(devnull_fd(), STDERR_FILENO);
	if (seccomp_prepare(VM_SECCOMP_ON, &e) < 0 ||
	    seccomp_enter(VM_SECCOMP_ON, SANDBOX_VCPU, &e) < 0)
		return 12;
	if (syscall(SYS_tgkill, 1, syscall(SYS_gettid), 0) < 0)
		return 13;
	syscall(SYS_tgkill, 2, 2, 0);
	return 0;
}

Test(seccomp, under_a_jail_pid_1_is_this_process)
{
	int st, inner;
	pid_t pid, child;

	cr_assert_eq(geteuid(), 0, "PID namespaces need root, as --jail does");
	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWPID) < 0)
			_exit(10);
		child = fork();
		if (child == 0)
			_exit(pid_1_confined());
		if (child < 0 || waitpid(child, &inner, 0) != child)
			_exit(14);
		_exit(WIFEXITED(inner) ? WEXITSTATUS(inner) : 15);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1,
		  "status 0x%x (1: trapped by the SIGSYS handler)", st);
}

#ifdef __SANITIZE_ADDRESS__
static const bool sanitizer = true;
#else
static const bool sanitizer = false;
#endif

static void assert_same_as_libseccomp(enum vm_seccomp mode, uint32_t pid)
{
	struct sock_filter built[SECCOMP_BPF_MAX_INSNS];
	struct sock_filter loaded[SECCOMP_BPF_MAX_INSNS];
	enum sandbox_class cls;
	size_t i;

	for (cls = 0; cls < SANDBOX_NR_CLASSES; cls++) {
		int n = seccomp_rules_export(cls, pid, sanitizer,
					     mode == VM_SECCOMP_LOG, built,
					     SECCOMP_BPF_MAX_INSNS);
		size_t len = seccomp_bpf_program(mode, cls, pid, loaded);

		cr_assert_gt(n, 0, "%s: libseccomp: %d",
			     sandbox_class_name(cls), n);
		cr_assert_eq(len, (size_t)n, "%s: %zu instructions, not %d",
			     sandbox_class_name(cls), len, n);
		for (i = 0; i < len; i++) {
			cr_assert(built[i].code == loaded[i].code &&
				      built[i].jt == loaded[i].jt &&
				      built[i].jf == loaded[i].jf &&
				      built[i].k == loaded[i].k,
				  "%s: instruction %zu differs: rebuild "
				  "build/gen/seccomp_filters.c",
				  sandbox_class_name(cls), i);
			cr_assert_neq(loaded[i].k, SECCOMP_PID_SENTINEL);
		}
	}
}

/*
 * No drift between the generated programs and the rules table. Pids equal
 * to another rule's constant (1 = AF_UNIX, F_GETFD) are left out: there
 * libseccomp shares the two comparisons' blocks, same verdicts, shorter.
 */
Test(seccomp, generated_programs_are_libseccomp_exports_of_the_rules)
{
	assert_same_as_libseccomp(VM_SECCOMP_ON, 12345);
	assert_same_as_libseccomp(VM_SECCOMP_ON, 4194303);
}

Test(seccomp, the_log_mode_patch_is_libseccomp_log_action)
{
	assert_same_as_libseccomp(VM_SECCOMP_LOG, 12345);
}

Test(seccomp, no_program_for_an_unknown_class)
{
	struct sock_filter out[SECCOMP_BPF_MAX_INSNS];

	cr_assert_eq(
	    seccomp_bpf_program(VM_SECCOMP_ON, SANDBOX_NR_CLASSES, 1, out), 0);
	cr_assert_str_eq(seccomp_syscall_names[41], "socket");
}
