// SPDX-License-Identifier: MIT
#include "net_peer.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void sh(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg, arg);
	cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

void net_peer_ns_enter(struct net_peer *p, const char *prefix)
{
	char path[128];
	int fd;

	memset(p, 0, sizeof(*p));
	snprintf(p->ns, sizeof(p->ns), "%s-%d", prefix, (int)getpid());
	sh("ip netns add %s", p->ns);
	p->ns_made = true;
	sh("ip -n %s tuntap add dev vt0 mode tap && ip -n %s link set lo up",
	   p->ns);
	sh("ip -n %s addr add 10.0.2.1/24 dev vt0 && ip -n %s link set vt0 up",
	   p->ns);
	snprintf(path, sizeof(path), "/run/netns/%s", p->ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "cannot open %s", path);
	cr_assert_eq(setns(fd, CLONE_NEWNET), 0, "setns");
	close(fd);
}

void net_peer_teardown(struct net_peer *p)
{
	if (p->thread_started)
		pthread_cancel(p->thread), pthread_join(p->thread, NULL);
	/* timeout_s is set once net_peer_start has made lfd valid. */
	for (int i = 0; p->timeout_s && i < 2; i++)
		if (p->lfd[i] >= 0)
			close(p->lfd[i]);
	if (p->ns_made) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "ip netns del %s", p->ns);
		if (system(cmd) != 0)
			cr_log_info("could not remove namespace %s", p->ns);
	}
	free(p->sent);
	free(p->back);
}

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

static int net_accept(const struct net_peer *p, int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	if (poll(&pfd, 1, (int)p->timeout_s * 1000) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* Host side of the guest's transfers: send the pattern, read it back. */
static void *net_peer_thread(void *arg)
{
	struct net_peer *p = arg;
	size_t off = 0;
	int c;

	c = net_accept(p, p->lfd[0]);
	if (c < 0) {
		snprintf(p->error, sizeof(p->error),
			 "guest never connected to 5002");
		return NULL;
	}
	while (off < p->size) {
		ssize_t n = write(c, p->sent + off, p->size - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(c);
	c = net_accept(p, p->lfd[1]);
	if (c < 0) {
		snprintf(p->error, sizeof(p->error),
			 "guest never connected to 5001");
		return NULL;
	}
	while (p->back_len < p->size) {
		ssize_t n =
		    read(c, p->back + p->back_len, p->size - p->back_len);

		if (n <= 0)
			break;
		p->back_len += (size_t)n;
	}
	close(c);
	return NULL;
}

void net_peer_start(struct net_peer *p, size_t size, unsigned int timeout_s)
{
	char path[] = "/tmp/vireo-net-XXXXXX", cmd[128];
	FILE *f;
	int fd;

	p->lfd[0] = p->lfd[1] = -1;
	p->timeout_s = timeout_s;
	p->size = size;
	cr_assert_gt(p->size, 0);
	p->sent = malloc(p->size);
	p->back = malloc(p->size);
	cr_assert(p->sent && p->back);
	for (size_t i = 0; i < p->size; i++)
		p->sent[i] = (uint8_t)(i * 7 + (i >> 9) + (i >> 17));
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, p->sent, p->size), (ssize_t)p->size);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%64s", p->sent_sha), 1, "%s", cmd);
	pclose(f);
	unlink(path);
	p->lfd[0] = net_listen(5002);
	p->lfd[1] = net_listen(5001);
	cr_assert_eq(pthread_create(&p->thread, NULL, net_peer_thread, p), 0);
	p->thread_started = true;
}

void net_peer_join(struct net_peer *p)
{
	pthread_join(p->thread, NULL);
	p->thread_started = false;
}
