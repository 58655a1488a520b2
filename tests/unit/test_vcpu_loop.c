// SPDX-License-Identifier: MIT
/*
 * vCPU exit handling (vmm/vcpu_loop.c) without KVM: a fake kvm_run page,
 * plain buses and a vcpu_loop_ctx that records stop requests.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config.h"
#include "vmm/vcpu_loop.h"

#define VLT_PORT 0x3f8
#define VLT_MMIO 0xd0000000ULL

static struct {
	struct bus pio, mmio;
	struct guest_mem mem;
	atomic_int stopping;
	struct vcpu_loop_ctx ctx;
	struct vcpu_thread t;
	int nr_stops, status;
	char reason[512];
	uint8_t reg[8];
	unsigned int reads, writes;
} vlt;

static void vlt_stop(void *opaque, int status, const char *reason)
{
	(void)opaque;
	vlt.nr_stops++;
	vlt.status = status;
	snprintf(vlt.reason, sizeof(vlt.reason), "%s", reason);
}

static void vlt_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	(void)opaque;
	vlt.reads++;
	memcpy(data, vlt.reg + off, len);
}

static void vlt_write(void *opaque, uint64_t off, const void *data,
		      unsigned int len)
{
	(void)opaque;
	vlt.writes++;
	memcpy(vlt.reg + off, data, len);
}

static const struct bus_ops vlt_ops = { .read = vlt_read, .write = vlt_write };

static void vlt_setup(void)
{
	struct err e;

	memset(&vlt, 0, sizeof(vlt));
	cr_assert_eq(bus_init(&vlt.pio, "port"), 0);
	cr_assert_eq(bus_init(&vlt.mmio, "mmio"), 0);
	cr_assert_eq(
	    bus_register(&vlt.pio, VLT_PORT, 8, &vlt_ops, NULL, "dev", &e), 0);
	cr_assert_eq(
	    bus_register(&vlt.mmio, VLT_MMIO, 8, &vlt_ops, NULL, "dev", &e), 0);
	vlt.ctx = (struct vcpu_loop_ctx){
		.pio = &vlt.pio,
		.mmio = &vlt.mmio,
		.mem = &vlt.mem,
		.stopping = &vlt.stopping,
		.request_stop = vlt_stop,
	};
	vlt.t.ctx = &vlt.ctx;
	vlt.t.vcpu.fd = -1; /* register reads fail: "rip unknown" */
	vlt.t.vcpu.run = calloc(1, 4096);
	cr_assert(vlt.t.vcpu.run);
}

static void vlt_teardown(void)
{
	free(vlt.t.vcpu.run);
	bus_destroy(&vlt.pio);
	bus_destroy(&vlt.mmio);
}

TestSuite(vcpu_loop, .init = vlt_setup, .fini = vlt_teardown);

static uint8_t *vlt_io(uint8_t dir, uint16_t port, uint8_t size, uint32_t count)
{
	struct kvm_run *run = vlt.t.vcpu.run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = dir;
	run->io.port = port;
	run->io.size = size;
	run->io.count = count;
	run->io.data_offset = 2048;
	return (uint8_t *)run + 2048;
}

Test(vcpu_loop, port_out_and_in_reach_the_bus)
{
	uint8_t *data = vlt_io(KVM_EXIT_IO_OUT, VLT_PORT + 1, 1, 1);

	data[0] = 0x5a;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.reg[1], 0x5a);
	data = vlt_io(KVM_EXIT_IO_IN, VLT_PORT + 1, 1, 1);
	data[0] = 0;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(data[0], 0x5a);
	cr_assert_eq(atomic_load(&vlt.t.stats.pio_exits), 2);
	cr_assert_eq(vlt.nr_stops, 0);
}

/* rep outsb/insb: count elements of size bytes each. */
Test(vcpu_loop, string_io_walks_every_element)
{
	uint8_t *data = vlt_io(KVM_EXIT_IO_OUT, VLT_PORT, 2, 3);

	memcpy(data, "\x01\x02\x03\x04\x05\x06", 6);
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.writes, 3);
	cr_assert_eq(vlt.reg[0], 0x05);
	cr_assert_eq(vlt.reg[1], 0x06);
}

Test(vcpu_loop, unclaimed_port_reads_all_ones)
{
	uint8_t *data = vlt_io(KVM_EXIT_IO_IN, 0x1234, 4, 1);

	memset(data, 0, 4);
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(memcmp(data, "\xff\xff\xff\xff", 4), 0);
	cr_assert_eq(vlt.reads, 0);
}

Test(vcpu_loop, mmio_read_write_and_oversized_access)
{
	struct kvm_run *run = vlt.t.vcpu.run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = VLT_MMIO + 2;
	run->mmio.len = 2;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, "\xab\xcd", 2);
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.reg[2], 0xab);
	cr_assert_eq(vlt.reg[3], 0xcd);

	/* Not a length KVM produces: ignored, not passed to a device. */
	run->mmio.len = 9;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.writes, 1);

	run->mmio.phys_addr = 0xd1000000ULL;
	run->mmio.len = 4;
	run->mmio.is_write = 0;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(memcmp(run->mmio.data, "\xff\xff\xff\xff", 4), 0);
	cr_assert_eq(atomic_load(&vlt.t.stats.mmio_exits), 3);
}

Test(vcpu_loop, triple_fault_stops_with_crash_status)
{
	vlt.t.vcpu.run->exit_reason = KVM_EXIT_SHUTDOWN;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.nr_stops, 1);
	cr_assert_eq(vlt.status, VIREO_EXIT_GUEST_CRASH);
	cr_assert(strstr(vlt.reason, "SHUTDOWN (triple fault)"), "%s",
		  vlt.reason);
	cr_assert(strstr(vlt.reason, "rip unknown"), "%s", vlt.reason);
	cr_assert_eq(atomic_load(&vlt.t.stats.other_exits), 1);
}

Test(vcpu_loop, system_events)
{
	struct kvm_run *run = vlt.t.vcpu.run;

	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.status, VIREO_EXIT_GUEST_DONE);
	cr_assert(strstr(vlt.reason, "powered off"));
	run->system_event.type = KVM_SYSTEM_EVENT_CRASH;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.status, VIREO_EXIT_GUEST_CRASH);
	cr_assert_eq(vlt.nr_stops, 2);
}

Test(vcpu_loop, internal_error_reports_suberror)
{
	struct kvm_run *run = vlt.t.vcpu.run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = 1;
	run->internal.ndata = 200; /* more than the array: capped at 8 */
	run->internal.data[0] = 0x1234;
	vcpu_handle_exit(&vlt.t);
	cr_assert_eq(vlt.status, VIREO_EXIT_GUEST_CRASH);
	cr_assert(strstr(vlt.reason, "suberror=1 data: 0x1234"), "%s",
		  vlt.reason);
}
