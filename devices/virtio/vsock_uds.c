// SPDX-License-Identifier: MIT
#include "devices/virtio/vsock_uds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int uds_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

int vsock_uds_listen(const char *path, struct err *e)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	if (strlen(path) > VSOCK_UDS_PATH_MAX || uds_addr(&sa, path) < 0)
		return err_set(e, "--vsock: uds path longer than %d bytes",
			       VSOCK_UDS_PATH_MAX);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return err_set(e,
				       "--vsock: %s exists and is not a "
				       "socket",
				       path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(e, errno, "--vsock: socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0) {
		int err = errno;

		close(fd);
		return err_errno(e, err, "--vsock: listen on %s", path);
	}
	return fd;
}

int vsock_uds_accept(int listen_fd)
{
	return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int vsock_uds_connect(const char *path, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", path, port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A Unix stream connect completes at once or fails: no EINPROGRESS. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}
