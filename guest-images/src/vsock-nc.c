// SPDX-License-Identifier: MIT
/*
 * vsock-nc: the micro guest's vsock client/server (busybox has none),
 * built static into the initramfs by guest-images/lib/userland.sh.
 *
 *   vsock-nc CID PORT    connect; stdin to the socket (then shut it for
 *                        writing), the socket to stdout until EOF
 *   vsock-nc -l PORT     the same over the first connection accepted
 *
 * Exit 0 on success; 1 with "vsock-nc: <what>: <strerror>" on stderr.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int fail(const char *what)
{
	fprintf(stderr, "vsock-nc: %s: %s\n", what, strerror(errno));
	return 1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int pump(int s)
{
	static char buf[64 << 10];
	struct pollfd pf[2] = { { 0, POLLIN, 0 }, { s, POLLIN, 0 } };
	int in_open = 1;

	for (;;) {
		ssize_t n;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll");
		}
		if (in_open && pf[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n < 0)
				return fail("read stdin");
			if (n == 0) {
				in_open = 0;
				pf[0].fd = -1;
				shutdown(s, SHUT_WR);
			} else if (write_all(s, buf, (size_t)n) < 0) {
				return fail("send");
			}
		}
		if (pf[1].revents) {
			n = read(s, buf, sizeof(buf));
			if (n < 0)
				return fail("recv");
			if (n == 0)
				return 0;
			if (write_all(1, buf, (size_t)n) < 0)
				return fail("write stdout");
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
	int s, c;

	if (argc != 3) {
		fprintf(stderr,
			"usage: vsock-nc CID PORT | vsock-nc -l PORT\n");
		return 2;
	}
	s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	sa.svm_port = (unsigned int)strtoul(argv[2], NULL, 10);
	if (!strcmp(argv[1], "-l")) {
		sa.svm_cid = VMADDR_CID_ANY;
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return fail("bind");
		if (listen(s, 16) < 0)
			return fail("listen");
		c = accept(s, NULL, NULL);
		if (c < 0)
			return fail("accept");
		close(s);
		return pump(c);
	}
	sa.svm_cid = (unsigned int)strtoul(argv[1], NULL, 10);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("connect");
	return pump(s);
}
