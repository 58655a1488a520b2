// SPDX-License-Identifier: MIT
/*
 * The control API socket with real clients: 0600 and no clobbering of
 * other files, answers over the wire, and hostile clients (slow, stuck,
 * too many, oversized) neither stall other clients nor the server.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/api/api_server.h"

static char dir[64], sock_path[128];
static int handled;

static void echo_handler(void *opaque, const struct http_request *req,
			 struct api_response *resp)
{
	(void)opaque;
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
	resp->status = 200;
	if (asprintf(&resp->body, "{\"path\":\"%s\"}", req->path) < 0)
		resp->body = NULL;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vireo-api-test-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/api.sock", dir);
	handled = 0;
}

static void teardown(void)
{
	unlink(sock_path);
	rmdir(dir);
}

TestSuite(api_server, .init = setup, .fini = teardown, .timeout = 20);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int connect_api(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, sock_path);
	cr_assert(fd >= 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0,
		     "connect: %s", strerror(errno));
	return fd;
}

/* Reads until EOF or timeout_ms; returns the bytes read (NUL-ended). */
static size_t read_all(int fd, char *out, size_t size, int timeout_ms)
{
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		n = read(fd, out + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = 0;
	return len;
}

static int status_of(const char *resp)
{
	int status = 0;

	sscanf(resp, "HTTP/1.1 %d", &status);
	return status;
}

static int roundtrip(const char *req, char *out, size_t size)
{
	int fd = connect_api();

	cr_assert_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
		     (ssize_t)strlen(req));
	read_all(fd, out, size, 3000);
	close(fd);
	return status_of(out);
}

static void start(struct api_server *s, int timeout_ms)
{
	struct err e;

	cr_assert_eq(api_server_open(s, sock_path, echo_handler, NULL, &e), 0,
		     "%s", e.msg);
	s->timeout_ms = timeout_ms;
	cr_assert_eq(api_server_start(s, &e), 0);
}

Test(api_server, socket_is_0600_and_answers)
{
	struct api_server s;
	struct stat st;
	char resp[1024];

	start(&s, 2000);
	cr_assert_eq(stat(sock_path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_assert_eq(roundtrip("GET /vm HTTP/1.1\r\nHost: x\r\n\r\n", resp,
			       sizeof(resp)),
		     200);
	cr_assert(strstr(resp, "Content-Length: 14\r\n"), "%s", resp);
	cr_assert(strstr(resp, "\r\n\r\n{\"path\":\"/vm\"}"), "%s", resp);
	api_server_close(&s);
	cr_assert_eq(access(sock_path, F_OK), -1, "socket removed at close");
}

Test(api_server, refuses_to_replace_a_regular_file)
{
	struct api_server s;
	struct err e;
	char buf[8] = "";
	int fd = open(sock_path, O_CREAT | O_WRONLY, 0644);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "keep", 4), 4);
	close(fd);
	cr_assert_eq(api_server_open(&s, sock_path, echo_handler, NULL, &e),
		     -1);
	cr_assert(strstr(e.msg, "not a socket"), "%s", e.msg);
	api_server_close(&s);
	fd = open(sock_path, O_RDONLY);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 4, "file left alone");
	close(fd);
	cr_assert_str_eq(buf, "keep");
}

Test(api_server, replaces_a_stale_socket_not_a_live_one)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct api_server s, s2;
	struct err e;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, sock_path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd); /* a socket file nobody listens on: stale */
	start(&s, 2000);
	cr_assert_eq(api_server_open(&s2, sock_path, echo_handler, NULL, &e),
		     -1);
	cr_assert(strstr(e.msg, "in use"), "%s", e.msg);
	api_server_close(&s2);
	api_server_close(&s);
}

Test(api_server, bad_requests_get_4xx_with_a_message)
{
	struct api_server s;
	char resp[1024], *big;
	size_t n;

	start(&s, 2000);
	cr_assert_eq(roundtrip("BLAH\r\n\r\n", resp, sizeof(resp)), 400);
	cr_assert(strstr(resp, "{\"error\":\"malformed request line\"}"), "%s",
		  resp);
	cr_assert_eq(
	    roundtrip("PUT /vm HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", resp,
		      sizeof(resp)),
	    413);
	big = malloc(HTTP_MAX_HEAD + 100);
	n = (size_t)sprintf(big, "GET /vm HTTP/1.1\r\n");
	while (n < HTTP_MAX_HEAD + 50)
		n += (size_t)sprintf(big + n, "X: y\r\n");
	cr_assert_eq(roundtrip(big, resp, sizeof(resp)), 431);
	free(big);
	cr_assert_eq(handled, 0);
	api_server_close(&s);
}

Test(api_server, slow_client_does_not_stall_others)
{
	struct api_server s;
	char resp[1024];
	uint64_t t0;
	int slow;

	start(&s, 1000);
	slow = connect_api();
	/* Half a request, then silence. */
	cr_assert_eq(send(slow, "GET /vm HTT", 11, 0), 11);
	t0 = now_ms();
	cr_assert_eq(
	    roundtrip("GET /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp)),
	    200);
	cr_assert_lt(now_ms() - t0, 500, "answered while a client stalls");
	/* The stalled one is told why and dropped at its deadline. */
	read_all(slow, resp, sizeof(resp), 3000);
	cr_assert_eq(status_of(resp), 408, "%s", resp);
	cr_assert_geq(now_ms() - t0, 800);
	close(slow);
	api_server_close(&s);
}

Test(api_server, too_many_clients_get_503_and_slots_come_back)
{
	struct api_server s;
	int fds[API_MAX_CLIENTS], i, extra;
	char resp[1024];

	start(&s, 800);
	for (i = 0; i < API_MAX_CLIENTS; i++)
		fds[i] = connect_api();
	usleep(100 * 1000); /* accepted into every slot */
	extra = connect_api();
	read_all(extra, resp, sizeof(resp), 2000);
	cr_assert_eq(status_of(resp), 503, "%s", resp);
	close(extra);
	/* The idle ones expire; then the API answers again. */
	usleep(1200 * 1000);
	cr_assert_eq(roundtrip("GET /vm HTTP/1.1\r\n\r\n", resp, sizeof(resp)),
		     200);
	for (i = 0; i < API_MAX_CLIENTS; i++)
		close(fds[i]);
	api_server_close(&s);
}

Test(api_server, client_that_never_reads_is_dropped)
{
	struct api_server s;
	char resp[1024];
	int fd, i;

	start(&s, 500);
	/* Requests it never reads answers to; then a normal client. */
	for (i = 0; i < 3; i++) {
		fd = connect_api();
		cr_assert_eq(send(fd, "GET /vm HTTP/1.1\r\n\r\n", 20, 0), 20);
		shutdown(fd, SHUT_RD);
	}
	cr_assert_eq(roundtrip("GET /vm HTTP/1.1\r\n\r\n", resp, sizeof(resp)),
		     200);
	api_server_close(&s);
}
