// SPDX-License-Identifier: MIT
#include "util/size.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int size_shift(const char *suffix, unsigned int *shift)
{
	static const struct {
		char letter;
		unsigned int shift;
	} units[] = {
		{ 'B', 0 }, { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 }
	};
	size_t i;

	if (*suffix == '\0') {
		*shift = 20;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (toupper((unsigned char)suffix[0]) != units[i].letter)
			continue;
		if (suffix[1] == '\0' ||
		    (units[i].shift && (!strcasecmp(suffix + 1, "iB") ||
					!strcasecmp(suffix + 1, "B")))) {
			*shift = units[i].shift;
			return 0;
		}
	}
	return -1;
}

int size_parse(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v == 0 || size_shift(end, &shift) < 0)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

int uint_parse(const char *s, unsigned int min, unsigned int max,
	       unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}
