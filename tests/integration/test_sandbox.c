// SPDX-License-Identifier: MIT
/*
 * --uid/--gid and --jail with the real guest (docs/security.md). One boot
 * of the micro guest with every device type (virtio-console as hvc0, rng,
 * blk, net on a tap in a namespace of the test's own, vsock) and the API
 * socket, run as --uid 65534 --gid 65534 --jail DIR. Once the guest has
 * pinged through the tap and waits for the host's vsock connection (every
 * driver bound, every device thread started, the API thread serving) the
 * test reads every task of the jailed vireo (PID 1 of its namespace: the
 * child of the vireo it started) and of that parent; then vsock data goes
 * both ways, the guest's through DIR's PATH_6000, and the guest powers
 * off, which must end vireo with status 0.
 *
 * The image is root's, mode 0600: only a vireo that opened it before the
 * drop can write it. `Seccomp: 2` holds once the seccomp filters are in;
 * it is asserted last so the rest shows on its own.
 *
 * Error paths need no guest: each is one line and exit status 2.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "net_peer.h"

#define SB_TIMEOUT 900
#define SB_ID "65534"
#define SB_KIB 16
#define SB_MAX_TASKS 64

static struct net_peer sb_net;

static struct {
	char dir[64], img[96], vsock[96], api[96];
	int g2h_lfd;
	uint8_t h2g[SB_KIB << 10], g2h[SB_KIB << 10];
	size_t g2h_len;
	bool h2g_ok;
	pthread_t agent;
	bool agent_started;
	/* What the call at the guest's vsock line saw. */
	bool probed;
	int nr_tasks;
	char tasks[SB_MAX_TASKS][512]; /* the status fields, one task each */
	char parent[512];
	bool root_is_dir, host_root_hidden;
	char api_reply[256];
} sb;

static int sb_unix(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (listening
		? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)
		: connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The host agent: host -> guest port 5000 (retried until the guest's
 * vsock-nc listens and vireo answers OK), then what the guest sends to
 * host port 6000, which vireo connects to from inside the jail.
 */
static void *sb_agent(void *arg)
{
	time_t deadline = time(NULL) + SB_TIMEOUT;
	char line[64];
	ssize_t n;
	int fd;

	(void)arg;
	/* The guest waits in vsock-nc -l until this connects: the probe
	 * sees a guest that is still running. */
	while (!__atomic_load_n(&sb.probed, __ATOMIC_ACQUIRE) &&
	       time(NULL) < deadline)
		usleep(100000);
	while (!sb.h2g_ok && time(NULL) < deadline) {
		fd = sb_unix(sb.vsock, false);
		if (fd >= 0 && write(fd, "CONNECT 5000\n", 13) == 13 &&
		    (n = read(fd, line, sizeof(line) - 1)) > 0 &&
		    !strncmp(line, "OK ", 3))
			sb.h2g_ok = write(fd, sb.h2g, sizeof(sb.h2g)) ==
				    (ssize_t)sizeof(sb.h2g);
		if (fd >= 0)
			close(fd);
		if (!sb.h2g_ok)
			usleep(200000);
	}
	fd = accept(sb.g2h_lfd, NULL, NULL);
	while (fd >= 0 && sb.g2h_len < sizeof(sb.g2h) &&
	       (n = read(fd, sb.g2h + sb.g2h_len,
			 sizeof(sb.g2h) - sb.g2h_len)) > 0)
		sb.g2h_len += (size_t)n;
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void sb_setup(void)
{
	char path[128];
	FILE *f;

	cr_assert_eq(geteuid(), 0,
		     "sandbox tests need root (namespaces, tap, setuid)");
	require_guest();
	memset(&sb, 0, sizeof(sb));
	sb.g2h_lfd = -1;
	snprintf(sb.dir, sizeof(sb.dir), "/tmp/vireo-jail-XXXXXX");
	cr_assert_not_null(mkdtemp(sb.dir));
	chmod(sb.dir, 0755);
	snprintf(sb.img, sizeof(sb.img), "%s.img", sb.dir);
	snprintf(sb.vsock, sizeof(sb.vsock), "%s/v.sock", sb.dir);
	snprintf(sb.api, sizeof(sb.api), "%s.api", sb.dir);
	f = fopen(sb.img, "w");
	cr_assert_not_null(f);
	cr_assert_eq(ftruncate(fileno(f), 8 << 20), 0);
	fclose(f);
	chmod(sb.img, 0600);
	/* The jailed vireo (uid 65534) connects here: it must be allowed. */
	snprintf(path, sizeof(path), "%s_6000", sb.vsock);
	sb.g2h_lfd = sb_unix(path, true);
	cr_assert_geq(sb.g2h_lfd, 0, "%s: %s", path, strerror(errno));
	chmod(path, 0666);
	for (size_t i = 0; i < sizeof(sb.h2g); i++)
		sb.h2g[i] = (uint8_t)(i * 7 + (i >> 9));
}

static void sb_teardown(void)
{
	char cmd[256];

	if (sb.agent_started) {
		pthread_cancel(sb.agent);
		pthread_join(sb.agent, NULL);
	}
	if (sb.g2h_lfd >= 0)
		close(sb.g2h_lfd);
	net_peer_teardown(&sb_net);
	if (sb.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s %s.img %s.api", sb.dir,
			 sb.dir, sb.dir);
		if (system(cmd) != 0)
			cr_log_info("cannot remove %s", sb.dir);
	}
}

TestSuite(sandbox, .init = sb_setup, .fini = sb_teardown);

/* The vireo this test started: the child of the harness's fork. */
static pid_t sb_child_of(pid_t ppid, const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	while (d && (de = readdir(d)) && !found) {
		char path[300], name[32];
		int pid, pp;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%d (%31[^)]) %*c %d", &pid, name, &pp) == 3 &&
		    pp == ppid && !strcmp(name, comm))
			found = pid;
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* The fields this test checks, from a status file, on one line. */
static void sb_status(const char *path, char *out, size_t len)
{
	static const char *const keys[] = { "Name:",	   "Uid:",    "Gid:",
					    "Groups:",	   "CapInh:", "CapPrm:",
					    "CapEff:",	   "CapBnd:", "CapAmb:",
					    "NoNewPrivs:", "Seccomp:" };
	char line[256];
	size_t n = 0, i;
	FILE *f = fopen(path, "r");

	out[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])) &&
			    n < len) {
				size_t end = strcspn(line, "\n");

				while (end && (line[end - 1] == ' ' ||
					       line[end - 1] == '\n'))
					end--;
				line[end] = 0;
				n += (size_t)snprintf(out + n, len - n, "%s|",
						      line);
			}
	if (f)
		fclose(f);
}

static void sb_api_get(void)
{
	int fd = sb_unix(sb.api, false);
	ssize_t n;

	if (fd < 0)
		return;
	if (write(fd, "GET /vm HTTP/1.1\r\nHost: x\r\n\r\n", 29) == 29 &&
	    (n = read(fd, sb.api_reply, sizeof(sb.api_reply) - 1)) > 0)
		sb.api_reply[n] = 0;
	close(fd);
}

/* Runs in the test process while the guest waits in its vsock check. */
static void sb_probe(void)
{
	pid_t parent = sb_child_of(getpid(), "vireo");
	char path[320], children[64] = "";
	struct stat in, dir;
	DIR *d;
	struct dirent *de;
	FILE *f;
	int child = 0;

	if (!parent) {
		__atomic_store_n(&sb.probed, true, __ATOMIC_RELEASE);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", parent);
	sb_status(path, sb.parent, sizeof(sb.parent));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", parent,
		 parent);
	f = fopen(path, "r");
	if (f && fgets(children, sizeof(children), f))
		child = atoi(children);
	if (f)
		fclose(f);
	if (!child) {
		__atomic_store_n(&sb.probed, true, __ATOMIC_RELEASE);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", child);
	d = opendir(path);
	while (d && (de = readdir(d)) && sb.nr_tasks < SB_MAX_TASKS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", child,
			 de->d_name);
		sb_status(path, sb.tasks[sb.nr_tasks],
			  sizeof(sb.tasks[sb.nr_tasks]));
		sb.nr_tasks++;
	}
	if (d)
		closedir(d);
	/* readlink shows "/" from another mount namespace: compare inodes. */
	snprintf(path, sizeof(path), "/proc/%d/root/", child);
	sb.root_is_dir = stat(path, &in) == 0 && stat(sb.dir, &dir) == 0 &&
			 in.st_dev == dir.st_dev && in.st_ino == dir.st_ino;
	snprintf(path, sizeof(path), "/proc/%d/root/etc", child);
	sb.host_root_hidden = access(path, F_OK) < 0 && errno == ENOENT;
	sb_api_get();
	__atomic_store_n(&sb.probed, true, __ATOMIC_RELEASE);
}

/* "Key:\tvalue|" in a status line, the value compared whole. */
static bool sb_field(const char *status, const char *key, const char *want)
{
	char pat[96];

	snprintf(pat, sizeof(pat), "%s:\t%s|", key, want);
	return strstr(status, pat) != NULL;
}

Test(sandbox, uid_gid_jail_every_device_every_thread,
     .timeout = SB_TIMEOUT + 60)
{
	static const struct vm_action probe = {
		.when = "VIREO-CHECK net ping sent=", .call = sb_probe
	};
	char disk[160], vsock[160], cmdline[512], v[128], sha[65];
	const char *argv[40];
	struct vm_result r;
	int n, i;

	net_peer_ns_enter(&sb_net, "vireo-sandbox");
	cr_assert_eq(pthread_create(&sb.agent, NULL, sb_agent, NULL), 0);
	sb.agent_started = true;
	snprintf(disk, sizeof(disk), "%s,serial=scratch0", sb.img);
	snprintf(vsock, sizeof(vsock), "cid=7,uds=%s", sb.vsock);
	snprintf(cmdline, sizeof(cmdline),
		 "console=hvc0 vireo.check=blk,rng,net,vsock,poweroff "
		 "vireo.net=10.0.2.15/24,10.0.2.1 vireo.vsock.kib=%d "
		 "vireo.vsock.only=xfer",
		 SB_KIB);
	n = micro_argv(argv);
	argv[n++] = "--console";
	argv[n++] = "virtio";
	argv[n++] = "--rng";
	argv[n++] = "--disk";
	argv[n++] = disk;
	argv[n++] = "--net";
	argv[n++] = "tap=vt0";
	argv[n++] = "--vsock";
	argv[n++] = vsock;
	argv[n++] = "--api-socket";
	argv[n++] = sb.api;
	argv[n++] = "--uid";
	argv[n++] = SB_ID;
	argv[n++] = "--gid";
	argv[n++] = SB_ID;
	argv[n++] = "--jail";
	argv[n++] = sb.dir;
	argv[n++] = "--cmdline";
	argv[n++] = guest_cmdline(cmdline);
	argv[n] = NULL;
	vm_run_actions(argv, &probe, 1, SB_TIMEOUT, &r);
	cr_log_info("userspace after %.1f s, exit after %.1f s", r.t_userspace,
		    r.t_total);
	cr_assert(!r.timed_out, "guest timed out:\n%s", output_tail(&r));
	cr_assert_eq(r.status, 0, "exit status %d:\n%s", r.status,
		     output_tail(&r));

	/* The guest worked: every line below came through hvc0. */
	cr_assert_not_null(strstr(r.output, "write_verify=ok"),
			   "blk write to the root-only image failed:\n%s",
			   output_tail(&r));
	cr_assert_not_null(strstr(r.output, "VIREO-CHECK rng result=pass"),
			   "%s", output_tail(&r));
	cr_assert_not_null(strstr(r.output, "VIREO-CHECK net ping sent="),
			   "no ping through the tap:\n%s", output_tail(&r));
	cr_assert_not_null(strstr(r.output, "VIREO-CHECK vsock result=pass"),
			   "%s", output_tail(&r));
	sha256_hex(sb.h2g, sizeof(sb.h2g), sha);
	cr_assert_str_eq(check_value(&r, "vsock", "h2g_sha256", v, sizeof(v)),
			 sha, "host->guest vsock data differs");
	cr_assert_eq(sb.g2h_len, (size_t)SB_KIB << 10,
		     "guest->host through the jail's PATH_6000: %zu bytes",
		     sb.g2h_len);
	sha256_hex(sb.g2h, sb.g2h_len, sha);
	cr_assert_str_eq(check_value(&r, "vsock", "g2h_sha256", v, sizeof(v)),
			 sha, "guest->host vsock data differs");
	cr_assert_not_null(strstr(r.output, "VIREO-CHECK poweroff result=pass"),
			   "%s", output_tail(&r));

	/* The process, read while every device thread existed. */
	cr_assert(sb.probed, "the guest never reached its vsock check");
	cr_assert_not_null(strstr(sb.api_reply, "\"Running\""),
			   "API after the drop: '%s'", sb.api_reply);
	cr_assert(sb_field(sb.parent, "NoNewPrivs", "1"), "parent: %s",
		  sb.parent);
	cr_assert(sb_field(sb.parent, "Seccomp", "2"), "parent: %s", sb.parent);
	cr_assert_geq(sb.nr_tasks, 5, "only %d tasks (vCPU, API, devices?)",
		      sb.nr_tasks);
	for (i = 0; i < sb.nr_tasks; i++) {
		const char *t = sb.tasks[i];

		cr_log_info("task %d: %s", i, t);
		cr_assert(
		    sb_field(t, "Uid", SB_ID "\t" SB_ID "\t" SB_ID "\t" SB_ID),
		    "%s", t);
		cr_assert(
		    sb_field(t, "Gid", SB_ID "\t" SB_ID "\t" SB_ID "\t" SB_ID),
		    "%s", t);
		cr_assert(sb_field(t, "Groups", ""), "%s", t);
		cr_assert(sb_field(t, "NoNewPrivs", "1"), "%s", t);
		cr_assert(sb_field(t, "CapEff", "0000000000000000"), "%s", t);
		cr_assert(sb_field(t, "CapPrm", "0000000000000000"), "%s", t);
		cr_assert(sb_field(t, "CapInh", "0000000000000000"), "%s", t);
		cr_assert(sb_field(t, "CapBnd", "0000000000000000"), "%s", t);
		cr_assert(sb_field(t, "CapAmb", "0000000000000000"), "%s", t);
	}
	cr_assert(sb.root_is_dir, "the jailed vireo's root is not %s", sb.dir);
	cr_assert(sb.host_root_hidden, "the host's /etc is visible");
	/* The seccomp branch's filters: every thread in filter mode. */
	for (i = 0; i < sb.nr_tasks; i++)
		cr_assert(sb_field(sb.tasks[i], "Seccomp", "2"), "%s",
			  sb.tasks[i]);
	vm_result_free(&r);
}

/* One line naming the problem, status 2, no guest. */
static void sb_expect_error(const char *const *opts, const char *want)
{
	const char *argv[24];
	struct vm_result r;
	const char *line;
	int n = 0;

	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = GUEST_OUT "/micro/vmlinux";
	while (*opts)
		argv[n++] = *opts++;
	argv[n] = NULL;
	vm_run(argv, 60, &r);
	cr_assert_eq(r.status, 2, "exit status %d:\n%s", r.status, r.output);
	line = strstr(r.output, "vireo: ");
	cr_assert_not_null(line, "%s", r.output);
	cr_assert_not_null(strstr(line, want), "want '%s': %s", want, r.output);
	cr_assert_eq(strchr(line, '\n'), r.output + strlen(r.output) - 1,
		     "more than one line:\n%s", r.output);
	vm_result_free(&r);
}

Test(sandbox, bad_jail_and_ids_exit_2_with_one_line, .timeout = 120)
{
	char file[96], outside[160];
	const char *missing[] = { "--jail", "/nonexistent/jail", NULL };
	const char *not_dir[] = { "--jail", file, NULL };
	const char *half[] = { "--uid", SB_ID, NULL };
	const char *name[] = { "--uid", "nobody", "--gid", SB_ID, NULL };
	const char *root[] = { "--uid", "0", "--gid", "0", NULL };
	const char *vsock[] = { "--jail", sb.dir, "--vsock", outside, NULL };
	const char *nofile[] = { "--rlimit", "nofile=8", NULL };
	FILE *f;

	snprintf(file, sizeof(file), "%s.img", sb.dir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	snprintf(outside, sizeof(outside), "cid=7,uds=%s.vs", sb.dir);
	sb_expect_error(missing, "No such file or directory");
	sb_expect_error(not_dir, "not a directory");
	sb_expect_error(half, "--uid and --gid must be given together");
	sb_expect_error(name, "expected a numeric id");
	sb_expect_error(root, "expected a numeric id");
	sb_expect_error(vsock, "must be inside");
	sb_expect_error(nofile, "needs at least");
}

Test(sandbox, jail_without_root_exits_2_with_one_line, .timeout = 60)
{
	char args[128];

	/* Root without CAP_SYS_ADMIN cannot make namespaces. */
	snprintf(args, sizeof(args), "--jail %s", sb.dir);
	vm_expect_error_without_cap("sys_admin", args, "CAP_SYS_ADMIN");
}

#define HOSTILE_ELF "build/hostile.elf"

static void sb_api_stop(void)
{
	static const char req[] = "PUT /actions HTTP/1.1\r\nHost: x\r\n"
				  "Content-Length: 17\r\n\r\n"
				  "{\"action\":\"stop\"}";
	int fd = sb_unix(sb.api, false);
	ssize_t n;

	if (fd < 0)
		return;
	if (write(fd, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1 &&
	    (n = read(fd, sb.api_reply, sizeof(sb.api_reply) - 1)) > 0)
		sb.api_reply[n] = 0;
	close(fd);
}

/*
 * The jailed vireo is PID 1 of its namespace, which drops signals it has
 * no handler for: SIGTERM to the vireo the user started and an API stop
 * must still end it, with the child's status. The idle hostile guest
 * needs no boot time.
 */
Test(sandbox, jailed_vireo_stops_on_sigterm_and_api, .timeout = 180)
{
	static const struct vm_action stop = { .when = "HOSTILE-START",
					       .call = sb_api_stop };
	const char *argv[] = { "run",
			       "--kernel",
			       HOSTILE_ELF,
			       "--api-socket",
			       sb.api,
			       "--uid",
			       SB_ID,
			       "--gid",
			       SB_ID,
			       "--jail",
			       sb.dir,
			       "--cmdline",
			       "console=ttyS0 hostile=none hostile.idle=600000",
			       NULL };
	struct vm_result r;

	cr_assert_eq(access(HOSTILE_ELF, R_OK), 0,
		     "%s missing: make build/hostile.elf", HOSTILE_ELF);
	vm_run_signal_after(argv, "HOSTILE-START", SIGTERM, 120, &r);
	cr_assert_eq(r.status, 128 + SIGTERM, "status %d:\n%s", r.status,
		     output_tail(&r));
	cr_assert_not_null(strstr(r.output, "stopped by signal"), "%s",
			   output_tail(&r));
	vm_result_free(&r);
	vm_run_actions(argv, &stop, 1, 120, &r);
	cr_assert_eq(r.status, 0, "status %d:\n%s", r.status, output_tail(&r));
	cr_assert_not_null(strstr(sb.api_reply, "HTTP/1.1 2"), "API: '%s'",
			   sb.api_reply);
	vm_result_free(&r);
}
