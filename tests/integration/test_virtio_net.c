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
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define NET_TIMEOUT 900
#define NET_MAC "52:54:00:12:34:56"

static struct {
	char ns[64];
	bool ns_made;
	size_t size;
	uint8_t *sent, *back;
	size_t back_len;
	char sent_sha[65];
	int lfd[2];
	pthread_t thread;
	bool thread_started;
	char error[128];
} nt;

static void sh(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg, arg);
	cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

static void net_setup(void)
{
	char path[128];
	int fd;

	memset(&nt, 0, sizeof(nt));
	nt.lfd[0] = nt.lfd[1] = -1;
	cr_assert_eq(
	    geteuid(), 0,
	    "virtio-net integration tests need root (network namespace, tap)");
	require_guest();
	snprintf(nt.ns, sizeof(nt.ns), "vireo-test-%d", (int)getpid());
	sh("ip netns add %s", nt.ns);
	nt.ns_made = true;
	sh("ip -n %s tuntap add dev vt0 mode tap && ip -n %s link set lo up",
	   nt.ns);
	sh("ip -n %s addr add 10.0.2.1/24 dev vt0 && ip -n %s link set vt0 up",
	   nt.ns);
	snprintf(path, sizeof(path), "/run/netns/%s", nt.ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "cannot open %s", path);
	cr_assert_eq(setns(fd, CLONE_NEWNET), 0, "setns");
	close(fd);
}

static void net_teardown(void)
{
	if (nt.thread_started)
		pthread_cancel(nt.thread), pthread_join(nt.thread, NULL);
	for (int i = 0; i < 2; i++)
		if (nt.lfd[i] >= 0)
			close(nt.lfd[i]);
	if (nt.ns_made) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "ip netns del %s", nt.ns);
		if (system(cmd) != 0)
			cr_log_info("could not remove namespace %s", nt.ns);
	}
	free(nt.sent);
	free(nt.back);
}

TestSuite(virtio_net, .init = net_setup, .fini = net_teardown);

static int net_listen(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	inet_pton(AF_INET, "10.0.2.1", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind %u",
		     port);
	cr_assert_eq(listen(fd, 1), 0);
	return fd;
}

static int net_accept(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, NET_TIMEOUT * 1000) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* Host side of the guest's transfers: send the pattern, read it back. */
static void *net_peer(void *arg)
{
	size_t off = 0;
	int c;

	(void)arg;
	c = net_accept(nt.lfd[0]);
	if (c < 0) {
		snprintf(nt.error, sizeof(nt.error),
			 "guest never connected to 5002");
		return NULL;
	}
	while (off < nt.size) {
		ssize_t n = write(c, nt.sent + off, nt.size - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(c);
	c = net_accept(nt.lfd[1]);
	if (c < 0) {
		snprintf(nt.error, sizeof(nt.error),
			 "guest never connected to 5001");
		return NULL;
	}
	while (nt.back_len < nt.size) {
		ssize_t n =
		    read(c, nt.back + nt.back_len, nt.size - nt.back_len);

		if (n <= 0)
			break;
		nt.back_len += (size_t)n;
	}
	close(c);
	return NULL;
}

static void net_make_pattern(void)
{
	const char *kib = getenv("VIREO_NET_XFER_KIB");
	char path[] = "/tmp/vireo-net-XXXXXX", cmd[128];
	FILE *f;
	int fd;

	unsigned int dflt = pvm_host() ? 256 : 16384;

	nt.size = (size_t)(kib ? atoi(kib) : (int)dflt) << 10;
	cr_assert_gt(nt.size, 0);
	nt.sent = malloc(nt.size);
	nt.back = malloc(nt.size);
	cr_assert(nt.sent && nt.back);
	for (size_t i = 0; i < nt.size; i++)
		nt.sent[i] = (uint8_t)(i * 7 + (i >> 9) + (i >> 17));
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, nt.sent, nt.size), (ssize_t)nt.size);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%64s", nt.sent_sha), 1);
	pclose(f);
	unlink(path);
}

static void net_run(const char *extra, const struct vm_action *actions,
		    unsigned int nr, struct vm_result *r)
{
	char cmdline[512];
	const char *argv[16];
	int n = 0;

	snprintf(cmdline, sizeof(cmdline),
		 "vireo.check=net vireo.net=10.0.2.15/24,10.0.2.1 %s", extra);
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = GUEST_OUT "/micro/vmlinux";
	argv[n++] = "--initrd";
	argv[n++] = GUEST_OUT "/initramfs.cpio";
	argv[n++] = "--memory";
	argv[n++] = "256M";
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

	net_make_pattern();
	nt.lfd[0] = net_listen(5002);
	nt.lfd[1] = net_listen(5001);
	cr_assert_eq(pthread_create(&nt.thread, NULL, net_peer, NULL), 0);
	nt.thread_started = true;
	net_run("vireo.net.xfer=1", NULL, 0, &r);
	cr_assert_not_null(strstr(r.output, "VIREO-CHECK net result=pass"),
			   "net check failed:\n%s", output_tail(&r));
	cr_assert_str_eq(check_value(&r, "net", "mac", v, sizeof(v)), NET_MAC);
	cr_assert_str_eq(check_value(&r, "net", "carrier", v, sizeof(v)), "1");
	cr_log_info("ping: %s",
		    check_value(&r, "net", "rtt_min_avg_max", v, sizeof(v)));
	pthread_join(nt.thread, NULL);
	nt.thread_started = false;
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
	const char *vireo = getenv("VIREO") ? getenv("VIREO") : "build/vireo";
	char cmd[512], out[512] = "";
	size_t len;
	FILE *f;
	int status;

	/* Root without CAP_NET_ADMIN cannot create a tap. */
	snprintf(cmd, sizeof(cmd),
		 "setpriv --bounding-set=-net_admin %s run --kernel %s --net "
		 "tap=vt-noperm 2>&1",
		 vireo, GUEST_OUT "/micro/vmlinux");
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	len = fread(out, 1, sizeof(out) - 1, f);
	out[len] = 0;
	status = pclose(f);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		  "status %#x: %s", status, out);
	cr_assert_not_null(strstr(out, "CAP_NET_ADMIN"), "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + len - 1, "not one line: %s", out);
}
