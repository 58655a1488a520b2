// SPDX-License-Identifier: MIT
/*
 * The hostile guest (tests/hostile, build/hostile.elf) attacks every
 * guest-facing surface of vireo on each transport; no Linux boot, a few
 * seconds per run. The host side checks what the guest cannot: vireo exits
 * 0 on the guest's reset (no crash, no hang), its stderr stays short, its
 * CPU time stays within what one busy vCPU explains, and the guest's own
 * verdict (HOSTILE-END) has no failures but the known ones below. Each
 * transport runs on the plain build and, when present, the ASan/UBSan one.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE_ELF "build/hostile.elf"
#define HOSTILE_TIMEOUT 240
#define MAX_STDERR_LINES 100
#define MIN_SCENARIOS 40
#define OUT_MAX (4u << 20)

/*
 * Scenarios failing because of vireo defects being fixed now; a listed one
 * that fails is reported, not fatal. Remove each once its fix is merged.
 */
/* Scenarios that fail because of a known, open vireo defect (none now). */
static const char *const expected_failures[] = {
	NULL,
};

/*
 * The guest's protocol lines reach stdout through the 8250, which ends each
 * with "\r\n"; stdout also carries whatever the guest sends through the
 * virtio console, and an attack on its transmit queue may send hundreds of
 * MiB of guest memory, NUL bytes, stray newlines and this guest's own format
 * strings included (a descriptor at guest address 0 with a random length).
 * So stdout is scanned as a byte stream: a protocol line is the text from
 * the last "HOSTILE" of a line to its "\r\n" (console bytes may precede it
 * on the same line; console bytes never hold a '\r' the guest formatted,
 * as only its serial output adds one), and only a bounded tail of the rest
 * is kept, sanitised, for failure messages.
 */
#define LINE_MAX_KEEP 1024
#define TAIL_KEEP 2048

struct hrun {
	int status; /* exit status, 128+sig if killed, -1 on timeout */
	char *out; /* protocol lines, '\n'-terminated */
	char *err;
	size_t out_len, err_len, out_bytes;
	char line[LINE_MAX_KEEP];
	size_t line_len;
	char tail[TAIL_KEEP + 1]; /* last stdout bytes, printable */
	size_t tail_len;
	double wall, cpu;
	/* CPU and wall time between HOSTILE-START and -END; -1: unseen. */
	double guest_cpu, guest_wall, guest_cpu0, guest_t0;
	/* CPU and wall time between HOSTILE-IDLE-START and -END; -1: unseen. */
	double idle_cpu, idle_wall, idle_cpu0, idle_t0;
	/* Counts runs in their idle phase: the injector pauses meanwhile. */
	volatile int *idling;
	/* The running vireo. */
	pid_t pid;
	int fd[2]; /* stdout, stderr; -1 once at EOF */
	double t0;
};

/* utime + stime of every thread of pid, in seconds. */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* Fields after the command name, which may hold spaces: 14 and 15. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	if (*len + n + 1 > OUT_MAX)
		n = *len + 1 < OUT_MAX ? OUT_MAX - *len - 1 : 0;
	*buf = realloc(*buf, *len + n + 1);
	cr_assert(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = 0;
}

/* CPU and wall time of vireo between two protocol lines (phase markers). */
static void phase_line(struct hrun *r, const char *l, const char *start,
		       const char *end, double *cpu0, double *t0, double *cpu,
		       double *wall)
{
	if (*cpu0 < 0 && !strncmp(l, start, strlen(start))) {
		*cpu0 = proc_cpu(r->pid);
		*t0 = now();
	} else if (*cpu0 >= 0 && *cpu < 0 && !strncmp(l, end, strlen(end))) {
		*cpu = proc_cpu(r->pid) - *cpu0;
		*wall = now() - *t0;
	}
}

/* The line ended by '\n' (line[0..len), '\n' excluded): keep its
 * protocol line, if any. Returns it, or NULL. */
static const char *end_line(struct hrun *r)
{
	size_t i, len = r->line_len, start;

	r->line_len = 0;
	if (len < 8 || r->line[len - 1] != '\r')
		return NULL;
	for (start = len - 7;; start--) {
		if (!memcmp(r->line + start, "HOSTILE", 7))
			break;
		if (!start)
			return NULL;
	}
	for (i = start; i < len - 1; i++)
		if (r->line[i] < 0x20 || r->line[i] > 0x7e)
			return NULL;
	r->line[len - 1] = '\n';
	append(&r->out, &r->out_len, r->line + start, len - start);
	return r->out + r->out_len - (len - start);
}

static void scan_stdout(struct hrun *r, const char *buf, size_t n)
{
	size_t i;

	r->out_bytes += n;
	for (i = 0; i < n; i++) {
		char c = buf[i];
		const char *l;

		if (c != '\r') {
			if (r->tail_len == TAIL_KEEP) {
				memmove(r->tail, r->tail + TAIL_KEEP / 2,
					TAIL_KEEP / 2);
				r->tail_len = TAIL_KEEP / 2;
			}
			r->tail[r->tail_len++] =
			    c == '\n' || (c >= 0x20 && c <= 0x7e) ? c : '.';
			r->tail[r->tail_len] = 0;
		}
		if (c != '\n') {
			/* A long line keeps its end, where a protocol line is.
			 */
			if (r->line_len == LINE_MAX_KEEP) {
				memmove(r->line, r->line + LINE_MAX_KEEP / 2,
					LINE_MAX_KEEP / 2);
				r->line_len = LINE_MAX_KEEP / 2;
			}
			r->line[r->line_len++] = c;
			continue;
		}
		l = end_line(r);
		if (!l)
			continue;
		phase_line(r, l, "HOSTILE-START", "HOSTILE-END", &r->guest_cpu0,
			   &r->guest_t0, &r->guest_cpu, &r->guest_wall);
		phase_line(r, l, "HOSTILE-IDLE-START", "HOSTILE-IDLE-END",
			   &r->idle_cpu0, &r->idle_t0, &r->idle_cpu,
			   &r->idle_wall);
		if (r->idling && !strncmp(l, "HOSTILE-IDLE-", 13))
			__atomic_add_fetch(r->idling, l[13] == 'S' ? 1 : -1,
					   __ATOMIC_SEQ_CST);
	}
}

/* The last n bytes of s, from a line start where there is one. */
static const char *last_of(const char *s, size_t n)
{
	size_t len = strlen(s);
	const char *p;

	if (len <= n)
		return s;
	p = strchr(s + len - n, '\n');
	return p ? p + 1 : s + len - n;
}

/* Starts vireo with stdout and stderr apart. */
static void hrun_start(const char *vireo, const char *const *args,
		       volatile int *idling, struct hrun *r)
{
	int op[2], ep[2];

	memset(r, 0, sizeof(*r));
	r->idling = idling;
	r->guest_cpu = r->guest_wall = r->guest_cpu0 = -1;
	r->idle_cpu = r->idle_wall = r->idle_cpu0 = -1;
	append(&r->out, &r->out_len, "", 0);
	append(&r->err, &r->err_len, "", 0);
	cr_assert(pipe2(op, O_CLOEXEC) == 0 && pipe2(ep, O_CLOEXEC) == 0);
	r->t0 = now();
	r->pid = fork();
	cr_assert(r->pid >= 0);
	if (r->pid == 0) {
		const char *argv[48];
		int i, in = open("/dev/null", O_RDONLY);

		argv[0] = vireo;
		for (i = 0; args[i] && i < 46; i++)
			argv[i + 1] = args[i];
		argv[i + 1] = NULL;
		dup2(in, 0);
		dup2(op[1], 1);
		dup2(ep[1], 2);
		execv(vireo, (char *const *)argv);
		_exit(127);
	}
	close(op[1]);
	close(ep[1]);
	r->fd[0] = op[0];
	r->fd[1] = ep[0];
}

static void hrun_reap(struct hrun *r)
{
	struct rusage ru;
	int st = 0;

	if (r->fd[0] >= 0)
		close(r->fd[0]);
	if (r->fd[1] >= 0)
		close(r->fd[1]);
	r->fd[0] = r->fd[1] = -1;
	cr_assert(wait4(r->pid, &st, 0, &ru) == r->pid);
	r->wall = now() - r->t0;
	r->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (r->status != -1)
		r->status =
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Collects the output of n vireo runs at once (they run side by side: the
 * guest waits on the device much of the time) until each has closed both
 * pipes, or HOSTILE_TIMEOUT has passed (then it is killed: a hang).
 */
static void hrun_wait(struct hrun *rs, unsigned int n)
{
	static char buf[65536];
	unsigned int live = n, i, k;

	while (live) {
		struct pollfd p[8];
		struct hrun *owner[8];
		unsigned int np = 0;
		double left = HOSTILE_TIMEOUT;

		for (i = 0; i < n; i++) {
			double l = HOSTILE_TIMEOUT - (now() - rs[i].t0);

			if (rs[i].fd[0] < 0 && rs[i].fd[1] < 0)
				continue;
			if (l <= 0) {
				kill(rs[i].pid, SIGKILL);
				rs[i].status = -1;
				hrun_reap(&rs[i]);
				live--;
				continue;
			}
			left = l < left ? l : left;
			for (k = 0; k < 2; k++)
				if (rs[i].fd[k] >= 0 && np < 8) {
					p[np] = (struct pollfd){ rs[i].fd[k],
								 POLLIN, 0 };
					owner[np++] = &rs[i];
				}
		}
		if (!np)
			break;
		if (poll(p, np, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < np; i++) {
			struct hrun *r = owner[i];
			bool is_out = p[i].fd == r->fd[0];
			ssize_t got;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(p[i].fd, buf, sizeof(buf));
			if (got <= 0) {
				close(p[i].fd);
				r->fd[is_out ? 0 : 1] = -1;
				if (r->fd[0] < 0 && r->fd[1] < 0) {
					hrun_reap(r);
					live--;
				}
				continue;
			}
			if (is_out)
				scan_stdout(r, buf, (size_t)got);
			else
				append(&r->err, &r->err_len, buf, (size_t)got);
		}
	}
}

static bool expected_failure(const char *name, size_t len)
{
	size_t i;

	for (i = 0;
	     i < sizeof(expected_failures) / sizeof(expected_failures[0]); i++)
		if (expected_failures[i] &&
		    strlen(expected_failures[i]) == len &&
		    !strncmp(expected_failures[i], name, len))
			return true;
	return false;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A temporary 1 MiB disk with a known first sector. */
static void make_disk(char *path, size_t size)
{
	char sector[512];
	int fd;

	snprintf(path, size, "/tmp/vireo-hostile-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	memset(sector, 0xa5, sizeof(sector));
	cr_assert(write(fd, sector, sizeof(sector)) == (ssize_t)sizeof(sector));
	cr_assert(ftruncate(fd, 1 << 20) == 0);
	close(fd);
}

static const char *asan_vireo(void)
{
	const char *p = getenv("VIREO_ASAN");

	if (p && *p)
		return p;
	return access("build/asan/vireo", X_OK) == 0 ? "build/asan/vireo"
						     : NULL;
}

/*
 * What a failure message ends with, so CI output alone says why: the last
 * protocol lines, the last stdout bytes and stderr.
 */
static char *context(const struct hrun *r)
{
	char *s = NULL;

	if (asprintf(
		&s,
		"--- last protocol lines:\n%s--- last stdout bytes (%zu in "
		"all, non-printable shown as '.'):\n%s\n--- stderr (%u "
		"lines), last:\n%s",
		last_of(r->out, 3000), r->out_bytes, r->tail,
		count_lines(r->err), last_of(r->err, 2000)) < 0)
		return NULL;
	return s;
}

/* Logs the slowest scenarios and their total: where a run's time goes. */
static void log_slowest(const char *out)
{
	struct {
		unsigned long ms;
		char name[48];
	} top[5] = { { 0, "" } };
	unsigned long total = 0;
	const char *p;
	char line[256] = "";
	size_t i, j;

	for (p = out; (p = strstr(p, "HOSTILE ")); p++) {
		char name[48], dev[48];
		unsigned long ms;

		if (sscanf(p, "HOSTILE %47s %*s %47s ms=%lu", name, dev, &ms) !=
		    3)
			continue;
		total += ms;
		for (i = 0; i < 5 && top[i].ms >= ms; i++)
			;
		if (i == 5)
			continue;
		memmove(&top[i + 1], &top[i], (4 - i) * sizeof(top[0]));
		top[i].ms = ms;
		snprintf(top[i].name, sizeof(top[i].name), "%s", name);
	}
	for (i = 0, j = 0; i < 5 && top[i].ms; i++)
		j += (size_t)snprintf(line + j, sizeof(line) - j, " %s %lu,",
				      top[i].name, top[i].ms);
	cr_log_info("scenarios: %lu ms in all; slowest (ms):%s", total, line);
}

/* Console bytes vireo copies are work, not spinning: 1 s per 100 MiB. */
#define CPU_PER_STDOUT_BYTE (1.0 / (100u << 20))

static void check_run(struct hrun *r, const char *transport,
		      const char *cmdline, unsigned int min_scenarios)
{
	unsigned int pass = 0, fail = 0, unexpected = 0, known = 0;
	char *why = context(r);
	const char *p, *end = NULL;
	double cpu_budget;

	for (p = r->out; (p = strstr(p, "HOSTILE ")); p++) {
		const char *name = p + 8, *sp = strchr(name, ' ');

		if (!sp)
			break;
		if (!strncmp(sp, " fail", 5)) {
			const char *eol = strchr(sp, '\n');
			int len = eol ? (int)(eol - p) : (int)strlen(p);

			if (expected_failure(name, (size_t)(sp - name))) {
				known++;
				cr_log_warn("known defect: %.*s", len, p);
			} else {
				unexpected++;
				cr_log_error("%.*s", len, p);
			}
		}
	}
	log_slowest(r->out);
	cr_assert(r->status != -1, "vireo hung (killed after %d s)\n%s",
		  HOSTILE_TIMEOUT, why);
	cr_assert(r->status == 0, "vireo exited %d\n%s", r->status, why);
	for (p = r->out; (p = strstr(p, "HOSTILE-END ")); p++)
		end = p;
	cr_assert(end && sscanf(end, "HOSTILE-END pass=%u fail=%u", &pass,
				&fail) == 2,
		  "no HOSTILE-END line: the guest did not finish\n%s", why);
	cr_assert(!strstr(r->out, "HOSTILE-EXCEPTION"), "the guest faulted\n%s",
		  why);
	cr_assert(pass + fail >= min_scenarios,
		  "only %u scenarios ran on %s (at least %u expected)\n%s",
		  pass + fail, transport, min_scenarios, why);
	cr_assert(fail == known + unexpected,
		  "HOSTILE-END fail=%u but %u fail lines\n%s", fail,
		  known + unexpected, why);
	cr_assert(unexpected == 0, "%u scenarios failed on %s\n%s", unexpected,
		  transport, why);
	cr_assert(count_lines(r->err) < MAX_STDERR_LINES,
		  "%u stderr lines: vireo floods its log\n%s",
		  count_lines(r->err), why);
	/*
	 * CPU per second of the guest's own run (HOSTILE-START to -END, so
	 * neither vireo's start nor a loaded machine's slow exit counts): the
	 * first vCPU is busy all along, the second now and then; a device
	 * thread spinning on a bad ring would add about one more.
	 */
	cr_assert(r->guest_cpu >= 0, "no HOSTILE-START/-END pair seen\n%s",
		  why);
	cpu_budget = 1.5 * r->guest_wall + 0.5 +
		     (double)r->out_bytes * CPU_PER_STDOUT_BYTE;
	cr_log_info("guest run: %.2f s CPU over %.2f s (budget %.2f s)",
		    r->guest_cpu, r->guest_wall, cpu_budget);
	cr_assert(r->guest_cpu < cpu_budget,
		  "vireo used %.2f s CPU while the guest ran %.2f s (budget "
		  "%.2f s): something spins\n%s",
		  r->guest_cpu, r->guest_wall, cpu_budget, why);
	if (strstr(cmdline, "hostile.idle=")) {
		cr_assert(r->idle_cpu >= 0, "no idle phase seen\n%s", why);
		cr_log_info("idle: %.2f s CPU over %.2f s", r->idle_cpu,
			    r->idle_wall);
		/* Halted guest, poisoned rings: vireo should sleep. */
		cr_assert(r->idle_cpu < 0.25 * r->idle_wall + 0.05,
			  "vireo used %.2f s CPU while the guest idled %.2f "
			  "s\n%s",
			  r->idle_cpu, r->idle_wall, why);
	}
	free(why);
}

/*
 * Taps vt0, vt1, ... in a network namespace of the test's own (as
 * test_virtio_net.c makes one; vireo, its child, inherits the namespace),
 * and a thread that keeps injecting frames into each, so the guest's
 * receive attacks meet real traffic.
 */
#define MAX_RUNS 2

struct netns {
	char name[64];
	bool made;
	unsigned int taps;
	pthread_t thread;
	bool thread_started;
	volatile bool stop;
	/*
	 * Runs in their idle phase: no frames then, as each would wake vireo
	 * and the idle check is about spinning, not about work.
	 */
	volatile int idling;
	unsigned long sent;
};

static void netns_sh(const char *fmt, const char *arg, unsigned int tap)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg, tap, arg, tap);
	cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

static void *inject(void *arg)
{
	static const unsigned int sizes[] = { 60, 1000, 1514, 200 };
	struct netns *ns = arg;
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_halen = 6 };
	unsigned char frame[1514];
	int ifindex[MAX_RUNS];
	unsigned int i, t;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	for (t = 0; t < ns->taps; t++) {
		char name[16];

		snprintf(name, sizeof(name), "vt%u", t);
		ifindex[t] = (int)if_nametoindex(name);
	}
	memset(frame, 0xff, 6); /* broadcast, from 02:00:00:00:00:01 */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
	for (i = 14; i < sizeof(frame); i++)
		frame[i] = (unsigned char)i;
	for (i = 0; fd >= 0 && !ns->stop; i++) {
		for (t = 0; t < ns->taps && !ns->idling; t++) {
			to.sll_ifindex = ifindex[t];
			/* Refused while vireo has no tap open: fine. */
			if (sendto(fd, frame, sizes[i % 4], 0,
				   (struct sockaddr *)&to, sizeof(to)) > 0)
				ns->sent++;
		}
		usleep(10000);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void netns_up(struct netns *ns, unsigned int taps)
{
	char path[128];
	unsigned int t;
	int fd;

	cr_assert_eq(geteuid(), 0,
		     "the hostile runs need root (network namespace, tap)");
	snprintf(ns->name, sizeof(ns->name), "vireo-hostile-%d", (int)getpid());
	snprintf(path, sizeof(path), "ip netns add %s", ns->name);
	cr_assert_eq(system(path), 0, "failed: %s", path);
	ns->made = true;
	for (t = 0; t < taps; t++)
		netns_sh("ip -n %s tuntap add dev vt%u mode tap && ip -n %s "
			 "link set vt%u up",
			 ns->name, t);
	ns->taps = taps;
	snprintf(path, sizeof(path), "/run/netns/%s", ns->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "cannot open %s", path);
	cr_assert_eq(setns(fd, CLONE_NEWNET), 0, "setns");
	close(fd);
	cr_assert_eq(pthread_create(&ns->thread, NULL, inject, ns), 0);
	ns->thread_started = true;
}

static void netns_down(struct netns *ns)
{
	char cmd[128];

	if (ns->thread_started) {
		ns->stop = true;
		pthread_join(ns->thread, NULL);
	}
	if (!ns->made)
		return;
	snprintf(cmd, sizeof(cmd), "ip netns del %s", ns->name);
	if (system(cmd) != 0)
		cr_log_warn("could not remove namespace %s", ns->name);
}

struct hcfg {
	const char *vireo;
	const char *transport;
	/* --virtio-transport DEV=T: devices on other transports. */
	const char *overrides[3];
	bool pvh, acpi;
	const char *cmdline;
	unsigned int min_scenarios;
};

/* One run's vireo arguments; strings it makes live in buf. */
static void guest_args(const struct hcfg *c, unsigned int tap, const char *disk,
		       char (*buf)[96], const char **args)
{
	unsigned int i;
	int n = 0;

	snprintf(buf[0], sizeof(buf[0]), "%s,serial=hostile", disk);
	snprintf(buf[1], sizeof(buf[1]), "tap=vt%u", tap);
	args[n++] = "run";
	args[n++] = "--kernel";
	args[n++] = HOSTILE_ELF;
	args[n++] = "--memory";
	args[n++] = "256M";
	args[n++] = "--cpus"; /* the second vCPU races the first */
	args[n++] = "2";
	args[n++] = "--rng";
	args[n++] = "--disk";
	args[n++] = buf[0];
	args[n++] = "--net";
	args[n++] = buf[1];
	args[n++] = "--console";
	args[n++] = "virtio";
	args[n++] = "--transport";
	args[n++] = c->transport;
	for (i = 0; i < 3 && c->overrides[i]; i++) {
		args[n++] = "--virtio-transport";
		args[n++] = c->overrides[i];
	}
	if (c->pvh)
		args[n++] = "--pvh";
	if (!c->acpi)
		args[n++] = "--no-acpi";
	args[n++] = "--cmdline";
	args[n++] = c->cmdline;
	args[n] = NULL;
}

/* n hostile runs side by side, each with its own disk and tap. */
static void run_guests(const struct hcfg *cs, unsigned int n)
{
	char disk[MAX_RUNS][64], buf[MAX_RUNS][2][96], label[160];
	const char *args[MAX_RUNS][40];
	struct hrun r[MAX_RUNS];
	struct netns ns = { 0 };
	unsigned int i;

	cr_assert(
	    access("/dev/kvm", R_OK | W_OK) == 0,
	    "/dev/kvm is missing or inaccessible: the hostile guest needs KVM");
	cr_assert(access(HOSTILE_ELF, R_OK) == 0,
		  HOSTILE_ELF " missing: run 'make'");
	cr_assert(n <= MAX_RUNS);
	netns_up(&ns, n);
	for (i = 0; i < n; i++) {
		cr_assert(access(cs[i].vireo, X_OK) == 0, "%s missing",
			  cs[i].vireo);
		make_disk(disk[i], sizeof(disk[i]));
		guest_args(&cs[i], i, disk[i], buf[i], args[i]);
		hrun_start(cs[i].vireo, args[i], &ns.idling, &r[i]);
	}
	hrun_wait(r, n);
	netns_down(&ns);
	for (i = 0; i < n; i++)
		unlink(disk[i]);
	cr_log_info("%lu frames injected", ns.sent);
	for (i = 0; i < n; i++) {
		const struct hcfg *c = &cs[i];

		snprintf(label, sizeof(label), "%s%s%s%s%s%s%s", c->transport,
			 c->overrides[0] ? " " : "",
			 c->overrides[0] ? c->overrides[0] : "",
			 c->overrides[1] ? " " : "",
			 c->overrides[1] ? c->overrides[1] : "",
			 c->pvh ? " pvh" : "", c->acpi ? "" : " no-acpi");
		cr_log_info("%s %s: %.2f s wall, %.2f s CPU, %u stderr lines, "
			    "%zu stdout bytes",
			    c->vireo, label, r[i].wall, r[i].cpu,
			    count_lines(r[i].err), r[i].out_bytes);
		check_run(&r[i], label, c->cmdline, c->min_scenarios);
	}
	for (i = 0; i < n; i++) {
		free(r[i].out);
		free(r[i].err);
	}
}

static const char *plain_vireo(void)
{
	const char *p = getenv("VIREO");

	return p && *p ? p : "build/vireo";
}

/*
 * Every scenario on every transport, two runs side by side per test; each
 * run also idles with poisoned rings and ends with a seeded chaos phase
 * bounded by rounds. The boot variants ride along: PVH entry on one PCI
 * and one MMIO run, devices found on the command line (no ACPI) on the
 * MMIO v1 run.
 */
#define ALL                                                                    \
	"console=ttyS0 hostile=all hostile.idle=200 hostile.blk_sectors=2048"
#define CHAOS(seed) " hostile.chaos=20,seed=" #seed ",rounds=40"

Test(hostile, pci_and_mmio, .timeout = HOSTILE_TIMEOUT + 30)
{
	const struct hcfg c[] = {
		{ .vireo = plain_vireo(),
		  .transport = "pci",
		  .acpi = true,
		  .cmdline = ALL CHAOS(1),
		  .min_scenarios = MIN_SCENARIOS },
		{ .vireo = plain_vireo(),
		  .transport = "mmio",
		  .acpi = true,
		  .cmdline = ALL CHAOS(2),
		  .min_scenarios = MIN_SCENARIOS },
	};

	run_guests(c, 2);
}

Test(hostile, legacy_pci_pvh_and_mmio_pvh_cmdline,
     .timeout = HOSTILE_TIMEOUT + 30)
{
	const struct hcfg c[] = {
		{ .vireo = plain_vireo(),
		  .transport = "pci-transitional",
		  .pvh = true,
		  .acpi = true,
		  .cmdline = ALL CHAOS(3),
		  .min_scenarios = MIN_SCENARIOS },
		{ .vireo = plain_vireo(),
		  .transport = "mmio-legacy",
		  .pvh = true,
		  .cmdline = ALL CHAOS(4),
		  .min_scenarios = MIN_SCENARIOS },
	};

	run_guests(c, 2);
}

/*
 * The ASan/UBSan build on two runs that reach every transport's code: the
 * rng and console on PCI, blk and net on MMIO, modern in one run and
 * legacy in the other; the guest runs the transport scenarios on each
 * transport present, the ring and device ones once.
 */
Test(hostile, asan, .timeout = HOSTILE_TIMEOUT + 30)
{
	const char *v = asan_vireo();
	struct hcfg c[] = {
		{ .transport = "pci",
		  .overrides = { "blk=mmio", "net=mmio" },
		  .acpi = true,
		  .cmdline = ALL,
		  .min_scenarios = MIN_SCENARIOS },
		{ .transport = "pci-transitional",
		  .overrides = { "blk=mmio-legacy", "net=mmio-legacy" },
		  .acpi = true,
		  .cmdline = ALL,
		  .min_scenarios = MIN_SCENARIOS },
	};

	if (!v)
		cr_skip_test("no ASan build (build/asan/vireo or $VIREO_ASAN)");
	c[0].vireo = c[1].vireo = v;
	run_guests(c, 2);
}
