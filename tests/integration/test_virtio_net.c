// SPDX-License-Identifier: MIT
/*
 * virtio-net with the real guest on a tap, in a network namespace the test
 * creates (vireo-test-PID) and removes: the tap vt0 gets 10.0.2.1/24 on the
 * host side, the guest 10.0.2.15/24. The test process enters the namespace
 * (vireo, its child, inherits it) and serves the guest's TCP transfers
 * itself: it sends a known pattern on port 5002 and expects it back on
 * 5001, comparing bytes and the guest's sha256. Needs root.
 *
 * Sizes: 16 MiB each way, except on PVM hosts, where the guest moves
 * ~20 KiB/s (QEMU measured the same there), so 16 MiB would take ~15 min
 * per direction: 256 KiB there. VIREO_NET_XFER_KIB overrides.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "net_peer.h"

#define NET_TIMEOUT 900
#define NET_MAC "52:54:00:12:34:56"

static struct net_peer nt;

static void net_setup(void)
{
	cr_assert_eq(
	    geteuid(), 0,
	    "virtio-net integration tests need root (network namespace, tap)");
	require_guest();
	net_peer_ns_enter(&nt, "vireo-test");
}

static void net_teardown(void)
{
	net_peer_teardown(&nt);
}

TestSuite(virtio_net, .init = net_setup, .fini = net_teardown);

/* Starts the host side of the guest's transfers (net_peer.h). */
static void net_start_peer(void)
{
	const char *kib = getenv("VIREO_NET_XFER_KIB");
	unsigned int dflt = pvm_host() ? 256 : 16384;

	net_peer_start(&nt, (size_t)(kib ? atoi(kib) : (int)dflt) << 10,
		       NET_TIMEOUT);
}

static void net_run(const char *extra, const struct vm_action *actions,
		    unsigned int nr, struct vm_result *r)
{
	char cmdline[512];
	const char *argv[16];
	int n;

	snprintf(cmdline, sizeof(cmdline),
		 "vireo.check=net vireo.net=10.0.2.15/24,10.0.2.1 %s", extra);
	n = micro_argv(argv);
	argv[n++] = "--net";
	argv[n++] = "tap=vt0,mac=" NET_MAC;
	argv[n++] = "--cmdline";
	argv[n++] = guest_cmdline(cmdline);
	argv[n] = NULL;
	vm_run_actions(argv, actions, nr, NET_TIMEOUT, r);
	cr_log_info("userspace after %.1f s, exit after %.1f s", r->t_userspace,
		    r->t_total);
	cr_assert(!r->timed_out, "guest timed out:\n%s", output_tail(r));
	cr_assert_eq(r->status, 0, "exit status %d:\n%s", r->status,
		     output_tail(r));
}

Test(virtio_net, ping_tcp_both_ways_mac_and_link, .timeout = NET_TIMEOUT + 60)
{
	struct vm_result r;
	char v[128];

	net_start_peer();
	net_run("vireo.net.xfer=1", NULL, 0, &r);
	cr_assert_not_null(strstr(r.output, "VIREO-CHECK net result=pass"),
			   "net check failed:\n%s", output_tail(&r));
	cr_assert_str_eq(check_value(&r, "net", "mac", v, sizeof(v)), NET_MAC);
	cr_assert_str_eq(check_value(&r, "net", "carrier", v, sizeof(v)), "1");
	cr_log_info("ping: %s",
		    check_value(&r, "net", "rtt_min_avg_max", v, sizeof(v)));
	net_peer_join(&nt);
	cr_assert_eq(nt.error[0], 0, "%s", nt.error);
	cr_assert_not_null(check_value(&r, "net", "rx_sha256", v, sizeof(v)),
			   "no transfer result:\n%s", output_tail(&r));
	cr_assert_str_eq(v, nt.sent_sha, "host->guest data differs");
	cr_assert_eq(nt.back_len, nt.size, "guest->host: %zu of %zu bytes",
		     nt.back_len, nt.size);
	cr_assert_arr_eq(nt.back, nt.sent, nt.size, "guest->host data differs");
	cr_log_info("%zu KiB host->guest in %s ms", nt.size >> 10,
		    check_value(&r, "net", "rx_ms", v, sizeof(v)));
	cr_log_info("%zu KiB guest->host in %s ms", nt.size >> 10,
		    check_value(&r, "net", "tx_ms", v, sizeof(v)));
	vm_result_free(&r);
}

static void net_delete_tap(void)
{
	if (system("ip link del vt0") != 0)
		cr_log_info("ip link del vt0 failed");
}

Test(virtio_net, tap_deleted_mid_run_does_not_crash,
     .timeout = NET_TIMEOUT + 60)
{
	/* Delete the tap as the guest starts pinging through it. */
	const struct vm_action del = { .when = "VIREO-CHECK net mac=",
				       .call = net_delete_tap };
	struct vm_result r;

	net_run("vireo.net.ping=20", &del, 1, &r);
	cr_assert_not_null(strstr(r.output, "back end failed"),
			   "vireo did not notice the tap going away:\n%s",
			   output_tail(&r));
	cr_assert_not_null(strstr(r.output, "VIREO-CHECK-END"),
			   "guest did not finish its checks:\n%s",
			   output_tail(&r));
	vm_result_free(&r);
}

/* One stderr line and exit status 2, before any guest runs. */
static void net_expect_usage_error(const char *net, const char *want)
{
	const char *argv[] = { "run",	"--kernel", GUEST_OUT "/micro/vmlinux",
			       "--net", net,	    NULL };
	struct vm_result r;
	const char *line;

	vm_run(argv, 60, &r);
	cr_assert_eq(r.status, 2, "--net %s: exit status %d:\n%s", net,
		     r.status, r.output);
	line = strstr(r.output, "vireo: ");
	cr_assert_not_null(line, "%s", r.output);
	cr_assert_not_null(strstr(line, want), "--net %s: '%s'", net, r.output);
	cr_assert_eq(strchr(line, '\n'), r.output + strlen(r.output) - 1,
		     "more than one line:\n%s", r.output);
	vm_result_free(&r);
}

Test(virtio_net, unusable_taps_exit_2_with_one_line)
{
	net_expect_usage_error("tap=lo", "not a tap");
	net_expect_usage_error("tap=vt0,mac=01:02:03:04:05:06", "multicast");
	net_expect_usage_error("tap=vt0,mac=52:54", "hex pairs");
	net_expect_usage_error("tap=way-too-long-name0", "longer than");
}

Test(virtio_net, no_cap_net_admin_exits_2_with_one_line)
{
	/* Root without CAP_NET_ADMIN cannot create a tap. */
	vm_expect_error_without_cap("net_admin", "--net tap=vt-noperm",
				    "CAP_NET_ADMIN");
}
