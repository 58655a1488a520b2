/* SPDX-License-Identifier: MIT */
#ifndef VIREO_BUS_VIRTIO_TRANSPORT_H
#define VIREO_BUS_VIRTIO_TRANSPORT_H

/*
 * The contract between a virtio transport (PCI modern/legacy, MMIO) and a
 * virtio device. Transports live in bus/ and know devices only through
 * struct virtio_dev_ops; devices know transports only through the
 * virtio_transport_* calls below. Every rule the transports share lives
 * once behind this header: the status state machine and feature
 * negotiation (virtio 1.2, 2.1-2.2, 3.1) in virtio_transport.c, the
 * register semantics (features, queue setup, legacy ring layout, kick
 * eventfds) in virtio_regs.c. PCI modern, PCI legacy and MMIO only decode
 * their offsets into these calls.
 */

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/virtio_trace.h"
#include "util/err.h"

#define VIRTIO_MAX_QUEUES 16

/* The names devices/ use, with the UAPI values. */
#define VIRTIO_STATUS_ACKNOWLEDGE VIRTIO_CONFIG_S_ACKNOWLEDGE
#define VIRTIO_STATUS_DRIVER VIRTIO_CONFIG_S_DRIVER
#define VIRTIO_STATUS_DRIVER_OK VIRTIO_CONFIG_S_DRIVER_OK
#define VIRTIO_STATUS_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define VIRTIO_STATUS_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET
#define VIRTIO_STATUS_FAILED VIRTIO_CONFIG_S_FAILED

#define VIRTIO_F_RING_INDIRECT_DESC VIRTIO_RING_F_INDIRECT_DESC
#define VIRTIO_F_RING_EVENT_IDX VIRTIO_RING_F_EVENT_IDX

/* ISR bits are the same on PCI and MMIO (virtio 1.2, 4.1.4.5, 4.2.2). */
#define VIRTIO_ISR_QUEUE VIRTIO_MMIO_INT_VRING
#define VIRTIO_ISR_CONFIG VIRTIO_MMIO_INT_CONFIG

#define VIRTIO_NO_VECTOR VIRTIO_MSI_NO_VECTOR

struct virtio_transport;

struct virtio_queue_config {
	uint16_t size, max_size;
	bool enabled;
	/*
	 * Reset alone by the driver (VIRTIO_F_RING_RESET) and not re-enabled
	 * yet: reconfigurable while the device runs.
	 */
	bool reset;
	uint64_t desc_gpa, driver_gpa, device_gpa;
	uint16_t vector; /* MSI-X vector (PCI) */
	int kick_fd; /* eventfd signalled by the guest's queue notify */
};

struct virtio_dev_ops {
	const char *name;
	uint16_t device_id; /* virtio device type: 3 console, 4 rng, ... */
	uint16_t nr_queues;
	uint16_t queue_max_size;
	/* Device features, including transport bits it supports. */
	uint64_t (*features)(void *dev);
	uint32_t (*config_size)(void *dev);
	void (*config_read)(void *dev, uint32_t offset, void *data,
			    unsigned int len);
	void (*config_write)(void *dev, uint32_t offset, const void *data,
			     unsigned int len);
	/*
	 * Optional: whether the device can work with the features the driver
	 * accepted (a subset of the offer). Asked at FEATURES_OK, and at
	 * DRIVER_OK for legacy drivers, which have no FEATURES_OK; false
	 * refuses FEATURES_OK (legacy: NEEDS_RESET). Must not log: the driver
	 * may retry in a loop.
	 */
	bool (*features_ok)(void *dev, uint64_t features);
	/*
	 * DRIVER_OK: t->queues[] and t->driver_features are final. The device
	 * starts serving; a negative return marks it NEEDS_RESET.
	 */
	int (*activate)(void *dev, struct virtio_transport *t);
	/*
	 * Optional: stop serving queue q alone and forget its state, return
	 * once nothing of q is in flight (legacy QueuePFN 0 on a live device;
	 * VIRTIO_F_RING_RESET later). Without it the transport marks the
	 * device NEEDS_RESET instead.
	 */
	void (*queue_reset)(void *dev, unsigned int q);
	/*
	 * Optional: serve queue q again after queue_reset, from its new
	 * t->queues[q] (VIRTIO_F_RING_RESET); the other queues keep running.
	 * Negative: the device needs a reset.
	 */
	int (*queue_enable)(void *dev, unsigned int q);
	/* Status 0 (or teardown): stop all work; return once quiesced. */
	void (*reset)(void *dev);
};

struct virtio_transport {
	pthread_mutex_t lock;
	const struct virtio_dev_ops *ops;
	void *dev;
	bool legacy; /* driver is using the legacy interface */
	uint64_t device_features, driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint8_t status, config_generation;
	uint8_t isr;
	uint16_t queue_select;
	uint16_t config_vector;
	bool active;
	/*
	 * PCI bus mastering is off: the device must not touch guest memory or
	 * raise MSIs. Set by the transport; read by device threads.
	 */
	bool dma_off;
	struct virtio_queue_config queues[VIRTIO_MAX_QUEUES];
	/* --trace/--fault for this device (set after creation), else NULL. */
	struct virtio_hooks *hooks;
	/* Filled by the concrete transport. */
	void (*raise)(struct virtio_transport *t, uint16_t vector);
	void *priv;
};

int virtio_transport_init(struct virtio_transport *t,
			  const struct virtio_dev_ops *ops, void *dev);
/* Resets the device (it stops serving) before the transport goes away. */
void virtio_transport_quiesce(struct virtio_transport *t);
/* Closes the kick eventfds: remove the ioeventfds on them first. */
void virtio_transport_destroy(struct virtio_transport *t);

/*
 * Status register write, with the lock held by the caller. The driver adds
 * ACKNOWLEDGE, DRIVER, FEATURES_OK (not legacy), DRIVER_OK in order;
 * clearing one other than by writing 0 stops the device with NEEDS_RESET,
 * and a device with NEEDS_RESET is not activated again before a reset.
 */
void virtio_transport_set_status(struct virtio_transport *t, uint8_t status);
/*
 * A status write through the legacy or the modern interface. The first
 * write after a reset picks the interface of a transitional device; a
 * write through the other one before the next reset is a driver error.
 * Lock held.
 */
void virtio_transport_write_status(struct virtio_transport *t, bool legacy,
				   uint8_t status);
/* Resets device and transport state (status 0). Lock held. */
void virtio_transport_reset(struct virtio_transport *t);

/* Device side, any thread. */
void virtio_transport_notify_queue(struct virtio_transport *t,
				   unsigned int queue);
void virtio_transport_notify_config(struct virtio_transport *t);
/* A hostile or broken driver: DEVICE_NEEDS_RESET and a config interrupt. */
void virtio_transport_set_needs_reset(struct virtio_transport *t);
/* False while the device may not access guest memory (bus mastering off). */
static inline bool
virtio_transport_dma_allowed(const struct virtio_transport *t)
{
	return !__atomic_load_n(&t->dma_off, __ATOMIC_ACQUIRE);
}
bool virtio_transport_has_feature(const struct virtio_transport *t,
				  unsigned int bit);
/* ISR read-to-clear, for INTx-style transports (and legacy PCI). */
uint8_t virtio_transport_read_isr(struct virtio_transport *t);

/*
 * Register semantics shared by PCI modern, PCI legacy and MMIO
 * (bus/virtio_regs.c): the transports decode offsets into these calls.
 * All with the lock held.
 */

/* The queue QueueSel points at, or NULL past the device's queues. */
struct virtio_queue_config *
virtio_transport_selected_queue(struct virtio_transport *t);
/* Device config access; out of range reads as zero, writes are dropped. */
void virtio_transport_config_access(struct virtio_transport *t, uint32_t off,
				    void *data, unsigned int len, bool write);

/*
 * Feature words: sel picks bits 32*sel.. (legacy interfaces have one word,
 * sel 0). The driver's are writable only while DRIVER is set and
 * FEATURES_OK (legacy: DRIVER_OK) is not.
 */
uint32_t virtio_transport_device_features(const struct virtio_transport *t,
					  uint32_t sel);
uint32_t virtio_transport_driver_features(const struct virtio_transport *t,
					  uint32_t sel);
void virtio_transport_write_driver_features(struct virtio_transport *t,
					    uint32_t sel, uint32_t v);

/*
 * The registers every transport has with the same meaning; a transport
 * decodes its offsets into these. Queue registers act on the selected
 * queue and are frozen once it is enabled or the driver set DRIVER_OK. The
 * ring addresses are six 32-bit halves from VIRTIO_REG_QUEUE_ADDR on, in
 * the order both transports lay them out: descriptor low/high, driver
 * (avail) low/high, device (used) low/high.
 */
enum virtio_reg {
	VIRTIO_REG_NONE,
	VIRTIO_REG_DEVICE_FEATURES_SEL,
	VIRTIO_REG_DEVICE_FEATURES,
	VIRTIO_REG_DRIVER_FEATURES_SEL,
	VIRTIO_REG_DRIVER_FEATURES,
	VIRTIO_REG_STATUS,
	VIRTIO_REG_CONFIG_GENERATION,
	VIRTIO_REG_QUEUE_SEL,
	VIRTIO_REG_QUEUE_SIZE, /* a power of two up to the maximum */
	VIRTIO_REG_QUEUE_READY, /* 1 enables; only a reset disables */
	VIRTIO_REG_QUEUE_ADDR,
	VIRTIO_REG_END = VIRTIO_REG_QUEUE_ADDR + 6,
};

uint32_t virtio_transport_reg_read(struct virtio_transport *t,
				   enum virtio_reg reg);
void virtio_transport_reg_write(struct virtio_transport *t, enum virtio_reg reg,
				uint32_t v);

/*
 * Legacy queue setup (virtio 1.2, 2.7.2 legacy layout): one area at
 * pfn * page, the used ring at the next multiple of align. PFN 0 releases
 * the queue; on a live device that is a per-queue reset (ops->queue_reset,
 * or NEEDS_RESET without one), and a new address is a driver error.
 */
void virtio_transport_write_legacy_pfn(struct virtio_transport *t, uint32_t pfn,
				       uint64_t page, uint64_t align);
uint32_t virtio_transport_legacy_pfn(struct virtio_transport *t, uint64_t page);

/*
 * Per-queue reset (virtio 1.2, 2.6.1, VIRTIO_F_RING_RESET): a 1 written to
 * the selected queue's reset register stops that queue alone and resets
 * its configuration before the write returns (so the register reads 0,
 * "done"); the queue is then reconfigurable until the driver enables it
 * again, which brings it back with its new setup. is_reset: the selected
 * queue is in that state.
 */
void virtio_transport_reset_queue(struct virtio_transport *t);
bool virtio_transport_queue_is_reset(struct virtio_transport *t);

/*
 * Queue notification eventfds, one per queue, owned by the transport:
 * KVM ioeventfds signal them; a notify write that traps (a width the
 * ioeventfd does not match) goes through virtio_transport_kick.
 */
int virtio_transport_open_kicks(struct virtio_transport *t, struct err *e);
void virtio_transport_close_kicks(struct virtio_transport *t);
void virtio_transport_kick(struct virtio_transport *t, uint32_t queue);
/* Kicks every enabled queue: work deferred while DMA was off. */
void virtio_transport_kick_enabled(struct virtio_transport *t);

/*
 * A driver broke the protocol: the device stops serving and reports
 * NEEDS_RESET until the driver resets it (status 0). Lock held.
 */
void virtio_transport_driver_error(struct virtio_transport *t);

#endif
