// SPDX-License-Identifier: MIT
/*
 * What vireo tells about the host it runs on: on a kvm_pvm host it appends
 * the guest kernel parameters PVM needs and says so in one notice line; on
 * hardware KVM (the test host included) it adds nothing and says nothing.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "harness.h"

#define NOTICE "appending guest kernel parameters"

static unsigned int count(const char *s, const char *needle)
{
	unsigned int n = 0;

	for (s = strstr(s, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

/*
 * On PVM the notice comes before the guest's first instruction, so the run
 * stops there; elsewhere it must not have come by the time the guest
 * reaches userspace.
 */
Test(host, quirk_notice_only_on_pvm, .timeout = 300)
{
	const char *argv[] = { "run",
			       "--kernel",
			       GUEST_OUT "/micro/vmlinux",
			       "--initrd",
			       GUEST_OUT "/initramfs.cpio",
			       "--memory",
			       "256M",
			       "--cmdline",
			       guest_cmdline(""),
			       NULL };
	bool pvm = pvm_host();
	struct vm_result r;

	require_guest();
	vm_run_signal_after(argv, pvm ? NOTICE : "VIREO-USERSPACE", SIGKILL,
			    240, &r);
	cr_assert(!r.timed_out, "timed out:\n%s", output_tail(&r));
	if (pvm) {
		cr_assert_eq(count(r.output, NOTICE), 1, "want one notice:\n%s",
			     output_tail(&r));
		cr_assert(strstr(r.output,
				 "vireo: host is PVM (software "
				 "virtualization): " NOTICE " \"noxsave"),
			  "notice does not name the host and its "
			  "parameters:\n%s",
			  output_tail(&r));
	} else {
		cr_assert(strstr(r.output, "VIREO-USERSPACE"),
			  "guest never reached userspace:\n%s",
			  output_tail(&r));
		cr_assert_eq(count(r.output, NOTICE), 0,
			     "a host-quirk notice on a non-PVM host:\n%s",
			     output_tail(&r));
	}
	vm_result_free(&r);
}
