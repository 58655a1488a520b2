// SPDX-License-Identifier: MIT
#include "cli/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysinfo.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include "vmm/device_types.h"
#include "util/file.h"
#include "util/size.h"
#include "cli/config_file.h"
#include "vmm/fdt/dtb_boot.h"
#include "vmm/virtio_features.h"
#include "vmm/sandbox/privdrop.h"
#include "vmm/sandbox/rlimits.h"

struct cli_option {
	const char *name;
	const char *metavar; /* NULL: a flag without argument */
	const char *help;
	int (*apply)(struct vm_config *cfg, const char *arg, struct err *e);
};

static int opt_kernel(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->kernel_path = arg;
	return 0;
}

static int opt_initrd(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->initrd_path = arg;
	return 0;
}

static int opt_cmdline(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->cmdline = arg;
	return 0;
}

static int opt_cpus(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (uint_parse(arg, 1, VM_CONFIG_MAX_CPUS, &cfg->nr_cpus) < 0)
		return err_set(e, "--cpus '%s': expected a number from 1 to %d",
			       arg, VM_CONFIG_MAX_CPUS);
	return 0;
}

static int opt_memory(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (size_parse(arg, &cfg->mem_size) < 0)
		return err_set(
		    e, "--memory '%s': expected a size such as 512M or 2G",
		    arg);
	if (cfg->mem_size < VM_CONFIG_MIN_MEM)
		return err_set(e, "--memory '%s': at least %llu MiB needed",
			       arg, VM_CONFIG_MIN_MEM >> 20);
	return 0;
}

static int opt_no_host_quirks(struct vm_config *cfg, const char *arg,
			      struct err *e)
{
	(void)arg;
	(void)e;
	cfg->host_quirks = false;
	return 0;
}

static int opt_pvh(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->pvh_entry = true;
	return 0;
}

static int opt_map_images(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->map_images = IMAGE_MAP_ALWAYS;
	return 0;
}

static int opt_copy_images(struct vm_config *cfg, const char *arg,
			   struct err *e)
{
	(void)arg;
	(void)e;
	cfg->map_images = IMAGE_MAP_NEVER;
	return 0;
}

static int opt_guest_decompress(struct vm_config *cfg, const char *arg,
				struct err *e)
{
	(void)arg;
	(void)e;
	cfg->guest_decompress = true;
	return 0;
}

static int opt_stats(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->stats = true;
	return 0;
}

static int opt_verbose(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->verbose = true;
	return 0;
}

static int opt_seccomp(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (!strcmp(arg, "on"))
		cfg->seccomp = VM_SECCOMP_ON;
	else if (!strcmp(arg, "log"))
		cfg->seccomp = VM_SECCOMP_LOG;
	else
		return err_set(e, "--seccomp '%s': expected on or log", arg);
	return 0;
}

static int opt_no_seccomp(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->seccomp = VM_SECCOMP_OFF;
	return 0;
}

static int opt_trace(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->trace_path = arg;
	return 0;
}

static int opt_fault(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct fault_set *f = &cfg->faults;

	if (f->nr_specs == FAULT_MAX_SPECS)
		return err_set(e, "--fault: at most %d times", FAULT_MAX_SPECS);
	if (fault_spec_parse(arg, &f->specs[f->nr_specs], e) < 0)
		return -1;
	f->nr_specs++;
	return 0;
}

static int opt_fault_seed(struct vm_config *cfg, const char *arg, struct err *e)
{
	char *end;

	errno = 0;
	cfg->faults.seed = strtoull(arg, &end, 0);
	cfg->faults.armed = true; /* rules may come through the API */
	if (errno || end == arg || *end || *arg == '-')
		return err_set(e, "--fault-seed '%s': expected a number", arg);
	return 0;
}

static int opt_kvm(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)e;
	cfg->kvm_path = arg;
	return 0;
}

static int opt_console(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (!strcmp(arg, "serial"))
		cfg->console = VM_CONSOLE_SERIAL;
	else if (!strcmp(arg, "virtio"))
		cfg->console = VM_CONSOLE_VIRTIO;
	else
		return err_set(e, "--console '%s': expected serial or virtio",
			       arg);
	return 0;
}

#define TRANSPORT_NAMES "pci, pci-transitional, mmio or mmio-legacy"

static int transport_parse(const char *arg, enum vm_transport *t)
{
	static const struct {
		const char *name;
		enum vm_transport t;
	} names[] = {
		{ "pci", VM_TRANSPORT_PCI },
		{ "pci-transitional", VM_TRANSPORT_PCI_TRANSITIONAL },
		{ "mmio", VM_TRANSPORT_MMIO },
		{ "mmio-legacy", VM_TRANSPORT_MMIO_LEGACY },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i].name)) {
			*t = names[i].t;
			return 0;
		}
	return -1;
}

static int opt_transport(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (transport_parse(arg, &cfg->transport) < 0)
		return err_set(e, "--transport '%s': expected " TRANSPORT_NAMES,
			       arg);
	return 0;
}

/* DEV=TRANSPORT; a later one for the same device wins. */
static int opt_virtio_transport(struct vm_config *cfg, const char *arg,
				struct err *e)
{
	const char *eq = strchr(arg, '=');
	const struct device_type *type =
	    eq ? device_type_find(arg, (size_t)(eq - arg)) : NULL;
	struct vm_transport_override *o;
	char names[128];

	if (cfg->nr_transport_overrides == VM_MAX_TRANSPORT_OVERRIDES)
		return err_set(e, "--virtio-transport: at most %d times",
			       VM_MAX_TRANSPORT_OVERRIDES);
	o = &cfg->transport_overrides[cfg->nr_transport_overrides];
	if (!type)
		return err_set(
		    e,
		    "--virtio-transport '%s': expected DEV=TRANSPORT with DEV "
		    "%s",
		    arg, device_type_names(names, sizeof(names)));
	if (transport_parse(eq + 1, &o->transport) < 0)
		return err_set(
		    e, "--virtio-transport '%s': expected " TRANSPORT_NAMES,
		    arg);
	o->dev = type->name;
	cfg->nr_transport_overrides++;
	return 0;
}

static int opt_virtio_features(struct vm_config *cfg, const char *arg,
			       struct err *e)
{
	return virtio_features_parse(arg, cfg->feature_rules,
				     &cfg->nr_feature_rules,
				     VM_MAX_FEATURE_RULES, e);
}

static int opt_no_acpi(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->acpi = false;
	return 0;
}

/* The tree replaces ACPI: Linux would take the CPUs from both. */
static int opt_dtb(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->dtb = true;
	cfg->acpi = false;
	return 0;
}

static int opt_dump_dtb(struct vm_config *cfg, const char *arg, struct err *e)
{
	cfg->dump_dtb_path = arg;
	return opt_dtb(cfg, NULL, e);
}

static int opt_rng(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	cfg->rng = true;
	return 0;
}

/*
 * The comma-separated KEY[=VALUE] list after --disk PATH or in --net. A key
 * given twice is an error rather than "last wins": a silent override (or,
 * as before, a shorter serial copied over a longer one) would give the
 * guest a device other than the one the user believes they described.
 */
struct subopt {
	const char *key;
	bool has_value;
};

/* One token: index into keys, value (NUL-free view into arg) or -1. */
struct subopt_token {
	int key;
	const char *value;
	size_t value_len;
};

#define SUBOPT_MAX_KEYS 8

struct subopt_iter {
	const char *opt_name; /* "--disk" */
	const char *arg; /* the whole argument, for messages */
	const char *p; /* next token */
	const struct subopt *keys;
	size_t nr_keys;
	const char *expect; /* e.g. "ro or serial=ID" */
	unsigned int seen;
};

/* 1 with *t filled, 0 at the end of the list, -1 with e set. */
static int subopt_next(struct subopt_iter *it, struct subopt_token *t,
		       struct err *e)
{
	const char *tok = it->p, *end, *eq;
	size_t len, klen, i;

	if (!tok)
		return 0;
	end = strchrnul(tok, ',');
	len = (size_t)(end - tok);
	it->p = *end ? end + 1 : NULL;
	eq = memchr(tok, '=', len);
	klen = eq ? (size_t)(eq - tok) : len;
	for (i = 0; i < it->nr_keys; i++)
		if (strlen(it->keys[i].key) == klen &&
		    !strncmp(tok, it->keys[i].key, klen) &&
		    it->keys[i].has_value == !!eq)
			break;
	if (i == it->nr_keys)
		return err_set(
		    e, "%s '%s': unknown option '%.*s' (expected %s)",
		    it->opt_name, it->arg, (int)len, tok, it->expect);
	if (it->seen & (1u << i))
		return err_set(e, "%s '%s': %s given twice", it->opt_name,
			       it->arg, it->keys[i].key);
	it->seen |= 1u << i;
	t->key = (int)i;
	t->value = eq ? eq + 1 : NULL;
	t->value_len = eq ? len - klen - 1 : 0;
	if (eq && t->value_len == 0)
		return err_set(e, "%s '%s': %s= needs a value", it->opt_name,
			       it->arg, it->keys[i].key);
	return 1;
}

enum { DISK_RO, DISK_SERIAL, DISK_POLL };

static const struct subopt disk_keys[] = {
	[DISK_RO] = { "ro", false },
	[DISK_SERIAL] = { "serial", true },
	[DISK_POLL] = { "poll", true },
};

_Static_assert(sizeof(disk_keys) / sizeof(disk_keys[0]) <= SUBOPT_MAX_KEYS,
	       "seen mask");

/* poll=US: 0 to VIRTIO_BLK_POLL_US_MAX microseconds. */
static int disk_poll(struct vm_disk_config *d, const char *arg,
		     const struct subopt_token *t, struct err *e)
{
	char num[16], *end;
	unsigned long v;

	if (t->value_len >= sizeof(num))
		return err_set(e, "--disk '%s': poll= takes microseconds", arg);
	memcpy(num, t->value, t->value_len);
	num[t->value_len] = 0;
	errno = 0;
	v = strtoul(num, &end, 10);
	if (*end || errno || num[0] == '-' || v > VIRTIO_BLK_POLL_US_MAX)
		return err_set(e,
			       "--disk '%s': poll= takes microseconds, 0 to %d",
			       arg, VIRTIO_BLK_POLL_US_MAX);
	d->poll_us = (unsigned int)v;
	return 0;
}

/*
 * --disk PATH[,ro][,serial=ID][,poll=US]: the path is everything before
 * the first comma, so paths with commas are not supported.
 */
static int opt_disk(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct vm_disk_config *d;
	const char *p = strchr(arg, ',');
	size_t len = p ? (size_t)(p - arg) : strlen(arg);
	struct subopt_iter it = {
		.opt_name = "--disk",
		.arg = arg,
		.p = p ? p + 1 : NULL,
		.keys = disk_keys,
		.nr_keys = sizeof(disk_keys) / sizeof(disk_keys[0]),
		.expect = "ro, serial=ID or poll=US",
	};
	struct subopt_token t;
	int ret;

	if (cfg->nr_disks == VM_MAX_DISKS)
		return err_set(e, "--disk: at most %d disks", VM_MAX_DISKS);
	d = &cfg->disks[cfg->nr_disks];
	*d = (struct vm_disk_config){ 0 };
	if (len == 0)
		return err_set(
		    e, "--disk '%s': expected PATH[,ro][,serial=ID][,poll=US]",
		    arg);
	if (len >= sizeof(d->path))
		return err_set(e, "--disk: path too long");
	memcpy(d->path, arg, len);
	while ((ret = subopt_next(&it, &t, e)) > 0) {
		if (t.key == DISK_RO) {
			d->read_only = true;
			continue;
		}
		if (t.key == DISK_POLL) {
			if (disk_poll(d, arg, &t, e) < 0)
				return -1;
			continue;
		}
		if (t.value_len > VM_DISK_SERIAL_MAX)
			return err_set(
			    e, "--disk '%s': serial longer than %d bytes", arg,
			    VM_DISK_SERIAL_MAX);
		memcpy(d->serial, t.value, t.value_len);
		d->has_serial = true;
	}
	if (ret < 0)
		return -1;
	cfg->nr_disks++;
	return 0;
}

enum { NET_TAP, NET_MAC };

static const struct subopt net_keys[] = {
	[NET_TAP] = { "tap", true },
	[NET_MAC] = { "mac", true },
};

_Static_assert(sizeof(net_keys) / sizeof(net_keys[0]) <= SUBOPT_MAX_KEYS,
	       "seen mask");

/* --net tap=NAME[,mac=MAC] */
static int opt_net(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct vm_net_config *net;
	struct subopt_iter it = {
		.opt_name = "--net",
		.arg = arg,
		.p = arg,
		.keys = net_keys,
		.nr_keys = sizeof(net_keys) / sizeof(net_keys[0]),
		.expect = "tap=NAME or mac=MAC",
	};
	struct subopt_token t;
	int ret;

	if (cfg->nr_nets == VM_MAX_NETS)
		return err_set(e, "--net: at most %d network devices",
			       VM_MAX_NETS);
	net = &cfg->nets[cfg->nr_nets];
	*net = (struct vm_net_config){ 0 };
	while ((ret = subopt_next(&it, &t, e)) > 0) {
		if (t.key == NET_TAP) {
			if (t.value_len >= sizeof(net->tap))
				return err_set(e,
					       "--net '%s': tap name longer "
					       "than %zu characters",
					       arg, sizeof(net->tap) - 1);
			memcpy(net->tap, t.value, t.value_len);
			net->tap[t.value_len] = 0;
		} else {
			char mac[32];

			snprintf(mac, sizeof(mac), "%.*s", (int)t.value_len,
				 t.value);
			if (t.value_len >= sizeof(mac))
				return err_set(e, "--net '%s': mac too long",
					       arg);
			if (virtio_net_parse_mac(mac, net->mac, e) < 0)
				return err_prefix(e, "--net '%s'", arg);
			net->mac_set = true;
		}
	}
	if (ret < 0)
		return -1;
	if (!net->tap[0])
		return err_set(e, "--net '%s': expected tap=NAME[,mac=MAC]",
			       arg);
	if (!net->mac_set)
		virtio_net_mac_from_name(net->tap, net->mac);
	cfg->nr_nets++;
	return 0;
}

enum { VSOCK_CID, VSOCK_UDS };

static const struct subopt vsock_keys[] = {
	[VSOCK_CID] = { "cid", true },
	[VSOCK_UDS] = { "uds", true },
};

/* --vsock cid=N,uds=PATH: CIDs 0-2 are reserved, -1U is VMADDR_CID_ANY. */
static int opt_vsock(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct vm_vsock_config *vc = &cfg->vsock;
	struct subopt_iter it = {
		.opt_name = "--vsock",
		.arg = arg,
		.p = arg,
		.keys = vsock_keys,
		.nr_keys = sizeof(vsock_keys) / sizeof(vsock_keys[0]),
		.expect = "cid=N or uds=PATH",
	};
	struct subopt_token t;
	bool has_cid = false;
	int ret;

	if (vc->enabled)
		return err_set(e, "--vsock: given twice (one device at most)");
	*vc = (struct vm_vsock_config){ 0 };
	while ((ret = subopt_next(&it, &t, e)) > 0) {
		char num[24], *end;

		if (t.key == VSOCK_UDS) {
			if (t.value_len > VM_VSOCK_UDS_MAX)
				return err_set(e,
					       "--vsock '%s': uds path longer "
					       "than %d bytes",
					       arg, VM_VSOCK_UDS_MAX);
			memcpy(vc->uds, t.value, t.value_len);
			vc->uds[t.value_len] = 0;
			continue;
		}
		snprintf(num, sizeof(num), "%.*s", (int)t.value_len, t.value);
		errno = 0;
		vc->cid = strtoull(num, &end, 10);
		if (t.value_len >= sizeof(num) || *end || errno ||
		    num[0] == '-' || vc->cid < 3 || vc->cid >= 0xffffffffu)
			return err_set(e,
				       "--vsock '%s': cid must be a number "
				       "from 3 to 4294967294",
				       arg);
		has_cid = true;
	}
	if (ret < 0)
		return -1;
	if (!has_cid || !vc->uds[0])
		return err_set(e, "--vsock '%s': expected cid=N,uds=PATH", arg);
	vc->enabled = true;
	return 0;
}

static int opt_api_socket(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (!*arg)
		return err_set(e, "--api-socket: expected a path");
	cfg->api_socket = arg;
	return 0;
}

/* Numeric ids only: a name would need NSS, which may not match the
 * host's view once jailed; 0 would keep root. */
static int opt_id(const char *opt, const char *arg, uint32_t *id, bool *has,
		  struct err *e)
{
	if (privdrop_parse_id(arg, id) < 0 || *id == 0)
		return err_set(e,
			       "%s '%s': expected a numeric id from 1 to "
			       "4294967294",
			       opt, arg);
	*has = true;
	return 0;
}

static int opt_uid(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct vm_sandbox_config *sb = &cfg->sandbox;

	if (opt_id("--uid", arg, &sb->uid, &sb->has_uid, e) < 0)
		return -1;
	sb->drop = sb->has_gid;
	return 0;
}

static int opt_gid(struct vm_config *cfg, const char *arg, struct err *e)
{
	struct vm_sandbox_config *sb = &cfg->sandbox;

	if (opt_id("--gid", arg, &sb->gid, &sb->has_gid, e) < 0)
		return -1;
	sb->drop = sb->has_uid;
	return 0;
}

static int opt_jail(struct vm_config *cfg, const char *arg, struct err *e)
{
	if (!*arg)
		return err_set(e, "--jail: expected a directory");
	cfg->sandbox.jail_dir = arg;
	return 0;
}

static int opt_rlimit(struct vm_config *cfg, const char *arg, struct err *e)
{
	return rlimits_parse(arg, &cfg->sandbox, e);
}

/* Loaded by cli_parse() before any other option: flags override it. */
static int opt_config(struct vm_config *cfg, const char *arg, struct err *e)
{
	(void)cfg;
	(void)arg;
	(void)e;
	return 0;
}

static int opt_print_config(struct vm_config *cfg, const char *arg,
			    struct err *e)
{
	(void)cfg;
	(void)arg;
	(void)e;
	return 0;
}

/* `vireo run` options; new devices add a row here. */
static const struct cli_option run_options[] = {
	{ "--kernel", "PATH", "guest kernel: ELF vmlinux or bzImage (required)",
	  opt_kernel },
	{ "--initrd", "PATH", "initial ramdisk", opt_initrd },
	{ "--cmdline", "STR",
	  "kernel command line (default \"" VM_CONFIG_DEFAULT_CMDLINE "\")",
	  opt_cmdline },
	{ "--cpus", "N", "number of vCPUs (default 1)", opt_cpus },
	{ "--memory", "SIZE", "guest RAM, e.g. 512M, 2G (default 512M)",
	  opt_memory },
	{ "--console", "serial|virtio",
	  "stdio on the 8250 (ttyS0, default) or on virtio-console (hvc0)",
	  opt_console },
	{ "--rng", NULL, "add a virtio-rng device fed by getrandom()",
	  opt_rng },
	{ "--disk", "PATH[,ro][,serial=ID][,poll=US]",
	  "add a virtio-blk disk (raw image or block device; repeatable: vda, "
	  "vdb, ...)",
	  opt_disk },
	{ "--net", "tap=NAME[,mac=MAC]",
	  "add a virtio-net device on tap NAME (created if missing); "
	  "repeatable",
	  opt_net },
	{ "--vsock", "cid=N,uds=PATH",
	  "add a virtio-vsock device: host agents connect to PATH and send "
	  "\"CONNECT <port>\\n\"; guest connections to port P go to PATH_P",
	  opt_vsock },
	{ "--transport", "T",
	  "virtio transport: pci (modern, default), pci-transitional, mmio "
	  "(v2) or mmio-legacy (v1)",
	  opt_transport },
	{ "--virtio-transport", "DEV=T",
	  "put one device type on transport T, overriding --transport; "
	  "repeatable; DEV:",
	  opt_virtio_transport },
	{ "--virtio-features", "TARGET=[+|-]NAME[,...]",
	  "offer (+) or withdraw (-) virtio features; TARGET: all, a device "
	  "type or one device (blk0, net1); NAME: the spec's name, e.g. "
	  "ring_packed, event_idx, indirect_desc, mrg_rxbuf, flush; "
	  "repeatable",
	  opt_virtio_features },
	{ "--no-acpi", NULL,
	  "no ACPI tables: MP table, virtio-mmio devices on the kernel command "
	  "line",
	  opt_no_acpi },
	{ "--dtb", NULL,
	  "describe the machine in a device tree (setup_data SETUP_DTB) "
	  "instead of ACPI; every virtio device on mmio",
	  opt_dtb },
	{ "--dump-dtb", "FILE",
	  "write the device tree --dtb would pass and exit without running",
	  opt_dump_dtb },
	{ "--no-host-quirks", NULL,
	  "do not add the guest kernel parameters this host's KVM needs",
	  opt_no_host_quirks },
	{ "--pvh", NULL, "enter an ELF vmlinux through its PVH entry point",
	  opt_pvh },
	{ "--map-images", NULL,
	  "map the kernel's and initrd's pages into guest RAM copy-on-write "
	  "instead of copying them (faster start, one copy for every VM), "
	  "even where vireo cannot tell that the files will not change: they "
	  "must not while the VM runs",
	  opt_map_images },
	{ "--copy-images", NULL,
	  "copy the kernel and initrd into guest RAM even where they cannot "
	  "change (immutable, fs-verity, on squashfs or erofs), which are "
	  "otherwise mapped",
	  opt_copy_images },
	{ "--guest-decompress", NULL,
	  "bzImage: run the kernel's own decompressor in the guest",
	  opt_guest_decompress },
	{ "--stats", NULL,
	  "at exit (and on SIGUSR2): vCPU exit counts, exec-to-first-KVM_RUN "
	  "wall/CPU time, memory beyond guest RAM",
	  opt_stats },
	{ "--api-socket", "PATH",
	  "serve the control API (HTTP/JSON) on Unix socket PATH (mode 0600)",
	  opt_api_socket },
	{ "--config", "FILE",
	  "read the VM from a JSON file (the schema of --print-config); "
	  "options given here override it",
	  opt_config },
	{ "--print-config", NULL,
	  "print the effective configuration as JSON and exit",
	  opt_print_config },
	{ "--verbose", NULL, "debug messages on stderr", opt_verbose },
	{ "--trace", "PATH",
	  "write every virtio event (JSON Lines) to PATH; see 'vireo "
	  "trace-summary'",
	  opt_trace },
	{ "--fault", "TARGET:KIND[,k=v...]",
	  "inject a device-side fault (repeatable; docs/driver-testing.md)",
	  opt_fault },
	{ "--fault-seed", "N", "seed for --fault decisions (default 0)",
	  opt_fault_seed },
	{ "--uid", "N",
	  "once everything is open, run as user N (with --gid; no "
	  "supplementary groups or capabilities; docs/security.md)",
	  opt_uid },
	{ "--gid", "N", "once everything is open, run as group N (with --uid)",
	  opt_gid },
	{ "--jail", "DIR",
	  "run in new mount, PID, IPC and UTS namespaces with DIR as root "
	  "(entered once everything is open; root only)",
	  opt_jail },
	{ "--rlimit", "NAME=VALUE",
	  "resource limit: nofile=N (default 4096), fsize=SIZE (default the "
	  "largest disk, at least 16G), memlock=SIZE (default 8M) or "
	  "unlimited; defaults apply with --jail; repeatable",
	  opt_rlimit },
	{ "--kvm", "PATH", "KVM device (default /dev/kvm)", opt_kvm },
	{ "--seccomp", "on|log",
	  "per-thread seccomp filters (default on: a forbidden system call "
	  "ends vireo with exit 1); log: only audit-log it "
	  "(docs/seccomp.md)",
	  opt_seccomp },
	{ "--no-seccomp", NULL, "run without seccomp filters (not advised)",
	  opt_no_seccomp },
};

#define NR_RUN_OPTIONS (sizeof(run_options) / sizeof(run_options[0]))

void cli_print_help(FILE *out)
{
	size_t i;

	fprintf(out, "usage: vireo run --kernel PATH [options]\n"
		     "       vireo trace-summary PATH\n"
		     "       vireo ctl --api PATH "
		     "info|pause|resume|shutdown|reboot|stop|metrics\n"
		     "       vireo --help | --version\n\n"
		     "Run a Linux guest on KVM.\n\noptions for run:\n");
	for (i = 0; i < NR_RUN_OPTIONS; i++) {
		char left[48], names[128];

		snprintf(left, sizeof(left), "%s%s%s", run_options[i].name,
			 run_options[i].metavar ? " " : "",
			 run_options[i].metavar ? run_options[i].metavar : "");
		fprintf(out, "  %-34s %s", left, run_options[i].help);
		/* The names come from the device table, not from here. */
		if (run_options[i].apply == opt_virtio_transport)
			fprintf(out, " %s",
				device_type_names(names, sizeof(names)));
		fputc('\n', out);
	}
	fprintf(
	    out,
	    "\nConsole: the guest's ttyS0 is vireo's stdin/stdout; on a "
	    "terminal,\n"
	    "Ctrl-A X quits and Ctrl-A Ctrl-A sends Ctrl-A.\n\n"
	    "Exit status: 0 guest reset or powered off, 1 vireo failed while\n"
	    "running, 2 bad input or the VM could not start, 3 guest crashed,\n"
	    "128+N stopped by signal N.\n");
}

static const struct cli_option *cli_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NR_RUN_OPTIONS; i++)
		if (strlen(run_options[i].name) == len &&
		    !strncmp(run_options[i].name, name, len))
			return &run_options[i];
	return NULL;
}

static void cli_defaults(struct vm_config *cfg)
{
	*cfg = (struct vm_config){
		.kvm_path = "/dev/kvm",
		.cmdline = VM_CONFIG_DEFAULT_CMDLINE,
		.nr_cpus = 1,
		.mem_size = VM_CONFIG_DEFAULT_MEM,
		.host_quirks = true,
		.acpi = true,
		.faults = { .enabled = true },
	};
}

int cli_apply(struct vm_config *cfg, const char *name, const char *value,
	      struct err *e)
{
	const struct cli_option *opt = cli_find(name, strlen(name));

	if (!opt)
		return err_set(e, "unknown option '%s'", name);
	return opt->apply(cfg, value, e);
}

/* The value of the first --config, or NULL; -1 when it has none. */
static int find_config(int argc, char **argv, const char **path, struct err *e)
{
	int i;

	*path = NULL;
	for (i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "--config=", 9)) {
			*path = argv[i] + 9;
			return 0;
		}
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 == argc)
				return err_set(e, "option --config needs a "
						  "value (FILE)");
			*path = argv[i + 1];
			return 0;
		}
	}
	return 0;
}

/*
 * A repeatable option on the command line replaces the config file's
 * list rather than adding to it: the command line overrides the file.
 */
static void override_list(struct vm_config *cfg, const struct cli_option *opt,
			  unsigned int *seen)
{
	if (opt->apply == opt_disk && !(*seen & 1))
		cfg->nr_disks = 0;
	else if (opt->apply == opt_net && !(*seen & 2))
		cfg->nr_nets = 0;
	else if (opt->apply == opt_virtio_transport && !(*seen & 4))
		cfg->nr_transport_overrides = 0;
	else if (opt->apply == opt_vsock && !(*seen & 8))
		cfg->vsock.enabled = false;
	*seen |= opt->apply == opt_disk		      ? 1u
		 : opt->apply == opt_net	      ? 2u
		 : opt->apply == opt_virtio_transport ? 4u
		 : opt->apply == opt_vsock	      ? 8u
						      : 0u;
}

int cli_parse(int argc, char **argv, struct vm_config *cfg,
	      enum cli_action *action, struct err *e)
{
	const char *config_path;
	unsigned int lists_seen = 0;
	int i;

	cli_defaults(cfg);
	if (argc < 2)
		return err_set(e, "no command given (try 'vireo --help')");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		*action = CLI_HELP;
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		*action = CLI_VERSION;
		return 0;
	}
	if (strcmp(argv[1], "run"))
		return err_set(e, "unknown command '%s' (try 'vireo --help')",
			       argv[1]);
	*action = CLI_RUN;
	if (find_config(argc, argv, &config_path, e) < 0)
		return -1;
	if (config_path && config_file_load(config_path, cfg, e) < 0)
		return -1;
	for (i = 2; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct cli_option *opt;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			*action = CLI_HELP;
			return 0;
		}
		eq = strchr(arg, '=');
		opt = cli_find(arg, eq ? (size_t)(eq - arg) : strlen(arg));
		if (!opt)
			return err_set(
			    e, "unknown option '%s' (try 'vireo --help')", arg);
		if (!opt->metavar) {
			if (eq)
				return err_set(e, "option %s takes no value",
					       opt->name);
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			return err_set(e, "option %s needs a value (%s)",
				       opt->name, opt->metavar);
		}
		if (opt->apply == opt_print_config)
			*action = CLI_PRINT_CONFIG;
		override_list(cfg, opt, &lists_seen);
		if (opt->apply(cfg, value, e) < 0)
			return -1;
	}
	if (!cfg->kernel_path && *action != CLI_PRINT_CONFIG)
		return err_set(e, "missing --kernel PATH (try 'vireo --help')");
	return 0;
}

/* Raw images or block devices, readable (and writable unless ro). */
static int disk_check(const struct vm_disk_config *d, struct err *e)
{
	struct stat st;

	if (stat(d->path, &st) < 0) {
		if (errno == ENOENT)
			return err_set(e, "disk '%s' not found", d->path);
		return err_errno(e, errno, "disk '%s'", d->path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_set(
		    e, "disk '%s' is not a regular file or block device",
		    d->path);
	if (access(d->path, d->read_only ? R_OK : R_OK | W_OK) < 0)
		return err_errno(e, errno, "disk '%s' is not %s", d->path,
				 d->read_only
				     ? "readable"
				     : "readable and writable (add ,ro?)");
	return 0;
}

/*
 * stat() before open(): opening a FIFO (or a tty) for reading blocks until
 * a writer appears, so a mistyped path would hang vireo instead of failing.
 */
static int input_file_check(const char *path, const char *what, struct err *e)
{
	struct stat st;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return err_set(e, "%s file '%s' is not a regular file", what,
			       path);
	return file_check_readable(path, what, e);
}

int cli_validate(const struct vm_config *cfg, struct err *e)
{
	struct sysinfo si;

	if (input_file_check(cfg->kernel_path, "kernel", e) < 0)
		return -1;
	if (cfg->initrd_path &&
	    input_file_check(cfg->initrd_path, "initrd", e) < 0)
		return -1;
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		if (disk_check(&cfg->disks[i], e) < 0)
			return -1;
	if (cfg->dtb && dtb_config_check(cfg, e) < 0)
		return -1;
	if (sysinfo(&si) == 0) {
		uint64_t host = (uint64_t)si.totalram * si.mem_unit;

		if (cfg->mem_size > host)
			return err_set(
			    e,
			    "--memory %llu MiB is more than this host has "
			    "(%llu MiB)",
			    (unsigned long long)(cfg->mem_size >> 20),
			    (unsigned long long)(host >> 20));
	}
	return 0;
}
