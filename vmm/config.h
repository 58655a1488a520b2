/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_CONFIG_H
#define VIREO_VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "devices/virtio/fault.h"
#include "vmm/boot/image_src.h"

/* What the user asked for; filled by cli/, validated again by vmm/. */
enum vm_console {
	VM_CONSOLE_SERIAL, /* stdio on the 8250 (ttyS0) */
	/* stdio on virtio-console (hvc0); the 8250 only prints */
	VM_CONSOLE_VIRTIO,
};

enum vm_transport {
	VM_TRANSPORT_PCI, /* virtio-pci, modern only */
	VM_TRANSPORT_PCI_TRANSITIONAL, /* modern + legacy I/O BAR */
	VM_TRANSPORT_MMIO, /* virtio-mmio version 2 */
	VM_TRANSPORT_MMIO_LEGACY, /* virtio-mmio version 1 (legacy) */
};

/* --virtio-transport DEV=T: one device type on another transport. */
#define VM_MAX_TRANSPORT_OVERRIDES 8
struct vm_transport_override {
	const char *dev; /* "console", "rng", "blk", "net" */
	enum vm_transport transport;
};

/* One TARGET=+NAME or TARGET=-NAME of --virtio-features. */
#define VM_MAX_FEATURE_RULES 64
struct vm_feature_rule {
	char target[16]; /* all, a device type (blk) or instance (net1) */
	char name[32];
	bool add;
};

#define VM_MAX_DISKS 16
#define VM_DISK_PATH_MAX 4096
#define VM_DISK_SERIAL_MAX 20 /* virtio-blk GET_ID bytes */

struct vm_disk_config {
	char path[VM_DISK_PATH_MAX];
	bool read_only;
	bool has_serial;
	char serial[VM_DISK_SERIAL_MAX + 1];
	unsigned int poll_us; /* the device thread polls this long after work */
};

#define VM_MAX_NETS 8

/* --net tap=NAME[,mac=MAC] */
struct vm_net_config {
	char tap[16]; /* IFNAMSIZ */
	uint8_t mac[6];
	bool mac_set; /* else derived from the tap name */
};

/* --uid/--gid, --jail, --rlimit (docs/security.md) */
enum vm_rlimit {
	VM_RLIMIT_NOFILE,
	VM_RLIMIT_FSIZE,
	VM_RLIMIT_MEMLOCK,
	VM_NR_RLIMITS
};
struct vm_sandbox_config {
	bool drop; /* --uid and --gid given */
	uint32_t uid, gid;
	bool has_uid, has_gid;
	const char *jail_dir; /* --jail DIR, else NULL */
	bool rlimit_set[VM_NR_RLIMITS]; /* else the default */
	uint64_t rlimit[VM_NR_RLIMITS];
};

/* --vsock cid=N,uds=PATH */
#define VM_VSOCK_UDS_MAX 96 /* sun_path less room for "_<port>" */
struct vm_vsock_config {
	bool enabled;
	uint64_t cid;
	char uds[VM_VSOCK_UDS_MAX + 1];
};

/* Per-thread seccomp filters (docs/seccomp.md); on unless asked. */
enum vm_seccomp {
	VM_SECCOMP_ON, /* a forbidden syscall: one line, exit 1 */
	VM_SECCOMP_LOG, /* --seccomp=log: audit-logged, allowed */
	VM_SECCOMP_OFF, /* --no-seccomp */
};

struct vm_config {
	const char *kvm_path;
	const char *kernel_path;
	const char *initrd_path;
	const char *cmdline;
	unsigned int nr_cpus;
	uint64_t mem_size;
	enum vm_console console;
	enum vm_transport transport;
	struct vm_transport_override
	    transport_overrides[VM_MAX_TRANSPORT_OVERRIDES];
	unsigned int nr_transport_overrides;
	/* --virtio-features, in order */
	struct vm_feature_rule feature_rules[VM_MAX_FEATURE_RULES];
	unsigned int nr_feature_rules;
	bool acpi; /* ACPI tables (default); off: MP table + command line */
	/* --dtb: a device tree in setup_data instead of ACPI/MP table */
	bool dtb;
	const char *dump_dtb_path; /* --dump-dtb: write the DTB, do not run */
	bool rng;
	struct vm_disk_config disks[VM_MAX_DISKS]; /* vda, vdb, ... */
	unsigned int nr_disks;
	struct vm_net_config nets[VM_MAX_NETS];
	unsigned int nr_nets;
	struct vm_vsock_config vsock;
	const char *api_socket; /* --api-socket: the control API */
	struct vm_sandbox_config sandbox;
	/* --config's parsed document (json_t): the strings above point into
	 * it; released by config_file_free(). */
	void *config_doc;
	bool host_quirks;
	bool pvh_entry; /* ELF vmlinux: enter through PVH instead of 64-bit */
	enum image_mapping map_images; /* kernel and initrd: mapped or copied */
	bool guest_decompress; /* bzImage: no host-side payload extraction */
	bool stats;
	bool verbose;
	const char *trace_path; /* --trace: JSON Lines of every virtio event */
	struct fault_set faults; /* --fault, --fault-seed */
	enum vm_seccomp seccomp;
};

/* The transport for device type dev: its override, else the global one. */
static inline enum vm_transport vm_config_transport(const struct vm_config *cfg,
						    const char *dev)
{
	unsigned int i;

	for (i = cfg->nr_transport_overrides; i-- > 0;)
		if (!strcmp(cfg->transport_overrides[i].dev, dev))
			return cfg->transport_overrides[i].transport;
	return cfg->transport;
}

#define VM_CONFIG_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1"
#define VM_CONFIG_DEFAULT_MEM (512ULL << 20)
#define VM_CONFIG_MIN_MEM (32ULL << 20)
#define VM_CONFIG_MAX_CPUS 255 /* xAPIC IDs in the MP table */

/* Process exit statuses; documented in `vireo --help` and the README. */
enum vireo_exit_status {
	VIREO_EXIT_GUEST_DONE = 0, /* guest reset or powered off */
	VIREO_EXIT_ERROR = 1, /* vireo failed while running */
	VIREO_EXIT_USAGE = 2, /* bad input, detected before the guest ran */
	VIREO_EXIT_GUEST_CRASH = 3, /* triple fault, KVM internal error */
	/* 128 + signal number when stopped by SIGINT/SIGTERM/SIGHUP */
};

#endif
