// SPDX-License-Identifier: MIT
/*
 * The control API's resources against a fake VM: each route calls the
 * right operation, and bad bodies (malformed JSON, wrong types, unknown
 * keys or values) are 4xx answers with a message, never an operation.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api/api_routes.h"

struct fake_vm {
	int paused_calls, resumed_calls, actions[3];
	bool refuse;
	/* /faults: what the last set_faults/enable_faults call got */
	struct fault_spec specs[FAULT_MAX_SPECS];
	unsigned int nr_specs, set_calls;
	bool added, enabled;
	int enable_calls;
};

static json_t *fake_describe(void *opaque)
{
	(void)opaque;
	return json_pack("{s:s}", "state", "Running");
}

static json_t *fake_metrics(void *opaque)
{
	(void)opaque;
	return json_pack("{s:[]}", "devices");
}

static int fake_set_paused(void *opaque, bool paused, struct err *e)
{
	struct fake_vm *vm = opaque;

	if (vm->refuse)
		return err_set(e, "refused");
	if (paused)
		vm->paused_calls++;
	else
		vm->resumed_calls++;
	return 0;
}

static int fake_action(void *opaque, enum api_action a, struct err *e)
{
	struct fake_vm *vm = opaque;

	if (vm->refuse)
		return err_set(e, "refused");
	vm->actions[a]++;
	return 0;
}

static json_t *fake_faults(void *opaque)
{
	struct fake_vm *vm = opaque;

	return json_pack("{s:I}", "rules", (json_int_t)vm->nr_specs);
}

static int fake_set_faults(void *opaque, const struct fault_spec *specs,
			   unsigned int n, bool add, struct err *e)
{
	struct fake_vm *vm = opaque;

	if (vm->refuse)
		return err_set(e, "refused");
	memcpy(vm->specs, specs, n * sizeof(*specs));
	vm->nr_specs = n;
	vm->added = add;
	vm->set_calls++;
	return 0;
}

static int fake_enable_faults(void *opaque, bool on, struct err *e)
{
	struct fake_vm *vm = opaque;

	(void)e;
	vm->enabled = on;
	vm->enable_calls++;
	return 0;
}

static struct fake_vm vm;
static struct api_vm_ops ops = {
	.describe = fake_describe,
	.metrics = fake_metrics,
	.set_paused = fake_set_paused,
	.action = fake_action,
	.faults = fake_faults,
	.set_faults = fake_set_faults,
	.enable_faults = fake_enable_faults,
	.opaque = &vm,
};

/* Status of method path body; the error message (if any) in msg. */
static int call(const char *method, const char *path, const char *body,
		char *msg, size_t msg_size)
{
	struct http_request req = { .body = body,
				    .body_len = body ? strlen(body) : 0 };
	struct api_response resp = { 0, NULL };
	json_t *j;
	int status;

	snprintf(req.method, sizeof(req.method), "%s", method);
	snprintf(req.path, sizeof(req.path), "%s", path);
	api_routes_handle(&ops, &req, &resp);
	cr_assert(resp.body, "every answer has a JSON body");
	j = json_loads(resp.body, 0, NULL);
	cr_assert(json_is_object(j), "body is a JSON object: %s", resp.body);
	if (msg)
		snprintf(msg, msg_size, "%s",
			 json_string_value(json_object_get(j, "error"))
			     ? json_string_value(json_object_get(j, "error"))
			     : "");
	json_decref(j);
	free(resp.body);
	status = resp.status;
	return status;
}

static void reset_vm(void)
{
	memset(&vm, 0, sizeof(vm));
}

TestSuite(api_routes, .init = reset_vm);

Test(api_routes, get_vm_and_metrics)
{
	cr_assert_eq(call("GET", "/vm", NULL, NULL, 0), 200);
	cr_assert_eq(call("GET", "/metrics", NULL, NULL, 0), 200);
}

Test(api_routes, pause_resume)
{
	cr_assert_eq(
	    call("PUT", "/vm/state", "{\"state\":\"Paused\"}", NULL, 0), 200);
	cr_assert_eq(vm.paused_calls, 1);
	cr_assert_eq(
	    call("PUT", "/vm/state", " { \"state\" : \"Running\" } ", NULL, 0),
	    200);
	cr_assert_eq(vm.resumed_calls, 1);
}

Test(api_routes, actions)
{
	cr_assert_eq(
	    call("PUT", "/actions", "{\"action\":\"shutdown\"}", NULL, 0), 202);
	cr_assert_eq(
	    call("PUT", "/actions", "{\"action\":\"reboot\"}", NULL, 0), 202);
	cr_assert_eq(call("PUT", "/actions", "{\"action\":\"stop\"}", NULL, 0),
		     202);
	cr_assert_eq(vm.actions[API_ACTION_SHUTDOWN], 1);
	cr_assert_eq(vm.actions[API_ACTION_REBOOT], 1);
	cr_assert_eq(vm.actions[API_ACTION_STOP], 1);
}

Test(api_routes, refused_is_409_with_message)
{
	char msg[128];

	vm.refuse = true;
	cr_assert_eq(call("PUT", "/vm/state", "{\"state\":\"Paused\"}", msg,
			  sizeof(msg)),
		     409);
	cr_assert_str_eq(msg, "refused");
}

Test(api_routes, bad_bodies)
{
	static const char *const bad[] = {
		NULL,
		"",
		"{",
		"[]",
		"\"Paused\"",
		"{\"state\":1}",
		"{\"state\":null}",
		"{\"state\":\"paused\"}",
		"{\"state\":\"Paused\",\"x\":1}",
		"{\"state\":\"Paused\",\"state\":\"Running\"}",
		"{\"State\":\"Paused\"}",
		"{\"state\":\"Paused\"} trailing",
		"{\"state\":\"Pa\\u0000used\"}",
	};
	char msg[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(call("PUT", "/vm/state", bad[i], msg, sizeof(msg)),
			     400, "body %s", bad[i] ? bad[i] : "(none)");
		cr_assert(msg[0], "a message for %s", bad[i] ? bad[i] : "");
	}
	cr_assert_eq(call("PUT", "/actions", "{\"action\":\"explode\"}", msg,
			  sizeof(msg)),
		     400);
	cr_assert_eq(vm.paused_calls + vm.resumed_calls, 0);
	cr_assert_eq(vm.actions[0] + vm.actions[1] + vm.actions[2], 0);
}

Test(api_routes, unknown_path_and_wrong_method)
{
	char msg[256];

	cr_assert_eq(call("GET", "/nope", NULL, msg, sizeof(msg)), 404);
	cr_assert(strstr(msg, "/nope"));
	cr_assert_eq(call("DELETE", "/vm", NULL, NULL, 0), 405);
	cr_assert_eq(call("GET", "/vm/state", NULL, NULL, 0), 405);
	cr_assert_eq(call("POST", "/actions", "{\"action\":\"stop\"}", NULL, 0),
		     405);
	cr_assert_eq(call("PUT", "/metrics", NULL, NULL, 0), 405);
	cr_assert_eq(vm.actions[API_ACTION_STOP], 0);
}

Test(api_routes, faults_get_put_patch)
{
	char msg[256];

	cr_assert_eq(call("GET", "/faults", NULL, NULL, 0), 200);
	cr_assert_eq(call("PUT", "/faults",
			  "{\"rules\":[\"blk0:ioerr,sector=8-15\","
			  "\"net:short-read,rate=0.5\"]}",
			  msg, sizeof(msg)),
		     200, "%s", msg);
	cr_assert_eq(vm.set_calls, 1);
	cr_assert_not(vm.added);
	cr_assert_eq(vm.nr_specs, 2);
	cr_assert_eq(vm.specs[0].kind, FAULT_IOERR);
	cr_assert_eq(vm.specs[0].sector_lo, 8);
	cr_assert_str_eq(vm.specs[1].text, "net:short-read,rate=0.5");
	cr_assert_eq(call("PUT", "/faults", "{\"rules\":[]}", NULL, 0), 200);
	cr_assert_eq(vm.nr_specs, 0, "an empty list clears them");
	cr_assert_eq(call("PATCH", "/faults",
			  "{\"add\":[\"console0:delay,ms=5\"],"
			  "\"enabled\":false}",
			  msg, sizeof(msg)),
		     200, "%s", msg);
	cr_assert(vm.added);
	cr_assert_eq(vm.specs[0].kind, FAULT_DELAY);
	cr_assert_eq(vm.enable_calls, 1);
	cr_assert_not(vm.enabled);
	cr_assert_eq(call("PATCH", "/faults", "{\"enabled\":true}", NULL, 0),
		     200);
	cr_assert(vm.enabled);
	cr_assert_eq(vm.set_calls, 3, "enabled alone sets no rules");
}

/* A bad rule anywhere in the body: 400 naming it, nothing changed. */
Test(api_routes, faults_bad_bodies_change_nothing)
{
	static const char *const bad[][2] = {
		{ "PUT", "{\"rules\":[\"blk0:ioerr\",\"blk0:explode\"]}" },
		{ "PUT", "{\"rules\":\"blk0:ioerr\"}" },
		{ "PUT", "{\"rules\":[1]}" },
		{ "PUT", "{\"rules\":[],\"x\":1}" },
		{ "PUT", "[\"blk0:ioerr\"]" },
		{ "PATCH", "{}" },
		{ "PATCH", "{\"enabled\":\"no\"}" },
		{ "PATCH", "{\"add\":[\"net:ioerr\"],\"enabled\":false}" },
	};
	char msg[256];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(
		    call(bad[i][0], "/faults", bad[i][1], msg, sizeof(msg)),
		    400, "%s %s", bad[i][0], bad[i][1]);
		cr_assert_neq(msg[0], 0);
	}
	cr_assert_eq(vm.set_calls, 0);
	cr_assert_eq(vm.enable_calls, 0);
	cr_assert_eq(call("PUT", "/faults", "{\"rules\":[\"blk0:explode\"]}",
			  msg, sizeof(msg)),
		     400);
	cr_assert(strstr(msg, "unknown fault kind 'explode'"), "%s", msg);
	vm.refuse = true;
	cr_assert_eq(call("PUT", "/faults", "{\"rules\":[]}", msg, sizeof(msg)),
		     409);
	cr_assert_str_eq(msg, "refused");
	cr_assert_eq(call("DELETE", "/faults", NULL, NULL, 0), 405);
}
