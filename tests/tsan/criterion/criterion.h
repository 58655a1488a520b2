/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_TSAN_CRITERION_H
#define VIREO_TESTS_TSAN_CRITERION_H

/*
 * A tiny Criterion-compatible shim for the ThreadSanitizer build only
 * (`make tsan`): Criterion 2.4 cannot start under TSan ("Could not
 * initialize inheritable arena", Snaipe/Criterion#274). It covers what
 * the unit tests that start device threads use: Test, TestSuite (.init,
 * .fini, .timeout, .description) and the cr_assert family, each with an
 * optional printf-style message. Tests run one by one, each in a forked
 * child; see tests/tsan/criterion_shim.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct criterion_shim_opts {
	void (*init)(void);
	void (*fini)(void);
	double timeout;
	const char *description;
	bool disabled;
};

struct criterion_shim_test {
	const char *suite, *name;
	void (*fn)(void);
	struct criterion_shim_opts opts;
};

struct criterion_shim_suite {
	const char *name;
	struct criterion_shim_opts opts;
};

void criterion_shim_register_test(struct criterion_shim_test *t);
void criterion_shim_register_suite(struct criterion_shim_suite *s);
__attribute__((noreturn, format(printf, 4, 5))) void
criterion_shim_fail(const char *file, int line, const char *expr,
		    const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void
criterion_shim_skip(const char *fmt, ...);

#define Test(suite_id, test_id, ...)                                           \
	static void suite_id##__##test_id##__fn(void);                         \
	static struct criterion_shim_test suite_id##__##test_id##__test = {    \
		.suite = #suite_id,                                            \
		.name = #test_id,                                              \
		.fn = suite_id##__##test_id##__fn,                             \
		.opts = { __VA_ARGS__ },                                       \
	};                                                                     \
	__attribute__((constructor)) static void suite_id##__##test_id##__reg( \
	    void)                                                              \
	{                                                                      \
		criterion_shim_register_test(&suite_id##__##test_id##__test);  \
	}                                                                      \
	static void suite_id##__##test_id##__fn(void)

#define TestSuite(suite_id, ...)                                               \
	static struct criterion_shim_suite suite_id##__suite = {               \
		.name = #suite_id,                                             \
		.opts = { __VA_ARGS__ },                                       \
	};                                                                     \
	__attribute__((constructor)) static void suite_id##__suite_reg(void)   \
	{                                                                      \
		criterion_shim_register_suite(&suite_id##__suite);             \
	}

/*
 * The message, if any, must start with a string literal (as in vireo): it
 * is pasted after ": " so that a message-less assertion still has a
 * non-empty format.
 */
#define criterion_shim_check(cond, expr, ...)                                  \
	do {                                                                   \
		if (!(cond))                                                   \
			criterion_shim_fail(__FILE__, __LINE__, expr,          \
					    ": " __VA_ARGS__);                 \
	} while (0)

#define cr_assert(cond, ...) criterion_shim_check(cond, #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...)                                               \
	criterion_shim_check(!(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_eq(a, b, ...)                                                \
	criterion_shim_check((a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...)                                               \
	criterion_shim_check((a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...)                                                \
	criterion_shim_check((a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...)                                               \
	criterion_shim_check((a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...)                                                \
	criterion_shim_check((a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...)                                               \
	criterion_shim_check((a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_assert_null(p, ...)                                                 \
	criterion_shim_check((p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...)                                             \
	criterion_shim_check((p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...)                                            \
	criterion_shim_check(strcmp((a), (b)) == 0,                            \
			     "strcmp(" #a ", " #b ") == 0", __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...)                                           \
	criterion_shim_check(strcmp((a), (b)) != 0,                            \
			     "strcmp(" #a ", " #b ") != 0", __VA_ARGS__)
#define cr_assert_arr_eq(a, b, size, ...)                                      \
	criterion_shim_check(memcmp((a), (b), (size)) == 0,                    \
			     "memcmp(" #a ", " #b ", " #size ") == 0",         \
			     __VA_ARGS__)
#define cr_assert_arr_neq(a, b, size, ...)                                     \
	criterion_shim_check(memcmp((a), (b), (size)) != 0,                    \
			     "memcmp(" #a ", " #b ", " #size ") != 0",         \
			     __VA_ARGS__)
#define cr_skip_test(...) criterion_shim_skip(": " __VA_ARGS__)
/* Criterion's info log: a line on stderr. */
#define cr_log_info(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))

#endif
