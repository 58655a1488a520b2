// SPDX-License-Identifier: MIT
/*
 * virtio-pci (bus/pci/virtio_pci.c) without a VM: modern common config,
 * legacy I/O header, bus mastering and MSI-X (vectors are plain eventfds
 * here, counted by reading them), against a fake device. Also the status
 * state machine and the legacy queue rules seen through the registers a
 * driver really writes.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "bus/pci/virtio_pci.h"
#include "tests/unit/stderr_capture.h"

#define VPT_MMIO_START 0xe0000000ULL
#define VPT_MMIO_END 0xf0000000ULL
#define VPT_F_DEV (1ull << 3)
#define VPT_F_VERSION_1 (1ull << VIRTIO_F_VERSION_1)

#define ACK VIRTIO_STATUS_ACKNOWLEDGE
#define DRV VIRTIO_STATUS_DRIVER
#define FOK VIRTIO_STATUS_FEATURES_OK
#define DOK VIRTIO_STATUS_DRIVER_OK

/* The modern BAR layout virtio_pci.c advertises in its capabilities. */
#define COMMON 0x0000
#define NOTIFY 0x3000

struct vpt_dev {
	unsigned int activates, resets, queue_resets, last_queue_reset;
	bool refuse_features;
	uint8_t config[8];
};

static struct {
	struct bus pio, mmio;
	struct pci_bus pb;
	struct virtio_pci vp;
	struct vpt_dev dev;
} v;

static uint64_t vpt_features(void *dev)
{
	(void)dev;
	return VPT_F_VERSION_1 | VPT_F_DEV;
}

static uint32_t vpt_config_size(void *dev)
{
	(void)dev;
	return 8;
}

static void vpt_config_read(void *dev, uint32_t off, void *data,
			    unsigned int len)
{
	memcpy(data, ((struct vpt_dev *)dev)->config + off, len);
}

static bool vpt_features_ok(void *dev, uint64_t features)
{
	(void)features;
	return !((struct vpt_dev *)dev)->refuse_features;
}

static int vpt_activate(void *dev, struct virtio_transport *t)
{
	(void)t;
	((struct vpt_dev *)dev)->activates++;
	return 0;
}

static void vpt_queue_reset(void *dev, unsigned int q)
{
	struct vpt_dev *d = dev;

	d->queue_resets++;
	d->last_queue_reset = q;
}

static void vpt_reset(void *dev)
{
	((struct vpt_dev *)dev)->resets++;
}

/* A communication device with a transitional ID, like virtio-console. */
static const struct virtio_pci_ids vpt_ids = { 0x078000, 0x1003 };

static const struct virtio_dev_ops vpt_ops = {
	.name = "fake",
	.device_id = 4, /* has a transitional ID */
	.nr_queues = 2,
	.queue_max_size = 128,
	.features = vpt_features,
	.config_size = vpt_config_size,
	.config_read = vpt_config_read,
	.features_ok = vpt_features_ok,
	.activate = vpt_activate,
	.queue_reset = vpt_queue_reset,
	.reset = vpt_reset,
};

static struct virtio_dev_ops vpt_ops_no_qreset;

static void vpt_create(const struct virtio_dev_ops *ops, bool transitional)
{
	struct err e;

	memset(&v, 0, sizeof(v));
	cr_assert_eq(bus_init(&v.pio, "port"), 0);
	cr_assert_eq(bus_init(&v.mmio, "mmio"), 0);
	cr_assert_eq(pci_bus_init(&v.pb, &v.pio, &v.mmio, VPT_MMIO_START,
				  VPT_MMIO_END, &e),
		     0, "%s", e.msg);
	cr_assert_eq(virtio_pci_create(&v.vp, &v.pb, NULL, NULL, ops, &v.dev,
				       &vpt_ids, transitional, &e),
		     0, "%s", e.msg);
}

static void vpt_setup_modern(void)
{
	vpt_create(&vpt_ops, false);
}

static void vpt_setup_transitional(void)
{
	vpt_create(&vpt_ops, true);
}

static void vpt_setup_transitional_no_qreset(void)
{
	vpt_ops_no_qreset = vpt_ops;
	vpt_ops_no_qreset.queue_reset = NULL;
	vpt_create(&vpt_ops_no_qreset, true);
}

static void vpt_teardown(void)
{
	virtio_pci_destroy(&v.vp);
	pci_bus_destroy(&v.pb);
	bus_destroy(&v.pio);
	bus_destroy(&v.mmio);
}

/* ---- access helpers ------------------------------------------------------ */

static uint64_t modern_base(void)
{
	return v.vp.fn.bars[4].addr;
}

static uint32_t mrd(uint32_t off, unsigned int len)
{
	uint32_t x = 0;

	cr_assert(bus_read(&v.mmio, modern_base() + off, &x, len));
	return x;
}

static void mwr(uint32_t off, uint32_t x, unsigned int len)
{
	cr_assert(bus_write(&v.mmio, modern_base() + off, &x, len));
}

static uint32_t lrd(uint32_t off, unsigned int len)
{
	uint32_t x = 0;

	cr_assert(bus_read(&v.pio, v.vp.fn.bars[0].addr + off, &x, len));
	return x;
}

static void lwr(uint32_t off, uint32_t x, unsigned int len)
{
	cr_assert(bus_write(&v.pio, v.vp.fn.bars[0].addr + off, &x, len));
}

static void cfg_write16(uint32_t off, uint16_t x)
{
	pthread_mutex_lock(&v.pb.lock);
	pci_cfg_write(&v.vp.fn, off, x, 2);
	pthread_mutex_unlock(&v.pb.lock);
}

static void bus_master(bool on)
{
	uint16_t cmd = (uint16_t)pci_cfg_read(&v.vp.fn, PCI_COMMAND, 2);

	cfg_write16(PCI_COMMAND,
		    on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER);
}

/* MSI-X on, vector i unmasked. */
static void msix_open(unsigned int i)
{
	uint32_t zero = 0;

	cfg_write16(v.vp.msix.cap + 2, PCI_MSIX_FLAGS_ENABLE);
	cr_assert(
	    bus_write(&v.mmio, v.vp.fn.bars[1].addr + i * 16 + 12, &zero, 4));
}

/* Interrupts delivered on vector i since the last call. */
static uint64_t msis(unsigned int i)
{
	uint64_t n = 0;

	if (read(v.vp.msix.vec[i].irqfd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static uint64_t kicks(unsigned int q)
{
	uint64_t n = 0;

	if (read(v.vp.t.queues[q].kick_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static uint8_t status(void)
{
	return (uint8_t)mrd(COMMON + VIRTIO_PCI_COMMON_STATUS, 1);
}

static void set_status(uint8_t s)
{
	mwr(COMMON + VIRTIO_PCI_COMMON_STATUS, s, 1);
}

static void write_features(uint64_t f)
{
	mwr(COMMON + VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_GF, (uint32_t)f, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_GF, (uint32_t)(f >> 32), 4);
}

/* Queue q at the given ring addresses, enabled. */
static void setup_queue(uint16_t q, uint64_t base)
{
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 64, 2);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)base, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)(base >> 32), 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)base + 0x400, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)(base >> 32), 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)base + 0x800, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)(base >> 32), 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* A modern driver up to DRIVER_OK, as Linux does it. */
static void modern_bring_up(void)
{
	unsigned int activates = v.dev.activates;

	set_status(0);
	set_status(ACK);
	set_status(ACK | DRV);
	write_features(VPT_F_VERSION_1 | VPT_F_DEV);
	set_status(ACK | DRV | FOK);
	cr_assert(status() & FOK);
	setup_queue(0, 0x100000);
	set_status(ACK | DRV | FOK | DOK);
	cr_assert_eq(v.dev.activates, activates + 1);
}

/* A legacy driver: features, queue 0 by PFN, DRIVER_OK. */
static void legacy_bring_up(void)
{
	lwr(VIRTIO_PCI_STATUS, 0, 1);
	lwr(VIRTIO_PCI_STATUS, ACK, 1);
	lwr(VIRTIO_PCI_STATUS, ACK | DRV, 1);
	lwr(VIRTIO_PCI_GUEST_FEATURES, (uint32_t)VPT_F_DEV, 4);
	lwr(VIRTIO_PCI_QUEUE_SEL, 0, 2);
	lwr(VIRTIO_PCI_QUEUE_PFN, 0x123, 4);
	lwr(VIRTIO_PCI_STATUS, ACK | DRV | DOK, 1);
	cr_assert_eq(v.dev.activates, 1);
	cr_assert(v.vp.t.active);
}

/* ---- modern interface ---------------------------------------------------- */

TestSuite(virtio_pci, .init = vpt_setup_modern, .fini = vpt_teardown);

Test(virtio_pci, common_config_basics)
{
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	mwr(COMMON + VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_DF, 4), 1, "VERSION_1");
	mwr(COMMON + VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_DF, 4), VPT_F_DEV);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2), 128);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
	/* A queue past the device's reads as size 0. */
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 2, 2);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	/* A wrong access width reads zero and writes nothing. */
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 1, 4);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 2), 2);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 4), 0);
}

Test(virtio_pci, queue_setup_and_64bit_halves)
{
	const struct virtio_queue_config *q = &v.vp.t.queues[1];

	set_status(ACK);
	set_status(ACK | DRV);
	setup_queue(1, 0x123456789000ull);
	cr_assert_eq(q->desc_gpa, 0x123456789000ull);
	cr_assert_eq(q->driver_gpa, 0x123456789400ull);
	cr_assert_eq(q->device_gpa, 0x123456789800ull);
	cr_assert_eq(q->size, 64);
	cr_assert(q->enabled);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0x1234);
	cr_assert_eq(mrd(COMMON + VIRTIO_PCI_COMMON_Q_USEDLO, 4), 0x56789800);
}

Test(virtio_pci, queue_registers_frozen_once_enabled_or_live)
{
	const struct virtio_queue_config *q0 = &v.vp.t.queues[0];
	const struct virtio_queue_config *q1 = &v.vp.t.queues[1];

	modern_bring_up();
	/* Enabled queue 0: every field stays. */
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, 0xdead000, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 32, 2);
	cr_assert_eq(q0->desc_gpa, 0x100000);
	cr_assert_eq(q0->size, 64);
	/* Queue 1 never enabled, but the device is live. */
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, 0xdead000, 4);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	cr_assert_eq(q1->desc_gpa, 0);
	cr_assert_not(q1->enabled);
}

Test(virtio_pci, queue_size_must_be_power_of_two_within_max)
{
	set_status(ACK | DRV);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 100, 2);
	cr_assert_eq(v.vp.t.queues[0].size, 128);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 256, 2);
	cr_assert_eq(v.vp.t.queues[0].size, 128);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 0, 2);
	cr_assert_eq(v.vp.t.queues[0].size, 128);
	mwr(COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 16, 2);
	cr_assert_eq(v.vp.t.queues[0].size, 16);
}

Test(virtio_pci, driver_features_need_driver_and_freeze_at_features_ok)
{
	write_features(VPT_F_VERSION_1);
	cr_assert_eq(v.vp.t.driver_features, 0, "written before DRIVER");
	set_status(ACK);
	set_status(ACK | DRV);
	write_features(VPT_F_VERSION_1);
	set_status(ACK | DRV | FOK);
	write_features(VPT_F_VERSION_1 | VPT_F_DEV | (1ull << 40));
	cr_assert_eq(v.vp.t.driver_features, VPT_F_VERSION_1);
}

/* Defect 7: FEATURES_OK cleared on a live device, then unoffered bits. */
Test(virtio_pci, clearing_features_ok_on_live_device_stops_it)
{
	modern_bring_up();
	set_status(ACK | DRV | DOK);
	cr_assert_eq(v.dev.resets, 1, "device stops serving");
	cr_assert_not(v.vp.t.active);
	cr_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
	write_features(VPT_F_VERSION_1 | (1ull << 40));
	cr_assert_eq(v.vp.t.driver_features, VPT_F_VERSION_1 | VPT_F_DEV,
		     "unoffered features accepted on a live device");
	set_status(ACK | DRV | FOK | DOK);
	cr_assert_eq(v.dev.activates, 1, "reactivated without a reset");
	/* Only a reset brings it back. */
	modern_bring_up();
	cr_assert_eq(status() & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(virtio_pci, clearing_driver_ok_stops_the_device)
{
	modern_bring_up();
	set_status(ACK | DRV | FOK);
	cr_assert_eq(v.dev.resets, 1);
	cr_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
	set_status(ACK | DRV | FOK | DOK);
	cr_assert_eq(v.dev.activates, 1);
	cr_assert_not(v.vp.t.active);
}

Test(virtio_pci, trapped_notify_write_kicks_the_queue)
{
	mwr(NOTIFY + 4, 1, 4); /* queue 1, a width the ioeventfd misses */
	cr_assert_eq(kicks(1), 1);
	cr_assert_eq(kicks(0), 0);
	mwr(NOTIFY + 4 * 7, 7, 2); /* no such queue */
	cr_assert_eq(kicks(0) + kicks(1), 0);
}

/* ---- bus mastering (defect 5) ---------------------------------------------
 */

Test(virtio_pci, bus_master_off_until_the_driver_sets_it)
{
	cr_assert_not(virtio_transport_dma_allowed(&v.vp.t));
	bus_master(true);
	cr_assert(virtio_transport_dma_allowed(&v.vp.t));
	bus_master(false);
	cr_assert_not(virtio_transport_dma_allowed(&v.vp.t));
	/* A device reset does not give bus mastering back. */
	set_status(0);
	cr_assert_not(virtio_transport_dma_allowed(&v.vp.t));
}

Test(virtio_pci, no_msi_without_bus_master_latched_until_it_returns)
{
	msix_open(0);
	mwr(COMMON + VIRTIO_PCI_COMMON_MSIX, 0, 2);
	bus_master(true);
	virtio_transport_notify_config(&v.vp.t);
	cr_assert_eq(msis(0), 1, "MSI-X plumbing works with bus master on");

	bus_master(false);
	virtio_transport_notify_config(&v.vp.t);
	cr_assert_eq(msis(0), 0, "MSI sent without bus mastering");
	cr_assert(v.vp.msix.vec[0].pending, "not latched");
	bus_master(true);
	cr_assert_eq(msis(0), 1, "latched MSI not delivered on bus master");
	cr_assert_not(v.vp.msix.vec[0].pending);
}

Test(virtio_pci, latched_msi_stays_pending_while_masked)
{
	mwr(COMMON + VIRTIO_PCI_COMMON_MSIX, 0, 2);
	cfg_write16(v.vp.msix.cap + 2, PCI_MSIX_FLAGS_ENABLE);
	virtio_transport_notify_config(&v.vp.t);
	bus_master(true);
	cr_assert_eq(msis(0), 0, "vector 0 is still masked");
	msix_open(0);
	cr_assert_eq(msis(0), 1);
}

Test(virtio_pci, bus_master_on_kicks_enabled_queues)
{
	bus_master(true);
	modern_bring_up();
	bus_master(false);
	cr_assert_eq(kicks(0) + kicks(1), 0);
	bus_master(true);
	cr_assert_eq(kicks(0), 1, "enabled queue not kicked");
	cr_assert_eq(kicks(1), 0, "disabled queue kicked");
	/* Setting it again while on kicks nothing. */
	bus_master(true);
	cr_assert_eq(kicks(0), 0);
}

/* ---- legacy interface ------------------------------------------------------
 */

TestSuite(virtio_pci_legacy, .init = vpt_setup_transitional,
	  .fini = vpt_teardown);

Test(virtio_pci_legacy, ring_layout_from_pfn)
{
	const struct virtio_queue_config *q = &v.vp.t.queues[0];
	uint64_t used = 0x123000 + 16 * 128 + 6 + 2 * 128;

	legacy_bring_up();
	cr_assert_eq(q->desc_gpa, 0x123000);
	cr_assert_eq(q->driver_gpa, 0x123000 + 16 * 128);
	cr_assert_eq(q->device_gpa, (used + 4095) & ~4095ull);
	cr_assert_eq(lrd(VIRTIO_PCI_QUEUE_PFN, 4), 0x123);
	cr_assert_eq(lrd(VIRTIO_PCI_QUEUE_NUM, 2), 128);
	cr_assert_eq(lrd(VIRTIO_PCI_HOST_FEATURES, 4), (uint32_t)VPT_F_DEV);
	cr_assert_eq(lrd(VIRTIO_PCI_GUEST_FEATURES, 4), (uint32_t)VPT_F_DEV);
}

Test(virtio_pci_legacy, config_follows_header_msix_shifts_it)
{
	memcpy(v.dev.config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	cr_assert_eq(lrd(VIRTIO_PCI_CONFIG_OFF(false), 4), 0x44332211);
	cfg_write16(v.vp.msix.cap + 2, PCI_MSIX_FLAGS_ENABLE);
	cr_assert_eq(lrd(VIRTIO_PCI_CONFIG_OFF(true), 4), 0x44332211);
}

/* Defect 7: legacy PFN writes on a running device. */
Test(virtio_pci_legacy, pfn_zero_on_live_device_resets_that_queue)
{
	legacy_bring_up();
	lwr(VIRTIO_PCI_QUEUE_SEL, 0, 2);
	lwr(VIRTIO_PCI_QUEUE_PFN, 0, 4);
	cr_assert_eq(v.dev.queue_resets, 1, "queue_reset not called");
	cr_assert_eq(v.dev.last_queue_reset, 0);
	cr_assert_not(v.vp.t.queues[0].enabled);
	cr_assert_eq(lrd(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	cr_assert(v.vp.t.active, "the rest of the device keeps serving");
	cr_assert_eq(lrd(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

Test(virtio_pci_legacy, pfn_nonzero_on_live_device_needs_reset)
{
	legacy_bring_up();
	lwr(VIRTIO_PCI_QUEUE_SEL, 1, 2);
	lwr(VIRTIO_PCI_QUEUE_PFN, 0x456, 4);
	cr_assert(lrd(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_not(v.vp.t.queues[1].enabled);
	cr_assert_eq(v.dev.resets, 1, "device still serving");
	cr_assert_not(v.vp.t.active);
}

Test(virtio_pci_legacy, pfn_zero_without_queue_reset_needs_reset)
{
	/* Criterion runs the suite's .init before a test's own: swap here. */
	vpt_teardown();
	vpt_setup_transitional_no_qreset();
	legacy_bring_up();
	lwr(VIRTIO_PCI_QUEUE_PFN, 0, 4);
	cr_assert(lrd(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_eq(v.dev.resets, 1);
}

Test(virtio_pci_legacy, pfn_zero_before_driver_ok_releases_the_queue)
{
	lwr(VIRTIO_PCI_STATUS, ACK | DRV, 1);
	lwr(VIRTIO_PCI_QUEUE_PFN, 0x123, 4);
	cr_assert(v.vp.t.queues[0].enabled);
	lwr(VIRTIO_PCI_QUEUE_PFN, 0, 4);
	cr_assert_not(v.vp.t.queues[0].enabled);
	cr_assert_eq(v.dev.queue_resets, 0);
	cr_assert_eq(lrd(VIRTIO_PCI_STATUS, 1), ACK | DRV);
}

Test(virtio_pci_legacy, driver_features_frozen_at_driver_ok)
{
	legacy_bring_up();
	lwr(VIRTIO_PCI_GUEST_FEATURES, 0, 4);
	cr_assert_eq(v.vp.t.driver_features, VPT_F_DEV);
}

Test(virtio_pci_legacy, driver_ok_asks_the_device_about_features)
{
	v.dev.refuse_features = true;
	lwr(VIRTIO_PCI_STATUS, ACK, 1);
	lwr(VIRTIO_PCI_STATUS, ACK | DRV, 1);
	lwr(VIRTIO_PCI_GUEST_FEATURES, (uint32_t)VPT_F_DEV, 4);
	lwr(VIRTIO_PCI_STATUS, ACK | DRV | DOK, 1);
	cr_assert_eq(v.dev.activates, 0);
	cr_assert(lrd(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * Defect 2: a legacy driver whose features the device refuses, cycling
 * STATUS 3 -> 7 (with and without resets in between), makes no output and
 * never activates the device.
 */
Test(virtio_pci_legacy, refused_driver_cycling_status_is_silent)
{
	struct stderr_capture cap;
	long bytes;

	v.dev.refuse_features = true;
	stderr_capture_begin(&cap);
	for (unsigned int i = 0; i < 20000; i++) {
		if (i % 2)
			lwr(VIRTIO_PCI_STATUS, 0, 1);
		lwr(VIRTIO_PCI_STATUS, ACK | DRV, 1);
		lwr(VIRTIO_PCI_GUEST_FEATURES, (uint32_t)VPT_F_DEV, 4);
		lwr(VIRTIO_PCI_STATUS, ACK | DRV | DOK, 1);
	}
	bytes = stderr_capture_end(&cap);
	cr_assert_eq(v.dev.activates, 0, "refused device activated");
	cr_assert_leq(bytes, 200, "%ld bytes of output for 20000 cycles",
		      bytes);
}

/* Found by fuzz_virtio_pci: a live legacy device driven on by a modern write.
 */
Test(virtio_pci_legacy, other_interface_on_a_started_device_is_an_error)
{
	legacy_bring_up();
	set_status(ACK | DRV | DOK);
	cr_assert(status() & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_not(v.vp.t.active);
	cr_assert_eq(v.dev.resets, 1);
	cr_assert(v.vp.t.legacy, "interface switched under a live device");
	/* A reset through either interface frees the choice. */
	modern_bring_up();
	cr_assert_not(v.vp.t.legacy);
	cr_assert(v.vp.t.active);
}
