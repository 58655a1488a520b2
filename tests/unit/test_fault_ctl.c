// SPDX-License-Identifier: MIT
/*
 * `vireo ctl fault ...` against a one-shot fake API server on a Unix
 * socket: the request each subcommand sends (method, path, JSON body),
 * and usage errors that send nothing.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/ctl.h"

static struct {
	char path[64];
	int lfd;
	pthread_t thread;
	char req[4096]; /* what the server got */
} fc;

/* Takes one request, answers 200 with a small JSON body. */
static void *fc_serve(void *arg)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n"
				   "Connection: close\r\n\r\n{\"armed\":true}";
	size_t len = 0;
	ssize_t n;
	int fd;

	(void)arg;
	fd = accept(fc.lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	/* ctl sends the whole request at once, then waits. */
	while (len < sizeof(fc.req) - 1 &&
	       (n = read(fd, fc.req + len, sizeof(fc.req) - 1 - len)) > 0) {
		len += (size_t)n;
		fc.req[len] = 0;
		const char *body = strstr(fc.req, "\r\n\r\n");
		const char *cl = strstr(fc.req, "Content-Length: ");

		if (body && cl &&
		    strlen(body + 4) >= strtoul(cl + 16, NULL, 10))
			break;
	}
	if (write(fd, resp, sizeof(resp) - 1) < 0) {
		/* the test sees the missing answer */
	}
	close(fd);
	return NULL;
}

static void fc_setup(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	memset(&fc, 0, sizeof(fc));
	snprintf(fc.path, sizeof(fc.path), "/tmp/vireo-fc-%d.sock",
		 (int)getpid());
	unlink(fc.path);
	strcpy(a.sun_path, fc.path);
	fc.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fc.lfd, 0);
	cr_assert_eq(bind(fc.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fc.lfd, 1), 0);
	cr_assert_eq(pthread_create(&fc.thread, NULL, fc_serve, NULL), 0);
}

static void fc_teardown(void)
{
	/* Unblocks a server no ctl connected to. */
	shutdown(fc.lfd, SHUT_RDWR);
	pthread_join(fc.thread, NULL);
	close(fc.lfd);
	unlink(fc.path);
}

TestSuite(fault_ctl, .init = fc_setup, .fini = fc_teardown, .timeout = 10);

/* Runs vireo ctl --api <socket> args...; its exit status. */
static int fc_run(const char *const *args, char *out, size_t out_size)
{
	char *argv[16] = { "ctl", "--api", fc.path };
	FILE *o = fmemopen(out, out_size, "w"), *e = fopen("/dev/null", "w");
	int argc = 3, r;

	while (*args)
		argv[argc++] = (char *)*args++;
	r = ctl_main(argc, argv, o, e);
	fclose(o);
	fclose(e);
	return r;
}

Test(fault_ctl, add_sends_the_rules_as_a_patch)
{
	const char *args[] = { "fault", "add", "blk0:ioerr,sector=8-15",
			       "net0:short-read", NULL };
	char out[256] = { 0 };

	cr_assert_eq(fc_run(args, out, sizeof(out)), 0);
	cr_assert(!strncmp(fc.req, "PATCH /faults HTTP/1.1\r\n", 24), "%s",
		  fc.req);
	cr_assert(strstr(fc.req, "\r\n\r\n{\"add\":[\"blk0:ioerr,sector=8-15\","
				 "\"net0:short-read\"]}"),
		  "%s", fc.req);
	cr_assert(strstr(out, "\"armed\": true"), "the answer printed: %s",
		  out);
}

Test(fault_ctl, set_list_off_on_clear)
{
	static const struct {
		const char *args[4];
		const char *line, *body;
	} cases[] = {
		{ { "fault", "set", "rng:drop-irq", NULL },
		  "PUT /faults ",
		  "{\"rules\":[\"rng:drop-irq\"]}" },
		{ { "fault", "list", NULL }, "GET /faults ", "" },
		{ { "fault", "off", NULL },
		  "PATCH /faults ",
		  "{\"enabled\":false}" },
		{ { "fault", "on", NULL },
		  "PATCH /faults ",
		  "{\"enabled\":true}" },
		{ { "fault", "clear", NULL },
		  "PUT /faults ",
		  "{\"rules\":[]}" },
	};
	char out[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (i) { /* one request per server: a new one each time */
			fc_teardown();
			fc_setup();
		}
		cr_assert_eq(fc_run(cases[i].args, out, sizeof(out)), 0);
		cr_assert(
		    !strncmp(fc.req, cases[i].line, strlen(cases[i].line)),
		    "%s", fc.req);
		cr_assert_str_eq(strstr(fc.req, "\r\n\r\n") + 4, cases[i].body);
	}
}

Test(fault_ctl, usage_errors_send_nothing)
{
	static const char *const bad[][4] = {
		{ "fault", NULL },
		{ "fault", "explode", NULL },
		{ "fault", "add", NULL },
		{ "fault", "list", "extra", NULL },
	};
	char out[64];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(fc_run(bad[i], out, sizeof(out)), 2, "%s %s",
			     bad[i][0], bad[i][1] ? bad[i][1] : "");
	cr_assert_eq(fc.req[0], 0, "nothing was sent");
}
