/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_VSOCK_UDS_H
#define VIREO_DEVICES_VIRTIO_VSOCK_UDS_H

/*
 * The Unix-socket host side of virtio-vsock, Firecracker's hybrid design:
 * host agents connect to PATH and ask for a guest port with
 * "CONNECT <port>\n"; a guest connection to the host's port P goes to the
 * Unix socket "PATH_P". Every socket here is non-blocking.
 */

#include <stdint.h>

#include "util/err.h"

/* sun_path size, less room for "_4294967295". */
#define VSOCK_UDS_PATH_MAX (108 - 12)

/*
 * Listens on path. An existing socket there (a previous run's) is
 * replaced; any other file is an error. Returns the fd or -1.
 */
int vsock_uds_listen(const char *path, struct err *e);

/* One pending host connection, or -1 (none pending: errno EAGAIN). */
int vsock_uds_accept(int listen_fd);

/*
 * Connects to "path_port". Returns the fd or -errno (-ENOENT or
 * -ECONNREFUSED: nobody listens; -EAGAIN: its backlog is full).
 */
int vsock_uds_connect(const char *path, uint32_t port);

#endif
