/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_API_API_ROUTES_H
#define VIREO_VMM_API_API_ROUTES_H

/*
 * The control API's resources, apart from the machine they act on (struct
 * api_vm_ops), so routing and request validation are unit-tested with a
 * fake VM:
 *   GET /vm                                   the VM: state, config, devices
 *   PUT /vm/state  {"state": "Paused"|"Running"}
 *   PUT /actions   {"action": "shutdown"|"reboot"|"stop"}
 *   GET /metrics                              device and vCPU counters
 *   GET /faults                               fault rules and counters
 *   PUT /faults    {"rules": ["blk0:ioerr,...", ...]}  replace them all
 *   PATCH /faults  {"add": [...]} and/or {"enabled": true|false}
 * Bodies are JSON objects (jansson); an unknown key, a wrong type or a
 * value out of range is a 400 with a message, as is malformed JSON.
 */

#include <jansson.h>
#include <stdbool.h>

#include "devices/virtio/fault_spec.h"
#include "util/err.h"
#include "vmm/api/api_server.h"

enum api_action {
	API_ACTION_SHUTDOWN, /* ACPI power button: the guest powers off */
	API_ACTION_REBOOT,
	API_ACTION_STOP, /* at once, no guest involvement */
};

struct api_vm_ops {
	json_t *(*describe)(void *opaque); /* new reference */
	json_t *(*metrics)(void *opaque);
	/* -1 with e set: the VM cannot do that now (409). */
	int (*set_paused)(void *opaque, bool paused, struct err *e);
	int (*action)(void *opaque, enum api_action a, struct err *e);
	json_t *(*faults)(void *opaque);
	/*
	 * specs[0..n) (parsed --fault strings) replace the fault rules, or
	 * with add join them. -1 with e set: not now or not here (409).
	 */
	int (*set_faults)(void *opaque, const struct fault_spec *specs,
			  unsigned int n, bool add, struct err *e);
	/* The RTMIN+1 toggle, set rather than flipped. */
	int (*enable_faults)(void *opaque, bool on, struct err *e);
	void *opaque;
};

/* An api_handler_fn; opaque is a const struct api_vm_ops *. */
void api_routes_handle(void *opaque, const struct http_request *req,
		       struct api_response *resp);

#endif
