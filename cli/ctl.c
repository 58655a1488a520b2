// SPDX-License-Identifier: MIT
#include "cli/ctl.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/config.h"

/* Pausing waits for every vCPU; the VMM gives up on them after 5 s. */
#define CTL_TIMEOUT_MS 15000
#define CTL_MAX_RESPONSE (1 << 20)

struct ctl_command {
	const char *name;
	const char *method, *path, *body;
	/* fault add|set: the body is {"<list_key>": [the arguments]} */
	const char *list_key;
};

static const struct ctl_command commands[] = {
	{ "info", "GET", "/vm", NULL, NULL },
	{ "pause", "PUT", "/vm/state", "{\"state\":\"Paused\"}", NULL },
	{ "resume", "PUT", "/vm/state", "{\"state\":\"Running\"}", NULL },
	{ "shutdown", "PUT", "/actions", "{\"action\":\"shutdown\"}", NULL },
	{ "reboot", "PUT", "/actions", "{\"action\":\"reboot\"}", NULL },
	{ "stop", "PUT", "/actions", "{\"action\":\"stop\"}", NULL },
	{ "metrics", "GET", "/metrics", NULL, NULL },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* vireo ctl fault SUBCOMMAND [SPEC...] (docs/driver-testing.md). */
static const struct ctl_command fault_commands[] = {
	{ "list", "GET", "/faults", NULL, NULL },
	{ "add", "PATCH", "/faults", NULL, "add" },
	{ "set", "PUT", "/faults", NULL, "rules" },
	{ "clear", "PUT", "/faults", "{\"rules\":[]}", NULL },
	{ "off", "PATCH", "/faults", "{\"enabled\":false}", NULL },
	{ "on", "PATCH", "/faults", "{\"enabled\":true}", NULL },
};

#define NR_FAULT_COMMANDS (sizeof(fault_commands) / sizeof(fault_commands[0]))

static int usage(FILE *err, const char *msg)
{
	fprintf(err,
		"vireo: ctl: %s (usage: vireo ctl --api PATH "
		"info|pause|resume|shutdown|reboot|stop|metrics, or "
		"fault list|add SPEC...|set SPEC...|clear|off|on)\n",
		msg);
	return VIREO_EXIT_USAGE;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The whole response (the server closes after it), NUL-terminated. */
static char *recv_all(int fd, size_t *len)
{
	size_t cap = 4096;
	char *buf = malloc(cap);

	*len = 0;
	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, CTL_TIMEOUT_MS) <= 0)
			break;
		if (*len + 1 == cap) {
			char *nb = cap < CTL_MAX_RESPONSE
				       ? realloc(buf, cap * 2)
				       : NULL;

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf[*len] = 0;
			return n == 0 ? buf : (free(buf), NULL);
		}
		*len += (size_t)n;
	}
	free(buf);
	return NULL;
}

static int ctl_connect(const char *path, FILE *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(err, "vireo: ctl: '%s': path too long\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(err, "vireo: ctl: cannot connect to '%s': %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Pretty JSON on out for a success, the API's message on err otherwise. */
static int ctl_report(const char *resp, const struct ctl_command *c, FILE *out,
		      FILE *err)
{
	const char *body = strstr(resp, "\r\n\r\n");
	json_t *j = body ? json_loads(body + 4, 0, NULL) : NULL;
	int status = 0;

	if (sscanf(resp, "HTTP/1.%*[01] %d", &status) != 1 || !body) {
		fprintf(err, "vireo: ctl: %s: malformed response\n", c->name);
		json_decref(j);
		return VIREO_EXIT_ERROR;
	}
	if (status < 200 || status > 299) {
		const char *msg =
		    json_string_value(json_object_get(j, "error"));

		fprintf(err, "vireo: ctl: %s: %d %s\n", c->name, status,
			msg ? msg : "(no message)");
		json_decref(j);
		return VIREO_EXIT_ERROR;
	}
	if (j && (c->method[0] == 'G' || !strcmp(c->path, "/faults"))) {
		json_dumpf(j, out, JSON_INDENT(2));
		fputc('\n', out);
	} else if (j) {
		fprintf(out, "%s: done\n", c->name);
	}
	json_decref(j);
	return 0;
}

/* The command named by name in table[0..n), or NULL. */
static const struct ctl_command *find(const struct ctl_command *table, size_t n,
				      const char *name)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (!strcmp(name, table[k].name))
			return &table[k];
	return NULL;
}

/* {"<key>": [args...]}: fault add/set, the rules checked by the VMM. */
static char *list_body(const char *key, char **args, size_t n)
{
	json_t *a = json_array(), *o;
	char *body;
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(args[i]));
	o = json_pack("{s:o}", key, a);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return body;
}

int ctl_main(int argc, char **argv, FILE *out, FILE *err)
{
	const struct ctl_command *c = NULL;
	const char *api = NULL;
	char *req, *resp, *body = NULL, *args[32];
	size_t i, len, nargs = 0;
	bool fault = false;
	int fd, ret, n;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--api") && i + 1 < (size_t)argc) {
			api = argv[++i];
		} else if (!strncmp(argv[i], "--api=", 6)) {
			api = argv[i] + 6;
		} else if (!c && !fault && !strcmp(argv[i], "fault")) {
			fault = true;
		} else if (!c && fault) {
			c = find(fault_commands, NR_FAULT_COMMANDS, argv[i]);
			if (!c)
				return usage(err, "unknown fault command");
		} else if (c && c->list_key && argv[i][0] != '-') {
			if (nargs == sizeof(args) / sizeof(args[0]))
				return usage(err, "too many fault rules");
			args[nargs++] = argv[i];
		} else if (!c && argv[i][0] != '-') {
			c = find(commands, NR_COMMANDS, argv[i]);
			if (!c)
				return usage(err, "unknown command");
		} else {
			return usage(err, "unexpected argument");
		}
	}
	if (!api)
		return usage(err, "missing --api PATH");
	if (!c)
		return usage(err, "missing command");
	if (c->list_key && !nargs)
		return usage(err, "fault add/set: which rules? (SPEC...)");
	if (c->list_key && !(body = list_body(c->list_key, args, nargs)))
		return usage(err, "out of memory");
	if (!body && c->body)
		body = strdup(c->body);
	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     c->method, c->path, body ? strlen(body) : 0,
		     body ? body : "");
	free(body);
	if (n < 0)
		return usage(err, "out of memory");
	fd = ctl_connect(api, err);
	if (fd < 0) {
		free(req);
		return VIREO_EXIT_ERROR;
	}
	if (send_all(fd, req, strlen(req)) < 0 ||
	    !(resp = recv_all(fd, &len))) {
		fprintf(err, "vireo: ctl: %s: no response from '%s'\n", c->name,
			api);
		close(fd);
		free(req);
		return VIREO_EXIT_ERROR;
	}
	close(fd);
	free(req);
	ret = ctl_report(resp, c, out, err);
	free(resp);
	return ret;
}
