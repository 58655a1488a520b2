/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_VIRTIO_FEATURES_H
#define VIREO_VMM_VIRTIO_FEATURES_H

/*
 * --virtio-features TARGET=[+|-]NAME[,...]: the parser, and the one place
 * that turns a device's default feature offer into what its transport
 * offers. NAME is the spec's name of a feature bit without its prefix
 * (VIRTIO_F_RING_PACKED: ring_packed), taken from the UAPI constants.
 * '+' offers a feature vireo supports but does not offer by default
 * (ring_packed); '-' withdraws one. Later rules win over earlier ones.
 * ring_reset is offered by default on virtio-pci (its register is PCI's).
 */

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "vmm/config.h"

/*
 * Appends the rules of one argument to rules[*nr..max). Checks syntax,
 * the target (all, a device type, or a type and an index: net1) and that
 * the name is a feature of that target.
 */
int virtio_features_parse(const char *arg, struct vm_feature_rule *rules,
			  unsigned int *nr, unsigned int max, struct err *e);

/* Whether a rule's target names device index of type (blk, 0: blk0). */
bool virtio_features_target_matches(const char *target, const char *type,
				    unsigned int index);

/*
 * What device index of type offers: dflt (its own offer) with the rules
 * that target it applied. Fails on a feature the device cannot do, on
 * ring_packed over mmio-legacy, ring_reset off virtio-pci, and on a
 * feature left without one it depends on.
 */
int virtio_features_offer(const struct vm_feature_rule *rules, unsigned int nr,
			  const char *type, unsigned int index,
			  enum vm_transport transport, uint64_t dflt,
			  uint64_t *offer, struct err *e);

/* The lower-case name of bit in type's table (or common), else NULL. */
const char *virtio_feature_name(const char *type, unsigned int bit, char *buf,
				unsigned int size);

#endif
