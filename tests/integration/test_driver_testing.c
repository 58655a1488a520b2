// SPDX-License-Identifier: MIT
/*
 * Driver testing (--trace, --fault) against the real Linux guest: one boot
 * with three disks, each with its own faults, and the guest driver's
 * reaction to each asserted from what the guest itself reports, plus the
 * device's side in the trace.
 *   vda: ioerr on sectors 2048-2055 (reads), capacity shrinks to 32768
 *        sectors with a config interrupt after 1 s
 *   vdb: used-id once, after the boot's own reads
 *   vdc: reorder (window 4), delay (50 ms, 20%) and used-len (+4 KiB, 50%)
 *        under direct writes
 *   vdd: drop-irq once, amid a loop of single reads
 *   vde: short-read on every read of an image filled with 'Z'
 *   vdf: unsupp on a read range, on flushes and on discards; config
 *        generation bumps on half the driver's config reads
 *   rng: spurious-irq at 50 Hz, needs-reset after 5 requests
 * and a second boot with virtio-net and the guest's console on
 * virtio-console (hvc0), whose faults change at run time through the
 * control API (vireo ctl fault ...): link flaps, then net RX short-read,
 * console input short-read, console output delay, faults off.
 * The traces are kept in build/ for a look (and the report's excerpt).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define DT_TIMEOUT 600
#define DISK_BYTES (64 << 20)

static void make_disk(const char *dir, const char *name, char *path,
		      size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, DISK_BYTES), 0);
	close(fd);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s missing", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* How many times needle occurs in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* The number after key in the output, -1 if absent. */
static long number_after(const char *out, const char *key)
{
	const char *p = strstr(out, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The first MiB of an image filled with byte c. */
static void fill_disk(const char *path, int c, size_t len)
{
	char *buf = malloc(len);
	int fd = open(path, O_WRONLY);

	cr_assert_not_null(buf);
	cr_assert_geq(fd, 0);
	memset(buf, c, len);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

/* What the guest printed from DT-BEGIN on: the measured reactions. */
static void log_guest_report(const struct vm_result *r)
{
	const char *p = strstr(r->output, "DT-BEGIN\r");

	cr_log_info("guest report:\n%.12000s", p ? p : output_tail(r));
}

/*
 * The guest's side, one shell line each (busybox's line editor takes 1 KiB
 * at most). Whatever might block on a faulty device runs in the
 * background and reports through a file, so the script always reaches
 * DT-END and the host sees every reaction, a hang included.
 */
static const char guest_script[] =
    "echo DT-BEGIN\n"
    "dd if=/dev/vda of=/dev/null bs=4096 skip=256 count=1 iflag=direct; echo "
    "DT-IOERR-RC=$?\n"
    "dd if=/dev/vda of=/dev/null bs=4096 skip=512 count=1 iflag=direct; echo "
    "DT-OK-RC=$?\n"
    "echo DT-KLOG-IOERR=$(dmesg | grep -c 'I/O error')\n"
    "for i in 1 2 3 4 5 6 7 8 9 10; do read s < /sys/block/vda/size; [ $s = "
    "32768 ] && break; sleep 1; done; echo DT-SIZE=$s\n"
    "dd if=/dev/urandom of=/tmp/p bs=65536 count=32 2>/dev/null\n"
    "(dd if=/tmp/p of=/dev/vdc bs=65536 2>/dev/null && sync && echo 3 > "
    "/proc/sys/vm/drop_caches && dd if=/dev/vdc bs=65536 count=32 iflag=direct "
    "2>/dev/null | sha256sum > /tmp/c) &\n"
    "(dd if=/dev/vdb of=/dev/null bs=4096 count=400 iflag=direct 2>/dev/null; "
    "echo done > /tmp/b) &\n"
    "(i=0; while [ $i -lt 30 ]; do dd if=/dev/vdd of=/dev/null bs=4096 count=1 "
    "skip=$i iflag=direct 2>/dev/null; i=$((i+1)); echo $i > /tmp/dq; done) &\n"
    "(dd if=/dev/vde bs=65536 count=1 iflag=direct 2>/dev/null | tr -d Z | wc "
    "-c > /tmp/e) &\n"
    "(dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c > /tmp/r) &\n"
    "sleep 8; a=$(sha256sum < /tmp/p); read b < /tmp/c; [ \"$a\" = \"$b\" ] && "
    "echo DT-REORDER-INTACT\n"
    "echo DT-USEDID-KLOG=$(dmesg | grep -c -e 'out of range' -e 'is not a "
    "head')\n"
    "read n < /tmp/dq; echo DT-DROPIRQ-STUCK-AT=$n\n"
    "(dd if=/dev/vdd of=/dev/null bs=4096 count=1 skip=1000 iflag=direct "
    "2>/dev/null; echo done > /tmp/dq2) &\n"
    "sleep 5; read n < /tmp/dq; echo DT-DROPIRQ-AFTER=$n\n"
    "read n < /tmp/e; echo DT-SHORT-STALE=$n; read n < /tmp/r; echo "
    "DT-RNG-BYTES=$n\n"
    "dd if=/dev/vdf of=/dev/null bs=4096 skip=256 count=1 iflag=direct "
    "2>/tmp/u; echo DT-UNSUPP-READ-RC=$?; head -1 /tmp/u\n"
    "dd if=/dev/zero of=/dev/vdf bs=4096 seek=1024 count=1 conv=fsync "
    "2>/tmp/u; echo DT-UNSUPP-FLUSH-RC=$?; head -1 /tmp/u\n"
    "blkdiscard -o 0 -l 1048576 /dev/vdf 2>/tmp/u; echo "
    "DT-UNSUPP-DISCARD-RC=$?; head -1 /tmp/u\n"
    "echo DT-GEN-SIZE=$(cat /sys/block/vdf/size)\n"
    "dmesg | grep -e vdf -e virtio6 | tail -6\n"
    "grep -e virtio /proc/interrupts | tr -s ' ' | head -12\n"
    "dmesg | grep -i -e virtio -e vd -e 'I/O error' -e hwrng | tail -20\n"
    "echo DT-END; reboot -f\n";

/* The micro guest, its trace at trace_path: the part both boots share. */
static int dt_argv_base(const char **argv, const char *trace_path)
{
	int n = 0;

	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = GUEST_OUT "/micro/vmlinux";
	argv[n++] = "--initrd";
	argv[n++] = GUEST_OUT "/initramfs.cpio";
	argv[n++] = "--memory";
	argv[n++] = "256M";
	argv[n++] = "--trace";
	argv[n++] = trace_path;
	return n;
}

/* Boots with argv[0..n) and the command line, types script, waits. */
static void dt_boot(const char **argv, int n, const char *script,
		    struct vm_result *r)
{
	const struct vm_action actions[] = {
		{ .when = "VIREO-USERSPACE" },
		{ .when = "interactive shell", .input = script },
	};

	argv[n++] = "--cmdline";
	argv[n++] = guest_cmdline("");
	argv[n] = NULL;
	vm_run_actions(argv, actions, 2, DT_TIMEOUT, r);
	cr_assert(!r->timed_out, "timed out:\n%s", output_tail(r));
	log_guest_report(r);
	cr_assert(strstr(r->output, "DT-END"), "script did not finish:\n%s",
		  output_tail(r));
}

Test(driver_testing, blk_faults_guest_reactions_and_trace,
     .timeout = DT_TIMEOUT + 30)
{
	char dir[] = "/tmp/vireo-dt-XXXXXX", a[64], b[64], c[64], d[64], z[64],
	     f[64];
	const char *trace_path = "build/driver_testing.trace.jsonl";
	char buf[32];
	const char *argv[64];
	struct vm_result r;
	char *trace;
	int n;

	require_guest();
	cr_assert_not_null(mkdtemp(dir));
	make_disk(dir, "a.img", a, sizeof(a));
	make_disk(dir, "b.img", b, sizeof(b));
	make_disk(dir, "c.img", c, sizeof(c));
	make_disk(dir, "d.img", d, sizeof(d));
	make_disk(dir, "z.img", z, sizeof(z));
	fill_disk(z, 'Z', 1 << 20);
	make_disk(dir, "f.img", f, sizeof(f));
	n = dt_argv_base(argv, trace_path);
	argv[n++] = "--disk";
	argv[n++] = a;
	argv[n++] = "--disk";
	argv[n++] = b;
	argv[n++] = "--disk";
	argv[n++] = c;
	argv[n++] = "--disk";
	argv[n++] = d;
	argv[n++] = "--disk";
	argv[n++] = z;
	argv[n++] = "--disk";
	argv[n++] = f;
	argv[n++] = "--rng";
	argv[n++] = "--fault-seed";
	argv[n++] = "7";
	argv[n++] = "--fault";
	argv[n++] = "blk0:ioerr,op=read,sector=2048-2055";
	argv[n++] = "--fault";
	argv[n++] = "blk0:config-change,sectors=32768,after_ms=1000";
	argv[n++] = "--fault";
	argv[n++] = "blk1:used-id,after=100,count=1";
	/* In this order: a completion delay does not hold is reordered. */
	argv[n++] = "--fault";
	argv[n++] = "blk2:delay,ms=50,rate=0.2";
	argv[n++] = "--fault";
	argv[n++] = "blk2:reorder,window=4";
	argv[n++] = "--fault";
	argv[n++] = "blk2:used-len,extra=4096,rate=0.5";
	argv[n++] = "--fault";
	argv[n++] = "blk3:drop-irq,after=12,count=1";
	argv[n++] = "--fault";
	argv[n++] = "blk4:short-read";
	argv[n++] = "--fault";
	argv[n++] = "blk5:unsupp,op=read,sector=2048-2055";
	argv[n++] = "--fault";
	argv[n++] = "blk5:unsupp,op=flush";
	argv[n++] = "--fault";
	argv[n++] = "blk5:unsupp,op=discard";
	argv[n++] = "--fault";
	argv[n++] = "blk5:config-change,rate=0.5";
	argv[n++] = "--fault";
	argv[n++] = "rng:spurious-irq,hz=50";
	argv[n++] = "--fault";
	argv[n++] = "rng:needs-reset,after=5,count=1";
	dt_boot(argv, n, guest_script, &r);
	/* ioerr: EIO in the range, fine elsewhere, logged by the kernel. */
	cr_assert(strstr(r.output, "DT-IOERR-RC=1"), "read of the range:\n%s",
		  output_tail(&r));
	cr_assert(strstr(r.output, "DT-OK-RC=0"), "read elsewhere:\n%s",
		  output_tail(&r));
	cr_assert(!strstr(r.output, "DT-KLOG-IOERR=0"), "no I/O error log:\n%s",
		  output_tail(&r));
	/* config-change: the guest follows the new capacity. */
	cr_assert(strstr(r.output, "DT-SIZE=32768"), "size:\n%s",
		  output_tail(&r));
	/* reorder + delay: data intact. */
	cr_assert(strstr(r.output, "DT-REORDER-INTACT"), "data:\n%s",
		  output_tail(&r));
	/* drop-irq: the read waits for the queue's next interrupt. */
	cr_assert(strstr(r.output, "DT-DROPIRQ-AFTER=30"),
		  "reads on vdd never completed:\n%s", output_tail(&r));
	/* short-read: the guest believes the whole buffer and gets stale. */
	cr_assert(strstr(r.output, "DT-SHORT-STALE=") &&
		      !strstr(r.output, "DT-SHORT-STALE=0\r"),
		  "short read not visible:\n%s", output_tail(&r));
	cr_assert(strstr(r.output, "DT-RNG-BYTES=256"), "hwrng:\n%s",
		  output_tail(&r));
	/*
	 * unsupp: a read fails with EOPNOTSUPP; a flush and a discard fail
	 * too (the kernel logs each) but fsync and BLKDISCARD return 0.
	 */
	cr_assert(strstr(r.output, "DT-UNSUPP-READ-RC=1") &&
		      strstr(r.output, "dd: /dev/vdf: Operation not supported"),
		  "%s", output_tail(&r));
	cr_assert(strstr(r.output, "operation not supported error, dev vdf, "
				   "sector 2048 op 0x0:(READ)"),
		  "%s", output_tail(&r));
	cr_assert(strstr(r.output, "DT-UNSUPP-FLUSH-RC=0") &&
		      strstr(r.output, "operation not supported error, dev "
				       "vdf, sector 0 op 0x1:(WRITE)"),
		  "%s", output_tail(&r));
	cr_assert(strstr(r.output, "DT-UNSUPP-DISCARD-RC=0") &&
		      strstr(r.output, "op 0x3:(DISCARD)"),
		  "%s", output_tail(&r));
	/* Generation bumps: the capacity read right all the same. */
	cr_assert(strstr(r.output, "DT-GEN-SIZE=131072"), "%s",
		  output_tail(&r));
	/* used-id: Linux 6.1 marks the virtqueue broken, and says so. */
	cr_assert(!strstr(r.output, "DT-USEDID-KLOG=0") &&
		      strstr(r.output, "DT-USEDID-KLOG="),
		  "used-id not reported by the guest:\n%s", output_tail(&r));

	trace = slurp(trace_path);
	cr_assert(strstr(trace, "\"dev\":\"blk0\",\"ev\":\"fault\",\"kind\":"
				"\"ioerr\""),
		  "no ioerr fault event");
	cr_assert(
	    strstr(trace, "\"kind\":\"config-change\",\"capacity\":32768"),
	    "no capacity event");
	cr_assert(strstr(trace, "\"dev\":\"blk1\",\"ev\":\"fault\",\"kind\":"
				"\"used-id\""));
	cr_assert(strstr(trace, "\"dev\":\"blk2\",\"ev\":\"fault\",\"kind\":"
				"\"reorder\""));
	cr_assert(strstr(trace, "\"ev\":\"blk_req\""));
	cr_assert(strstr(trace, "\"ev\":\"features\""));
	cr_assert(strstr(trace, "\"ev\":\"queue_enable\""));
	cr_assert(strstr(trace, "\"ev\":\"end\""), "trace not closed");
	cr_assert(strstr(trace, "\"dev\":\"blk2\",\"ev\":\"fault\",\"kind\":"
				"\"delay\""));
	cr_assert(strstr(trace, "\"dev\":\"blk2\",\"ev\":\"fault\",\"kind\":"
				"\"used-len\""));
	cr_assert(strstr(trace, "\"dev\":\"blk3\",\"ev\":\"fault\",\"kind\":"
				"\"drop-irq\""));
	cr_assert(strstr(trace, "\"dev\":\"blk4\",\"ev\":\"fault\",\"kind\":"
				"\"short-read\""));
	cr_assert(strstr(trace, "\"dev\":\"rng0\",\"ev\":\"fault\",\"kind\":"
				"\"spurious-irq\""));
	cr_assert(strstr(trace, "\"dev\":\"rng0\",\"ev\":\"needs_reset\""));
	snprintf(buf, sizeof(buf), "\"sector\":2048");
	cr_assert(strstr(trace, buf), "sector as a JSON number");
	cr_assert(strstr(trace, "\"dev\":\"blk5\",\"ev\":\"fault\",\"kind\":"
				"\"unsupp\",\"q\":0,\"seq\":"));
	cr_assert(strstr(trace, "\"op\":\"flush\""), "no flush refused");
	cr_assert(strstr(trace, "\"op\":\"discard\""), "no discard refused");
	n = count_of(trace, "\"dev\":\"blk5\",\"ev\":\"generation\"");
	cr_log_info("blk5: %d generation bumps over %d config reads, %d of "
		    "the capacity's low half",
		    n,
		    count_of(trace, "\"dev\":\"blk5\",\"ev\":\"config_read\""),
		    count_of(trace, "\"dev\":\"blk5\",\"ev\":\"config_read\","
				    "\"off\":0,"));
	cr_assert_gt(n, 0);
	free(trace);
	vm_result_free(&r);
}

/*
 * The second boot: virtio-net on a tap in a namespace of the test's own
 * (as in test_virtio_net.c; needs root) and the guest's console on
 * virtio-console (hvc0). Its faults change at run time through the
 * control API, each change made by the host when the guest says it is
 * ready (a marker the shell computes, so the echo of the typed line does
 * not match it), then the next part is typed:
 *   1. net0:config-change,hz=2 (command line): the carrier follows.
 *   2. fault set net0:short-read,rate=0.5: flaps gone, half the frames
 *      the guest receives have a stale second half: ping, ICMP counters.
 *   3. fault add console0:short-read,count=1, with the tty raw: what a
 *      64-byte input chunk reads as.
 *   4. fault set console0:delay,ms=100: 10 lines of output timed; then
 *      fault off and the same 10 lines again.
 */
static const char net_part1[] =
    "echo DT-BEGIN\n"
    "ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0\n"
    "c=; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do read x < "
    "/sys/class/net/eth0/carrier; c=$c$x; sleep 0.2; done; "
    "echo DT-CARRIER=$c\n"
    "ping -c 3 -W 1 10.0.2.1 > /dev/null; echo DT-PING-RC=$?\n"
    "echo DT-CARRIER-CHANGES=$(cat /sys/class/net/eth0/carrier_changes)\n"
    "echo DT-ARM-$((1+1))\n";

/* The raw read must be the last line typed: the tty holds no other. */
static const char net_part2[] =
    "sleep 1; echo DT-CARRIER-AFTER=$(cat /sys/class/net/eth0/carrier)\n"
    "grep Icmp: /proc/net/snmp | tr -s ' ' | cut -d' ' -f1-5\n"
    "ping -c 20 -i 0.2 -W 1 10.0.2.1 | grep -e transmitted -e 'bytes from' "
    "| sed 's/^/DT-PING: /' | tail -3\n"
    "grep Icmp: /proc/net/snmp | tr -s ' ' | cut -d' ' -f1-5\n"
    "ping -c 10 -i 0.2 -W 1 -s 1200 10.0.2.1 | grep -e transmitted | sed "
    "'s/^/DT-PING1200: /'\n"
    "grep Icmp: /proc/net/snmp | tr -s ' ' | cut -d' ' -f1-5 | sed "
    "'s/^/DT-SNMP: /'\n"
    "grep eth0 /proc/net/dev | tr -s ' ' | sed 's/^/DT-NETDEV: /'\n"
    "stty raw -echo; echo DT-RAW-$((1+1)); dd bs=64 count=1 2>/dev/null > "
    "/tmp/raw; stty sane; echo; echo DT-RAWGOT=$(tr -c 'A-Za-z0-9' '.' < "
    "/tmp/raw); echo \"DT-RAWHEX=$(od -An -v -tx1 /tmp/raw | tail -2)\"; echo "
    "DT-RAWEND-$((2+1))\n";

static const char raw_chunk[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";

#define DT_TIME_LINES(tag)                                                     \
	"read u x < /proc/uptime; a=${u%.*}${u#*.}; for i in 1 2 3 4 5 6 7 "   \
	"8 9 10; do echo line-$i; done; read u x < /proc/uptime; "             \
	"b=${u%.*}${u#*.}; echo " tag "=$((b-a))\n"

static const char net_part3[] =
    DT_TIME_LINES("DT-CONSOLE-DELAY-CS") "echo DT-OFF-$((3+1))\n";

static const char net_part4[] =
    DT_TIME_LINES("DT-CONSOLE-NODELAY-CS") "echo DT-END; reboot -f\n";

static char dt_ns[64], dt_sock[108], dt_list[64];

/* vireo ctl --api dt_sock ARGS, its output appended to dt_list. */
static void dt_ctl(const char *args)
{
	const char *vireo = getenv("VIREO") ? getenv("VIREO") : "build/vireo";
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s ctl --api %s %s >> %s 2>&1", vireo,
		 dt_sock, args, dt_list);
	if (system(cmd) != 0)
		cr_log_error("failed: %s", cmd);
}

static void dt_arm_net_short_read(void)
{
	dt_ctl("fault set net0:short-read,rate=0.5");
}

static void dt_arm_console_short_read(void)
{
	dt_ctl("fault add console0:short-read,count=1");
}

static void dt_arm_console_delay(void)
{
	dt_ctl("fault set console0:delay,ms=100");
	dt_ctl("fault list");
}

static void dt_faults_off(void)
{
	dt_ctl("fault off");
}

static void dt_net_teardown(void)
{
	char cmd[128];

	if (dt_list[0])
		unlink(dt_list);
	if (!dt_ns[0])
		return;
	snprintf(cmd, sizeof(cmd), "ip netns del %s", dt_ns);
	if (system(cmd) != 0)
		cr_log_info("could not remove namespace %s", dt_ns);
}

Test(driver_testing, net_and_console_faults_changed_at_run_time,
     .fini = dt_net_teardown, .timeout = DT_TIMEOUT + 30)
{
	const char *trace_path = "build/driver_testing.net.trace.jsonl";
	const struct vm_action actions[] = {
		{ .when = "VIREO-USERSPACE" },
		{ .when = "interactive shell", .input = net_part1 },
		{ .when = "DT-ARM-2",
		  .call = dt_arm_net_short_read,
		  .input = net_part2 },
		{ .when = "DT-RAW-2",
		  .call = dt_arm_console_short_read,
		  .input = raw_chunk },
		{ .when = "DT-RAWEND-3",
		  .call = dt_arm_console_delay,
		  .input = net_part3 },
		{ .when = "DT-OFF-4",
		  .call = dt_faults_off,
		  .input = net_part4 },
	};
	const char *argv[32];
	struct vm_result r;
	char cmd[512], path[96];
	char *trace, *list;
	int n, fd;

	cr_assert_eq(geteuid(), 0, "the net fault test needs root (tap)");
	require_guest();
	snprintf(dt_ns, sizeof(dt_ns), "vireo-dt-%d", (int)getpid());
	snprintf(dt_sock, sizeof(dt_sock), "/tmp/vireo-dt-%d.sock",
		 (int)getpid());
	snprintf(dt_list, sizeof(dt_list), "/tmp/vireo-dt-%d.ctl",
		 (int)getpid());
	unlink(dt_list);
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %s && ip -n %s tuntap add dev vt0 mode tap && "
		 "ip -n %s addr add 10.0.2.1/24 dev vt0 && "
		 "ip -n %s link set vt0 up",
		 dt_ns, dt_ns, dt_ns, dt_ns);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof(path), "/run/netns/%s", dt_ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(setns(fd, CLONE_NEWNET), 0, "setns");
	close(fd);
	n = dt_argv_base(argv, trace_path);
	argv[n++] = "--net";
	argv[n++] = "tap=vt0";
	argv[n++] = "--console";
	argv[n++] = "virtio";
	argv[n++] = "--api-socket";
	argv[n++] = dt_sock;
	argv[n++] = "--fault";
	argv[n++] = "net0:config-change,hz=2";
	argv[n++] = "--cmdline";
	argv[n++] = guest_cmdline("console=hvc0");
	argv[n] = NULL;
	vm_run_actions(argv, actions, sizeof(actions) / sizeof(actions[0]),
		       DT_TIMEOUT, &r);
	cr_assert(!r.timed_out, "timed out:\n%s", output_tail(&r));
	log_guest_report(&r);
	list = slurp(dt_list);
	cr_log_info("vireo ctl said:\n%s", list);
	cr_assert(strstr(r.output, "DT-END"), "script did not finish:\n%s",
		  output_tail(&r));
	/* 1. Both states seen while sampling every 200 ms of 1 Hz flaps. */
	cr_assert(strstr(r.output, "DT-CARRIER=") &&
		      strstr(strstr(r.output, "DT-CARRIER="), "0") &&
		      strstr(strstr(r.output, "DT-CARRIER="), "1"),
		  "carrier did not follow the link:\n%s", output_tail(&r));
	trace = slurp(trace_path);
	cr_assert(
	    strstr(trace, "\"kind\":\"config-change\",\"link_up\":false"));
	cr_assert(strstr(trace, "\"kind\":\"config-change\",\"link_up\":true"));
	cr_assert(strstr(trace, "\"ev\":\"config_irq\""));
	cr_assert(strstr(trace, "\"ev\":\"net_tx\""), "no decoded TX frame");
	/* 2. The flaps replaced at run time: the link is back up. */
	cr_assert(strstr(r.output, "DT-CARRIER-AFTER=1"), "%s",
		  output_tail(&r));
	cr_assert(strstr(trace, "\"dev\":\"net0\",\"ev\":\"pop\",\"q\":0,"),
		  "RX chains not traced as pops");
	cr_assert(strstr(trace, "\"dev\":\"net0\",\"ev\":\"fault\",\"kind\":"
				"\"short-read\""),
		  "the API's net rule never fired");
	/* 3. The tty got the first half of the chunk, then stale bytes. */
	cr_assert(
	    strstr(r.output, "DT-RAWGOT=0123456789abcdefghijklmnopqrstuv"),
	    "%s", output_tail(&r));
	cr_assert_not(strstr(r.output, raw_chunk + 32), "%s", output_tail(&r));
	cr_assert(strstr(trace,
			 "\"dev\":\"console0\",\"ev\":\"fault\",\"kind\":"
			 "\"short-read\""));
	cr_assert(strstr(trace, "\"dev\":\"console0\",\"ev\":\"console_rx\""));
	/* 4. Output held 100 ms a buffer, then not at all. */
	cr_assert_geq(number_after(r.output, "DT-CONSOLE-DELAY-CS="), 100, "%s",
		      output_tail(&r));
	cr_assert_lt(number_after(r.output, "DT-CONSOLE-NODELAY-CS="),
		     number_after(r.output, "DT-CONSOLE-DELAY-CS=") / 2, "%s",
		     output_tail(&r));
	cr_assert(strstr(trace,
			 "\"dev\":\"console0\",\"ev\":\"fault\",\"kind\":"
			 "\"delay\""));
	cr_assert(strstr(list, "\"rule\": \"console0:delay,ms=100\""), "%s",
		  list);
	cr_assert(strstr(r.output, "fault injection off (API)"), "%s",
		  output_tail(&r));
	free(list);
	free(trace);
	vm_result_free(&r);
}
