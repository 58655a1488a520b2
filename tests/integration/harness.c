// SPDX-License-Identifier: MIT
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *vireo_path(void)
{
	const char *p = getenv("VIREO");

	return p && *p ? p : "build/vireo";
}

bool pvm_host(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

void require_guest(void)
{
	/* Never pass silently: no KVM or no guest image is a failure. */
	cr_assert(
	    access("/dev/kvm", R_OK | W_OK) == 0,
	    "/dev/kvm is missing or inaccessible: integration tests need KVM");
	cr_assert(access(GUEST_OUT "/micro/vmlinux", R_OK) == 0 &&
		      access(GUEST_OUT "/initramfs.cpio", R_OK) == 0,
		  "guest image missing: run 'make guest'");
}

static void vm_exec(const char *const *argv, int in_fd, int out_fd)
{
	const char *args[64];
	int i;

	args[0] = vireo_path();
	for (i = 0; argv[i] && i < 62; i++)
		args[i + 1] = argv[i];
	args[i + 1] = NULL;
	if (in_fd < 0)
		in_fd = open("/dev/null", O_RDONLY);
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	execv(args[0], (char *const *)args);
	_exit(127);
}

/*
 * One run. With silent_s > 0, a VM that has printed nothing at all after
 * silent_s seconds is killed and reported through *silent.
 */
static void vm_run_once(const char *const *argv,
			const struct vm_action *actions, unsigned int nr,
			unsigned int timeout_s, unsigned int silent_s,
			bool *silent, struct vm_result *r)
{
	size_t len = 0, cap = 65536, search_from = 0;
	double start = now();
	int pipefd[2], inpipe[2] = { -1, -1 }, wstatus;
	unsigned int next = 0;
	bool probed = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->t_userspace = -1;
	r->output = calloc(1, cap);
	cr_assert(pipe(pipefd) == 0);
	if (nr)
		cr_assert(pipe(inpipe) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		if (inpipe[1] >= 0)
			close(inpipe[1]);
		vm_exec(argv, inpipe[0], pipefd[1]);
	}
	close(pipefd[1]);
	if (inpipe[0] >= 0)
		close(inpipe[0]);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		double left = timeout_s - (now() - start);
		ssize_t n;

		if (silent_s && len == 0 && now() - start >= silent_s) {
			*silent = true;
			kill(pid, SIGKILL);
			break;
		}
		if (silent_s && len == 0 && left > silent_s - (now() - start))
			left = silent_s - (now() - start) + 0.01;
		if (left <= 0 && !probed) {
			/*
			 * Before the kill: vireo's exit counters (SIGUSR2) tell
			 * a guest that spins or waits from one never run.
			 */
			kill(pid, SIGUSR2);
			probed = true;
			timeout_s += 2;
			continue;
		}
		if (left <= 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if (len + 4096 + 1 > cap) {
			cap *= 2;
			r->output = realloc(r->output, cap);
		}
		n = read(pipefd[0], r->output + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Guests may send binary data: keep the output one C string. */
		for (size_t i = len; i < len + (size_t)n; i++)
			if (r->output[i] == '\0')
				r->output[i] = ' ';
		len += (size_t)n;
		r->output[len] = '\0';
		if (r->t_userspace < 0 && strstr(r->output, "VIREO-USERSPACE"))
			r->t_userspace = now() - start;
		while (next < nr) {
			const char *hit =
			    strstr(r->output + search_from, actions[next].when);

			if (!hit)
				break;
			search_from = (size_t)(hit - r->output) +
				      strlen(actions[next].when);
			if (actions[next].signal)
				kill(pid, actions[next].signal);
			if (actions[next].call)
				actions[next].call();
			if (actions[next].input &&
			    write(inpipe[1], actions[next].input,
				  strlen(actions[next].input)) < 0)
				cr_log_info("cannot type into the guest");
			next++;
		}
	}
	close(pipefd[0]);
	if (inpipe[1] >= 0)
		close(inpipe[1]);
	waitpid(pid, &wstatus, 0);
	r->t_total = now() - start;
	if (r->timed_out)
		r->status = -1;
	else if (WIFEXITED(wstatus))
		r->status = WEXITSTATUS(wstatus);
	else
		r->status = 128 + WTERMSIG(wstatus);
}

/*
 * A retry is logged with the test's output and also appended, one line
 * "group<TAB>suite/test<TAB>why", to the file $VIREO_RETRY_LOG names:
 * the integration runner (tests/testhost/integration) counts them per
 * group and names the tests that needed one, so a pass that took a retry
 * never looks like a clean one.
 */
static void __attribute__((format(printf, 1, 2)))
note_retry(const char *fmt, ...)
{
	const char *path = getenv("VIREO_RETRY_LOG");
	const char *group = getenv("VIREO_RETRY_GROUP");
	char why[256];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	cr_log_info("%s", why);
	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f) {
		cr_log_warn("cannot append to %s: the retry goes uncounted",
			    path);
		return;
	}
	fprintf(f, "%s\t%s/%s\t%s\n", group && *group ? group : "-",
		criterion_current_suite->name, criterion_current_test->name,
		why);
	fclose(f);
}

/*
 * Under the TCG test host (tests/testhost/run sets VIREO_TESTHOST=1), a
 * nested guest now and then hangs before its first instruction's output,
 * with vireo and QEMU alike. That signature alone, nothing printed at all
 * for a minute where the first line normally comes within a second or two,
 * gets the run started again, at most twice and loudly; anything else,
 * including a guest that hangs after printing, is a result.
 */
#define TESTHOST_SILENT_S 60
#define TESTHOST_SILENT_RETRIES 2

/*
 * Timeouts are sized for kvm_pvm, where a guest boots ~6x slower than in
 * the test host. There a third of one (at least 120 s, still several
 * times any run's length) ends a nested guest that hung mid-run (the
 * emulated SVM's other failure: the L1 kernel loops in KVM) before a
 * quarter of an hour of CI is gone; the test still fails, and is retried
 * once like any other.
 */
#define TESTHOST_TIMEOUT_DIV 3
#define TESTHOST_TIMEOUT_MIN_S 120

static unsigned int testhost_timeout(unsigned int timeout_s)
{
	unsigned int t = timeout_s / TESTHOST_TIMEOUT_DIV;

	if (t < TESTHOST_TIMEOUT_MIN_S)
		t = TESTHOST_TIMEOUT_MIN_S;
	return t < timeout_s ? t : timeout_s;
}

void vm_run_actions(const char *const *argv, const struct vm_action *actions,
		    unsigned int nr, unsigned int timeout_s,
		    struct vm_result *r)
{
	bool testhost = getenv("VIREO_TESTHOST") != NULL;
	unsigned int i;

	if (testhost)
		timeout_s = testhost_timeout(timeout_s);
	for (i = 0;; i++) {
		bool silent = false;

		vm_run_once(argv, actions, nr, timeout_s,
			    testhost ? TESTHOST_SILENT_S : 0, &silent, r);
		if (!silent)
			return;
		if (i == TESTHOST_SILENT_RETRIES) {
			r->timed_out = true;
			r->status = -1;
			return;
		}
		note_retry("RETRY: the guest printed nothing in %u s (a "
			   "nested guest that hung at its start under the TCG "
			   "test host); running it again",
			   TESTHOST_SILENT_S);
		vm_result_free(r);
	}
}

void vm_run_signal_after(const char *const *argv, const char *line_prefix,
			 int sig, unsigned int timeout_s, struct vm_result *r)
{
	const struct vm_action a = { .when = line_prefix, .signal = sig };

	vm_run_actions(argv, &a, line_prefix ? 1 : 0, timeout_s, r);
}

void vm_run(const char *const *argv, unsigned int timeout_s,
	    struct vm_result *r)
{
	vm_run_actions(argv, NULL, 0, timeout_s, r);
}

void vm_result_free(struct vm_result *r)
{
	free(r->output);
	r->output = NULL;
}

int micro_argv(const char **argv)
{
	int n = 0;

	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = GUEST_OUT "/micro/vmlinux";
	argv[n++] = "--initrd";
	argv[n++] = GUEST_OUT "/initramfs.cpio";
	argv[n++] = "--memory";
	argv[n++] = "256M";
	return n;
}

const char *guest_cmdline(const char *extra)
{
	static char line[4096];
	FILE *p = popen("tests/guest-cmdline", "r");
	size_t n;

	cr_assert(p, "cannot run tests/guest-cmdline");
	n = fread(line, 1, sizeof(line) - 1, p);
	line[n] = '\0';
	cr_assert(pclose(p) == 0, "tests/guest-cmdline failed");
	while (n && (line[n - 1] == '\n'))
		line[--n] = '\0';
	snprintf(line + n, sizeof(line) - n, " %s", extra);
	return line;
}

const char *check_value(const struct vm_result *r, const char *name,
			const char *key, char *buf, unsigned int size)
{
	char prefix[128], k[64];
	const char *line, *p, *end;

	snprintf(prefix, sizeof(prefix), "VIREO-CHECK %s ", name);
	snprintf(k, sizeof(k), " %s=", key);
	for (line = strstr(r->output, prefix); line;
	     line = strstr(end, prefix)) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		p = strstr(line, k);
		if (p && p < end) {
			p += strlen(k);
			snprintf(buf, size, "%.*s", (int)strcspn(p, " \r\n"),
				 p);
			return buf;
		}
	}
	return NULL;
}

bool vm_self_check_passed(const struct vm_result *r)
{
	return !r->timed_out && r->status == 0 &&
	       strstr(r->output, "VIREO-CHECK-END pass=") &&
	       strstr(r->output, " fail=0");
}

/* Runs up to attempts times until ok() holds; each retry is logged. */
void vm_run_attempts(const char *const *argv, const struct vm_action *actions,
		     unsigned int nr, unsigned int timeout_s,
		     unsigned int attempts,
		     bool (*ok)(const struct vm_result *r), struct vm_result *r)
{
	unsigned int i;

	for (i = 1;; i++) {
		vm_run_actions(argv, actions, nr, timeout_s, r);
		if (ok(r) || i >= attempts)
			return;
		note_retry("RETRY attempt %u of %u: SMP guest did not "
			   "complete%s; retrying",
			   i, attempts,
			   pvm_host() ? " (known PVM guest issue)" : "");
		cr_log_info("Output tail of attempt %u:\n%s", i,
			    output_tail(r));
		vm_result_free(r);
	}
}

const char *output_tail(const struct vm_result *r)
{
	size_t len = r->output ? strlen(r->output) : 0;

	return len > 3000 ? r->output + len - 3000
			  : (r->output ? r->output : "");
}

void sha256_hex(const void *buf, size_t len, char out[65])
{
	char path[] = "/tmp/vireo-sha-XXXXXX", cmd[64];
	int fd = mkstemp(path);
	bool ok = fd >= 0 && write(fd, buf, len) == (ssize_t)len;
	FILE *f;

	out[0] = 0;
	if (fd >= 0)
		close(fd);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	f = ok ? popen(cmd, "r") : NULL;
	if (f && fscanf(f, "%64s", out) != 1)
		out[0] = 0;
	if (f)
		pclose(f);
	unlink(path);
}

void vm_expect_error_without_cap(const char *cap, const char *args,
				 const char *want)
{
	const char *vireo = getenv("VIREO") ? getenv("VIREO") : "build/vireo";
	char cmd[1024], out[512] = "";
	size_t len;
	FILE *f;
	int status;

	snprintf(cmd, sizeof(cmd),
		 "setpriv --bounding-set=-%s %s run --kernel %s %s 2>&1", cap,
		 vireo, GUEST_OUT "/micro/vmlinux", args);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	len = fread(out, 1, sizeof(out) - 1, f);
	out[len] = 0;
	status = pclose(f);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		  "status %#x: %s", status, out);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + len - 1, "not one line: %s", out);
}
