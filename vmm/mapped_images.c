// SPDX-License-Identifier: MIT
/*
 * Mapped images (--map-images, or files that cannot change): the kernel's
 * and initrd's pages in guest RAM are the files' own pages until the guest
 * writes them (guest_mem_map_file). A file truncated while the VM runs
 * (only --map-images allows one that can be) turns a touch of such a page
 * into SIGBUS: in KVM (KVM_RUN fails with EFAULT, reported as such) or in
 * a vireo thread copying guest memory, where this handler makes it one
 * line and exit status 1 instead of a crash.
 */
#include "vmm/machine.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void mapped_images_sigbus(int sig)
{
	static const char msg[] =
	    "vireo: SIGBUS: the kernel or initrd file mapped into guest RAM "
	    "shrank while the VM ran; stopping\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to tell */
	}
	_exit(1);
}

int mapped_images_guard(const struct machine *m, struct err *e)
{
	struct sigaction sa;

	if (!m->kernel.mapped_why && !m->initrd_mapped_why)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mapped_images_sigbus;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return err_errno(e, errno, "--map-images: sigaction(SIGBUS)");
	return 0;
}
