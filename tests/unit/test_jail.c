// SPDX-License-Identifier: MIT
/*
 * --jail (vmm/sandbox/jail.c, sandbox.c) without a guest: the checks made
 * before anything is opened, the host paths vireo keeps using after the
 * pivot, the pivot itself in a forked child with a mount namespace of its
 * own, and the config file's "sandbox" object.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/config_file.h"
#include "vmm/config_json.h"
#include "vmm/sandbox/jail.h"
#include "vmm/sandbox/sandbox.h"

static char dir[64], real[PATH_MAX];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vireo-jail-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_not_null(realpath(dir, real));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", dir);
}

TestSuite(jail, .init = setup, .fini = teardown);

Test(jail, check_rejects_missing_and_non_directories)
{
	char file[96];
	struct err e;

	cr_assert_eq(jail_check("/nonexistent/dir", &e), -1);
	cr_assert(strstr(e.msg, "No such file"), "%s", e.msg);
	snprintf(file, sizeof(file), "%s/f", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	cr_assert_eq(jail_check(file, &e), -1);
	cr_assert(strstr(e.msg, "not a directory"), "%s", e.msg);
	cr_assert_null(strchr(e.msg, '\n'));
	if (geteuid() == 0)
		cr_assert_eq(jail_check(dir, &e), 0, "%s", e.msg);
}

Test(jail, inner_paths)
{
	char out[PATH_MAX], path[PATH_MAX + 32], sub[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/v.sock", real);
	cr_assert_eq(jail_inner_path(real, path, out, sizeof(out)), 1);
	cr_assert_str_eq(out, "/v.sock");
	snprintf(sub, sizeof(sub), "%s/sub", real);
	cr_assert_eq(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/../sub/a", dir);
	cr_assert_eq(jail_inner_path(real, path, out, sizeof(out)), 1);
	cr_assert_str_eq(out, "/sub/a");
	/* A sibling whose name starts like the jail is outside it. */
	snprintf(path, sizeof(path), "%sx/v.sock", real);
	cr_assert_eq(jail_inner_path(real, path, out, sizeof(out)), -1,
		     "its directory does not exist");
	cr_assert_eq(jail_inner_path(real, "/tmp/v.sock", out, sizeof(out)), 0);
	cr_assert_eq(jail_inner_path("/", "/tmp/v.sock", out, sizeof(out)), 1);
	cr_assert_str_eq(out, "/tmp/v.sock");
	cr_assert_eq(jail_inner_path(real, path, out, 4), -1);
}

static int pivot_child(void)
{
	char marker[PATH_MAX + 8];
	struct err e;

	snprintf(marker, sizeof(marker), "%s/marker", real);
	close(open(marker, O_CREAT | O_WRONLY, 0600));
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 10;
	if (jail_pivot(real, &e) < 0)
		return 11;
	if (access("/marker", F_OK) < 0)
		return 12; /* DIR is the root */
	if (access("/etc", F_OK) == 0 || access("/proc/self", F_OK) == 0)
		return 13; /* the host's root is gone */
	if (chdir("..") < 0 || access("marker", F_OK) < 0)
		return 14; /* no way up */
	if (open("/x", O_CREAT | O_WRONLY, 0700) < 0)
		return 15;
	/* noexec: nothing in the jail can become a program. */
	if (execl("/x", "x", (char *)NULL) == 0 || errno != EACCES)
		return 16;
	return 0;
}

Test(jail, pivot_makes_dir_the_root)
{
	int st;
	pid_t pid;

	cr_assert_eq(geteuid(), 0, "pivot_root needs root, as --jail does");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(pivot_child());
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "step %d failed (see pivot_child)", WEXITSTATUS(st));
	/* Mounts were private: the host still sees its own root. */
	cr_assert_eq(access("/etc", F_OK), 0);
}

Test(jail, vsock_socket_must_be_inside)
{
	struct vm_config cfg = { 0 };
	struct err e;

	if (geteuid() != 0)
		cr_skip_test("jail_check needs CAP_SYS_ADMIN first");
	cfg.sandbox.jail_dir = dir;
	cfg.vsock.enabled = true;
	snprintf(cfg.vsock.uds, sizeof(cfg.vsock.uds), "/tmp/outside.sock");
	cr_assert_eq(sandbox_check(&cfg, &e), -1);
	cr_assert(strstr(e.msg, "must be inside"), "%s", e.msg);
	snprintf(cfg.vsock.uds, sizeof(cfg.vsock.uds), "%s/v.sock", dir);
	cr_assert_eq(sandbox_check(&cfg, &e), 0, "%s", e.msg);
	cfg.sandbox.has_uid = true;
	cr_assert_eq(sandbox_check(&cfg, &e), -1);
	cr_assert(strstr(e.msg, "together"), "%s", e.msg);
}

Test(jail, config_file_sandbox_round_trip)
{
	static const char doc[] =
	    "{\"kernel\": \"k\", \"sandbox\": {\"uid\": 100, \"gid\": 101, "
	    "\"jail\": \"/srv/j\", \"rlimits\": {\"nofile\": 1024, \"fsize\": "
	    "\"4G\", \"memlock\": \"unlimited\"}}}";
	struct vm_config cfg = { 0 }, again = { 0 };
	struct err e;
	json_t *j, *full;
	char *text;

	cr_assert_eq(config_file_parse(doc, strlen(doc), "t.json", &cfg, &e), 0,
		     "%s", e.msg);
	cr_assert(cfg.sandbox.drop);
	cr_assert_eq(cfg.sandbox.uid, 100);
	cr_assert_eq(cfg.sandbox.gid, 101);
	cr_assert_str_eq(cfg.sandbox.jail_dir, "/srv/j");
	cr_assert_eq(cfg.sandbox.rlimit[VM_RLIMIT_NOFILE], 1024);
	cr_assert_eq(cfg.sandbox.rlimit[VM_RLIMIT_FSIZE], 4ULL << 30);
	/* Only the sandbox: cfg has no defaults for the rest. */
	full = vm_config_to_json(&cfg);
	j = json_pack("{s:O}", "sandbox", json_object_get(full, "sandbox"));
	text = json_dumps(j, 0);
	cr_assert_eq(
	    config_file_parse(text, strlen(text), "p.json", &again, &e), 0,
	    "%s: %s", e.msg, text);
	cr_assert_eq(memcmp(&again.sandbox.rlimit, &cfg.sandbox.rlimit,
			    sizeof(cfg.sandbox.rlimit)),
		     0);
	cr_assert_eq(again.sandbox.uid, 100);
	cr_assert_str_eq(again.sandbox.jail_dir, "/srv/j");
	free(text);
	json_decref(j);
	json_decref(full);
	config_file_free(&again);
	config_file_free(&cfg);
}

Test(jail, config_file_sandbox_errors_name_the_key)
{
	static const char *const docs[][2] = {
		{ "{\"sandbox\": {\"user\": 1}}", "unknown key 'user'" },
		{ "{\"sandbox\": {\"uid\": \"x\"}}", "sandbox.uid" },
		{ "{\"sandbox\": {\"rlimits\": {\"nproc\": 1}}}",
		  "unknown key 'nproc'" },
		{ "{\"sandbox\": {\"rlimits\": {\"fsize\": true}}}",
		  "sandbox.rlimits.fsize" },
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct vm_config cfg = { 0 };
		struct err e;

		cr_assert_eq(config_file_parse(docs[i][0], strlen(docs[i][0]),
					       "t.json", &cfg, &e),
			     -1, "%s accepted", docs[i][0]);
		cr_assert(strstr(e.msg, docs[i][1]), "'%s' not in '%s'",
			  docs[i][1], e.msg);
	}
}

/*
 * The jailed side: PID 1 of a new namespace whose forwarded signals wait,
 * blocked, for whoever reads them (vireo's signalfd; sigtimedwait here).
 */
static int jailed(void)
{
	struct timespec ts = { .tv_sec = 20 };
	sigset_t set;

	if (getpid() != 1)
		return 101;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	return sigtimedwait(&set, NULL, &ts) == SIGTERM ? 42 : 102;
}

/* In a child of the test: jail_fork, then either side's result. */
static pid_t start_jail(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct err e;

		/* The jail's parent exits with the child's status itself. */
		_exit(jail_fork(VM_SECCOMP_ON, &e) < 0 ? 100 : jailed());
	}
	return pid;
}

Test(jail, fork_forwards_signals_and_passes_the_status, .timeout = 30)
{
	char path[64];
	int st, child;
	pid_t pid;
	FILE *f;

	cr_assert_eq(geteuid(), 0, "PID namespaces need root, as --jail does");
	pid = start_jail();
	usleep(300000); /* the parent waits in sigwaitinfo by now */
	cr_assert_eq(kill(pid, SIGTERM), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the jail's parent died of signal %d",
		  WTERMSIG(st));
	cr_assert_eq(WEXITSTATUS(st), 42,
		     "SIGTERM did not reach PID 1 (status %d)",
		     WEXITSTATUS(st));
	/* Killed from outside its namespace (from inside, PID 1 would not
	 * die even of SIGKILL): the parent reports 128 + 9. */
	pid = start_jail();
	usleep(300000);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	cr_assert(f && fscanf(f, "%d", &child) == 1, "no jailed child");
	fclose(f);
	cr_assert_eq(kill(child, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL,
		  "status %#x", st);
}
