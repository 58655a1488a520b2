// SPDX-License-Identifier: MIT
#include "devices/virtio/net_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Newer than some UAPI headers (Linux 6.2). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

#define F(bit) (1ull << (bit))

/* Negotiated VIRTIO_NET_F_GUEST_* bits to TUN_F_* flags. */
static unsigned int tap_flags(uint64_t f)
{
	unsigned int flags = 0;

	/* Every segmentation offload needs checksum offload. */
	if (!(f & F(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	flags |= TUN_F_CSUM;
	if (f & F(VIRTIO_NET_F_GUEST_TSO4))
		flags |= TUN_F_TSO4;
	if (f & F(VIRTIO_NET_F_GUEST_TSO6))
		flags |= TUN_F_TSO6;
	if ((f & F(VIRTIO_NET_F_GUEST_ECN)) &&
	    (flags & (TUN_F_TSO4 | TUN_F_TSO6)))
		flags |= TUN_F_TSO_ECN;
	if (f & F(VIRTIO_NET_F_GUEST_UFO))
		flags |= TUN_F_UFO;
	if (f & F(VIRTIO_NET_F_GUEST_USO4))
		flags |= TUN_F_USO4;
	if (f & F(VIRTIO_NET_F_GUEST_USO6))
		flags |= TUN_F_USO6;
	return flags;
}

static bool tap_try(int fd, unsigned int flags)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) == 0;
}

/* Which guest offloads this tap (its kernel) accepts. */
static uint64_t tap_probe(int fd)
{
	const uint64_t tso =
	    F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |
	    F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN);
	uint64_t got = 0;

	if (tap_try(fd, tap_flags(F(VIRTIO_NET_F_GUEST_CSUM))))
		got |= F(VIRTIO_NET_F_GUEST_CSUM);
	if (got && tap_try(fd, tap_flags(tso)))
		got |= tso;
	if (got && tap_try(fd, tap_flags(got | F(VIRTIO_NET_F_GUEST_UFO))))
		got |= F(VIRTIO_NET_F_GUEST_UFO);
	if (got && tap_try(fd, tap_flags(got | F(VIRTIO_NET_F_GUEST_USO4) |
					 F(VIRTIO_NET_F_GUEST_USO6))))
		got |= F(VIRTIO_NET_F_GUEST_USO4) | F(VIRTIO_NET_F_GUEST_USO6);
	/* Nothing towards the guest until it negotiates. */
	tap_try(fd, 0);
	return got;
}

int net_tap_open(struct net_tap *tap, const char *name, struct err *e)
{
	struct ifreq ifr;
	int hdr = VNET_HDR_LEN, err;

	memset(tap, 0, sizeof(*tap));
	tap->fd = -1;
	if (!*name || strlen(name) >= IFNAMSIZ)
		return err_set(e,
			       "tap '%s': a name of 1 to %d characters needed",
			       name, IFNAMSIZ - 1);
	snprintf(tap->name, sizeof(tap->name), "%s", name);
	tap->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap->fd < 0)
		return err_errno(e, errno, "tap %s: cannot open /dev/net/tun",
				 name);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, tap->name, sizeof(ifr.ifr_name));
	if (ioctl(tap->fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		net_tap_close(tap);
		if (err == EPERM)
			return err_set(e,
				       "tap %s: not allowed to open or create "
				       "it (CAP_NET_ADMIN needed)",
				       name);
		if (err == EINVAL)
			return err_set(e,
				       "tap %s: a network interface of that "
				       "name exists and is not a tap",
				       name);
		if (err == EBUSY)
			return err_set(
			    e, "tap %s: already in use by another process",
			    name);
		return err_errno(e, err, "tap %s: TUNSETIFF", name);
	}
	if (ioctl(tap->fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		err = errno;
		net_tap_close(tap);
		return err_errno(e, err, "tap %s: TUNSETVNETHDRSZ", name);
	}
	tap->guest_offloads = tap_probe(tap->fd);
	return 0;
}

void net_tap_close(struct net_tap *tap)
{
	if (tap->fd >= 0)
		close(tap->fd);
	tap->fd = -1;
}

static int tap_set_offloads(void *opaque, uint64_t features)
{
	struct net_tap *tap = opaque;

	return tap_try(tap->fd, tap_flags(features & tap->guest_offloads)) ? 0
									   : -1;
}

struct virtio_net_backend net_tap_backend(struct net_tap *tap)
{
	return (struct virtio_net_backend){
		.fd = tap->fd,
		.guest_offloads = tap->guest_offloads,
		.set_offloads = tap_set_offloads,
		.opaque = tap,
	};
}
