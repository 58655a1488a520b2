/* SPDX-License-Identifier: MIT */
#ifndef HOSTILE_SCENARIO_H
#define HOSTILE_SCENARIO_H
/*
 * One attack or conformance check. It runs on the first device it applies
 * to; afterwards the runner resets that device and requires one good request
 * (the device works again), so an attack only has to check what it expects
 * to see while it runs.
 */
#include "virtio.h"

enum result { R_PASS, R_FAIL, R_SKIP };

/* Which devices a scenario applies to. */
#define ON_ANY 0u
#define ON_RNG (1u << 0)
#define ON_BLK (1u << 1)
#define ON_CONSOLE (1u << 2)
#define ON_PCI (1u << 3) /* PCI transports only (modern or legacy) */
#define ON_MMIO (1u << 4)
#define ON_MODERN (1u << 5) /* virtio 1.x interfaces only */
#define ON_LEGACY (1u << 6)
#define ON_PCI_MODERN (ON_PCI | ON_MODERN)
#define ON_NET (1u << 7) /* virtio-net only; never picked otherwise */

struct scenario {
	const char *name;
	unsigned int on;
	enum result (*run)(struct vdev *d, char *facts, unsigned int size);
};

extern const struct scenario ring_scenarios[], transport_scenarios[],
    pci_scenarios[], device_scenarios[], race_scenarios[], net_scenarios[];
extern const unsigned int nr_ring_scenarios, nr_transport_scenarios,
    nr_pci_scenarios, nr_device_scenarios, nr_race_scenarios, nr_net_scenarios;

/* Helpers shared by the attack files. */
enum result factf(char *facts, unsigned int size, enum result r, const char *f,
		  ...) __attribute__((format(printf, 4, 5)));
/* Brings d up with nq queues (the device's usual number when 0). */
bool bring_up(struct vdev *d, unsigned int nq);
/* Waits briefly for the device to react to a bad chain; "what happened". */
const char *outcome(struct vdev *d, struct vq *vq, u64 ms, u32 *len);
/* Publishes the chain built at descriptors [0..] and notifies. */
static inline void kick_head(struct vdev *d, struct vq *vq, u16 head)
{
	vq_publish(d, vq, head);
}
#define NEEDS_RESET(d) (v_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET)

/* Idle with poisoned rings (hostile.idle=MS). */
void idle_run(u64 ms);

/* Chaos mode: seeded random ring and register mutation. */
void chaos_run(u64 seconds, u64 seed, u64 rounds, unsigned int *pass,
	       unsigned int *fail);
#endif
