// SPDX-License-Identifier: MIT
/*
 * virtio-mmio register semantics (bus/mmio/virtio_mmio.c), version 2 and
 * legacy version 1, through the MMIO bus against a fake device: identity
 * registers, feature selects, queue setup, status/reset, interrupt
 * status/ack with the irq eventfd, config space and generation; and the
 * one allocator for MMIO ranges and GSIs (bus/mmio/mmio_space.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "bus/mmio/mmio_space.h"
#include "bus/mmio/virtio_mmio.h"

#define BASE 0xd0000000ull
#define F_VERSION_1 (1ull << VIRTIO_F_VERSION_1)
#define F_DEV (1ull << 3)

struct fake_dev {
	unsigned int activates, resets, queue_resets;
	bool refuse_features;
	uint8_t config[8];
	uint64_t features_at_activate;
};

static struct {
	struct bus bus;
	struct virtio_mmio vm;
	struct fake_dev dev;
} f;

static uint64_t fake_features(void *dev)
{
	(void)dev;
	return F_VERSION_1 | F_DEV;
}

static uint32_t fake_config_size(void *dev)
{
	(void)dev;
	return 8;
}

static void fake_config_read(void *dev, uint32_t off, void *data,
			     unsigned int len)
{
	memcpy(data, ((struct fake_dev *)dev)->config + off, len);
}

static void fake_config_write(void *dev, uint32_t off, const void *data,
			      unsigned int len)
{
	memcpy(((struct fake_dev *)dev)->config + off, data, len);
}

static int fake_activate(void *dev, struct virtio_transport *t)
{
	struct fake_dev *d = dev;

	d->activates++;
	d->features_at_activate = t->driver_features;
	return 0;
}

static void fake_reset(void *dev)
{
	((struct fake_dev *)dev)->resets++;
}

static bool fake_features_ok(void *dev, uint64_t features)
{
	(void)features;
	return !((struct fake_dev *)dev)->refuse_features;
}

static void fake_queue_reset(void *dev, unsigned int q)
{
	(void)q;
	((struct fake_dev *)dev)->queue_resets++;
}

static const struct virtio_dev_ops fake_ops = {
	.name = "fake",
	.device_id = 4,
	.nr_queues = 2,
	.queue_max_size = 256,
	.features = fake_features,
	.config_size = fake_config_size,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.features_ok = fake_features_ok,
	.activate = fake_activate,
	.queue_reset = fake_queue_reset,
	.reset = fake_reset,
};

static const struct virtio_dev_ops *setup_ops = &fake_ops;

static void setup(bool legacy)
{
	struct err e;

	memset(&f, 0, sizeof(f));
	memcpy(f.dev.config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	cr_assert_eq(bus_init(&f.bus, "mmio"), 0);
	cr_assert_eq(virtio_mmio_create(&f.vm, &f.bus, NULL, BASE, 17, legacy,
					setup_ops, &f.dev, &e),
		     0, "%s", e.msg);
}

static void setup_modern(void)
{
	setup(false);
}

static void setup_legacy(void)
{
	setup(true);
}

static void teardown(void)
{
	virtio_mmio_destroy(&f.vm);
	bus_destroy(&f.bus);
}

static uint32_t rd(uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	cr_assert(bus_read(&f.bus, BASE + off, &v, 4));
	return v;
}

static void wr(uint32_t off, uint32_t v)
{
	cr_assert(bus_write(&f.bus, BASE + off, &v, 4));
}

/* Interrupts raised since the last call (the irqfd's eventfd counter). */
static uint64_t irqs(void)
{
	uint64_t n = 0;

	if (read(f.vm.irq_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

TestSuite(virtio_mmio, .init = setup_modern, .fini = teardown);

Test(virtio_mmio, identity_registers)
{
	cr_assert_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	cr_assert_eq(rd(VIRTIO_MMIO_VERSION), 2);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_ID), 4);
	cr_assert_eq(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	/* No shared memory regions: length reads as all ones. */
	cr_assert_eq(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
	cr_assert_eq(rd(VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffffu);
}

Test(virtio_mmio, registers_need_32bit_accesses)
{
	uint16_t v16 = 0xbeef;
	uint8_t v8 = 0xff;

	cr_assert(bus_read(&f.bus, BASE + VIRTIO_MMIO_MAGIC_VALUE, &v16, 2));
	cr_assert_eq(v16, 0);
	v8 = 0x0f;
	cr_assert(bus_write(&f.bus, BASE + VIRTIO_MMIO_STATUS, &v8, 1));
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
}

Test(virtio_mmio, feature_selects)
{
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)F_DEV);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* Before DRIVER the driver's features are not writable. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)F_DEV);
	cr_assert_eq(f.vm.t.driver_features, 0);
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)F_DEV);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	cr_assert_eq(f.vm.t.driver_features, F_VERSION_1 | F_DEV);
}

static void negotiate(void)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				   VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK);
}

Test(virtio_mmio, features_ok_needs_version_1)
{
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				   VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* The driver starts over from a reset, as it must. */
	wr(VIRTIO_MMIO_STATUS, 0);
	negotiate();
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
}

Test(virtio_mmio, queue_setup_and_activation)
{
	const struct virtio_queue_config *q1 = &f.vm.t.queues[1];

	negotiate();
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 100); /* not a power of two: ignored */
	cr_assert_eq(q1->size, 256);
	wr(VIRTIO_MMIO_QUEUE_NUM, 64);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x1);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x2000);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, 0x3000);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	cr_assert_eq(q1->size, 64);
	cr_assert_eq(q1->desc_gpa, 0x100001000ull);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_DESC_HIGH), 1);
	cr_assert_eq(q1->driver_gpa, 0x2000);
	cr_assert_eq(q1->device_gpa, 0x3000);
	/* Frozen while ready. */
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x9000);
	cr_assert_eq(q1->desc_gpa, 0x100001000ull);
	/* A queue past nr_queues has QueueNumMax 0. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_STATUS,
	   rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(f.dev.activates, 1);
	cr_assert_eq(f.dev.features_at_activate, F_VERSION_1);
}

Test(virtio_mmio, status_zero_resets)
{
	negotiate();
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_STATUS,
	   rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(f.dev.activates, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(f.dev.resets, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS), 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	cr_assert_eq(f.vm.t.driver_features, 0);
}

Test(virtio_mmio, interrupt_status_and_ack)
{
	cr_assert_eq(irqs(), 0);
	virtio_transport_notify_queue(&f.vm.t, 0);
	cr_assert_eq(irqs(), 1);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
	/* Reading does not clear; an event between read and ACK re-raises. */
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
	virtio_transport_notify_config(&f.vm.t);
	cr_assert_eq(irqs(), 1);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS),
		     VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_QUEUE);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_CONFIG);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_CONFIG);
	cr_assert_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

Test(virtio_mmio, config_space_and_generation)
{
	uint16_t v16 = 0;
	uint8_t v8 = 0xab;
	uint32_t v32 = 0;

	cr_assert(bus_read(&f.bus, BASE + VIRTIO_MMIO_CONFIG + 2, &v16, 2));
	cr_assert_eq(v16, 0x4433);
	cr_assert(bus_write(&f.bus, BASE + VIRTIO_MMIO_CONFIG + 7, &v8, 1));
	cr_assert_eq(f.dev.config[7], 0xab);
	/* Past the device's config: reads zero, writes dropped. */
	cr_assert(bus_read(&f.bus, BASE + VIRTIO_MMIO_CONFIG + 6, &v32, 4));
	cr_assert_eq(v32, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
	f.vm.t.config_generation = 3;
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION), 3);
}

Test(virtio_mmio, notify_write_kicks_the_queue_eventfd)
{
	uint64_t n = 0;

	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	cr_assert_eq(read(f.vm.t.queues[1].kick_fd, &n, sizeof(n)), sizeof(n));
	cr_assert_eq(n, 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 7); /* no such queue: ignored */
}

Test(virtio_mmio, cmdline_param)
{
	char buf[96];

	cr_assert_eq(virtio_mmio_cmdline_param(&f.vm, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "virtio_mmio.device=4K@0xd0000000:17");
	cr_assert_eq(virtio_mmio_cmdline_param(&f.vm, buf, 10), -1);
}

Test(virtio_mmio_legacy, version_1_registers, .init = setup_legacy,
     .fini = teardown)
{
	const struct virtio_queue_config *q0 = &f.vm.t.queues[0];

	cr_assert_eq(rd(VIRTIO_MMIO_VERSION), 1);
	/* 32 feature bits only: no VERSION_1. */
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)F_DEV);
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)F_DEV);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 128);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 4096);
	wr(VIRTIO_MMIO_QUEUE_PFN, 0x345);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0x345);
	cr_assert(q0->enabled);
	cr_assert_eq(q0->size, 128);
	cr_assert_eq(q0->desc_gpa, 0x345000);
	cr_assert_eq(q0->driver_gpa, 0x345000 + 16 * 128);
	/* Used ring: after avail (6 + 2 * 128 bytes), 4 KiB aligned. */
	cr_assert_eq(q0->device_gpa, 0x346000);
	/* No FEATURES_OK in legacy: DRIVER_OK activates. */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				   VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(f.dev.activates, 1);
	cr_assert_eq(f.dev.features_at_activate, F_DEV);
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert_eq(f.dev.resets, 1);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
}

Test(virtio_mmio_legacy, queue_pfn_zero_releases_the_queue,
     .init = setup_legacy, .fini = teardown)
{
	wr(VIRTIO_MMIO_QUEUE_PFN, 0x10);
	cr_assert(f.vm.t.queues[0].enabled);
	wr(VIRTIO_MMIO_QUEUE_PFN, 0);
	cr_assert_not(f.vm.t.queues[0].enabled);
	/* Legacy has no QueueReady or 64-bit queue registers. */
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	cr_assert_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
}

/* A legacy driver with queue 0 at PFN 0x345 and DRIVER_OK. */
static void legacy_bring_up(void)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)F_DEV);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_PFN, 0x345);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				   VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(f.dev.activates, 1);
}

/* Defect 7: legacy QueuePFN on a running device. */
Test(virtio_mmio_legacy, pfn_zero_on_live_device_resets_that_queue,
     .init = setup_legacy, .fini = teardown)
{
	legacy_bring_up();
	wr(VIRTIO_MMIO_QUEUE_PFN, 0);
	cr_assert_eq(f.dev.queue_resets, 1, "queue_reset not called");
	cr_assert_not(f.vm.t.queues[0].enabled);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	cr_assert_eq(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
	cr_assert(f.vm.t.active);
}

Test(virtio_mmio_legacy, pfn_nonzero_on_live_device_needs_reset,
     .init = setup_legacy, .fini = teardown)
{
	legacy_bring_up();
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_PFN, 0x500);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_not(f.vm.t.queues[1].enabled);
	cr_assert_eq(f.dev.resets, 1);
	cr_assert_not(f.vm.t.active);
}

static struct virtio_dev_ops no_qreset_ops;

static void setup_legacy_no_qreset(void)
{
	no_qreset_ops = fake_ops;
	no_qreset_ops.queue_reset = NULL;
	setup_ops = &no_qreset_ops;
	setup(true);
}

Test(virtio_mmio_legacy, pfn_zero_without_queue_reset_needs_reset,
     .init = setup_legacy_no_qreset, .fini = teardown)
{
	legacy_bring_up();
	wr(VIRTIO_MMIO_QUEUE_PFN, 0);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(f.dev.resets, 1);
}

Test(virtio_mmio_legacy, queue_align_and_page_size_place_the_used_ring,
     .init = setup_legacy, .fini = teardown)
{
	const struct virtio_queue_config *q1 = &f.vm.t.queues[1];

	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 0x10000);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, 16);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 64);
	wr(VIRTIO_MMIO_QUEUE_PFN, 3);
	cr_assert_eq(q1->desc_gpa, 0x30000);
	cr_assert_eq(q1->driver_gpa, 0x30000 + 16 * 16);
	cr_assert_eq(q1->device_gpa, 0x30000 + 16 * 16 + 64);
	cr_assert_eq(rd(VIRTIO_MMIO_QUEUE_PFN), 3);
	/* Frozen once placed. */
	wr(VIRTIO_MMIO_QUEUE_NUM, 32);
	cr_assert_eq(q1->size, 16);
}

Test(virtio_mmio_legacy, driver_ok_asks_the_device_about_features,
     .init = setup_legacy, .fini = teardown)
{
	f.dev.refuse_features = true;
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				   VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(f.dev.activates, 0);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
}

Test(virtio_mmio, dma_always_allowed)
{
	cr_assert(virtio_transport_dma_allowed(&f.vm.t));
	negotiate();
	wr(VIRTIO_MMIO_STATUS, 0);
	cr_assert(virtio_transport_dma_allowed(&f.vm.t));
}

Test(virtio_mmio, clearing_driver_ok_stops_the_device)
{
	negotiate();
	wr(VIRTIO_MMIO_STATUS,
	   rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(f.dev.activates, 1);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				   VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FEATURES_OK);
	cr_assert_eq(f.dev.resets, 1);
	cr_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	wr(VIRTIO_MMIO_STATUS,
	   rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	cr_assert_eq(f.dev.activates, 1, "reactivated without a reset");
}

Test(virtio_mmio, reads_of_undefined_bytes_are_zero)
{
	uint64_t v;

	memset(&v, 0xa5, sizeof(v));
	cr_assert(bus_read(&f.bus, BASE + VIRTIO_MMIO_MAGIC_VALUE, &v, 8));
	cr_assert_eq(v, 0, "8-byte register read");
	memset(&v, 0xa5, sizeof(v));
	cr_assert(bus_read(&f.bus, BASE + VIRTIO_MMIO_CONFIG + 4, &v, 8));
	cr_assert_eq(v, 0, "config read past the end");
	cr_assert_eq(rd(0x0c8), 0, "reserved register");
}

Test(mmio_space, ranges_aligned_disjoint_and_bounded)
{
	struct mmio_space s;
	struct err e;
	uint64_t a, b, c;
	uint32_t g;

	mmio_space_init(&s, 0xc0000000, 0xc0300000, 16, 18);
	cr_assert_eq(mmio_space_alloc(&s, 0x1000, 0x1000, "x", &a, &e), 0);
	cr_assert_eq(a, 0xc0000000);
	cr_assert_eq(mmio_space_alloc(&s, 0x100000, 0x100000, "y", &b, &e), 0);
	cr_assert_eq(b, 0xc0100000);
	cr_assert_eq(mmio_space_alloc(&s, 0x1000, 0x1000, "z", &c, &e), 0);
	cr_assert_eq(c, 0xc0200000);
	cr_assert_eq(mmio_space_alloc(&s, 0x200000, 0x1000, "big", &c, &e), -1);
	cr_assert(strstr(e.msg, "big"), "%s", e.msg);
	cr_assert_eq(mmio_space_alloc(&s, 0x1000, 3, "odd", &c, &e), -1);
	cr_assert_eq(s.nr, 3);
	cr_assert_eq(mmio_space_alloc_gsi(&s, "d0", &g, &e), 0);
	cr_assert_eq(g, 16);
	cr_assert_eq(mmio_space_alloc_gsi(&s, "d1", &g, &e), 0);
	cr_assert_eq(g, 17);
	cr_assert_eq(mmio_space_alloc_gsi(&s, "d2", &g, &e), -1);
}
