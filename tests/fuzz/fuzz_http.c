// SPDX-License-Identifier: MIT
/*
 * The control API's request path as a local client drives it: the HTTP
 * parser over arbitrary bytes, then, for what it accepts, routing and the
 * JSON body checks against a VM that only counts calls. The parser must
 * never read past the bytes it is given (the input is an exact-size copy)
 * and every answer must be a JSON body with a 2xx/4xx status.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api/api_routes.h"
#include "vmm/api/http_parse.h"

static json_t *describe(void *opaque)
{
	(void)opaque;
	return json_pack("{s:s}", "state", "Running");
}

static int set_paused(void *opaque, bool paused, struct err *e)
{
	(void)opaque;
	(void)e;
	(void)paused;
	return 0;
}

static int action(void *opaque, enum api_action a, struct err *e)
{
	(void)opaque;
	return a == API_ACTION_REBOOT ? err_set(e, "refused") : 0;
}

static json_t *faults(void *opaque)
{
	(void)opaque;
	return json_pack("{s:b,s:[]}", "enabled", 0, "rules");
}

/* Refuses a batch now and then, so the 409 path runs too. */
static int set_faults(void *opaque, const struct fault_spec *specs,
		      unsigned int n, bool add, struct err *e)
{
	(void)opaque;
	(void)specs;
	return add && n > 1 ? err_set(e, "refused") : 0;
}

static int enable_faults(void *opaque, bool on, struct err *e)
{
	(void)opaque;
	(void)e;
	(void)on;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct api_vm_ops ops = { .describe = describe,
					       .metrics = describe,
					       .set_paused = set_paused,
					       .action = action,
					       .faults = faults,
					       .set_faults = set_faults,
					       .enable_faults = enable_faults };
	struct http_request req;
	struct http_parse_error err;
	struct api_response resp = { 0, NULL };
	char *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	switch (http_parse(buf, size, &req, &err)) {
	case HTTP_PARSE_ERROR:
		if (err.status < 400 || err.status > 599 || !err.msg)
			abort();
		break;
	case HTTP_PARSE_OK:
		if (req.head_len + req.body_len > size ||
		    req.body_len > HTTP_MAX_BODY)
			abort();
		api_routes_handle((void *)&ops, &req, &resp);
		if (!resp.body || resp.status < 200 || resp.status > 499)
			abort();
		free(resp.body);
		break;
	case HTTP_PARSE_INCOMPLETE:
		if (size >= HTTP_MAX_REQUEST)
			abort();
		break;
	}
	free(buf);
	return 0;
}
