// SPDX-License-Identifier: MIT
#include "vmm/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/bg_job.h"
#include "util/log.h"
#include "vmm/host_quirks.h"
#include "vmm/sandbox/seccomp_machine.h"

/* KVM's TSS and identity-map pages for VMX real mode, inside the hole. */
#define KVM_TSS_GPA 0xfffbc000ULL

void machine_request_stop(struct machine *m, int status, const char *fmt, ...)
{
	int expected = 0;
	uint64_t one = 1;
	va_list ap;

	if (!atomic_compare_exchange_strong(&m->stopping, &expected, 1))
		return;
	m->exit_status = status;
	va_start(ap, fmt);
	vsnprintf(m->stop_reason, sizeof(m->stop_reason), fmt, ap);
	va_end(ap);
	if (write(m->stop_efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow with one write per machine */
	}
}

static void machine_stop_ready(struct event_source *src, uint32_t events)
{
	struct machine *m = src->opaque;

	(void)events;
	event_loop_stop(&m->loop);
}

static void machine_signal_ready(struct event_source *src, uint32_t events)
{
	struct machine *m = src->opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(m->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if ((int)si.ssi_signo == SIGRTMIN + 1) {
		/* Faults on/off while the guest runs (docs/driver-testing.md).
		 */
		bool on =
		    !__atomic_load_n(&m->faults.enabled, __ATOMIC_RELAXED);

		__atomic_store_n(&m->faults.enabled, on, __ATOMIC_RELAXED);
		log_info("fault injection %s", on ? "on" : "off");
		return;
	}
	if (si.ssi_signo == SIGIO) {
		mapped_images_changing(m, si.ssi_fd);
		return;
	}
	if (si.ssi_signo == SIGUSR2) {
		/*
		 * A snapshot for tests and benchmarks; the guest keeps running.
		 */
		vcpus_print_stats(m);
		vcpus_report_where(m);
		return;
	}
	machine_request_stop(m, 128 + (int)si.ssi_signo, "stopped by signal %s",
			     strsignal((int)si.ssi_signo));
}

/*
 * SIGINT/SIGTERM/SIGHUP (stop), SIGUSR2 (print exit counters and where each
 * vCPU is), SIGIO (a mapped image's lease is breaking) and SIGRTMIN+1
 * (toggle --fault injection) arrive through a signalfd;
 * they are blocked in every thread.
 */
static int machine_setup_signals(struct machine *m, struct err *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->signal_fd < 0)
		return err_errno(e, errno, "signalfd");
	m->signal_src = (struct event_source){
		.fd = m->signal_fd,
		.ready = machine_signal_ready,
		.opaque = m,
	};
	/* SIGPIPE: a closed stdout must not kill the VMM. */
	signal(SIGPIPE, SIG_IGN);
	return event_loop_add(&m->loop, &m->signal_src, EPOLLIN, e);
}

static int machine_build_cmdline(struct machine *m, struct err *e)
{
	const char *host = NULL, *params = NULL;

	if (m->cfg->host_quirks)
		params = host_quirks_guest_params(&host);
	if (cmdline_append(m->cmdline, sizeof(m->cmdline), m->cfg->cmdline,
			   params) < 0)
		return err_set(e, "kernel command line too long");
	m->quirk_host = host;
	m->quirk_params = params;
	return 0;
}

/*
 * KVM calls that cost no CPU but wait: KVM_CREATE_PIT2 for its kthread to
 * run, the first memslot for an SRCU grace period (together 5-10 ms of an
 * otherwise ~3 ms start). On a helper thread they overlap machine_build();
 * nothing there needs them before the first KVM_RUN (KVM follows later
 * changes to guest RAM's mapping, a kernel mapped over it included).
 */
static int machine_kvm_waits(void *arg, struct err *e)
{
	struct machine *m = arg;

	if (kvm_vm_create_pit(&m->vm, e) < 0)
		return -1;
	return guest_ram_register(m, e);
}

/* Everything of the machine but the VM, its RAM and machine_kvm_waits(). */
static int machine_build(struct machine *m, struct err *e)
{
	if (irq_router_init(&m->router, &m->vm, e) < 0 ||
	    kernel_boot_load(m, e) < 0 || vcpus_create(m, e) < 0)
		return -1;
	/*
	 * Devices before the boot tables: ACPI and the command line list them.
	 */
	if (machine_setup_signals(m, e) < 0 ||
	    legacy_devices_create(m, e) < 0 ||
	    virtio_devices_create(m, e) < 0 || kernel_boot_setup(m, e) < 0 ||
	    vm_api_open(m, e) < 0)
		return -1;
	return 0;
}

int machine_create(struct machine *m, const struct vm_config *cfg,
		   struct err *e)
{
	struct bg_job waits;
	int ret;

	memset(m, 0, sizeof(*m));
	stats_start(&m->stats);
	m->cfg = cfg;
	m->console_route = console_route_for(cfg);
	m->nr_vcpus = cfg->nr_cpus;
	m->sys.fd = m->vm.fd = m->stop_efd = m->signal_fd = -1;
	m->loop.epfd = -1;
	pthread_mutex_init(&m->pause.lock, NULL);
	pthread_cond_init(&m->pause.cond, NULL);
	pthread_mutex_init(&m->run_lock, NULL);
	m->kernel.mapped.fd = m->initrd_mapped.fd = -1;

	if (bus_init(&m->pio, "port") < 0 || bus_init(&m->mmio, "mmio") < 0)
		return err_set(e, "cannot initialise buses");
	if (event_loop_init(&m->loop, e) < 0)
		return -1;
	m->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->stop_efd < 0)
		return err_errno(e, errno, "eventfd");
	m->stop_src = (struct event_source){
		.fd = m->stop_efd,
		.ready = machine_stop_ready,
		.opaque = m,
	};
	if (event_loop_add(&m->loop, &m->stop_src, EPOLLIN, e) < 0)
		return -1;

	if (kvm_sys_open(&m->sys, cfg->kvm_path, e) < 0 ||
	    machine_build_cmdline(m, e) < 0 ||
	    kvm_vm_create(&m->vm, &m->sys, e) < 0 ||
	    kvm_vm_set_x86_special_pages(&m->vm, KVM_TSS_GPA, e) < 0 ||
	    kvm_vm_create_irqchip(&m->vm, e) < 0 ||
	    guest_ram_create(m, e) < 0 ||
	    bg_job_start(&waits, machine_kvm_waits, m, e) < 0)
		return -1;
	ret = machine_build(m, e);
	if (bg_job_join(&waits, ret < 0 ? NULL : e) < 0 || ret < 0 ||
	    mapped_images_lease(m, e) < 0)
		return -1;
	/*
	 * Only now: a VM that fails to start prints its one error line alone.
	 */
	if (m->quirk_params)
		log_info("host is %s: appending guest kernel parameters \"%s\" "
			 "(--no-host-quirks to disable)",
			 m->quirk_host, m->quirk_params);
	return 0;
}

int machine_run(struct machine *m)
{
	struct err e;

	/* Sandbox steps: docs/seccomp.md, vmm/sandbox/seccomp_machine.h. */
	if (seccomp_machine_begin(m, &e) < 0 || vcpus_start(m, &e) < 0 ||
	    vm_api_start(m, &e) < 0 || seccomp_machine_main(m, &e) < 0) {
		machine_request_stop(m, VIREO_EXIT_ERROR, "%s", e.msg);
	} else if (event_loop_run(&m->loop) < 0) {
		machine_request_stop(m, VIREO_EXIT_ERROR, "event loop: %s",
				     strerror(errno));
	}
	/* The API thread may be waiting for vCPUs to park: wake it first. */
	vcpus_wake(m);
	vm_api_close(m);
	vcpus_stop(m);
	/* Leave the terminal sane before the final message. */
	stdio_console_destroy(&m->console);
	if (m->exit_status != 0)
		log_info("%s", m->stop_reason);
	else
		log_debug("%s", m->stop_reason);
	if (m->cfg->stats)
		vcpus_print_stats(m);
	return m->exit_status;
}

void machine_destroy(struct machine *m)
{
	vm_api_close(m);
	vcpus_stop(m);
	virtio_devices_destroy(m);
	legacy_devices_destroy(m);
	vcpus_destroy(m);
	mapped_images_close(m);
	guest_ram_destroy(m);
	if (m->router.vm)
		irq_router_destroy(&m->router);
	kvm_vm_destroy(&m->vm);
	kvm_sys_close(&m->sys);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	if (m->stop_efd >= 0)
		close(m->stop_efd);
	event_loop_destroy(&m->loop);
	bus_destroy(&m->mmio);
	bus_destroy(&m->pio);
}
