/* SPDX-License-Identifier: MIT */
#ifndef VIREO_TESTS_NET_PEER_H
#define VIREO_TESTS_NET_PEER_H

/*
 * The host side of the micro guest's virtio-net checks: a network namespace
 * of the test's own (PREFIX-PID) with the tap vt0 at 10.0.2.1/24 (the guest
 * is 10.0.2.15/24), entered by the test process so vireo, its child,
 * inherits it; and the peer of net.sh's TCP transfers (vireo.net.xfer=1): a
 * thread that sends a known pattern on port 5002 and reads it back on 5001.
 * Needs root.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_peer {
	char ns[64];
	bool ns_made;
	unsigned int timeout_s; /* how long to wait for each connection */
	size_t size;
	uint8_t *sent, *back;
	size_t back_len;
	char sent_sha[65]; /* sha256 of sent, as sha256sum prints it */
	int lfd[2]; /* listening on 5002 (host->guest), 5001 (guest->host) */
	pthread_t thread;
	bool thread_started;
	char error[128]; /* why the peer stopped early, "" if it did not */
};

/*
 * Zeroes p, creates the namespace and its tap and enters it. A zeroed p
 * (static) may be torn down whether or not this ran.
 */
void net_peer_ns_enter(struct net_peer *p, const char *prefix);
/*
 * Makes a pattern of size bytes (and its sha256), listens on both ports and
 * starts the peer thread.
 */
void net_peer_start(struct net_peer *p, size_t size, unsigned int timeout_s);
/* Waits for the peer thread to finish both transfers. */
void net_peer_join(struct net_peer *p);
/* Stops the peer, closes its sockets, removes the namespace, frees. */
void net_peer_teardown(struct net_peer *p);
#endif
