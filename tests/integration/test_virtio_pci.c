// SPDX-License-Identifier: MIT
/*
 * virtio over PCI with the real guest: discovery (IDs, drivers), virtio-rng
 * reads, a shell on hvc0, and the exit count of a bulk hvc0 transfer. Each
 * also runs with the transitional transport and a guest forced to legacy.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define VIRTIO_TIMEOUT 300

static void run_virtio_guest_for(bool transitional, const char *check,
				 const struct vm_action *actions,
				 unsigned int nr, unsigned int timeout_s,
				 struct vm_result *r)
{
	char extra[256];
	const char *argv[20];
	int n = 0;

	require_guest();
	/* hvc0 last: /dev/console, where the guest's shell runs, is hvc0. */
	snprintf(extra, sizeof(extra), "console=hvc0 %s %s",
		 transitional ? "virtio_pci.force_legacy=1" : "", check);
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = GUEST_OUT "/micro/vmlinux";
	argv[n++] = "--initrd";
	argv[n++] = GUEST_OUT "/initramfs.cpio";
	argv[n++] = "--rng";
	argv[n++] = "--console";
	argv[n++] = "virtio";
	argv[n++] = "--transport";
	argv[n++] = transitional ? "pci-transitional" : "pci";
	argv[n++] = "--cmdline";
	argv[n++] = guest_cmdline(extra);
	argv[n] = NULL;
	vm_run_actions(argv, actions, nr, timeout_s, r);
	cr_log_info("userspace after %.1f s, exit after %.1f s", r->t_userspace,
		    r->t_total);
	cr_assert(!r->timed_out, "guest timed out:\n%s", output_tail(r));
	cr_assert_eq(r->status, 0, "exit status %d:\n%s", r->status,
		     output_tail(r));
}

static void run_virtio_guest(bool transitional, const char *check,
			     const struct vm_action *actions, unsigned int nr,
			     struct vm_result *r)
{
	run_virtio_guest_for(transitional, check, actions, nr, VIRTIO_TIMEOUT,
			     r);
}

/* "VIREO-CHECK pci ... id=1af4:XXXX ... driver=virtio-pci" present? */
static bool has_pci_line(const struct vm_result *r, const char *id)
{
	char needle[64];
	const char *p = r->output;

	snprintf(needle, sizeof(needle), "id=%s", id);
	while ((p = strstr(p, "VIREO-CHECK pci "))) {
		const char *end = strchr(p, '\n');
		const char *hit = strstr(p, needle);
		const char *drv = strstr(p, "driver=virtio-pci");

		if (hit && end && hit < end && drv && drv < end)
			return true;
		p += 16;
	}
	return false;
}

static bool has_virtio_line(const struct vm_result *r, const char *dev,
			    const char *driver)
{
	char d[64], v[64];
	const char *p = r->output;

	snprintf(d, sizeof(d), "device=%s", dev);
	snprintf(v, sizeof(v), "driver=%s", driver);
	while ((p = strstr(p, "VIREO-CHECK virtio "))) {
		const char *end = strchr(p, '\n');
		const char *a = strstr(p, d), *b = strstr(p, v);

		if (end && a && a < end && b && b < end)
			return true;
		p += 19;
	}
	return false;
}

static void check_discovery_and_rng(bool transitional)
{
	struct vm_result r;
	char buf[64];

	run_virtio_guest(transitional, "vireo.check=pci,virtio,rng", NULL, 0,
			 &r);
	cr_assert(has_pci_line(&r, transitional ? "1af4:1003" : "1af4:1043"),
		  "console not on PCI:\n%s", output_tail(&r));
	cr_assert(has_pci_line(&r, transitional ? "1af4:1005" : "1af4:1044"),
		  "rng not on PCI:\n%s", output_tail(&r));
	cr_assert(has_virtio_line(&r, "0x0003", "virtio_console"),
		  "no virtio console bound:\n%s", output_tail(&r));
	cr_assert(has_virtio_line(&r, "0x0004", "virtio_rng"),
		  "no virtio rng bound:\n%s", output_tail(&r));
	cr_assert(check_value(&r, "rng", "result", buf, sizeof(buf)) &&
		      !strcmp(buf, "pass"),
		  "rng read failed:\n%s", output_tail(&r));
	cr_assert(check_value(&r, "rng", "bytes", buf, sizeof(buf)) &&
		      atoi(buf) >= 65536,
		  "short rng read:\n%s", output_tail(&r));
	if (check_value(&r, "rng", "ms", buf, sizeof(buf)))
		cr_log_info("guest read 64 KiB from /dev/hwrng in %s ms", buf);
	vm_result_free(&r);
}

Test(virtio_pci, modern_discovery_and_rng, .timeout = VIRTIO_TIMEOUT + 30)
{
	check_discovery_and_rng(false);
}

Test(virtio_pci, legacy_discovery_and_rng, .timeout = VIRTIO_TIMEOUT + 30)
{
	check_discovery_and_rng(true);
}

/* A command typed on hvc0 runs: the answer can only come from the guest. */
static void check_hvc_shell(bool transitional)
{
	const struct vm_action actions[] = {
		{ .when = "VIREO-USERSPACE" },
		{ .when = "interactive shell",
		  .input = "echo HVC-ANSWER-$((6*7)); reboot -f\n" },
	};
	struct vm_result r;

	run_virtio_guest(transitional, "", actions, 2, &r);
	cr_assert(strstr(r.output, "HVC-ANSWER-42"),
		  "no answer from the hvc0 shell:\n%s", output_tail(&r));
	vm_result_free(&r);
}

Test(virtio_pci, modern_hvc0_shell, .timeout = VIRTIO_TIMEOUT + 30)
{
	check_hvc_shell(false);
}

Test(virtio_pci, legacy_hvc0_shell, .timeout = VIRTIO_TIMEOUT + 30)
{
	check_hvc_shell(true);
}

/* The counter key= ("exits=", "mmio=") on the stats line starting at s. */
static long stats_exits(const char *s, const char *key)
{
	const char *end = strchr(s, '\n');
	const char *p = strstr(s, key);

	return p && (!end || p < end) ? atol(p + strlen(key)) : -1;
}

/*
 * 4 MiB written to hvc0 (one dd, 1 MiB writes: guest syscalls are costly
 * on PVM hosts) between two markers; vireo prints its exit counter on
 * SIGUSR2 at each, and where vCPU 0 is. The data path (ioeventfd kicks on the
 * modern BAR's notify region, irqfd interrupts) must stay under one userspace
 * MMIO exit per 4 KiB moved. Port exits are not the data path: they are the
 * 8250 (whatever the guest kernel prints meanwhile, more on a loaded host) and
 * the guest's timer reads.
 */
/* The guest's hvc path moves ~30 KiB/s on PVM hosts: allow for it. */
#define BULK_TIMEOUT 600

Test(virtio_pci, hvc0_bulk_transfer_exits, .timeout = BULK_TIMEOUT + 30)
{
	const long bytes = 4l << 20;
	const struct vm_action actions[] = {
		{ .when = "VIREO-USERSPACE" },
		{ .when = "interactive shell",
		  .input =
		      "echo XFER-BEGIN; sleep 1; "
		      "dd if=/dev/zero of=/dev/hvc0 bs=1M count=4 2>/dev/null; "
		      "sleep 1; echo XFER-DONE; sleep 1; reboot -f\n" },
		{ .when = "XFER-BEGIN\r", .signal = SIGUSR2 },
		{ .when = "XFER-DONE\r", .signal = SIGUSR2 },
	};
	struct vm_result r;
	const char *first, *second, *where;
	long before, after;

	run_virtio_guest_for(false, "", actions, 4, BULK_TIMEOUT, &r);
	first = strstr(r.output, "userspace vcpu exits=");
	cr_assert(first, "no stats at XFER-BEGIN:\n%s", output_tail(&r));
	second = strstr(first + 1, "userspace vcpu exits=");
	cr_assert(second, "no stats at XFER-DONE:\n%s", output_tail(&r));
	/* Each SIGUSR2 also has every running vCPU say where it is. */
	where = strstr(first, "vCPU 0: ");
	cr_assert(where && where < second && strstr(where, "rip=0x") &&
		      strstr(where, ", interrupts o"),
		  "no vCPU 0 report after SIGUSR2:\n%s", output_tail(&r));
	cr_log_info("%.*s", (int)strcspn(where, "\n"), where);
	before = stats_exits(first, "mmio=");
	after = stats_exits(second, "mmio=");
	cr_assert(before >= 0 && after >= 0, "no mmio= counter:\n%s",
		  output_tail(&r));
	cr_log_info("%ld exits (%ld MMIO) while moving %ld MiB through hvc0 "
		    "(%.1f MMIO exits per MiB)",
		    stats_exits(second, "exits=") -
			stats_exits(first, "exits="),
		    after - before, bytes >> 20,
		    (double)(after - before) / (double)(bytes >> 20));
	cr_assert(after - before < bytes / 4096, "%ld MMIO exits for %ld bytes",
		  after - before, bytes);
	vm_result_free(&r);
}
