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

/* The body as a JSON object whose keys are all in keys[], or NULL. */
static json_t *body_object(const struct http_request *req,
			   const char *const *keys, const char *expect,
			   struct api_response *resp)
{
	json_error_t jerr;
	json_t *root, *val;
	const char *k;
	unsigned int i;

	if (req->body_len == 0) {
		reply_error(resp, 400, "a JSON body %s is required", expect);
		return NULL;
	}
	root =
	    json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		reply_error(resp, 400, "the body must be a JSON object %s",
			    expect);
		json_decref(root);
		return NULL;
	}
	json_object_foreach(root, k, val)
	{
		for (i = 0; keys[i] && strcmp(k, keys[i]); i++)
			;
		if (!keys[i]) {
			reply_error(resp, 400,
				    "unknown key \"%s\" (expected %s)", k,
				    expect);
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

/* A JSON array of --fault strings into specs; its length, or -1 (400). */
static int parse_rules(const json_t *a, const char *key,
		       struct fault_spec *specs, struct api_response *resp)
{
	size_t i;
	json_t *v;
	struct err e;

	if (!json_is_array(a)) {
		reply_error(resp, 400, "\"%s\" must be an array of strings",
			    key);
		return -1;
	}
	if (json_array_size(a) > FAULT_MAX_SPECS) {
		reply_error(resp, 400, "at most %d fault rules",
			    FAULT_MAX_SPECS);
		return -1;
	}
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v)) {
			reply_error(resp, 400,
				    "\"%s\" must be an array of strings", key);
			return -1;
		}
		if (fault_spec_parse(json_string_value(v), &specs[i], &e) < 0) {
			reply_error(resp, 400, "%s", e.msg);
			return -1;
		}
	}
	return (int)json_array_size(a);
}

static void put_faults(const struct api_vm_ops *ops,
		       const struct http_request *req,
		       struct api_response *resp)
{
	static const char *const keys[] = { "rules", NULL };
	struct fault_spec specs[FAULT_MAX_SPECS];
	json_t *root = body_object(req, keys, "{\"rules\": [...]}", resp);
	struct err e;
	int n;

	if (!root)
		return;
	n = parse_rules(json_object_get(root, "rules"), "rules", specs, resp);
	if (n >= 0) {
		if (ops->set_faults(ops->opaque, specs, (unsigned int)n, false,
				    &e) < 0)
			reply_error(resp, 409, "%s", e.msg);
		else
			reply_json(resp, 200, ops->faults(ops->opaque));
	}
	json_decref(root);
}

static void patch_faults(const struct api_vm_ops *ops,
			 const struct http_request *req,
			 struct api_response *resp)
{
	static const char *const keys[] = { "add", "enabled", NULL };
	const char *expect = "{\"add\": [...], \"enabled\": true|false}";
	struct fault_spec specs[FAULT_MAX_SPECS];
	json_t *root = body_object(req, keys, expect, resp), *add, *en;
	struct err e;
	int n = 0;

	if (!root)
		return;
	add = json_object_get(root, "add");
	en = json_object_get(root, "enabled");
	if (!add && !en) {
		reply_error(resp, 400, "expected %s", expect);
		goto out;
	}
	if (en && !json_is_boolean(en)) {
		reply_error(resp, 400, "\"enabled\" must be true or false");
		goto out;
	}
	if (add && (n = parse_rules(add, "add", specs, resp)) < 0)
		goto out;
	/* Checked whole first: a bad request changes nothing. */
	if (add && ops->set_faults(ops->opaque, specs, (unsigned int)n, true,
				   &e) < 0) {
		reply_error(resp, 409, "%s", e.msg);
		goto out;
	}
	if (en && ops->enable_faults(ops->opaque, json_is_true(en), &e) < 0) {
		reply_error(resp, 409, "%s", e.msg);
		goto out;
	}
	reply_json(resp, 200, ops->faults(ops->opaque));
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
	} else if (!strcmp(req->path, "/faults")) {
		if (get)
			reply_json(resp, 200, ops->faults(ops->opaque));
		else if (put)
			put_faults(ops, req, resp);
		else if (!strcmp(req->method, "PATCH"))
			patch_faults(ops, req, resp);
		else
			reply_error(resp, 405, "GET, PUT or PATCH /faults");
	} else {
		reply_error(resp, 404,
			    "no such resource: %s (try /vm, "
			    "/vm/state, /actions, /metrics, /faults)",
			    req->path);
	}
}
