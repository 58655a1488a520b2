// SPDX-License-Identifier: MIT
/*
 * The control API's view of the machine (struct api_vm_ops): what GET /vm
 * and GET /metrics report, and pause/resume/shutdown/reboot/stop. All of
 * it runs on the API thread, the only one that pauses or resumes.
 */
#include <time.h>

#include "devices/virtio/fault.h"
#include "devices/virtio/virtio_device.h"
#include "util/log.h"
#include "vmm/config_json.h"
#include "vmm/device_types.h"
#include "vmm/machine.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static json_int_t uptime_ms(const struct machine *m)
{
	return m->start_ns ? (json_int_t)((now_ns() - m->start_ns) / 1000000)
			   : 0;
}

static const char *vm_state(const struct machine *m)
{
	if (atomic_load(&m->stopping))
		return "Stopping";
	return m->paused ? "Paused" : "Running";
}

static struct virtio_transport *slot_transport(struct virtio_slot *s)
{
	if (s->pci)
		return &s->pci->t;
	return s->mmio ? &s->mmio->t : NULL;
}

/* The nth device of its type, in creation order. */
static unsigned int slot_instance(const struct machine *m, unsigned int i)
{
	unsigned int n = 0, j;

	for (j = 0; j < i; j++)
		if (m->vdevs[j].type == m->vdevs[i].type)
			n++;
	return n;
}

/* "blk0", "blk1", ... */
static void slot_id(struct machine *m, unsigned int i, char *buf, size_t size)
{
	snprintf(buf, size, "%s%u", m->vdevs[i].type->name,
		 slot_instance(m, i));
}

static json_t *devices_json(struct machine *m)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < m->nr_vdevs; i++) {
		struct virtio_slot *s = &m->vdevs[i];
		struct virtio_transport *t = slot_transport(s);
		uint8_t status =
		    t ? __atomic_load_n(&t->status, __ATOMIC_RELAXED) : 0;
		char id[32];

		slot_id(m, i, id, sizeof(id));
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:b}", "id", id, "type",
				 s->type->name, "transport",
				 vm_transport_name(vm_config_transport(
				     m->cfg, s->type->name)),
				 "driver_ok",
				 (status & VIRTIO_STATUS_DRIVER_OK) != 0));
	}
	return a;
}

static json_t *vm_describe(void *opaque)
{
	struct machine *m = opaque;

	return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "state", vm_state(m),
			 "uptime_ms", uptime_ms(m), "vcpus",
			 (json_int_t)m->nr_vcpus, "memory_mib",
			 (json_int_t)(m->cfg->mem_size >> 20), "devices",
			 devices_json(m), "config", vm_config_to_json(m->cfg));
}

static json_int_t counter(atomic_uint_fast64_t *c)
{
	return (json_int_t)atomic_load_explicit(c, memory_order_relaxed);
}

static json_t *vm_metrics(void *opaque)
{
	struct machine *m = opaque;
	json_t *devs = json_array(), *cpus = json_array();
	unsigned int i;

	for (i = 0; devs && i < m->nr_vdevs; i++) {
		struct virtio_slot *s = &m->vdevs[i];
		struct virtio_device *d =
		    s->type->vdev ? s->type->vdev(s->dev) : NULL;
		char id[32];

		if (!d)
			continue;
		slot_id(m, i, id, sizeof(id));
		json_array_append_new(
		    devs, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "id", id,
				    "type", s->type->name, "requests",
				    counter(&d->stats.requests), "bytes",
				    counter(&d->stats.bytes), "errors",
				    counter(&d->stats.errors), "interrupts",
				    counter(&d->stats.interrupts)));
	}
	for (i = 0; cpus && i < m->nr_vcpus; i++) {
		struct vcpu_stats *st = &m->vcpus[i].stats;

		json_array_append_new(
		    cpus, json_pack("{s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "id",
				    (json_int_t)i, "exits", "io",
				    counter(&st->pio_exits), "mmio",
				    counter(&st->mmio_exits), "signal",
				    counter(&st->intr_exits), "system_event",
				    counter(&st->system_event_exits), "other",
				    counter(&st->other_exits)));
	}
	return json_pack("{s:I, s:o, s:o}", "uptime_ms", uptime_ms(m),
			 "devices", devs, "vcpus", cpus);
}

static struct fault_dev *slot_faults(const struct virtio_slot *s)
{
	return s->hooks ? s->hooks->fault : NULL;
}

/*
 * GET /faults. The rule list is the API thread's alone after start; each
 * device's copy and counters are read under its own lock.
 */
static json_t *vm_faults(void *opaque)
{
	struct machine *m = opaque;
	json_t *rules = json_array(), *devs = json_array();
	struct fault_rule_stat st[FAULT_MAX_SPECS];
	bool armed = false;
	unsigned int i, k, n;

	for (i = 0; rules && i < m->faults.nr_specs; i++)
		json_array_append_new(rules,
				      json_string(m->faults.specs[i].text));
	for (i = 0; devs && i < m->nr_vdevs; i++) {
		struct fault_dev *fd = slot_faults(&m->vdevs[i]);
		json_t *r = json_array();
		char id[32];

		if (!fd || !r) {
			json_decref(r);
			continue;
		}
		armed = true;
		n = fault_dev_rules(fd, st, FAULT_MAX_SPECS);
		for (k = 0; k < n && k < FAULT_MAX_SPECS; k++)
			json_array_append_new(
			    r, json_pack("{s:s, s:I, s:I}", "rule", st[k].text,
					 "matched", (json_int_t)st[k].matched,
					 "fired", (json_int_t)st[k].fired));
		slot_id(m, i, id, sizeof(id));
		json_array_append_new(
		    devs, json_pack("{s:s, s:o}", "id", id, "rules", r));
	}
	return json_pack("{s:b, s:b, s:I, s:o, s:o}", "armed", armed, "enabled",
			 __atomic_load_n(&m->faults.enabled, __ATOMIC_RELAXED),
			 "seed", (json_int_t)m->faults.seed, "rules", rules,
			 "devices", devs);
}

/* Whether spec names one of the machine's devices. */
static bool names_a_device(struct machine *m, const struct fault_spec *spec)
{
	unsigned int i;

	for (i = 0; i < m->nr_vdevs; i++)
		if (slot_faults(&m->vdevs[i]) &&
		    fault_spec_matches(spec, m->vdevs[i].type->name,
				       slot_instance(m, i)))
			return true;
	return false;
}

static int vm_set_faults(void *opaque, const struct fault_spec *specs,
			 unsigned int n, bool add, struct err *e)
{
	struct machine *m = opaque;
	struct fault_set *f = &m->faults;
	unsigned int i, base = add ? f->nr_specs : 0;
	bool armed = false;

	for (i = 0; i < m->nr_vdevs; i++)
		armed |= slot_faults(&m->vdevs[i]) != NULL;
	if (!armed)
		return err_set(e, "fault injection is not armed: start vireo "
				  "with --fault or --fault-seed N");
	if (base + n > FAULT_MAX_SPECS)
		return err_set(e, "at most %d fault rules (%u now)",
			       FAULT_MAX_SPECS, f->nr_specs);
	for (i = 0; i < n; i++)
		if (!names_a_device(m, &specs[i]))
			return err_set(e, "%s: no such device", specs[i].text);
	memcpy(&f->specs[base], specs, n * sizeof(*specs));
	f->nr_specs = base + n;
	for (i = 0; i < m->nr_vdevs; i++)
		if (slot_faults(&m->vdevs[i]))
			fault_dev_set_rules(slot_faults(&m->vdevs[i]), f->specs,
					    f->nr_specs);
	log_info("fault rules %s through the API (%u now)",
		 add ? "added" : "replaced", f->nr_specs);
	return 0;
}

static int vm_enable_faults(void *opaque, bool on, struct err *e)
{
	struct machine *m = opaque;

	(void)e;
	__atomic_store_n(&m->faults.enabled, on, __ATOMIC_RELAXED);
	log_info("fault injection %s (API)", on ? "on" : "off");
	return 0;
}

static int vm_set_paused(void *opaque, bool paused, struct err *e)
{
	struct machine *m = opaque;
	int ret = 0;

	pthread_mutex_lock(&m->run_lock);
	if (atomic_load(&m->stopping))
		ret = err_set(e, "the VM is stopping");
	else if (paused && !m->paused)
		ret = machine_pause_locked(m, e);
	else if (!paused && m->paused)
		machine_resume_locked(m);
	if (ret == 0)
		m->paused = paused;
	pthread_mutex_unlock(&m->run_lock);
	return ret;
}

static int vm_action(void *opaque, enum api_action a, struct err *e)
{
	struct machine *m = opaque;

	if (atomic_load(&m->stopping))
		return err_set(e, "the VM is stopping");
	switch (a) {
	case API_ACTION_SHUTDOWN:
		if (!m->cfg->acpi)
			return err_set(e,
				       "no ACPI (--no-acpi or --dtb): the "
				       "guest has no power button; use stop");
		if (m->paused)
			return err_set(e, "the VM is paused: a paused guest "
					  "cannot power off (resume it first)");
		acpi_sleep_power_button(&m->sleep);
		return 0;
	case API_ACTION_REBOOT:
		/* What a guest-requested reset does: vireo ends, status 0. */
		machine_request_stop(m, VIREO_EXIT_GUEST_DONE,
				     "reset requested through the API");
		return 0;
	case API_ACTION_STOP:
		machine_request_stop(m, VIREO_EXIT_GUEST_DONE,
				     "stopped through the API");
		return 0;
	}
	return err_set(e, "unknown action");
}

int vm_api_open(struct machine *m, struct err *e)
{
	m->api_ops = (struct api_vm_ops){
		.describe = vm_describe,
		.metrics = vm_metrics,
		.set_paused = vm_set_paused,
		.action = vm_action,
		.faults = vm_faults,
		.set_faults = vm_set_faults,
		.enable_faults = vm_enable_faults,
		.opaque = m,
	};
	if (!m->cfg->api_socket)
		return 0;
	m->api_open = true;
	return api_server_open(&m->api, m->cfg->api_socket, api_routes_handle,
			       &m->api_ops, e);
}

int vm_api_start(struct machine *m, struct err *e)
{
	m->start_ns = now_ns();
	return m->api_open ? api_server_start(&m->api, e) : 0;
}

void vm_api_close(struct machine *m)
{
	if (m->api_open)
		api_server_close(&m->api);
	m->api_open = false;
}
