// SPDX-License-Identifier: MIT
/*
 * Packed virtqueues, per-queue reset and --virtio-features with the real
 * guest. Each boot runs an interactive session on hvc0 (the guest's
 * console is virtio-console, so every line below came over it) with
 * virtio-rng, scratch disks, the tools disk and virtio-net on a tap in a
 * network namespace the test creates (net_peer.h, as test_virtio_net.c). The
 * session:
 *   - prints each device's negotiated features (bit 34: RING_PACKED);
 *   - runs the guest's blk (write + read back), rng and net checks (ping,
 *     TCP host->guest and guest->host, sha256 compared by the host);
 *   - makes ext4 on vda, writes a file with fsync, remounts and hashes it
 *     again; after the run the host reads the file out of the image with
 *     debugfs and compares hashes;
 *   - on virtio-pci (ring_reset): ethtool -G on eth0 (Linux resets each queue
 * alone and brings it back with the new size) while a ping runs, then pings
 * again. Needs root.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "net_peer.h"

#define PK_TIMEOUT 900
#define PK_DISKS 4
#define PK_DISK_MIB 64

static struct {
	struct net_peer net;
	char disk[PK_DISKS][64];
} pk;

static void pk_setup(void)
{
	int fd, i;

	memset(&pk, 0, sizeof(pk));
	cr_assert_eq(geteuid(), 0, "packed tests need root (netns, tap)");
	require_guest();
	net_peer_ns_enter(&pk.net, "vireo-pk");
	for (i = 0; i < PK_DISKS; i++) {
		snprintf(pk.disk[i], sizeof(pk.disk[i]),
			 "/tmp/vireo-pk-XXXXXX");
		fd = mkstemp(pk.disk[i]);
		cr_assert_geq(fd, 0);
		cr_assert_eq(ftruncate(fd, PK_DISK_MIB << 20), 0);
		close(fd);
	}
}

static void pk_teardown(void)
{
	for (int i = 0; i < PK_DISKS; i++)
		if (pk.disk[i][0])
			unlink(pk.disk[i]);
	net_peer_teardown(&pk.net);
}

TestSuite(packed, .init = pk_setup, .fini = pk_teardown);

static void sha256_of(const char *cmd, char out[65])
{
	FILE *f = popen(cmd, "r");

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%64s", out), 1, "%s", cmd);
	pclose(f);
}

/* --- the guest session --------------------------------------------------- */

static const char session[] =
    "K=PK PS1=; . /usr/share/vireo-check/lib.sh; VIREO_SCRATCH=vda,vdb,vdc,vdd "
    "VIREO_NET=10.0.2.15/24,10.0.2.1 CMDLINE=vireo.net.xfer=1\n"
    "echo $K-HVC-$((6*7))\n"
    "for b in /sys/block/vd*; do read -r x < $b/device/features; "
    "echo \"$K-FEAT ${b##*/} $x\"; done\n"
    "for f in /sys/bus/virtio/devices/*/features; do read -r x < $f; "
    "echo \"$K-FEAT any $x\"; done\n"
    "read -r x < /sys/class/net/eth0/device/features; echo \"$K-FEAT eth0 "
    "$x\"\n"
    "vireo_run_checks virtio,blk,rng,net\n"
    "mount-tools && /tools/bin/mkfs.ext4 -F -q -E "
    "nodiscard,lazy_itable_init=0,lazy_journal_init=1 /dev/vda && mkdir -p "
    "/mnt/d && mount -t ext4 /dev/vda /mnt/d && dd if=/dev/urandom "
    "of=/mnt/d/f bs=64k count=16 conv=fsync 2>/dev/null && s1=$(sha256sum "
    "/mnt/d/f) && umount /mnt/d && mount -t ext4 /dev/vda /mnt/d && "
    "s2=$(sha256sum /mnt/d/f) && umount /mnt/d && echo \"$K-EXT4 ${s1%% *} "
    "${s2%% *}\"\n";

static const char session_ethtool[] =
    "ping -c 25 -i 0.2 -W 2 10.0.2.1 > /tmp/pg 2>&1 &\n"
    "sleep 1; /tools/bin/ethtool -G eth0 rx 64 tx 128; echo $K-SET-$?\n"
    "/tools/bin/ethtool -g eth0 | tr -s '\\t\\n' '  '; echo; "
    "echo $K-RINGS-END\n"
    "wait; while read -r l; do case $l in *transmitted*) echo \"$K-PING1 "
    "$l\";; esac; done < /tmp/pg\n"
    "/tools/bin/ethtool -G eth0 rx 256 tx 256; echo $K-SET2-$?\n"
    "ping -c 3 -W 3 10.0.2.1 > /tmp/pg 2>&1; while read -r l; do case $l "
    "in *transmitted*) echo \"$K-PING2 $l\";; esac; done < /tmp/pg\n";

static void pk_boot(const char *transport, const char *const *features,
		    bool ethtool, struct vm_result *r)
{
	char input[sizeof(session) + sizeof(session_ethtool) + 16];
	char disks[PK_DISKS][80];
	const char *argv[48];
	const struct vm_action actions[] = {
		{ .when = "VIREO-USERSPACE" },
		{ .when = "interactive shell", .input = input },
	};
	int n, i;

	snprintf(input, sizeof(input), "%s%sreboot -f\n", session,
		 ethtool ? session_ethtool : "");
	net_peer_start(&pk.net, (size_t)(pvm_host() ? 256 : 4096) << 10,
		       PK_TIMEOUT);
	n = micro_argv(argv);
	argv[n++] = "--rng";
	argv[n++] = "--console";
	argv[n++] = "virtio";
	argv[n++] = "--transport";
	argv[n++] = transport;
	for (i = 0; i < PK_DISKS; i++) {
		snprintf(disks[i], sizeof(disks[i]), "%s,serial=scratch%d",
			 pk.disk[i], i);
		argv[n++] = "--disk";
		argv[n++] = disks[i];
	}
	argv[n++] = "--disk";
	argv[n++] = GUEST_OUT "/tools.ext4,ro";
	argv[n++] = "--net";
	argv[n++] = "tap=vt0";
	for (i = 0; features[i]; i++) {
		argv[n++] = "--virtio-features";
		argv[n++] = features[i];
	}
	argv[n++] = "--cmdline";
	argv[n++] = guest_cmdline("console=hvc0");
	argv[n] = NULL;
	vm_run_actions(argv, actions, 2, PK_TIMEOUT, r);
	cr_log_info("%s: userspace after %.1f s, exit after %.1f s", transport,
		    r->t_userspace, r->t_total);
	cr_assert(!r->timed_out, "guest timed out:\n%s", output_tail(r));
	cr_assert_eq(r->status, 0, "exit status %d:\n%s", r->status,
		     output_tail(r));
	net_peer_join(&pk.net);
}

/* Feature bit b of the "PK-FEAT who 0101..." line for who. */
static int feature_bit(const struct vm_result *r, const char *who, int b)
{
	char needle[32];
	const char *p;

	snprintf(needle, sizeof(needle), "PK-FEAT %s ", who);
	p = strstr(r->output, needle);
	cr_assert_not_null(p, "no features of %s:\n%s", who, output_tail(r));
	p += strlen(needle);
	cr_assert(strspn(p, "01") >= 64, "bad features line for %s:\n%s", who,
		  output_tail(r));
	return p[b] - '0';
}

/* Every virtio device the guest has offers bit 34 as wanted. */
static void expect_all_packed(const struct vm_result *r)
{
	const char *p = r->output;
	int n = 0;

	while ((p = strstr(p, "PK-FEAT any "))) {
		p += strlen("PK-FEAT any ");
		cr_assert_eq(p[34], '1', "a device without RING_PACKED:\n%s",
			     output_tail(r));
		n++;
	}
	/* console, rng, 5 disks, net */
	cr_assert_eq(n, 8, "%d virtio devices:\n%s", n, output_tail(r));
}

static void expect_checks(const struct vm_result *r)
{
	char v[128], cmd[256], sha[65];
	const char *ext4;

	cr_assert_not_null(strstr(r->output, "PK-HVC-42"),
			   "hvc0 shell did not answer:\n%s", output_tail(r));
	cr_assert_not_null(strstr(r->output, "VIREO-CHECK-END pass=4 fail=0"),
			   "guest checks failed:\n%s", output_tail(r));
	cr_assert_str_eq(check_value(r, "rng", "result", v, sizeof(v)), "pass");
	cr_assert_str_eq(check_value(r, "blk", "result", v, sizeof(v)), "pass");
	cr_assert_str_eq(check_value(r, "net", "rx_sha256", v, sizeof(v)),
			 pk.net.sent_sha, "host->guest data differs");
	cr_assert_eq(pk.net.back_len, pk.net.size,
		     "guest->host %zu of %zu bytes", pk.net.back_len,
		     pk.net.size);
	cr_assert_arr_eq(pk.net.back, pk.net.sent, pk.net.size,
			 "guest->host differs");
	ext4 = strstr(r->output, "PK-EXT4 ");
	cr_assert_not_null(ext4, "ext4 write/read back failed:\n%s",
			   output_tail(r));
	cr_assert_eq(strncmp(ext4 + 8, ext4 + 8 + 65, 64), 0,
		     "ext4 file changed across remount");
	snprintf(cmd, sizeof(cmd),
		 "debugfs -R 'cat /f' %s 2>/dev/null | sha256sum", pk.disk[0]);
	sha256_of(cmd, sha);
	cr_assert_eq(strncmp(ext4 + 8, sha, 64), 0,
		     "the file on the host's image differs from the guest's");
}

Test(packed, pci_modern_all_devices_and_queue_reset,
     .timeout = PK_TIMEOUT + 120)
{
	/* No +ring_reset: virtio-pci offers it by default. */
	const char *const features[] = { "all=+ring_packed", NULL };
	struct vm_result r;
	const char *p;

	pk_boot("pci", features, true, &r);
	expect_all_packed(&r);
	cr_assert_eq(feature_bit(&r, "eth0", 40), 1);
	cr_assert_eq(feature_bit(&r, "vda", 28), 1, "indirect_desc");
	cr_assert_eq(feature_bit(&r, "vda", 29), 1, "event_idx");
	expect_checks(&r);
	/* ethtool -G reset each queue alone and brought it back resized. */
	cr_assert_not_null(strstr(r.output, "PK-SET-0"),
			   "ethtool -G failed:\n%s", output_tail(&r));
	p = strstr(r.output, "Current hardware settings:");
	cr_assert_not_null(p, "%s", output_tail(&r));
	cr_assert_not_null(strstr(p, "RX: 64 "), "rx ring not resized:\n%s", p);
	cr_assert_not_null(strstr(p, "TX: 128"), "tx ring not resized:\n%s", p);
	p = strstr(r.output, "PK-PING1 ");
	cr_assert_not_null(p, "%s", output_tail(&r));
	cr_log_info("ping across the resize: %.60s", p + 9);
	cr_assert_eq(strncmp(p + 9, "25 packets transmitted, 0 ", 26) != 0,
		     true, "no reply at all across the resize");
	cr_assert_not_null(strstr(r.output, "PK-SET2-0"), "%s",
			   output_tail(&r));
	cr_assert_not_null(
	    strstr(r.output,
		   "PK-PING2 3 packets transmitted, 3 packets received"),
	    "traffic did not continue after the resizes:\n%s", output_tail(&r));
	vm_result_free(&r);
}

Test(packed, mmio_v2_all_devices, .timeout = PK_TIMEOUT + 120)
{
	const char *const features[] = { "all=+ring_packed", NULL };
	struct vm_result r;

	pk_boot("mmio", features, false, &r);
	expect_all_packed(&r);
	expect_checks(&r);
	vm_result_free(&r);
}

/*
 * The matrix: split/packed x indirect on/off x event_idx on/off over the
 * four scratch disks and the net device, in two boots.
 */
static void matrix_boot(bool packed_net, const char *net_rule)
{
	/* blk on one ring format, net on the other. */
	const char *const features[] = {
		packed_net ? "all=+ring_packed" : "blk=+ring_packed",
		packed_net ? "blk=-ring_packed" : net_rule,
		"blk1=-indirect_desc",
		"blk2=-event_idx",
		"blk3=-indirect_desc,-event_idx",
		packed_net ? net_rule : NULL,
		NULL,
	};
	const char *disks[] = { "vda", "vdb", "vdc", "vdd" };
	struct vm_result r;
	int i;

	pk_boot("pci", features, false, &r);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(feature_bit(&r, disks[i], 34), !packed_net, "%s",
			     disks[i]);
		cr_assert_eq(feature_bit(&r, disks[i], 28), i != 1 && i != 3,
			     "%s indirect_desc", disks[i]);
		cr_assert_eq(feature_bit(&r, disks[i], 29), i != 2 && i != 3,
			     "%s event_idx", disks[i]);
	}
	cr_assert_eq(feature_bit(&r, "eth0", 34), packed_net);
	expect_checks(&r);
	vm_result_free(&r);
}

Test(packed, matrix_packed_blk_split_net, .timeout = PK_TIMEOUT + 120)
{
	matrix_boot(false, "net=-indirect_desc,-event_idx");
}

Test(packed, matrix_split_blk_packed_net, .timeout = PK_TIMEOUT + 120)
{
	matrix_boot(true, "net=-event_idx");
}

/* One stderr line and exit status 2, before any guest runs. */
static void expect_usage_error(const char *transport, const char *features,
			       const char *want)
{
	const char *argv[] = {
		"run",	       "--kernel", GUEST_OUT "/micro/vmlinux",
		"--rng",       "--net",	   "tap=vt0",
		"--transport", transport,  "--virtio-features",
		features,      NULL
	};
	struct vm_result r;
	const char *line;

	vm_run(argv, 60, &r);
	cr_assert_eq(r.status, 2, "%s: exit status %d:\n%s", features, r.status,
		     r.output);
	line = strstr(r.output, "vireo: --virtio-features");
	cr_assert_not_null(line, "%s", r.output);
	cr_assert_not_null(strstr(line, want), "%s: '%s'", features, r.output);
	cr_assert_eq(strchr(line, '\n'), r.output + strlen(r.output) - 1,
		     "more than one line:\n%s", r.output);
	vm_result_free(&r);
}

Test(packed, feature_errors_exit_2_with_one_line)
{
	expect_usage_error("pci", "all=+no_such_thing", "unknown feature");
	expect_usage_error("pci", "rng=-mrg_rxbuf", "no feature");
	expect_usage_error("mmio-legacy", "all=+ring_packed",
			   "ring_packed needs");
	expect_usage_error("mmio", "net=+ring_reset", "ring_reset needs");
	expect_usage_error("pci", "net=-guest_csum", "needs guest_csum");
	expect_usage_error("pci", "net3=-mrg_rxbuf", "no device net3");
	expect_usage_error("pci", "blk=-flush", "no device blk");
}
