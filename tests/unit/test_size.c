// SPDX-License-Identifier: MIT
/* Size and integer parsing for the command line (util/size.c). */
#include <criterion/criterion.h>
#include <stdint.h>

#include "util/size.h"

#define SZT_POISON 0x5a5a5a5a5a5a5a5aULL

static uint64_t szt_ok(const char *s)
{
	uint64_t v = SZT_POISON;

	cr_assert_eq(size_parse(s, &v), 0, "'%s' rejected", s);
	return v;
}

static void szt_bad(const char *s)
{
	uint64_t v = SZT_POISON;

	cr_assert_eq(size_parse(s, &v), -1, "'%s' accepted as %llu", s,
		     (unsigned long long)v);
}

Test(size, suffixes)
{
	cr_assert_eq(szt_ok("512M"), 512ULL << 20);
	cr_assert_eq(szt_ok("2G"), 2ULL << 30);
	cr_assert_eq(szt_ok("1GiB"), 1ULL << 30);
	cr_assert_eq(szt_ok("1GB"), 1ULL << 30);
	cr_assert_eq(szt_ok("4096K"), 4096ULL << 10);
	cr_assert_eq(szt_ok("4096KiB"), 4096ULL << 10);
	cr_assert_eq(szt_ok("1T"), 1ULL << 40);
	cr_assert_eq(szt_ok("3B"), 3);
}

Test(size, suffixes_are_case_insensitive)
{
	cr_assert_eq(szt_ok("512m"), 512ULL << 20);
	cr_assert_eq(szt_ok("2g"), 2ULL << 30);
	cr_assert_eq(szt_ok("1gib"), 1ULL << 30);
	cr_assert_eq(szt_ok("8k"), 8ULL << 10);
}

Test(size, bare_number_is_mib)
{
	cr_assert_eq(szt_ok("512"), 512ULL << 20);
	cr_assert_eq(szt_ok("1"), 1ULL << 20);
	/* Decimal even with a leading zero (not octal). */
	cr_assert_eq(szt_ok("010"), 10ULL << 20);
}

Test(size, zero_rejected)
{
	szt_bad("0");
	szt_bad("0M");
	szt_bad("0G");
	szt_bad("000");
}

Test(size, garbage_rejected)
{
	szt_bad("");
	szt_bad("M");
	szt_bad("lots");
	szt_bad(" 512M");
	szt_bad("+512M");
	szt_bad("0x100");
	szt_bad("1.5G");
	cr_assert_eq(size_parse(NULL, &(uint64_t){ 0 }), -1);
}

Test(size, negative_rejected)
{
	szt_bad("-1");
	szt_bad("-512M");
}

Test(size, suffix_junk_rejected)
{
	szt_bad("512MX");
	szt_bad("512 M");
	szt_bad("512M ");
	szt_bad("512Mi");
	szt_bad("512MiBs");
	szt_bad("1X");
	szt_bad("1BiB"); /* bytes take no "iB" */
	szt_bad("1BB");
	szt_bad("1KK");
}

Test(size, overflow_rejected)
{
	/* Largest values that still fit in 64 bits. */
	cr_assert_eq(szt_ok("16777215T"), 16777215ULL << 40);
	cr_assert_eq(szt_ok("17592186044415"), 17592186044415ULL << 20);
	cr_assert_eq(szt_ok("18446744073709551615B"), UINT64_MAX);
	/* One more overflows after the shift. */
	szt_bad("16777216T");
	szt_bad("17179869184G");
	szt_bad("17592186044416");
	szt_bad("17592186044416M");
	/* Does not fit even before the shift (strtoull range error). */
	szt_bad("18446744073709551616B");
	szt_bad("99999999999999999999999999G");
}

static int uit_parse(const char *s, unsigned int min, unsigned int max,
		     unsigned int *out)
{
	*out = 0xdeadbeef;
	return uint_parse(s, min, max, out);
}

Test(size, uint_parse_range)
{
	unsigned int v;

	cr_assert_eq(uit_parse("1", 1, 255, &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(uit_parse("255", 1, 255, &v), 0);
	cr_assert_eq(v, 255);
	cr_assert_eq(uit_parse("42", 1, 255, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(uit_parse("0", 1, 255, &v), -1);
	cr_assert_eq(uit_parse("256", 1, 255, &v), -1);
	cr_assert_eq(uit_parse("0", 0, 0, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(uit_parse("4294967295", 0, UINT32_MAX, &v), 0);
	cr_assert_eq(v, 4294967295u);
}

Test(size, uint_parse_rejects_junk)
{
	unsigned int v;

	cr_assert_eq(uit_parse("", 0, 100, &v), -1);
	cr_assert_eq(uit_parse("-1", 0, 100, &v), -1);
	cr_assert_eq(uit_parse("+1", 0, 100, &v), -1);
	cr_assert_eq(uit_parse(" 1", 0, 100, &v), -1);
	cr_assert_eq(uit_parse("1 ", 0, 100, &v), -1);
	cr_assert_eq(uit_parse("1x", 0, 100, &v), -1);
	cr_assert_eq(uit_parse("two", 0, 100, &v), -1);
	cr_assert_eq(uit_parse(NULL, 0, 100, &v), -1);
	/* Above unsigned int, and above unsigned long. */
	cr_assert_eq(uit_parse("4294967296", 0, UINT32_MAX, &v), -1);
	cr_assert_eq(uit_parse("18446744073709551616", 0, UINT32_MAX, &v), -1);
	cr_assert_eq(v, 0xdeadbeef, "output written on failure");
}
