// SPDX-License-Identifier: MIT
#include "vmm/sandbox/rlimits.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "util/size.h"

static const struct {
	const char *name;
	int resource;
	bool is_size; /* bytes; else a count */
} limits[VM_NR_RLIMITS] = {
	[VM_RLIMIT_NOFILE] = { "nofile", RLIMIT_NOFILE, false },
	[VM_RLIMIT_FSIZE] = { "fsize", RLIMIT_FSIZE, true },
	[VM_RLIMIT_MEMLOCK] = { "memlock", RLIMIT_MEMLOCK, true },
};

const char *rlimits_name(enum vm_rlimit r)
{
	return r < VM_NR_RLIMITS ? limits[r].name : "?";
}

/* A bare number is bytes (not MiB as in --memory): these are limits. */
static int value_parse(const char *s, bool is_size, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (!strcmp(s, "unlimited")) {
		*v = RLIMITS_UNLIMITED;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (!*end) {
		*v = n;
		return 0;
	}
	return is_size ? size_parse(s, v) : -1;
}

int rlimits_parse(const char *arg, struct vm_sandbox_config *sb, struct err *e)
{
	const char *eq = strchr(arg, '=');
	size_t i;

	for (i = 0; eq && i < VM_NR_RLIMITS; i++)
		if (strlen(limits[i].name) == (size_t)(eq - arg) &&
		    !strncmp(arg, limits[i].name, (size_t)(eq - arg)))
			break;
	if (!eq || i == VM_NR_RLIMITS)
		return err_set(e,
			       "--rlimit '%s': expected nofile=N, fsize=SIZE "
			       "or memlock=SIZE",
			       arg);
	if (value_parse(eq + 1, limits[i].is_size, &sb->rlimit[i]) < 0)
		return err_set(e, "--rlimit '%s': expected %s or unlimited",
			       arg,
			       limits[i].is_size ? "a size in bytes (K/M/G/T)"
						 : "a number");
	if (i == VM_RLIMIT_NOFILE &&
	    sb->rlimit[i] < RLIMITS_NOFILE_HEADROOM + 3)
		return err_set(e, "--rlimit '%s': vireo needs at least %d", arg,
			       RLIMITS_NOFILE_HEADROOM + 3);
	sb->rlimit_set[i] = true;
	return 0;
}

uint64_t rlimits_value(const struct vm_sandbox_config *sb, enum vm_rlimit r,
		       uint64_t largest_disk)
{
	if (sb->rlimit_set[r])
		return sb->rlimit[r];
	switch (r) {
	case VM_RLIMIT_NOFILE:
		return RLIMITS_DEFAULT_NOFILE;
	case VM_RLIMIT_FSIZE:
		return largest_disk > RLIMITS_DEFAULT_FSIZE_MIN
			   ? largest_disk
			   : RLIMITS_DEFAULT_FSIZE_MIN;
	case VM_RLIMIT_MEMLOCK:
	case VM_NR_RLIMITS:
		break;
	}
	return RLIMITS_DEFAULT_MEMLOCK;
}

int rlimits_apply(const struct vm_sandbox_config *sb, bool defaults,
		  uint64_t largest_disk, int highest_fd, struct err *e)
{
	int r;

	for (r = 0; r < VM_NR_RLIMITS; r++) {
		uint64_t v = rlimits_value(sb, r, largest_disk);
		struct rlimit rl = {
			.rlim_cur = v == RLIMITS_UNLIMITED ? RLIM_INFINITY : v,
			.rlim_max = v == RLIMITS_UNLIMITED ? RLIM_INFINITY : v,
		};

		if (!defaults && !sb->rlimit_set[r])
			continue;
		if (r == VM_RLIMIT_NOFILE &&
		    v < (uint64_t)highest_fd + 1 + RLIMITS_NOFILE_HEADROOM)
			return err_set(e,
				       "--rlimit nofile=%llu: vireo already "
				       "has %d files open and needs %d more",
				       (unsigned long long)v, highest_fd + 1,
				       RLIMITS_NOFILE_HEADROOM);
		if (setrlimit(limits[r].resource, &rl) < 0)
			return err_errno(e, errno, "--rlimit %s=%llu",
					 limits[r].name, (unsigned long long)v);
	}
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}
