/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_MACHINE_H
#define VIREO_VMM_MACHINE_H

/*
 * One virtual machine: owns the KVM handles, guest RAM, the buses, the
 * devices, the vCPU threads and the event loop. machine_run() returns the
 * process exit status (enum vireo_exit_status or 128 + signal).
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bus/bus.h"
#include "bus/mmio/mmio_space.h"
#include "bus/mmio/virtio_mmio.h"
#include "bus/pci/pci.h"
#include "bus/pci/virtio_pci.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/net_tap.h"
#include "devices/virtio/rng.h"
#include "kvm/irq_router.h"
#include "devices/legacy/acpi_sleep.h"
#include "devices/legacy/reset.h"
#include "devices/legacy/uart_8250.h"
#include "kvm/guest_mem.h"
#include "kvm/kvm.h"
#include "vmm/boot/boot.h"
#include "vmm/stats.h"
#include "vmm/config.h"
#include "vmm/console_route.h"
#include "util/event_loop.h"
#include "vmm/stdio_console.h"
#include "vmm/api/api_routes.h"
#include "vmm/api/api_server.h"
#include "vmm/vcpu_loop.h"

#define VM_MAX_VIRTIO_DEVICES 32

struct device_type;

/* One virtio device and the transport it is plugged into. */
struct virtio_slot {
	const struct device_type *type; /* its destroy() frees dev */
	const struct virtio_dev_ops *ops;
	void *dev;
	struct virtio_pci *pci; /* when on PCI */
	struct virtio_mmio *mmio; /* when on virtio-mmio */
	struct virtio_hooks *hooks; /* --trace/--fault named it, else NULL */
};

struct guest_ram {
	void *host;
	uint64_t size; /* total */
	uint64_t low; /* bytes mapped at [0, low) */
	uint64_t high; /* bytes mapped at [4 GiB, 4 GiB + high) */
};

struct machine {
	const struct vm_config *cfg;
	char cmdline[4096];
	const char *quirk_host, *quirk_params;

	struct kvm_sys sys;
	struct kvm_vm vm;
	struct guest_ram ram;
	struct guest_mem mem;
	struct kernel_info kernel; /* loaded before the boot tables */
	uint64_t initrd_gpa, initrd_size;
	struct image_mapped initrd_mapped;
	struct bus pio, mmio;

	struct irq_router router;
	struct pci_bus pci;
	bool pci_ready;
	/* Guest-physical ranges and GSIs handed to devices (bus/mmio). */
	struct mmio_space space;
	uint64_t pci_mem_base, pci_mem_size, ecam_base;

	/* virtio devices, each with its transport, in creation order */
	struct virtio_slot vdevs[VM_MAX_VIRTIO_DEVICES];
	unsigned int nr_vdevs;
	struct virtio_console *vcon; /* also in vdevs */
	struct trace *trace; /* --trace, else NULL */
	struct fault_set faults; /* --fault: a copy the run may toggle */
	struct console_route console_route; /* fixed at creation */

	struct uart_8250 uart;
	struct i8042 kbc;
	struct reset_control rcr;
	struct acpi_sleep sleep;
	struct stdio_console console;

	struct event_loop loop;
	struct event_source stop_src, signal_src;
	int stop_efd, signal_fd;

	struct vcpu_thread *vcpus;
	unsigned int nr_vcpus;
	struct vcpu_loop_ctx vcpu_ctx; /* what every vCPU thread sees */
	struct vcpu_pause pause;

	/* --api-socket. */
	struct api_server api;
	struct api_vm_ops api_ops;
	bool api_open;
	pthread_mutex_t run_lock; /* held across a pause (machine_pause) */
	bool paused; /* by the API; written under run_lock */
	uint64_t start_ns; /* CLOCK_MONOTONIC at machine_run */

	struct vmm_stats stats; /* exec to first KVM_RUN, memory */

	/* First stop request wins; the main thread acts on it. */
	atomic_int stopping;
	int exit_status;
	char stop_reason[512];
};

/* Builds everything up to (not including) starting the vCPUs. */
int machine_create(struct machine *m, const struct vm_config *cfg,
		   struct err *e);
/* Runs the guest to its end; returns the exit status. */
int machine_run(struct machine *m);
void machine_destroy(struct machine *m);

/* Any thread. The reason is printed on exit when status != 0. */
void machine_request_stop(struct machine *m, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Internal pieces, one file each. */
/* Maps guest RAM; guest_ram_register() then hands it to KVM. */
int guest_ram_create(struct machine *m, struct err *e);
/*
 * Kernel or initrd mapped (m->kernel.mapped, m->initrd_mapped), see
 * vmm/mapped_images.c. guard: SIGBUS (a mapped file shrank) becomes one
 * line and exit 1. lease: once the machine's own files are open, each
 * mapped file is leased, or copied in if it must be and cannot be.
 * changing: SIGIO for fd, whose lease is breaking: copy it in, let it go.
 */
int mapped_images_guard(const struct machine *m, struct err *e);
int mapped_images_lease(struct machine *m, struct err *e);
void mapped_images_changing(struct machine *m, int fd);
void mapped_images_close(struct machine *m);
int guest_ram_register(struct machine *m, struct err *e);
void guest_ram_destroy(struct machine *m);
int legacy_devices_create(struct machine *m, struct err *e);
void legacy_devices_destroy(struct machine *m);
/* Kernel and initrd into mapped guest RAM; then the boot tables. */
int kernel_boot_load(struct machine *m, struct err *e);
int kernel_boot_setup(struct machine *m, struct err *e);
int virtio_devices_create(struct machine *m, struct err *e);
/* Takes ownership of dev (type->destroy on failure too) and plugs it in. */
int virtio_devices_plug(struct machine *m, const struct device_type *type,
			const struct virtio_dev_ops *ops, void *dev,
			enum vm_transport transport, struct err *e);
/* The host side of a virtio-console: vireo's stdout, input flow control. */
struct virtio_console_backend virtio_devices_console_backend(struct machine *m);
/* The machine's virtio-console: host input goes to it, its output waits
 * for stdout to drain. */
void virtio_devices_console_attach(struct machine *m,
				   struct virtio_console *vcon);
/* Appends virtio_mmio.device= for each MMIO device (no-ACPI boots). */
int virtio_devices_cmdline(struct machine *m, struct err *e);
void virtio_devices_destroy(struct machine *m);
/*
 * Device I/O threads stopped (suspend) or running again: after the vCPUs
 * and before them. Caller holds run_lock (machine_pause_locked).
 */
void virtio_devices_suspend(struct machine *m, bool suspend);
/* Suspended devices: no host I/O they started still writes guest RAM. */
bool virtio_devices_io_landed(struct machine *m);
/*
 * The guest stopped (vCPUs parked, then device threads suspended) or
 * running again. Whoever pauses holds m->run_lock until it resumes, so
 * neither resumes what the other still needs stopped: the API thread (it
 * alone sets m->paused, the state the API reports) or the main thread
 * copying a mapped image in (which pauses only a running guest).
 */
int machine_pause_locked(struct machine *m, struct err *e);
void machine_resume_locked(struct machine *m);
int vcpus_create(struct machine *m, struct err *e);
int vcpus_start(struct machine *m, struct err *e);
void vcpus_stop(struct machine *m);
/* Every started vCPU parked outside KVM_RUN, or -1 (and resumed). */
int vcpus_pause(struct machine *m, struct err *e);
void vcpus_resume(struct machine *m);
/* Once stopping: parked vCPUs and a waiting vcpus_pause() see it. */
void vcpus_wake(struct machine *m);
/* The control API (vmm/api/vm_api.c): open the socket, start, close. */
int vm_api_open(struct machine *m, struct err *e);
int vm_api_start(struct machine *m, struct err *e);
void vm_api_close(struct machine *m);
void vcpus_destroy(struct machine *m);
void vcpus_print_stats(struct machine *m);
/*
 * Running vCPUs, kicked out of KVM_RUN once, each log where the guest is
 * (halted or running, rip, code bytes); only while the vCPUs run.
 */
void vcpus_report_where(struct machine *m);
/*
 * One line: exec to first KVM_RUN (wall, CPU) and resident memory beyond
 * guest RAM; what --stats prints, and what a control API reports.
 */
int machine_stats_format(struct machine *m, char *buf, size_t len);

#endif
