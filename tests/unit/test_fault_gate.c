// SPDX-License-Identifier: MIT
/*
 * --trace and --fault at the single gate (devices/virtio/virtio_device.c),
 * end to end on virtio-rng without KVM: a malloc'd guest RAM, a fake
 * driver publishing chains, the real I/O thread serving them.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bus/virtio_transport.h"
#include "devices/virtio/fault.h"
#include "devices/virtio/rng.h"
#include "split_ring.h"

#define FG_RAM (1u << 20)
#define FG_QSIZE 16
#define FG_DESC 0x10000ull
#define FG_AVAIL 0x11000ull
#define FG_USED 0x12000ull
#define FG_BUF 0x20000ull

static struct {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_transport t;
	struct virtio_rng rng;
	struct virtio_hooks h;
	struct fault_set set;
	char path[64];
	unsigned int raises;
	uint16_t avail;
} fg;

static void fg_raise(struct virtio_transport *t, uint16_t vector)
{
	(void)t;
	(void)vector;
	__atomic_add_fetch(&fg.raises, 1, __ATOMIC_SEQ_CST);
}

static void fg_set_status(uint8_t s)
{
	pthread_mutex_lock(&fg.t.lock);
	virtio_transport_set_status(&fg.t, s);
	pthread_mutex_unlock(&fg.t.lock);
}

/* rng device with spec (or none) and a trace, driver up. */
static void fg_start(const char *spec)
{
	struct virtio_queue_config *qc;
	struct err e;
	int fd;

	memset(&fg, 0, sizeof(fg));
	fg.ram = aligned_alloc(4096, FG_RAM);
	memset(fg.ram, 0, FG_RAM);
	cr_assert_eq(guest_mem_add_region(&fg.mem, 0, FG_RAM, fg.ram), 0);
	cr_assert_eq(virtio_rng_init(&fg.rng, &fg.mem, &e), 0, "%s", e.msg);
	cr_assert_eq(virtio_transport_init(&fg.t, &virtio_rng_ops, &fg.rng), 0);
	fg.t.raise = fg_raise;
	qc = &fg.t.queues[0];
	qc->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	qc->size = FG_QSIZE;
	qc->desc_gpa = FG_DESC;
	qc->driver_gpa = FG_AVAIL;
	qc->device_gpa = FG_USED;
	qc->vector = 1;
	qc->enabled = true;
	snprintf(fg.path, sizeof(fg.path), "/tmp/vireo-fg-XXXXXX");
	fd = mkstemp(fg.path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(trace_open(&fg.h.trace, fg.path, 0, &e), 0);
	strcpy(fg.h.dev, "rng0");
	fg.h.mem = &fg.mem;
	fg.set = (struct fault_set){ .seed = 1, .enabled = true };
	if (spec) {
		cr_assert_eq(fault_spec_parse(spec, &fg.set.specs[0], &e), 0,
			     "%s", e.msg);
		fg.set.nr_specs = 1;
		fg.h.fault = fault_dev_create(&fg.set, &fg.h, "rng", 0);
		fg.h.config_read = fault_config_read;
	}
	fg.t.hooks = &fg.h;
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE);
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fg.t.driver_features = 1ull << VIRTIO_F_VERSION_1;
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK);
	fg_set_status(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	cr_assert(fg.t.active);
}

char *test_trace_slurp(const char *path); /* test_trace.c */

/* Stops everything; returns the trace text. */
static char *fg_stop(void)
{
	char *buf;

	fg_set_status(0);
	virtio_rng_destroy(&fg.rng);
	close(fg.t.queues[0].kick_fd);
	virtio_transport_destroy(&fg.t);
	trace_close(fg.h.trace);
	fault_dev_destroy(fg.h.fault);
	free(fg.ram);
	buf = test_trace_slurp(fg.path);
	unlink(fg.path);
	return buf;
}

static uint16_t fg_used_idx(void)
{
	uint16_t v;

	memcpy(&v, fg.ram + FG_USED + 2, 2);
	return le16toh(__atomic_load_n(&v, __ATOMIC_ACQUIRE));
}

static uint32_t fg_used32(unsigned int slot, unsigned int off)
{
	uint32_t v;

	memcpy(&v, fg.ram + FG_USED + 4 + 8 * slot + off, 4);
	return le32toh(v);
}

/* One 16-byte writable buffer as head 3, published and kicked. */
static void fg_request(void)
{
	uint16_t idx = fg.avail, v;
	uint64_t one = 1;

	memset(fg.ram + FG_BUF, 0xaa, 16);
	split_ring_put_desc(fg.ram + FG_DESC + 16 * 3, FG_BUF, 16,
			    VRING_DESC_F_WRITE, 0);
	v = htole16(3);
	memcpy(fg.ram + FG_AVAIL + 4 + 2 * (idx % FG_QSIZE), &v, 2);
	fg.avail++;
	v = htole16(fg.avail);
	__atomic_store_n((uint16_t *)(fg.ram + FG_AVAIL + 2), v,
			 __ATOMIC_RELEASE);
	cr_assert_eq(write(fg.t.queues[0].kick_fd, &one, 8), 8);
}

/* Spins (yielding) for up to 2 s: fast enough to time requests by. */
static void fg_wait_used(uint16_t want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fg_used_idx() != want) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 2)
			break;
		sched_yield();
	}
	cr_assert_eq(fg_used_idx(), want);
}

Test(fault_gate, trace_has_negotiation_chain_used_and_irq)
{
	char *tr;

	fg_start(NULL);
	fg_request();
	fg_wait_used(1);
	usleep(20000);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"dev\":\"rng0\",\"ev\":\"features\""), "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"status\",\"old\":11,\"status\":15,"
			     "\"bits\":[\"ACKNOWLEDGE\",\"DRIVER\","
			     "\"DRIVER_OK\",\"FEATURES_OK\"]"),
		  "%s", tr);
	cr_assert(strstr(tr,
			 "\"ev\":\"pop\",\"q\":0,\"head\":3,\"out\":0,"
			 "\"in\":1,\"out_bytes\":0,\"in_bytes\":16,"
			 "\"desc\":[{\"addr\":131072,\"len\":16,\"flags\":2}]"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"rng\",\"q\":0,\"head\":3,\"bytes\":16"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"used\",\"q\":0,\"head\":3,\"len\":16"),
		  "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"irq\",\"q\":0,\"vector\":1"), "%s", tr);
	cr_assert(strstr(tr, "\"ev\":\"reset\""), "%s", tr);
	free(tr);
}

Test(fault_gate, used_len_reports_more_than_the_buffer)
{
	char *tr;

	fg_start("rng:used-len,extra=100");
	fg_request();
	fg_wait_used(1);
	cr_assert_eq(fg_used32(0, 0), 3);
	cr_assert_eq(fg_used32(0, 4), 116);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"ev\":\"fault\",\"kind\":\"used-len\""), "%s",
		  tr);
	free(tr);
}

Test(fault_gate, used_id_names_a_descriptor_not_in_flight)
{
	char *tr;

	fg_start("rng:used-id");
	fg_request();
	fg_wait_used(1);
	cr_assert_neq(fg_used32(0, 0), 3);
	cr_assert_lt(fg_used32(0, 0), FG_QSIZE);
	tr = fg_stop();
	free(tr);
}

Test(fault_gate, drop_irq_raises_nothing_and_says_so)
{
	char *tr;

	fg_start("rng:drop-irq,count=1");
	fg_request();
	fg_wait_used(1);
	usleep(20000);
	cr_assert_eq(__atomic_load_n(&fg.raises, __ATOMIC_SEQ_CST), 0);
	fg_request(); /* count=1: the next one interrupts */
	fg_wait_used(2);
	usleep(20000);
	cr_assert_eq(__atomic_load_n(&fg.raises, __ATOMIC_SEQ_CST), 1);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"kind\":\"drop-irq\""), "%s", tr);
	free(tr);
}

Test(fault_gate, short_read_fills_half_and_claims_all)
{
	char *tr;
	unsigned int i;

	fg_start("rng:short-read");
	fg_request();
	fg_wait_used(1);
	cr_assert_eq(fg_used32(0, 4), 16);
	for (i = 8; i < 16; i++)
		cr_assert_eq(fg.ram[FG_BUF + i], 0xaa, "byte %u written", i);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"kind\":\"short-read\""), "%s", tr);
	free(tr);
}

Test(fault_gate, delay_holds_the_completion_then_delivers_it)
{
	struct timespec a, b;
	char *tr;
	long ms;

	fg_start("rng:delay,ms=100");
	clock_gettime(CLOCK_MONOTONIC, &a);
	fg_request();
	usleep(30000);
	cr_assert_eq(fg_used_idx(), 0, "held");
	fg_wait_used(1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	cr_assert_geq(ms, 95);
	usleep(20000);
	cr_assert_geq(__atomic_load_n(&fg.raises, __ATOMIC_SEQ_CST), 1,
		      "the tick announced it");
	tr = fg_stop();
	free(tr);
}

Test(fault_gate, needs_reset_after_n_requests)
{
	char *tr;

	fg_start("rng:needs-reset,after=1");
	fg_request();
	fg_wait_used(1);
	cr_assert_not(fg.t.status & VIRTIO_STATUS_NEEDS_RESET);
	fg_request();
	fg_wait_used(2);
	cr_assert(__atomic_load_n(&fg.t.status, __ATOMIC_SEQ_CST) &
		  VIRTIO_STATUS_NEEDS_RESET);
	tr = fg_stop();
	cr_assert(strstr(tr, "\"ev\":\"needs_reset\""), "%s", tr);
	free(tr);
}

/* Requests per second through the live device with hooks h (or none). */
static double fg_rate(bool traced)
{
	struct timespec a, b;
	unsigned int i, n = 3000;
	double s;

	fg_start(NULL);
	if (!traced)
		fg.t.hooks = NULL;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		fg_request();
		fg_wait_used((uint16_t)(i + 1));
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	free(fg_stop());
	s = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	return n / s;
}

/*
 * The guest-visible cost of --trace without a VM's noise: one request at
 * a time (queue depth 1, the latency-bound case) through the real I/O
 * thread, traced and not, alternating.
 */
Test(fault_gate, trace_cost_per_request, .timeout = 60)
{
	double off = 0, on = 0;
	int i;

	for (i = 0; i < 3; i++) {
		off += fg_rate(false);
		on += fg_rate(true);
	}
	cr_log_info("gate: %.0f requests/s untraced, %.0f traced (%.3f)",
		    off / 3, on / 3, on / off);
	cr_assert_gt(on, 0);
}
