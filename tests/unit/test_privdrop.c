// SPDX-License-Identifier: MIT
/*
 * --uid/--gid and --rlimit (vmm/sandbox/privdrop.c, rlimits.c, their
 * options in cli/args.c): parsing, the defaults, and the drop itself in a
 * forked child, checked from the kernel's side (/proc/self/status,
 * getrlimit), so a step left out or done in the wrong order shows.
 * The drop needs root, as vireo's --uid does.
 */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "vmm/sandbox/privdrop.h"
#include "vmm/sandbox/rlimits.h"

static struct vm_config cfg;
static enum cli_action action;
static struct err e;

#define PARSE(...)                                                             \
	cli_parse(                                                             \
	    (int)(sizeof((char *[]){ "vireo", "run", "--kernel", "k",          \
				     __VA_ARGS__ }) /                          \
		  sizeof(char *)),                                             \
	    (char *[]){ "vireo", "run", "--kernel", "k", __VA_ARGS__, NULL },  \
	    &cfg, &action, &e)

static void assert_error(int ret, const char *want)
{
	cr_assert_eq(ret, -1, "accepted, expected '%s'", want);
	cr_assert_null(strchr(e.msg, '\n'), "multi-line: %s", e.msg);
	cr_assert(strstr(e.msg, want), "'%s' not in '%s'", want, e.msg);
}

Test(privdrop, ids_parse_numbers_only)
{
	uint32_t id = 7;

	cr_assert_eq(privdrop_parse_id("65534", &id), 0);
	cr_assert_eq(id, 65534);
	cr_assert_eq(privdrop_parse_id("4294967294", &id), 0);
	cr_assert_eq(id, 4294967294u);
	cr_assert_eq(privdrop_parse_id("4294967295", &id), -1, "-1 is 'keep'");
	cr_assert_eq(privdrop_parse_id("-1", &id), -1);
	cr_assert_eq(privdrop_parse_id("nobody", &id), -1);
	cr_assert_eq(privdrop_parse_id("12x", &id), -1);
	cr_assert_eq(privdrop_parse_id("", &id), -1);
	cr_assert_eq(privdrop_parse_id(" 1", &id), -1);
}

Test(privdrop, options)
{
	cr_assert_eq(PARSE("--uid", "1000", "--gid=100", "--jail", "/srv/j",
			   "--rlimit", "nofile=512", "--rlimit", "fsize=2G",
			   "--rlimit", "memlock=unlimited"),
		     0, "%s", e.msg);
	cr_assert(cfg.sandbox.drop);
	cr_assert_eq(cfg.sandbox.uid, 1000);
	cr_assert_eq(cfg.sandbox.gid, 100);
	cr_assert_str_eq(cfg.sandbox.jail_dir, "/srv/j");
	cr_assert_eq(cfg.sandbox.rlimit[VM_RLIMIT_NOFILE], 512);
	cr_assert_eq(cfg.sandbox.rlimit[VM_RLIMIT_FSIZE], 2ULL << 30);
	cr_assert_eq(cfg.sandbox.rlimit[VM_RLIMIT_MEMLOCK], RLIMITS_UNLIMITED);
	/* Without options: nothing dropped, no jail, only defaults. */
	cr_assert_eq(PARSE("--rng"), 0);
	cr_assert_not(cfg.sandbox.drop || cfg.sandbox.has_uid ||
		      cfg.sandbox.jail_dir);
	cr_assert_not(cfg.sandbox.rlimit_set[VM_RLIMIT_NOFILE]);
	cr_assert_eq(PARSE("--uid", "5"), 0);
	cr_assert_not(cfg.sandbox.drop, "--uid alone must not drop");
}

Test(privdrop, bad_options_one_line)
{
	assert_error(PARSE("--uid", "nobody"), "--uid 'nobody'");
	assert_error(PARSE("--gid", "-3"), "numeric id");
	assert_error(PARSE("--uid", "0"), "from 1");
	assert_error(PARSE("--jail", ""), "--jail");
	assert_error(PARSE("--rlimit", "nproc=5"), "nofile=N");
	assert_error(PARSE("--rlimit", "nofile"), "nofile=N");
	assert_error(PARSE("--rlimit", "nofile=1K"), "a number");
	assert_error(PARSE("--rlimit", "fsize=lots"), "size in bytes");
	assert_error(PARSE("--rlimit", "nofile=100"), "at least");
}

Test(privdrop, help_names_the_options)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_print_help(f);
	fclose(f);
	cr_assert(strstr(buf, "--uid N"));
	cr_assert(strstr(buf, "--gid N"));
	cr_assert(strstr(buf, "--jail DIR"));
	cr_assert(strstr(buf, "--rlimit NAME=VALUE"));
	free(buf);
}

Test(privdrop, rlimit_defaults)
{
	struct vm_sandbox_config sb = { 0 };

	cr_assert_eq(rlimits_value(&sb, VM_RLIMIT_NOFILE, 0), 4096);
	cr_assert_eq(rlimits_value(&sb, VM_RLIMIT_MEMLOCK, 0), 8ULL << 20);
	cr_assert_eq(rlimits_value(&sb, VM_RLIMIT_FSIZE, 0), 16ULL << 30);
	/* A 100 GiB disk must stay writable to its end. */
	cr_assert_eq(rlimits_value(&sb, VM_RLIMIT_FSIZE, 100ULL << 30),
		     100ULL << 30);
	cr_assert_eq(rlimits_parse("fsize=1M", &sb, &e), 0);
	cr_assert_eq(rlimits_value(&sb, VM_RLIMIT_FSIZE, 100ULL << 30),
		     1ULL << 20, "the user's value wins");
	cr_assert_eq(rlimits_parse("memlock=0", &sb, &e), 0);
	cr_assert_eq(rlimits_value(&sb, VM_RLIMIT_MEMLOCK, 0), 0);
}

/* Runs fn in a child; its exit status is the number of the failed step. */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(fn());
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "child killed by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

/* line without its newline; the kernel ends "Groups:\t" with a space. */
static int status_has(const char *line)
{
	char buf[256];
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	while (f && !found && fgets(buf, sizeof(buf), f)) {
		size_t n = strlen(buf);

		while (n && strchr("\n\t ", buf[n - 1]))
			buf[--n] = 0;
		found = !strcmp(buf, line);
	}
	if (f)
		fclose(f);
	return found;
}

static int drop_child(void)
{
	struct err ce;

	if (privdrop_prepare(true, &ce) < 0)
		return 10;
	if (!status_has("CapBnd:\t0000000000000000") ||
	    !status_has("NoNewPrivs:\t1"))
		return 11;
	if (!privdrop_has_cap(CAP_SETUID))
		return 12; /* effective caps stay until the ids change */
	if (privdrop_commit(65534, 65533, &ce) < 0)
		return 13;
	if (!status_has("Uid:\t65534\t65534\t65534\t65534") ||
	    !status_has("Gid:\t65533\t65533\t65533\t65533") ||
	    !status_has("Groups:"))
		return 14;
	if (!status_has("CapEff:\t0000000000000000") ||
	    !status_has("CapPrm:\t0000000000000000") ||
	    !status_has("CapInh:\t0000000000000000") ||
	    !status_has("CapAmb:\t0000000000000000"))
		return 15;
	if (setuid(0) == 0 || setgid(0) == 0)
		return 16;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 17;
	if (privdrop_no_new_privs(&ce) < 0)
		return 18; /* idempotent: the seccomp code sets it again */
	return 0;
}

Test(privdrop, drop_leaves_no_way_back)
{
	cr_assert_eq(geteuid(), 0, "the drop needs root, as --uid does");
	cr_assert_eq(in_child(drop_child), 0, "step failed (see drop_child)");
}

static int no_drop_child(void)
{
	struct err ce;

	if (privdrop_prepare(false, &ce) < 0)
		return 10;
	if (!status_has("NoNewPrivs:\t1"))
		return 11;
	/* Without --uid the capabilities stay (taps, flock need them). */
	if (geteuid() == 0 && !privdrop_has_cap(CAP_NET_ADMIN))
		return 12;
	return 0;
}

Test(privdrop, no_new_privs_without_uid)
{
	cr_assert_eq(in_child(no_drop_child), 0);
}

static int rlimit_child(void)
{
	struct vm_sandbox_config sb = { 0 };
	struct rlimit rl;
	struct err ce;

	if (rlimits_parse("memlock=1M", &sb, &ce) < 0)
		return 10;
	/* Without defaults only the given limit changes. */
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rlimits_apply(&sb, false, 0, 3, &ce) < 0)
		return 11;
	{
		struct rlimit now;

		getrlimit(RLIMIT_NOFILE, &now);
		if (now.rlim_cur != rl.rlim_cur)
			return 12;
	}
	getrlimit(RLIMIT_MEMLOCK, &rl);
	if (rl.rlim_cur != 1 << 20 || rl.rlim_max != 1 << 20)
		return 13;
	if (rlimits_apply(&sb, true, 20ULL << 30, 3, &ce) < 0)
		return 14;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != 4096 || rl.rlim_max != 4096)
		return 15;
	getrlimit(RLIMIT_FSIZE, &rl);
	if (rl.rlim_cur != 20ULL << 30)
		return 16;
	/* Hard = soft: a compromised vireo cannot raise them again. */
	rl.rlim_cur = rl.rlim_max = 8192;
	if (geteuid() != 0 && setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return 17;
	/* More fds open than the limit leaves room for: refused. */
	if (rlimits_parse("nofile=200", &sb, &ce) < 0 ||
	    rlimits_apply(&sb, true, 0, 100, &ce) == 0 ||
	    !strstr(ce.msg, "needs 128 more"))
		return 18;
	return 0;
}

Test(privdrop, rlimits_applied_soft_and_hard)
{
	cr_assert_eq(in_child(rlimit_child), 0);
}
