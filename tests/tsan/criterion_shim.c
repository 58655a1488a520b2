// SPDX-License-Identifier: MIT
/*
 * Runner of the Criterion shim (tests/tsan/criterion/criterion.h): runs
 * each registered test in a forked child, as Criterion does, with the
 * suite's then the test's .init, the test, the test's then the suite's
 * .fini, under alarm(timeout). Usage: unit-tests [--filter GLOB], GLOB
 * matched (fnmatch) against "suite/name". The last line printed is
 * "N passed, M failed"; the exit status is non-zero if any failed.
 */
#include <criterion/criterion.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHIM_MAX_TESTS 1024
#define SHIM_MAX_SUITES 128
#define SHIM_EXIT_SKIP 77

static struct criterion_shim_test *shim_tests[SHIM_MAX_TESTS];
static struct criterion_shim_suite *shim_suites[SHIM_MAX_SUITES];
static int shim_ntests, shim_nsuites;

void criterion_shim_register_test(struct criterion_shim_test *t)
{
	if (shim_ntests == SHIM_MAX_TESTS) {
		fprintf(stderr, "criterion shim: too many tests\n");
		_exit(2);
	}
	shim_tests[shim_ntests++] = t;
}

void criterion_shim_register_suite(struct criterion_shim_suite *s)
{
	if (shim_nsuites == SHIM_MAX_SUITES) {
		fprintf(stderr, "criterion shim: too many suites\n");
		_exit(2);
	}
	shim_suites[shim_nsuites++] = s;
}

void criterion_shim_fail(const char *file, int line, const char *expr,
			 const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: assertion failed: %s", file, line, expr);
	if (strcmp(fmt, ": ") != 0) {
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

void criterion_shim_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("skipped", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(SHIM_EXIT_SKIP);
}

static const struct criterion_shim_opts *shim_suite_opts(const char *name)
{
	static const struct criterion_shim_opts none;

	for (int i = 0; i < shim_nsuites; i++)
		if (strcmp(shim_suites[i]->name, name) == 0)
			return &shim_suites[i]->opts;
	return &none;
}

static int shim_cmp(const void *a, const void *b)
{
	const struct criterion_shim_test *x =
	    *(struct criterion_shim_test *const *)a;
	const struct criterion_shim_test *y =
	    *(struct criterion_shim_test *const *)b;
	int c = strcmp(x->suite, y->suite);

	return c ? c : strcmp(x->name, y->name);
}

/* Returns 0 passed, 1 failed, 2 skipped. */
static int shim_run(const struct criterion_shim_test *t)
{
	const struct criterion_shim_opts *s = shim_suite_opts(t->suite);
	double timeout = t->opts.timeout ? t->opts.timeout : s->timeout;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("criterion shim: fork");
		return 1;
	}
	if (pid == 0) {
		if (timeout > 0)
			alarm((unsigned int)(timeout + 0.999));
		if (s->init)
			s->init();
		if (t->opts.init)
			t->opts.init();
		t->fn();
		if (t->opts.fini)
			t->opts.fini();
		if (s->fini)
			s->fini();
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == SHIM_EXIT_SKIP)
		return 2;
	if (WIFEXITED(status))
		fprintf(stderr, "[FAIL] %s/%s: exit status %d\n", t->suite,
			t->name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fprintf(stderr, "[FAIL] %s/%s: timed out after %gs\n", t->suite,
			t->name, timeout);
	else
		fprintf(stderr, "[FAIL] %s/%s: killed by signal %d\n", t->suite,
			t->name, WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	return 1;
}

int main(int argc, char **argv)
{
	const char *filter = "*";
	int passed = 0, failed = 0, skipped = 0;
	char id[512];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
			filter = argv[++i];
		else if (strncmp(argv[i], "--filter=", 9) == 0)
			filter = argv[i] + 9;
		else {
			fprintf(stderr, "usage: %s [--filter GLOB]\n", argv[0]);
			return 2;
		}
	}
	qsort(shim_tests, shim_ntests, sizeof(shim_tests[0]), shim_cmp);
	for (int i = 0; i < shim_ntests; i++) {
		const struct criterion_shim_test *t = shim_tests[i];

		snprintf(id, sizeof(id), "%s/%s", t->suite, t->name);
		if (fnmatch(filter, id, 0) != 0)
			continue;
		if (t->opts.disabled || shim_suite_opts(t->suite)->disabled) {
			skipped++;
			passed++;
			continue;
		}
		switch (shim_run(t)) {
		case 0:
			passed++;
			break;
		case 2:
			fprintf(stderr, "[SKIP] %s\n", id);
			skipped++;
			passed++;
			break;
		default:
			failed++;
			break;
		}
	}
	if (skipped)
		printf("(%d skipped, counted as passed)\n", skipped);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
