/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_API_API_SERVER_H
#define VIREO_VMM_API_API_SERVER_H

/*
 * The control API's transport: a Unix stream socket served by one thread
 * of its own with poll(), one request per connection. Clients are local
 * but untrusted: every socket is non-blocking, each connection has a
 * deadline for its whole request and for its whole response, at most
 * API_MAX_CLIENTS are served at once (more get 503), and requests are
 * bounded by the parser's limits. A slow or stuck client costs one slot
 * until its deadline, never the VMM's time.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "util/thread_hook.h"
#include "vmm/api/http_parse.h"

#define API_MAX_CLIENTS 8
#define API_DEFAULT_TIMEOUT_MS 5000

struct api_response {
	int status;
	char *body; /* malloc'd JSON text, or NULL for none */
};

/* Runs on the API thread; fills resp (status and body). */
typedef void (*api_handler_fn)(void *opaque, const struct http_request *req,
			       struct api_response *resp);

struct api_client {
	int fd; /* -1: free slot */
	char *buf; /* request bytes, then the response */
	size_t len, sent;
	bool writing;
	uint64_t deadline_ms;
};

struct api_server {
	int listen_fd, wake_efd;
	char *path; /* unlinked at close */
	api_handler_fn handler;
	void *opaque;
	int timeout_ms;
	pthread_t thread;
	/* Runs first on the API thread (its seccomp filter). */
	struct thread_hook enter;
	bool started;
	int stop; /* atomic */
	struct api_client clients[API_MAX_CLIENTS];
};

/*
 * Creates the socket at path with mode 0600. A stale socket there is
 * replaced; a live one (another process answers) or any other kind of
 * file is an error.
 */
int api_server_open(struct api_server *s, const char *path,
		    api_handler_fn handler, void *opaque, struct err *e);
int api_server_start(struct api_server *s, struct err *e);
/* Stops the thread, closes every connection, removes the socket. */
void api_server_close(struct api_server *s);

/* The bytes of a whole HTTP response (malloc'd), for the server and tests. */
char *api_format_response(const struct api_response *resp, size_t *len);

#endif
