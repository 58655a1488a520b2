// SPDX-License-Identifier: MIT
#include <string.h>

#include "vmm/boot/boot.h"
#include "vmm/layout.h"

/*
 * A command line the kernel would silently cut short could drop the very
 * option the user added (root=, init=), so an overlong one is an error.
 */
int cmdline_write(const struct guest_mem *m, const struct kernel_info *ki,
		  const char *cmdline, struct err *e)
{
	size_t len, max = ki->cmdline_size;

	if (!cmdline)
		cmdline = "";
	if (max > LAYOUT_CMDLINE_MAX - 1)
		max = LAYOUT_CMDLINE_MAX - 1;
	len = strnlen(cmdline, max + 1);
	if (len > max)
		return err_set(e,
			       "kernel command line too long: %zu bytes, at "
			       "most %zu allowed",
			       strlen(cmdline), max);
	if (guest_mem_write(m, LAYOUT_CMDLINE, cmdline, len + 1))
		return err_set(e,
			       "kernel command line does not fit in guest RAM");
	return 0;
}
