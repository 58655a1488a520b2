/* SPDX-License-Identifier: MIT */
#ifndef VIREO_DEVICES_VIRTIO_NET_TAP_H
#define VIREO_DEVICES_VIRTIO_NET_TAP_H

/*
 * A tap device as the virtio-net back end: /dev/net/tun with IFF_TAP,
 * IFF_NO_PI and IFF_VNET_HDR, header size 12 (virtio_net_hdr_v1). Opening
 * probes which offloads towards the guest the tap accepts (TUNSETOFFLOAD);
 * activation turns on those the guest negotiated.
 */

#include <net/if.h>

#include "devices/virtio/net.h"
#include "util/err.h"

struct net_tap {
	int fd;
	char name[IFNAMSIZ];
	uint64_t guest_offloads; /* VIRTIO_NET_F_GUEST_* the tap can deliver */
};

/* Opens (creating if missing) the tap; one-line errors. */
int net_tap_open(struct net_tap *tap, const char *name, struct err *e);
void net_tap_close(struct net_tap *tap);
/* A virtio_net_backend over the tap. */
struct virtio_net_backend net_tap_backend(struct net_tap *tap);

#endif
