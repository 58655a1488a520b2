// SPDX-License-Identifier: MIT
#include "vmm/config_json.h"

#include <stdio.h>

const char *vm_transport_name(enum vm_transport t)
{
	switch (t) {
	case VM_TRANSPORT_PCI:
		return "pci";
	case VM_TRANSPORT_PCI_TRANSITIONAL:
		return "pci-transitional";
	case VM_TRANSPORT_MMIO:
		return "mmio";
	case VM_TRANSPORT_MMIO_LEGACY:
		return "mmio-legacy";
	}
	return "unknown";
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* What --memory reads back: whole MiB, else KiB, else bytes. */
static json_t *memory_json(uint64_t bytes)
{
	char buf[32];

	if (bytes % (1ULL << 20) == 0)
		snprintf(buf, sizeof(buf), "%lluM",
			 (unsigned long long)(bytes >> 20));
	else if (bytes % 1024 == 0)
		snprintf(buf, sizeof(buf), "%lluK",
			 (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)bytes);
	return json_string(buf);
}

static json_t *disks_json(const struct vm_config *cfg)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < cfg->nr_disks; i++) {
		const struct vm_disk_config *d = &cfg->disks[i];
		json_t *o = json_pack("{s:s, s:b}", "path", d->path,
				      "read_only", d->read_only);

		if (o && d->has_serial)
			json_object_set_new(o, "serial",
					    json_string(d->serial));
		if (o && d->poll_us)
			json_object_set_new(o, "poll_us",
					    json_integer(d->poll_us));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *nets_json(const struct vm_config *cfg)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < cfg->nr_nets; i++) {
		const struct vm_net_config *n = &cfg->nets[i];
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
			 n->mac[5]);
		json_array_append_new(
		    a, json_pack("{s:s, s:s}", "tap", n->tap, "mac", mac));
	}
	return a;
}

static json_t *overrides_json(const struct vm_config *cfg)
{
	json_t *o = json_object();
	unsigned int i;

	/* The last override of a device wins, as on the command line. */
	for (i = 0; o && i < cfg->nr_transport_overrides; i++)
		json_object_set_new(
		    o, cfg->transport_overrides[i].dev,
		    json_string(vm_transport_name(
			cfg->transport_overrides[i].transport)));
	return o;
}

/* Only what was given: a default depends on the host (disk sizes). */
static json_t *sandbox_json(const struct vm_config *cfg)
{
	static const char *const names[VM_NR_RLIMITS] = {
		[VM_RLIMIT_NOFILE] = "nofile",
		[VM_RLIMIT_FSIZE] = "fsize",
		[VM_RLIMIT_MEMLOCK] = "memlock",
	};
	const struct vm_sandbox_config *sb = &cfg->sandbox;
	json_t *o = json_object(), *r = json_object();
	int i;

	if (sb->has_uid)
		json_object_set_new(o, "uid", json_integer(sb->uid));
	if (sb->has_gid)
		json_object_set_new(o, "gid", json_integer(sb->gid));
	json_object_set_new(o, "jail", string_or_null(sb->jail_dir));
	for (i = 0; i < VM_NR_RLIMITS; i++)
		if (sb->rlimit_set[i])
			json_object_set_new(
			    r, names[i],
			    sb->rlimit[i] == UINT64_MAX
				? json_string("unlimited")
				: json_integer((json_int_t)sb->rlimit[i]));
	json_object_set_new(o, "rlimits", r);
	return o;
}

json_t *vm_config_to_json(const struct vm_config *cfg)
{
	json_t *vsock =
	    cfg->vsock.enabled
		? json_pack("{s:I, s:s}", "cid", (json_int_t)cfg->vsock.cid,
			    "uds", cfg->vsock.uds)
		: json_null();

	return json_pack(
	    "{s:o, s:o, s:o, s:I, s:o, s:s, s:b, s:o, s:o, s:o, s:s, s:o, "
	    "s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b}, s:o, s:o, s:s}",
	    "kernel", string_or_null(cfg->kernel_path), "initrd",
	    string_or_null(cfg->initrd_path), "cmdline",
	    string_or_null(cfg->cmdline), "cpus", (json_int_t)cfg->nr_cpus,
	    "memory", memory_json(cfg->mem_size), "console",
	    cfg->console == VM_CONSOLE_VIRTIO ? "virtio" : "serial", "rng",
	    cfg->rng, "disks", disks_json(cfg), "nets", nets_json(cfg), "vsock",
	    vsock, "transport", vm_transport_name(cfg->transport),
	    "virtio_transport", overrides_json(cfg), "features", "acpi",
	    cfg->acpi, "dtb", cfg->dtb, "host_quirks", cfg->host_quirks, "pvh",
	    cfg->pvh_entry, "guest_decompress", cfg->guest_decompress,
	    "map_images", cfg->map_images == IMAGE_MAP_ALWAYS, "copy_images",
	    cfg->map_images == IMAGE_MAP_NEVER, "api_socket",
	    string_or_null(cfg->api_socket), "sandbox", sandbox_json(cfg),
	    "seccomp",
	    cfg->seccomp == VM_SECCOMP_OFF   ? "off"
	    : cfg->seccomp == VM_SECCOMP_LOG ? "log"
					     : "on");
}
