// SPDX-License-Identifier: MIT
#include "vmm/api/api_routes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void reply_json(struct api_response *resp, int status, json_t *j)
{
	resp->status = status;
	resp->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (j && !resp->body)
		resp->status = 500;
}

static void reply_error(struct api_response *resp, int status, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));

static void reply_error(struct api_response *resp, int status, const char *fmt,
			...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_json(resp, status, json_pack("{s:s}", "error", msg));
}

/*
 * The body as an object with exactly one string member named key; its
 * value (valid until *root is released) or NULL with the reply set.
 */
static const char *body_string(const struct http_request *req, const char *key,
			       json_t **root, struct api_response *resp)
{
	json_error_t jerr;
	const char *k, *v;
	json_t *val;

	*root = NULL;
	if (req->body_len == 0) {
		reply_error(resp, 400, "a JSON body {\"%s\": ...} is required",
			    key);
		return NULL;
	}
	*root =
	    json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root) {
		reply_error(resp, 400, "invalid JSON: %s (line %d, column %d)",
			    jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(*root)) {
		reply_error(resp, 400, "the body must be a JSON object");
		return NULL;
	}
	json_object_foreach(*root, k, val)
	{
		if (strcmp(k, key)) {
			reply_error(resp, 400,
				    "unknown key \"%s\" (expected "
				    "\"%s\")",
				    k, key);
			return NULL;
		}
	}
	val = json_object_get(*root, key);
	v = json_string_value(val);
	if (!v) {
		reply_error(resp, 400, "\"%s\" must be a string", key);
		return NULL;
	}
	return v;
}

static void put_state(const struct api_vm_ops *ops,
		      const struct http_request *req, struct api_response *resp)
{
	json_t *root;
	const char *state = body_string(req, "state", &root, resp);
	struct err e;
	bool paused;

	if (!state)
		goto out;
	if (!strcmp(state, "Paused")) {
		paused = true;
	} else if (!strcmp(state, "Running")) {
		paused = false;
	} else {
		reply_error(resp, 400,
			    "\"state\" must be \"Paused\" or \"Running\"");
		goto out;
	}
	if (ops->set_paused(ops->opaque, paused, &e) < 0)
		reply_error(resp, 409, "%s", e.msg);
	else
		reply_json(resp, 200, json_pack("{s:s}", "state", state));
out:
	json_decref(root);
}

static void put_action(const struct api_vm_ops *ops,
		       const struct http_request *req,
		       struct api_response *resp)
{
	static const char *const names[] = {
		[API_ACTION_SHUTDOWN] = "shutdown",
		[API_ACTION_REBOOT] = "reboot",
		[API_ACTION_STOP] = "stop",
	};
	json_t *root;
	const char *action = body_string(req, "action", &root, resp);
	struct err e;
	unsigned int i;

	if (!action)
		goto out;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(action, names[i]))
			break;
	if (i == sizeof(names) / sizeof(names[0]))
		reply_error(resp, 400,
			    "\"action\" must be \"shutdown\", \"reboot\" or "
			    "\"stop\"");
	else if (ops->action(ops->opaque, (enum api_action)i, &e) < 0)
		reply_error(resp, 409, "%s", e.msg);
	else
		reply_json(resp, 202, json_pack("{s:s}", "action", names[i]));
out:
	json_decref(root);
}

void api_routes_handle(void *opaque, const struct http_request *req,
		       struct api_response *resp)
{
	const struct api_vm_ops *ops = opaque;
	bool get = !strcmp(req->method, "GET"),
	     put = !strcmp(req->method, "PUT");

	if (!strcmp(req->path, "/vm")) {
		if (get)
			reply_json(resp, 200, ops->describe(ops->opaque));
		else
			reply_error(resp, 405, "GET /vm only");
	} else if (!strcmp(req->path, "/vm/state")) {
		if (put)
			put_state(ops, req, resp);
		else
			reply_error(resp, 405, "PUT /vm/state only");
	} else if (!strcmp(req->path, "/actions")) {
		if (put)
			put_action(ops, req, resp);
		else
			reply_error(resp, 405, "PUT /actions only");
	} else if (!strcmp(req->path, "/metrics")) {
		if (get)
			reply_json(resp, 200, ops->metrics(ops->opaque));
		else
			reply_error(resp, 405, "GET /metrics only");
	} else {
		reply_error(resp, 404,
			    "no such resource: %s (try /vm, "
			    "/vm/state, /actions, /metrics)",
			    req->path);
	}
}
