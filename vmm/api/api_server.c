// SPDX-License-Identifier: MIT
#include "vmm/api/api_server.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

char *api_format_response(const struct api_response *resp, size_t *len)
{
	const char *body = resp->body ? resp->body : "";
	size_t blen = strlen(body);
	char *out = NULL;
	int n;

	n = asprintf(&out,
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s",
		     resp->status, http_status_text(resp->status), blen, body);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return out;
}

/* {"error": msg}, escaped by the JSON library. */
static char *error_body(const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

/* A connected stream with something answering: a live server. */
static bool socket_in_use(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return live;
}

int api_server_open(struct api_server *s, const char *path,
		    api_handler_fn handler, void *opaque, struct err *e)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->listen_fd = s->wake_efd = -1;
	for (i = 0; i < API_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->handler = handler;
	s->opaque = opaque;
	s->timeout_ms = API_DEFAULT_TIMEOUT_MS;
	if (strlen(path) >= sizeof(addr.sun_path))
		return err_set(e, "--api-socket '%s': path too long", path);
	strcpy(addr.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return err_set(e,
				       "--api-socket '%s': exists and is not "
				       "a socket (not replaced)",
				       path);
		if (socket_in_use(&addr))
			return err_set(e,
				       "--api-socket '%s': in use by another "
				       "process",
				       path);
		unlink(path); /* stale, from a VMM that is gone */
	}
	s->listen_fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0)
		return err_errno(e, errno, "--api-socket: socket");
	/*
	 * Linux creates the socket file with the socket inode's mode: set
	 * before bind, no other user can connect in a window before chmod.
	 */
	if (fchmod(s->listen_fd, 0600) < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return err_errno(e, errno, "--api-socket '%s'", path);
	s->path = strdup(path);
	if (!s->path || chmod(path, 0600) < 0 ||
	    listen(s->listen_fd, API_MAX_CLIENTS) < 0)
		return err_errno(e, errno, "--api-socket '%s'", path);
	s->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_efd < 0)
		return err_errno(e, errno, "eventfd");
	return 0;
}

static void client_close(struct api_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	*c = (struct api_client){ .fd = -1 };
}

/* Replaces the request with the response and starts writing it. */
static void client_respond(struct api_server *s, struct api_client *c,
			   struct api_response *resp)
{
	size_t len = 0;
	char *out = api_format_response(resp, &len);

	free(resp->body);
	if (!out) {
		client_close(c);
		return;
	}
	free(c->buf);
	c->buf = out;
	c->len = len;
	c->sent = 0;
	c->writing = true;
	c->deadline_ms = now_ms() + (uint64_t)s->timeout_ms;
	/* Nothing more is read: a peer that keeps sending gets a reset. */
	shutdown(c->fd, SHUT_RD);
}

static void client_error(struct api_server *s, struct api_client *c, int status,
			 const char *msg)
{
	struct api_response resp = { status, error_body(msg) };

	client_respond(s, c, &resp);
}

static void client_read(struct api_server *s, struct api_client *c)
{
	struct http_request req;
	struct http_parse_error perr;
	struct api_response resp;
	ssize_t n;

	n = read(c->fd, c->buf + c->len, HTTP_MAX_REQUEST - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* gone before its request was whole */
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	switch (http_parse(c->buf, c->len, &req, &perr)) {
	case HTTP_PARSE_INCOMPLETE:
		return;
	case HTTP_PARSE_ERROR:
		client_error(s, c, perr.status, perr.msg);
		return;
	case HTTP_PARSE_OK:
		break;
	}
	resp = (struct api_response){ 500, NULL };
	s->handler(s->opaque, &req, &resp);
	client_respond(s, c, &resp);
}

static void client_write(struct api_client *c)
{
	ssize_t n = send(c->fd, c->buf + c->sent, c->len - c->sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == c->len)
		client_close(c);
}

static void server_accept(struct api_server *s)
{
	struct api_client *c = NULL;
	unsigned int i;
	int fd;

	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (i = 0; i < API_MAX_CLIENTS && !c; i++)
		if (s->clients[i].fd < 0)
			c = &s->clients[i];
	if (!c) {
		static const char busy[] =
		    "HTTP/1.1 503 Service Unavailable\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n";

		/* Best effort: a full socket buffer just loses the notice. */
		if (send(fd, busy, sizeof(busy) - 1,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		}
		close(fd);
		return;
	}
	c->buf = malloc(HTTP_MAX_REQUEST);
	if (!c->buf) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->len = c->sent = 0;
	c->writing = false;
	c->deadline_ms = now_ms() + (uint64_t)s->timeout_ms;
}

/* Connections past their deadline: a request gets 408, a response ends. */
static int expire_clients(struct api_server *s)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < API_MAX_CLIENTS; i++) {
		struct api_client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ms) {
			if (c->writing) {
				client_close(c);
				continue;
			}
			client_error(s, c, 408, "request not received in time");
			if (c->fd < 0)
				continue;
			/* One try to say why, then it is gone. */
			client_write(c);
			client_close(c);
			continue;
		}
		if (c->deadline_ms < next)
			next = c->deadline_ms;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static void *api_server_thread(void *arg)
{
	struct api_server *s = arg;
	struct pollfd pfd[2 + API_MAX_CLIENTS];
	int map[2 + API_MAX_CLIENTS];

	thread_hook_enter(&s->enter);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		int timeout = expire_clients(s), n = 0, i;

		pfd[n++] =
		    (struct pollfd){ .fd = s->wake_efd, .events = POLLIN };
		pfd[n++] =
		    (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		for (i = 0; i < API_MAX_CLIENTS; i++) {
			struct api_client *c = &s->clients[i];

			if (c->fd < 0)
				continue;
			map[n] = i;
			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->writing ? POLLOUT : POLLIN,
			};
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("API socket: poll: %s", strerror(errno));
			break;
		}
		for (i = 2; i < n; i++) {
			struct api_client *c = &s->clients[map[i]];

			if (!pfd[i].revents || c->fd != pfd[i].fd)
				continue;
			if (c->writing)
				client_write(c);
			else
				client_read(s, c);
			/* A response is tried at once: most fit the socket. */
			if (c->fd >= 0 && c->writing)
				client_write(c);
		}
		if (pfd[1].revents & POLLIN)
			server_accept(s);
	}
	return NULL;
}

int api_server_start(struct api_server *s, struct err *e)
{
	int ret = pthread_create(&s->thread, NULL, api_server_thread, s);

	if (ret != 0)
		return err_errno(e, ret, "cannot start the API thread");
	s->started = true;
	return 0;
}

void api_server_close(struct api_server *s)
{
	uint64_t one = 1;
	unsigned int i;

	if (s->started) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
		if (write(s->wake_efd, &one, sizeof(one)) < 0) {
			/* already signalled */
		}
		pthread_join(s->thread, NULL);
		s->started = false;
	}
	for (i = 0; i < API_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			client_close(&s->clients[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->wake_efd >= 0)
		close(s->wake_efd);
	s->listen_fd = s->wake_efd = -1;
	if (s->path) {
		unlink(s->path);
		free(s->path);
		s->path = NULL;
	}
}
