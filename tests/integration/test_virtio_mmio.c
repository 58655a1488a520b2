// SPDX-License-Identifier: MIT
/*
 * virtio over MMIO with the real guest: virtio-console (hvc0),
 * virtio-rng and virtio-blk (the read-only tools disk) found through ACPI
 * (LNRO0005 devices in the DSDT) and, with
 * --no-acpi, through virtio_mmio.device= on the kernel command line; both
 * for version 2 and legacy version 1. Also: an SMP guest finds its CPUs
 * through the MADT, and a guest `poweroff` ends vireo with status 0
 * through the ACPI sleep registers.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define MMIO_TIMEOUT 300

struct mmio_run {
	const char *transport; /* --transport */
	const char *override; /* --virtio-transport value, or NULL */
	bool acpi;
	const char *cpus;
	const char *checks;
};

static bool mmio_guest_done(const struct vm_result *r)
{
	return vm_self_check_passed(r) ||
	       strstr(r->output, "guest powered off");
}

static void run_mmio_guest(const struct mmio_run *m, struct vm_result *r)
{
	unsigned int attempts = strcmp(m->cpus, "1") ? SMP_ATTEMPTS : 1;
	const struct vm_action stuck = { .when = "VIREO-RESET-FAILED",
					 .signal = SIGKILL };
	const char *argv[24];
	char extra[256];
	int n = 0;

	require_guest();
	snprintf(extra, sizeof(extra), "console=hvc0 vireo.check=%s",
		 m->checks);
	argv[n++] = "run";
	argv[n++] = "--verbose";
	argv[n++] = "--kernel";
	argv[n++] = GUEST_OUT "/micro/vmlinux";
	argv[n++] = "--initrd";
	argv[n++] = GUEST_OUT "/initramfs.cpio";
	argv[n++] = "--memory";
	argv[n++] = "256M";
	argv[n++] = "--cpus";
	argv[n++] = m->cpus;
	argv[n++] = "--rng";
	argv[n++] = "--disk";
	argv[n++] = GUEST_OUT "/tools.ext4,ro";
	argv[n++] = "--console";
	argv[n++] = "virtio";
	argv[n++] = "--transport";
	argv[n++] = m->transport;
	if (m->override) {
		argv[n++] = "--virtio-transport";
		argv[n++] = m->override;
	}
	if (!m->acpi)
		argv[n++] = "--no-acpi";
	argv[n++] = "--cmdline";
	argv[n++] = guest_cmdline(extra);
	argv[n] = NULL;
	vm_run_attempts(argv, &stuck, 1, MMIO_TIMEOUT, attempts,
			mmio_guest_done, r);
	cr_log_info("%s%s%s: userspace after %.1f s, exit after %.1f s",
		    m->transport, m->acpi ? " acpi" : " no-acpi",
		    m->override ? " with override" : "", r->t_userspace,
		    r->t_total);
	cr_assert(!r->timed_out, "guest timed out:\n%s", output_tail(r));
	cr_assert_eq(r->status, 0, "exit status %d:\n%s", r->status,
		     output_tail(r));
}

static void expect_value(const struct vm_result *r, const char *check,
			 const char *key, const char *want)
{
	char buf[256];

	cr_assert(check_value(r, check, key, buf, sizeof(buf)),
		  "no VIREO-CHECK %s %s=:\n%s", check, key, output_tail(r));
	cr_assert_str_eq(buf, want, "%s %s=%s, expected %s:\n%s", check, key,
			 buf, want, output_tail(r));
}

static bool has_virtio_driver(const struct vm_result *r, const char *driver)
{
	char needle[96];

	/* hvc0 output ends lines with \r\n. */
	snprintf(needle, sizeof(needle), "driver=%s", driver);
	return strstr(r->output, needle) != NULL;
}

/*
 * Console, rng and blk all bound over MMIO, rng bytes and disk blocks
 * read, self-check clean.
 */
static void expect_console_rng_blk(const struct vm_result *r,
				   const char *names_prefix)
{
	char buf[256];

	cr_assert(vm_self_check_passed(r), "self-check failed:\n%s",
		  output_tail(r));
	expect_value(r, "mmio", "devices", "3");
	expect_value(r, "mmio", "ids", "0x0003,0x0004,0x0002");
	cr_assert(check_value(r, "mmio", "names", buf, sizeof(buf)));
	cr_assert(!strncmp(buf, names_prefix, strlen(names_prefix)),
		  "platform devices %s, expected %s*", buf, names_prefix);
	cr_assert(has_virtio_driver(r, "virtio_console"), "%s", output_tail(r));
	cr_assert(has_virtio_driver(r, "virtio_rng"), "%s", output_tail(r));
	expect_value(r, "rng", "result", "pass");
	cr_assert(has_virtio_driver(r, "virtio_blk"), "%s", output_tail(r));
	expect_value(r, "blk", "result", "pass");
	/*
	 * The guest's console is hvc0: the check lines came over virtio-mmio.
	 */
}

Test(virtio_mmio, acpi_console_and_rng, .timeout = MMIO_TIMEOUT + 30)
{
	const struct mmio_run m = { "mmio", NULL, true, "1",
				    "mmio,virtio,rng,blk" };
	struct vm_result r;

	run_mmio_guest(&m, &r);
	expect_console_rng_blk(&r, "LNRO0005:");
	vm_result_free(&r);
}

Test(virtio_mmio, acpi_legacy_console_and_rng, .timeout = MMIO_TIMEOUT + 30)
{
	const struct mmio_run m = { "mmio-legacy", NULL, true, "1",
				    "mmio,virtio,rng,blk" };
	struct vm_result r;

	run_mmio_guest(&m, &r);
	expect_console_rng_blk(&r, "LNRO0005:");
	vm_result_free(&r);
}

Test(virtio_mmio, cmdline_console_and_rng, .timeout = MMIO_TIMEOUT + 30)
{
	const struct mmio_run m = { "mmio", NULL, false, "1",
				    "mmio,virtio,rng,blk" };
	struct vm_result r;

	run_mmio_guest(&m, &r);
	expect_console_rng_blk(&r, "virtio-mmio.");
	vm_result_free(&r);
}

Test(virtio_mmio, cmdline_legacy_console_and_rng, .timeout = MMIO_TIMEOUT + 30)
{
	const struct mmio_run m = { "mmio-legacy", NULL, false, "1",
				    "mmio,virtio,rng,blk" };
	struct vm_result r;

	run_mmio_guest(&m, &r);
	expect_console_rng_blk(&r, "virtio-mmio.");
	vm_result_free(&r);
}

/* PCI found through MCFG/ECAM next to a device moved onto MMIO. */
Test(virtio_mmio, per_device_override_mixes_pci_and_mmio,
     .timeout = MMIO_TIMEOUT + 30)
{
	const struct mmio_run m = { "pci", "rng=mmio", true, "1",
				    "mmio,pci,virtio,rng" };
	struct vm_result r;

	run_mmio_guest(&m, &r);
	cr_assert(vm_self_check_passed(&r), "%s", output_tail(&r));
	expect_value(&r, "mmio", "devices", "1");
	expect_value(&r, "mmio", "ids", "0x0004");
	cr_assert(strstr(r.output, "id=1af4:1043"),
		  "virtio-console not on PCI:\n%s", output_tail(&r));
	vm_result_free(&r);
}

/* Two vCPUs through the MADT; the guest powers off through ACPI S5. */
Test(virtio_mmio, acpi_smp_and_poweroff,
     .timeout = SMP_ATTEMPTS * MMIO_TIMEOUT + 30)
{
	const struct mmio_run m = { "mmio", NULL, true, "2",
				    "cpus,mmio,poweroff" };
	struct vm_result r;

	run_mmio_guest(&m, &r);
	expect_value(&r, "cpus", "online", "2");
	expect_value(&r, "mmio", "devices", "3");
	expect_value(&r, "poweroff", "result", "pass");
	cr_assert(strstr(r.output, "guest powered off (ACPI S5)"),
		  "vireo did not see an ACPI power-off:\n%s", output_tail(&r));
	cr_assert_null(strstr(r.output, "guest requested a reset"));
	vm_result_free(&r);
}

/* The Debian cloud kernel with ACPI and virtio-mmio. */
Test(virtio_mmio, distro_kernel_acpi, .timeout = MMIO_TIMEOUT + 30)
{
	if (pvm_host())
		cr_skip_test(
		    "NOT RUN: the distro kernel cannot boot on this PVM host "
		    "(kvm_pvm loaded: it dies in the emulator before "
		    "userspace, see ../shared/platform-pvm.md)");
	{
		const char *argv[] = {
			"run",
			"--kernel",
			GUEST_OUT "/distro/bzImage",
			"--initrd",
			GUEST_OUT "/distro/initramfs.cpio.gz",
			"--memory",
			"512M",
			"--rng",
			"--transport",
			"mmio",
			"--cmdline",
			"console=ttyS0 reboot=k panic=-1 "
			"vireo.check=mmio,virtio",
			NULL,
		};
		struct vm_result r;

		require_guest();
		vm_run(argv, MMIO_TIMEOUT, &r);
		cr_assert_eq(r.status, 0, "exit status %d:\n%s", r.status,
			     output_tail(&r));
		expect_value(&r, "mmio", "devices", "1");
		expect_value(&r, "mmio", "ids", "0x0004");
		vm_result_free(&r);
	}
}
