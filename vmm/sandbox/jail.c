// SPDX-License-Identifier: MIT
#include "vmm/sandbox/jail.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/sandbox/privdrop.h"
#include "vmm/sandbox/seccomp.h"

int jail_check(const char *dir, struct err *e)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return err_errno(e, errno, "--jail '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, "--jail '%s': not a directory", dir);
	if (!privdrop_has_cap(CAP_SYS_ADMIN))
		return err_set(e, "--jail needs root (CAP_SYS_ADMIN) to create "
				  "namespaces");
	return 0;
}

static void forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGRTMIN + 1);
}

/*
 * The parent: no fds, no privileges it could pass on, only waiting, under
 * a filter of its own (it stays root to signal its child, so it is
 * confined like every vireo thread).
 */
static int jail_parent(pid_t child, const sigset_t *wait_set,
		       enum vm_seccomp mode)
{
	struct err e;

	close_range(3, ~0U, 0);
	if (privdrop_no_new_privs(&e) < 0 || seccomp_prepare(mode, &e) < 0 ||
	    seccomp_enter(mode, SANDBOX_JAIL_PARENT, &e) < 0) {
		kill(child, SIGKILL);
		log_info("%s", e.msg);
		return 1;
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(wait_set, &si), st;

		if (sig < 0)
			continue; /* EINTR: nothing else can fail here */
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		if (waitpid(child, &st, WNOHANG) != child)
			continue;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
}

int jail_fork(enum vm_seccomp mode, struct err *e)
{
	sigset_t fwd, wait_set, old;
	pid_t pid;

	forwarded_signals(&fwd);
	wait_set = fwd;
	sigaddset(&wait_set, SIGCHLD);
	/* Blocked before the fork: no signal may find the parent without a
	 * child to forward it to, or the child before its signalfd. */
	sigprocmask(SIG_BLOCK, &wait_set, &old);
	if (unshare(CLONE_NEWPID) < 0) {
		int err = errno;

		sigprocmask(SIG_SETMASK, &old, NULL);
		return err_errno(e, err, "--jail: new PID namespace");
	}
	pid = fork();
	if (pid < 0) {
		int err = errno;

		sigprocmask(SIG_SETMASK, &old, NULL);
		return err_errno(e, err, "--jail: fork");
	}
	/* No exit handlers: once the namespace's PID 1 is gone, clone() fails
	 * here, and LeakSanitizer's would die of it. */
	if (pid > 0)
		_exit(jail_parent(pid, &wait_set, mode));
	sigdelset(&wait_set, SIGCHLD);
	sigorset(&old, &old, &fwd);
	sigdelset(&old, SIGCHLD);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* Nothing inherited from the invoker beyond stdio gets into the
	 * jail: vireo itself has opened nothing yet. */
	close_range(3, ~0U, 0);
	/* A parent killed outright must not leave the VM running unseen. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return err_errno(e, errno, "--jail: new namespaces");
	/* Nothing mounted here may show up on the host, nor the reverse. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_errno(e, errno, "--jail: private mounts");
	return 0;
}

int jail_pivot(const char *dir, struct err *e)
{
	/* A bind mount of dir on itself is a mount point pivot_root takes. */
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_errno(e, errno, "--jail '%s': bind mount", dir);
	if (mount(NULL, dir, NULL,
		  MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return err_errno(e, errno, "--jail '%s': remount", dir);
	if (chdir(dir) < 0)
		return err_errno(e, errno, "--jail '%s'", dir);
	/* new_root = put_old = ".": the old root ends up stacked on top of
	 * the new one, so DIR needs no directory to hold it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_errno(e, errno, "--jail '%s': pivot_root", dir);
	if (umount2(".", MNT_DETACH) < 0)
		return err_errno(e, errno, "--jail: detaching the old root");
	if (chdir("/") < 0)
		return err_errno(e, errno, "--jail: chdir /");
	return 0;
}

int jail_inner_path(const char *root, const char *path, char *out,
		    size_t out_len)
{
	char dir_buf[PATH_MAX], base_buf[PATH_MAX], real[PATH_MAX];
	size_t root_len = strlen(root);
	const char *rest;
	int n;

	if (strlen(path) >= sizeof(dir_buf))
		return -1;
	strcpy(dir_buf, path);
	strcpy(base_buf, path);
	if (!realpath(dirname(dir_buf), real))
		return -1;
	/* "/" as root: every path is inside and keeps its name. */
	if (root_len == 1 && root[0] == '/')
		root_len = 0;
	if (strncmp(real, root, root_len) ||
	    (real[root_len] != '/' && real[root_len] != 0))
		return 0;
	rest = real + root_len;
	n = snprintf(out, out_len, "%s/%s", rest, basename(base_buf));
	return n < 0 || (size_t)n >= out_len ? -1 : 1;
}
