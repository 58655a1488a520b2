/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_DEVICE_TYPES_H
#define VIREO_VMM_DEVICE_TYPES_H

/*
 * The one table of virtio device types: the CLI's device names (and its
 * help and error text) come from it, and so does machine assembly. Adding
 * a device type is one file with its create/destroy functions plus one
 * row in device_types.c.
 */

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "vmm/config.h"

struct machine;
struct virtio_device;

struct device_type {
	/* --virtio-transport NAME=T; also the name transports report. */
	const char *name;
	uint16_t virtio_id; /* VIRTIO_ID_* from <linux/virtio_ids.h> */
	/* PCI class code: base class << 16 | subclass << 8 | prog-if. */
	uint32_t pci_class;
	/* Transitional (legacy-capable) PCI device ID; 0 when none. */
	uint16_t pci_transitional_id;
	/*
	 * Creates every device of this type the configuration asks for (none,
	 * one, or one per --disk/--net) and plugs each with
	 * virtio_devices_plug() into transport t.
	 */
	int (*create)(struct machine *m, const struct device_type *type,
		      enum vm_transport t, struct err *e);
	/* Destroys and frees one device create() made. */
	void (*destroy)(void *dev);
	/* Optional: dev's virtio core (the control API pauses and counts). */
	struct virtio_device *(*vdev)(void *dev);
};

extern const struct device_type device_types[];
extern const size_t nr_device_types;

/* The type named by name[0..len), or NULL. */
const struct device_type *device_type_find(const char *name, size_t len);

/* "console, rng, ... or vsock" into buf (truncated to size); returns buf. */
const char *device_type_names(char *buf, size_t size);

/* Per-type create/destroy, one file each (vmm/dev_*.c). */
int dev_console_create(struct machine *m, const struct device_type *type,
		       enum vm_transport t, struct err *e);
void dev_console_destroy(void *dev);
int dev_rng_create(struct machine *m, const struct device_type *type,
		   enum vm_transport t, struct err *e);
void dev_rng_destroy(void *dev);
int dev_blk_create(struct machine *m, const struct device_type *type,
		   enum vm_transport t, struct err *e);
void dev_blk_destroy(void *dev);
int dev_net_create(struct machine *m, const struct device_type *type,
		   enum vm_transport t, struct err *e);
void dev_net_destroy(void *dev);
int dev_vsock_create(struct machine *m, const struct device_type *type,
		     enum vm_transport t, struct err *e);
void dev_vsock_destroy(void *dev);

#endif
