// SPDX-License-Identifier: MIT
/*
 * The control API (--api-socket) and `vireo ctl` against a running VM,
 * and --config. Checks are combined into few boots: the hostile test
 * guest (idle, no Linux: a boot takes a second) carries everything that
 * needs no guest OS; one Linux boot carries what needs one: pause (a
 * guest counter on the console stops) and resume (it goes on with no
 * number missing), block I/O moving the metrics, and the ACPI power
 * button powering the guest off cleanly (vireo exits 0).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define HOSTILE_ELF "build/hostile.elf"

static const char *vireo(void)
{
	const char *p = getenv("VIREO");

	return p && *p ? p : "build/vireo";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One vireo child: stdin a pipe, stdout+stderr collected in out. */
struct vm {
	pid_t pid;
	int in_fd, out_fd;
	char *out;
	size_t len, cap;
	int status; /* once reaped; -1 before */
};

static void vm_start(struct vm *vm, const char *const *args)
{
	int in[2], out[2];
	const char *argv[64] = { vireo() };
	int i;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	*vm = (struct vm){ .status = -1, .cap = 1 << 16 };
	vm->out = calloc(1, vm->cap);
	vm->pid = fork();
	cr_assert(vm->pid >= 0);
	if (vm->pid == 0) {
		/* A failed assertion ends the test process: vireo with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(in[1]);
		close(out[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	vm->in_fd = in[1];
	vm->out_fd = out[0];
	fcntl(vm->out_fd, F_SETFL, O_NONBLOCK);
}

/* Collects output for up to timeout_s or until want (from offset) shows. */
static bool vm_wait_for(struct vm *vm, const char *want, size_t from,
			double timeout_s)
{
	double end = now() + timeout_s;

	for (;;) {
		struct pollfd p = { .fd = vm->out_fd, .events = POLLIN };
		ssize_t n;

		if (want && vm->len > from && strstr(vm->out + from, want))
			return true;
		if (now() >= end)
			return false;
		if (poll(&p, 1, 50) <= 0)
			continue;
		if (vm->len + 4096 > vm->cap) {
			vm->cap *= 2;
			vm->out = realloc(vm->out, vm->cap);
		}
		n = read(vm->out_fd, vm->out + vm->len, vm->cap - vm->len - 1);
		if (n > 0) {
			vm->len += (size_t)n;
			vm->out[vm->len] = 0;
		} else if (n == 0) {
			if (!want)
				return true;
			usleep(20000);
		}
	}
}

static void vm_type(struct vm *vm, const char *s)
{
	cr_assert_eq(write(vm->in_fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Exit status once it ends within timeout_s; SIGKILL and -1 otherwise. */
static int vm_wait_exit(struct vm *vm, double timeout_s)
{
	double end = now() + timeout_s;
	int st;

	while (now() < end) {
		vm_wait_for(vm, NULL, 0, 0.05);
		if (waitpid(vm->pid, &st, WNOHANG) == vm->pid) {
			vm_wait_for(vm, NULL, 0, 0.2);
			vm->status = WIFEXITED(st) ? WEXITSTATUS(st)
						   : 128 + WTERMSIG(st);
			return vm->status;
		}
	}
	kill(vm->pid, SIGKILL);
	waitpid(vm->pid, &st, 0);
	return -1;
}

static void vm_free(struct vm *vm)
{
	if (vm->status < 0)
		vm_wait_exit(vm, 0.1);
	close(vm->in_fd);
	close(vm->out_fd);
	free(vm->out);
}

static const char *tail(const struct vm *vm)
{
	return vm->len > 3000 ? vm->out + vm->len - 3000 : vm->out;
}

/* One raw HTTP exchange on the API socket; the status (0: none). */
static int api_raw(const char *sock, const char *req, char *resp, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), status = 0;
	size_t len = 0;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
	resp[0] = 0;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return 0;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		close(fd);
		return 0;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0 || len + 1 >= size)
			break;
		n = read(fd, resp + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	resp[len] = 0;
	close(fd);
	sscanf(resp, "HTTP/1.1 %d", &status);
	return status;
}

static int api(const char *sock, const char *method, const char *path,
	       const char *body, char *resp, size_t size)
{
	char req[1024];

	snprintf(req, sizeof(req),
		 "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
		 method, path, body ? strlen(body) : 0, body ? body : "");
	return api_raw(sock, req, resp, size);
}

/* `vireo ctl --api sock cmd`: exit status, output in out. */
static int ctl(const char *sock, const char *cmd, char *out, size_t size)
{
	char line[512];
	FILE *p;
	size_t len = 0;
	int st;

	snprintf(line, sizeof(line), "%s ctl --api %s %s 2>&1", vireo(), sock,
		 cmd);
	p = popen(line, "r");
	cr_assert(p);
	len = fread(out, 1, size - 1, p);
	out[len] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The number after "key": in a JSON text, from the first match of scope. */
static long long json_num(const char *text, const char *scope, const char *key)
{
	const char *s = scope ? strstr(text, scope) : text;
	char k[64];

	if (!s)
		return -1;
	snprintf(k, sizeof(k), "\"%s\":", key);
	s = strstr(s, k);
	return s ? strtoll(s + strlen(k), NULL, 10) : -1;
}

static char sock[108], dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vireo-api-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0) {
		/* best effort */
	}
}

TestSuite(api, .init = setup, .fini = teardown);

static void require_hostile(void)
{
	cr_assert(access("/dev/kvm", R_OK | W_OK) == 0,
		  "/dev/kvm is missing or inaccessible: integration tests "
		  "need KVM");
	cr_assert(access(HOSTILE_ELF, R_OK) == 0,
		  HOSTILE_ELF " missing: run 'make'");
}

static bool wait_socket(struct vm *vm, double timeout_s)
{
	double end = now() + timeout_s;
	struct stat st;

	while (now() < end) {
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return true;
		vm_wait_for(vm, NULL, 0, 0.05);
	}
	return false;
}

/*
 * Everything that needs no guest OS, in one boot of the idle hostile
 * guest: GET /vm, ctl info/metrics/pause/resume/stop, bad requests,
 * a stuck client, the socket's mode, exit 0 and the socket gone at stop.
 */
Test(api, hostile_guest_api_and_ctl, .timeout = 240)
{
	char img[128], resp[16384], out[16384];
	const char *args[] = { "run",
			       "--kernel",
			       HOSTILE_ELF,
			       "--rng",
			       "--disk",
			       img,
			       "--cpus",
			       "2",
			       "--api-socket",
			       sock,
			       "--cmdline",
			       "console=ttyS0 hostile=none hostile.idle=600000",
			       NULL };
	struct stat st;
	struct vm vm;
	double t0;
	int slow, fd;

	require_hostile();
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	fd = open(img, O_CREAT | O_RDWR, 0600);
	cr_assert(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	close(fd);
	vm_start(&vm, args);
	cr_assert(wait_socket(&vm, 60), "no API socket: %s", tail(&vm));
	/* (stderr lines may split the guest's own: match a short piece) */
	cr_assert(vm_wait_for(&vm, "HOSTILE-INFO", 0, 120),
		  "guest did not start: %s", tail(&vm));
	sleep(1);
	cr_assert_eq(stat(sock, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "socket mode %o",
		     st.st_mode & 0777);

	/* GET /vm: state, vCPUs, memory, devices, uptime, config. */
	cr_assert_eq(api(sock, "GET", "/vm", NULL, resp, sizeof(resp)), 200,
		     "%s", resp);
	cr_assert(strstr(resp, "\"state\":\"Running\""), "%s", resp);
	cr_assert_eq(json_num(resp, NULL, "vcpus"), 2, "%s", resp);
	cr_assert_eq(json_num(resp, NULL, "memory_mib"), 512, "%s", resp);
	cr_assert_gt(json_num(resp, NULL, "uptime_ms"), 0, "%s", resp);
	cr_assert(strstr(resp, "\"id\":\"rng0\""), "%s", resp);
	cr_assert(strstr(resp, "\"id\":\"blk0\""), "%s", resp);
	cr_assert(strstr(resp, "\"kernel\":\"" HOSTILE_ELF "\""), "%s", resp);

	/* vireo ctl, each command but shutdown (the Linux test's). */
	cr_assert_eq(ctl(sock, "info", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "\"state\": \"Running\""), "%s", out);
	cr_assert_eq(ctl(sock, "metrics", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "\"interrupts\"") && strstr(out, "\"mmio\""),
		  "%s", out);
	cr_assert_eq(ctl(sock, "pause", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(api(sock, "GET", "/vm", NULL, resp, sizeof(resp)), 200);
	cr_assert(strstr(resp, "\"state\":\"Paused\""), "%s", resp);
	/* Pausing twice is harmless; shutdown while paused is refused. */
	cr_assert_eq(ctl(sock, "pause", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(ctl(sock, "shutdown", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "409") && strstr(out, "paused"), "%s", out);
	cr_assert_eq(ctl(sock, "resume", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(api(sock, "GET", "/vm", NULL, resp, sizeof(resp)), 200);
	cr_assert(strstr(resp, "\"state\":\"Running\""), "%s", resp);

	/* Bad requests: 4xx with a message, and the VMM carries on. */
	cr_assert_eq(api_raw(sock, "NONSENSE\r\n\r\n", resp, sizeof(resp)), 400,
		     "%s", resp);
	cr_assert(strstr(resp, "\"error\":"), "%s", resp);
	cr_assert_eq(
	    api(sock, "PUT", "/vm/state", "{\"state\":", resp, sizeof(resp)),
	    400, "%s", resp);
	cr_assert(strstr(resp, "invalid JSON"), "%s", resp);
	cr_assert_eq(api(sock, "PUT", "/vm/state", "{\"state\":\"Sleeping\"}",
			 resp, sizeof(resp)),
		     400, "%s", resp);
	cr_assert_eq(
	    api(sock, "PUT", "/actions", "{\"action\":7}", resp, sizeof(resp)),
	    400, "%s", resp);
	cr_assert_eq(api(sock, "GET", "/nothing", NULL, resp, sizeof(resp)),
		     404, "%s", resp);
	cr_assert_eq(api(sock, "DELETE", "/vm", NULL, resp, sizeof(resp)), 405,
		     "%s", resp);
	cr_assert_eq(api_raw(sock,
			     "PUT /actions HTTP/1.1\r\nContent-Length: "
			     "1000000\r\n\r\n",
			     resp, sizeof(resp)),
		     413, "%s", resp);

	/* A client that sends half a request and stalls stalls nobody. */
	{
		struct sockaddr_un addr = { .sun_family = AF_UNIX };

		slow = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
		cr_assert_eq(
		    connect(slow, (struct sockaddr *)&addr, sizeof(addr)), 0);
		cr_assert_eq(send(slow, "GET /vm HTTP/1.1\r\nHo", 20, 0), 20);
	}
	t0 = now();
	cr_assert_eq(api(sock, "GET", "/vm", NULL, resp, sizeof(resp)), 200);
	cr_assert_lt(now() - t0, 2.0,
		     "GET /vm took %.2f s with a stalled "
		     "client",
		     now() - t0);
	close(slow);

	/* stop: at once, exit 0, the socket removed. */
	cr_assert_eq(ctl(sock, "stop", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(vm_wait_exit(&vm, 30), 0, "%s", tail(&vm));
	cr_assert_eq(access(sock, F_OK), -1, "socket left behind");
	cr_assert_eq(ctl(sock, "info", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "cannot connect"), "%s", out);
	vm_free(&vm);
}

/* reboot ends vireo (status 0) as a guest reset does. */
Test(api, reboot_ends_like_a_guest_reset, .timeout = 120)
{
	const char *args[] = { "run",
			       "--kernel",
			       HOSTILE_ELF,
			       "--api-socket",
			       sock,
			       "--cmdline",
			       "console=ttyS0 hostile=none hostile.idle=600000",
			       NULL };
	char out[4096];
	struct vm vm;

	require_hostile();
	vm_start(&vm, args);
	cr_assert(wait_socket(&vm, 60), "no API socket: %s", tail(&vm));
	cr_assert_eq(ctl(sock, "reboot", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(vm_wait_exit(&vm, 30), 0, "%s", tail(&vm));
	vm_free(&vm);
}

Test(api, refuses_to_replace_a_non_socket_file, .timeout = 60)
{
	const char *args[] = { "run",	       "--kernel", HOSTILE_ELF,
			       "--api-socket", sock,	   NULL };
	char buf[16] = "";
	struct vm vm;
	int fd;

	require_hostile();
	fd = open(sock, O_CREAT | O_WRONLY, 0644);
	cr_assert_eq(write(fd, "precious", 8), 8);
	close(fd);
	vm_start(&vm, args);
	cr_assert_eq(vm_wait_exit(&vm, 30), 2, "%s", tail(&vm));
	cr_assert(strstr(vm.out, "not a socket"), "%s", vm.out);
	cr_assert_eq(strchr(vm.out, '\n'), vm.out + vm.len - 1, "one line: %s",
		     vm.out);
	fd = open(sock, O_RDONLY);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	cr_assert_str_eq(buf, "precious");
	vm_free(&vm);
}

/* The HOSTILE-INFO line: the devices the guest found, where. */
static char *hostile_info(const char *const *args, int *status)
{
	struct vm vm;
	char *line, *end, *copy;

	vm_start(&vm, args);
	*status = vm_wait_exit(&vm, 120);
	/* From ecam= on: the TSC rate before it varies from run to run. */
	line = strstr(vm.out, "HOSTILE-INFO");
	cr_assert(line, "no HOSTILE-INFO: %s", tail(&vm));
	line = strstr(line, "ecam=");
	cr_assert(line, "%s", tail(&vm));
	end = strchr(line, '\n');
	copy = strndup(line, end ? (size_t)(end - line) : strlen(line));
	vm_free(&vm);
	return copy;
}

/*
 * --config: the same VM as from flags (same devices found by the guest,
 * same effective configuration), flags override the file, a bad file is
 * one line and exit 2.
 */
Test(api, config_file_same_vm_as_flags, .timeout = 240)
{
	const char *flags[] = { "run",
				"--kernel",
				HOSTILE_ELF,
				"--cpus",
				"2",
				"--memory",
				"256M",
				"--rng",
				"--transport",
				"mmio",
				"--virtio-transport",
				"rng=pci",
				"--cmdline",
				"console=ttyS0 hostile=none",
				NULL };
	char cfg[128], cmd[512], a[4096], b[4096], *info_flags, *info_cfg;
	const char *from_file[] = { "run", "--config", cfg, NULL };
	int st_flags, st_cfg;
	FILE *f, *p;
	size_t n;

	require_hostile();
	snprintf(cfg, sizeof(cfg), "%s/vm.json", dir);
	f = fopen(cfg, "w");
	fprintf(f,
		"{\"kernel\": \"%s\", \"cpus\": 2, \"memory\": \"256M\","
		" \"rng\": true, \"transport\": \"mmio\","
		" \"virtio_transport\": {\"rng\": \"pci\"},"
		" \"cmdline\": \"console=ttyS0 hostile=none\"}",
		HOSTILE_ELF);
	fclose(f);
	/* Same effective configuration, as printed. */
	snprintf(cmd, sizeof(cmd),
		 "%s run --kernel %s --cpus 2 --memory 256M --rng --transport "
		 "mmio --virtio-transport rng=pci --cmdline 'console=ttyS0 "
		 "hostile=none' --print-config",
		 vireo(), HOSTILE_ELF);
	p = popen(cmd, "r");
	n = fread(a, 1, sizeof(a) - 1, p);
	a[n] = 0;
	cr_assert_eq(pclose(p), 0);
	snprintf(cmd, sizeof(cmd), "%s run --config %s --print-config", vireo(),
		 cfg);
	p = popen(cmd, "r");
	n = fread(b, 1, sizeof(b) - 1, p);
	b[n] = 0;
	cr_assert_eq(pclose(p), 0);
	cr_assert_str_eq(a, b);
	/* Same machine, as the guest finds it. */
	info_flags = hostile_info(flags, &st_flags);
	info_cfg = hostile_info(from_file, &st_cfg);
	cr_assert_eq(st_flags, 0);
	cr_assert_eq(st_cfg, 0);
	cr_assert(strstr(info_flags, "rng@pci"), "%s", info_flags);
	cr_assert_str_eq(info_cfg, info_flags);
	free(info_flags);
	free(info_cfg);
	/* A flag overrides the file. */
	snprintf(cmd, sizeof(cmd),
		 "%s run --config %s --cpus 1 --print-config | grep -c "
		 "'\"cpus\": 1' >/dev/null",
		 vireo(), cfg);
	cr_assert_eq(system(cmd), 0);
	/* Unknown key: one line, exit 2, before any guest runs. */
	f = fopen(cfg, "w");
	fprintf(f, "{\"kernel\": \"%s\", \"cpu\": 2}", HOSTILE_ELF);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s run --config %s 2>&1", vireo(), cfg);
	p = popen(cmd, "r");
	n = fread(a, 1, sizeof(a) - 1, p);
	a[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(p)), 2, "%s", a);
	cr_assert(strstr(a, "unknown key 'cpu'"), "%s", a);
	cr_assert_eq(strchr(a, '\n'), a + n - 1, "one line: %s", a);
}

/* Counter lines "TICK n" in out[from..]: the first and last n, and gaps. */
static void ticks(const char *out, long *first, long *last, int *gaps)
{
	const char *p = out;
	long prev = -1;

	*first = *last = -1;
	*gaps = 0;
	while ((p = strstr(p, "TICK "))) {
		char *end;
		long n = strtol(p + 5, &end, 10);

		p += 5;
		/*
		 * A number ends its line ('\r'), or a kernel message the
		 * console wrote before the line's end ('[', as the clocksource
		 * watchdog's after a pause): anything else is the typed
		 * command's echo or a line still arriving.
		 */
		if (end == p || (*end != '\r' && *end != '['))
			continue;
		if (*first < 0)
			*first = n;
		else if (n != prev + 1)
			(*gaps)++;
		prev = *last = n;
	}
}

/*
 * One Linux boot: blk reads move the metrics; pause stops a counter the
 * guest prints, resume continues it with nothing lost; `vireo ctl
 * shutdown` presses the ACPI power button and the guest powers off
 * cleanly: vireo exits 0.
 */
Test(api, linux_pause_resume_metrics_shutdown, .timeout = 600)
{
	char img[128], resp[16384], out[4096], cmdline[4096];
	const char *args[] = { "run",
			       "--kernel",
			       GUEST_OUT "/micro/vmlinux",
			       "--initrd",
			       GUEST_OUT "/initramfs.cpio",
			       "--disk",
			       img,
			       "--api-socket",
			       sock,
			       "--cmdline",
			       cmdline,
			       NULL };
	long long req0, bytes0, req1, bytes1;
	long first, last, first2, last2;
	size_t mark;
	struct vm vm;
	int gaps, fd;

	require_guest();
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	fd = open(img, O_CREAT | O_RDWR, 0600);
	cr_assert(fd >= 0 && ftruncate(fd, 4 << 20) == 0);
	close(fd);
	snprintf(cmdline, sizeof(cmdline), "%s", guest_cmdline(""));
	vm_start(&vm, args);
	cr_assert(vm_wait_for(&vm, "interactive shell", 0, 400),
		  "no guest shell: %s", tail(&vm));
	sleep(1);

	/* Metrics move with I/O: 1 MiB read from vda. */
	cr_assert_eq(api(sock, "GET", "/metrics", NULL, resp, sizeof(resp)),
		     200);
	req0 = json_num(resp, "\"blk0\"", "requests");
	bytes0 = json_num(resp, "\"blk0\"", "bytes");
	cr_assert_geq(req0, 0, "%s", resp);
	mark = vm.len;
	vm_type(&vm, "dd if=/dev/vda of=/dev/null bs=4096 count=256 "
		     "iflag=direct 2>/dev/null; echo DD-''DONE\n");
	cr_assert(vm_wait_for(&vm, "DD-DONE", mark, 120), "%s", tail(&vm));
	cr_assert_eq(api(sock, "GET", "/metrics", NULL, resp, sizeof(resp)),
		     200);
	req1 = json_num(resp, "\"blk0\"", "requests");
	bytes1 = json_num(resp, "\"blk0\"", "bytes");
	cr_assert_geq(bytes1 - bytes0, 1 << 20, "blk0 bytes %lld -> %lld: %s",
		      bytes0, bytes1, resp);
	cr_assert_gt(req1, req0, "%s", resp);
	cr_assert_gt(json_num(resp, "\"blk0\"", "interrupts"), 0, "%s", resp);

	/* A counter on the console; pause must stop it. */
	mark = vm.len;
	vm_type(&vm, "i=0; while :; do echo \"TICK $i\"; i=$((i+1)); "
		     "usleep 100000; done &\n");
	cr_assert(vm_wait_for(&vm, "TICK 5\r", mark, 120), "%s", tail(&vm));
	cr_assert_eq(ctl(sock, "pause", out, sizeof(out)), 0, "%s", out);
	/* Whatever was in flight has arrived; from now on, nothing. */
	vm_wait_for(&vm, NULL, 0, 0.5);
	ticks(vm.out + mark, &first, &last, &gaps);
	vm_wait_for(&vm, "TICK", vm.len, 3.0);
	ticks(vm.out + mark, &first2, &last2, &gaps);
	cr_assert_eq(last2, last, "the guest ran while paused: TICK %ld -> %ld",
		     last, last2);
	cr_assert_eq(api(sock, "GET", "/vm", NULL, resp, sizeof(resp)), 200);
	cr_assert(strstr(resp, "\"state\":\"Paused\""), "%s", resp);

	/* Resume: the counter goes on, no number missing. */
	cr_assert_eq(ctl(sock, "resume", out, sizeof(out)), 0, "%s", out);
	{
		char want[32];

		snprintf(want, sizeof(want), "TICK %ld\r", last + 10);
		cr_assert(vm_wait_for(&vm, want, mark, 60),
			  "no progress after resume: %s", tail(&vm));
	}
	ticks(vm.out + mark, &first, &last, &gaps);
	cr_assert_eq(first, 0);
	cr_assert_eq(gaps, 0, "ticks lost around pause/resume: %s", tail(&vm));

	/* shutdown: the ACPI power button; the guest powers itself off. */
	cr_assert_eq(ctl(sock, "shutdown", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(vm_wait_exit(&vm, 120), 0, "%s", tail(&vm));
	cr_assert(strstr(vm.out, "VIREO-POWER-BUTTON"),
		  "the guest did not see the button: %s", tail(&vm));
	vm_free(&vm);
}
